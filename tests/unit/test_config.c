// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * config.c: every malformed config file is refused with one line
 * "FILE:LINE:COL: reason" pointing at the offending node, and leaves the
 * output untouched.  (Accepted forms and round trips: test_config_forms.c.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "config_yaml.h"
#include "config_test.h"

/* Refused with "t.yaml:<where>: ...<reason>...", one line, output untouched. */
static void refused_at(const char *yaml, size_t len, const char *where, const char *reason)
{
	struct bgx_desired *d = bgx_desired_new(), *before = bgx_desired_new();
	struct bgx_err e = { 0 };
	char prefix[64];
	int r;

	assert_non_null(d);
	assert_non_null(before);
	memset(d, 0x5a, sizeof(*d));
	memcpy(before, d, sizeof(*d));
	r = bgx_config_parse_buffer(yaml, len, "t.yaml", d, &e);
	if (r == 0)
		fail_msg("accepted a bad file (expected %s: %s):\n%s", where, reason, yaml);
	snprintf(prefix, sizeof(prefix), "t.yaml:%s: ", where);
	if (strncmp(e.msg, prefix, strlen(prefix)) || !strstr(e.msg, reason))
		fail_msg("expected '%s...%s', got '%s'", prefix, reason, e.msg);
	assert_int_equal(e.code, r);
	assert_true(e.usage);
	assert_null(strchr(e.msg, '\n'));
	assert_memory_equal(d, before, sizeof(*d));
	bgx_desired_free(d);
	bgx_desired_free(before);
}

#define REFUSED(yaml, where, reason) refused_at((yaml), strlen(yaml), (where), (reason))

static void test_refused_keys(void **state)
{
	(void)state;
	REFUSED("servces: []\n", "1:1", "unknown key 'servces' in the top level (expected flows, fast_path, prune, interfaces, services)");
	REFUSED(SVC "    wieght: 3\n", "4:5", "unknown key 'wieght' in service");
	REFUSED(SVC "    backends:\n      blue:\n        - {address: 10.1.0.1:80, wieght: 2}\n",
		"6:34", "unknown key 'wieght' in backend (expected address, weight, state)");
	REFUSED(SVC "    health: {interval: 1s, intervall: 2s}\n", "4:28", "unknown key 'intervall' in health");
	REFUSED("interfaces:\n  - {name: eth0, mod: native}\nservices: []\n", "2:18",
		"unknown key 'mod' in interface");
	REFUSED(SVC "    name: api\n", "4:5", "duplicate key 'name' in service (first at 2:5)");
	REFUSED("services: []\nservices: []\n", "2:1", "duplicate key 'services'");
	REFUSED("? [a, b]\n: 1\nservices: []\n", "1:3", "a key must be a plain word, got a list");
	REFUSED("interfaces: []\n", "1:1", "missing key 'services' (write services: [] for none)");
	REFUSED("services:\n  - vip: 10.0.0.1:80\n", "2:5", "service: missing key 'name'");
	REFUSED("services:\n  - name: web\n    proto: tcp\n", "2:5", "service 'web': missing key 'vip'");
	REFUSED(SVC "    backends: {blue: [{weight: 2}]}\n", "4:23", "backend: missing key 'address'");
	REFUSED("interfaces:\n  - {mode: native}\nservices: []\n", "2:5", "interface: missing key 'name'");
}

static void test_refused_colors(void **state)
{
	(void)state;
	REFUSED(SVC "    backends: {red: []}\n", "4:16", "unknown color 'red' in backends (expected blue, green)");
	REFUSED(SVC "    share: {red: 10}\n", "4:13", "unknown color 'red' in share");
	REFUSED(SVC "    active: red\n", "4:13", "active: bad value 'red' (expected blue or green)");
	REFUSED(SVC "    share: {green: 10}\n    active: blue\n", "5:13",
		"share and active both given (first at 4:12)");
	REFUSED(SVC "    share: {}\n", "4:12", "share: empty");
	REFUSED(SVC "    share: {green: 101}\n", "4:20", "share of green '101': out of range (expected 0..100)");
	REFUSED(SVC "    share: {green: 100.5}\n", "4:20", "out of range");
	REFUSED(SVC "    share: {green: 12.345}\n", "4:20", "not a percentage");
	REFUSED(SVC "    share: {green: \"10\"}\n", "4:20", "got a quoted string");
	REFUSED(SVC "    share: {blue: 50, green: 60}\n", "4:12", "add up to 110.00%, expected 100");
}

static void test_refused_types(void **state)
{
	(void)state;
	REFUSED("services:\n  - [web]\n", "2:5", "service: expected a mapping, got a list");
	REFUSED("services: {}\n", "1:11", "services: expected a list, got a mapping");
	REFUSED("- a\n", "1:1", "the top level: expected a mapping, got a list");
	REFUSED(SVC "    backends: {blue: [{address: 10.1.0.1:80, weight: \"5\"}]}\n", "4:54",
		"weight: expected a number 1..1000, got the quoted string '5'");
	REFUSED(SVC "    backends:\n      blue:\n        - address: 10.1.0.1:80\n          weight: heavy\n",
		"7:19", "weight 'heavy': not a number (expected an integer 1..1000)");
	REFUSED(SVC "    backends: {blue: [{address: 10.1.0.1:80, weight: 1001}]}\n", "4:54", "out of range");
	REFUSED("services:\n  - name: web\n    vip: {a: b}\n", "3:10",
		"vip: expected an address ADDR:PORT, got a mapping");
	REFUSED("flows: \"1024\"\nservices: []\n", "1:8", "flows: expected a number");
	REFUSED("flows: 10\nservices: []\n", "1:8", "flows '10': out of range (expected 1024..67108864)");
	REFUSED("prune: yes\nservices: []\n", "1:8", "prune: bad value 'yes' (expected true or false)");
	REFUSED(SVC "    health: on\n", "4:13", "health: expected a mapping of check settings or off, got 'on'");
	REFUSED(SVC "    health: {expire_flows_on_down: 1}\n", "4:36", "bad value '1' (expected true or false)");
	REFUSED(SVC "    proto: sctp\n", "4:12", "proto: bad value 'sctp' (expected tcp or udp)");
	REFUSED(SVC "    affinity: source\n", "4:15", "affinity: bad value 'source' (expected flow or client)");
	REFUSED(SVC "    backends: {blue: [{address: 10.1.0.1:80, state: up}]}\n", "4:53",
		"state: bad value 'up' (expected ready, drain or maint)");
	REFUSED("interfaces:\n  - {name: eth0, mode: fast}\nservices: []\n", "2:24",
		"mode: bad value 'fast' (expected auto, native or generic)");
	REFUSED("services:\n  - name:\n    vip: 10.0.0.1:80\n", "2:10", "name: no value");
	REFUSED("services:\n  - name: \"a\\0b\"\n    vip: 10.0.0.1:80\n", "2:11", "contains a NUL character");
}

static void test_refused_values(void **state)
{
	(void)state;
	REFUSED("services:\n  - name: web\n    vip: 10.0.0.1\n", "3:10", "vip '10.0.0.1': missing port");
	REFUSED("services:\n  - name: web\n    vip: 10.0.0.1:0\n", "3:10", "bad port '0'");
	REFUSED("services:\n  - name: web\n    vip: 10.0.0.300:80\n", "3:10", "bad IPv4 address '10.0.0.300'");
	REFUSED("services:\n  - name: web\n    vip: [2001:db8::1]:80\n", "3:10",
		"an IPv6 address must be quoted");
	REFUSED("services:\n  - name: web\n    vip: \"2001:db8::1:80\"\n", "3:10", "must be bracketed");
	REFUSED("services:\n  - name: we b\n    vip: 10.0.0.1:80\n", "2:11", "name 'we b': bad character 0x20");
	REFUSED("services:\n  - name: abcdefghijklmnopqrstuvwxyz0123456\n    vip: 10.0.0.1:80\n", "2:11",
		"must be 1..31 characters");
	REFUSED(SVC "    health: {interval: 5x}\n", "4:24", "interval '5x': not a duration");
	REFUSED(SVC "    health: {interval: 50ms}\n", "4:24", "out of range (expected 100ms..3600000ms)");
	REFUSED(SVC "    health: {rise: 0}\n", "4:20", "rise '0': out of range (expected 1..100)");
	REFUSED(SVC "    health: {port: 0}\n", "4:20", "port '0': out of range");
	REFUSED(SVC "    health: {check: http, expect: 200-700}\n", "4:35", "expect '700': out of range (expected 100..599)");
	REFUSED(SVC "    health: {check: http, expect: \"399-200\"}\n", "4:35", "range 399-200 ends before it starts");
	REFUSED(SVC "    health: {check: http, expect: \"200,,404\"}\n", "4:35", "expected status codes and ranges");
	REFUSED(SVC "    health: {check: http, path: healthz}\n", "4:33", "expected a URL path like /healthz");
	REFUSED(SVC "    health: {check: tcp, path: /x}\n", "4:32", "path: only for check: http");
	REFUSED(SVC "    health: {expect: 200}\n", "4:22", "expect: only for check: http");
	REFUSED(SVC "    health: {interval: 1s, timeout: 2s}\n", "4:37", "timeout 2s is longer than interval 1s");
	REFUSED("interfaces:\n  - {name: a/b}\nservices: []\n", "2:12", "not an interface name");
	REFUSED("interfaces:\n  - {name: eth0123456789abc}\nservices: []\n", "2:12", "not an interface name");
	REFUSED("fast_path: [eth1, \"e h\"]\nservices: []\n", "1:19", "not an interface name");
}

static void test_refused_duplicates(void **state)
{
	(void)state;
	REFUSED(SVC "  - name: web\n    vip: 10.0.0.2:80\n", "4:11", "service 'web' listed twice (first at 2:11)");
	REFUSED(SVC "  - name: api\n    vip: 10.0.0.1:80\n", "5:10",
		"vip 10.0.0.1:80 tcp: already the vip of service 'web' (first at 3:10)");
	REFUSED(SVC "  - name: api\n    vip: 10.0.0.2:80\n    preview: 10.0.0.1:80\n", "6:14",
		"preview 10.0.0.1:80 tcp: already the vip of service 'web'");
	REFUSED(SVC "    preview: 10.0.0.1:80\n", "4:14", "preview 10.0.0.1:80: the same as the service's vip");
	REFUSED(SVC "    backends:\n      blue:\n        - 10.1.0.1:80\n        - 10.1.0.1:80\n", "7:11",
		"blue backend 10.1.0.1:80 listed twice in service 'web' (first at 6:11)");
	REFUSED(SVC "    backends: {blue: [10.1.0.1:80]}\n  - name: api\n    vip: 10.0.0.2:80\n"
		"    backends: {green: [10.1.0.1:80]}\n", "7:24",
		"backend 10.1.0.1:80 is a backend of service 'web' already (first at 4:23)");
	REFUSED("interfaces:\n  - {name: eth0}\n  - {name: eth0}\nservices: []\n", "3:12",
		"interface eth0 listed twice (first at 2:12)");
	REFUSED("fast_path: [eth1, eth1]\nservices: []\n", "1:19", "fast_path eth1 listed twice (first at 1:13)");
}

static void test_refused_families(void **state)
{
	(void)state;
	REFUSED(SVC "    backends: {blue: [\"[2001:db8::1]:80\"]}\n", "4:23",
		"blue backend [2001:db8::1]:80 is IPv6 but the vip 10.0.0.1:80 is IPv4");
	REFUSED(SVC "    preview: \"[2001:db8::1]:80\"\n", "4:14", "preview [2001:db8::1]:80 is IPv6 but the vip 10.0.0.1:80 is IPv4");
	REFUSED("services:\n  - name: web\n    vip: \"[2001:db8::1]:80\"\n    backends:\n      green: [10.1.0.1:80]\n",
		"5:15", "green backend 10.1.0.1:80 is IPv4 but the vip [2001:db8::1]:80 is IPv6");
}

static void test_refused_yaml(void **state)
{
	(void)state;
	REFUSED("", "1:1", "empty file");
	REFUSED("# nothing but a comment\n", "1:1", "empty file");
	REFUSED("---\n", "1:1", "empty document");
	REFUSED("services:\n\t- x\n", "2:1", "bad YAML: found character that cannot start any token");
	REFUSED("services: [\n", "2:1", "bad YAML: did not find expected node content");
	REFUSED(SVC "   proto: tcp\n", "4:4", "bad YAML: did not find expected '-' indicator (while parsing a block collection at line 2)");
	REFUSED("services: []\n  interfaces: []\n", "2:3", "bad YAML: did not find expected key");
	REFUSED("services: \"abc\n", "2:1", "bad YAML: found unexpected end of stream");
	REFUSED("services: &s []\n", "1:11", "anchors (&s) are not supported");
	REFUSED("services: *s\n", "1:11", "aliases (*s) are not supported");
	REFUSED("services: !!seq []\n", "1:11", "tags (tag:yaml.org,2002:seq) are not supported");
	REFUSED("services:\n  - name: !!str web\n    vip: 10.0.0.1:80\n", "2:11", "tags");
	REFUSED("%YAML 1.1\n---\nservices: []\n", "1:1", "directives (%YAML, %TAG) are not supported");
	REFUSED("services: []\n---\nservices: []\n", "2:1", "a second document");
	REFUSED("services: []\n...\n---\nservices: []\n", "3:1", "a second document");
	REFUSED("prune: true\nservices: []\n", "1:8", "prune: true with no interfaces listed");
	REFUSED("services: [\xff]\n", "1:12", "bad YAML: invalid leading UTF-8 octet");
	/* lines as YAML counts them: CR LF and a lone CR end a line too */
	REFUSED("services:\r\n  - name: web\r\n    vip: 10.0.0.1\r\n", "3:10", "vip '10.0.0.1': missing port");
	REFUSED("services:\r  - name: web\r    vip: 10.0.0.1\r", "3:10", "vip '10.0.0.1': missing port");
	REFUSED("# caf\xc3\xa9\nservices: [\xff]\n", "2:12", "invalid leading UTF-8 octet");
	REFUSED("# caf\xc3\xa9 \xff\nservices: []\n", "1:8", "invalid leading UTF-8 octet");
}

/* Over the limit: one long comment line, so the first byte past the limit
 * is on line 2 at column limit - 13 + 1. */
static void test_refused_size(void **state)
{
	size_t len = BGX_CONFIG_MAX_BYTES + 100;
	char *big = malloc(len), where[32];

	(void)state;
	assert_non_null(big);
	memset(big, 'x', len);
	memcpy(big, "services: []\n#", 14);
	snprintf(where, sizeof(where), "2:%u", BGX_CONFIG_MAX_BYTES - 13 + 1);
	refused_at(big, len, where, "file too large: more than 1048576 bytes");
	/* exactly at the limit it is read (and is a valid file) */
	{
		struct bgx_desired *d = bgx_desired_new();
		struct bgx_err e = { 0 };

		assert_int_equal(bgx_config_parse_buffer(big, BGX_CONFIG_MAX_BYTES, "t.yaml", d, &e), 0);
		bgx_desired_free(d);
	}
	free(big);
}

/* The data plane's limits: 16 services, 128 backends per color. */
static void test_refused_limits(void **state)
{
	char *y = malloc(64 * 1024), where[16];
	size_t off;

	(void)state;
	assert_non_null(y);
	off = (size_t)sprintf(y, "services:\n");
	for (int i = 0; i < 17; i++)
		off += (size_t)sprintf(y + off, "  - {name: s%d, vip: 10.0.0.%d:80}\n", i, i + 1);
	REFUSED(y, "18:5", "services: at most 16");
	off = (size_t)sprintf(y, SVC "    backends:\n      green:\n");
	for (int i = 0; i < 129; i++)
		off += (size_t)sprintf(y + off, "        - 10.1.%d.%d:80\n", i / 200, i % 200 + 1);
	snprintf(where, sizeof(where), "%d:11", 6 + 128);
	REFUSED(y, where, "green: at most 128 backends per color");
	free(y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused_keys),
		cmocka_unit_test(test_refused_colors),
		cmocka_unit_test(test_refused_types),
		cmocka_unit_test(test_refused_values),
		cmocka_unit_test(test_refused_duplicates),
		cmocka_unit_test(test_refused_families),
		cmocka_unit_test(test_refused_yaml),
		cmocka_unit_test(test_refused_size),
		cmocka_unit_test(test_refused_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
