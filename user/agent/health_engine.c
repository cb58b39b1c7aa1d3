// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * health_engine.c - the loop thread of the health checker: start the checks
 * that are due, count their results into each target's state machine, and
 * hand state changes to the caller's callback with the lock released.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "health_internal.h"

int health_engine_new(const struct health_engine_config *cfg, struct health_engine **out,
		      struct bgx_err *err)
{
	struct health_engine *e;
	int r;

	*out = NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return bgx_fail(err, EIO, "health checks: libcurl failed to initialise");
	e = calloc(1, sizeof(*e));
	if (!e) {
		curl_global_cleanup();
		return bgx_fail(err, ENOMEM, "health checks: out of memory");
	}
	r = health_prober_init(&e->prober, err);
	if (r) {
		free(e);
		curl_global_cleanup();
		return r;
	}
	pthread_mutex_init(&e->lock, NULL);
	if (cfg) {
		e->on_transition = cfg->on_transition;
		e->ctx = cfg->ctx;
	}
	*out = e;
	return 0;
}

void health_engine_free(struct health_engine *e)
{
	if (!e)
		return;
	health_prober_fini(&e->prober);         /* cancels every check in flight */
	for (size_t i = 0; i < e->n_targets; i++)
		free(e->targets[i]);
	for (size_t i = 0; i < e->n_services; i++)
		free(e->services[i]);
	free(e->targets);
	free(e->services);
	free(e->pending);
	pthread_mutex_destroy(&e->lock);
	free(e);
	curl_global_cleanup();
}

/* An HTTP response is a pass only with an expected status. */
static void judge(const struct hc_target *t, const struct health_probe_outcome *out,
		  struct health_check_result *r)
{
	char codes[64];

	memset(r, 0, sizeof(*r));
	r->result = out->result;
	r->http_status = out->http_status;
	r->latency_us = out->latency_us;
	r->at_unix_ms = hc_unix_ms();
	snprintf(r->detail, sizeof(r->detail), "%s", out->detail);
	if (out->result == HEALTH_RESULT_OK && t->settings.kind == HEALTH_HTTP &&
	    !health_code_expected(&t->settings, out->http_status)) {
		health_format_expect(&t->settings, codes, sizeof(codes));
		r->result = HEALTH_RESULT_BAD_STATUS;
		snprintf(r->detail, sizeof(r->detail), "%.60s (expected %.50s)", out->detail, codes);
	}
}

static void explain(struct health_engine *e, struct hc_target *t, enum health_state from,
		    int64_t previous_since_ms)
{
	const struct health_settings *s = &t->settings;
	double held_s = (t->since_unix_ms - previous_since_ms) / 1000.0;

	if (t->fsm.state == HEALTH_UP && from == HEALTH_UNCHECKED)
		hc_queue_transition(e, t, from, "first check passed: %s", t->last.detail);
	else if (t->fsm.state == HEALTH_UP)
		hc_queue_transition(e, t, from, "%u passed checks in a row (rise %u): %s; "
				    "was %s for %.1f s", t->fsm.passes, s->rise, t->last.detail,
				    health_state_name(from), held_s);
	else
		hc_queue_transition(e, t, from, "%u failed checks in a row (fall %u): %s; "
				    "was %s for %.1f s", t->fsm.fails, s->fall, t->last.detail,
				    health_state_name(from), held_s);
}

static void on_check_done(void *owner, const struct health_probe_outcome *out, void *ctx)
{
	struct health_engine *e = ctx;
	struct hc_target *t = owner;
	enum health_state from = t->fsm.state;
	int64_t previous_since_ms = t->since_unix_ms;

	t->probe = NULL;
	judge(t, out, &t->last);
	t->checks[t->last.result]++;
	e->checks[t->last.result]++;
	health_fsm_record(&t->fsm, &t->settings, t->last.result == HEALTH_RESULT_OK);
	t->due_ms = health_fsm_next_due(&t->fsm, &t->settings, t->started_ms, health_now_ms());
	if (t->fsm.state != from) {
		t->since_unix_ms = t->last.at_unix_ms;
		explain(e, t, from, previous_since_ms);
	}
}

/* Checks whose result no longer counts (target removed or changed). */
static void cancel_stale(struct health_engine *e)
{
	for (size_t i = e->n_targets; i-- > 0;) {
		struct hc_target *t = e->targets[i];

		if (t->cancel_probe && t->probe) {
			health_probe_cancel(&e->prober, t->probe);
			t->probe = NULL;
		}
		t->cancel_probe = false;
		if (t->removed)
			hc_free_target(e, i);
	}
}

static void start_due(struct health_engine *e, uint64_t now)
{
	for (size_t i = 0; i < e->n_targets; i++) {
		struct hc_target *t = e->targets[i];
		const struct health_settings *s = &t->settings;
		struct health_probe_request req = {
			.kind = s->kind, .family = t->id.backend.family, .addr = t->id.backend.addr,
			.port = s->port ? s->port : t->id.backend.port, .timeout_ms = s->timeout_ms,
			.path = s->path, .host = s->host,
		};

		if (t->probe || t->fsm.state == HEALTH_OFF || t->due_ms > now)
			continue;
		t->started_ms = now;
		t->probe = health_probe_start(&e->prober, &req, t);
		if (!t->probe)          /* out of memory: try again later */
			t->due_ms = now + s->interval_ms;
	}
}

/* How long the loop may sleep: until the next check is due or a connect
 * times out (libcurl's own timers are honoured by curl_multi_poll). */
static int wait_budget(struct health_engine *e, uint64_t now, int max_wait_ms)
{
	int64_t budget = health_prober_wait_budget(&e->prober, now, max_wait_ms);

	for (size_t i = 0; i < e->n_targets; i++) {
		const struct hc_target *t = e->targets[i];

		if (t->probe || t->fsm.state == HEALTH_OFF)
			continue;
		int64_t left = (int64_t)t->due_ms - (int64_t)now;

		if (left < budget)
			budget = left < 0 ? 0 : left;
	}
	return (int)budget;
}

static void deliver(struct health_engine *e, struct hc_transition *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (e->on_transition)
			e->on_transition(&list[i].target, list[i].from, list[i].to,
					 list[i].reason, e->ctx);
}

int health_poll(struct health_engine *e, int max_wait_ms, struct bgx_err *err)
{
	struct hc_transition *delivered;
	size_t n_delivered;
	uint64_t now;
	int wait, r;

	pthread_mutex_lock(&e->lock);
	cancel_stale(e);
	health_prober_collect(&e->prober, on_check_done, e);
	now = health_now_ms();
	start_due(e, now);
	wait = wait_budget(e, now, max_wait_ms < 0 ? 0 : max_wait_ms);
	delivered = e->pending;
	n_delivered = e->n_pending;
	e->pending = NULL;
	e->n_pending = e->cap_pending = 0;
	pthread_mutex_unlock(&e->lock);

	deliver(e, delivered, n_delivered);
	free(delivered);
	if (n_delivered || atomic_load(&e->stop))
		wait = 0;       /* callbacks may have changed what is due */
	r = health_prober_wait(&e->prober, wait);
	if (r)
		return bgx_fail(err, r, "health checks: waiting for checks failed (libcurl)");
	return 0;
}

int health_run(struct health_engine *e, struct bgx_err *err)
{
	int r = 0;

	while (!r && !atomic_load(&e->stop))
		r = health_poll(e, 1000, err);
	return r;
}

void health_stop(struct health_engine *e)
{
	atomic_store(&e->stop, true);
	health_prober_wakeup(&e->prober);
}
