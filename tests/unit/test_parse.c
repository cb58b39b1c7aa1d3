// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* parse.c: every accepted and refused form of the CLI values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "values.h"
#include "util.h"

static void expect_refused(int r, const char *what)
{
	if (r == 0)
		fail_msg("accepted bad value: %s", what);
	assert_true(r < 0);
	assert_true(strlen(err_msg()) > 0);
	err_clear();
}

static void test_endpoint_good(void **state)
{
	struct endpoint ep;
	__u8 v6[16];

	(void)state;
	assert_int_equal(parse_endpoint("10.0.0.1:80", "x", &ep), 0);
	assert_int_equal(ep.family, BGXDP_FAMILY_IPV4);
	assert_int_equal(ep.port, 80);
	assert_memory_equal(ep.addr, "\x0a\x00\x00\x01", 4);
	for (int i = 4; i < 16; i++)
		assert_int_equal(ep.addr[i], 0);
	assert_int_equal(parse_endpoint("0.0.0.0:1", "x", &ep), 0);
	assert_int_equal(parse_endpoint("255.255.255.255:65535", "x", &ep), 0);
	assert_int_equal(ep.port, 65535);
	assert_int_equal(parse_endpoint("[2001:db8::1]:443", "x", &ep), 0);
	assert_int_equal(ep.family, BGXDP_FAMILY_IPV6);
	assert_int_equal(ep.port, 443);
	inet_pton(AF_INET6, "2001:db8::1", v6);
	assert_memory_equal(ep.addr, v6, 16);
	assert_int_equal(parse_endpoint("[::1]:8080", "x", &ep), 0);
	assert_int_equal(parse_endpoint("[::ffff:10.0.0.1]:80", "x", &ep), 0);
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
		expect_refused(parse_endpoint(bad[i], "--vip", &ep), bad[i]);
	expect_refused(parse_endpoint(NULL, "--vip", &ep), "NULL");
	/* the message names the argument */
	parse_endpoint("10.0.0.1", "--vip", &ep);
	assert_non_null(strstr(err_msg(), "--vip"));
	err_clear();
}

static void test_port(void **state)
{
	__u16 p;

	(void)state;
	assert_int_equal(parse_port("1", "p", &p), 0);
	assert_int_equal(p, 1);
	assert_int_equal(parse_port("65535", "p", &p), 0);
	assert_int_equal(p, 65535);
	expect_refused(parse_port("0", "p", &p), "0");
	expect_refused(parse_port("65536", "p", &p), "65536");
	expect_refused(parse_port("abc", "p", &p), "abc");
	expect_refused(parse_port("", "p", &p), "empty");
	expect_refused(parse_port("-1", "p", &p), "-1");
	expect_refused(parse_port("123456", "p", &p), "123456");
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
		assert_int_equal(parse_percent_bp(good[i].s, "PERCENT", &bp), 0);
		assert_int_equal(bp, good[i].bp);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_refused(parse_percent_bp(bad[i], "PERCENT", &bp), bad[i]);
	expect_refused(parse_percent_bp(NULL, "PERCENT", &bp), "NULL");
}

static void test_name(void **state)
{
	char longest[32], toolong[33];

	(void)state;
	memset(longest, 'a', 31);
	longest[31] = 0;
	memset(toolong, 'a', 32);
	toolong[32] = 0;
	assert_int_equal(parse_name("web", "NAME"), 0);
	assert_int_equal(parse_name("a", "NAME"), 0);
	assert_int_equal(parse_name("Web_1.prod-eu", "NAME"), 0);
	assert_int_equal(parse_name(longest, "NAME"), 0);
	expect_refused(parse_name(toolong, "NAME"), "32 chars");
	expect_refused(parse_name("", "NAME"), "empty");
	expect_refused(parse_name("we b", "NAME"), "space");
	expect_refused(parse_name("web/1", "NAME"), "slash");
	expect_refused(parse_name("web\"", "NAME"), "quote");
	expect_refused(parse_name("wéb", "NAME"), "utf8");
	expect_refused(parse_name("a:b", "NAME"), "colon");
}

static void test_color_proto_uint(void **state)
{
	__u32 c;
	__u8 p;
	unsigned long long v;

	(void)state;
	assert_int_equal(parse_color("blue", "c", &c), 0);
	assert_int_equal(c, BGXDP_BLUE);
	assert_int_equal(parse_color("green", "c", &c), 0);
	assert_int_equal(c, BGXDP_GREEN);
	expect_refused(parse_color("Blue", "c", &c), "Blue");
	expect_refused(parse_color("red", "c", &c), "red");
	expect_refused(parse_color("", "c", &c), "empty");
	assert_int_equal(parse_proto("tcp", "p", &p), 0);
	assert_int_equal(p, IPPROTO_TCP);
	assert_int_equal(parse_proto("udp", "p", &p), 0);
	assert_int_equal(p, IPPROTO_UDP);
	expect_refused(parse_proto("sctp", "p", &p), "sctp");
	assert_int_equal(parse_uint("1000", "w", 1, 1000, &v), 0);
	assert_int_equal(v, 1000);
	expect_refused(parse_uint("0", "w", 1, 1000, &v), "0");
	expect_refused(parse_uint("1001", "w", 1, 1000, &v), "1001");
	expect_refused(parse_uint("-1", "w", 1, 1000, &v), "-1");
	expect_refused(parse_uint("1k", "w", 1, 1000, &v), "1k");
	expect_refused(parse_uint("99999999999999999999999", "w", 1, 1000, &v), "huge");
}

static void test_format(void **state)
{
	struct endpoint ep;
	char buf[ENDPOINT_STRLEN];

	(void)state;
	parse_endpoint("[2001:db8::1]:443", "x", &ep);
	format_endpoint(ep.addr, htons(ep.port), ep.family, buf, sizeof(buf));
	assert_string_equal(buf, "[2001:db8::1]:443");
	parse_endpoint("10.0.0.1:80", "x", &ep);
	format_endpoint(ep.addr, htons(ep.port), ep.family, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.1:80");
	format_percent_bp(1050, buf, sizeof(buf));
	assert_string_equal(buf, "10.50");
	format_percent_bp(1, buf, sizeof(buf));
	assert_string_equal(buf, "0.01");
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
