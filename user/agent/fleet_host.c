// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fleet_host.c - a fleet revision applied to this host through the
 * library, the same path as `bgxdp apply -f` (user/cli/cmd_config.c):
 * parse, export the live state, plan, apply.
 */
#include <errno.h>
#include <stdlib.h>
#include "config_yaml.h"
#include "export.h"
#include "fleet_host.h"
#include "state_dir.h"

/* The plan from the live state to `text`; *desired holds the parsed text. */
static int plan_for(const struct fleet_host *h, const char *text, size_t len,
		    const char *source, struct bgx_desired *desired, struct bgx_plan *plan,
		    struct bgx_err *e)
{
	struct bgx_desired *live = bgx_desired_new();
	int r;

	if (!live)
		return bgx_fail(e, ENOMEM, "out of memory");
	r = bgx_config_parse_buffer(text, len, source, desired, e);
	if (!r)
		r = bgx_export_pin_dir(h->pin_dir, h->state_dir, live, e);
	if (!r)
		r = bgx_plan_build(live, desired, plan, e);
	bgx_desired_free(live);
	return r;
}

int fleet_host_apply(const struct fleet_host *h, const char *text, size_t len,
		     const char *source, size_t *steps, struct bgx_err *e)
{
	struct bgx_desired *desired = bgx_desired_new();
	struct bgx_plan plan = { 0 };
	struct bgx_apply_result res = { 0 };
	int r;

	if (!desired)
		return bgx_fail(e, ENOMEM, "out of memory");
	r = plan_for(h, text, len, source, desired, &plan, e);
	if (!r && !bgx_plan_empty(&plan)) {
		r = state_dir_prepare(h->state_dir, e);
		if (!r)
			r = bgx_apply(h->pin_dir, h->state_dir, desired, &plan, &res, e);
	}
	if (steps)
		*steps = res.steps;
	bgx_plan_free(&plan);
	bgx_desired_free(desired);
	return r;
}

static int ops_apply(void *ctx, const char *text, size_t len, const char *source,
		     struct bgx_err *e)
{
	return fleet_host_apply(ctx, text, len, source, NULL, e);
}

static int ops_drift(void *ctx, const char *text, size_t len, struct bgx_err *e)
{
	struct bgx_desired *desired = bgx_desired_new();
	struct bgx_plan plan = { 0 };
	int r;

	if (!desired)
		return bgx_fail(e, ENOMEM, "out of memory");
	r = plan_for(ctx, text, len, "applied revision", desired, &plan, e);
	if (!r)
		r = (int)plan.n_steps;
	bgx_plan_free(&plan);
	bgx_desired_free(desired);
	return r;
}

static void ops_health(void *ctx, uint32_t *backends, uint32_t *up)
{
	const struct fleet_host *h = ctx;
	struct bgx_snapshot *snap = NULL;
	struct bgx_instance *in;

	*backends = *up = 0;
	if (bgx_open(h->pin_dir, BGX_READ, &in, NULL))
		return;
	if (!bgx_snapshot(in, BGX_SNAP_CONFIG, NULL, &snap, NULL)) {
		for (__u32 s = 0; s < snap->n_services; s++) {
			const struct bgx_service_view *sv = &snap->services[s];

			*backends += sv->n_backends;
			for (__u32 b = 0; b < sv->n_backends; b++)
				*up += sv->backends[b].state == BACKEND_UP;
		}
		free(snap);
	}
	bgx_close(in);
}

void fleet_host_ops_init(struct fleet_host_ops *ops, struct fleet_host *host)
{
	ops->apply = ops_apply;
	ops->drift = ops_drift;
	ops->health = ops_health;
	ops->ctx = host;
}
