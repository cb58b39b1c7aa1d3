// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_etcd_security.c - the etcd client against an etcd with
 * authentication on (user and password, tokens that expire) and against
 * an etcd that speaks only TLS and wants a client certificate.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include "etcd.h"
#include "etcd_server.h"

#define TOKEN_TTL_S 2

static struct etcd_server server;

static void setup_post(const char *path, const char *json)
{
	char answer[512];
	long status = etcd_server_post(&server, path, json, NULL, answer, sizeof(answer));

	if (status != 200)
		fail_msg("%s: HTTP %ld %s", path, status, answer);
}

/* etcd with a root user (password "good") and authentication on. */
static int auth_setup(void **state)
{
	(void)state;
	if (etcd_server_start(&server, false, TOKEN_TTL_S))
		return -1;
	setup_post("/v3/auth/user/add", "{\"name\":\"root\",\"password\":\"good\"}");
	setup_post("/v3/auth/user/grant", "{\"user\":\"root\",\"role\":\"root\"}");
	setup_post("/v3/auth/enable", "{}");
	return 0;
}

static int server_teardown(void **state)
{
	(void)state;
	etcd_server_destroy(&server);
	return 0;
}

static struct etcd_client *open_client(const struct etcd_config *cfg)
{
	struct etcd_client *c;
	struct bgx_err e = { 0 };

	if (etcd_open(cfg, &c, &e))
		fail_msg("etcd_open: %s", e.msg);
	return c;
}

static void test_no_credentials(void **state)
{
	struct etcd_config cfg = { .endpoints = server.url };
	struct etcd_client *c = open_client(&cfg);
	struct bgx_err e = { 0 };

	(void)state;
	assert_int_equal(etcd_put(c, "k", "v", 1, 0, NULL, &e), -EACCES);
	print_message("no credentials: %s\n", e.msg);
	assert_non_null(strstr(e.msg, "wants a user and password"));
	etcd_close(c);
}

static void test_bad_password(void **state)
{
	struct etcd_config cfg = { .endpoints = server.url, .user = "root", .password = "bad" };
	struct etcd_client *c = open_client(&cfg);
	struct bgx_err e = { 0 };

	(void)state;
	assert_int_equal(etcd_put(c, "k", "v", 1, 0, NULL, &e), -EACCES);
	print_message("bad password: %s\n", e.msg);
	assert_non_null(strstr(e.msg, "authenticate as 'root'"));
	assert_non_null(strstr(e.msg, "authentication failed"));
	assert_null(strstr(e.msg, "bad"));      /* the password is never shown */
	etcd_close(c);
}

/* A token of our own from the server, to see it expire. */
static char *raw_token(void)
{
	char answer[512];
	json_t *j;
	char *token;

	assert_int_equal(etcd_server_post(&server, "/v3/auth/authenticate",
					  "{\"name\":\"root\",\"password\":\"good\"}", NULL, answer,
					  sizeof(answer)), 200);
	j = json_loads(answer, 0, NULL);
	token = strdup(json_string_value(json_object_get(j, "token")));
	json_decref(j);
	return token;
}

static void test_good_password_and_expiry(void **state)
{
	struct etcd_config cfg = { .endpoints = server.url, .user = "root", .password = "good" };
	struct etcd_client *c = open_client(&cfg);
	struct etcd_range r;
	char *token;

	(void)state;
	struct bgx_err e = { 0 };
	if (etcd_put(c, "auth/k", "v1", 2, 0, NULL, &e))
		fail_msg("%s", e.msg);
	/* tokens live TOKEN_TTL_S without use: after that a token is refused... */
	token = raw_token();
	sleep(TOKEN_TTL_S + 2);
	assert_int_equal(etcd_server_post(&server, "/v3/kv/range", "{\"key\":\"AA==\"}", token,
					  NULL, 0), 401);
	free(token);
	/* ...and the client, whose token expired the same way, logs in again */
	if (etcd_get(c, "auth/k", &r, &e))
		fail_msg("after the token expired: %s", e.msg);
	assert_int_equal(r.count, 1);
	assert_memory_equal(r.kvs[0].value, "v1", 2);
	etcd_range_free(&r);
	etcd_close(c);
}

struct watch_seen {
	int events;
};

static void count_events(const struct etcd_watch_batch *b, void *ctx)
{
	((struct watch_seen *)ctx)->events += (int)b->n_events;
}

/* A watch through `c` sees a put made through `c`. */
static void watch_sees_put(struct etcd_client *c, const char *key)
{
	struct watch_seen seen = { 0 };
	struct etcd_watch *w;
	struct etcd_range r;
	struct bgx_err e = { 0 };
	long long t0;

	if (etcd_get(c, key, &r, &e))
		fail_msg("%s", e.msg);
	if (etcd_watch_open(c, key, r.revision + 1, count_events, &seen, &w, &e))
		fail_msg("%s", e.msg);
	etcd_range_free(&r);
	if (etcd_put(c, key, "w", 1, 0, NULL, &e))
		fail_msg("%s", e.msg);
	for (t0 = etcd_test_now_ms(); !seen.events && etcd_test_now_ms() - t0 < 5000;)
		etcd_watch_poll(w, 100, NULL);
	assert_int_equal(seen.events, 1);
	etcd_watch_close(w);
}

static void test_watch_with_auth(void **state)
{
	struct etcd_config cfg = { .endpoints = server.url, .user = "root", .password = "good" };
	struct etcd_client *c = open_client(&cfg);

	(void)state;
	watch_sees_put(c, "auth/watched");
	etcd_close(c);
}

/* ---- TLS --------------------------------------------------------------------- */

static int tls_setup(void **state)
{
	(void)state;
	if (!etcd_test_tls_dir())
		return 0;               /* each test skips, saying why */
	return etcd_server_start(&server, true, 0) ? -1 : 0;
}

static void need_tls(void)
{
	if (!etcd_test_tls_dir()) {
		print_message("skipped: no TLS material (FLEET_TLS_DIR unset: openssl missing "
			      "or tests/fleet/run.sh not used)\n");
		skip();
	}
}

static void test_tls_good(void **state)
{
	struct etcd_config cfg = {
		.endpoints = server.url,
		.ca_file = etcd_test_tls_file(0, "ca.crt"),
		.cert_file = etcd_test_tls_file(1, "client.crt"),
		.key_file = etcd_test_tls_file(2, "client.key"),
	};
	struct etcd_client *c;
	struct etcd_range r;
	struct bgx_err e = { 0 };

	(void)state;
	need_tls();
	c = open_client(&cfg);
	if (etcd_put(c, "tls/k", "v", 1, 0, NULL, &e) || etcd_get(c, "tls/k", &r, &e))
		fail_msg("%s", e.msg);
	assert_int_equal(r.count, 1);
	etcd_range_free(&r);
	watch_sees_put(c, "tls/watched");
	etcd_close(c);
}

static void expect_tls_refused(const struct etcd_config *cfg, const char *label,
			       const char *needle)
{
	struct etcd_client *c = open_client(cfg);
	struct bgx_err e = { 0 };
	long long t0 = etcd_test_now_ms();
	int r = etcd_put(c, "tls/no", "v", 1, 0, NULL, &e);

	print_message("%s: %d after %lld ms: %s\n", label, r, etcd_test_now_ms() - t0, e.msg);
	assert_true(r < 0);
	assert_true(etcd_test_now_ms() - t0 < 3000);
	assert_non_null(strstr(e.msg, server.url));
	assert_non_null(strstr(e.msg, needle));
	etcd_close(c);
}

static void test_tls_refused(void **state)
{
	struct etcd_config cfg = { .endpoints = server.url, .timeout_ms = 2000 };
	char plain[96];

	(void)state;
	need_tls();
	/* no client certificate: the server refuses the handshake */
	cfg.ca_file = etcd_test_tls_file(0, "ca.crt");
	expect_tls_refused(&cfg, "no client certificate", "client certificate");
	/* a server certificate from a CA we do not trust */
	cfg.ca_file = etcd_test_tls_file(0, "other-ca.crt");
	cfg.cert_file = etcd_test_tls_file(1, "client.crt");
	cfg.key_file = etcd_test_tls_file(2, "client.key");
	expect_tls_refused(&cfg, "untrusted server", "certificate");
	/* plain HTTP to the TLS port */
	snprintf(plain, sizeof(plain), "http://%s", server.url + strlen("https://"));
	struct etcd_config http = { .endpoints = plain, .timeout_ms = 2000 };
	struct etcd_client *c = open_client(&http);
	struct bgx_err e = { 0 };
	assert_true(etcd_put(c, "tls/no", "v", 1, 0, NULL, &e) < 0);
	print_message("plain HTTP to TLS: %s\n", e.msg);
	etcd_close(c);
}

int main(void)
{
	const struct CMUnitTest auth[] = {
		cmocka_unit_test(test_no_credentials),
		cmocka_unit_test(test_bad_password),
		cmocka_unit_test(test_good_password_and_expiry),
		cmocka_unit_test(test_watch_with_auth),
	};
	const struct CMUnitTest tls[] = {
		cmocka_unit_test(test_tls_good),
		cmocka_unit_test(test_tls_refused),
	};

	return cmocka_run_group_tests_name("etcd authentication", auth, auth_setup,
					   server_teardown) |
	       cmocka_run_group_tests_name("etcd TLS", tls, tls_setup, server_teardown);
}
