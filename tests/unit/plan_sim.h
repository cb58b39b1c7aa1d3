/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * plan_sim.h - an independent executor of plan steps on a model, for the
 * plan tests and the config fuzz harness: it applies each step the way the
 * library would (checking the step's preconditions as the data plane
 * enforces them) and checks the traffic invariant after every step.
 *
 * Written from the rules in docs/architecture.md and plan.h, not from
 * plan.c.  Header-only (static functions) so each test binary and the fuzz
 * harness take their own copy.
 */
#ifndef BGXDP_PLAN_SIM_H
#define BGXDP_PLAN_SIM_H

#include <stdio.h>
#include <string.h>
#include "desired.h"
#include "plan.h"

static struct bgx_desired_service *sim_service(struct bgx_desired *m, const char *name)
{
	for (__u32 i = 0; i < m->n_services; i++)
		if (!strcmp(m->services[i].def.name, name))
			return &m->services[i];
	return NULL;
}

static int sim_backend_index(const struct bgx_desired_service *s, __u32 color, const struct endpoint *ep)
{
	for (__u32 i = 0; i < s->n_backends[color]; i++)
		if (bgx_endpoint_equal(&s->backends[color][i].ep, ep))
			return (int)i;
	return -1;
}

static bool sim_vip_taken(const struct bgx_desired *m, const struct endpoint *ep, __u8 proto)
{
	for (__u32 i = 0; i < m->n_services; i++) {
		const struct bgx_service_def *d = &m->services[i].def;

		if (d->proto == proto && (bgx_endpoint_equal(&d->vip, ep) ||
					  (d->preview.family && bgx_endpoint_equal(&d->preview, ep))))
			return true;
	}
	return false;
}

/* Another service lists the address (the library refuses to add it). */
static bool sim_backend_taken(const struct bgx_desired *m, const struct bgx_desired_service *self,
			      const struct endpoint *ep)
{
	for (__u32 i = 0; i < m->n_services; i++) {
		const struct bgx_desired_service *o = &m->services[i];

		if (o == self || o->def.proto != self->def.proto)
			continue;
		if (sim_backend_index(o, BGXDP_BLUE, ep) >= 0 || sim_backend_index(o, BGXDP_GREEN, ep) >= 0)
			return true;
	}
	return false;
}

static const char *sim_service_step(struct bgx_desired *m, const struct bgx_step *st)
{
	struct bgx_desired_service *s = sim_service(m, st->service);

	if (st->kind == BGX_STEP_SERVICE_ADD) {
		if (s)
			return "service add: the name exists";
		if (m->n_services == BGXDP_MAX_SERVICES)
			return "service add: more than BGXDP_MAX_SERVICES services";
		if (sim_vip_taken(m, &st->def.vip, st->def.proto) ||
		    (st->def.preview.family && sim_vip_taken(m, &st->def.preview, st->def.proto)))
			return "service add: its vip or preview is in use";
		s = &m->services[m->n_services++];
		memset(s, 0, sizeof(*s));
		s->def = st->def;
		return NULL;
	}
	if (!s)
		return "service step: no such service";
	if (st->kind == BGX_STEP_SERVICE_DEL) {
		*s = m->services[--m->n_services];
		return NULL;
	}
	if (st->kind == BGX_STEP_SHARE) {
		if (s->green_bp != st->old_green_bp)
			return "share: old share is not the live one";
		s->green_bp = st->green_bp;
		return NULL;
	}
	if (!bgx_health_equal(&s->health, &st->old_health))
		return "health: old settings are not the live ones";
	s->health = st->health;
	return NULL;
}

static const char *sim_backend_step(struct bgx_desired *m, const struct bgx_step *st)
{
	struct bgx_desired_service *s = sim_service(m, st->service);
	const struct endpoint *ep = st->kind == BGX_STEP_BACKEND_ADD ? &st->backend.ep : &st->old_backend.ep;
	__u32 c = st->color;
	int i;

	if (!s || c >= BGXDP_COLORS)
		return "backend step: no such service or color";
	i = sim_backend_index(s, c, ep);
	if (st->kind == BGX_STEP_BACKEND_ADD) {
		if (i >= 0)
			return "backend add: already in that color";
		if (s->n_backends[c] == BGXDP_MAX_BACKENDS)
			return "backend add: the color is full";
		if (st->backend.ep.family != s->def.vip.family)
			return "backend add: family differs from the vip";
		if (sim_backend_taken(m, s, ep))
			return "backend add: another service lists the address";
		s->backends[c][s->n_backends[c]++] = st->backend;
		return NULL;
	}
	if (i < 0)
		return "backend change/del: not in that color";
	if (s->backends[c][i].weight != st->old_backend.weight ||
	    s->backends[c][i].state != st->old_backend.state)
		return "backend change/del: old weight/state are not the live ones";
	if (st->kind == BGX_STEP_BACKEND_DEL)
		s->backends[c][i] = s->backends[c][--s->n_backends[c]];
	else
		s->backends[c][i] = st->backend;
	return NULL;
}

static int sim_iface_index(const struct bgx_desired *m, const char *name)
{
	for (__u32 i = 0; i < m->n_ifaces; i++)
		if (!strcmp(m->ifaces[i].name, name))
			return (int)i;
	return -1;
}

static int sim_fast_path_index(const struct bgx_desired *m, const char *name)
{
	for (__u32 i = 0; i < m->n_fast_path; i++)
		if (!strcmp(m->fast_path[i].name, name))
			return (int)i;
	return -1;
}

static const char *sim_iface_step(struct bgx_desired *m, const struct bgx_step *st)
{
	int i = sim_iface_index(m, st->ifname), f = sim_fast_path_index(m, st->ifname);

	switch (st->kind) {
	case BGX_STEP_IFACE_ATTACH:
		if (i >= 0 || m->n_ifaces == BGX_MAX_IFACES)
			return "attach: attached already, or too many";
		if (st->creates_instance != (m->n_ifaces == 0))
			return "attach: creates_instance wrong";
		snprintf(m->ifaces[m->n_ifaces].name, BGX_IFNAME_LEN, "%s", st->ifname);
		m->ifaces[m->n_ifaces++].mode = st->mode;
		return NULL;
	case BGX_STEP_IFACE_MODE:
		if (i < 0 || m->ifaces[i].mode != st->old_mode)
			return "mode: not attached or old mode wrong";
		m->ifaces[i].mode = st->mode;
		return NULL;
	case BGX_STEP_IFACE_DETACH:
		if (i < 0)
			return "detach: not attached";
		m->ifaces[i] = m->ifaces[--m->n_ifaces];
		return NULL;
	case BGX_STEP_FAST_PATH_ADD:
		if (f >= 0 || m->n_fast_path == BGX_MAX_IFACES)
			return "fast_path add: present already";
		snprintf(m->fast_path[m->n_fast_path++].name, BGX_IFNAME_LEN, "%s", st->ifname);
		return NULL;
	case BGX_STEP_FAST_PATH_DEL:
		if (f < 0)
			return "fast_path del: not present";
		m->fast_path[f] = m->fast_path[--m->n_fast_path];
		return NULL;
	default:
		return "not an interface step";
	}
}

/* Apply one step to `m` (unsorted while steps run); NULL or what was wrong. */
static const char *sim_step(struct bgx_desired *m, const struct bgx_step *st)
{
	switch (st->kind) {
	case BGX_STEP_SERVICE_ADD:
	case BGX_STEP_SERVICE_DEL:
	case BGX_STEP_SHARE:
	case BGX_STEP_HEALTH:
		return sim_service_step(m, st);
	case BGX_STEP_BACKEND_ADD:
	case BGX_STEP_BACKEND_CHANGE:
	case BGX_STEP_BACKEND_DEL:
		return sim_backend_step(m, st);
	default:
		return sim_iface_step(m, st);
	}
}

static bool sim_in_rotation(const struct bgx_desired_service *s, __u32 color)
{
	for (__u32 i = 0; i < s->n_backends[color]; i++)
		if (s->backends[color][i].state == BACKEND_UP)
			return true;
	return false;
}

/* The traffic rule: a service with a backend in rotation gives no share to
 * a color without one.  Returns the first service breaking it, or NULL. */
static const struct bgx_desired_service *sim_share_violation(const struct bgx_desired *m)
{
	for (__u32 i = 0; i < m->n_services; i++) {
		const struct bgx_desired_service *s = &m->services[i];
		bool blue = sim_in_rotation(s, BGXDP_BLUE), green = sim_in_rotation(s, BGXDP_GREEN);

		if (!blue && !green)
			continue;
		if ((s->green_bp > 0 && !green) || (s->green_bp < BGXDP_SHARE_SCALE && !blue))
			return s;
	}
	return NULL;
}

/* What `live` becomes when `desired` is applied: its services, interfaces
 * it lists (a live mode kept where the file says auto), interfaces it does
 * not list kept unless prune, fast path only when given. */
static void sim_expected(const struct bgx_desired *live, const struct bgx_desired *desired,
			 struct bgx_desired *out)
{
	memcpy(out, desired, sizeof(*out));
	for (__u32 i = 0; i < out->n_ifaces; i++) {
		int l = sim_iface_index(live, out->ifaces[i].name);

		if (l >= 0 && out->ifaces[i].mode == BGX_XDP_AUTO)
			out->ifaces[i].mode = live->ifaces[l].mode;
	}
	for (__u32 i = 0; !desired->prune && i < live->n_ifaces; i++)
		if (sim_iface_index(desired, live->ifaces[i].name) < 0)
			out->ifaces[out->n_ifaces++] = live->ifaces[i];
	if (!desired->fast_path_set) {
		out->fast_path_set = live->fast_path_set;
		out->n_fast_path = live->n_fast_path;
		memcpy(out->fast_path, live->fast_path, sizeof(out->fast_path));
	}
	out->flows = live->flows;
	out->prune = live->prune;
	bgx_desired_canonicalize(out);
}

#endif
