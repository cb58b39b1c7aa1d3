// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_etcd_watch.c - watching a prefix in a real etcd: every change once
 * and in order, across a dropped stream, a compaction and an etcd restart;
 * and an etcd that is stopped or hangs gives a clear error in bounded time.
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

#define MAX_SEEN 256

struct seen_event {
	char key[64];
	char value[64];
	enum etcd_event_type type;
	int64_t mod_revision;
};

struct seen {
	struct seen_event ev[MAX_SEEN];
	size_t n;
	unsigned batches;
	unsigned snapshots;
	size_t snapshot_size;           /* keys in the last snapshot */
	int64_t revision;               /* of the last batch */
};

static void collect(const struct etcd_watch_batch *b, void *ctx)
{
	struct seen *s = ctx;

	s->batches++;
	s->revision = b->revision;
	if (b->snapshot) {
		s->snapshots++;
		s->snapshot_size = b->n_events;
		return;
	}
	for (size_t i = 0; i < b->n_events && s->n < MAX_SEEN; i++) {
		struct seen_event *e = &s->ev[s->n++];

		snprintf(e->key, sizeof(e->key), "%s", b->events[i].kv.key);
		snprintf(e->value, sizeof(e->value), "%.*s", (int)b->events[i].kv.value_len,
			 (const char *)b->events[i].kv.value);
		e->type = b->events[i].type;
		e->mod_revision = b->events[i].kv.mod_revision;
	}
}

/* Poll until `n` events arrived or `ms` passed. */
static void poll_until(struct etcd_watch *w, struct seen *s, size_t n, long long ms)
{
	long long t0 = etcd_test_now_ms();

	while (s->n < n && etcd_test_now_ms() - t0 < ms)
		etcd_watch_poll(w, 100, NULL);
}

static void wait_connected(struct etcd_watch *w)
{
	struct etcd_watch_status st;
	long long t0 = etcd_test_now_ms();

	do {
		etcd_watch_poll(w, 50, NULL);
		etcd_watch_get_status(w, &st);
	} while (!st.connected && etcd_test_now_ms() - t0 < 5000);
	assert_true(st.connected);
}

static void put_n(struct etcd_client *c, const char *prefix, int from, int to)
{
	char key[64], value[32];
	struct bgx_err e = { 0 };

	for (int i = from; i < to; i++) {
		snprintf(key, sizeof(key), "%s%03d", prefix, i);
		snprintf(value, sizeof(value), "v%d", i);
		if (etcd_put(c, key, value, strlen(value), 0, NULL, &e))
			fail_msg("put %s: %s", key, e.msg);
	}
}

/* Events [0, n) are exactly the puts `prefix`000.. in order. */
static void expect_puts(const struct seen *s, const char *prefix, size_t n)
{
	char key[64], value[32];

	assert_true(s->n >= n);
	for (size_t i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%s%03zu", prefix, i);
		snprintf(value, sizeof(value), "v%zu", i);
		assert_string_equal(s->ev[i].key, key);
		assert_string_equal(s->ev[i].value, value);
		assert_int_equal(s->ev[i].type, ETCD_EVENT_PUT);
		if (i)
			assert_true(s->ev[i].mod_revision > s->ev[i - 1].mod_revision);
	}
}

static int64_t current_revision(struct etcd_client *c)
{
	struct etcd_range r;
	struct bgx_err e = { 0 };
	int64_t rev;

	if (etcd_get(c, "nothing", &r, &e))
		fail_msg("%s", e.msg);
	rev = r.revision;
	etcd_range_free(&r);
	return rev;
}

struct fixture {
	struct etcd_server server;
	struct etcd_client *c;
	struct seen seen;
	struct etcd_watch *w;
};

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	if (etcd_server_start(&f.server, false, 0)) {
		fprintf(stderr, "cannot start etcd (is etcd-server installed?)\n");
		return -1;
	}
	f.c = etcd_server_client(&f.server, 1000);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	etcd_watch_close(f->w);
	etcd_close(f->c);
	etcd_server_destroy(&f->server);
	return 0;
}

static void open_watch(struct fixture *f, const char *prefix, int64_t from)
{
	struct bgx_err e = { 0 };

	if (etcd_watch_open(f->c, prefix, from, collect, &f->seen, &f->w, &e))
		fail_msg("%s", e.msg);
}

static void test_in_order(void **state)
{
	struct fixture *f = *state;
	struct bgx_err e = { 0 };

	open_watch(f, "order/", current_revision(f->c) + 1);
	put_n(f->c, "order/", 0, 50);
	put_n(f->c, "other/", 0, 5);            /* outside the prefix */
	if (etcd_delete(f->c, "order/007", NULL, &e))
		fail_msg("%s", e.msg);
	poll_until(f->w, &f->seen, 51, 10000);
	assert_int_equal(f->seen.n, 51);
	expect_puts(&f->seen, "order/", 50);
	assert_int_equal(f->seen.ev[50].type, ETCD_EVENT_DELETE);
	assert_string_equal(f->seen.ev[50].key, "order/007");
	/* nothing more comes */
	etcd_watch_poll(f->w, 300, NULL);
	assert_int_equal(f->seen.n, 51);
}

static void test_from_now(void **state)
{
	struct fixture *f = *state;

	put_n(f->c, "now/", 0, 3);              /* before the watch: not seen */
	open_watch(f, "now/", 0);
	wait_connected(f->w);
	put_n(f->c, "now/x", 0, 2);
	poll_until(f->w, &f->seen, 2, 5000);
	etcd_watch_poll(f->w, 200, NULL);
	assert_int_equal(f->seen.n, 2);
	expect_puts(&f->seen, "now/x", 2);
}

static void test_resume_after_disconnect(void **state)
{
	struct fixture *f = *state;
	struct etcd_watch_status st;

	open_watch(f, "cut/", current_revision(f->c) + 1);
	put_n(f->c, "cut/", 0, 5);
	poll_until(f->w, &f->seen, 5, 5000);
	assert_int_equal(f->seen.n, 5);
	etcd_watch_disconnect(f->w);
	etcd_watch_get_status(f->w, &st);
	assert_false(st.connected);
	put_n(f->c, "cut/", 5, 10);             /* while nobody watches */
	poll_until(f->w, &f->seen, 10, 5000);
	etcd_watch_poll(f->w, 300, NULL);       /* and no repeats after them */
	assert_int_equal(f->seen.n, 10);
	expect_puts(&f->seen, "cut/", 10);
	etcd_watch_get_status(f->w, &st);
	assert_true(st.connected);
	assert_int_equal(st.reconnects, 1);
	assert_int_equal(st.next_revision, f->seen.ev[9].mod_revision + 1);
}

static void test_compaction(void **state)
{
	struct fixture *f = *state;
	struct etcd_watch_status st;
	char body[128], answer[512];
	struct bgx_err e = { 0 };

	open_watch(f, "cmp/", current_revision(f->c) + 1);
	put_n(f->c, "cmp/", 0, 3);
	poll_until(f->w, &f->seen, 3, 5000);
	etcd_watch_disconnect(f->w);
	put_n(f->c, "cmp/", 3, 6);
	if (etcd_delete(f->c, "cmp/001", NULL, &e))
		fail_msg("%s", e.msg);
	/* the history the watch needs is gone */
	snprintf(body, sizeof(body), "{\"revision\":\"%lld\",\"physical\":true}",
		 (long long)current_revision(f->c));
	assert_int_equal(etcd_server_post(&f->server, "/v3/kv/compaction", body, NULL, answer,
					  sizeof(answer)), 200);
	for (long long t0 = etcd_test_now_ms(); !f->seen.snapshots && etcd_test_now_ms() - t0 < 5000;)
		etcd_watch_poll(f->w, 100, NULL);
	assert_int_equal(f->seen.snapshots, 1);
	assert_int_equal(f->seen.snapshot_size, 5);     /* 000 002 003 004 005 */
	assert_int_equal(f->seen.revision, current_revision(f->c));
	/* and it goes on from there */
	put_n(f->c, "cmp/new", 0, 1);
	poll_until(f->w, &f->seen, 4, 5000);
	assert_int_equal(f->seen.n, 4);
	assert_string_equal(f->seen.ev[3].key, "cmp/new000");
	etcd_watch_get_status(f->w, &st);
	assert_int_equal(st.snapshots, 1);
}

static void test_etcd_restart(void **state)
{
	struct fixture *f = *state;
	struct etcd_watch_status st;
	struct bgx_err e = { 0 };
	long long t0;
	int r;

	open_watch(f, "rs/", current_revision(f->c) + 1);
	put_n(f->c, "rs/", 0, 3);
	poll_until(f->w, &f->seen, 3, 5000);
	etcd_server_stop(&f->server);
	/* the watch notices at once and says why */
	t0 = etcd_test_now_ms();
	do
		r = etcd_watch_poll(f->w, 100, &e);
	while (r >= 0 && etcd_test_now_ms() - t0 < 3000);
	assert_true(r < 0);
	print_message("watch with etcd stopped: %s\n", e.msg);
	assert_non_null(strstr(e.msg, f->server.url));
	etcd_watch_get_status(f->w, &st);
	assert_false(st.connected);
	assert_int_equal(etcd_server_restart(&f->server), 0);
	put_n(f->c, "rs/", 3, 6);
	poll_until(f->w, &f->seen, 6, 10000);
	etcd_watch_poll(f->w, 300, NULL);
	assert_int_equal(f->seen.n, 6);
	expect_puts(&f->seen, "rs/", 6);
	etcd_watch_get_status(f->w, &st);
	assert_true(st.connected);
	assert_true(st.reconnects >= 1);
}

/* Unary calls to a stopped etcd and to a hung one: an error, in time. */
static void test_stopped_and_hung(void **state)
{
	struct fixture *f = *state;
	struct etcd_range range;
	struct bgx_err e = { 0 };
	long long t0, took;
	int r;

	etcd_server_stop(&f->server);
	t0 = etcd_test_now_ms();
	r = etcd_get(f->c, "x", &range, &e);
	took = etcd_test_now_ms() - t0;
	print_message("stopped etcd: %d after %lld ms: %s\n", r, took, e.msg);
	assert_int_equal(r, -ECONNREFUSED);
	assert_true(took < 1000);
	assert_non_null(strstr(e.msg, f->server.url));

	assert_int_equal(etcd_server_restart(&f->server), 0);
	etcd_server_pause(&f->server);
	bgx_err_clear(&e);
	t0 = etcd_test_now_ms();
	r = etcd_put(f->c, "x", "y", 1, 0, NULL, &e);
	took = etcd_test_now_ms() - t0;
	etcd_server_resume(&f->server);
	print_message("hung etcd: %d after %lld ms: %s\n", r, took, e.msg);
	assert_int_equal(r, -ETIMEDOUT);
	assert_true(took >= 900 && took < 2000);        /* the 1000 ms timeout */
	assert_non_null(strstr(e.msg, "no answer within 1000 ms"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_from_now, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_after_disconnect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_etcd_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stopped_and_hung, setup, teardown),
	};

	return cmocka_run_group_tests_name("etcd watch and failures", tests, NULL, NULL);
}
