// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rollout.c: the rollout state machine on a fake clock, driven by analyses
 * - steps, failures, inconclusive windows, gates, verify. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "rollout_harness.h"

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

static void test_failure_while_paused_still_aborts(void **state)
{
	struct rollout_spec s;
	struct harness *h;
	struct analysis_result bad;

	(void)state;
	spec_init(&s, "10,50,100");
	h = start(&s, 0);
	assert_int_equal(rollout_on_command(&h->st, h->now, ROLLOUT_CMD_PAUSE, "ops", &h->out, NULL), 0);
	bad = analyse(&s, 300, 200, 300, 0, NULL);
	tick(h, SEC, &bad);
	assert_int_equal(h->st.phase, ROLLOUT_ABORTED);
	assert_int_equal(h->published[1], 0);
	assert_int_equal(last_decision(h)->green_before_bp, 1000);
	assert_int_equal(last_decision(h)->green_after_bp, 0);
	free(h);
}

/* The agent's tick: cumulative counters in, the window since the step's
 * snapshot judged. */
static void test_analyse_from_snapshots(void **state)
{
	struct rollout_spec s;
	struct harness *h;
	struct color_counts base[2] = { 0 }, now[2] = { 0 };
	struct analysis_result r;
	struct bgx_err err = { 0 };

	(void)state;
	spec_init(&s, "10,50,100");
	h = start(&s, 0);
	assert_int_equal(rollout_analyse(&h->st, now, &buckets, NULL, &r, &err), -EAGAIN);
	base[BGXDP_GREEN] = (struct color_counts){ .new_flows = 1000, .syns_sent = 1000,
						   .synacks_seen = 1000, .backend_resets = 5 };
	base[BGXDP_BLUE] = (struct color_counts){ .new_flows = 9000, .syns_sent = 9000,
						  .synacks_seen = 9000 };
	rollout_set_window_base(&h->st, h->now, base);
	now[BGXDP_GREEN] = (struct color_counts){ .new_flows = 1200, .syns_sent = 1200,
						  .synacks_seen = 1150, .backend_resets = 15,
						  .backends_in_rotation = 2, .backends_healthy = 2 };
	now[BGXDP_BLUE] = (struct color_counts){ .new_flows = 10800, .syns_sent = 10800,
						 .synacks_seen = 10800 };
	assert_int_equal(rollout_analyse(&h->st, now, &buckets, NULL, &r, &err), 0);
	assert_int_equal(r.verdict, VERDICT_FAIL);
	assert_int_equal(r.rising_flows, 200);
	assert_int_equal(r.rising_failures, 60);
	assert_int_equal(r.stable_flows, 1800);
	assert_string_equal(r.summary,
			    "green failure ratio 0.3 (60/200: 50 unanswered SYNs + 10 resets) > max 0.05");
	tick(h, SEC, &r);
	assert_int_equal(h->st.phase, ROLLOUT_ABORTED);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthy_run_succeeds),
		cmocka_unit_test(test_failing_green_aborts_at_first_step),
		cmocka_unit_test(test_failure_pauses_when_asked),
		cmocka_unit_test(test_inconclusive_extends_then_pauses),
		cmocka_unit_test(test_gate_waits_for_promote),
		cmocka_unit_test(test_relative_to_stable),
		cmocka_unit_test(test_promql_failure_aborts_clean_l4),
		cmocka_unit_test(test_verify_flips_back),
		cmocka_unit_test(test_pending_publish_and_clock),
		cmocka_unit_test(test_blue_rising),
		cmocka_unit_test(test_failure_while_paused_still_aborts),
		cmocka_unit_test(test_analyse_from_snapshots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
