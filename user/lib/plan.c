// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * plan.c - the steps of a plan and of one service group: backends into
 * rotation, the share, backends out of rotation, health (the order and its
 * reasons are in plan.h).  Which groups and in what order: plan_build.c.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plan_int.h"

/* ---- plan building blocks -------------------------------------------------- */

struct bgx_step *plan_add_step(struct planner *p, enum bgx_step_kind kind)
{
	struct bgx_plan *pl = p->plan;
	struct bgx_step *s;

	if (p->oom)
		return NULL;
	if (pl->n_steps == pl->cap_steps) {
		size_t cap = pl->cap_steps ? pl->cap_steps * 2 : 32;
		struct bgx_step *n = realloc(pl->steps, cap * sizeof(*n));

		if (!n) {
			p->oom = true;
			return NULL;
		}
		pl->steps = n;
		pl->cap_steps = cap;
	}
	s = &pl->steps[pl->n_steps++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->group = (__u32)(pl->n_groups - 1);
	pl->groups[pl->n_groups - 1].count++;
	return s;
}

void plan_begin_group(struct planner *p, enum bgx_group_kind kind, const char *service)
{
	struct bgx_plan *pl = p->plan;
	struct bgx_plan_group *g;

	if (p->oom)
		return;
	if (pl->n_groups == pl->cap_groups) {
		size_t cap = pl->cap_groups ? pl->cap_groups * 2 : 16;
		struct bgx_plan_group *n = realloc(pl->groups, cap * sizeof(*n));

		if (!n) {
			p->oom = true;
			return;
		}
		pl->groups = n;
		pl->cap_groups = cap;
	}
	g = &pl->groups[pl->n_groups++];
	memset(g, 0, sizeof(*g));
	g->kind = kind;
	g->first = pl->n_steps;
	snprintf(g->service, sizeof(g->service), "%s", service);
}

/* A group that got no step is dropped. */
void plan_end_group(struct planner *p)
{
	if (!p->oom && p->plan->groups[p->plan->n_groups - 1].count == 0)
		p->plan->n_groups--;
}

void plan_note(struct planner *p, const char *fmt, ...)
{
	struct bgx_plan *pl = p->plan;
	va_list ap;

	if (pl->n_notes == BGX_PLAN_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(pl->notes[pl->n_notes++], BGX_PLAN_NOTE_LEN, fmt, ap);
	va_end(ap);
}

__u32 plan_color_share(__u32 green_bp, __u32 color)
{
	return color == BGXDP_GREEN ? green_bp : BGXDP_SHARE_SCALE - green_bp;
}

__u32 plan_rotation(const struct bgx_desired_service *s, __u32 color)
{
	__u32 n = 0;

	for (__u32 i = 0; i < s->n_backends[color]; i++)
		n += s->backends[color][i].state == BACKEND_UP;
	return n;
}

/* ---- one service's backends, share and health -------------------------------- */

/* What the service looks like after the steps emitted so far. */
struct svc_sim {
	const struct bgx_desired_service *base, *want;
	__u32 share;
	__u32 count[BGXDP_COLORS], rot[BGXDP_COLORS];
	bool removed[BGXDP_COLORS][BGXDP_MAX_BACKENDS];
};

static void step_share(struct planner *p, struct svc_sim *sim, __u32 green_bp)
{
	struct bgx_step *s = plan_add_step(p, BGX_STEP_SHARE);

	if (s) {
		snprintf(s->service, sizeof(s->service), "%s", sim->want->def.name);
		s->pos = sim->want->pos_share.line ? sim->want->pos_share : sim->want->pos;
		s->old_green_bp = sim->share;
		s->green_bp = green_bp;
	}
	sim->share = green_bp;
}

/* Before `color` gets its first backend in rotation while the service has
 * none: if the other color holds a share, move the whole share to `color`
 * first (a service without backends in rotation may take any share). */
static void guard_first_rotation(struct planner *p, struct svc_sim *sim, __u32 color)
{
	__u32 other = !color;

	if (sim->rot[color] || sim->rot[other] || !plan_color_share(sim->share, other))
		return;
	step_share(p, sim, color == BGXDP_GREEN ? BGXDP_SHARE_SCALE : 0);
}

/* Before `color` loses its last backend in rotation while the other color
 * keeps some: a share it still holds moves to the other color first. */
static void guard_last_rotation(struct planner *p, struct svc_sim *sim, __u32 color)
{
	__u32 other = !color;

	if (sim->rot[color] != 1 || !sim->rot[other] || !plan_color_share(sim->share, color))
		return;
	step_share(p, sim, other == BGXDP_GREEN ? BGXDP_SHARE_SCALE : 0);
}

/* The share is safe now: nothing in rotation, or every color it gives
 * flows to has a backend in rotation. */
static bool share_safe(const struct svc_sim *sim, __u32 green_bp)
{
	if (!sim->rot[BGXDP_BLUE] && !sim->rot[BGXDP_GREEN])
		return true;
	for (__u32 c = 0; c < BGXDP_COLORS; c++)
		if (plan_color_share(green_bp, c) && !sim->rot[c])
			return false;
	return true;
}

static struct bgx_step *step_backend(struct planner *p, struct svc_sim *sim,
				     enum bgx_step_kind kind, __u32 color)
{
	struct bgx_step *s = plan_add_step(p, kind);

	if (s) {
		snprintf(s->service, sizeof(s->service), "%s", sim->want->def.name);
		s->color = color;
	}
	return s;
}

static void remove_backend(struct planner *p, struct svc_sim *sim, __u32 color, __u32 i)
{
	const struct bgx_desired_backend *lb = &sim->base->backends[color][i];
	struct bgx_step *s = step_backend(p, sim, BGX_STEP_BACKEND_DEL, color);

	if (s)
		s->old_backend = *lb;
	sim->removed[color][i] = true;
	sim->count[color]--;
	sim->rot[color] -= lb->state == BACKEND_UP;
}

/* A full color makes room for a new backend: a backend that is leaving
 * anyway goes first, out of rotation ones before those in rotation. */
static void make_room(struct planner *p, struct svc_sim *sim, __u32 color)
{
	int victim = -1;

	if (sim->count[color] < BGXDP_MAX_BACKENDS)
		return;
	for (__u32 i = 0; i < sim->base->n_backends[color]; i++) {
		const struct bgx_desired_backend *lb = &sim->base->backends[color][i];

		if (sim->removed[color][i] || bgx_desired_find_backend(sim->want, color, &lb->ep))
			continue;
		if (victim < 0 || (lb->state != BACKEND_UP &&
				   sim->base->backends[color][victim].state == BACKEND_UP))
			victim = (int)i;
	}
	if (victim >= 0)
		remove_backend(p, sim, color, (__u32)victim);
}

static bool backend_differs(const struct bgx_desired_backend *a, const struct bgx_desired_backend *b)
{
	return a->weight != b->weight || a->state != b->state;
}

/* A change that may come before the share: into rotation, or weight only. */
static bool change_goes_in(const struct bgx_desired_backend *old, const struct bgx_desired_backend *new)
{
	return new->state == BACKEND_UP || old->state == new->state;
}

static void change_backend(struct planner *p, struct svc_sim *sim, __u32 color,
			   const struct bgx_desired_backend *lb, const struct bgx_desired_backend *db)
{
	struct bgx_step *s;

	if (lb->state != BACKEND_UP && db->state == BACKEND_UP)
		guard_first_rotation(p, sim, color);
	if ((s = step_backend(p, sim, BGX_STEP_BACKEND_CHANGE, color))) {
		s->old_backend = *lb;
		s->backend = *db;
		s->pos = db->pos;
	}
	sim->rot[color] += (db->state == BACKEND_UP) - (lb->state == BACKEND_UP);
}

static void into_rotation(struct planner *p, struct svc_sim *sim, __u32 color)
{
	const struct bgx_desired_service *base = sim->base, *want = sim->want;

	for (__u32 i = 0; i < base->n_backends[color]; i++) {
		const struct bgx_desired_backend *lb = &base->backends[color][i];
		const struct bgx_desired_backend *db = bgx_desired_find_backend(want, color, &lb->ep);

		if (db && backend_differs(lb, db) && change_goes_in(lb, db))
			change_backend(p, sim, color, lb, db);
	}
	for (__u32 i = 0; i < want->n_backends[color]; i++) {
		const struct bgx_desired_backend *db = &want->backends[color][i];
		struct bgx_step *s;

		if (bgx_desired_find_backend(base, color, &db->ep))
			continue;
		make_room(p, sim, color);
		if (db->state == BACKEND_UP)
			guard_first_rotation(p, sim, color);
		if ((s = step_backend(p, sim, BGX_STEP_BACKEND_ADD, color))) {
			s->backend = *db;
			s->pos = db->pos;
		}
		sim->count[color]++;
		sim->rot[color] += db->state == BACKEND_UP;
	}
}

static void out_of_rotation(struct planner *p, struct svc_sim *sim, __u32 color)
{
	const struct bgx_desired_service *base = sim->base, *want = sim->want;

	for (__u32 i = 0; i < base->n_backends[color]; i++) {
		const struct bgx_desired_backend *lb = &base->backends[color][i];
		const struct bgx_desired_backend *db = bgx_desired_find_backend(want, color, &lb->ep);

		if (!db || !backend_differs(lb, db) || change_goes_in(lb, db))
			continue;
		if (lb->state == BACKEND_UP)
			guard_last_rotation(p, sim, color);
		change_backend(p, sim, color, lb, db);
	}
	for (__u32 i = 0; i < base->n_backends[color]; i++) {
		const struct bgx_desired_backend *lb = &base->backends[color][i];

		if (sim->removed[color][i] || bgx_desired_find_backend(want, color, &lb->ep))
			continue;
		if (lb->state == BACKEND_UP)
			guard_last_rotation(p, sim, color);
		remove_backend(p, sim, color, i);
	}
}

/* From `base` (the live service, or an empty one just added) to `want`. */
void plan_service_changes(struct planner *p, const struct bgx_desired_service *base,
			    const struct bgx_desired_service *want)
{
	struct svc_sim *sim = calloc(1, sizeof(*sim));
	__u32 first;

	if (!sim) {
		p->oom = true;
		return;
	}
	sim->base = base;
	sim->want = want;
	sim->share = base->green_bp;
	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		sim->count[c] = base->n_backends[c];
		sim->rot[c] = plan_rotation(base, c);
	}
	/* the color holding most of the share first */
	first = sim->share > BGXDP_SHARE_SCALE / 2 ? BGXDP_GREEN : BGXDP_BLUE;
	into_rotation(p, sim, first);
	into_rotation(p, sim, !first);
	/* the share between the two phases, unless it is only safe once the
	 * backends leaving have left (the service ends with none in rotation,
	 * or the desired state itself gives a share to a color without one) */
	if (sim->share != want->green_bp && (plan_rotation(want, BGXDP_BLUE) || plan_rotation(want, BGXDP_GREEN)) &&
	    share_safe(sim, want->green_bp))
		step_share(p, sim, want->green_bp);
	out_of_rotation(p, sim, BGXDP_BLUE);
	out_of_rotation(p, sim, BGXDP_GREEN);
	if (sim->share != want->green_bp)
		step_share(p, sim, want->green_bp);
	if (!bgx_health_equal(&base->health, &want->health)) {
		struct bgx_step *s = plan_add_step(p, BGX_STEP_HEALTH);

		if (s) {
			snprintf(s->service, sizeof(s->service), "%s", want->def.name);
			s->old_health = base->health;
			s->health = want->health;
			s->pos = want->health.pos.line ? want->health.pos : want->pos;
		}
	}
	free(sim);
}
