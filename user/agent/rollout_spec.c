// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rollout_spec.c - a rollout's spec: the values the CLI parses at the edge
 * (steps, gates, durations, multiples, limits) and the rules a whole spec
 * must meet.  Every refusal is one line naming the value and what is
 * accepted.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promql.h"
#include "rollout.h"

#define MAX_DURATION_MS (7ull * 24 * 3600 * 1000)

void rollout_spec_defaults(struct rollout_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->rising_color = BGXDP_GREEN;
	spec->on_failure = ROLLOUT_ON_FAILURE_ABORT;
	spec->max_extensions = 3;
	spec->promql_timeout_ms = 2000;
	analysis_config_defaults(&spec->analysis);
}

/* "12.5" -> 1250: 0..100 with at most two decimals, nothing else. */
static int parse_percent(const char *s, size_t len, uint32_t *bp)
{
	uint32_t whole = 0, frac = 0;
	size_t i = 0, digits = 0, decimals = 0;

	for (; i < len && isdigit((unsigned char)s[i]) && digits < 4; i++, digits++)
		whole = whole * 10 + (uint32_t)(s[i] - '0');
	if (!digits)
		return -EINVAL;
	if (i < len && s[i] == '.') {
		for (i++; i < len && isdigit((unsigned char)s[i]) && decimals < 2; i++, decimals++)
			frac = frac * 10 + (uint32_t)(s[i] - '0');
		if (!decimals)
			return -EINVAL;
		if (decimals == 1)
			frac *= 10;
	}
	if (i != len || whole > 100 || (whole == 100 && frac))
		return -EINVAL;
	*bp = whole * 100 + frac;
	return 0;
}

typedef int (*item_fn)(const char *item, size_t len, const char *label, void *ctx,
		       struct bgx_err *err);

/* Calls `fn` for each comma-separated item of `s`; refuses empty items. */
static int for_each_item(const char *s, const char *label, item_fn fn, void *ctx,
			 struct bgx_err *err)
{
	const char *p = s;

	if (!s || !*s)
		return bgx_fail_usage(err, EINVAL, "%s is empty: give a comma-separated list", label);
	for (;;) {
		size_t len = strcspn(p, ",");
		int r;

		if (!len)
			return bgx_fail_usage(err, EINVAL, "%s \"%.80s\": empty item", label, s);
		r = fn(p, len, label, ctx, err);
		if (r || !p[len])
			return r;
		p += len + 1;
	}
}

static int item_percent(const char *item, size_t len, const char *label, uint32_t *bp,
			struct bgx_err *err)
{
	if (parse_percent(item, len, bp))
		return bgx_fail_usage(err, EINVAL,
				      "%s: \"%.*s\" is not a percentage 0-100 with up to 2 decimals",
				      label, (int)(len > 20 ? 20 : len), item);
	return 0;
}

static int add_step(const char *item, size_t len, const char *label, void *ctx,
		    struct bgx_err *err)
{
	struct rollout_spec *spec = ctx;
	uint32_t bp;
	int r = item_percent(item, len, label, &bp, err);

	if (r)
		return r;
	if (spec->n_steps == ROLLOUT_MAX_STEPS)
		return bgx_fail_usage(err, E2BIG, "%s: more than %d steps", label, ROLLOUT_MAX_STEPS);
	spec->steps_bp[spec->n_steps++] = bp;
	return 0;
}

int rollout_parse_steps(const char *s, struct rollout_spec *spec, struct bgx_err *err)
{
	struct rollout_spec parsed = *spec;
	int r;

	parsed.n_steps = 0;
	memset(parsed.gate, 0, sizeof(parsed.gate));
	r = for_each_item(s, "--steps", add_step, &parsed, err);
	if (!r)
		*spec = parsed;
	return r;
}

static int add_gate(const char *item, size_t len, const char *label, void *ctx,
		    struct bgx_err *err)
{
	struct rollout_spec *spec = ctx;
	uint32_t bp;
	int r = item_percent(item, len, label, &bp, err);

	if (r)
		return r;
	for (unsigned i = 0; i < spec->n_steps; i++)
		if (spec->steps_bp[i] == bp) {
			spec->gate[i] = true;
			return 0;
		}
	return bgx_fail_usage(err, EINVAL, "%s %u.%02u: not one of the steps", label, bp / 100,
			      bp % 100);
}

int rollout_parse_pause_at(const char *s, struct rollout_spec *spec, struct bgx_err *err)
{
	struct rollout_spec parsed = *spec;
	int r;

	memset(parsed.gate, 0, sizeof(parsed.gate));
	r = for_each_item(s, "--pause-at", add_gate, &parsed, err);
	if (!r)
		*spec = parsed;
	return r;
}

int rollout_parse_duration(const char *s, const char *label, uint64_t *ms, struct bgx_err *err)
{
	static const struct { const char *unit; uint64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	uint64_t n = 0;
	size_t digits = 0;
	const char *p = s ? s : "";

	for (; isdigit((unsigned char)*p) && digits < 10; p++, digits++)
		n = n * 10 + (uint64_t)(*p - '0');
	for (size_t i = 0; digits && !isdigit((unsigned char)*p) &&
			   i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].unit))
			continue;
		if (n == 0 || n * units[i].ms > MAX_DURATION_MS)
			break;
		*ms = n * units[i].ms;
		return 0;
	}
	return bgx_fail_usage(err, EINVAL,
			      "%s \"%.40s\": a duration like 250ms, 2s, 1m or 1h is accepted (1ms to 7 days)",
			      label, s ? s : "");
}

int rollout_parse_number(const char *s, const char *label, double *v, struct bgx_err *err)
{
	char *end = NULL;
	double d;

	errno = 0;
	d = (s && *s && !isspace((unsigned char)*s)) ? strtod(s, &end) : NAN;
	if (!end || *end || errno || !isfinite(d))
		return bgx_fail_usage(err, EINVAL, "%s \"%.40s\": a finite decimal number is accepted",
				      label, s ? s : "");
	*v = d;
	return 0;
}

int rollout_parse_multiple(const char *s, const char *label, double *k, struct bgx_err *err)
{
	char buf[32];
	size_t len = s ? strlen(s) : 0;
	double d;

	if (len && len < sizeof(buf) && (s[len - 1] == 'x' || s[len - 1] == 'X'))
		len--;
	if (!len || len >= sizeof(buf))
		len = 0;
	memcpy(buf, s ? s : "", len);
	buf[len] = '\0';
	if (!len || rollout_parse_number(buf, label, &d, NULL) || d < 1.0 || d > 1000.0)
		return bgx_fail_usage(err, EINVAL, "%s \"%.40s\": a multiple like 2x is accepted (1x to 1000x)",
				      label, s ? s : "");
	*k = d;
	return 0;
}

int rollout_parse_on_failure(const char *s, enum rollout_on_failure *v, struct bgx_err *err)
{
	if (s && !strcmp(s, "abort"))
		*v = ROLLOUT_ON_FAILURE_ABORT;
	else if (s && !strcmp(s, "pause"))
		*v = ROLLOUT_ON_FAILURE_PAUSE;
	else
		return bgx_fail_usage(err, EINVAL, "--on-failure \"%.40s\": abort or pause is accepted",
				      s ? s : "");
	return 0;
}

static bool good_query_name(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n >= ANALYSIS_QUERY_NAME_LEN)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

static int query_text_check(const char *q, struct bgx_err *err)
{
	if (!q || !*q)
		return bgx_fail_usage(err, EINVAL, "--query is empty: give a PromQL expression");
	if (strlen(q) >= ANALYSIS_QUERY_LEN)
		return bgx_fail_usage(err, EINVAL, "--query is %zu bytes long, accepted up to %d",
				      strlen(q), ANALYSIS_QUERY_LEN - 1);
	for (const char *p = q; *p; p++)
		if (((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
			return bgx_fail_usage(err, EINVAL, "--query '%.60s' contains control characters", q);
	return 0;
}

int rollout_add_query(struct rollout_spec *spec, const char *name, const char *query,
		      enum check_bound bound, double limit, struct bgx_err *err)
{
	struct analysis_config *a = &spec->analysis;
	struct promql_check *q;
	char fallback[ANALYSIS_QUERY_NAME_LEN];
	int r = query_text_check(query, err);

	if (r)
		return r;
	if (a->n_promql >= ANALYSIS_MAX_QUERIES)
		return bgx_fail_usage(err, E2BIG, "more than %d --query checks", ANALYSIS_MAX_QUERIES);
	if (!name) {
		snprintf(fallback, sizeof(fallback), "query%u", a->n_promql + 1);
		name = fallback;
	}
	if (!good_query_name(name))
		return bgx_fail_usage(err, EINVAL, "query name \"%.40s\": [A-Za-z0-9_.-]{1,31} is accepted",
				      name);
	for (unsigned i = 0; i < a->n_promql; i++)
		if (!strcmp(a->promql[i].name, name))
			return bgx_fail_usage(err, EEXIST, "query name \"%s\" is used twice", name);
	if (!isfinite(limit) || (bound != CHECK_MAX && bound != CHECK_MIN))
		return bgx_fail_usage(err, EINVAL, "query %s: --max or --min with a finite number", name);
	q = &a->promql[a->n_promql++];
	snprintf(q->name, sizeof(q->name), "%s", name);
	snprintf(q->query, sizeof(q->query), "%s", query);
	q->bound = bound;
	q->limit = limit;
	return 0;
}

void rollout_spec_verify(struct rollout_spec *spec, uint64_t duration_ms)
{
	spec->verify = true;
	spec->n_steps = 1;
	spec->steps_bp[0] = BGXDP_SHARE_SCALE;
	memset(spec->gate, 0, sizeof(spec->gate));
	spec->interval_ms = duration_ms;
}

/* ---- validation --------------------------------------------------------- */

static int service_name_check(const char *name, struct bgx_err *err)
{
	size_t n = strnlen(name, BGXDP_NAME_LEN);

	if (n == 0 || n >= BGXDP_NAME_LEN || !good_query_name(name))
		return bgx_fail_usage(err, EINVAL, "service name \"%.40s\": [A-Za-z0-9_.-]{1,31} is accepted",
				      name);
	return 0;
}

static int steps_check(const struct rollout_spec *s, struct bgx_err *err)
{
	if (s->n_steps < 1 || s->n_steps > ROLLOUT_MAX_STEPS)
		return bgx_fail_usage(err, EINVAL, "--steps: %u steps, accepted 1 to %d", s->n_steps,
				      ROLLOUT_MAX_STEPS);
	for (unsigned i = 0; i < s->n_steps; i++) {
		uint32_t bp = s->steps_bp[i];

		if (bp == 0 || bp > BGXDP_SHARE_SCALE)
			return bgx_fail_usage(err, EINVAL, "--steps: step %u.%02u %% is outside (0, 100]",
					      bp / 100, bp % 100);
		if (i && bp <= s->steps_bp[i - 1])
			return bgx_fail_usage(err, EINVAL,
					      "--steps must rise strictly: %u.%02u %% after %u.%02u %%",
					      bp / 100, bp % 100, s->steps_bp[i - 1] / 100,
					      s->steps_bp[i - 1] % 100);
	}
	if (s->steps_bp[s->n_steps - 1] != BGXDP_SHARE_SCALE)
		return bgx_fail_usage(err, EINVAL, "--steps: the last step must be 100 (a rollout ends with every new flow on the new color)");
	if (s->verify && s->n_steps != 1)
		return bgx_fail_usage(err, EINVAL, "--verify is one step at 100 %%, not %u steps",
				      s->n_steps);
	return 0;
}

static int interval_check(const struct rollout_spec *s, uint64_t check_interval_ms,
			  struct bgx_err *err)
{
	const char *what = s->verify ? "--verify" : "--interval";

	if (s->interval_ms < ROLLOUT_MIN_INTERVAL_MS || s->interval_ms > MAX_DURATION_MS)
		return bgx_fail_usage(err, EINVAL, "%s %llu ms: accepted %d ms to 7 days", what,
				      (unsigned long long)s->interval_ms, ROLLOUT_MIN_INTERVAL_MS);
	if (check_interval_ms && s->interval_ms < check_interval_ms)
		return bgx_fail_usage(err, EINVAL,
				      "%s %llu ms is below the health-check interval %llu ms: a step would end before its backends are checked",
				      what, (unsigned long long)s->interval_ms,
				      (unsigned long long)check_interval_ms);
	return 0;
}

static int limits_check(const struct analysis_config *a, struct bgx_err *err)
{
	if (a->min_samples < 1 || a->min_samples > 1000000000ull)
		return bgx_fail_usage(err, EINVAL, "--min-samples %llu: accepted 1 to 1000000000",
				      (unsigned long long)a->min_samples);
	if (a->failure_ratio_on && !(a->max_failure_ratio >= 0 && a->max_failure_ratio <= 1))
		return bgx_fail_usage(err, EINVAL, "--max-failure-ratio %g: accepted 0 to 1",
				      a->max_failure_ratio);
	if (a->connect_p99_on && !(a->max_connect_p99_s > 0 && a->max_connect_p99_s <= 60))
		return bgx_fail_usage(err, EINVAL, "--max-connect-p99 %g s: accepted above 0 up to 60 s",
				      a->max_connect_p99_s);
	if (a->healthy_on && a->min_healthy > BGXDP_MAX_BACKENDS)
		return bgx_fail_usage(err, EINVAL, "--min-healthy %u: accepted 0 (all) to %d",
				      a->min_healthy, BGXDP_MAX_BACKENDS);
	if (a->vs_stable_on && !(a->max_ratio_vs_stable >= 1 && a->max_ratio_vs_stable <= 1000))
		return bgx_fail_usage(err, EINVAL, "--max-error-ratio-vs-stable %gx: accepted 1x to 1000x",
				      a->max_ratio_vs_stable);
	if (a->vs_stable_on && !(a->vs_stable_floor > 0 && a->vs_stable_floor <= 1))
		return bgx_fail_usage(err, EINVAL, "vs-stable floor %g: accepted above 0 up to 1",
				      a->vs_stable_floor);
	if (a->max_query_errors > 1000)
		return bgx_fail_usage(err, EINVAL, "--max-query-errors %u: accepted 0 to 1000",
				      a->max_query_errors);
	return 0;
}

static int promql_spec_check(const struct rollout_spec *s, struct bgx_err *err)
{
	const struct analysis_config *a = &s->analysis;

	if (a->n_promql > ANALYSIS_MAX_QUERIES)
		return bgx_fail_usage(err, E2BIG, "more than %d --query checks", ANALYSIS_MAX_QUERIES);
	if (a->n_promql && !s->prometheus_url[0])
		return bgx_fail_usage(err, EINVAL, "--query needs --prometheus URL");
	if (!a->n_promql && s->prometheus_url[0])
		return bgx_fail_usage(err, EINVAL, "--prometheus without --query: nothing to ask it");
	if (a->n_promql && (s->promql_timeout_ms < 1 || s->promql_timeout_ms > 600000))
		return bgx_fail_usage(err, EINVAL, "PromQL timeout %u ms: accepted 1 to 600000",
				      s->promql_timeout_ms);
	for (unsigned i = 0; i < a->n_promql; i++) {
		const struct promql_check *q = &a->promql[i];

		if (!good_query_name(q->name) || query_text_check(q->query, err) ||
		    !isfinite(q->limit) || (q->bound != CHECK_MAX && q->bound != CHECK_MIN))
			return bgx_fail_usage(err, EINVAL, "query %u (\"%.31s\") is not a valid check", i + 1,
					      q->name);
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(a->promql[j].name, q->name))
				return bgx_fail_usage(err, EEXIST, "query name \"%s\" is used twice",
						      q->name);
	}
	return a->n_promql ? promql_url_check(s->prometheus_url, err) : 0;
}

int rollout_spec_validate(const struct rollout_spec *s, uint64_t check_interval_ms,
			  struct bgx_err *err)
{
	int r = service_name_check(s->service, err);

	if (!r && s->rising_color != BGXDP_BLUE && s->rising_color != BGXDP_GREEN)
		r = bgx_fail_usage(err, EINVAL, "color %u: blue or green is accepted", s->rising_color);
	if (!r)
		r = steps_check(s, err);
	if (!r)
		r = interval_check(s, check_interval_ms, err);
	if (!r && s->on_failure != ROLLOUT_ON_FAILURE_ABORT && s->on_failure != ROLLOUT_ON_FAILURE_PAUSE)
		r = bgx_fail_usage(err, EINVAL, "--on-failure: abort or pause is accepted");
	if (!r && s->max_extensions > 1000)
		r = bgx_fail_usage(err, EINVAL, "--max-extensions %u: accepted 0 to 1000",
				   s->max_extensions);
	if (!r)
		r = limits_check(&s->analysis, err);
	if (!r)
		r = promql_spec_check(s, err);
	return r;
}
