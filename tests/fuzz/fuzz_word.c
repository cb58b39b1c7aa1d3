// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_word.c - parse_color, parse_proto and parse_name against references
 * written here: exactly "blue"/"green", exactly "tcp"/"udp", and
 * [A-Za-z0-9_.-]{1,31}; accepted colors and protocols name back to the
 * same word; on failure the output is untouched and the message names the
 * label.  Input: byte 0 selects the parser, the rest is the string.
 */
#include <errno.h>
#include <netinet/in.h>
#include "values.h"
#include "fuzz_util.h"

static struct bgx_err fuzz_err;

static int ref_name(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > BGXDP_NAME_LEN - 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || fuzz_is_digit(c) ||
		      c == '_' || c == '.' || c == '-'))
			return -1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	int r;

	if (size < 1)
		return 0;
	s = fuzz_cstring(data + 1, size - 1);
	bgx_err_clear(&fuzz_err);
	switch (data[0] % 3) {
	case 0: {
		__u32 color = 77;
		bool ref = !strcmp(s, "blue") || !strcmp(s, "green");

		r = bgx_parse_color(s, "COLOR", &color, &fuzz_err);
		CHECK((r == 0) == ref, "color '%s' -> %d", s, r);
		if (r == 0)
			CHECK(!strcmp(color_name(color), s), "color '%s' names back as '%s'", s,
			      color_name(color));
		else
			CHECK(color == 77 && r == -EINVAL && strstr(fuzz_err.msg, "COLOR"), "color '%s'", s);
		break;
	}
	case 1: {
		__u8 proto = 77;
		bool ref = !strcmp(s, "tcp") || !strcmp(s, "udp");

		r = bgx_parse_proto(s, "--proto", &proto, &fuzz_err);
		CHECK((r == 0) == ref, "proto '%s' -> %d", s, r);
		if (r == 0)
			CHECK((proto == IPPROTO_TCP || proto == IPPROTO_UDP) &&
			      !strcmp(proto_name(proto), s), "proto '%s' names back as '%s'", s,
			      proto_name(proto));
		else
			CHECK(proto == 77 && r == -EINVAL && strstr(fuzz_err.msg, "--proto"), "proto '%s'", s);
		break;
	}
	default:
		r = bgx_parse_name(s, "NAME", &fuzz_err);
		CHECK((r == 0) == (ref_name(s) == 0), "name '%s' -> %d", s, r);
		if (r)
			CHECK(r == -EINVAL && strstr(fuzz_err.msg, "NAME"), "name '%s'", s);
		break;
	}
	free(s);
	return 0;
}
