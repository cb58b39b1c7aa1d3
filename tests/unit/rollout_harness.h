/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * rollout_harness.h - the agent's side of the rollout controller, as the
 * unit tests play it: a fake clock, publishes done at once and recorded,
 * analyses built from figures.  Included by test_rollout*.c only.
 */
#ifndef BGXDP_TEST_ROLLOUT_HARNESS_H
#define BGXDP_TEST_ROLLOUT_HARNESS_H

#include <stdlib.h>
#include <string.h>
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

static inline void apply(struct harness *h)
{
	if (h->out.action == ROLLOUT_PUBLISH) {
		assert_true(h->n_published < 16);
		h->published[h->n_published++] = h->out.green_share_bp;
		rollout_publish_done(&h->st, h->now);
	}
	if (h->out.has_decision && h->out.decision.has_analysis)
		h->analysed_decisions++;
}

static inline void spec_init(struct rollout_spec *s, const char *steps)
{
	rollout_spec_defaults(s);
	strcpy(s->service, "web");
	s->rising_color = BGXDP_GREEN;
	assert_int_equal(rollout_parse_steps(steps, s, NULL), 0);
	s->interval_ms = 10 * SEC;
	s->max_extensions = 2;
}

static inline struct harness *start(const struct rollout_spec *s, uint32_t green_bp)
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
static inline struct analysis_result analyse(const struct rollout_spec *s, uint64_t flows,
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

static inline enum check_verdict find_check_verdict(const struct analysis_result *r, const char *name)
{
	for (unsigned i = 0; i < r->n_checks; i++)
		if (!strcmp(r->checks[i].name, name))
			return r->checks[i].verdict;
	fail_msg("no check %s", name);
	return VERDICT_FAIL;
}

static inline void tick(struct harness *h, uint64_t advance_ms, const struct analysis_result *r)
{
	h->now += advance_ms;
	assert_int_equal(rollout_on_analysis(&h->st, h->now, r, &h->out, NULL), 0);
	apply(h);
}

static inline void run_for(struct harness *h, uint64_t ms, const struct analysis_result *r)
{
	for (uint64_t t = 0; t < ms; t += SEC)
		tick(h, SEC, r);
}

static inline const struct rollout_decision *last_decision(const struct harness *h)
{
	assert_true(h->st.log_len > 0);
	return &h->st.log[h->st.log_len - 1];
}

#endif
