/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * analysis.h - judging one color against its limits over a window of the
 * data plane's counters (pure: no I/O, no clock, no globals).
 *
 * The caller reads cumulative counters of both colors of a service at the
 * start and at the end of a window (struct color_counts), turns them into a
 * window with analysis_window_delta(), adds the values its PromQL queries
 * returned, and gets one verdict per check with the measured value, the
 * limit and a one-line reason with the figures, e.g.
 *   "green failure ratio 0.31 (62/200: 50 unanswered SYNs + 12 resets) > max 0.05"
 *
 * Definitions (what a user reads in the reasons):
 *   failures(color)       = max(0, SYNs sent - SYN-ACKs seen) + RSTs from backends
 *   failure ratio(color)  = failures / new flows, over the window.  SYN
 *                           retransmits count as SYNs, so the ratio may
 *                           exceed 1 when backends do not answer at all.
 *   connect p99           = 99th percentile of the rising color's handshake
 *                           times (SYN forwarded -> SYN-ACK seen), linearly
 *                           interpolated inside the bucket holding rank
 *                           0.99 * count (as Prometheus' histogram_quantile;
 *                           the first bucket's lower bound is 0).
 *   failure ratio vs stable = rising ratio / max(stable ratio, floor); the
 *                           floor keeps "0 against 0.0001" from being infinite.
 *
 * Too little data is inconclusive, never pass and never fail: with fewer
 * than min_samples new flows of the rising color in the window every L4
 * check is inconclusive; a PromQL query that errs or returns nothing is
 * inconclusive until more than max_query_errors consecutive errors, then it
 * fails.  A rollout step passes when no check failed and none is
 * inconclusive.
 */
#ifndef BGXDP_ANALYSIS_H
#define BGXDP_ANALYSIS_H

#include <stdbool.h>
#include <stdint.h>
#include "bgx_err.h"

#define ANALYSIS_MAX_BUCKETS   32      /* finite bucket bounds; +Inf is implicit */
#define ANALYSIS_MAX_QUERIES   8
#define ANALYSIS_MAX_CHECKS    (4 + ANALYSIS_MAX_QUERIES)
#define ANALYSIS_NAME_LEN      48      /* check name, the `check` label */
#define ANALYSIS_QUERY_NAME_LEN 32     /* [A-Za-z0-9_.-]{1,31} */
#define ANALYSIS_QUERY_LEN     1024
#define ANALYSIS_REASON_LEN    224
#define ANALYSIS_SUMMARY_LEN   (ANALYSIS_REASON_LEN + 32)

/* Upper bounds (seconds) of the connect-time histogram's finite buckets,
 * strictly rising, as the data plane uses them (100 us .. 3 s). */
struct connect_buckets {
	unsigned count;
	double upper_s[ANALYSIS_MAX_BUCKETS];
};

/*
 * Counters of one color of one service.  In a snapshot the counters are
 * cumulative (as read from the data plane); in a window they are the
 * increase over the window.  connect[] is per bucket, NOT cumulative:
 * connect[i] counts handshakes with upper_s[i-1] < t <= upper_s[i]
 * (0 < t for i = 0) and connect[count] those above the last bound.  The two
 * backend counts are gauges: a window carries the values of its end.
 */
struct color_counts {
	uint64_t new_flows;             /* flows created */
	uint64_t syns_sent;             /* SYNs forwarded to backends */
	uint64_t synacks_seen;          /* SYN-ACKs seen back from backends */
	uint64_t backend_resets;        /* RSTs sent by backends */
	uint64_t connect[ANALYSIS_MAX_BUCKETS + 1];
	uint32_t backends_in_rotation;  /* admin state ready (not drain/maint) */
	uint32_t backends_healthy;      /* of those, passing health checks */
};

struct analysis_window {
	uint32_t rising_color;          /* BGXDP_BLUE / BGXDP_GREEN; stable is the other */
	struct color_counts rising;
	struct color_counts stable;
	/* A counter went down between the snapshots (the data plane was
	 * re-created): the window holds the counts since then. */
	bool counter_reset;
};

enum check_verdict {
	VERDICT_PASS,
	VERDICT_INCONCLUSIVE,
	VERDICT_FAIL,                   /* ordered: the worst verdict wins */
};

enum check_bound {
	CHECK_MAX,                      /* value <= limit passes */
	CHECK_MIN,                      /* value >= limit passes */
};

struct promql_check {
	char name[ANALYSIS_QUERY_NAME_LEN];
	char query[ANALYSIS_QUERY_LEN];
	enum check_bound bound;
	double limit;
};

/* Which checks run and their limits.  A check that is off produces no
 * result.  analysis_config_defaults() gives the values documented there. */
struct analysis_config {
	uint64_t min_samples;           /* rising new flows per window */
	bool failure_ratio_on;
	double max_failure_ratio;
	bool connect_p99_on;
	double max_connect_p99_s;
	bool healthy_on;
	uint32_t min_healthy;           /* 0: every backend in rotation */
	bool vs_stable_on;
	double max_ratio_vs_stable;     /* K of "rising <= K x stable" */
	double vs_stable_floor;         /* smallest stable ratio compared against */
	struct promql_check promql[ANALYSIS_MAX_QUERIES];
	unsigned n_promql;
	uint32_t max_query_errors;      /* consecutive errors tolerated per query */
};

/* Failures and flows of the stable color from an earlier window, used by
 * the vs-stable check when the stable color has too few flows now (at
 * 100 % it has none). */
struct stable_baseline {
	bool valid;
	uint64_t flows;
	uint64_t failures;
};

/* What one PromQL query returned (the caller ran it). */
struct promql_measurement {
	bool ok;
	double value;                   /* finite when ok */
	char error[ANALYSIS_REASON_LEN];/* why not, when !ok */
};

struct analysis_input {
	const struct analysis_config *config;
	const struct connect_buckets *buckets;
	const struct analysis_window *window;
	const struct stable_baseline *baseline;    /* NULL: none yet */
	const struct promql_measurement *promql;   /* config->n_promql entries */
	uint32_t query_errors[ANALYSIS_MAX_QUERIES];/* consecutive, before this */
};

struct check_result {
	char name[ANALYSIS_NAME_LEN];   /* failure_ratio, connect_p99_seconds,
					   healthy_backends, failure_ratio_vs_stable,
					   promql:<name> */
	enum check_verdict verdict;
	bool has_value;                 /* false: nothing could be measured */
	double value;
	enum check_bound bound;
	double limit;
	char reason[ANALYSIS_REASON_LEN];
};

struct analysis_result {
	enum check_verdict verdict;     /* the worst of the checks; pass if none */
	struct check_result checks[ANALYSIS_MAX_CHECKS];
	unsigned n_checks;
	char summary[ANALYSIS_SUMMARY_LEN]; /* reason of the first worst check */
	uint64_t rising_flows;          /* figures of the window */
	uint64_t rising_failures;
	uint64_t stable_flows;
	uint64_t stable_failures;
	struct stable_baseline baseline;   /* to pass to the next analysis */
	uint32_t query_errors[ANALYSIS_MAX_QUERIES]; /* consecutive, after this */
};

/* min_samples 100; failure ratio on, max 0.05; connect p99 off; health on,
 * at least 1 healthy; vs stable off (K 2, floor 0.01 when turned on);
 * no PromQL; max_query_errors 3. */
void analysis_config_defaults(struct analysis_config *config);

/* 0 if bounds are 1..ANALYSIS_MAX_BUCKETS finite, positive and strictly
 * rising; else -EINVAL naming the bad bound. */
int analysis_buckets_check(const struct connect_buckets *buckets, struct bgx_err *err);

/* The increase from `before` to `after` of one color.  A counter that went
 * down means the data plane's counters were re-created: then every
 * counter's delta is its value in `after` and *reset is set. */
void analysis_counts_delta(const struct color_counts *before,
			   const struct color_counts *after,
			   unsigned n_buckets, struct color_counts *delta, bool *reset);

/* Both colors at once; rising_color says which of the snapshots is which. */
void analysis_window_delta(uint32_t rising_color,
			   const struct color_counts before[2],
			   const struct color_counts after[2],
			   unsigned n_buckets, struct analysis_window *window);

/* Per-bucket counts from Prometheus-style cumulative ones (cum[i] = count
 * of t <= upper_s[i], cum[n_buckets] = total); -EINVAL if they decrease. */
int analysis_connect_from_cumulative(const uint64_t *cumulative, unsigned n_buckets,
				     uint64_t *per_bucket, struct bgx_err *err);

/* failures(color) as defined above. */
uint64_t analysis_failures(const struct color_counts *counts);

/* The q-quantile (0 < q < 1) of a per-bucket histogram, interpolated.
 * Returns 0 and *seconds, 1 if the rank falls in the +Inf bucket (then
 * *seconds is the last finite bound), -ENODATA if the histogram is empty. */
int analysis_quantile(const struct connect_buckets *buckets, const uint64_t *connect,
		      double q, double *seconds);

/* Run every configured check; 0, or -EINVAL (with err) on a bad input
 * (bad buckets, promql missing for configured queries).  in->baseline may
 * point into *out (the previous result). */
int analysis_run(const struct analysis_input *in, struct analysis_result *out,
		 struct bgx_err *err);

const char *check_verdict_name(enum check_verdict verdict);   /* pass, fail, inconclusive */
const char *check_bound_name(enum check_bound bound);         /* max, min */

#endif
