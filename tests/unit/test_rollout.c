// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rollout.c: the rollout state machine on a fake clock - steps, failures,
 * inconclusive windows, gates, operator verbs, verify, restart. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "rollout.h"

#define T0  1700000000000ull
#define SEC 1000ull

static const struct connect_buckets buckets = {
	.count = 8,
	.upper_s = { 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.1, 1.0, 3.0 },
};

/* The agent's side, as a test sees it: every publish asked for is done at
 * once and recorded. */
struct harness {
	struct rollout_state st;
	uint64_t now;
	uint32_t published[16];
	unsigned n_published;
	unsigned analysed_decisions;
	struct rollout_output out;
};

static void apply(struct harness *h)
{
	if (h->out.action == ROLLOUT_PUBLISH) {
		assert_true(h->n_published < 16);
		h->published[h->n_published++] = h->out.green_share_bp;
		rollout_publish_done(&h->st, h->now);
	}
	if (h->out.has_decision && h->out.decision.has_analysis)
		h->analysed_decisions++;
}

static void spec_init(struct rollout_spec *s, const char *steps)
{
	rollout_spec_defaults(s);
	strcpy(s->service, "web");
	s->rising_color = BGXDP_GREEN;
	assert_int_equal(rollout_parse_steps(steps, s, NULL), 0);
	s->interval_ms = 10 * SEC;
	s->max_extensions = 2;
}

static struct harness *start(const struct rollout_spec *s, uint32_t green_bp)
{
	struct harness *h = calloc(1, sizeof(*h));
	struct rollout_start_ctx ctx = { .now_ms = T0, .green_share_bp = green_bp,
					 .rising_healthy = 2, .check_interval_ms = SEC,
					 .actor = "ci" };
	struct bgx_err err = { 0 };

	assert_non_null(h);
	h->now = T0;
	assert_int_equal(rollout_start(&h->st, s, &ctx, &h->out, &err), 0);
	assert_int_equal(h->out.decision.event, ROLLOUT_EV_START);
	apply(h);
	return h;
}

/* An analysis of a window with these figures under the spec's checks. */
static struct analysis_result analyse(const struct rollout_spec *s, uint64_t flows,
				      uint64_t failures, uint64_t sflows, uint64_t sfailures,
				      const struct promql_measurement *m)
{
	struct analysis_window w = { .rising_color = s->rising_color };
	struct analysis_input in = { .config = &s->analysis, .buckets = &buckets, .window = &w,
				     .promql = m };
	struct analysis_result r;

	w.rising.new_flows = w.rising.syns_sent = w.rising.synacks_seen = flows;
	w.rising.backend_resets = failures;
	w.rising.backends_in_rotation = w.rising.backends_healthy = 2;
	w.stable.new_flows = w.stable.syns_sent = w.stable.synacks_seen = sflows;
	w.stable.backend_resets = sfailures;
	assert_int_equal(analysis_run(&in, &r, NULL), 0);
	return r;
}

static enum check_verdict find_check_verdict(const struct analysis_result *r, const char *name)
{
	for (unsigned i = 0; i < r->n_checks; i++)
		if (!strcmp(r->checks[i].name, name))
			return r->checks[i].verdict;
	fail_msg("no check %s", name);
	return VERDICT_FAIL;
}

static void tick(struct harness *h, uint64_t advance_ms, const struct analysis_result *r)
{
	h->now += advance_ms;
	assert_int_equal(rollout_on_analysis(&h->st, h->now, r, &h->out, NULL), 0);
	apply(h);
}

static void run_for(struct harness *h, uint64_t ms, const struct analysis_result *r)
{
	for (uint64_t t = 0; t < ms; t += SEC)
		tick(h, SEC, r);
}

static const struct rollout_decision *last_decision(const struct harness *h)
{
	assert_true(h->st.log_len > 0);
	return &h->st.log[h->st.log_len - 1];
}

static void test_healthy_run_succeeds(void **state)
{
	struct rollout_spec s;
	struct harness *h;
	struct analysis_result pass;

	(void)state;
	spec_init(&s, "10,50,100");
	h = start(&s, 0);
	pass = analyse(&s, 500, 0, 500, 0, NULL);
	run_for(h, 9 * SEC, &pass);                 /* within the first interval */
	assert_int_equal(h->n_published, 1);
	run_for(h, 40 * SEC, &pass);
	assert_int_equal(h->st.phase, ROLLOUT_SUCCEEDED);
	assert_int_equal(h->n_published, 3);
	assert_int_equal(h->published[0], 1000);
	assert_int_equal(h->published[1], 5000);
	assert_int_equal(h->published[2], 10000);
	assert_int_equal(h->analysed_decisions, 3);  /* one per step */
	assert_int_equal(h->st.log_len, 4);
	assert_int_equal(h->st.log[0].event, ROLLOUT_EV_START);
	assert_int_equal(h->st.log[1].event, ROLLOUT_EV_ADVANCE);
	assert_int_equal(h->st.log[1].time_ms, T0 + 10 * SEC);
	assert_int_equal(h->st.log[2].event, ROLLOUT_EV_ADVANCE);
	assert_int_equal(h->st.log[2].time_ms, T0 + 20 * SEC);
	assert_int_equal(h->st.log[3].event, ROLLOUT_EV_SUCCEED);
	assert_int_equal(h->st.log[3].time_ms, T0 + 30 * SEC);
	assert_string_equal(h->st.log[1].reason,
			    "step 1 of 3 (10.00 %) passed (2 of 2 checks passed): next 50.00 %");
	assert_int_equal(h->st.log[1].n_checks, 2);
	assert_int_equal(h->st.log[1].green_before_bp, 1000);
	assert_int_equal(h->st.log[1].green_after_bp, 5000);
	free(h);
}

static void test_failing_green_aborts_at_first_step(void **state)
{
	struct rollout_spec s;
	struct harness *h;
	struct analysis_result bad;

	(void)state;
	spec_init(&s, "10,50,100");
	h = start(&s, 0);
	bad = analyse(&s, 200, 62, 2000, 0, NULL);
	tick(h, 2 * SEC, &bad);                     /* acts before the interval ends */
	assert_int_equal(h->st.phase, ROLLOUT_ABORTED);
	assert_int_equal(h->n_published, 2);
	assert_int_equal(h->published[1], 0);       /* the share before the rollout */
	assert_int_equal(last_decision(h)->event, ROLLOUT_EV_ABORT);
	assert_int_equal(last_decision(h)->time_ms, T0 + 2 * SEC);
	assert_string_equal(last_decision(h)->reason,
			    "aborted at step 1 of 3 (10.00 %): green failure ratio 0.31 (62/200: 0 unanswered SYNs + 62 resets) > max 0.05");
	assert_int_equal(last_decision(h)->verdict, VERDICT_FAIL);
	/* Ended: later analyses change nothing. */
	tick(h, SEC, &bad);
	assert_false(h->out.has_decision);
	assert_int_equal(h->n_published, 2);
	free(h);
}

static void test_failure_pauses_when_asked(void **state)
{
	struct rollout_spec s;
	struct harness *h;
	struct analysis_result bad, pass;

	(void)state;
	spec_init(&s, "10,50,100");
	s.on_failure = ROLLOUT_ON_FAILURE_PAUSE;
	h = start(&s, 0);
	bad = analyse(&s, 200, 62, 2000, 0, NULL);
	pass = analyse(&s, 500, 0, 500, 0, NULL);
	tick(h, 3 * SEC, &bad);
	assert_int_equal(h->st.phase, ROLLOUT_PAUSED);
	assert_int_equal(h->n_published, 1);        /* weight kept */
	assert_non_null(strstr(h->st.reason, "paused at step 1 of 3 (10.00 %): green failure ratio"));
	run_for(h, 30 * SEC, &pass);                /* paused: no progress */
	assert_int_equal(h->st.phase, ROLLOUT_PAUSED);
	assert_int_equal(h->n_published, 1);
	assert_int_equal(rollout_on_command(&h->st, h->now, ROLLOUT_CMD_RESUME, "ops", &h->out, NULL), 0);
	assert_true(h->out.new_window);
	assert_int_equal(rollout_step_deadline_ms(&h->st), h->now + 10 * SEC);
	run_for(h, 10 * SEC, &pass);
	assert_int_equal(h->n_published, 2);
	assert_int_equal(h->published[1], 5000);
	free(h);
}

static void test_inconclusive_extends_then_pauses(void **state)
{
	struct rollout_spec s;
	struct harness *h;
	struct analysis_result thin;

	(void)state;
	spec_init(&s, "10,50,100");
	h = start(&s, 0);
	thin = analyse(&s, 40, 0, 360, 0, NULL);
	run_for(h, 10 * SEC, &thin);
	assert_int_equal(last_decision(h)->event, ROLLOUT_EV_EXTEND);
	assert_string_equal(last_decision(h)->reason,
			    "step 1 of 3 (10.00 %) extended (1 of 2): inconclusive: 40 green new flows < min 100");
	run_for(h, 10 * SEC, &thin);
	assert_int_equal(last_decision(h)->event, ROLLOUT_EV_EXTEND);
	run_for(h, 10 * SEC, &thin);
	assert_int_equal(h->st.phase, ROLLOUT_PAUSED);
	assert_int_equal(last_decision(h)->event, ROLLOUT_EV_PAUSE);
	assert_int_equal(last_decision(h)->time_ms, T0 + 30 * SEC);
	assert_string_equal(h->st.reason,
			    "inconclusive: 40 green new flows < min 100 (step 1 of 3 (10.00 %) held 3 intervals)");
	run_for(h, 30 * SEC, &thin);
	assert_int_equal(h->n_published, 1);        /* never promoted */
	assert_int_equal(h->st.log_len, 4);
	free(h);
}

/* Each verb from each phase: accepted with its effect, or refused with a
 * reason and the state untouched. */
enum where { RUNNING, PAUSED, AT_GATE, SUCCEEDED, ABORTED };

static struct harness *in_phase(enum where w)
{
	struct rollout_spec s;
	struct harness *h;
	struct analysis_result pass, bad;

	spec_init(&s, "10,50,100");
	if (w == AT_GATE)
		assert_int_equal(rollout_parse_pause_at("10", &s, NULL), 0);
	h = start(&s, 0);
	pass = analyse(&s, 500, 0, 500, 0, NULL);
	bad = analyse(&s, 500, 400, 500, 0, NULL);
	if (w == PAUSED)
		assert_int_equal(rollout_on_command(&h->st, h->now, ROLLOUT_CMD_PAUSE, "ops", &h->out, NULL), 0);
	if (w == AT_GATE || w == SUCCEEDED)
		run_for(h, w == AT_GATE ? 10 * SEC : 30 * SEC, &pass);
	if (w == ABORTED)
		tick(h, SEC, &bad);
	return h;
}

static void expect_refused(enum where w, enum rollout_command cmd, const char *why)
{
	struct harness *h = in_phase(w);
	struct rollout_state *before = malloc(sizeof(*before));
	struct bgx_err err = { 0 };

	assert_non_null(before);
	memcpy(before, &h->st, sizeof(*before));
	assert_true(rollout_on_command(&h->st, h->now + SEC, cmd, "ops", &h->out, &err) < 0);
	if (!strstr(err.msg, why))
		fail_msg("%s from phase %d: \"%s\" lacks \"%s\"", rollout_command_name(cmd), w,
			 err.msg, why);
	assert_memory_equal(before, &h->st, sizeof(*before));
	free(before);
	free(h);
}

static struct harness *expect_accepted(enum where w, enum rollout_command cmd,
				       enum rollout_phase phase, int publish_bp)
{
	struct harness *h = in_phase(w);
	unsigned published = h->n_published;

	h->now += SEC;
	assert_int_equal(rollout_on_command(&h->st, h->now, cmd, "ops", &h->out, NULL), 0);
	assert_true(h->out.has_decision);
	assert_string_equal(h->out.decision.actor, "ops");
	apply(h);
	assert_int_equal(h->st.phase, phase);
	if (publish_bp < 0) {
		assert_int_equal(h->n_published, published);
	} else {
		assert_int_equal(h->n_published, published + 1);
		assert_int_equal(h->published[published], publish_bp);
	}
	return h;
}

static void test_operator_verbs(void **state)
{
	(void)state;
	free(expect_accepted(RUNNING, ROLLOUT_CMD_PAUSE, ROLLOUT_PAUSED, -1));
	expect_refused(RUNNING, ROLLOUT_CMD_RESUME, "is not paused (running step 1 of 3");
	free(expect_accepted(RUNNING, ROLLOUT_CMD_PROMOTE, ROLLOUT_RUNNING, 5000));
	free(expect_accepted(RUNNING, ROLLOUT_CMD_PROMOTE_FULL, ROLLOUT_SUCCEEDED, 10000));
	free(expect_accepted(RUNNING, ROLLOUT_CMD_ABORT, ROLLOUT_ABORTED, 0));

	expect_refused(PAUSED, ROLLOUT_CMD_PAUSE, "already paused at step 1 of 3 (10.00 %): paused by ops");
	free(expect_accepted(PAUSED, ROLLOUT_CMD_RESUME, ROLLOUT_RUNNING, -1));
	free(expect_accepted(PAUSED, ROLLOUT_CMD_PROMOTE, ROLLOUT_RUNNING, 5000));
	free(expect_accepted(PAUSED, ROLLOUT_CMD_PROMOTE_FULL, ROLLOUT_SUCCEEDED, 10000));
	free(expect_accepted(PAUSED, ROLLOUT_CMD_ABORT, ROLLOUT_ABORTED, 0));

	expect_refused(AT_GATE, ROLLOUT_CMD_RESUME, "waits at the gate of step 1 of 3 (10.00 %): promote to go on");
	free(expect_accepted(AT_GATE, ROLLOUT_CMD_PROMOTE, ROLLOUT_RUNNING, 5000));

	for (enum rollout_command c = ROLLOUT_CMD_PAUSE; c <= ROLLOUT_CMD_ABORT; c++) {
		expect_refused(SUCCEEDED, c, "already succeeded: nothing to");
		expect_refused(ABORTED, c, "was aborted: nothing to");
	}
}

static void test_gate_waits_for_promote(void **state)
{
	struct rollout_spec s;
	struct harness *h;
	struct analysis_result pass;

	(void)state;
	spec_init(&s, "10,50,100");
	assert_int_equal(rollout_parse_pause_at("50", &s, NULL), 0);
	h = start(&s, 0);
	pass = analyse(&s, 500, 0, 500, 0, NULL);
	run_for(h, 20 * SEC, &pass);
	assert_int_equal(h->st.phase, ROLLOUT_PAUSED);
	assert_true(h->st.at_gate);
	assert_string_equal(h->st.reason,
			    "step 2 of 3 (50.00 %) passed (2 of 2 checks passed); gate: waiting for promote");
	run_for(h, 60 * SEC, &pass);
	assert_int_equal(h->n_published, 2);
	h->now += SEC;
	assert_int_equal(rollout_on_command(&h->st, h->now, ROLLOUT_CMD_PROMOTE, "ops", &h->out, NULL), 0);
	apply(h);
	assert_int_equal(h->published[2], 10000);
	run_for(h, 10 * SEC, &pass);
	assert_int_equal(h->st.phase, ROLLOUT_SUCCEEDED);
	free(h);
}

static void test_relative_to_stable(void **state)
{
	struct rollout_spec s;
	struct harness *h;
	struct analysis_result as_bad, worse;

	(void)state;
	spec_init(&s, "10,50,100");
	s.analysis.vs_stable_on = true;
	h = start(&s, 0);
	/* A bad network: both colors fail 30 %. */
	as_bad = analyse(&s, 200, 60, 1800, 530, NULL);
	run_for(h, 10 * SEC, &as_bad);
	assert_int_equal(h->st.phase, ROLLOUT_RUNNING);
	assert_int_equal(last_decision(h)->event, ROLLOUT_EV_EXTEND);
	assert_non_null(strstr(h->st.reason, "not blamed"));
	assert_int_equal(h->n_published, 1);
	/* Green alone fails. */
	worse = analyse(&s, 200, 60, 1800, 0, NULL);
	tick(h, SEC, &worse);
	assert_int_equal(h->st.phase, ROLLOUT_ABORTED);
	assert_int_equal(h->published[1], 0);
	free(h);
}

static void test_promql_failure_aborts_clean_l4(void **state)
{
	struct rollout_spec s;
	struct harness *h;
	struct promql_measurement m = { .ok = true, .value = 0.2 };
	struct analysis_result r;

	(void)state;
	spec_init(&s, "10,50,100");
	strcpy(s.prometheus_url, "http://127.0.0.1:9090");
	assert_int_equal(rollout_add_query(&s, "error_rate", "sum(rate(http_5xx[1m]))", CHECK_MAX,
					   0.05, NULL), 0);
	h = start(&s, 0);
	/* A query error is tolerated (3 by default): the step is extended. */
	m = (struct promql_measurement){ .ok = false, .error = "no answer" };
	r = analyse(&s, 500, 0, 500, 0, &m);
	run_for(h, 10 * SEC, &r);
	assert_int_equal(h->st.phase, ROLLOUT_RUNNING);
	assert_int_equal(last_decision(h)->event, ROLLOUT_EV_EXTEND);
	m = (struct promql_measurement){ .ok = true, .value = 0.2 };
	r = analyse(&s, 500, 0, 500, 0, &m);
	assert_int_equal(find_check_verdict(&r, "failure_ratio"), VERDICT_PASS);
	tick(h, SEC, &r);
	assert_int_equal(h->st.phase, ROLLOUT_ABORTED);
	assert_string_equal(h->st.reason,
			    "aborted at step 1 of 3 (10.00 %): promql error_rate 0.2 > max 0.05");
	assert_int_equal(h->published[1], 0);
	free(h);
}

static void test_verify_flips_back(void **state)
{
	struct rollout_spec s;
	struct harness *h;
	struct analysis_result bad, pass;

	(void)state;
	spec_init(&s, "100");
	rollout_spec_verify(&s, 30 * SEC);
	h = start(&s, 0);
	assert_int_equal(h->published[0], 10000);
	bad = analyse(&s, 300, 100, 0, 0, NULL);
	pass = analyse(&s, 300, 0, 0, 0, NULL);
	run_for(h, 5 * SEC, &pass);
	tick(h, SEC, &bad);
	assert_int_equal(h->st.phase, ROLLOUT_ABORTED);
	assert_int_equal(h->published[1], 0);
	assert_non_null(strstr(h->st.reason, "flipped back at step 1 of 1 (100.00 %): green failure ratio"));
	free(h);

	h = start(&s, 0);
	run_for(h, 30 * SEC, &pass);
	assert_int_equal(h->st.phase, ROLLOUT_SUCCEEDED);
	assert_int_equal(h->n_published, 1);
	free(h);
}

static void test_start_refusals(void **state)
{
	struct rollout_spec s;
	struct harness *running;
	struct rollout_state *st = calloc(1, sizeof(*st)), *before = calloc(1, sizeof(*before));
	struct rollout_output out;
	struct rollout_start_ctx ctx = { .now_ms = T0, .rising_healthy = 2,
					 .check_interval_ms = SEC, .actor = "ci" };
	struct bgx_err err = { 0 };

	(void)state;
	spec_init(&s, "10,50,100");
	running = start(&s, 0);
	memset(st, 0x5a, sizeof(*st));
	memcpy(before, st, sizeof(*st));
	ctx.current = &running->st;
	assert_int_equal(rollout_start(st, &s, &ctx, &out, &err), -EBUSY);
	assert_string_equal(err.msg, "service web already has a rollout of green running (step 1 of 3 (10.00 %)): promote, abort or wait for it");
	ctx.current = NULL;
	ctx.rising_healthy = 0;
	bgx_err_clear(&err);
	assert_true(rollout_start(st, &s, &ctx, &out, &err) < 0);
	assert_string_equal(err.msg, "green of web has no healthy backend: nothing to roll out to");
	ctx.rising_healthy = 2;
	ctx.green_share_bp = 10000;
	bgx_err_clear(&err);
	assert_true(rollout_start(st, &s, &ctx, &out, &err) < 0);
	assert_non_null(strstr(err.msg, "already gets 100 %"));
	ctx.green_share_bp = 0;
	ctx.check_interval_ms = 20 * SEC;
	bgx_err_clear(&err);
	assert_true(rollout_start(st, &s, &ctx, &out, &err) < 0);
	assert_non_null(strstr(err.msg, "below the health-check interval"));
	assert_memory_equal(st, before, sizeof(*st));
	free(running);
	free(st);
	free(before);
}

static void test_pending_publish_and_clock(void **state)
{
	struct rollout_spec s;
	struct rollout_state *st = calloc(1, sizeof(*st));
	struct rollout_start_ctx ctx = { .now_ms = T0, .rising_healthy = 1, .check_interval_ms = SEC };
	struct rollout_output out;
	struct analysis_result pass, bad;

	(void)state;
	spec_init(&s, "10,50,100");
	pass = analyse(&s, 500, 0, 500, 0, NULL);
	bad = analyse(&s, 500, 400, 500, 0, NULL);
	assert_int_equal(rollout_start(st, &s, &ctx, &out, NULL), 0);
	assert_true(st->publish_pending);
	/* Not confirmed yet: the window cannot be the step's. */
	assert_int_equal(rollout_on_analysis(st, T0 + 20 * SEC, &bad, &out, NULL), 0);
	assert_false(out.has_decision);
	assert_int_equal(st->phase, ROLLOUT_RUNNING);
	rollout_publish_done(st, T0 + SEC);
	assert_int_equal(rollout_step_deadline_ms(st), T0 + 11 * SEC);
	/* A clock that jumped back holds the step. */
	assert_int_equal(rollout_on_analysis(st, T0 - 60 * SEC, &pass, &out, NULL), 0);
	assert_false(out.has_decision);
	assert_int_equal(rollout_on_analysis(st, T0 + 11 * SEC, &pass, &out, NULL), 0);
	assert_int_equal(out.decision.event, ROLLOUT_EV_ADVANCE);
	free(st);
}

static void test_blue_rising(void **state)
{
	struct rollout_spec s;
	struct harness *h;

	(void)state;
	spec_init(&s, "10,100");
	s.rising_color = BGXDP_BLUE;
	h = start(&s, 10000);                    /* green had everything */
	assert_int_equal(h->published[0], 9000);
	assert_int_equal(h->out.rising_share_bp, 1000);
	assert_int_equal(rollout_on_command(&h->st, h->now, ROLLOUT_CMD_ABORT, NULL, &h->out, NULL), 0);
	apply(h);
	assert_int_equal(h->published[1], 10000);
	assert_string_equal(last_decision(h)->actor, "agent");
	free(h);
}

static void test_recover_after_restart(void **state)
{
	struct rollout_spec s;
	struct harness *h;
	struct analysis_result pass;
	struct rollout_output out;
	struct rollout_state saved;

	(void)state;
	spec_init(&s, "10,50,100");
	pass = analyse(&s, 500, 0, 500, 0, NULL);
	h = start(&s, 0);
	run_for(h, 4 * SEC, &pass);
	saved = h->st;

	/* Nothing pending, share as published: the step keeps its timing. */
	assert_int_equal(rollout_recover(&h->st, h->now + 2 * SEC, 1000, &out, NULL), 0);
	assert_int_equal(out.decision.event, ROLLOUT_EV_RECOVER);
	assert_int_equal(out.action, ROLLOUT_NOTHING);
	assert_int_equal(rollout_step_deadline_ms(&h->st), T0 + 10 * SEC);
	assert_int_equal(h->st.phase, ROLLOUT_RUNNING);

	/* Killed between "publish 50 %" being saved and the publish. */
	h->st = saved;
	h->st.green_previous_bp = 1000;
	h->st.green_share_bp = 5000;
	h->st.step = 1;
	h->st.publish_pending = true;
	assert_int_equal(rollout_recover(&h->st, h->now, 1000, &out, NULL), 0);
	assert_int_equal(out.action, ROLLOUT_PUBLISH);
	assert_int_equal(out.green_share_bp, 5000);
	assert_true(h->st.publish_pending);
	/* ... and killed after the publish, before saving its confirmation. */
	assert_int_equal(rollout_recover(&h->st, h->now + SEC, 5000, &out, NULL), 0);
	assert_int_equal(out.action, ROLLOUT_NOTHING);
	assert_false(h->st.publish_pending);
	assert_true(out.new_window);
	assert_int_equal(h->st.step_started_ms, h->now + SEC);

	/* Someone typed `bgxdp weight green 33` meanwhile: hold, do not overwrite. */
	h->st = saved;
	assert_int_equal(rollout_recover(&h->st, h->now, 3300, &out, NULL), 0);
	assert_int_equal(out.action, ROLLOUT_NOTHING);
	assert_int_equal(h->st.phase, ROLLOUT_PAUSED);
	assert_int_equal(out.decision.event, ROLLOUT_EV_HOLD);
	assert_non_null(strstr(h->st.reason, "live green share 33.00 % is not the 10.00 % this rollout published"));
	/* resume republishes the rollout's share */
	assert_int_equal(rollout_on_command(&h->st, h->now, ROLLOUT_CMD_RESUME, "ops", &out, NULL), 0);
	assert_int_equal(out.action, ROLLOUT_PUBLISH);
	assert_int_equal(out.green_share_bp, 1000);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthy_run_succeeds),
		cmocka_unit_test(test_failing_green_aborts_at_first_step),
		cmocka_unit_test(test_failure_pauses_when_asked),
		cmocka_unit_test(test_inconclusive_extends_then_pauses),
		cmocka_unit_test(test_operator_verbs),
		cmocka_unit_test(test_gate_waits_for_promote),
		cmocka_unit_test(test_relative_to_stable),
		cmocka_unit_test(test_promql_failure_aborts_clean_l4),
		cmocka_unit_test(test_verify_flips_back),
		cmocka_unit_test(test_start_refusals),
		cmocka_unit_test(test_pending_publish_and_clock),
		cmocka_unit_test(test_blue_rising),
		cmocka_unit_test(test_recover_after_restart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
