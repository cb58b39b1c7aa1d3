// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * agent_rollout.c - the agent's rollout component: each service's rollout
 * (rollout.h) loaded from the state dir at start and recovered against the
 * live share, judged on every tick from the data plane's counters and its
 * PromQL queries, and started or commanded by requests (requests.h) from
 * `bgxdp rollout ...` and `bgxdp set --verify`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "agent_rollout.h"
#include "health_desired.h"
#include "promql.h"
#include "requests.h"
#include "rollout_json.h"

/* A PromQL query is asked at most this often per rollout. */
#define QUERY_EVERY_MS 1000

static struct rollout_exec exec_of(const struct rollout_component *rc, int argc,
				   char *const *argv)
{
	return (struct rollout_exec){ .pin_dir = rc->pin_dir, .state_dir = rc->state_dir,
				      .journal = rc->journal, .argc = argc, .argv = argv };
}

static struct rollout_slot *slot_of(struct rollout_component *rc, const char *service,
				    bool create)
{
	for (unsigned i = 0; i < rc->n; i++)
		if (!strcmp(rc->slots[i].st.spec.service, service))
			return &rc->slots[i];
	if (!create || rc->n == BGXDP_MAX_SERVICES)
		return NULL;
	memset(&rc->slots[rc->n], 0, sizeof(rc->slots[0]));
	return &rc->slots[rc->n++];
}

static void close_queries(struct rollout_slot *s)
{
	if (s->pq_open)
		promql_close(&s->pq);
	s->pq_open = false;
}

/* ---- each tick -------------------------------------------------------------- */

/* The PromQL measurements of a rollout: asked again at most every
 * QUERY_EVERY_MS, else the last answers stand. */
static const struct promql_measurement *measure(struct rollout_slot *s, uint64_t now)
{
	const struct rollout_spec *spec = &s->st.spec;
	struct bgx_err e = { 0 };

	if (!spec->analysis.n_promql)
		return NULL;
	if (!s->pq_open && !promql_open(&s->pq, spec->prometheus_url, spec->promql_timeout_ms,
					false, &e))
		s->pq_open = true;
	if (now < s->next_query_ms && s->measured)
		return s->last;
	for (unsigned i = 0; i < spec->analysis.n_promql; i++) {
		if (s->pq_open) {
			promql_measure(&s->pq, spec->analysis.promql[i].query, &s->last[i]);
		} else {
			s->last[i].ok = false;
			snprintf(s->last[i].error, sizeof(s->last[i].error), "%.*s",
				 (int)sizeof(s->last[i].error) - 1, e.msg);
		}
	}
	s->measured = true;
	s->next_query_ms = now + QUERY_EVERY_MS;
	return s->last;
}

static void judge(struct rollout_component *rc, struct rollout_slot *s)
{
	struct rollout_exec x = exec_of(rc, 0, NULL);
	struct color_counts counts[BGXDP_COLORS];
	struct analysis_result res;
	struct rollout_output out;
	struct bgx_err e = { 0 };
	uint64_t now = rollout_now_ms();
	const struct promql_measurement *pm;
	int r;

	if (s->st.publish_pending) {
		if (rollout_execute_pending(&x, &s->st, &e))
			agent_log("rollout of %s: publish not done yet: %s", s->st.spec.service, e.msg);
		return;
	}
	if (rollout_read_counts(rc->pin_dir, s->st.spec.service, counts, NULL, &e)) {
		agent_log("rollout of %s: %s", s->st.spec.service, e.msg);
		return;
	}
	pm = measure(s, now);
	if (!s->st.has_window_base)
		rollout_set_window_base(&s->st, now, counts);
	r = rollout_analyse(&s->st, counts, rollout_connect_buckets(), pm, &res, &e) ?:
	    rollout_on_analysis(&s->st, now, &res, &out, &e);
	if (!r)
		r = rollout_execute(&x, &s->st, &out, &e);
	if (r)
		agent_log("rollout of %s: %s", s->st.spec.service, e.msg);
	else if (out.has_decision)
		agent_log("rollout of %s: %s", s->st.spec.service, out.decision.reason);
}

void rollout_component_tick(struct rollout_component *rc)
{
	struct bgx_err e = { 0 };

	if (requests_serve(rc->state_dir, rollout_handle_request, rc, &e))
		agent_log("requests: %s", e.msg);
	pthread_mutex_lock(&rc->lock);
	for (unsigned i = 0; i < rc->n; i++) {
		if (rollout_active(&rc->slots[i].st) || rc->slots[i].st.publish_pending)
			judge(rc, &rc->slots[i]);
		if (!rollout_active(&rc->slots[i].st))
			close_queries(&rc->slots[i]);
	}
	pthread_mutex_unlock(&rc->lock);
}

/* ---- start, commands ---------------------------------------------------------- */

/* The health-check interval of the service (steps must be longer), 0 if
 * none is stored. */
static uint64_t check_interval(const struct rollout_component *rc, const char *service)
{
	struct health_settings s;
	struct bgx_err e = { 0 };

	if (health_settings_load(rc->state_dir, service, &s, &e) || !s.enabled)
		return 0;
	return s.interval_ms;
}

/* PromQL queries run once at start: an unreachable server or a query it
 * cannot parse refuses the rollout. */
static int validate_queries(const struct rollout_spec *spec, struct bgx_err *e)
{
	const char *exprs[ANALYSIS_MAX_QUERIES];
	struct promql_client pq;
	int r;

	if (!spec->analysis.n_promql)
		return 0;
	for (unsigned i = 0; i < spec->analysis.n_promql; i++)
		exprs[i] = spec->analysis.promql[i].query;
	if ((r = promql_open(&pq, spec->prometheus_url, spec->promql_timeout_ms, false, e)))
		return r;
	r = promql_validate(&pq, exprs, spec->analysis.n_promql, e);
	promql_close(&pq);
	return r;
}

int rollout_component_start_one(struct rollout_component *rc, const struct rollout_spec *spec,
				int argc, char *const *argv, struct bgx_err *e)
{
	struct rollout_exec x = exec_of(rc, argc, argv);
	struct color_counts counts[BGXDP_COLORS];
	struct rollout_start_ctx ctx = { .now_ms = rollout_now_ms(), .actor = "cli" };
	struct rollout_state *st = calloc(1, sizeof(*st));
	struct rollout_slot *s;
	struct rollout_output out;
	int r;

	if (!st)
		return bgx_fail(e, ENOMEM, "out of memory");
	s = slot_of(rc, spec->service, true);
	ctx.current = s && s->st.spec.service[0] ? &s->st : NULL;
	ctx.check_interval_ms = check_interval(rc, spec->service);
	if (!s)
		r = bgx_fail(e, ENOSPC, "too many rollouts");
	else if (!(r = rollout_read_counts(rc->pin_dir, spec->service, counts, &ctx.green_share_bp, e)))
		ctx.rising_healthy = counts[spec->rising_color].backends_healthy;
	if (!r && !(r = rollout_start(st, spec, &ctx, &out, e)) && !(r = validate_queries(spec, e))) {
		close_queries(s);
		memset(s, 0, sizeof(*s));
		s->st = *st;
		r = rollout_execute(&x, &s->st, &out, e);
		agent_log("rollout of %s: %s", spec->service, out.decision.reason);
	}
	if (s && !s->st.spec.service[0])
		rc->n--;        /* the slot made for a refused start */
	free(st);
	return r;
}

static int command_of(const char *name, enum rollout_command *cmd)
{
	static const char *const names[] = { "pause", "resume", "promote", "promote-full", "abort" };

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (name && !strcmp(name, names[i])) {
			*cmd = (enum rollout_command)i;
			return 0;
		}
	return -EINVAL;
}

int rollout_component_command(struct rollout_component *rc, const char *service,
			      const char *command, int argc, char *const *argv, struct bgx_err *e)
{
	struct rollout_exec x = exec_of(rc, argc, argv);
	struct rollout_slot *s = service ? slot_of(rc, service, false) : NULL;
	enum rollout_command cmd;
	struct rollout_output out;
	int r;

	if (command_of(command, &cmd))
		return bgx_fail_usage(e, EINVAL, "unknown rollout command '%s'", command ? command : "");
	if (!service && rc->n == 1)
		s = &rc->slots[0];
	if (!s)
		return bgx_fail(e, ENOENT, service ? "service %s has no rollout"
					   : "no single rollout: say which with --service NAME",
				service ? service : "");
	if (!(r = rollout_on_command(&s->st, rollout_now_ms(), cmd, "cli", &out, e)))
		r = rollout_execute(&x, &s->st, &out, e);
	if (!r && out.has_decision)
		agent_log("rollout of %s: %s", s->st.spec.service, out.decision.reason);
	return r;
}

/* ---- loading ---------------------------------------------------------------- */

void rollout_component_load(struct rollout_component *rc)
{
	char names[BGXDP_MAX_SERVICES][BGXDP_NAME_LEN];
	struct bgx_err e = { 0 };
	size_t n;

	if (rollout_list(rc->state_dir, names, BGXDP_MAX_SERVICES, &n, &e)) {
		agent_log("rollouts not loaded: %s", e.msg);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct rollout_slot *s = slot_of(rc, names[i], true);
		struct rollout_exec x = exec_of(rc, 0, NULL);
		struct rollout_output out;
		struct color_counts counts[BGXDP_COLORS];
		uint32_t green;

		bgx_err_clear(&e);
		if (!s || rollout_load(rc->state_dir, names[i], &s->st, &e) ||
		    rollout_read_counts(rc->pin_dir, names[i], counts, &green, &e) ||
		    rollout_recover(&s->st, rollout_now_ms(), green, &out, &e) ||
		    rollout_execute(&x, &s->st, &out, &e))
			agent_log("rollout of %s: %s", names[i], e.msg[0] ? e.msg : "not loaded");
		else if (out.has_decision)
			agent_log("rollout of %s: %s", names[i], out.decision.reason);
		if (s && !s->st.spec.service[0])
			rc->n--;
	}
}

void rollout_component_free(struct rollout_component *rc)
{
	for (unsigned i = 0; i < rc->n; i++)
		close_queries(&rc->slots[i]);
	pthread_mutex_destroy(&rc->lock);
	free(rc);
}
