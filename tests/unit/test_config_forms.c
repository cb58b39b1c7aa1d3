// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * config_forms.c: the declarative config file.  Every accepted form means
 * what it says; emit -> parse -> emit is byte-identical (a rich file, the
 * example, random states) and the digest depends on the state only, not
 * on how the file was written.
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
#include "config_test.h"
#include "model_gen.h"

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
	/* one address in both colors of a service, and in services of two protocols */
	bgx_desired_free(parse_ok(SVC "    backends: {blue: [10.1.0.1:80], green: [10.1.0.1:80]}\n"));
	bgx_desired_free(parse_ok(SVC "    backends: {blue: [10.1.0.1:80]}\n  - name: dns\n    vip: 10.0.0.1:80\n"
				  "    proto: udp\n    backends: {blue: [10.1.0.1:80]}\n"));
}

/* What the words mean, and positions kept for later checks. */
static void test_values(void **state)
{
	struct bgx_desired *d;
	const struct bgx_desired_health *h;

	(void)state;
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
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_values),
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
