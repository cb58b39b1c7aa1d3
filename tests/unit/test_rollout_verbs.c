// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rollout.c: what the operator and a restart may do - every verb from every
 * phase, refusals to start, and recovery after the agent was killed. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "rollout_harness.h"

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
		cmocka_unit_test(test_operator_verbs),
		cmocka_unit_test(test_start_refusals),
		cmocka_unit_test(test_recover_after_restart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
