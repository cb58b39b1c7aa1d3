// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * update.c - a service's backends and split brought to a target state with
 * one publish (apply, batch): every backend added, changed or removed and
 * the share moved, and the data plane sees the old config or the new one.
 *
 * Steps, each backend ordered as a single backend command orders it: the
 * slots of backends that will be in a ring are written first (a new backend
 * in a slot that is empty now, so the live ring never points at it); then
 * both colors' rings are built from the final slots into their inactive
 * buffers; then the change is recorded (share pending) and one word is
 * published; then the slots of backends that leave the rings (drained,
 * down, deleted) change.  The service is marked ring_dirty throughout: a
 * writer killed at any step leaves slots that each hold the backend's old
 * or new value, and recovery publishes the rings those slots build (every
 * backend as before or as asked, none in a state nobody asked for).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "config_word.h"
#include "instance.h"

struct update {
	__u32 id;
	struct svc_meta meta;
	struct backend old[BGXDP_COLORS][BGXDP_MAX_BACKENDS];
	struct backend new[BGXDP_COLORS][BGXDP_MAX_BACKENDS];
	struct backend members[BGXDP_COLORS][BGXDP_MAX_BACKENDS];  /* what the rings are built from */
	int changes;
};

static bool slot_holds(const struct backend *b, const struct endpoint *ep)
{
	return b->state != BACKEND_EMPTY && b->family == ep->family &&
	       b->port == htons(ep->port) && !memcmp(b->addr, ep->addr, BGXDP_ADDR_LEN);
}

static int find_slot(const struct backend *bk, const struct endpoint *ep)
{
	for (int s = 0; s < BGXDP_MAX_BACKENDS; s++)
		if (slot_holds(&bk[s], ep))
			return s;
	return -1;
}

/* A slot empty before the update and not taken by it yet. */
static int free_slot(const struct update *u, __u32 c)
{
	for (int s = 0; s < BGXDP_MAX_BACKENDS; s++)
		if (u->old[c][s].state == BACKEND_EMPTY && u->new[c][s].state == BACKEND_EMPTY)
			return s;
	return -1;
}

/* A kept backend keeps its health (the agent's), a new one starts with
 * the spec's. */
static void backend_from_spec(const struct bgx_backend_spec *b, const struct backend *old,
			      struct backend *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->addr, b->ep.addr, BGXDP_ADDR_LEN);
	out->port = htons(b->ep.port);
	out->family = b->ep.family;
	out->state = b->state;
	out->weight = b->weight;
	out->health = old->state != BACKEND_EMPTY ? old->health : b->health;
}

/* new[][] from the target: kept backends in their slots, new ones in free
 * slots, the rest deleted. */
static int place_backends(struct update *u, const struct bgx_service_target *t,
			  struct bgx_err *e)
{
	char text[BGX_ADDRESS_LEN];

	memset(u->new, 0, sizeof(u->new));
	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		for (__u32 i = 0; i < t->n[c]; i++) {
			const struct bgx_backend_spec *b = &t->backends[c][i];
			int s = find_slot(u->old[c], &b->ep);

			format_endpoint(b->ep.addr, htons(b->ep.port), b->ep.family, text, sizeof(text));
			if (b->ep.family != u->meta.vip.family)
				return bgx_fail(e, EINVAL, "%s: address family differs from the VIP of service '%s' (IPv%u)",
						text, u->meta.name, u->meta.vip.family);
			if (s >= 0 && u->new[c][s].state != BACKEND_EMPTY)
				return bgx_fail(e, EEXIST, "%s is listed twice as a %s backend of service '%s'",
						text, color_name(c), u->meta.name);
			if (s < 0 && (s = free_slot(u, c)) < 0)
				return bgx_fail(e, ENOSPC, "service '%s': no free %s slot for %s while %d are in use (apply the removals first, then the additions)",
						u->meta.name, color_name(c), text, BGXDP_MAX_BACKENDS);
			backend_from_spec(b, &u->old[c][s], &u->new[c][s]);
		}
	}
	return 0;
}

/* The rings the new slots build, by the one rule (libbgxdp.h). */
static void make_members(struct update *u)
{
	bool open = bgx_health_fails_open(u->new[BGXDP_BLUE], u->new[BGXDP_GREEN]);

	for (__u32 c = 0; c < BGXDP_COLORS; c++)
		bgx_ring_members(u->new[c], open, u->members[c]);
}

static bool any_in_ring(const struct backend *bk)
{
	for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++)
		if (backend_in_ring(&bk[s]))
			return true;
	return false;
}

/* A color that gets a share keeps a backend in its ring. */
static int check_served(const struct update *u, __u32 green_bp, struct bgx_err *e)
{
	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		__u32 share = c == BGXDP_GREEN ? green_bp : BGXDP_SHARE_SCALE - green_bp;
		char pct[16];

		if (!share || any_in_ring(u->members[c]))
			continue;
		format_percent_bp(share, pct, sizeof(pct));
		return bgx_fail(e, EINVAL, "%s would get %s%% of new flows of service '%s' but has no up backend",
				color_name(c), pct, u->meta.name);
	}
	return 0;
}

static int slot_write(struct bgx_instance *in, __u32 id, __u32 c, __u32 s,
		      const struct backend *value, struct bgx_err *e)
{
	__u32 key = backend_index(id, c, s);

	if (bpf_map_update_elem(map_fd(in, MAP_backends), &key, value, BPF_ANY))
		return bgx_fail(e, errno, "cannot write backends[%u]: %s", key, strerror(errno));
	return 0;
}

/* The slots that change: before the publish those that will be in a ring,
 * after it the others (drained, down, deleted). */
static int write_slots(struct bgx_instance *in, struct update *u, bool before, struct bgx_err *e)
{
	char text[BGX_ADDRESS_LEN];
	int r;

	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++) {
			const struct backend *v = &u->new[c][s];

			if (!memcmp(v, &u->old[c][s], sizeof(*v)) ||
			    (backend_in_ring(&u->members[c][s]) != 0) != before)
				continue;
			if (!u->old[c][s].state && v->state) {
				format_endpoint(v->addr, v->port, v->family, text, sizeof(text));
				if ((r = endpoint_claim(in, u->id, &u->meta, v, text, e)))
					return r;
			}
			if ((r = slot_write(in, u->id, c, s, v, e)))
				return r;
			u->changes++;
			instance_step(in, "service.update", before ? "slot-written" : "slot-released");
		}
	}
	return 0;
}

static __u64 now_unix_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

/* Both rings from the final slots, then one word with them and the share. */
static int publish(struct bgx_instance *in, struct update *u, __u32 green_bp,
		   struct bgx_service_update_result *res, struct bgx_err *e)
{
	__u64 word = svc_word(in, u->id), new_word = word;
	int r;

	cfg_wait_for_readers();
	for (__u32 c = 0; c < BGXDP_COLORS; c++)
		if ((r = color_write_ring(in, u->id, c, u->members[c], new_word, &new_word, e)))
			return r;
	instance_step(in, "service.update", "rings-written");
	new_word = cfg_next_generation(cfg_with_share(new_word, green_bp));
	if (cfg_green_share(word) != green_bp) {
		u->meta.previous_word = word;
		u->meta.changes++;
		u->meta.last_change_unix_ns = now_unix_ns();
		u->meta.share_pending = 1;
		u->meta.pending_green_share = (__u16)green_bp;
		if ((r = svc_meta_write(in, u->id, &u->meta, e)))
			return r;
	}
	svc_publish(in, u->id, new_word);
	instance_step(in, "service.update", "published");
	res->generation = cfg_generation(new_word);
	res->green_bp = green_bp;
	return 0;
}

static int load(struct bgx_instance *in, const char *name, struct update *u, struct bgx_err *e)
{
	int r;

	if ((r = svc_find(in, name, &u->id, &u->meta, e)))
		return r;
	for (__u32 c = 0; c < BGXDP_COLORS; c++)
		if ((r = color_backends_read(in, u->id, c, u->old[c], e)))
			return r;
	return 0;
}

static bool nothing_changes(const struct update *u, __u32 green_bp, __u64 word)
{
	return !memcmp(u->old, u->new, sizeof(u->old)) && cfg_green_share(word) == green_bp;
}

int bgx_service_update(struct bgx_instance *in, const char *name,
		       const struct bgx_service_target *t, struct bgx_service_update_result *res,
		       struct bgx_err *e)
{
	struct update *u = calloc(1, sizeof(*u));
	int r;

	memset(res, 0, sizeof(*res));
	if (!u)
		return bgx_fail(e, ENOMEM, "out of memory");
	if ((r = instance_must_write(in, e)) || (r = load(in, name, u, e)) ||
	    (r = place_backends(u, t, e)))
		goto out;
	make_members(u);
	if ((r = check_served(u, t->green_bp, e)))
		goto out;
	if (nothing_changes(u, t->green_bp, svc_word(in, u->id))) {
		res->generation = cfg_generation(svc_word(in, u->id));
		res->green_bp = t->green_bp;
		goto out;
	}
	u->meta.ring_dirty = 1;
	if ((r = svc_meta_write(in, u->id, &u->meta, e)) || (r = write_slots(in, u, true, e)) ||
	    (r = publish(in, u, t->green_bp, res, e)) || (r = write_slots(in, u, false, e)))
		goto out;       /* marks stay: the next writer recovers */
	u->meta.ring_dirty = 0;
	u->meta.share_pending = 0;
	svc_meta_write(in, u->id, &u->meta, NULL);
	res->changed = true;
	bgx_log(BGX_LOG_INFO, "service %s: %d backend slots changed, green share %u bp, published generation %u",
		name, u->changes, t->green_bp, res->generation);
out:
	free(u);
	return r;
}
