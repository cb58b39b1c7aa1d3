// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rollout_json.c - a rollout's spec, checks, decisions and counters as JSON
 * and back (jansson).  Shares are basis points, times Unix milliseconds,
 * values in base units (ratios, seconds).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rollout_json.h"

const char *rj_color_name(unsigned color)
{
	return color == BGXDP_GREEN ? "green" : color == BGXDP_BLUE ? "blue" : "?";
}

bool rj_set(json_t *o, const char *key, json_t *value)
{
	return value && json_object_set_new(o, key, value) == 0;
}

static json_t *real_or_null(bool has, double v)
{
	return has && isfinite(v) ? json_real(v) : json_null();
}

/* ---- writers ------------------------------------------------------------ */

static json_t *queries_json(const struct analysis_config *a)
{
	json_t *list = json_array();

	for (unsigned i = 0; list && i < a->n_promql; i++) {
		const struct promql_check *q = &a->promql[i];

		if (json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:f}", "name", q->name,
							  "query", q->query, "bound",
							  check_bound_name(q->bound), "limit",
							  q->limit))) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

static json_t *analysis_config_json(const struct analysis_config *a)
{
	return json_pack("{s:I, s:b, s:f, s:b, s:f, s:b, s:I, s:b, s:f, s:f, s:I, s:o}",
			 "min_samples", (json_int_t)a->min_samples,
			 "failure_ratio_on", a->failure_ratio_on,
			 "max_failure_ratio", a->max_failure_ratio,
			 "connect_p99_on", a->connect_p99_on,
			 "max_connect_p99_seconds", a->max_connect_p99_s,
			 "healthy_on", a->healthy_on,
			 "min_healthy", (json_int_t)a->min_healthy,
			 "vs_stable_on", a->vs_stable_on,
			 "max_ratio_vs_stable", a->max_ratio_vs_stable,
			 "vs_stable_floor", a->vs_stable_floor,
			 "max_query_errors", (json_int_t)a->max_query_errors,
			 "queries", queries_json(a));
}

json_t *rj_spec(const struct rollout_spec *s)
{
	json_t *steps = json_array(), *gates = json_array();

	for (unsigned i = 0; steps && gates && i < s->n_steps; i++) {
		json_array_append_new(steps, json_integer(s->steps_bp[i]));
		json_array_append_new(gates, json_boolean(s->gate[i]));
	}
	return json_pack("{s:s, s:s, s:o, s:o, s:I, s:s, s:I, s:b, s:I, s:s, s:o}",
			 "service", s->service,
			 "color", rj_color_name(s->rising_color),
			 "steps_bp", steps, "gates", gates,
			 "interval_ms", (json_int_t)s->interval_ms,
			 "on_failure", s->on_failure == ROLLOUT_ON_FAILURE_PAUSE ? "pause" : "abort",
			 "max_extensions", (json_int_t)s->max_extensions,
			 "verify", s->verify,
			 "promql_timeout_ms", (json_int_t)s->promql_timeout_ms,
			 "prometheus_url", s->prometheus_url,
			 "analysis", analysis_config_json(&s->analysis));
}

json_t *rj_checks(const struct check_result *checks, unsigned n)
{
	json_t *list = json_array();

	for (unsigned i = 0; list && i < n; i++) {
		const struct check_result *c = &checks[i];

		if (json_array_append_new(list, json_pack("{s:s, s:o, s:s, s:f, s:s, s:s}",
							  "check", c->name,
							  "value", real_or_null(c->has_value, c->value),
							  "bound", check_bound_name(c->bound),
							  "limit", c->limit,
							  "verdict", check_verdict_name(c->verdict),
							  "reason", c->reason))) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

json_t *rj_decision(const struct rollout_decision *d)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:s, s:s}",
			      "time_ms", (json_int_t)d->time_ms,
			      "event", rollout_event_name(d->event),
			      "actor", d->actor,
			      "step", (json_int_t)d->step + 1,
			      "green_before_bp", (json_int_t)d->green_before_bp,
			      "green_after_bp", (json_int_t)d->green_after_bp,
			      "phase", rollout_phase_name(d->phase),
			      "reason", d->reason);

	if (o && d->has_analysis &&
	    (!rj_set(o, "verdict", json_string(check_verdict_name(d->verdict))) ||
	     !rj_set(o, "checks", rj_checks(d->checks, d->n_checks)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *rj_counts(const struct color_counts *c)
{
	json_t *connect = json_array();

	for (unsigned i = 0; connect && i <= ANALYSIS_MAX_BUCKETS; i++)
		json_array_append_new(connect, json_integer((json_int_t)c->connect[i]));
	return json_pack("{s:I, s:I, s:I, s:I, s:o, s:I, s:I}",
			 "new_flows", (json_int_t)c->new_flows,
			 "syns_sent", (json_int_t)c->syns_sent,
			 "synacks_seen", (json_int_t)c->synacks_seen,
			 "backend_resets", (json_int_t)c->backend_resets,
			 "connect", connect,
			 "backends_in_rotation", (json_int_t)c->backends_in_rotation,
			 "backends_healthy", (json_int_t)c->backends_healthy);
}

json_t *rj_analysis(const struct analysis_result *a)
{
	return json_pack("{s:s, s:s, s:o, s:I, s:I, s:I, s:I}",
			 "verdict", check_verdict_name(a->verdict),
			 "summary", a->summary,
			 "checks", rj_checks(a->checks, a->n_checks),
			 "rising_flows", (json_int_t)a->rising_flows,
			 "rising_failures", (json_int_t)a->rising_failures,
			 "stable_flows", (json_int_t)a->stable_flows,
			 "stable_failures", (json_int_t)a->stable_failures);
}

/* ---- field readers ------------------------------------------------------ */

void rj_fail(struct rj_reader *r, const char *where, const char *key, const char *what)
{
	if (!r->bad)
		bgx_fail(r->err, EINVAL, "state file %s: %s%s%s missing or not %s", r->path, where,
			 *where ? "." : "", key, what);
	r->bad = true;
}

json_t *rj_field(struct rj_reader *r, json_t *o, const char *where, const char *key,
		 json_type type)
{
	json_t *v = json_object_get(o, key);

	if (r->bad)
		return NULL;
	if (!v || json_typeof(v) != type) {
		rj_fail(r, where, key, type == JSON_ARRAY ? "an array" :
				       type == JSON_OBJECT ? "an object" : "a string");
		return NULL;
	}
	return v;
}

uint64_t rj_u64(struct rj_reader *r, json_t *o, const char *where, const char *key, uint64_t max)
{
	json_t *v = json_object_get(o, key);

	if (r->bad)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max) {
		rj_fail(r, where, key, "a whole number in range");
		return 0;
	}
	return (uint64_t)json_integer_value(v);
}

double rj_double(struct rj_reader *r, json_t *o, const char *where, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (r->bad)
		return 0;
	if (!json_is_number(v) || !isfinite(json_number_value(v))) {
		rj_fail(r, where, key, "a number");
		return 0;
	}
	return json_number_value(v);
}

bool rj_bool(struct rj_reader *r, json_t *o, const char *where, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (r->bad)
		return false;
	if (!json_is_boolean(v)) {
		rj_fail(r, where, key, "true or false");
		return false;
	}
	return json_is_true(v);
}

void rj_string(struct rj_reader *r, json_t *o, const char *where, const char *key, char *buf,
	       size_t len)
{
	json_t *v = json_object_get(o, key);

	buf[0] = '\0';
	if (r->bad)
		return;
	if (!json_is_string(v) || json_string_length(v) >= len ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		rj_fail(r, where, key, "a string of the right length");
		return;
	}
	memcpy(buf, json_string_value(v), json_string_length(v) + 1);
}

unsigned rj_enum(struct rj_reader *r, json_t *o, const char *where, const char *key,
		 const char *(*name)(unsigned), unsigned count)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (r->bad)
		return 0;
	for (unsigned i = 0; s && i < count; i++)
		if (!strcmp(s, name(i)))
			return i;
	rj_fail(r, where, key, "one of the known names");
	return 0;
}

static const char *bound_n(unsigned i) { return check_bound_name(i); }
static const char *verdict_n(unsigned i) { return check_verdict_name(i); }
static const char *phase_n(unsigned i) { return rollout_phase_name(i); }
static const char *event_n(unsigned i) { return rollout_event_name(i); }
static const char *on_failure_n(unsigned i) { return i ? "pause" : "abort"; }

/* ---- readers ------------------------------------------------------------ */

static void read_queries(struct rj_reader *r, json_t *list, struct analysis_config *a)
{
	char where[48];

	if (!list)
		return;
	if (json_array_size(list) > ANALYSIS_MAX_QUERIES) {
		rj_fail(r, "spec.analysis", "queries", "a list of up to 8 queries");
		return;
	}
	a->n_promql = json_array_size(list);
	for (unsigned i = 0; i < a->n_promql; i++) {
		json_t *q = json_array_get(list, i);
		struct promql_check *c = &a->promql[i];

		snprintf(where, sizeof(where), "spec.analysis.queries[%u]", i);
		rj_string(r, q, where, "name", c->name, sizeof(c->name));
		rj_string(r, q, where, "query", c->query, sizeof(c->query));
		c->bound = rj_enum(r, q, where, "bound", bound_n, 2);
		c->limit = rj_double(r, q, where, "limit");
	}
}

static void read_analysis_config(struct rj_reader *r, json_t *o, struct analysis_config *a)
{
	const char *w = "spec.analysis";

	a->min_samples = rj_u64(r, o, w, "min_samples", UINT64_MAX >> 1);
	a->failure_ratio_on = rj_bool(r, o, w, "failure_ratio_on");
	a->max_failure_ratio = rj_double(r, o, w, "max_failure_ratio");
	a->connect_p99_on = rj_bool(r, o, w, "connect_p99_on");
	a->max_connect_p99_s = rj_double(r, o, w, "max_connect_p99_seconds");
	a->healthy_on = rj_bool(r, o, w, "healthy_on");
	a->min_healthy = rj_u64(r, o, w, "min_healthy", UINT32_MAX);
	a->vs_stable_on = rj_bool(r, o, w, "vs_stable_on");
	a->max_ratio_vs_stable = rj_double(r, o, w, "max_ratio_vs_stable");
	a->vs_stable_floor = rj_double(r, o, w, "vs_stable_floor");
	a->max_query_errors = rj_u64(r, o, w, "max_query_errors", UINT32_MAX);
	read_queries(r, rj_field(r, o, w, "queries", JSON_ARRAY), a);
}

static void read_steps(struct rj_reader *r, json_t *o, struct rollout_spec *s)
{
	json_t *steps = rj_field(r, o, "spec", "steps_bp", JSON_ARRAY);
	json_t *gates = rj_field(r, o, "spec", "gates", JSON_ARRAY);
	size_t n = json_array_size(steps);

	if (r->bad)
		return;
	if (n < 1 || n > ROLLOUT_MAX_STEPS || json_array_size(gates) != n) {
		rj_fail(r, "spec", "steps_bp", "1 to 16 steps with as many gates");
		return;
	}
	s->n_steps = n;
	for (unsigned i = 0; i < n; i++) {
		json_t *step = json_array_get(steps, i), *gate = json_array_get(gates, i);

		if (!json_is_integer(step) || json_integer_value(step) < 0 ||
		    json_integer_value(step) > BGXDP_SHARE_SCALE || !json_is_boolean(gate)) {
			rj_fail(r, "spec", "steps_bp", "shares 0..10000 with boolean gates");
			return;
		}
		s->steps_bp[i] = json_integer_value(step);
		s->gate[i] = json_is_true(gate);
	}
}

void rj_read_spec(struct rj_reader *r, json_t *o, struct rollout_spec *s)
{
	memset(s, 0, sizeof(*s));
	if (!o)
		return;
	rj_string(r, o, "spec", "service", s->service, sizeof(s->service));
	s->rising_color = rj_enum(r, o, "spec", "color", rj_color_name, 2);
	read_steps(r, o, s);
	s->interval_ms = rj_u64(r, o, "spec", "interval_ms", UINT64_MAX >> 1);
	s->on_failure = rj_enum(r, o, "spec", "on_failure", on_failure_n, 2);
	s->max_extensions = rj_u64(r, o, "spec", "max_extensions", UINT32_MAX);
	s->verify = rj_bool(r, o, "spec", "verify");
	s->promql_timeout_ms = rj_u64(r, o, "spec", "promql_timeout_ms", UINT32_MAX);
	rj_string(r, o, "spec", "prometheus_url", s->prometheus_url, sizeof(s->prometheus_url));
	read_analysis_config(r, rj_field(r, o, "spec", "analysis", JSON_OBJECT), &s->analysis);
}

unsigned rj_read_checks(struct rj_reader *r, json_t *list, const char *where,
			struct check_result *checks)
{
	char at[64];
	size_t n = json_array_size(list);

	if (!list || r->bad)
		return 0;
	if (n > ANALYSIS_MAX_CHECKS) {
		rj_fail(r, where, "checks", "a list of up to 12 checks");
		return 0;
	}
	for (unsigned i = 0; i < n; i++) {
		json_t *o = json_array_get(list, i), *value = json_object_get(o, "value");
		struct check_result *c = &checks[i];

		snprintf(at, sizeof(at), "%s.checks[%u]", where, i);
		memset(c, 0, sizeof(*c));
		rj_string(r, o, at, "check", c->name, sizeof(c->name));
		c->has_value = !json_is_null(value);
		if (c->has_value)
			c->value = rj_double(r, o, at, "value");
		c->bound = rj_enum(r, o, at, "bound", bound_n, 2);
		c->limit = rj_double(r, o, at, "limit");
		c->verdict = rj_enum(r, o, at, "verdict", verdict_n, 3);
		rj_string(r, o, at, "reason", c->reason, sizeof(c->reason));
	}
	return n;
}

void rj_read_decision(struct rj_reader *r, json_t *o, const char *where, struct rollout_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->time_ms = rj_u64(r, o, where, "time_ms", UINT64_MAX >> 1);
	d->event = rj_enum(r, o, where, "event", event_n, ROLLOUT_EV_RECOVER + 1);
	rj_string(r, o, where, "actor", d->actor, sizeof(d->actor));
	d->step = rj_u64(r, o, where, "step", ROLLOUT_MAX_STEPS);   /* 1-based */
	if (d->step == 0)
		rj_fail(r, where, "step", "a step number 1..16");
	else
		d->step--;
	d->green_before_bp = rj_u64(r, o, where, "green_before_bp", BGXDP_SHARE_SCALE);
	d->green_after_bp = rj_u64(r, o, where, "green_after_bp", BGXDP_SHARE_SCALE);
	d->phase = rj_enum(r, o, where, "phase", phase_n, ROLLOUT_PHASES);
	rj_string(r, o, where, "reason", d->reason, sizeof(d->reason));
	d->has_analysis = json_object_get(o, "verdict") != NULL;
	if (d->has_analysis) {
		d->verdict = rj_enum(r, o, where, "verdict", verdict_n, 3);
		d->n_checks = rj_read_checks(r, rj_field(r, o, where, "checks", JSON_ARRAY), where,
					     d->checks);
	}
}

void rj_read_counts(struct rj_reader *r, json_t *o, const char *where, struct color_counts *c)
{
	json_t *connect = rj_field(r, o, where, "connect", JSON_ARRAY);

	memset(c, 0, sizeof(*c));
	c->new_flows = rj_u64(r, o, where, "new_flows", UINT64_MAX >> 1);
	c->syns_sent = rj_u64(r, o, where, "syns_sent", UINT64_MAX >> 1);
	c->synacks_seen = rj_u64(r, o, where, "synacks_seen", UINT64_MAX >> 1);
	c->backend_resets = rj_u64(r, o, where, "backend_resets", UINT64_MAX >> 1);
	c->backends_in_rotation = rj_u64(r, o, where, "backends_in_rotation", UINT32_MAX);
	c->backends_healthy = rj_u64(r, o, where, "backends_healthy", UINT32_MAX);
	if (r->bad)
		return;
	if (json_array_size(connect) != ANALYSIS_MAX_BUCKETS + 1) {
		rj_fail(r, where, "connect", "33 bucket counts");
		return;
	}
	for (unsigned i = 0; i <= ANALYSIS_MAX_BUCKETS; i++) {
		json_t *v = json_array_get(connect, i);

		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			rj_fail(r, where, "connect", "33 bucket counts");
			return;
		}
		c->connect[i] = json_integer_value(v);
	}
}

void rj_read_analysis(struct rj_reader *r, json_t *o, struct analysis_result *a)
{
	const char *w = "last_analysis";

	memset(a, 0, sizeof(*a));
	a->verdict = rj_enum(r, o, w, "verdict", verdict_n, 3);
	rj_string(r, o, w, "summary", a->summary, sizeof(a->summary));
	a->n_checks = rj_read_checks(r, rj_field(r, o, w, "checks", JSON_ARRAY), w, a->checks);
	a->rising_flows = rj_u64(r, o, w, "rising_flows", UINT64_MAX >> 1);
	a->rising_failures = rj_u64(r, o, w, "rising_failures", UINT64_MAX >> 1);
	a->stable_flows = rj_u64(r, o, w, "stable_flows", UINT64_MAX >> 1);
	a->stable_failures = rj_u64(r, o, w, "stable_failures", UINT64_MAX >> 1);
}
