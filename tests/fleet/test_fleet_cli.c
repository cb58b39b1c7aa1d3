// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_fleet_cli.c - `fleet apply` and `fleet status` (their run(), as the
 * agent's program calls it) against a real etcd with authentication on (a
 * password file) and one that speaks only TLS with client certificates:
 * the options reach the etcd client, a revision is stored once, the same
 * file again stores nothing, the JSON has its keys, a wrong password is
 * refused with etcd's reason and writes nothing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <jansson.h>
#include "cli.h"
#include "etcd_server.h"
#include "fleet_cmd.h"

static struct etcd_server server;
static char file[300], good_pw[300], bad_pw[300];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
}

static void files(void)
{
	snprintf(file, sizeof(file), "%s/web.yaml", server.dir);
	snprintf(good_pw, sizeof(good_pw), "%s/good.pw", server.dir);
	snprintf(bad_pw, sizeof(bad_pw), "%s/bad.pw", server.dir);
	write_file(file, "services:\n  - name: web\n    vip: 10.0.0.1:80\n    backends: {blue: [10.1.0.1:8080]}\n");
	write_file(good_pw, "good\n");
	write_file(bad_pw, "bad\n");
}

static int auth_setup(void **state)
{
	char answer[256];

	(void)state;
	if (etcd_server_start(&server, false, 0))
		return -1;
	if (etcd_server_post(&server, "/v3/auth/user/add", "{\"name\":\"root\",\"password\":\"good\"}",
			     NULL, answer, sizeof(answer)) != 200 ||
	    etcd_server_post(&server, "/v3/auth/user/grant", "{\"user\":\"root\",\"role\":\"root\"}",
			     NULL, answer, sizeof(answer)) != 200 ||
	    etcd_server_post(&server, "/v3/auth/enable", "{}", NULL, answer, sizeof(answer)) != 200)
		return -1;
	files();
	return 0;
}

static int tls_setup(void **state)
{
	(void)state;
	if (!etcd_test_tls_dir())
		return 0;               /* each test skips, saying why */
	if (etcd_server_start(&server, true, 0))
		return -1;
	files();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (server.pid)
		etcd_server_destroy(&server);
	memset(&server, 0, sizeof(server));
	return 0;
}

struct run {
	char *out;
	size_t len;
	struct bgx_err err;
	int r;
};

/* One command: its run() with `p`, output and error kept. */
static struct run run_cmd(int (*fn)(const void *, struct cli *), const struct cmd_spec *spec,
			  const void *p, bool json)
{
	struct run res = { 0 };
	struct cli cli = { .spec = spec, .pin_dir = "/nonexistent" };

	cli.globals.json = json;
	cli.out = open_memstream(&res.out, &res.len);
	res.r = fn(p, &cli);
	fclose(cli.out);
	res.err = cli.err;
	return res;
}

static struct fleet_etcd_params etcd_params(void)
{
	struct fleet_etcd_params e = { .endpoints = server.url, .timeout_ms = 2000 };

	snprintf(e.fleet, sizeof(e.fleet), "web");
	if (server.tls) {
		e.ca_file = etcd_test_tls_file(0, "ca.crt");
		e.cert_file = etcd_test_tls_file(1, "client.crt");
		e.key_file = etcd_test_tls_file(2, "client.key");
	} else {
		e.user = "root";
		e.password_file = good_pw;
	}
	return e;
}

/* apply, apply again (nothing stored), status in JSON. */
static void apply_and_status(void)
{
	struct fleet_apply_params a = { .etcd = etcd_params(), .file = file };
	struct fleet_status_params s = { .etcd = etcd_params() };
	struct run res;
	json_t *doc;

	res = run_cmd(run_fleet_apply, &cmd_fleet_apply, &a, false);
	if (res.r)
		fail_msg("fleet apply: %s", res.err.msg);
	assert_non_null(strstr(res.out, "revision 1 stored"));
	free(res.out);
	res = run_cmd(run_fleet_apply, &cmd_fleet_apply, &a, true);
	assert_int_equal(res.r, 0);
	doc = json_loads(res.out, 0, NULL);
	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(doc, "revision")), 1);
	assert_true(json_is_false(json_object_get(doc, "stored")));
	json_decref(doc);
	free(res.out);
	res = run_cmd(run_fleet_status, &cmd_fleet_status, &s, true);
	assert_int_equal(res.r, 0);             /* no host yet: none is stale */
	doc = json_loads(res.out, 0, NULL);
	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "desired"),
							    "revision")), 1);
	assert_true(json_is_true(json_object_get(doc, "in_sync")));
	assert_int_equal(json_array_size(json_object_get(doc, "hosts")), 0);
	json_decref(doc);
	free(res.out);
}

static void test_with_password_file(void **state)
{
	struct fleet_apply_params a = { .etcd = etcd_params(), .file = file };
	struct run res;

	(void)state;
	apply_and_status();
	a.etcd.password_file = bad_pw;
	write_file(file, "services: []\n");
	res = run_cmd(run_fleet_apply, &cmd_fleet_apply, &a, false);
	assert_true(res.r < 0);
	assert_non_null(strstr(res.err.msg, "authentication failed"));
	assert_int_equal(res.len, 0);
	free(res.out);
}

static void test_with_tls(void **state)
{
	(void)state;
	if (!server.pid) {
		print_message("skipped: no TLS material (FLEET_TLS_DIR unset: openssl missing "
			      "or tests/fleet/run.sh not used)\n");
		skip();
	}
	apply_and_status();
}

int main(void)
{
	const struct CMUnitTest auth[] = { cmocka_unit_test(test_with_password_file) };
	const struct CMUnitTest tls[] = { cmocka_unit_test(test_with_tls) };

	return cmocka_run_group_tests_name("fleet commands, etcd authentication", auth, auth_setup,
					   teardown) |
	       cmocka_run_group_tests_name("fleet commands, etcd TLS", tls, tls_setup, teardown);
}
