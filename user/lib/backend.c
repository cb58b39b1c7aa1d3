// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* backend.c - backends: add, delete, their admin state and their health. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "config_word.h"
#include "flow_table.h"
#include "instance.h"

/* One backend change, from lookup to publish.  Both colors are loaded:
 * health can make a service fail open (libbgxdp.h), and that changes the
 * rings of both colors at once. */
struct backend_change {
	const char *op;                 /* "backend.add", ... (kill points, logs) */
	__u32 id, color, slot;
	struct svc_meta meta;
	/* slots[0][color]: before the change; slots[1][color]: after it */
	struct backend (*slots)[BGXDP_COLORS][BGXDP_MAX_BACKENDS];
	struct backend old, new;
	char text[BGX_ADDRESS_LEN];     /* the endpoint, for messages */
};

enum { BEFORE, AFTER };

static bool same_endpoint(const struct backend *b, const struct endpoint *ep)
{
	return b->state != BACKEND_EMPTY && b->family == ep->family &&
	       b->port == htons(ep->port) && !memcmp(b->addr, ep->addr, BGXDP_ADDR_LEN);
}

static int find_slot(struct backend_change *c, const struct bgx_backend_ref *ref, bool adding,
		     struct bgx_err *e)
{
	const struct backend *bk = c->slots[BEFORE][c->color];
	__u32 found = BGXDP_MAX_BACKENDS, free_slot = BGXDP_MAX_BACKENDS;

	for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++) {
		if (bk[s].state == BACKEND_EMPTY && free_slot == BGXDP_MAX_BACKENDS)
			free_slot = s;
		if (same_endpoint(&bk[s], &ref->ep))
			found = s;
	}
	if (adding && found != BGXDP_MAX_BACKENDS)
		return bgx_fail(e, EEXIST, "%s is already a %s backend of service '%s'", c->text,
				color_name(c->color), c->meta.name);
	if (adding && free_slot == BGXDP_MAX_BACKENDS)
		return bgx_fail(e, ENOSPC, "service '%s' already has %d %s backends (the maximum)",
				c->meta.name, BGXDP_MAX_BACKENDS, color_name(c->color));
	if (!adding && found == BGXDP_MAX_BACKENDS)
		return bgx_fail(e, ENOENT, "%s is not a %s backend of service '%s'", c->text,
				color_name(c->color), c->meta.name);
	c->slot = adding ? free_slot : found;
	c->old = bk[c->slot];
	return 0;
}

/* The service, both colors' slots, and the slot of ref->ep (or, for an
 * add, a free one). */
static int change_load(struct bgx_instance *in, const struct bgx_backend_ref *ref,
		       bool adding, struct backend_change *c, struct bgx_err *e)
{
	int r;

	c->color = ref->color;
	format_endpoint(ref->ep.addr, htons(ref->ep.port), ref->ep.family, c->text,
			sizeof(c->text));
	if ((r = svc_find(in, ref->service, &c->id, &c->meta, e)))
		return r;
	if (ref->ep.family != c->meta.vip.family)
		return bgx_fail(e, EINVAL, "%s: address family differs from the VIP of service '%s' (IPv%u)",
				c->text, c->meta.name, c->meta.vip.family);
	c->slots = calloc(2, sizeof(*c->slots));
	if (!c->slots)
		return bgx_fail(e, ENOMEM, "out of memory");
	for (__u32 color = 0; color < BGXDP_COLORS; color++)
		if ((r = color_backends_read(in, c->id, color, c->slots[BEFORE][color], e)))
			return r;
	return find_slot(c, ref, adding, e);
}

static __u32 count_admin_up(const struct backend *bk)
{
	__u32 n = 0;

	for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++)
		n += bk[s].state == BACKEND_UP;
	return n;
}

/* A color that gets a share of new flows keeps at least one backend whose
 * admin state is up: refuse the operator's change that would take out the
 * last.  (Health is not the operator's: it is never refused.) */
static int guard_last_admin_up(struct bgx_instance *in, const struct backend_change *c,
			       struct bgx_err *e)
{
	__u32 share = bgx_word_color_share(svc_word(in, c->id), c->color);
	char pct[16];

	if (c->old.state != BACKEND_UP || c->new.state == BACKEND_UP ||
	    count_admin_up(c->slots[AFTER][c->color]) || !share)
		return 0;
	format_percent_bp(share, pct, sizeof(pct));
	return bgx_fail(e, EBUSY, "%s is the last up %s backend of service '%s' and %s gets %s%% of new flows "
			"(move the traffic first: 'bgxdp set %s --service %s')",
			c->text, color_name(c->color), c->meta.name, color_name(c->color), pct,
			color_name(c->color ^ 1), c->meta.name);
}

static int slot_write(struct bgx_instance *in, const struct backend_change *c,
		      const struct backend *value, struct bgx_err *e)
{
	__u32 key = backend_index(c->id, c->color, c->slot);

	if (bpf_map_update_elem(map_fd(in, MAP_backends), &key, value, BPF_ANY))
		return bgx_fail(e, errno, "cannot write backends[%u]: %s", key, strerror(errno));
	return 0;
}

/* Ring members of both colors, before and after the change, and the rings
 * to publish on the way: `mid` keeps only the backends in both. */
struct ring_plan {
	struct backend members[2][BGXDP_COLORS][BGXDP_MAX_BACKENDS];
	struct backend mid[BGXDP_COLORS][BGXDP_MAX_BACKENDS];
	bool leaves[BGXDP_COLORS], joins[BGXDP_COLORS];
	bool any_leaves, any_joins, fails_open;
};

static void ring_plan_make(const struct backend_change *c, struct ring_plan *p)
{
	for (int when = BEFORE; when <= AFTER; when++) {
		bool open = bgx_health_fails_open(c->slots[when][BGXDP_BLUE],
						  c->slots[when][BGXDP_GREEN]);

		for (__u32 color = 0; color < BGXDP_COLORS; color++)
			bgx_ring_members(c->slots[when][color], open, p->members[when][color]);
		if (when == AFTER)
			p->fails_open = open;
	}
	for (__u32 color = 0; color < BGXDP_COLORS; color++) {
		memcpy(p->mid[color], p->members[AFTER][color], sizeof(p->mid[color]));
		for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++) {
			bool was = backend_in_ring(&p->members[BEFORE][color][s]);
			bool is = backend_in_ring(&p->members[AFTER][color][s]);

			p->leaves[color] |= was && !is;
			p->joins[color] |= is && !was;
			if (is && !was)         /* not yet in the ring published first */
				p->mid[color][s].state = BACKEND_DRAIN;
		}
		p->any_leaves |= p->leaves[color];
		p->any_joins |= p->joins[color];
	}
}

/* Build the rings of the colors in `which` and publish them with one store
 * (one grace period first, one generation more). */
static int publish_rings(struct bgx_instance *in, const struct backend_change *c,
			 struct backend (*rings)[BGXDP_MAX_BACKENDS], const bool *which,
			 struct bgx_err *e)
{
	__u64 word = svc_word(in, c->id);
	int r;

	cfg_wait_for_readers();         /* readers of the word before the live one */
	for (__u32 color = 0; color < BGXDP_COLORS; color++)
		if (which[color] &&
		    (r = color_write_ring(in, c->id, color, rings[color], word, &word, e)))
			return r;
	instance_step(in, c->op, "ring-written");
	svc_publish(in, c->id, cfg_next_generation(word));
	instance_step(in, c->op, "published");
	return 0;
}

/*
 * A backend that joins a ring: its slot is written before a ring points at
 * it.  One that leaves: the ring without it is published before its slot
 * changes.  When one change does both (the admin state of the last healthy
 * backend: the service fails open and the unhealthy ones come back), the
 * rings without the leaving backends and without the joining ones are
 * published first, then the slot, then the rings with the joining ones.
 * A ring is rebuilt only when its members change.
 */
static int change_apply(struct bgx_instance *in, struct backend_change *c, bool *fails_open,
			struct bgx_err *e)
{
	struct ring_plan *p = calloc(1, sizeof(*p));
	int r = 0;

	if (!p)
		return bgx_fail(e, ENOMEM, "out of memory");
	ring_plan_make(c, p);
	*fails_open = p->fails_open;
	if (p->any_leaves)
		r = publish_rings(in, c, p->mid, p->leaves, e);
	if (!r)
		r = slot_write(in, c, &c->new, e);
	if (!r)
		instance_step(in, c->op, "slot-written");
	if (!r && p->any_joins && (r = publish_rings(in, c, p->members[AFTER], p->joins, e)))
		slot_write(in, c, &c->old, NULL);
	free(p);
	return r;
}

static void fill_result(const struct backend_change *c, bool changed, bool fails_open,
			struct bgx_backend_result *res)
{
	const struct backend *bk = c->slots[AFTER][c->color];

	if (!res)
		return;
	memset(res, 0, sizeof(*res));
	snprintf(res->service, sizeof(res->service), "%s", c->meta.name);
	res->old_state = c->old.state;
	res->new_state = c->new.state;
	res->weight = c->new.state == BACKEND_EMPTY ? c->old.weight : c->new.weight;
	res->old_health = c->old.health;
	res->new_health = c->new.health;
	res->changed = changed;
	res->fails_open = fails_open;
	for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++)
		res->in_ring += bgx_backend_takes_flows(&bk[s], fails_open);
}

static void log_change(const struct backend_change *c)
{
	if (c->old.health != c->new.health && c->old.state == c->new.state)
		bgx_log(BGX_LOG_INFO, "%s: %s %s backend %s (slot %u): health %u -> %u", c->op,
			c->meta.name, color_name(c->color), c->text, c->slot, c->old.health,
			c->new.health);
	else
		bgx_log(BGX_LOG_INFO, "%s: %s %s backend %s (slot %u): %s -> %s", c->op,
			c->meta.name, color_name(c->color), c->text, c->slot,
			backend_state_name(c->old.state), backend_state_name(c->new.state));
}

/* Mark, claim the endpoint (add), apply, unmark. */
static int change_commit(struct bgx_instance *in, struct backend_change *c, bool adding,
			 struct bgx_backend_result *res, struct bgx_err *e)
{
	bool fails_open = false;
	int r;

	/* Marked until done: a writer killed in between leaves the mark, and
	 * the next one checks this service's rings (recover.c). */
	c->meta.ring_dirty = 1;
	if ((r = svc_meta_write(in, c->id, &c->meta, e)))
		return r;
	if (!(adding && (r = endpoint_claim(in, c->id, &c->meta, &c->new, c->text, e))) &&
	    !(r = change_apply(in, c, &fails_open, e))) {
		fill_result(c, true, fails_open, res);
		log_change(c);
	}
	c->meta.ring_dirty = 0;
	svc_meta_write(in, c->id, &c->meta, NULL);  /* a mark left is only a check more */
	return r;
}

/* What an operation does to its backend's slot. */
enum change_kind {
	CHANGE_ADD,                     /* a free slot becomes `value` */
	CHANGE_DEL,                     /* the slot is emptied */
	CHANGE_STATE,                   /* admin state := `field` */
	CHANGE_HEALTH,                  /* health := `field` */
};

struct change_request {
	const char *op;
	enum change_kind kind;
	struct backend value;           /* CHANGE_ADD */
	__u8 field;                     /* CHANGE_STATE, CHANGE_HEALTH */
};

static struct backend changed_slot(const struct change_request *rq, const struct backend *old)
{
	struct backend b = *old;

	switch (rq->kind) {
	case CHANGE_ADD:
		return rq->value;
	case CHANGE_DEL:
		memset(&b, 0, sizeof(b));
		break;
	case CHANGE_STATE:
		b.state = rq->field;
		break;
	case CHANGE_HEALTH:
		b.health = rq->field;
		break;
	}
	return b;
}

/* Load, change slot c->slot as asked, check, apply. */
static int backend_change_run(struct bgx_instance *in, const struct change_request *rq,
			      const struct bgx_backend_ref *ref, struct bgx_backend_result *res,
			      struct bgx_err *e)
{
	struct backend_change c = { .op = rq->op };
	bool adding = rq->kind == CHANGE_ADD;
	int r;

	if ((r = instance_must_write(in, e)) || (r = change_load(in, ref, adding, &c, e)))
		goto out;
	c.new = changed_slot(rq, &c.old);
	memcpy(c.slots[AFTER], c.slots[BEFORE], sizeof(c.slots[AFTER]));
	c.slots[AFTER][c.color][c.slot] = c.new;
	if ((r = guard_last_admin_up(in, &c, e)))
		goto out;
	if (!adding && !memcmp(&c.new, &c.old, sizeof(c.new))) {
		bool open = bgx_health_fails_open(c.slots[AFTER][BGXDP_BLUE],
						  c.slots[AFTER][BGXDP_GREEN]);

		fill_result(&c, false, open, res);
		goto out;
	}
	r = change_commit(in, &c, adding, res, e);
out:
	free(c.slots);
	return r;
}

static int backend_add(struct bgx_instance *in, const struct bgx_backend_ref *ref,
		       __u16 weight, __u8 health, struct bgx_backend_result *res,
		       struct bgx_err *e)
{
	struct change_request rq = { .op = "backend.add", .kind = CHANGE_ADD };

	memcpy(rq.value.addr, ref->ep.addr, BGXDP_ADDR_LEN);
	rq.value.port = htons(ref->ep.port);
	rq.value.family = ref->ep.family;
	rq.value.state = BACKEND_UP;
	rq.value.weight = weight;
	rq.value.health = health;
	return backend_change_run(in, &rq, ref, res, e);
}

int bgx_backend_add(struct bgx_instance *in, const struct bgx_backend_ref *ref, __u16 weight,
		    struct bgx_backend_result *res, struct bgx_err *e)
{
	return backend_add(in, ref, weight, BACKEND_HEALTH_NONE, res, e);
}

int bgx_backend_add_checked(struct bgx_instance *in, const struct bgx_backend_ref *ref,
			    __u16 weight, struct bgx_backend_result *res, struct bgx_err *e)
{
	return backend_add(in, ref, weight, BACKEND_HEALTH_PENDING, res, e);
}

int bgx_backend_del(struct bgx_instance *in, const struct bgx_backend_ref *ref,
		    struct bgx_backend_result *res, struct bgx_err *e)
{
	const struct change_request rq = { .op = "backend.del", .kind = CHANGE_DEL };

	return backend_change_run(in, &rq, ref, res, e);
}

int bgx_backend_set_state(struct bgx_instance *in, const struct bgx_backend_ref *ref,
			  __u8 state, struct bgx_backend_result *res, struct bgx_err *e)
{
	const struct change_request rq = { .op = "backend.state", .kind = CHANGE_STATE,
					   .field = state };

	if (state != BACKEND_UP && state != BACKEND_DRAIN && state != BACKEND_DOWN)
		return bgx_fail(e, EINVAL, "bad backend state %u", state);
	return backend_change_run(in, &rq, ref, res, e);
}

int bgx_backend_set_health(struct bgx_instance *in, const struct bgx_backend_ref *ref,
			   __u8 health, struct bgx_backend_result *res, struct bgx_err *e)
{
	const struct change_request rq = { .op = "backend.health", .kind = CHANGE_HEALTH,
					   .field = health };

	if (health > BACKEND_HEALTH_PENDING)
		return bgx_fail(e, EINVAL, "bad backend health %u", health);
	return backend_change_run(in, &rq, ref, res, e);
}

int bgx_backend_expire_flows(struct bgx_instance *in, const struct bgx_backend_ref *ref,
			     struct bgx_err *e)
{
	struct backend_change c = { .op = "backend.expire" };
	int r;

	if (!(r = instance_must_write(in, e)) && !(r = change_load(in, ref, false, &c, e)))
		r = flows_purge_backend(in, c.id, c.color, c.slot, e);
	free(c.slots);
	return r;
}
