// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * agent_rollout_req.c - the rollout component's requests (requests.h), its
 * hooks in the agent (agent.h) and its /metrics families.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "agent_rollout.h"
#include "requests.h"
#include "rollout_json.h"

#define MAX_ARGS 64

struct rollout_component *rollout_component_new(const char *pin_dir, const char *state_dir,
						const struct journal *journal)
{
	struct rollout_component *rc = calloc(1, sizeof(*rc));

	if (!rc)
		return NULL;
	rc->pin_dir = pin_dir;
	rc->state_dir = state_dir;
	rc->journal = journal;
	pthread_mutex_init(&rc->lock, NULL);
	return rc;
}

bool rollout_component_any_active(struct rollout_component *rc)
{
	bool any = false;

	pthread_mutex_lock(&rc->lock);
	for (unsigned i = 0; i < rc->n; i++)
		any |= rollout_active(&rc->slots[i].st) || rc->slots[i].st.publish_pending;
	pthread_mutex_unlock(&rc->lock);
	return any;
}

/* The asking command line, for the history (strings borrowed from body). */
static int args_of(const json_t *body, char **argv)
{
	json_t *a = json_object_get(body, "argv"), *v;
	size_t i;
	int n = 0;

	json_array_foreach(a, i, v)
		if (n < MAX_ARGS && json_is_string(v))
			argv[n++] = (char *)json_string_value(v);
	return n;
}

static int start_request(struct rollout_component *rc, const json_t *body, int argc,
			 char **argv, struct bgx_err *e)
{
	struct rollout_spec *spec = calloc(1, sizeof(*spec));
	struct bgx_err why = { 0 };
	struct rj_reader rd = { .path = "rollout request", .err = &why };
	int r;

	if (!spec)
		return bgx_fail(e, ENOMEM, "out of memory");
	rollout_spec_defaults(spec);
	rj_read_spec(&rd, json_object_get((json_t *)body, "spec"), spec);
	if (rd.bad)
		r = bgx_fail(e, EINVAL, "%s", why.msg);
	else
		r = rollout_component_start_one(rc, spec, argc, argv, e);
	free(spec);
	return r;
}

int rollout_handle_request(const char *id, const json_t *body, json_t *reply, void *ctx,
			   struct bgx_err *e)
{
	struct rollout_component *rc = ctx;
	const char *kind = json_string_value(json_object_get(body, "kind"));
	char *argv[MAX_ARGS];
	int argc = args_of(body, argv), r;

	(void)id;
	(void)reply;
	pthread_mutex_lock(&rc->lock);
	if (kind && !strcmp(kind, "rollout.start"))
		r = start_request(rc, body, argc, argv, e);
	else if (kind && !strcmp(kind, "rollout.command"))
		r = rollout_component_command(rc, json_string_value(json_object_get(body, "service")),
					      json_string_value(json_object_get(body, "command")),
					      argc, argv, e);
	else
		r = bgx_fail(e, EINVAL, "unknown request '%s'", kind ? kind : "");
	pthread_mutex_unlock(&rc->lock);
	return r;
}

/* ---- hooks ---------------------------------------------------------------- */

static int rollout_start_hook(struct agent *a, void **state, struct bgx_err *e)
{
	struct rollout_component *rc = rollout_component_new(a->pin_dir, a->state_dir, &a->journal);

	if (!rc)
		return bgx_fail(e, ENOMEM, "out of memory");
	promql_global_init();
	rollout_component_load(rc);
	*state = rc;
	return 0;
}

static void rollout_tick_hook(struct agent *a, void *state, uint64_t now)
{
	(void)a;
	(void)now;
	rollout_component_tick(state);
}

static void rollout_reload_hook(struct agent *a, void *state)
{
	(void)a;
	rollout_component_tick(state);
}

static int rollout_metrics_hook(struct agent *a, void *state, FILE *out)
{
	struct rollout_component *rc = state;
	const struct rollout_state *states[BGXDP_MAX_SERVICES];
	unsigned n = 0;
	int r;

	(void)a;
	pthread_mutex_lock(&rc->lock);
	for (unsigned i = 0; i < rc->n; i++)
		states[n++] = &rc->slots[i].st;
	r = n ? rollout_metrics_write(out, states, n) : 0;
	pthread_mutex_unlock(&rc->lock);
	return r;
}

static void rollout_stop_hook(struct agent *a, void *state)
{
	(void)a;
	rollout_component_free(state);
}

const struct agent_component agent_rollout_component = {
	.name = "rollout",
	.start = rollout_start_hook,
	.tick = rollout_tick_hook,
	.reload = rollout_reload_hook,
	.metrics = rollout_metrics_hook,
	.stop = rollout_stop_hook,
};
