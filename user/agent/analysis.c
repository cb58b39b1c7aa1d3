// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * analysis.c - the checks of a rollout step over one counter window.
 * Definitions and verdict rules are in analysis.h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis.h"
#include "bgxdp.h"

static const char *color_word(uint32_t color)
{
	return color == BGXDP_GREEN ? "green" : "blue";
}

/* Ratios and limits as a user reads them: 0.31, 0.05, 0.0001. */
#define NUM "%.4g"

/* Durations: "12.3 ms" below a second, "1.5 s" above. */
static void format_seconds(double s, char *buf, size_t len)
{
	if (s < 1.0)
		snprintf(buf, len, NUM " ms", s * 1000.0);
	else
		snprintf(buf, len, NUM " s", s);
}

void analysis_config_defaults(struct analysis_config *c)
{
	memset(c, 0, sizeof(*c));
	c->min_samples = 100;
	c->failure_ratio_on = true;
	c->max_failure_ratio = 0.05;
	c->max_connect_p99_s = 1.0;
	c->healthy_on = true;
	c->min_healthy = 1;
	c->max_ratio_vs_stable = 2.0;
	c->vs_stable_floor = 0.01;
	c->max_query_errors = 3;
}

int analysis_buckets_check(const struct connect_buckets *b, struct bgx_err *err)
{
	if (b->count < 1 || b->count > ANALYSIS_MAX_BUCKETS)
		return bgx_fail(err, EINVAL, "connect-time histogram: %u buckets, accepted 1..%d",
				b->count, ANALYSIS_MAX_BUCKETS);
	for (unsigned i = 0; i < b->count; i++) {
		double prev = i ? b->upper_s[i - 1] : 0.0;

		if (!isfinite(b->upper_s[i]) || b->upper_s[i] <= prev)
			return bgx_fail(err, EINVAL,
					"connect-time histogram: bound %u (%g s) is not finite and above the one before",
					i, b->upper_s[i]);
	}
	return 0;
}

static bool any_counter_went_down(const struct color_counts *before,
				  const struct color_counts *after, unsigned n_buckets)
{
	if (after->new_flows < before->new_flows || after->syns_sent < before->syns_sent ||
	    after->synacks_seen < before->synacks_seen ||
	    after->backend_resets < before->backend_resets)
		return true;
	for (unsigned i = 0; i <= n_buckets; i++)
		if (after->connect[i] < before->connect[i])
			return true;
	return false;
}

void analysis_counts_delta(const struct color_counts *before, const struct color_counts *after,
			   unsigned n_buckets, struct color_counts *delta, bool *reset)
{
	/* Per-CPU sums only go down when the maps were re-created: then all
	 * of them restarted together, and `after` is the whole increase. */
	bool went_down;

	if (n_buckets > ANALYSIS_MAX_BUCKETS)
		n_buckets = ANALYSIS_MAX_BUCKETS;
	went_down = any_counter_went_down(before, after, n_buckets);
	*delta = *after;
	if (went_down) {
		*reset = true;
		return;
	}
	delta->new_flows -= before->new_flows;
	delta->syns_sent -= before->syns_sent;
	delta->synacks_seen -= before->synacks_seen;
	delta->backend_resets -= before->backend_resets;
	for (unsigned i = 0; i <= n_buckets; i++)
		delta->connect[i] -= before->connect[i];
}

void analysis_window_delta(uint32_t rising_color, const struct color_counts before[2],
			   const struct color_counts after[2], unsigned n_buckets,
			   struct analysis_window *w)
{
	uint32_t rising = rising_color == BGXDP_GREEN ? BGXDP_GREEN : BGXDP_BLUE;
	uint32_t stable = rising == BGXDP_GREEN ? BGXDP_BLUE : BGXDP_GREEN;

	memset(w, 0, sizeof(*w));
	w->rising_color = rising;
	analysis_counts_delta(&before[rising], &after[rising], n_buckets, &w->rising,
			      &w->counter_reset);
	analysis_counts_delta(&before[stable], &after[stable], n_buckets, &w->stable,
			      &w->counter_reset);
}

int analysis_connect_from_cumulative(const uint64_t *cum, unsigned n_buckets,
				     uint64_t *per_bucket, struct bgx_err *err)
{
	if (n_buckets > ANALYSIS_MAX_BUCKETS)
		return bgx_fail(err, EINVAL, "connect-time histogram: %u buckets, accepted up to %d",
				n_buckets, ANALYSIS_MAX_BUCKETS);
	for (unsigned i = 1; i <= n_buckets; i++)
		if (cum[i] < cum[i - 1])
			return bgx_fail(err, EINVAL,
					"connect-time histogram: bucket %u (%llu) below bucket %u (%llu): not cumulative",
					i, (unsigned long long)cum[i], i - 1,
					(unsigned long long)cum[i - 1]);
	for (unsigned i = 0; i <= n_buckets; i++)
		per_bucket[i] = cum[i] - (i ? cum[i - 1] : 0);
	return 0;
}

uint64_t analysis_failures(const struct color_counts *c)
{
	uint64_t unanswered = c->syns_sent > c->synacks_seen ? c->syns_sent - c->synacks_seen : 0;

	return unanswered + c->backend_resets;
}

static double larger(double a, double b)
{
	return a > b ? a : b;
}

static double ratio_of(uint64_t part, uint64_t whole)
{
	return whole ? (double)part / (double)whole : 0.0;
}

int analysis_quantile(const struct connect_buckets *b, const uint64_t *connect, double q,
		      double *seconds)
{
	uint64_t total = 0, below = 0;
	double rank;

	for (unsigned i = 0; i <= b->count; i++)
		total += connect[i];
	if (!total)
		return -ENODATA;
	rank = q * (double)total;
	for (unsigned i = 0; i < b->count; i++) {
		if (connect[i] && (double)(below + connect[i]) >= rank) {
			double lo = i ? b->upper_s[i - 1] : 0.0;
			double hi = b->upper_s[i];

			*seconds = lo + (hi - lo) * (rank - (double)below) / (double)connect[i];
			return 0;
		}
		below += connect[i];
	}
	*seconds = b->upper_s[b->count - 1];
	return 1;
}

/* ---- the checks --------------------------------------------------------- */

static struct check_result *new_check(struct analysis_result *out, const char *name,
				      enum check_bound bound, double limit)
{
	struct check_result *c = &out->checks[out->n_checks++];

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->bound = bound;
	c->limit = limit;
	return c;
}

static void set_value(struct check_result *c, double value)
{
	c->has_value = true;
	c->value = value;
}

/* The stable color's figures the vs-stable comparison uses: this window's
 * when it has enough flows, else the baseline from an earlier window. */
struct stable_reference {
	bool usable;
	bool from_baseline;
	uint64_t flows;
	uint64_t failures;
};

static struct stable_reference stable_reference(const struct analysis_input *in)
{
	const struct color_counts *s = &in->window->stable;
	struct stable_reference r = { 0 };

	if (s->new_flows >= in->config->min_samples && s->new_flows) {
		r.usable = true;
		r.flows = s->new_flows;
		r.failures = analysis_failures(s);
	} else if (in->baseline && in->baseline->valid && in->baseline->flows) {
		r.usable = r.from_baseline = true;
		r.flows = in->baseline->flows;
		r.failures = in->baseline->failures;
	}
	return r;
}

static bool too_few_flows(const struct analysis_input *in, struct check_result *c)
{
	uint64_t flows = in->window->rising.new_flows;

	if (flows >= in->config->min_samples)
		return false;
	c->verdict = VERDICT_INCONCLUSIVE;
	snprintf(c->reason, sizeof(c->reason), "%llu %s new flows < min %llu",
		 (unsigned long long)flows, color_word(in->window->rising_color),
		 (unsigned long long)in->config->min_samples);
	return true;
}

static void check_failure_ratio(const struct analysis_input *in, struct analysis_result *out)
{
	const struct analysis_config *cfg = in->config;
	const struct color_counts *r = &in->window->rising;
	const char *rising = color_word(in->window->rising_color);
	const char *stable = color_word(!in->window->rising_color);
	struct check_result *c = new_check(out, "failure_ratio", CHECK_MAX, cfg->max_failure_ratio);
	uint64_t failures = analysis_failures(r);
	double ratio = ratio_of(failures, r->new_flows);
	struct stable_reference ref;

	if (r->new_flows)
		set_value(c, ratio);
	if (too_few_flows(in, c))
		return;
	if (ratio <= cfg->max_failure_ratio) {
		c->verdict = VERDICT_PASS;
		snprintf(c->reason, sizeof(c->reason), "%s failure ratio " NUM " (%llu/%llu) <= max " NUM,
			 rising, ratio, (unsigned long long)failures,
			 (unsigned long long)r->new_flows, cfg->max_failure_ratio);
		return;
	}
	ref = stable_reference(in);
	if (cfg->vs_stable_on && ref.usable &&
	    ratio <= cfg->max_ratio_vs_stable *
			     larger(ratio_of(ref.failures, ref.flows), cfg->vs_stable_floor)) {
		/* The stable color suffers as much over the same seconds: the
		 * network or a shared dependency, not the new color. */
		c->verdict = VERDICT_INCONCLUSIVE;
		snprintf(c->reason, sizeof(c->reason),
			 "%s failure ratio " NUM " (%llu/%llu) > max " NUM ", but %s is as bad (" NUM
			 ", %llu/%llu): not blamed",
			 rising, ratio, (unsigned long long)failures, (unsigned long long)r->new_flows,
			 cfg->max_failure_ratio, stable, ratio_of(ref.failures, ref.flows),
			 (unsigned long long)ref.failures, (unsigned long long)ref.flows);
		return;
	}
	c->verdict = VERDICT_FAIL;
	snprintf(c->reason, sizeof(c->reason),
		 "%s failure ratio " NUM " (%llu/%llu: %llu unanswered SYNs + %llu resets) > max " NUM,
		 rising, ratio, (unsigned long long)failures, (unsigned long long)r->new_flows,
		 (unsigned long long)(failures - r->backend_resets),
		 (unsigned long long)r->backend_resets, cfg->max_failure_ratio);
}

static void check_connect_p99(const struct analysis_input *in, struct analysis_result *out)
{
	const struct analysis_config *cfg = in->config;
	const char *rising = color_word(in->window->rising_color);
	const struct connect_buckets *b = in->buckets;
	struct check_result *c = new_check(out, "connect_p99_seconds", CHECK_MAX,
					   cfg->max_connect_p99_s);
	char value[32], limit[32], last[32];
	uint64_t measured = 0;
	double p99 = 0;
	int r;

	for (unsigned i = 0; i <= b->count; i++)
		measured += in->window->rising.connect[i];
	format_seconds(cfg->max_connect_p99_s, limit, sizeof(limit));
	format_seconds(b->upper_s[b->count - 1], last, sizeof(last));
	if (measured < cfg->min_samples || measured == 0) {
		c->verdict = VERDICT_INCONCLUSIVE;
		snprintf(c->reason, sizeof(c->reason), "%llu %s handshakes measured < min %llu",
			 (unsigned long long)measured, rising,
			 (unsigned long long)cfg->min_samples);
		return;
	}
	r = analysis_quantile(b, in->window->rising.connect, 0.99, &p99);
	set_value(c, p99);
	format_seconds(p99, value, sizeof(value));
	if (r == 1 && cfg->max_connect_p99_s >= b->upper_s[b->count - 1]) {
		c->verdict = VERDICT_INCONCLUSIVE;
		snprintf(c->reason, sizeof(c->reason),
			 "%s connect p99 above %s (the last bucket): cannot compare with max %s",
			 rising, last, limit);
	} else if (r == 1) {
		c->verdict = VERDICT_FAIL;
		snprintf(c->reason, sizeof(c->reason),
			 "%s connect p99 > %s (above the last bucket) > max %s", rising, last, limit);
	} else {
		bool ok = p99 <= cfg->max_connect_p99_s;

		c->verdict = ok ? VERDICT_PASS : VERDICT_FAIL;
		snprintf(c->reason, sizeof(c->reason), "%s connect p99 %s (%llu handshakes) %s max %s",
			 rising, value, (unsigned long long)measured, ok ? "<=" : ">", limit);
	}
}

static void check_healthy(const struct analysis_input *in, struct analysis_result *out)
{
	const struct color_counts *r = &in->window->rising;
	const char *rising = color_word(in->window->rising_color);
	uint32_t need = in->config->min_healthy ? in->config->min_healthy : r->backends_in_rotation;
	struct check_result *c = new_check(out, "healthy_backends", CHECK_MIN, need);
	const char *all = in->config->min_healthy ? "" : " (all)";

	set_value(c, r->backends_healthy);
	if (r->backends_in_rotation == 0) {
		c->verdict = VERDICT_FAIL;
		snprintf(c->reason, sizeof(c->reason), "%s has no backend in rotation", rising);
	} else if (r->backends_healthy >= need) {
		c->verdict = VERDICT_PASS;
		snprintf(c->reason, sizeof(c->reason), "%s healthy backends %u of %u >= min %u%s",
			 rising, r->backends_healthy, r->backends_in_rotation, need, all);
	} else {
		c->verdict = VERDICT_FAIL;
		snprintf(c->reason, sizeof(c->reason), "%s healthy backends %u of %u < min %u%s",
			 rising, r->backends_healthy, r->backends_in_rotation, need, all);
	}
}

static void check_vs_stable(const struct analysis_input *in, struct analysis_result *out)
{
	const struct analysis_config *cfg = in->config;
	const struct color_counts *r = &in->window->rising;
	const char *rising = color_word(in->window->rising_color);
	const char *stable = color_word(!in->window->rising_color);
	struct check_result *c = new_check(out, "failure_ratio_vs_stable", CHECK_MAX,
					   cfg->max_ratio_vs_stable);
	struct stable_reference ref = stable_reference(in);
	uint64_t failures = analysis_failures(r);
	double ratio = ratio_of(failures, r->new_flows), stable_ratio, multiple;

	if (too_few_flows(in, c))
		return;
	if (!ref.usable) {
		c->verdict = VERDICT_INCONCLUSIVE;
		snprintf(c->reason, sizeof(c->reason),
			 "%llu %s new flows < min %llu and no earlier window: nothing to compare with",
			 (unsigned long long)in->window->stable.new_flows, stable,
			 (unsigned long long)cfg->min_samples);
		return;
	}
	stable_ratio = ratio_of(ref.failures, ref.flows);
	multiple = ratio / larger(stable_ratio, cfg->vs_stable_floor);
	set_value(c, multiple);
	c->verdict = multiple <= cfg->max_ratio_vs_stable ? VERDICT_PASS : VERDICT_FAIL;
	snprintf(c->reason, sizeof(c->reason),
		 "%s failure ratio " NUM " (%llu/%llu) %s " NUM "x stable %s " NUM
		 " (%llu/%llu%s, floor " NUM ")",
		 rising, ratio, (unsigned long long)failures, (unsigned long long)r->new_flows,
		 c->verdict == VERDICT_PASS ? "<=" : ">", cfg->max_ratio_vs_stable, stable,
		 stable_ratio, (unsigned long long)ref.failures, (unsigned long long)ref.flows,
		 ref.from_baseline ? " in an earlier window" : "", cfg->vs_stable_floor);
}

static void check_promql(const struct analysis_input *in, unsigned i, struct analysis_result *out)
{
	const struct promql_check *q = &in->config->promql[i];
	const struct promql_measurement *m = &in->promql[i];
	char name[ANALYSIS_NAME_LEN];
	struct check_result *c;

	snprintf(name, sizeof(name), "promql:%s", q->name);
	c = new_check(out, name, q->bound, q->limit);
	if (m->ok) {
		bool ok = q->bound == CHECK_MAX ? m->value <= q->limit : m->value >= q->limit;

		out->query_errors[i] = 0;
		set_value(c, m->value);
		c->verdict = ok ? VERDICT_PASS : VERDICT_FAIL;
		snprintf(c->reason, sizeof(c->reason), "promql %s " NUM " %s %s " NUM, q->name,
			 m->value, ok ? (q->bound == CHECK_MAX ? "<=" : ">=")
				      : (q->bound == CHECK_MAX ? ">" : "<"),
			 check_bound_name(q->bound), q->limit);
		return;
	}
	out->query_errors[i] = in->query_errors[i] + 1;
	if (out->query_errors[i] > in->config->max_query_errors) {
		c->verdict = VERDICT_FAIL;
		snprintf(c->reason, sizeof(c->reason), "promql %s: %u query errors in a row > max %u: %.160s",
			 q->name, out->query_errors[i], in->config->max_query_errors, m->error);
	} else {
		c->verdict = VERDICT_INCONCLUSIVE;
		snprintf(c->reason, sizeof(c->reason), "promql %s: query error %u of %u tolerated: %.160s",
			 q->name, out->query_errors[i], in->config->max_query_errors, m->error);
	}
}

/* ---- the whole analysis ------------------------------------------------- */

static void summarize(struct analysis_result *out)
{
	const struct check_result *first = NULL;

	/* The first check with the worst verdict explains it. */
	out->verdict = VERDICT_PASS;
	for (unsigned i = 0; i < out->n_checks; i++)
		if (out->checks[i].verdict > out->verdict) {
			out->verdict = out->checks[i].verdict;
			first = &out->checks[i];
		}
	if (first && out->verdict == VERDICT_INCONCLUSIVE)
		snprintf(out->summary, sizeof(out->summary), "inconclusive: %s", first->reason);
	else if (first)
		snprintf(out->summary, sizeof(out->summary), "%s", first->reason);
	else if (out->n_checks)
		snprintf(out->summary, sizeof(out->summary), "%u of %u checks passed",
			 out->n_checks, out->n_checks);
	else
		snprintf(out->summary, sizeof(out->summary), "no check configured");
}

static int check_input(const struct analysis_input *in, struct bgx_err *err)
{
	if (!in->config || !in->window || !in->buckets)
		return bgx_fail(err, EINVAL, "analysis: config, window and buckets are required");
	if (in->config->n_promql > ANALYSIS_MAX_QUERIES)
		return bgx_fail(err, EINVAL, "analysis: %u PromQL checks, accepted up to %d",
				in->config->n_promql, ANALYSIS_MAX_QUERIES);
	if (in->config->n_promql && !in->promql)
		return bgx_fail(err, EINVAL, "analysis: %u PromQL checks but no measurements",
				in->config->n_promql);
	return analysis_buckets_check(in->buckets, err);
}

int analysis_run(const struct analysis_input *input, struct analysis_result *out,
		 struct bgx_err *err)
{
	/* The baseline may live in *out (the previous result): copy it first. */
	struct stable_baseline baseline = { 0 };
	struct analysis_input copy = *input, *in = &copy;
	const struct analysis_config *cfg = in->config;
	const struct color_counts *stable;
	int r = check_input(in, err);

	if (r)
		return r;
	if (in->baseline) {
		baseline = *in->baseline;
		in->baseline = &baseline;
	}
	memset(out, 0, sizeof(*out));
	if (cfg->failure_ratio_on)
		check_failure_ratio(in, out);
	if (cfg->connect_p99_on)
		check_connect_p99(in, out);
	if (cfg->healthy_on)
		check_healthy(in, out);
	if (cfg->vs_stable_on)
		check_vs_stable(in, out);
	for (unsigned i = 0; i < cfg->n_promql; i++)
		check_promql(in, i, out);
	summarize(out);

	stable = &in->window->stable;
	out->rising_flows = in->window->rising.new_flows;
	out->rising_failures = analysis_failures(&in->window->rising);
	out->stable_flows = stable->new_flows;
	out->stable_failures = analysis_failures(stable);
	out->baseline = baseline;
	if (stable->new_flows && stable->new_flows >= cfg->min_samples)
		out->baseline = (struct stable_baseline){ true, stable->new_flows,
							   out->stable_failures };
	return 0;
}

const char *check_verdict_name(enum check_verdict v)
{
	switch (v) {
	case VERDICT_PASS: return "pass";
	case VERDICT_FAIL: return "fail";
	case VERDICT_INCONCLUSIVE: return "inconclusive";
	}
	return "?";
}

const char *check_bound_name(enum check_bound b)
{
	return b == CHECK_MIN ? "min" : "max";
}
