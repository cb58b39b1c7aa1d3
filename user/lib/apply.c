// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * apply.c - carrying out a plan (plan.h): interfaces, fast path, services
 * added and deleted, and each service's backends and split published at
 * once.  What the plan needs is checked before the first change.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "export.h"
#include "health_store.h"
#include "state_dir.h"
#include "instance.h"

int bgx_export_pin_dir(const char *pin_dir, const char *state_dir, struct bgx_desired *d,
		       struct bgx_err *e)
{
	struct bgx_err quiet = { 0 };
	struct bgx_instance *in;
	int r = bgx_open(pin_dir, BGX_READ, &in, &quiet);

	if (r == -ENOENT) {             /* no instance yet: nothing live */
		bgx_desired_init(d);
		snprintf(d->source, sizeof(d->source), "live");
		return 0;
	}
	if (r)
		return bgx_fail(e, r, "%s", quiet.msg);
	r = bgx_export(in, state_dir, d, e);
	bgx_close(in);
	return r;
}

/* ---- checks before the first change ---- */

static int check_interfaces(const struct bgx_desired *d, const struct bgx_plan *plan,
			    struct bgx_err *e)
{
	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct bgx_step *s = &plan->steps[i];

		if ((s->kind == BGX_STEP_IFACE_ATTACH || s->kind == BGX_STEP_IFACE_MODE ||
		     s->kind == BGX_STEP_FAST_PATH_ADD) && !if_nametoindex(s->ifname))
			return bgx_desired_fail_at(d, s->pos, e, ENODEV, "no interface named '%s'",
						   s->ifname);
	}
	return 0;
}

static bool color_in_rotation(const struct bgx_desired_service *s, __u32 c)
{
	for (__u32 i = 0; i < s->n_backends[c]; i++)
		if (s->backends[c][i].state == BACKEND_UP)
			return true;
	return false;
}

int bgx_apply_check(const struct bgx_desired *d, struct bgx_err *e)
{
	for (__u32 i = 0; i < d->n_services; i++) {
		const struct bgx_desired_service *s = &d->services[i];

		for (__u32 c = 0; c < BGXDP_COLORS; c++) {
			__u32 share = c == BGXDP_GREEN ? s->green_bp : BGXDP_SHARE_SCALE - s->green_bp;
			char pct[16];

			if (!share || color_in_rotation(s, c))
				continue;
			format_percent_bp(share, pct, sizeof(pct));
			return bgx_desired_fail_at(d, s->pos_share.line ? s->pos_share : s->pos, e,
						   EINVAL, "service '%s': %s would get %s%% of new flows but has no backend in state ready",
						   s->def.name, color_name(c), pct);
		}
	}
	return 0;
}

/* ---- the steps ---- */

/* `checked`: an agent runs the service's checks, so a backend this adds
 * enters its ring after its first passing check (as `backend add` does). */
static void service_target(const struct bgx_desired_service *s, bool checked,
			   struct bgx_service_target *t)
{
	memset(t, 0, sizeof(*t));
	t->green_bp = s->green_bp;
	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		t->n[c] = s->n_backends[c];
		for (__u32 i = 0; i < s->n_backends[c]; i++) {
			t->backends[c][i].ep = s->backends[c][i].ep;
			t->backends[c][i].weight = s->backends[c][i].weight;
			t->backends[c][i].state = s->backends[c][i].state;
			t->backends[c][i].health = checked ? BACKEND_HEALTH_PENDING
							   : BACKEND_HEALTH_NONE;
		}
	}
}

static void service_spec(const struct bgx_service_def *def, struct bgx_service_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	str_copy(spec->name, sizeof(spec->name), def->name);
	spec->vip = def->vip;
	spec->proto = def->proto;
	spec->has_preview = def->preview.family != 0;
	spec->preview = def->preview;
	spec->affinity_client = def->affinity_client;
}

/* A step that works on the interfaces (each locks the pin dir itself). */
static int instance_step_run(const char *pin_dir, const struct bgx_step *s, struct bgx_err *e)
{
	struct bgx_attach_spec spec = { .mode = s->mode, .flows = s->flows };
	struct bgx_attach_result ar;
	struct bgx_detach_result dr;

	str_copy(spec.ifname, sizeof(spec.ifname), s->ifname);
	if (!spec.flows)
		spec.flows = BGXDP_DEFAULT_FLOWS;
	switch (s->kind) {
	case BGX_STEP_IFACE_ATTACH:
		return bgx_attach(pin_dir, &spec, &ar, e);
	case BGX_STEP_IFACE_MODE:
		return bgx_attach_mode(pin_dir, s->ifname, s->mode, e);
	case BGX_STEP_IFACE_DETACH:
		return bgx_detach(pin_dir, s->ifname, &dr, e);
	default:
		return 0;
	}
}

static int fast_path_apply(const char *pin_dir, const struct bgx_desired *d, struct bgx_err *e)
{
	__u32 ifindex[BGXDP_MAX_TX_PORTS];
	int n = 0;

	for (__u32 i = 0; i < d->n_fast_path && n < BGXDP_MAX_TX_PORTS; i++)
		if ((ifindex[n] = if_nametoindex(d->fast_path[i].name)))
			n++;
	return bgx_fast_path_set(pin_dir, ifindex, n, e);
}

struct applying {
	const char *pin_dir, *state_dir;
	const struct bgx_desired *desired;
	struct bgx_instance *in;        /* open while service steps run */
	struct bgx_apply_result *res;
};

static int service_step_run(struct applying *a, const struct bgx_step *s, bool *update,
			    struct bgx_err *e)
{
	struct bgx_service_spec spec;

	switch (s->kind) {
	case BGX_STEP_SERVICE_ADD:
		service_spec(&s->def, &spec);
		*update = true;
		return bgx_service_add(a->in, &spec, e);
	case BGX_STEP_SERVICE_DEL:
		return bgx_service_del(a->in, s->def.name, e);
	case BGX_STEP_HEALTH:
		return a->state_dir ? health_store_write(a->state_dir, s->service, &s->health, e) : 0;
	default:
		*update = true;         /* backends and share: published at the end */
		return 0;
	}
}

static bool is_instance_step(const struct bgx_step *s)
{
	return s->kind == BGX_STEP_IFACE_ATTACH || s->kind == BGX_STEP_IFACE_MODE ||
	       s->kind == BGX_STEP_IFACE_DETACH || s->kind == BGX_STEP_FAST_PATH_ADD ||
	       s->kind == BGX_STEP_FAST_PATH_DEL;
}

/* A library refusal in the middle of a plan, at its place in the file. */
static int fail_at(const struct applying *a, struct bgx_src_pos pos, int r,
		   const struct bgx_err *cause, struct bgx_err *e)
{
	return bgx_desired_fail_at(a->desired, pos, e, r, "%s", cause->msg);
}

static int step_run(struct applying *a, const struct bgx_step *s, bool *fast_path_done,
		    bool *update, struct bgx_err *le)
{
	if (is_instance_step(s)) {
		bgx_close(a->in);       /* the instance steps lock the pin dir */
		a->in = NULL;
		if (s->kind != BGX_STEP_FAST_PATH_ADD && s->kind != BGX_STEP_FAST_PATH_DEL)
			return instance_step_run(a->pin_dir, s, le);
		if (*fast_path_done)
			return 0;
		*fast_path_done = true;
		return fast_path_apply(a->pin_dir, a->desired, le);
	}
	if (!a->in) {
		int r = bgx_open(a->pin_dir, BGX_WRITE, &a->in, le);

		if (r)
			return r;
	}
	return service_step_run(a, s, update, le);
}

/* Does a running agent check the service (its health settings on)? */
static bool checked_by_agent(const struct applying *a, const struct bgx_desired_service *ds)
{
	struct bgx_desired_health h;
	pid_t pid;

	if (!a->state_dir || agent_lock_holder(a->state_dir, &pid, NULL) != 1)
		return false;
	if (ds->health.mode != BGX_HEALTH_UNSET)
		return ds->health.mode == BGX_HEALTH_ON;
	return !health_store_read(a->state_dir, ds->def.name, &h, NULL) &&
	       h.mode == BGX_HEALTH_ON;
}

/* The service's backends and split, published at once. */
static int publish_service(struct applying *a, const char *service, struct bgx_err *e)
{
	const struct bgx_desired_service *ds = bgx_desired_find_service(a->desired, service);
	struct bgx_service_target *t = malloc(sizeof(*t));
	struct bgx_service_update_result ur;
	struct bgx_err le = { 0 };
	int r;

	if (!t)
		return bgx_fail(e, ENOMEM, "out of memory");
	service_target(ds, checked_by_agent(a, ds), t);
	r = bgx_service_update(a->in, service, t, &ur, &le);
	free(t);
	if (r)
		return fail_at(a, ds->pos, r, &le, e);
	a->res->services_published += ur.changed;
	return 0;
}

/* One group: its steps, then (a service group) one publish. */
static int group_run(struct applying *a, const struct bgx_plan *plan,
		     const struct bgx_plan_group *g, bool *fast_path_done, struct bgx_err *e)
{
	const char *service = NULL;
	bool update = false;

	for (size_t i = g->first; i < g->first + g->count; i++) {
		const struct bgx_step *s = &plan->steps[i];
		struct bgx_err le = { 0 };
		int r = step_run(a, s, fast_path_done, &update, &le);

		if (r)
			return fail_at(a, s->pos, r, &le, e);
		a->res->steps++;
		if (!is_instance_step(s) && s->kind != BGX_STEP_SERVICE_DEL)
			service = s->kind == BGX_STEP_SERVICE_ADD ? s->def.name : s->service;
	}
	return update && service ? publish_service(a, service, e) : 0;
}

int bgx_apply(const char *pin_dir, const char *state_dir, const struct bgx_desired *desired,
	      const struct bgx_plan *plan, struct bgx_apply_result *res, struct bgx_err *e)
{
	struct applying a = { .pin_dir = pin_dir, .state_dir = state_dir, .desired = desired,
			      .res = res };
	bool fast_path_done = false;
	int r;

	memset(res, 0, sizeof(*res));
	if ((r = check_interfaces(desired, plan, e)) || (r = bgx_apply_check(desired, e)))
		return r;
	for (size_t g = 0; g < plan->n_groups && !r; g++)
		r = group_run(&a, plan, &plan->groups[g], &fast_path_done, e);
	bgx_close(a.in);
	return r;
}
