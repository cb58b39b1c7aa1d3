// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* backend.c - backends: add, delete, and their admin state. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "instance.h"

/* One backend change, from lookup to publish. */
struct backend_change {
	const char *op;                 /* "backend.add", ... (kill points, logs) */
	__u32 id, color, slot;
	struct svc_meta meta;
	struct backend *bk;             /* the color's slots, with the change applied */
	struct backend old, new;
	char text[BGX_ADDRESS_LEN];     /* the endpoint, for messages */
};

static bool same_endpoint(const struct backend *b, const struct endpoint *ep)
{
	return b->state != BACKEND_EMPTY && b->family == ep->family &&
	       b->port == htons(ep->port) && !memcmp(b->addr, ep->addr, BGXDP_ADDR_LEN);
}

/* The service, the color's slots, and the slot of ref->ep (or, for an add,
 * a free one). */
static int change_load(struct bgx_instance *in, const struct bgx_backend_ref *ref,
		       bool adding, struct backend_change *c, struct bgx_err *e)
{
	__u32 found = BGXDP_MAX_BACKENDS, free_slot = BGXDP_MAX_BACKENDS;
	int r;

	c->color = ref->color;
	format_endpoint(ref->ep.addr, htons(ref->ep.port), ref->ep.family, c->text,
			sizeof(c->text));
	if ((r = svc_find(in, ref->service, &c->id, &c->meta, e)))
		return r;
	if (ref->ep.family != c->meta.vip.family)
		return bgx_fail(e, EINVAL, "%s: address family differs from the VIP of service '%s' (IPv%u)",
				c->text, c->meta.name, c->meta.vip.family);
	c->bk = calloc(BGXDP_MAX_BACKENDS, sizeof(*c->bk));
	if (!c->bk)
		return bgx_fail(e, ENOMEM, "out of memory");
	if ((r = color_backends_read(in, c->id, c->color, c->bk, e)))
		return r;
	for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++) {
		if (c->bk[s].state == BACKEND_EMPTY && free_slot == BGXDP_MAX_BACKENDS)
			free_slot = s;
		if (same_endpoint(&c->bk[s], &ref->ep))
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
	c->old = c->bk[c->slot];
	return 0;
}

/* A color that gets a share of new flows keeps at least one backend in
 * its ring: refuse the change that would take out the last. */
static int guard_last_in_ring(struct bgx_instance *in, const struct backend_change *c,
			      struct bgx_err *e)
{
	__u64 word = svc_word(in, c->id);
	__u32 share = bgx_word_color_share(word, c->color);
	char pct[16];

	if (!backend_in_ring(&c->old) || backend_in_ring(&c->new) || backends_in_ring(c->bk) ||
	    !share)
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

/*
 * Joining the ring: the slot is written before the ring points at it.
 * Leaving: the ring without it is published first, then the slot changes.
 * A ring is rebuilt only when ring membership changes.
 */
static int change_apply(struct bgx_instance *in, struct backend_change *c, struct bgx_err *e)
{
	bool joins = backend_in_ring(&c->new) && !backend_in_ring(&c->old);
	bool leaves = backend_in_ring(&c->old) && !backend_in_ring(&c->new);
	bool slot_first = !leaves;
	__u64 new_word;
	int r;

	if (slot_first && (r = slot_write(in, c, &c->new, e)))
		return r;
	instance_step(in, c->op, "slot-written");
	if (joins || leaves) {
		r = color_prepare_ring(in, c->id, c->color, c->bk, svc_word(in, c->id), &new_word, e);
		if (r) {
			if (slot_first)
				slot_write(in, c, &c->old, NULL);
			return r;
		}
		instance_step(in, c->op, "ring-written");
		svc_publish(in, c->id, new_word);
		instance_step(in, c->op, "published");
	}
	if (!slot_first && (r = slot_write(in, c, &c->new, e)))
		return r;
	return 0;
}

static void fill_result(const struct backend_change *c, bool changed,
			struct bgx_backend_result *res)
{
	if (!res)
		return;
	memset(res, 0, sizeof(*res));
	snprintf(res->service, sizeof(res->service), "%s", c->meta.name);
	res->old_state = c->old.state;
	res->new_state = c->new.state;
	res->changed = changed;
	res->in_ring = backends_in_ring(c->bk);
}

/* Load, change slot c->slot to `value`, check, apply. */
static int backend_change_run(struct bgx_instance *in, const char *op,
			      const struct bgx_backend_ref *ref, bool adding,
			      const struct backend *value, __u8 state,
			      struct bgx_backend_result *res, struct bgx_err *e)
{
	struct backend_change c = { .op = op };
	int r;

	if ((r = instance_must_write(in, e)) || (r = change_load(in, ref, adding, &c, e)))
		goto out;
	c.new = value ? *value : c.old;
	if (!value)
		c.new.state = state;
	c.bk[c.slot] = c.new;
	if ((r = guard_last_in_ring(in, &c, e)))
		goto out;
	if (!adding && c.new.state == c.old.state) {
		fill_result(&c, false, res);
		goto out;
	}
	/* Marked until done: a writer killed in between leaves the mark, and
	 * the next one checks this service's rings (recover.c). */
	c.meta.ring_dirty = 1;
	if ((r = svc_meta_write(in, c.id, &c.meta, e)))
		goto out;
	if (adding && (r = endpoint_claim(in, c.id, &c.meta, &c.new, c.text, e)))
		goto unmark;
	if ((r = change_apply(in, &c, e)))
		goto unmark;
	fill_result(&c, true, res);
	bgx_log(BGX_LOG_INFO, "%s: %s %s backend %s (slot %u): %s -> %s", op, c.meta.name,
		color_name(c.color), c.text, c.slot, backend_state_name(c.old.state),
		backend_state_name(c.new.state));
unmark:
	c.meta.ring_dirty = 0;
	svc_meta_write(in, c.id, &c.meta, NULL);  /* a mark left is only a check more */
out:
	free(c.bk);
	return r;
}

int bgx_backend_add(struct bgx_instance *in, const struct bgx_backend_ref *ref, __u16 weight,
		    struct bgx_backend_result *res, struct bgx_err *e)
{
	struct backend nb = { 0 };

	memcpy(nb.addr, ref->ep.addr, BGXDP_ADDR_LEN);
	nb.port = htons(ref->ep.port);
	nb.family = ref->ep.family;
	nb.state = BACKEND_UP;
	nb.weight = weight;
	return backend_change_run(in, "backend.add", ref, true, &nb, 0, res, e);
}

int bgx_backend_del(struct bgx_instance *in, const struct bgx_backend_ref *ref,
		    struct bgx_backend_result *res, struct bgx_err *e)
{
	static const struct backend empty;

	return backend_change_run(in, "backend.del", ref, false, &empty, 0, res, e);
}

int bgx_backend_set_state(struct bgx_instance *in, const struct bgx_backend_ref *ref,
			  __u8 state, struct bgx_backend_result *res, struct bgx_err *e)
{
	if (state != BACKEND_UP && state != BACKEND_DRAIN && state != BACKEND_DOWN)
		return bgx_fail(e, EINVAL, "bad backend state %u", state);
	return backend_change_run(in, "backend.state", ref, false, NULL, state, res, e);
}
