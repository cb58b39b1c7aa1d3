// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* parse.c: every accepted and refused form of the CLI values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "values.h"

static struct bgx_err e;

static void expect_refused(int r, const char *what)
{
	if (r == 0)
		fail_msg("accepted bad value: %s", what);
	assert_true(r < 0);
	assert_true(strlen(e.msg) > 0);
	bgx_err_clear(&e);
}

static void test_endpoint_good(void **state)
{
	struct endpoint ep;
	__u8 v6[16];

	(void)state;
	assert_int_equal(bgx_parse_endpoint("10.0.0.1:80", "x", &ep, &e), 0);
	assert_int_equal(ep.family, BGXDP_FAMILY_IPV4);
	assert_int_equal(ep.port, 80);
	assert_memory_equal(ep.addr, "\x0a\x00\x00\x01", 4);
	for (int i = 4; i < 16; i++)
		assert_int_equal(ep.addr[i], 0);
	assert_int_equal(bgx_parse_endpoint("0.0.0.0:1", "x", &ep, &e), 0);
	assert_int_equal(bgx_parse_endpoint("255.255.255.255:65535", "x", &ep, &e), 0);
	assert_int_equal(ep.port, 65535);
	assert_int_equal(bgx_parse_endpoint("[2001:db8::1]:443", "x", &ep, &e), 0);
	assert_int_equal(ep.family, BGXDP_FAMILY_IPV6);
	assert_int_equal(ep.port, 443);
	inet_pton(AF_INET6, "2001:db8::1", v6);
	assert_memory_equal(ep.addr, v6, 16);
	assert_int_equal(bgx_parse_endpoint("[::1]:8080", "x", &ep, &e), 0);
	assert_int_equal(bgx_parse_endpoint("[::ffff:10.0.0.1]:80", "x", &ep, &e), 0);
	assert_int_equal(ep.family, BGXDP_FAMILY_IPV6);
}

static void test_endpoint_bad(void **state)
{
	static const char *const bad[] = {
		"", "10.0.0.1", "10.0.0.1:", "10.0.0.1:0", "10.0.0.1:65536", "10.0.0.1:abc",
		"10.0.0.1:80x", "10.0.0.1:-1", "10.0.0.1:+80", "10.0.0.1: 80", "10.0.0:80",
		"10.0.0.256:80", "1.2.3.4.5:80", ":80", "host:80", "2001:db8::1:80",
		"[2001:db8::1]", "[2001:db8::1]80", "[2001:db8::1:80", "[]:80",
		"[10.0.0.1]:80", "[2001:db8::g]:80", "[2001:db8::1]:0", "[2001:db8::1]:65536",
		"[2001:db8::1]:", "10.0.0.1:080000", "10.0.0.1:99999",
	};
	struct endpoint ep;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_refused(bgx_parse_endpoint(bad[i], "--vip", &ep, &e), bad[i]);
	expect_refused(bgx_parse_endpoint(NULL, "--vip", &ep, &e), "NULL");
	/* the message names the argument */
	bgx_parse_endpoint("10.0.0.1", "--vip", &ep, &e);
	assert_non_null(strstr(e.msg, "--vip"));
	bgx_err_clear(&e);
}

static void test_port(void **state)
{
	__u16 p;

	(void)state;
	assert_int_equal(bgx_parse_port("1", "p", &p, &e), 0);
	assert_int_equal(p, 1);
	assert_int_equal(bgx_parse_port("65535", "p", &p, &e), 0);
	assert_int_equal(p, 65535);
	expect_refused(bgx_parse_port("0", "p", &p, &e), "0");
	expect_refused(bgx_parse_port("65536", "p", &p, &e), "65536");
	expect_refused(bgx_parse_port("abc", "p", &p, &e), "abc");
	expect_refused(bgx_parse_port("", "p", &p, &e), "empty");
	expect_refused(bgx_parse_port("-1", "p", &p, &e), "-1");
	expect_refused(bgx_parse_port("123456", "p", &p, &e), "123456");
}

static void test_percent(void **state)
{
	static const struct { const char *s; __u32 bp; } good[] = {
		{ "0", 0 }, { "100", 10000 }, { "10", 1000 }, { "10.5", 1050 },
		{ "0.01", 1 }, { "99.99", 9999 }, { "12.34", 1234 }, { "100.0", 10000 },
		{ "100.00", 10000 }, { "007", 700 }, { "0.1", 10 }, { "50.05", 5005 },
	};
	static const char *const bad[] = {
		"-1", "100.001", "100.01", "101", "10%", "nan", "NaN", "inf", "1e2", "",
		"10.", ".5", "10.123", " 10", "10 ", "+10", "1,5", "0x10", "1000", "10..5",
		"abc", ".", "-0",
	};
	__u32 bp;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		bp = 12345;
		assert_int_equal(bgx_parse_percent_bp(good[i].s, "PERCENT", &bp, &e), 0);
		assert_int_equal(bp, good[i].bp);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_refused(bgx_parse_percent_bp(bad[i], "PERCENT", &bp, &e), bad[i]);
	expect_refused(bgx_parse_percent_bp(NULL, "PERCENT", &bp, &e), "NULL");
}

static void test_name(void **state)
{
	char longest[32], toolong[33];

	(void)state;
	memset(longest, 'a', 31);
	longest[31] = 0;
	memset(toolong, 'a', 32);
	toolong[32] = 0;
	assert_int_equal(bgx_parse_name("web", "NAME", &e), 0);
	assert_int_equal(bgx_parse_name("a", "NAME", &e), 0);
	assert_int_equal(bgx_parse_name("Web_1.prod-eu", "NAME", &e), 0);
	assert_int_equal(bgx_parse_name(longest, "NAME", &e), 0);
	expect_refused(bgx_parse_name(toolong, "NAME", &e), "32 chars");
	expect_refused(bgx_parse_name("", "NAME", &e), "empty");
	expect_refused(bgx_parse_name("we b", "NAME", &e), "space");
	expect_refused(bgx_parse_name("web/1", "NAME", &e), "slash");
	expect_refused(bgx_parse_name("web\"", "NAME", &e), "quote");
	expect_refused(bgx_parse_name("wéb", "NAME", &e), "utf8");
	expect_refused(bgx_parse_name("a:b", "NAME", &e), "colon");
}

static void test_color_proto_uint(void **state)
{
	__u32 c;
	__u8 p;
	unsigned long long v;

	(void)state;
	assert_int_equal(bgx_parse_color("blue", "c", &c, &e), 0);
	assert_int_equal(c, BGXDP_BLUE);
	assert_int_equal(bgx_parse_color("green", "c", &c, &e), 0);
	assert_int_equal(c, BGXDP_GREEN);
	expect_refused(bgx_parse_color("Blue", "c", &c, &e), "Blue");
	expect_refused(bgx_parse_color("red", "c", &c, &e), "red");
	expect_refused(bgx_parse_color("", "c", &c, &e), "empty");
	assert_int_equal(bgx_parse_proto("tcp", "p", &p, &e), 0);
	assert_int_equal(p, IPPROTO_TCP);
	assert_int_equal(bgx_parse_proto("udp", "p", &p, &e), 0);
	assert_int_equal(p, IPPROTO_UDP);
	expect_refused(bgx_parse_proto("sctp", "p", &p, &e), "sctp");
	assert_int_equal(bgx_parse_uint("1000", "w", 1, 1000, &v, &e), 0);
	assert_int_equal(v, 1000);
	expect_refused(bgx_parse_uint("0", "w", 1, 1000, &v, &e), "0");
	expect_refused(bgx_parse_uint("1001", "w", 1, 1000, &v, &e), "1001");
	expect_refused(bgx_parse_uint("-1", "w", 1, 1000, &v, &e), "-1");
	expect_refused(bgx_parse_uint("1k", "w", 1, 1000, &v, &e), "1k");
	expect_refused(bgx_parse_uint("99999999999999999999999", "w", 1, 1000, &v, &e), "huge");
}

static void test_format(void **state)
{
	struct endpoint ep;
	char buf[ENDPOINT_STRLEN];

	(void)state;
	bgx_parse_endpoint("[2001:db8::1]:443", "x", &ep, &e);
	format_endpoint(ep.addr, htons(ep.port), ep.family, buf, sizeof(buf));
	assert_string_equal(buf, "[2001:db8::1]:443");
	bgx_parse_endpoint("10.0.0.1:80", "x", &ep, &e);
	format_endpoint(ep.addr, htons(ep.port), ep.family, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.1:80");
	format_percent_bp(1050, buf, sizeof(buf));
	assert_string_equal(buf, "10.50");
	format_percent_bp(1, buf, sizeof(buf));
	assert_string_equal(buf, "0.01");
}

static void test_duration(void **state)
{
	__u64 ms;

	(void)state;
	assert_int_equal(bgx_parse_duration_ms("250ms", "d", 0, 3600000, &ms, &e), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(bgx_parse_duration_ms("2s", "d", 0, 3600000, &ms, &e), 0);
	assert_int_equal(ms, 2000);
	assert_int_equal(bgx_parse_duration_ms("1.5s", "d", 0, 3600000, &ms, &e), 0);
	assert_int_equal(ms, 1500);
	assert_int_equal(bgx_parse_duration_ms("1m", "d", 0, 3600000, &ms, &e), 0);
	assert_int_equal(ms, 60000);
	assert_int_equal(bgx_parse_duration_ms("1h", "d", 0, 3600000, &ms, &e), 0);
	assert_int_equal(ms, 3600000);
	assert_int_equal(bgx_parse_duration_ms("0.25s", "d", 0, 3600000, &ms, &e), 0);
	assert_int_equal(ms, 250);
	expect_refused(bgx_parse_duration_ms("1.0005s", "d", 0, 3600000, &ms, &e), "sub-ms");
	expect_refused(bgx_parse_duration_ms("2", "d", 0, 3600000, &ms, &e), "no unit");
	expect_refused(bgx_parse_duration_ms("s", "d", 0, 3600000, &ms, &e), "no number");
	expect_refused(bgx_parse_duration_ms("1.s", "d", 0, 3600000, &ms, &e), "no decimals");
	expect_refused(bgx_parse_duration_ms("-1s", "d", 0, 3600000, &ms, &e), "negative");
	expect_refused(bgx_parse_duration_ms("1 s", "d", 0, 3600000, &ms, &e), "space");
	expect_refused(bgx_parse_duration_ms("1sec", "d", 0, 3600000, &ms, &e), "unknown unit");
	expect_refused(bgx_parse_duration_ms("2h", "d", 0, 3600000, &ms, &e), "over max");
	expect_refused(bgx_parse_duration_ms("10ms", "d", 100, 3600000, &ms, &e), "under min");
	expect_refused(bgx_parse_duration_ms("9999999999s", "d", 0, 3600000, &ms, &e), "too long");
	expect_refused(bgx_parse_duration_ms(NULL, "d", 0, 3600000, &ms, &e), "NULL");
	bgx_parse_duration_ms("2x", "--interval", 0, 3600000, &ms, &e);
	assert_true(e.usage);
	assert_non_null(strstr(e.msg, "--interval '2x'"));
	bgx_err_clear(&e);
}

/* The first error recorded is the one kept: a low-level cause is not
 * overwritten by a caller's wrapper. */
static void test_first_error_wins(void **state)
{
	struct endpoint ep;

	(void)state;
	bgx_parse_endpoint("nonsense", "--vip", &ep, &e);
	bgx_fail(&e, EIO, "a wrapper's message");
	assert_non_null(strstr(e.msg, "--vip 'nonsense'"));
	assert_int_equal(e.code, -EINVAL);
	bgx_err_clear(&e);
	assert_int_equal(bgx_fail(NULL, ENOENT, "nobody listens"), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoint_good),
		cmocka_unit_test(test_endpoint_bad),
		cmocka_unit_test(test_port),
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_color_proto_uint),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_first_error_wins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
