// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_number.c - parse_port and parse_uint against a reference written
 * here: accepted exactly when the whole string is 1..5 (port) or 1..19
 * (uint) decimal digits whose value is in range; the value is the decimal
 * value; on failure the output is untouched and a message names the label.
 *
 * Input: byte 0 selects the parser and range, the rest is the string.
 */
#include <errno.h>
#include "values.h"
#include "fuzz_util.h"

static struct bgx_err fuzz_err;

struct range {
	unsigned long long min, max;
};

/* The ranges options use (--weight 1..1000, --watch seconds, flows ...)
 * and the extremes. */
static const struct range ranges[] = {
	{ 1, 1000 }, { 1, 3600 }, { 0, 0 }, { 0, ~0ull }, { 5, 5 },
	{ 1, 65535 }, { 1000, 100000000 }, { 10, 9 },
};

/* Reference: digits only, at most `max_digits`, value without overflow. */
static int ref_number(const char *s, size_t max_digits, unsigned long long *v)
{
	size_t n = strlen(s);

	if (n == 0 || n > max_digits)
		return -1;
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!fuzz_is_digit(s[i]))
			return -1;
		*v = *v * 10 + (unsigned long long)(s[i] - '0');
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned long long sentinel = 0xdeadbeefcafeull;
	unsigned long long want;
	char *s;
	int r, ref;

	if (size < 1)
		return 0;
	s = fuzz_cstring(data + 1, size - 1);
	bgx_err_clear(&fuzz_err);
	if (data[0] & 0x80) {
		__u16 port = 0xabcd;

		ref = ref_number(s, 5, &want);
		if (!ref && (want < 1 || want > 65535))
			ref = -1;
		r = bgx_parse_port(s, "--port", &port, &fuzz_err);
		CHECK((r == 0) == (ref == 0), "port '%s': parser %d, reference %d", s, r, ref);
		if (r == 0)
			CHECK(port == want, "port '%s' -> %u, expected %llu", s, port, want);
		else
			CHECK(port == 0xabcd && (r == -EINVAL || r == -ERANGE) &&
			      strstr(fuzz_err.msg, "--port"), "port '%s' -> %d, output or message wrong", s, r);
	} else {
		const struct range *rg = &ranges[data[0] % (sizeof(ranges) / sizeof(ranges[0]))];
		unsigned long long v = sentinel;

		ref = ref_number(s, 19, &want);
		if (!ref && (want < rg->min || want > rg->max))
			ref = -1;
		r = bgx_parse_uint(s, "--count", rg->min, rg->max, &v, &fuzz_err);
		CHECK((r == 0) == (ref == 0), "uint '%s' in %llu..%llu: parser %d, reference %d",
		      s, rg->min, rg->max, r, ref);
		if (r == 0)
			CHECK(v == want, "uint '%s' -> %llu, expected %llu", s, v, want);
		else
			CHECK(v == sentinel && (r == -EINVAL || r == -ERANGE) &&
			      strstr(fuzz_err.msg, "--count"), "uint '%s' -> %d, output or message wrong", s, r);
	}
	free(s);
	return 0;
}
