/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * health_fixture.h - an engine per test with a recorder of its transitions,
 * run either by polling from the test or in its own loop thread (as the
 * agent runs it), and helpers to wait for a target's state, bounded in time.
 */
#ifndef BGXDP_TEST_HEALTH_FIXTURE_H
#define BGXDP_TEST_HEALTH_FIXTURE_H

#include <pthread.h>
#include "health_servers.h"

#define MAX_EVENTS 256

struct event {
	struct health_target_id id;
	enum health_state from, to;
	char reason[256];
	uint64_t at_ms;
};

struct recorder {
	pthread_mutex_t lock;
	struct event events[MAX_EVENTS];
	size_t n;
};

static inline void record(const struct health_target_status *t, enum health_state from,
			  enum health_state to, const char *reason, void *ctx)
{
	struct recorder *r = ctx;

	pthread_mutex_lock(&r->lock);
	if (r->n < MAX_EVENTS) {
		struct event *ev = &r->events[r->n++];

		ev->id = t->id;
		ev->from = from;
		ev->to = to;
		snprintf(ev->reason, sizeof(ev->reason), "%s", reason);
		ev->at_ms = test_now_ms();
	}
	pthread_mutex_unlock(&r->lock);
}

/* The last transition of `id` to `to` at or after `since_ms`, or NULL. */
static inline const struct event *find_event(struct recorder *r,
					     const struct health_target_id *id,
					     enum health_state to, uint64_t since_ms)
{
	const struct event *found = NULL;

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n; i++)
		if (health_target_id_equal(&r->events[i].id, id) && r->events[i].to == to &&
		    r->events[i].at_ms >= since_ms)
			found = &r->events[i];
	pthread_mutex_unlock(&r->lock);
	return found;
}

struct fixture {
	struct health_engine *engine;
	struct recorder rec;
	pthread_t loop;
	bool threaded;
};

static inline int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct health_engine_config cfg = { .on_transition = record };
	struct bgx_err err = { 0 };

	pthread_mutex_init(&f->rec.lock, NULL);
	cfg.ctx = &f->rec;
	if (health_engine_new(&cfg, &f->engine, &err))
		fail_msg("%s", err.msg);
	*state = f;
	return 0;
}

static inline int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->threaded) {
		health_stop(f->engine);
		pthread_join(f->loop, NULL);
	}
	health_engine_free(f->engine);
	test_kill_all_servers();
	pthread_mutex_destroy(&f->rec.lock);
	free(f);
	return 0;
}

static inline void *run_loop(void *arg)
{
	struct fixture *f = arg;
	struct bgx_err err = { 0 };

	if (health_run(f->engine, &err))
		fprintf(stderr, "health_run: %s\n", err.msg);
	return NULL;
}

static inline void start_thread(struct fixture *f)
{
	assert_int_equal(pthread_create(&f->loop, NULL, run_loop, f), 0);
	f->threaded = true;
}

static inline void set_service(struct fixture *f, const char *name,
			       const struct health_settings *s)
{
	struct bgx_err err = { 0 };

	if (health_set_service(f->engine, name, s, &err))
		fail_msg("%s", err.msg);
}

static inline void add(struct fixture *f, const struct health_target_id *id,
		       enum health_state initial)
{
	struct health_target_spec spec = { *id, initial };
	struct bgx_err err = { 0 };

	if (health_add_target(f->engine, &spec, &err))
		fail_msg("%s", err.msg);
}

static inline struct health_target_status status_of(struct fixture *f,
						    const struct health_target_id *id)
{
	struct health_target_status st;

	assert_int_equal(health_get_target(f->engine, id, &st), 0);
	return st;
}

/* Poll (single-threaded) or wait (threaded) until id is in `want`, at most
 * timeout_ms; returns the elapsed ms, fails the test past the limit. */
static inline uint64_t wait_state(struct fixture *f, const struct health_target_id *id,
				   enum health_state want, uint64_t min_checks,
				   unsigned timeout_ms)
{
	uint64_t start = test_now_ms();

	while (test_now_ms() - start < timeout_ms) {
		struct health_target_status st = status_of(f, id);
		uint64_t checks = 0;

		for (int r = HEALTH_RESULT_OK; r < HEALTH_RESULT_COUNT; r++)
			checks += st.checks[r];
		if (st.state == want && checks >= min_checks)
			return test_now_ms() - start;
		if (f->threaded)
			test_sleep_ms(5);
		else
			assert_int_equal(health_poll(f->engine, 10, NULL), 0);
	}
	char name[64];
	health_format_target(id, name, sizeof(name));
	fail_msg("%s not %s within %u ms (it is %s: %s)", name, health_state_name(want), timeout_ms,
		 health_state_name(status_of(f, id).state), status_of(f, id).last.detail);
	return 0;
}

static inline struct health_settings fast_settings(enum health_kind kind)
{
	struct health_settings s;

	health_settings_default(&s);
	s.kind = kind;
	s.interval_ms = 200;
	s.timeout_ms = 150;
	s.jitter_pct = 0;
	return s;
}


#endif
