// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_percent.c - parse_percent_bp (bgxdp weight PERCENT) against a
 * reference written here: 1..3 digits, optionally '.' and 1..2 digits,
 * value <= 100.00; result in basis points 0..10000; on failure the output
 * is untouched and a message names the label; format_percent_bp of the
 * result parses back to the same basis points.
 */
#include <errno.h>
#include "values.h"
#include "fuzz_util.h"

static struct bgx_err fuzz_err;

static int ref_percent(const char *s, __u32 *bp)
{
	size_t i = 0, ilen, flen = 0;
	unsigned long v = 0, f = 0;

	while (fuzz_is_digit(s[i]))
		v = v * 10 + (unsigned long)(s[i++] - '0');
	ilen = i;
	if (ilen < 1 || ilen > 3)
		return -1;
	if (s[i] == '.') {
		i++;
		while (fuzz_is_digit(s[i + flen]))
			flen++;
		if (flen < 1 || flen > 2)
			return -1;
		f = (unsigned long)(s[i] - '0') * 10 + (flen == 2 ? (unsigned long)(s[i + 1] - '0') : 0);
		i += flen;
	}
	if (s[i])
		return -1;
	v = v * 100 + f;
	if (v > 10000)
		return -1;
	*bp = (__u32)v;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size);
	char text[32];
	__u32 bp = 0xfeedu, want = 0, again = 0;
	int r, ref;

	bgx_err_clear(&fuzz_err);
	r = bgx_parse_percent_bp(s, "weight", &bp, &fuzz_err);
	ref = ref_percent(s, &want);
	CHECK((r == 0) == (ref == 0), "'%s': parser %d, reference %d", s, r, ref);
	if (r) {
		CHECK(bp == 0xfeedu && (r == -EINVAL || r == -ERANGE) && strstr(fuzz_err.msg, "weight"),
		      "'%s' -> %d: output touched or no message", s, r);
		free(s);
		return 0;
	}
	CHECK(bp == want && bp <= BGXDP_SHARE_SCALE, "'%s' -> %u bp, expected %u", s, bp, want);
	format_percent_bp(bp, text, sizeof(text));
	CHECK(bgx_parse_percent_bp(text, "weight", &again, &fuzz_err) == 0 && again == bp,
	      "'%s' -> %u bp formats as '%s' which parses to %u", s, bp, text, again);
	free(s);
	return 0;
}
