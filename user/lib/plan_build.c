// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * plan_build.c - which services are added, replaced, changed or deleted,
 * in which order their groups go (plan.h gives the rules), and the
 * interface steps around them.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plan_int.h"

static void ep_text(const struct endpoint *ep, char *buf)
{
	if (!ep->family)
		snprintf(buf, ENDPOINT_STRLEN, "none");
	else
		format_endpoint(ep->addr, htons(ep->port), ep->family, buf, ENDPOINT_STRLEN);
}

/* What makes a replace necessary, e.g. "vip 10.0.0.1:80 -> 10.0.0.2:80". */
static void replace_reason(const struct bgx_service_def *a, const struct bgx_service_def *b,
			   char *why, size_t len)
{
	char x[ENDPOINT_STRLEN], y[ENDPOINT_STRLEN];
	size_t off = 0;

	why[0] = 0;
	if (!bgx_endpoint_equal(&a->vip, &b->vip)) {
		ep_text(&a->vip, x);
		ep_text(&b->vip, y);
		off += (size_t)snprintf(why + off, len - off, "vip %s -> %s", x, y);
	}
	if (a->proto != b->proto && off < len)
		off += (size_t)snprintf(why + off, len - off, "%sproto %s -> %s", off ? ", " : "",
					proto_name(a->proto), proto_name(b->proto));
	if (!bgx_endpoint_equal(&a->preview, &b->preview) && off < len) {
		ep_text(&a->preview, x);
		ep_text(&b->preview, y);
		off += (size_t)snprintf(why + off, len - off, "%spreview %s -> %s", off ? ", " : "", x, y);
	}
	if (a->affinity_client != b->affinity_client && off < len)
		snprintf(why + off, len - off, "%saffinity %s -> %s", off ? ", " : "",
			 a->affinity_client ? "client" : "flow", b->affinity_client ? "client" : "flow");
}

/* Both service lists are sorted by name: merge them. */
static void classify(struct planner *p)
{
	const struct bgx_desired *L = p->live, *D = p->want;
	__u32 i = 0, j = 0;

	while (i < L->n_services || j < D->n_services) {
		struct svc_entry *e = &p->entries[p->n++];
		int c = i == L->n_services ? 1 : j == D->n_services ? -1
			: strcmp(L->services[i].def.name, D->services[j].def.name);

		memset(e, 0, sizeof(*e));
		if (c < 0) {
			e->action = SVC_DELETE;
			e->live = &L->services[i++];
		} else if (c > 0) {
			e->action = SVC_ADD;
			e->want = &D->services[j++];
		} else {
			e->live = &L->services[i++];
			e->want = &D->services[j++];
			e->action = bgx_service_def_equal(&e->live->def, &e->want->def) ? SVC_KEEP
											 : SVC_REPLACE;
			if (e->action == SVC_REPLACE)
				replace_reason(&e->live->def, &e->want->def, e->why, sizeof(e->why));
		}
	}
}

/* ---- who frees what another takes ------------------------------------------- */

static const struct bgx_desired_backend *in_any_color(const struct bgx_desired_service *s,
						      const struct endpoint *ep)
{
	const struct bgx_desired_backend *b = bgx_desired_find_backend(s, BGXDP_BLUE, ep);

	return b ? b : bgx_desired_find_backend(s, BGXDP_GREEN, ep);
}

/* `y` gives up backend address `ep` (with protocol `proto`). */
static bool releases_backend(const struct svc_entry *y, const struct endpoint *ep, __u8 proto)
{
	if (!y->live || y->live->def.proto != proto || !in_any_color(y->live, ep))
		return false;
	return y->action != SVC_KEEP || !in_any_color(y->want, ep);
}

/* `y` gives up a client-facing address (VIP or preview). */
static bool releases_address(const struct svc_entry *y, const struct endpoint *ep, __u8 proto)
{
	const struct bgx_service_def *d;

	if (!y->live || y->action == SVC_KEEP || y->live->def.proto != proto)
		return false;
	d = &y->live->def;
	return bgx_endpoint_equal(&d->vip, ep) || (d->preview.family && bgx_endpoint_equal(&d->preview, ep));
}

/* The first address `x` takes that `y` gives up, or NULL. */
static const struct endpoint *takes_from(const struct svc_entry *x, const struct svc_entry *y)
{
	const struct bgx_desired_service *w = x->want;
	__u8 proto;

	if (!w || x == y)
		return NULL;
	proto = w->def.proto;
	if (x->action != SVC_KEEP) {
		if (releases_address(y, &w->def.vip, proto))
			return &w->def.vip;
		if (w->def.preview.family && releases_address(y, &w->def.preview, proto))
			return &w->def.preview;
	}
	for (__u32 c = 0; c < BGXDP_COLORS; c++)
		for (__u32 i = 0; i < w->n_backends[c]; i++) {
			const struct endpoint *ep = &w->backends[c][i].ep;

			if (x->action == SVC_KEEP && in_any_color(x->live, ep))
				continue;
			if (releases_backend(y, ep, proto))
				return ep;
		}
	return NULL;
}

/* A deletion that frees something goes first; a changed service that
 * gives up a backend goes before the one taking it. */
static void order_constraints(struct planner *p)
{
	__u32 adds = 0;

	for (size_t x = 0; x < p->n; x++) {
		adds += p->entries[x].action == SVC_ADD;
		for (size_t y = 0; y < p->n; y++) {
			struct svc_entry *ey = &p->entries[y];

			if (!takes_from(&p->entries[x], ey))
				continue;
			if (ey->action == SVC_KEEP)
				p->before[y][x] = true;
			else
				ey->delete_early = true;
		}
	}
	if (p->live->n_services + adds > BGXDP_MAX_SERVICES)
		for (size_t y = 0; y < p->n; y++)
			if (p->entries[y].action == SVC_DELETE)
				p->entries[y].delete_early = true;
}

/* ---- groups -------------------------------------------------------------------- */

static void step_delete(struct planner *p, const struct svc_entry *e)
{
	struct bgx_step *s = plan_add_step(p, BGX_STEP_SERVICE_DEL);

	if (!s)
		return;
	snprintf(s->service, sizeof(s->service), "%s", e->live->def.name);
	s->def = e->live->def;
	s->replace = e->action == SVC_REPLACE;
	snprintf(s->why, sizeof(s->why), "%s", e->why);
	if (e->want)
		s->pos = e->want->pos;
}

static void group_delete(struct planner *p, const struct svc_entry *e)
{
	plan_begin_group(p, BGX_GROUP_SERVICE, e->live->def.name);
	step_delete(p, e);
	plan_end_group(p);
}

static void group_service(struct planner *p, const struct svc_entry *e)
{
	static const struct bgx_desired_service empty;
	struct bgx_desired_service *base;
	struct bgx_step *s;

	plan_begin_group(p, BGX_GROUP_SERVICE, e->want->def.name);
	if (e->action == SVC_KEEP) {
		plan_service_changes(p, e->live, e->want);
		plan_end_group(p);
		return;
	}
	if (e->action == SVC_REPLACE && !e->delete_early)
		step_delete(p, e);
	if ((s = plan_add_step(p, BGX_STEP_SERVICE_ADD))) {
		snprintf(s->service, sizeof(s->service), "%s", e->want->def.name);
		s->def = e->want->def;
		s->pos = e->want->pos;
		s->replace = e->action == SVC_REPLACE;
		snprintf(s->why, sizeof(s->why), "%s", e->why);
	}
	/* a new service: 0 % green, no backends, no health settings */
	if (!(base = malloc(sizeof(*base)))) {
		p->oom = true;
		return;
	}
	*base = empty;
	base->def = e->want->def;
	plan_service_changes(p, base, e->want);
	free(base);
	plan_end_group(p);
}

/* Kahn's order over the service groups, by name among the ready ones. */
static int place_groups(struct planner *p, struct bgx_err *err)
{
	for (;;) {
		size_t pick = p->n;

		for (size_t x = 0; x < p->n && pick == p->n; x++) {
			bool ready = p->entries[x].action != SVC_DELETE && !p->entries[x].placed;

			for (size_t y = 0; y < p->n && ready; y++)
				ready = !(p->before[y][x] && !p->entries[y].placed);
			if (ready)
				pick = x;
		}
		if (pick == p->n)
			break;
		p->entries[pick].placed = true;
		group_service(p, &p->entries[pick]);
	}
	for (size_t x = 0; x < p->n; x++) {
		const struct svc_entry *ex = &p->entries[x];

		if (ex->action == SVC_DELETE || ex->placed)
			continue;
		for (size_t y = 0; y < p->n; y++) {
			const struct endpoint *ep = takes_from(ex, &p->entries[y]);
			char t[ENDPOINT_STRLEN];

			if (!ep || p->entries[y].placed)
				continue;
			ep_text(ep, t);
			return bgx_desired_fail_at(p->want, ex->want->pos, err, EDEADLK,
						   "services trade backend addresses in a circle (service '%s' takes %s from '%s'): move one of them in a separate apply",
						   ex->want->def.name, t, p->entries[y].live->def.name);
		}
	}
	return 0;
}

/* ---- interfaces ------------------------------------------------------------------ */

static const struct bgx_desired_iface *find_iface(const struct bgx_desired *d, const char *name)
{
	for (__u32 i = 0; i < d->n_ifaces; i++)
		if (!strcmp(d->ifaces[i].name, name))
			return &d->ifaces[i];
	return NULL;
}

static bool has_fast_path(const struct bgx_desired *d, const char *name)
{
	for (__u32 i = 0; i < d->n_fast_path; i++)
		if (!strcmp(d->fast_path[i].name, name))
			return true;
	return false;
}

static struct bgx_step *step_iface(struct planner *p, enum bgx_step_kind kind, const char *name,
				   struct bgx_src_pos pos)
{
	struct bgx_step *s = plan_add_step(p, kind);

	if (s) {
		snprintf(s->ifname, sizeof(s->ifname), "%s", name);
		s->pos = pos;
	}
	return s;
}

/* Attach (the first attach creates the instance), re-attach, fast path. */
static void group_instance_first(struct planner *p)
{
	const struct bgx_desired *L = p->live, *D = p->want;
	bool creates = L->n_ifaces == 0;
	struct bgx_step *s;

	plan_begin_group(p, BGX_GROUP_INSTANCE, "");
	for (__u32 i = 0; i < D->n_ifaces; i++) {
		const struct bgx_desired_iface *f = &D->ifaces[i], *l = find_iface(L, f->name);

		if (!l && (s = step_iface(p, BGX_STEP_IFACE_ATTACH, f->name, f->pos))) {
			s->mode = f->mode;
			s->creates_instance = creates;
			s->flows = D->flows;
			creates = false;
		} else if (l && f->mode != BGX_XDP_AUTO && f->mode != l->mode &&
			   (s = step_iface(p, BGX_STEP_IFACE_MODE, f->name, f->pos_mode))) {
			s->old_mode = l->mode;
			s->mode = f->mode;
		}
	}
	for (__u32 i = 0; D->fast_path_set && i < D->n_fast_path; i++)
		if (!has_fast_path(L, D->fast_path[i].name))
			step_iface(p, BGX_STEP_FAST_PATH_ADD, D->fast_path[i].name, D->fast_path[i].pos);
	for (__u32 i = 0; D->fast_path_set && i < L->n_fast_path; i++)
		if (!has_fast_path(D, L->fast_path[i].name))
			step_iface(p, BGX_STEP_FAST_PATH_DEL, L->fast_path[i].name, D->pos_fast_path);
	plan_end_group(p);
}

static void group_instance_last(struct planner *p)
{
	const struct bgx_desired *L = p->live, *D = p->want;

	plan_begin_group(p, BGX_GROUP_INSTANCE, "");
	for (__u32 i = 0; D->prune && i < L->n_ifaces; i++)
		if (!find_iface(D, L->ifaces[i].name))
			step_iface(p, BGX_STEP_IFACE_DETACH, L->ifaces[i].name, D->pos_prune);
	plan_end_group(p);
}

static void instance_notes(struct planner *p)
{
	const struct bgx_desired *L = p->live, *D = p->want;

	if (L->n_ifaces && D->flows && L->flows && D->flows != L->flows)
		plan_note(p, "flows: the flow table has %u entries, the file asks for %u: the size is set when the instance is created (detach every interface, then apply)",
			  L->flows, D->flows);
	if (!L->n_ifaces && !D->n_ifaces && D->n_services)
		plan_note(p, "no interface is attached and the file lists none: the first interface creates the instance (add interfaces:)");
	for (__u32 i = 0; i < D->n_services; i++) {
		const struct bgx_desired_service *s = &D->services[i];

		if (!plan_rotation(s, BGXDP_BLUE) && !plan_rotation(s, BGXDP_GREEN))
			continue;
		for (__u32 c = 0; c < BGXDP_COLORS; c++)
			if (plan_color_share(s->green_bp, c) && !plan_rotation(s, c))
				plan_note(p, "service '%s': %s gets a share of new flows but has no ready backend; those flows go to %s",
					  s->def.name, color_name(c), color_name(!c));
	}
}

/* ---- the whole plan -------------------------------------------------------------- */

static int copy_canonical(const struct bgx_desired *in, struct bgx_desired **out, const char *what,
			  struct bgx_err *e)
{
	if (in->n_services > BGXDP_MAX_SERVICES || in->n_ifaces > BGX_MAX_IFACES ||
	    in->n_fast_path > BGX_MAX_IFACES)
		return bgx_fail(e, EINVAL, "%s state: more services or interfaces than an instance holds", what);
	for (__u32 i = 0; i < in->n_services; i++)
		for (__u32 c = 0; c < BGXDP_COLORS; c++)
			if (in->services[i].n_backends[c] > BGXDP_MAX_BACKENDS)
				return bgx_fail(e, EINVAL, "%s state: more backends than a color holds", what);
	if (!(*out = bgx_desired_new()))
		return bgx_fail(e, ENOMEM, "out of memory");
	memcpy(*out, in, sizeof(**out));
	bgx_desired_canonicalize(*out);
	return 0;
}

static int plan_all(struct planner *p, struct bgx_err *e)
{
	int r;

	classify(p);
	order_constraints(p);
	group_instance_first(p);
	for (size_t i = 0; i < p->n; i++)
		if (p->entries[i].delete_early)
			group_delete(p, &p->entries[i]);
	if ((r = place_groups(p, e)))
		return r;
	for (size_t i = 0; i < p->n; i++)
		if (p->entries[i].action == SVC_DELETE && !p->entries[i].delete_early)
			group_delete(p, &p->entries[i]);
	group_instance_last(p);
	instance_notes(p);
	return p->oom ? bgx_fail(e, ENOMEM, "out of memory") : 0;
}

int bgx_plan_build(const struct bgx_desired *live, const struct bgx_desired *desired,
		   struct bgx_plan *plan, struct bgx_err *e)
{
	struct bgx_desired *L = NULL, *D = NULL;
	struct planner *p = NULL;
	int r;

	memset(plan, 0, sizeof(*plan));
	snprintf(plan->source, sizeof(plan->source), "%s", desired->source);
	if ((r = bgx_desired_validate(desired, e)) || (r = copy_canonical(live, &L, "live", e)) ||
	    (r = copy_canonical(desired, &D, "desired", e)))
		goto out;
	if (!(p = calloc(1, sizeof(*p)))) {
		r = bgx_fail(e, ENOMEM, "out of memory");
		goto out;
	}
	p->plan = plan;
	p->live = L;
	p->want = D;
	r = plan_all(p, e);
out:
	if (r)
		bgx_plan_free(plan);
	free(p);
	bgx_desired_free(L);
	bgx_desired_free(D);
	return r;
}

void bgx_plan_free(struct bgx_plan *plan)
{
	free(plan->steps);
	free(plan->groups);
	memset(plan, 0, sizeof(*plan));
}
