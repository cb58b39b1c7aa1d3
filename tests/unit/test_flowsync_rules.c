// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_flowsync_rules.c - the flow-sync key file (what is accepted and
 * refused, generated keys), host ids, and the conflict rule that settles
 * two hosts creating one flow with different backends.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "flowsync.h"

#define SECOND 1000000000ull
#define NOW_REAL (1700000000ull * SECOND)
#define HOST_A 0xa1
#define HOST_B 0xb2

/* ---- the key file ------------------------------------------------------------------ */

static char key_dir[64];

static const char *key_path(const char *name)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/%s", key_dir, name);
	return path;
}

static void write_file(const char *name, const char *text, mode_t mode)
{
	FILE *f = fopen(key_path(name), "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(key_path(name), mode), 0);
}

static void expect_key_refused(const char *name, int code, const char *needle)
{
	struct flowsync_key k;
	struct bgx_err e = { 0 };

	assert_int_equal(flowsync_key_load(key_path(name), &k, &e), code);
	if (!strstr(e.msg, needle))
		fail_msg("%s: message '%s' does not say '%s'", name, e.msg, needle);
	for (size_t i = 0; i < sizeof(k.bytes); i++)
		assert_int_equal(k.bytes[i], 0);        /* nothing half-loaded */
}

static int key_dir_setup(void **state)
{
	(void)state;
	snprintf(key_dir, sizeof(key_dir), "/tmp/bgx-flowsync-test.XXXXXX");
	return mkdtemp(key_dir) ? 0 : -1;
}

static int key_dir_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", key_dir);
	return system(cmd) ? -1 : 0;
}

static void test_key_file_good(void **state)
{
	const char *hex = "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F";
	struct flowsync_key k, k2;
	struct bgx_err e = { 0 };

	(void)state;
	write_file("good", hex, 0600);
	assert_int_equal(flowsync_key_load(key_path("good"), &k, &e), 0);
	for (int i = 0; i < FLOWSYNC_KEY_BYTES; i++)
		assert_int_equal(k.bytes[i], i);
	write_file("newline", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
		   0400);
	assert_int_equal(flowsync_key_load(key_path("newline"), &k2, &e), 0);
	assert_memory_equal(&k, &k2, sizeof(k));
}

static void test_key_file_refused(void **state)
{
	const char *hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

	(void)state;
	write_file("world", hex, 0644);
	expect_key_refused("world", -EPERM, "mode 0644");
	write_file("group", hex, 0640);
	expect_key_refused("group", -EPERM, "0600 or 0400");
	write_file("gwrite", hex, 0620);
	expect_key_refused("gwrite", -EPERM, "group or others");
	write_file("short", "000102", 0600);
	expect_key_refused("short", -EINVAL, "64 hex digits");
	write_file("long", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00", 0600);
	expect_key_refused("long", -EINVAL, "64 hex digits");
	write_file("nothex", "g00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 0600);
	expect_key_refused("nothex", -EINVAL, "64 hex digits");
	write_file("raw", "0123456789abcdef0123456789abcdef", 0600);
	expect_key_refused("raw", -EINVAL, "64 hex digits");
	write_file("empty", "", 0600);
	expect_key_refused("empty", -EINVAL, "64 hex digits");
	char target[128];
	snprintf(target, sizeof(target), "%s", key_path("good"));
	assert_int_equal(symlink(target, key_path("link")), 0);
	expect_key_refused("link", -ELOOP, "symbolic link");
	expect_key_refused("missing", -ENOENT, "No such file");
	assert_int_equal(mkdir(key_path("dir"), 0700), 0);
	expect_key_refused("dir", -EINVAL, "not a regular file");
	if (geteuid() == 0) {
		write_file("theirs", hex, 0600);
		assert_int_equal(chown(key_path("theirs"), 4242, 4242), 0);
		expect_key_refused("theirs", -EPERM, "owned by uid 4242");
	}
}

/* A generated key: 0600, loads, different every time, never overwrites. */
static void test_key_generate(void **state)
{
	struct flowsync_key k, k2;
	struct bgx_err e = { 0 };
	struct stat st;

	(void)state;
	assert_int_equal(flowsync_key_generate(key_path("gen1"), &e), 0);
	assert_int_equal(flowsync_key_generate(key_path("gen2"), &e), 0);
	assert_int_equal(stat(key_path("gen1"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(flowsync_key_load(key_path("gen1"), &k, &e), 0);
	assert_int_equal(flowsync_key_load(key_path("gen2"), &k2, &e), 0);
	assert_memory_not_equal(&k, &k2, sizeof(k));
	bgx_err_clear(&e);
	assert_int_equal(flowsync_key_generate(key_path("gen1"), &e), -EEXIST);
	assert_int_equal(flowsync_key_load(key_path("gen1"), &k2, NULL), 0);
	assert_memory_equal(&k, &k2, sizeof(k));
}

static void test_host_id(void **state)
{
	(void)state;
	assert_int_equal(flowsync_host_id("lb1"), flowsync_host_id("lb1"));
	assert_int_not_equal(flowsync_host_id("lb1"), flowsync_host_id("lb2"));
	assert_int_not_equal(flowsync_host_id(""), 0);
}

/* ---- the conflict rule ------------------------------------------------------------- */

static struct flowsync_claim claim(uint64_t created, uint64_t host, uint8_t backend_byte,
				   uint8_t state)
{
	struct flowsync_claim c = { .created_ns = created, .host_id = host, .state = state,
				    .backend_port = htons(8080) };

	c.backend[0] = 10;
	c.backend[3] = backend_byte;
	return c;
}

/* Both hosts, each seeing the other's claim as remote, keep the same. */
static const struct flowsync_claim *winner(const struct flowsync_claim *a,
					   const struct flowsync_claim *b)
{
	enum flowsync_resolution at_a = flowsync_resolve(a, b, FLOWSYNC_RACE_WINDOW_NS);
	enum flowsync_resolution at_b = flowsync_resolve(b, a, FLOWSYNC_RACE_WINDOW_NS);

	if (at_a == FLOWSYNC_SAME_BACKEND) {
		assert_int_equal(at_b, FLOWSYNC_SAME_BACKEND);
		return NULL;
	}
	assert_int_not_equal(at_a, at_b);       /* one keeps, the other takes */
	return at_a == FLOWSYNC_KEEP_LOCAL ? a : b;
}

static void test_conflict_rule(void **state)
{
	uint64_t t = NOW_REAL;
	struct flowsync_claim a, b;

	(void)state;
	/* same backend: nothing to settle, whoever created it */
	a = claim(t, HOST_A, 11, FLOW_OPEN);
	b = claim(t + 1, HOST_B, 11, FLOW_OPEN);
	assert_null(winner(&a, &b));
	/* the handshake race: the earlier creation wins... */
	b = claim(t + SECOND, HOST_B, 21, FLOW_OPEN);
	assert_ptr_equal(winner(&a, &b), &a);
	b = claim(t - SECOND, HOST_B, 21, FLOW_OPEN);
	assert_ptr_equal(winner(&a, &b), &b);
	/* ...equal times: the lower host id */
	b = claim(t, HOST_B, 21, FLOW_OPEN);
	assert_ptr_equal(winner(&a, &b), &a);
	a.host_id = HOST_B + 1;
	assert_ptr_equal(winner(&a, &b), &b);
	/* ...and even one host's two claims at one time are ordered */
	a = claim(t, HOST_A, 22, FLOW_OPEN);
	b = claim(t, HOST_A, 21, FLOW_OPEN);
	assert_ptr_equal(winner(&a, &b), &b);
	/* a new connection on a closing 5-tuple: the open one, however soon */
	a = claim(t, HOST_A, 11, FLOW_CLOSING);
	b = claim(t + SECOND / 2, HOST_B, 21, FLOW_OPEN);
	assert_ptr_equal(winner(&a, &b), &b);
	/* a reused 5-tuple, beyond the race window: the later one */
	a = claim(t, HOST_A, 11, FLOW_OPEN);
	b = claim(t + FLOWSYNC_RACE_WINDOW_NS + 1, HOST_B, 21, FLOW_OPEN);
	assert_ptr_equal(winner(&a, &b), &b);
	b.created_ns = t + FLOWSYNC_RACE_WINDOW_NS;
	assert_ptr_equal(winner(&a, &b), &a);

	/* any two claims: both sides agree (winner() checks it) */
	srandom(7);
	for (int i = 0; i < 200000; i++) {
		a = claim(t + (uint64_t)(random() % 4) * (SECOND * 3), (uint64_t)(random() % 3),
			  (uint8_t)(random() % 3), (uint8_t)(random() % 2));
		b = claim(t + (uint64_t)(random() % 4) * (SECOND * 3), (uint64_t)(random() % 3),
			  (uint8_t)(random() % 3), (uint8_t)(random() % 2));
		winner(&a, &b);
	}
}

int main(void)
{
	const struct CMUnitTest keys[] = {
		cmocka_unit_test(test_key_file_good),
		cmocka_unit_test(test_key_file_refused),
		cmocka_unit_test(test_key_generate),
	};
	const struct CMUnitTest rules[] = {
		cmocka_unit_test(test_host_id),
		cmocka_unit_test(test_conflict_rule),
	};

	return cmocka_run_group_tests_name("flow sync key file", keys, key_dir_setup,
					   key_dir_teardown) |
	       cmocka_run_group_tests_name("flow sync conflict rule", rules, NULL, NULL);
}
