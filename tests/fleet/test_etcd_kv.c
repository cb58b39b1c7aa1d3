// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_etcd_kv.c - the etcd client against a real etcd: configuration
 * checks, reads and writes, prefixes, the guarded transaction that
 * publishes a fleet revision, leases, and endpoint failover.
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
#include "etcd.h"
#include "etcd_server.h"

struct fixture {
	struct etcd_server server;
	struct etcd_client *c;
};

static int group_setup(void **state)
{
	static struct fixture f;

	if (etcd_server_start(&f.server, false, 0)) {
		fprintf(stderr, "cannot start etcd (is etcd-server installed?)\n");
		return -1;
	}
	f.c = etcd_server_client(&f.server, 2000);
	*state = &f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;

	etcd_close(f->c);
	etcd_server_destroy(&f->server);
	return 0;
}

#define OK(call)                                                                 \
	do {                                                                     \
		struct bgx_err e_ = { 0 };                                       \
		int r_ = (call);                                                 \
		if (r_)                                                          \
			fail_msg("%s: %d %s", #call, r_, e_.msg);               \
	} while (0)
/* `call` must use `&e_` as its error argument. */

static void put_text(struct etcd_client *c, const char *key, const char *value)
{
	struct bgx_err e = { 0 };

	if (etcd_put(c, key, value, strlen(value), 0, NULL, &e))
		fail_msg("put %s: %s", key, e.msg);
}

static void expect_stored(struct etcd_client *c, const char *key, const char *value)
{
	struct etcd_range r;
	struct bgx_err e = { 0 };

	if (etcd_get(c, key, &r, &e))
		fail_msg("get %s: %s", key, e.msg);
	if (!value) {
		assert_int_equal(r.count, 0);
	} else {
		assert_int_equal(r.count, 1);
		assert_string_equal(r.kvs[0].key, key);
		assert_int_equal(r.kvs[0].value_len, strlen(value));
		assert_memory_equal(r.kvs[0].value, value, strlen(value));
	}
	etcd_range_free(&r);
}

/* ---- configuration (no etcd needed) --------------------------------------- */

static void refuse_config(const struct etcd_config *cfg, const char *needle)
{
	struct etcd_client *c = (void *)1;
	struct bgx_err e = { 0 };

	assert_true(etcd_open(cfg, &c, &e) < 0);
	assert_null(c);
	if (!strstr(e.msg, needle))
		fail_msg("message '%s' does not say '%s'", e.msg, needle);
}

static void test_config_refused(void **state)
{
	static const char *const bad_urls[] = {
		"", "127.0.0.1:2379", "ftp://127.0.0.1:2379", "http://", "http://h:1/v3",
		"http://h:1?x", "http://a:1,,http://b:2", "http://a b:1",
		"http://a:1,http://a:2,http://a:3,http://a:4,http://a:5,http://a:6,http://a:7,"
		"http://a:8,http://a:9",
	};
	struct etcd_config cfg = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
		cfg.endpoints = bad_urls[i];
		refuse_config(&cfg, "endpoint");
	}
	cfg.endpoints = "https://127.0.0.1:2379";
	cfg.cert_file = "/etc/hostname";
	refuse_config(&cfg, "both or neither");
	cfg.cert_file = NULL;
	cfg.user = "root";
	refuse_config(&cfg, "both or neither");
	cfg.user = NULL;
	cfg.ca_file = "/nonexistent/ca.crt";
	refuse_config(&cfg, "/nonexistent/ca.crt");
	cfg.ca_file = "/etc";
	refuse_config(&cfg, "not a regular file");
	cfg.ca_file = "/etc/hostname";
	cfg.endpoints = "http://127.0.0.1:2379";
	refuse_config(&cfg, "must be https://");
}

static void test_config_accepted(void **state)
{
	struct etcd_config cfg = { .endpoints = "http://127.0.0.1:1,https://[::1]:2379/" };
	struct etcd_client *c;
	struct bgx_err e = { 0 };

	(void)state;
	if (etcd_open(&cfg, &c, &e))
		fail_msg("%s", e.msg);
	etcd_close(c);
}

/* ---- keys ------------------------------------------------------------------------ */

static void test_put_get_delete(void **state)
{
	struct fixture *f = *state;
	static const unsigned char binary[] = { 0, 1, 0xff, '\n', '"', 0 };
	struct etcd_range r;
	int64_t rev1, rev2, deleted;

	OK(etcd_put(f->c, "kv/a", "alpha", 5, 0, &rev1, &e_));
	OK(etcd_put(f->c, "kv/b", binary, sizeof(binary), 0, &rev2, &e_));
	assert_true(rev2 > rev1);
	expect_stored(f->c, "kv/a", "alpha");
	expect_stored(f->c, "kv/missing", NULL);

	OK(etcd_get(f->c, "kv/b", &r, &e_));
	assert_int_equal(r.count, 1);
	assert_int_equal(r.kvs[0].value_len, sizeof(binary));
	assert_memory_equal(r.kvs[0].value, binary, sizeof(binary));
	assert_int_equal(r.kvs[0].mod_revision, rev2);
	assert_int_equal(r.kvs[0].create_revision, rev2);
	assert_int_equal(r.kvs[0].version, 1);
	assert_true(r.revision >= rev2);
	etcd_range_free(&r);

	/* an empty value is a value */
	OK(etcd_put(f->c, "kv/empty", "", 0, 0, NULL, &e_));
	OK(etcd_get(f->c, "kv/empty", &r, &e_));
	assert_int_equal(r.count, 1);
	assert_int_equal(r.kvs[0].value_len, 0);
	etcd_range_free(&r);

	OK(etcd_delete(f->c, "kv/a", &deleted, &e_));
	assert_int_equal(deleted, 1);
	expect_stored(f->c, "kv/a", NULL);
	OK(etcd_delete(f->c, "kv/a", &deleted, &e_));
	assert_int_equal(deleted, 0);
}

static void test_prefix(void **state)
{
	struct fixture *f = *state;
	static const char *const inside[] = { "pfx/", "pfx/a", "pfx/b/c", "pfx/z" };
	struct etcd_range r;
	int64_t deleted;

	for (size_t i = 0; i < 4; i++)
		put_text(f->c, inside[i], inside[i]);
	put_text(f->c, "pfx0", "outside: '0' follows '/'");
	put_text(f->c, "pf", "outside: shorter");
	put_text(f->c, "pfx", "outside: no slash");

	OK(etcd_get_prefix(f->c, "pfx/", &r, &e_));
	assert_int_equal(r.count, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(r.kvs[i].key, inside[i]);        /* sorted by key */
		assert_string_equal((char *)r.kvs[i].value, inside[i]);
	}
	etcd_range_free(&r);

	OK(etcd_delete_prefix(f->c, "pfx/", &deleted, &e_));
	assert_int_equal(deleted, 4);
	OK(etcd_get_prefix(f->c, "pfx/", &r, &e_));
	assert_int_equal(r.count, 0);
	assert_true(r.revision > 0);
	etcd_range_free(&r);
	expect_stored(f->c, "pfx0", "outside: '0' follows '/'");
	expect_stored(f->c, "pfx", "outside: no slash");
}

/* ---- the transaction that publishes a fleet revision ------------------------------ */

static void test_txn(void **state)
{
	struct fixture *f = *state;
	const struct etcd_op first[] = {
		{ ETCD_OP_PUT, "fleet/t/rev", "1", 1, 0 },
		{ ETCD_OP_PUT, "fleet/t/svc/web", "v1", 2, 0 },
		{ ETCD_OP_PUT, "fleet/t/svc/api", "v1", 2, 0 },
	};
	const struct etcd_op second[] = {
		{ ETCD_OP_DELETE, "fleet/t/svc/api", NULL, 0, 0 },
		{ ETCD_OP_PUT, "fleet/t/svc/web", "v2", 2, 0 },
		{ ETCD_OP_PUT, "fleet/t/rev", "2", 1, 0 },
	};
	/* etcd refuses a txn that touches a key twice */
	const struct etcd_op overlapping[] = {
		{ ETCD_OP_DELETE_PREFIX, "fleet/t/svc/", NULL, 0, 0 },
		{ ETCD_OP_PUT, "fleet/t/svc/web", "v3", 2, 0 },
	};
	struct etcd_txn_result res, stale;
	struct etcd_range r;
	struct bgx_err e = { 0 };

	/* guard 0: only if nobody published yet */
	OK(etcd_txn_if_mod_revision(f->c, "fleet/t/rev", 0, first, 3, &res, &e_));
	assert_true(res.succeeded);
	OK(etcd_get_prefix(f->c, "fleet/t/", &r, &e_));
	assert_int_equal(r.count, 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(r.kvs[i].mod_revision, res.revision);     /* one revision */
	etcd_range_free(&r);

	/* a second publisher that also read "nothing published" loses, and
	 * learns where the guard is now; nothing of it is written */
	OK(etcd_txn_if_mod_revision(f->c, "fleet/t/rev", 0, second, 3, &stale, &e_));
	assert_false(stale.succeeded);
	assert_int_equal(stale.guard_mod_revision, res.revision);
	expect_stored(f->c, "fleet/t/svc/api", "v1");
	expect_stored(f->c, "fleet/t/rev", "1");

	/* with the right guard it applies, deletes included */
	OK(etcd_txn_if_mod_revision(f->c, "fleet/t/rev", res.revision, second, 3, &stale, &e_));
	assert_true(stale.succeeded);
	assert_true(stale.revision > res.revision);
	expect_stored(f->c, "fleet/t/svc/api", NULL);
	expect_stored(f->c, "fleet/t/svc/web", "v2");
	expect_stored(f->c, "fleet/t/rev", "2");

	assert_int_equal(etcd_txn_if_mod_revision(f->c, "fleet/t/rev", stale.revision, overlapping, 2,
						  &res, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "duplicate key"));
	expect_stored(f->c, "fleet/t/svc/web", "v2");

	/* an old guard revision fails */
	OK(etcd_txn_if_mod_revision(f->c, "fleet/t/rev", res.revision, first, 1, &res, &e_));
	assert_false(res.succeeded);
	assert_int_equal(res.guard_mod_revision, stale.revision);
	expect_stored(f->c, "fleet/t/rev", "2");
}

/* ---- leases ------------------------------------------------------------------------- */

static bool key_exists(struct etcd_client *c, const char *key)
{
	struct etcd_range r;
	struct bgx_err e = { 0 };
	bool exists;

	if (etcd_get(c, key, &r, &e))
		fail_msg("get %s: %s", key, e.msg);
	exists = r.count == 1;
	etcd_range_free(&r);
	return exists;
}

static void test_lease_expires(void **state)
{
	struct fixture *f = *state;
	long long t0, gone_after = -1;
	int64_t lease, ttl;

	OK(etcd_lease_grant(f->c, 2, &lease, &e_));
	OK(etcd_put(f->c, "lease/host1", "alive", 5, lease, NULL, &e_));
	t0 = etcd_test_now_ms();
	assert_true(key_exists(f->c, "lease/host1"));
	while (etcd_test_now_ms() - t0 < 10000) {
		if (!key_exists(f->c, "lease/host1")) {
			gone_after = etcd_test_now_ms() - t0;
			break;
		}
		usleep(100 * 1000);
	}
	print_message("key of a 2 s lease gone after %lld ms\n", gone_after);
	assert_true(gone_after >= 1000);
	/* and the lease is over: keep-alive says so */
	struct bgx_err e = { 0 };
	assert_int_equal(etcd_lease_keepalive(f->c, lease, &ttl, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "expired or was revoked"));
}

static void test_lease_keepalive(void **state)
{
	struct fixture *f = *state;
	long long t0 = etcd_test_now_ms();
	int64_t lease, ttl;

	OK(etcd_lease_grant(f->c, 2, &lease, &e_));
	OK(etcd_put(f->c, "lease/host2", "alive", 5, lease, NULL, &e_));
	/* 5 s, three TTLs and more, kept alive every 500 ms */
	while (etcd_test_now_ms() - t0 < 5000) {
		OK(etcd_lease_keepalive(f->c, lease, &ttl, &e_));
		assert_true(ttl >= 1 && ttl <= 2);
		assert_true(key_exists(f->c, "lease/host2"));
		usleep(500 * 1000);
	}
	OK(etcd_lease_revoke(f->c, lease, &e_));
	assert_false(key_exists(f->c, "lease/host2"));      /* at once */
	struct bgx_err e = { 0 };
	assert_int_equal(etcd_lease_revoke(f->c, lease, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "lease not found"));
}

static void test_put_unknown_lease(void **state)
{
	struct fixture *f = *state;
	struct bgx_err e = { 0 };

	assert_int_equal(etcd_put(f->c, "lease/x", "v", 1, 12345, NULL, &e), -ENOENT);
	assert_non_null(strstr(e.msg, f->server.url));
	assert_non_null(strstr(e.msg, "put 'lease/x'"));
	assert_false(key_exists(f->c, "lease/x"));
	e = (struct bgx_err){ 0 };
	assert_int_equal(etcd_lease_grant(f->c, 0, &(int64_t){ 0 }, &e), -ERANGE);
}

/* ---- endpoints ----------------------------------------------------------------------- */

static void test_failover(void **state)
{
	struct fixture *f = *state;
	struct etcd_config cfg = { .timeout_ms = 1000 };
	struct etcd_client *c;
	char list[256];
	long long t0;
	struct bgx_err e = { 0 };
	int r;

	/* a port nobody listens on first: the live one answers */
	snprintf(list, sizeof(list), "http://127.0.0.1:1,%s", f->server.url);
	cfg.endpoints = list;
	OK(etcd_open(&cfg, &c, &e_));
	put_text(c, "failover/k", "v");
	expect_stored(c, "failover/k", "v");
	etcd_close(c);

	/* none answers: one line naming each, quickly */
	cfg.endpoints = "http://127.0.0.1:1,http://127.0.0.1:2";
	OK(etcd_open(&cfg, &c, &e_));
	t0 = etcd_test_now_ms();
	r = etcd_put(c, "failover/k", "v", 1, 0, NULL, &e);
	assert_int_equal(r, -ECONNREFUSED);
	assert_true(etcd_test_now_ms() - t0 < 2000);
	assert_non_null(strstr(e.msg, "no endpoint answered"));
	assert_non_null(strstr(e.msg, "127.0.0.1:1"));
	assert_non_null(strstr(e.msg, "127.0.0.1:2"));
	assert_null(strchr(e.msg, '\n'));
	etcd_close(c);
}

int main(void)
{
	const struct CMUnitTest config_tests[] = {
		cmocka_unit_test(test_config_refused),
		cmocka_unit_test(test_config_accepted),
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_delete),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_txn),
		cmocka_unit_test(test_lease_expires),
		cmocka_unit_test(test_lease_keepalive),
		cmocka_unit_test(test_put_unknown_lease),
		cmocka_unit_test(test_failover),
	};

	return cmocka_run_group_tests_name("etcd config", config_tests, NULL, NULL) |
	       cmocka_run_group_tests_name("etcd keys, txn, leases", tests, group_setup,
					   group_teardown);
}
