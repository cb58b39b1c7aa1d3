// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * config.c: the declarative config file.  Every malformed file is refused
 * with one line "FILE:LINE:COL: reason" pointing at the offending node and
 * leaves the output untouched; every accepted form means what it says;
 * emit -> parse -> emit is byte-identical and the digest only depends on
 * the state, not on how the file was written.
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
#include <sodium.h>
#include "config_yaml.h"
#include "model_gen.h"

/* tests/unit/config/<name>, next to this file (make runs from the top). */
static void data_path(const char *name, char *buf, size_t len)
{
	const char *slash = strrchr(__FILE__, '/');

	snprintf(buf, len, "%.*s/config/%s", slash ? (int)(slash - __FILE__) : 1,
		 slash ? __FILE__ : ".", name);
}

static struct bgx_desired *parse_ok(const char *yaml)
{
	struct bgx_desired *d = bgx_desired_new();
	struct bgx_err e = { 0 };

	assert_non_null(d);
	if (bgx_config_parse_buffer(yaml, strlen(yaml), "t.yaml", d, &e))
		fail_msg("refused a good file: %s\n%s", e.msg, yaml);
	return d;
}

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

/* A service `web` on 10.0.0.1:80; its lines are 2 and 3. */
#define SVC "services:\n  - name: web\n    vip: 10.0.0.1:80\n"

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

/* ---- accepted forms ------------------------------------------------------ */

static void same_state(const char *a, const char *b)
{
	struct bgx_desired *x = parse_ok(a), *y = parse_ok(b);

	if (!bgx_desired_equal(x, y))
		fail_msg("these should mean the same:\n%s\n--\n%s", a, b);
	bgx_desired_free(x);
	bgx_desired_free(y);
}

static void test_forms(void **state)
{
	struct bgx_desired *d;
	const struct bgx_desired_health *h;

	(void)state;
	same_state(SVC "    share: {blue: 90}\n", SVC "    share: {green: 10}\n");
	same_state(SVC "    share: {blue: 25, green: 75}\n", SVC "    share: {green: 75.00}\n");
	same_state(SVC "    active: green\n", SVC "    share: {green: 100}\n");
	same_state(SVC "    active: blue\n", SVC "    share: {blue: 100}\n");
	same_state(SVC, SVC "    active: blue\n    proto: tcp\n    affinity: flow\n");
	same_state(SVC "    backends: {blue: [10.1.0.1:80]}\n",
		   SVC "    backends:\n      blue:\n        - {address: \"10.1.0.1:80\", weight: 1, state: ready}\n      green: []\n");
	same_state(SVC "    health: {}\n",
		   SVC "    health: {check: tcp, interval: 1s, timeout: 500ms, rise: 2, fall: 2, expire_flows_on_down: false}\n");
	same_state(SVC "    health: {check: http}\n", SVC "    health: {check: http, path: /, expect: 200-399}\n");
	same_state(SVC "    health: {check: http, expect: \"404,200-299,300-410\"}\n",
		   SVC "    health: {check: http, expect: 200-410}\n");
	same_state(SVC "    health: {interval: 1000ms, timeout: 0.5s}\n", SVC "    health: {}\n");
	same_state("interfaces: []\nservices: []\n", "services: []\n");
	same_state("services: []\ninterfaces:\n  - {name: eth0}\n", "interfaces: [{name: eth0, mode: auto}]\nservices: []\n");

	/* what the words mean */
	d = parse_ok(SVC "    proto: udp\n    affinity: client\n    share: {green: 12.34}\n"
		     "    backends: {green: [{address: 10.1.0.1:80, weight: 7, state: maint}, {address: 10.1.0.2:80, state: drain}]}\n"
		     "    health: {check: http, path: /h, expect: 204, interval: 2s, timeout: 1s, rise: 3, fall: 4, port: 9000,"
		     " fastinter: 200ms, downinter: 1m, expire_flows_on_down: true}\n");
	assert_int_equal(d->n_services, 1);
	assert_int_equal(d->services[0].def.proto, IPPROTO_UDP);
	assert_int_equal(d->services[0].def.affinity_client, 1);
	assert_int_equal(d->services[0].green_bp, 1234);
	assert_int_equal(d->services[0].n_backends[BGXDP_GREEN], 2);
	assert_int_equal(d->services[0].backends[BGXDP_GREEN][0].weight, 7);
	assert_int_equal(d->services[0].backends[BGXDP_GREEN][0].state, BACKEND_DOWN);
	assert_int_equal(d->services[0].backends[BGXDP_GREEN][1].state, BACKEND_DRAIN);
	h = &d->services[0].health;
	assert_int_equal(h->mode, BGX_HEALTH_ON);
	assert_int_equal(h->check, BGX_CHECK_HTTP);
	assert_string_equal(h->path, "/h");
	assert_int_equal(h->n_expect, 1);
	assert_int_equal(h->expect[0].lo, 204);
	assert_int_equal(h->expect[0].hi, 204);
	assert_int_equal(h->interval_ms, 2000);
	assert_int_equal(h->timeout_ms, 1000);
	assert_int_equal(h->rise, 3);
	assert_int_equal(h->fall, 4);
	assert_int_equal(h->port, 9000);
	assert_int_equal(h->fastinter_ms, 200);
	assert_int_equal(h->downinter_ms, 60000);
	assert_int_equal(h->expire_flows_on_down, 1);
	/* positions are kept for later checks */
	assert_int_equal(d->services[0].pos_vip.line, 3);
	assert_int_equal(d->services[0].pos_vip.col, 10);
	assert_int_equal(d->services[0].backends[BGXDP_GREEN][1].pos.line, 7);
	bgx_desired_free(d);

	/* one address in both colors of a service, and in services of two protocols */
	bgx_desired_free(parse_ok(SVC "    backends: {blue: [10.1.0.1:80], green: [10.1.0.1:80]}\n"));
	bgx_desired_free(parse_ok(SVC "    backends: {blue: [10.1.0.1:80]}\n  - name: dns\n    vip: 10.0.0.1:80\n"
				  "    proto: udp\n    backends: {blue: [10.1.0.1:80]}\n"));
	d = parse_ok("services: []\n");
	assert_int_equal(d->n_services, 0);
	bgx_desired_free(d);
}

/* bgx_desired_fail_at: what the library uses for its own refusals. */
static void test_fail_at(void **state)
{
	struct bgx_desired *d = parse_ok(SVC "    backends: {blue: [10.1.0.1:80]}\n");
	struct bgx_err e = { 0 };

	(void)state;
	assert_int_equal(bgx_desired_fail_at(d, d->services[0].backends[0][0].pos, &e, 22, "no route to %s", "it"), -22);
	assert_string_equal(e.msg, "t.yaml:4:23: no route to it");
	bgx_err_clear(&e);
	bgx_desired_fail_at(d, (struct bgx_src_pos){ 0, 0 }, &e, 22, "x");
	assert_string_equal(e.msg, "t.yaml: x");
	bgx_desired_free(d);
}

/* ---- round trips and digests ----------------------------------------------------- */

static char *emit_ok(const struct bgx_desired *d)
{
	struct bgx_err e = { 0 };
	char *text;
	size_t len;

	if (bgx_config_emit(d, &text, &len, &e))
		fail_msg("emit failed: %s", e.msg);
	assert_int_equal(strlen(text), len);
	return text;
}

/* parse(emit(m)) == m, emit(parse(emit(m))) byte-identical, the digest is
 * the SHA-256 of that text. */
static void round_trip(const struct bgx_desired *m)
{
	char *t1 = emit_ok(m), *t2, hex[BGX_DIGEST_HEX_LEN], want[BGX_DIGEST_HEX_LEN];
	unsigned char hash[crypto_hash_sha256_BYTES];
	struct bgx_desired *back = parse_ok(t1);
	struct bgx_err e = { 0 };

	if (!bgx_desired_equal(m, back))
		fail_msg("parse(emit(m)) differs from m:\n%s", t1);
	t2 = emit_ok(back);
	assert_string_equal(t1, t2);
	assert_int_equal(bgx_config_digest(back, hex, &e), 0);
	crypto_hash_sha256(hash, (unsigned char *)t1, strlen(t1));
	sodium_bin2hex(want, sizeof(want), hash, sizeof(hash));
	assert_string_equal(hex, want);
	free(t1);
	free(t2);
	bgx_desired_free(back);
}

static struct bgx_desired *parse_path(const char *path)
{
	struct bgx_desired *d = bgx_desired_new();
	struct bgx_err e = { 0 };

	assert_non_null(d);
	if (bgx_config_parse_file(path, d, &e))
		fail_msg("%s refused: %s", path, e.msg);
	return d;
}

static void test_round_trip_rich(void **state)
{
	char path[512], *text;
	struct bgx_desired *d;

	(void)state;
	data_path("rich.yaml", path, sizeof(path));
	d = parse_path(path);
	assert_int_equal(d->n_services, 3);
	assert_int_equal(d->n_ifaces, 3);
	assert_true(d->prune);
	/* canonical order: services by name, backends by address */
	assert_string_equal(d->services[0].def.name, "1st");
	assert_string_equal(d->services[2].def.name, "zeta-udp");
	assert_int_equal(d->services[1].backends[BGXDP_GREEN][0].ep.addr[3], 20);
	round_trip(d);
	text = emit_ok(d);
	/* defaults are written, IPv6 quoted, the share in its one canonical form */
	assert_non_null(strstr(text, "  share: {green: 12.5}\n"));
	assert_non_null(strstr(text, "  active: green\n"));
	assert_non_null(strstr(text, "  vip: '[2001:db8::53]:53'\n"));
	assert_non_null(strstr(text, "    - {address: '10.1.0.30:80', weight: 1, state: ready}\n"));
	assert_non_null(strstr(text, "- name: \"1st\"\n"));
	assert_non_null(strstr(text, "    expect: 200-399,404\n"));
	assert_non_null(strstr(text, "  health: off\n"));
	assert_int_equal(strncmp(text, "# bgxdp config", 14), 0);
	free(text);
	bgx_desired_free(d);
}

/* The digest names the state, not the text it came from. */
static void test_digest(void **state)
{
	static const char *const a =
		"services:\n  - name: b\n    vip: 10.0.0.2:80\n    backends: {blue: [10.1.0.2:80, 10.1.0.1:80]}\n"
		"  - name: a\n    vip: 10.0.0.1:80\n    share: {blue: 90}\n"
		"    backends: {green: [10.2.0.1:80], blue: [10.1.0.3:80]}\n";
	static const char *const b =
		"# same state, other words\nservices:\n- name: a\n  vip: \"10.0.0.1:80\"\n  share: {green: 10.0}\n"
		"  backends:\n    blue: [{address: 10.1.0.3:80, weight: 1}]\n    green: [10.2.0.1:80]\n"
		"- {name: b, vip: 10.0.0.2:80, proto: tcp, backends: {blue: [10.1.0.1:80, 10.1.0.2:80]}}\n";
	struct bgx_desired *x = parse_ok(a), *y = parse_ok(b);
	char hx[BGX_DIGEST_HEX_LEN], hy[BGX_DIGEST_HEX_LEN];
	struct bgx_err e = { 0 };

	(void)state;
	assert_int_equal(bgx_config_digest(x, hx, &e), 0);
	assert_int_equal(bgx_config_digest(y, hy, &e), 0);
	assert_int_equal(strlen(hx), 64);
	assert_string_equal(hx, hy);
	y->services[0].backends[BGXDP_BLUE][0].weight = 2;
	assert_int_equal(bgx_config_digest(y, hy, &e), 0);
	assert_string_not_equal(hx, hy);
	bgx_desired_free(x);
	bgx_desired_free(y);
}

/* Random models: every one round-trips. */
static void test_round_trip_random(void **state)
{
	struct bgx_desired *m = bgx_desired_new();
	struct gen g = { 20240601 };
	struct bgx_err e = { 0 };

	(void)state;
	for (int i = 0; i < 300; i++) {
		gen_model(&g, m);
		if (bgx_desired_validate(m, &e))
			fail_msg("generated an invalid model: %s", e.msg);
		round_trip(m);
	}
	bgx_desired_free(m);
}

/* The example config (ours, and contrib's once it is in the tree). */
static void test_example(void **state)
{
	char path[512];
	struct bgx_desired *d;

	(void)state;
	data_path("bgxdp.yaml.example", path, sizeof(path));
	d = parse_path(path);
	assert_int_equal(d->n_services, 2);
	assert_int_equal(d->services[1].green_bp, 1000);
	assert_int_equal(d->services[1].health.check, BGX_CHECK_HTTP);
	round_trip(d);
	bgx_desired_free(d);
}

static void test_example_contrib(void **state)
{
	struct bgx_desired *d;

	(void)state;
	if (access("contrib/bgxdp.yaml.example", R_OK)) {
		print_message("contrib/bgxdp.yaml.example is not in this tree (another branch adds it)\n");
		skip();
		return;
	}
	d = parse_path("contrib/bgxdp.yaml.example");
	round_trip(d);
	bgx_desired_free(d);
}

/* "-" reads stdin and names it <stdin> in messages. */
static void test_stdin(void **state)
{
	char path[] = "/tmp/bgxdp-test-config-XXXXXX";
	int fd = mkstemp(path), saved = dup(0);
	struct bgx_desired *d = bgx_desired_new();
	struct bgx_err e = { 0 };
	static const char bad[] = "services:\n  - name: web\n    vip: nowhere\n";

	(void)state;
	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(write(fd, bad, sizeof(bad) - 1), (ssize_t)sizeof(bad) - 1);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(dup2(fd, 0), 0);
	clearerr(stdin);
	assert_true(bgx_config_parse_file("-", d, &e) < 0);
	assert_int_equal(strncmp(e.msg, "<stdin>:3:10: vip 'nowhere'", 27), 0);
	dup2(saved, 0);
	close(saved);
	close(fd);
	bgx_err_clear(&e);
	assert_true(bgx_config_parse_file(path, d, &e) < 0);
	assert_int_equal(strncmp(e.msg, path, strlen(path)), 0);
	unlink(path);
	bgx_err_clear(&e);
	assert_true(bgx_config_parse_file("/nonexistent/bgxdp.yaml", d, &e) < 0);
	assert_non_null(strstr(e.msg, "cannot open"));
	assert_false(e.usage);
	bgx_desired_free(d);
}

/* A buffer is read to its length only (etcd values are not NUL-terminated). */
static void test_buffer_length(void **state)
{
	static const char text[] = "services: []\nthis is not yaml: [";
	struct bgx_desired *d = bgx_desired_new();
	struct bgx_err e = { 0 };

	(void)state;
	assert_int_equal(bgx_config_parse_buffer(text, 13, "etcd", d, &e), 0);
	assert_true(bgx_config_parse_buffer(text, sizeof(text) - 1, "etcd", d, &e) < 0);
	bgx_desired_free(d);
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
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_fail_at),
		cmocka_unit_test(test_round_trip_rich),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_round_trip_random),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_example_contrib),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_buffer_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
