// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_fleet_store.c - the fleet's records in etcd (fleet_store.h): key
 * names, the desired state's and a host's JSON both ways, what is refused
 * when a key holds something else, host names, and when a host counts as
 * in sync; and the side table of flow claims (fleet_claims.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "fleet_claims.h"
#include "fleet_store.h"

#define DIGEST "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_keys(void **state)
{
	char k[FLEET_KEY_LEN];

	(void)state;
	assert_int_equal(fleet_key(k, sizeof(k), "web", FLEET_KEY_DESIRED, "ignored"), 0);
	assert_string_equal(k, "/bgxdp/fleet/web/desired");
	assert_int_equal(fleet_key(k, sizeof(k), "web", FLEET_KEY_HOSTS, "lb1"), 0);
	assert_string_equal(k, "/bgxdp/fleet/web/hosts/lb1");
	assert_string_equal(fleet_key_host(k), "lb1");
	assert_int_equal(fleet_key(k, sizeof(k), "web", FLEET_KEY_MEMBERS, NULL), 0);
	assert_string_equal(k, "/bgxdp/fleet/web/members/");
	assert_null(fleet_key_host(k));
	assert_int_equal(fleet_key(k, 10, "web", FLEET_KEY_HOSTS, "lb1"), -ENAMETOOLONG);
}

static void test_host_names(void **state)
{
	char longest[FLEET_HOST_LEN], too_long[FLEET_HOST_LEN + 1];
	struct bgx_err e = { 0 };

	(void)state;
	memset(longest, 'a', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = 0;
	memset(too_long, 'a', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = 0;
	assert_int_equal(fleet_host_name_check("lb-1.example_2", "--host-name", NULL), 0);
	assert_int_equal(fleet_host_name_check(longest, "--host-name", NULL), 0);
	assert_int_equal(fleet_host_name_check(too_long, "--host-name", NULL), -EINVAL);
	assert_int_equal(fleet_host_name_check("", "--host-name", NULL), -EINVAL);
	assert_int_equal(fleet_host_name_check("a/b", "--host-name", &e), -EINVAL);
	assert_true(e.usage);
	assert_non_null(strstr(e.msg, "--host-name 'a/b'"));
	assert_int_equal(fleet_host_name_check("a b", "--host-name", NULL), -EINVAL);
}

static void test_desired_round_trip(void **state)
{
	char yaml[] = "services:\n- name: web\n  vip: \"10.0.0.1:80\"\n";
	struct fleet_desired d = { .revision = 42, .digest = DIGEST, .config = yaml,
				   .config_len = strlen(yaml), .by = "root@ops", .at = 1700000000 };
	struct fleet_desired back;
	char *json = fleet_desired_encode(&d);

	(void)state;
	assert_non_null(json);
	assert_int_equal(fleet_desired_decode(json, strlen(json), &back, NULL), 0);
	assert_int_equal(back.revision, 42);
	assert_string_equal(back.digest, DIGEST);
	assert_int_equal(back.config_len, strlen(yaml));
	assert_string_equal(back.config, yaml);
	assert_string_equal(back.by, "root@ops");
	assert_int_equal(back.at, 1700000000);
	fleet_desired_clear(&back);
	free(json);
}

static void test_desired_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[1,2]",
		"{}",
		"{\"revision\":0,\"digest\":\"" DIGEST "\",\"config\":\"x\"}",
		"{\"revision\":\"1\",\"digest\":\"" DIGEST "\",\"config\":\"x\"}",
		"{\"revision\":1,\"digest\":\"abc\",\"config\":\"x\"}",
		"{\"revision\":1,\"digest\":\"" DIGEST "\",\"config\":7}",
		"{\"revision\":1,\"digest\":\"" DIGEST "\"}",
		"{\"revision\":1,\"revision\":2,\"digest\":\"" DIGEST "\",\"config\":\"x\"}",
	};
	struct fleet_desired d;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bgx_err e = { 0 };

		assert_int_equal(fleet_desired_decode(bad[i], strlen(bad[i]), &d, &e), -EINVAL);
		assert_non_null(strstr(e.msg, "fleet desired state"));
		assert_null(d.config);
	}
}

static void test_status_round_trip(void **state)
{
	static const char *const bad[] = {
		"{\"host\":\"x\"}",
		"{\"host\":\"x\",\"state\":\"applied\",\"applied_revision\":-1,\"refused_revision\":0,"
		"\"seen\":1,\"health\":{\"backends\":1,\"up\":1}}",
		"{\"host\":\"x\",\"state\":\"applied\",\"applied_revision\":1,\"refused_revision\":0,"
		"\"seen\":1,\"health\":{\"backends\":1}}",
		/* found by the fuzzer: an empty host name, a count over 32 bits */
		"{\"host\":\"\",\"state\":\"applied\",\"applied_revision\":1,\"refused_revision\":0,"
		"\"seen\":1,\"health\":{\"backends\":1,\"up\":1}}",
		"{\"host\":\"x\",\"state\":\"applied\",\"applied_revision\":1,\"refused_revision\":0,"
		"\"seen\":1,\"health\":{\"backends\":88888888880,\"up\":0}}",
	};
	struct fleet_host_status s = {
		.host = "lb2", .state = "refused", .applied_revision = 6, .digest = DIGEST,
		.refused_revision = 7, .error = "fleet web revision 7:4:5: no interface named 'f9'",
		.version = "v1.2", .backends = 4, .backends_up = 3, .started = 17, .seen = 18,
	}, back;
	char *json = fleet_status_encode(&s);

	(void)state;
	assert_non_null(json);
	assert_int_equal(fleet_status_decode(json, strlen(json), &back, NULL), 0);
	assert_memory_equal(&s, &back, sizeof(s));
	free(json);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(fleet_status_decode(bad[i], strlen(bad[i]), &back, NULL), -EINVAL);
}

static void test_in_sync(void **state)
{
	struct fleet_host_status s = { .host = "lb1", .state = "applied", .applied_revision = 5 };

	(void)state;
	assert_true(fleet_host_in_sync(&s, true, 5));
	assert_false(fleet_host_in_sync(&s, false, 5));         /* down */
	assert_false(fleet_host_in_sync(&s, true, 6));          /* behind */
	strcpy(s.state, "drifted");
	assert_false(fleet_host_in_sync(&s, true, 5));
	strcpy(s.state, "refused");
	assert_false(fleet_host_in_sync(&s, true, 5));
}

/* ---- claims ---- */

static struct flow_key key_n(unsigned n)
{
	struct flow_key k = { .client_port = (__be16)(n & 0xffff), .vip_port = 80, .proto = 6,
			      .family = 4 };

	memcpy(k.client, &n, sizeof(n));
	return k;
}

static struct fleet_claim claim_n(unsigned n)
{
	struct fleet_claim c = { .claim = { .created_ns = 1000 + n, .host_id = n,
					    .backend_port = 8080 }, .color = (uint8_t)(n & 1) };

	memcpy(c.claim.backend, &n, sizeof(n));
	return c;
}

static void test_claims_remembered(void **state)
{
	struct fleet_claims *c = fleet_claims_new(4096);
	struct fleet_claim got;
	unsigned kept = 0;

	(void)state;
	assert_non_null(c);
	assert_int_equal(fleet_claims_capacity(c), 4096);
	for (unsigned i = 1; i <= 1024; i++) {
		struct flow_key k = key_n(i);
		struct fleet_claim cl = claim_n(i);

		fleet_claims_put(c, &k, &cl, i);
	}
	for (unsigned i = 1; i <= 1024; i++) {
		struct flow_key k = key_n(i);
		struct fleet_claim want = claim_n(i);

		if (fleet_claims_get(c, &k, &got)) {
			assert_memory_equal(&got, &want, sizeof(got));
			kept++;
		}
	}
	/* a quarter full: only a set that drew more than 4 of them lost one */
	assert_true(kept > 1000);
	/* the same key again replaces its claim */
	{
		struct flow_key k = key_n(7);
		struct fleet_claim other = claim_n(9999);

		fleet_claims_put(c, &k, &other, 5000);
		assert_true(fleet_claims_get(c, &k, &got));
		assert_int_equal(got.claim.host_id, 9999);
	}
	{
		struct flow_key absent = key_n(5000);

		assert_false(fleet_claims_get(c, &absent, &got));
	}
	fleet_claims_free(c);
}

/* One set (capacity 4): the fifth claim takes the oldest way. */
static void test_claims_oldest_goes(void **state)
{
	struct fleet_claims *c = fleet_claims_new(4);
	struct fleet_claim got;

	(void)state;
	assert_int_equal(fleet_claims_capacity(c), 4);
	for (unsigned i = 1; i <= 4; i++) {
		struct flow_key k = key_n(i);
		struct fleet_claim cl = claim_n(i);

		fleet_claims_put(c, &k, &cl, 100 - i);  /* claim 4 is the oldest */
	}
	{
		struct flow_key k5 = key_n(5), k4 = key_n(4), k3 = key_n(3);
		struct fleet_claim cl5 = claim_n(5);

		fleet_claims_put(c, &k5, &cl5, 200);
		assert_true(fleet_claims_get(c, &k5, &got));
		assert_false(fleet_claims_get(c, &k4, &got));
		assert_true(fleet_claims_get(c, &k3, &got));
	}
	fleet_claims_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_host_names),
		cmocka_unit_test(test_desired_round_trip),
		cmocka_unit_test(test_desired_refused),
		cmocka_unit_test(test_status_round_trip),
		cmocka_unit_test(test_in_sync),
		cmocka_unit_test(test_claims_remembered),
		cmocka_unit_test(test_claims_oldest_goes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
