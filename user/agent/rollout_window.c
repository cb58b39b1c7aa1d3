// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rollout_window.c - the counter window a rollout step is judged on: it
 * starts from a snapshot kept in the state (so a restarted agent continues
 * it) and ends at the caller's latest read.
 */
#include <errno.h>
#include <string.h>

#include "rollout.h"

void rollout_set_window_base(struct rollout_state *st, uint64_t now_ms,
			     const struct color_counts counts[BGXDP_COLORS])
{
	st->has_window_base = true;
	st->window_base_ms = now_ms;
	memcpy(st->window_base, counts, sizeof(st->window_base));
}

int rollout_analyse(const struct rollout_state *st, const struct color_counts now[BGXDP_COLORS],
		    const struct connect_buckets *buckets,
		    const struct promql_measurement *promql, struct analysis_result *out,
		    struct bgx_err *err)
{
	struct analysis_window window;
	struct analysis_input in = {
		.config = &st->spec.analysis,
		.buckets = buckets,
		.window = &window,
		.baseline = &st->baseline,
		.promql = promql,
	};
	int r = analysis_buckets_check(buckets, err);

	if (r)
		return r;
	if (!st->has_window_base)
		return bgx_fail(err, EAGAIN, "rollout on %s: no counter snapshot to start the window from",
				st->spec.service);
	analysis_window_delta(st->spec.rising_color, st->window_base, now, buckets->count, &window);
	memcpy(in.query_errors, st->query_errors, sizeof(in.query_errors));
	return analysis_run(&in, out, err);
}
