/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp.skel.h"
#include "bgxdp_hash.h"
#include "helpers_cp.h"
#include "libbgxdp.h"
#include "maglev.h"

static void read_elem(struct bpf_map *map, __u32 key, void *value, size_t size)
{
	if (bpf_map__lookup_elem(map, &key, sizeof(key), value, size, 0))
		fail_msg("cannot read %s[%u]", bpf_map__name(map), key);
}

static __u64 word_of(struct bgxdp *skel, __u32 id)
{
	__u64 w;

	read_elem(skel->maps.svc_config, id, &w, sizeof(w));
	return w;
}

static void meta_of(struct bgxdp *skel, __u32 id, struct svc_meta *m)
{
	read_elem(skel->maps.svc_meta, id, m, sizeof(*m));
}

static void color_slots(struct bgxdp *skel, __u32 id, __u32 color, struct backend *bk)
{
	for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++)
		read_elem(skel->maps.backends, backend_index(id, color, s), &bk[s], sizeof(bk[s]));
}

static int cmp_backend(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct backend_view_cp));
}

void state_read(struct bgxdp *skel, struct state_view *v)
{
	static struct backend bk[BGXDP_MAX_BACKENDS];

	memset(v, 0, sizeof(*v));
	for (__u32 id = 0; id < BGXDP_MAX_SERVICES; id++) {
		struct service_state_cp *s = &v->services[v->n];
		struct svc_meta m;

		meta_of(skel, id, &m);
		if (m.in_use != SVC_LIVE)
			continue;
		v->n++;
		memcpy(s->name, m.name, sizeof(s->name));
		s->vip = m.vip;
		s->preview = m.preview;
		s->affinity_client = m.affinity_client;
		s->green_bp = cfg_green_share(word_of(skel, id));
		for (__u32 c = 0; c < BGXDP_COLORS; c++) {
			color_slots(skel, id, c, bk);
			for (__u32 i = 0; i < BGXDP_MAX_BACKENDS; i++) {
				struct backend_view_cp *b = &s->backends[c][s->n[c]];

				if (bk[i].state == BACKEND_EMPTY)
					continue;
				memcpy(b->addr, bk[i].addr, sizeof(b->addr));
				b->port = bk[i].port;
				b->family = bk[i].family;
				b->state = bk[i].state;
				b->weight = bk[i].weight;
				b->health = bk[i].health;
				s->n[c]++;
			}
			qsort(s->backends[c], (size_t)s->n[c], sizeof(s->backends[c][0]), cmp_backend);
		}
	}
}

bool state_equal(const struct state_view *a, const struct state_view *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++) {
		const struct service_state_cp *x = &a->services[i], *y = &b->services[i];

		if (strcmp(x->name, y->name) || memcmp(&x->vip, &y->vip, sizeof(x->vip)) ||
		    memcmp(&x->preview, &y->preview, sizeof(x->preview)) ||
		    x->affinity_client != y->affinity_client || x->green_bp != y->green_bp)
			return false;
		for (int c = 0; c < BGXDP_COLORS; c++)
			if (x->n[c] != y->n[c] ||
			    memcmp(x->backends[c], y->backends[c], sizeof(x->backends[c][0]) * (size_t)x->n[c]))
				return false;
	}
	return true;
}

static const struct service_state_cp *service_named(const struct state_view *v, const char *name)
{
	for (int i = 0; i < v->n; i++)
		if (!strcmp(v->services[i].name, name))
			return &v->services[i];
	return NULL;
}

/* The backend of `s` at the same address and port, or NULL. */
static const struct backend_view_cp *backend_at(const struct service_state_cp *s, int c,
						const struct backend_view_cp *b)
{
	for (int i = 0; s && i < s->n[c]; i++)
		if (!memcmp(s->backends[c][i].addr, b->addr, sizeof(b->addr)) &&
		    s->backends[c][i].port == b->port)
			return &s->backends[c][i];
	return NULL;
}

static bool backend_from(const struct backend_view_cp *x, const struct service_state_cp *a,
			 const struct service_state_cp *b, int c)
{
	const struct backend_view_cp *in_a = backend_at(a, c, x), *in_b = backend_at(b, c, x);

	return (in_a && !memcmp(in_a, x, sizeof(*x))) || (in_b && !memcmp(in_b, x, sizeof(*x))) ||
	       /* a deleted backend waiting for its slot to empty is down */
	       (in_a && !in_b && x->state == BACKEND_DOWN);
}

bool state_parts_from(const struct state_view *now, const struct state_view *a,
		      const struct state_view *b)
{
	for (int i = 0; i < now->n; i++) {
		const struct service_state_cp *x = &now->services[i];
		const struct service_state_cp *sa = service_named(a, x->name);
		const struct service_state_cp *sb = service_named(b, x->name);

		if (!((sa && sa->green_bp == x->green_bp) || (sb && sb->green_bp == x->green_bp)))
			return false;
		for (int c = 0; c < BGXDP_COLORS; c++)
			for (int k = 0; k < x->n[c]; k++)
				if (!backend_from(&x->backends[c][k], sa, sb, c))
					return false;
	}
	return true;
}

/* ---- invariants ---- */

static bool filter_has(const struct vip_filter *f, const struct vip_key *k)
{
	__u32 bit = bgxdp_vip_filter_bit(k);

	return !f->enabled || ((f->words[bit / 64] >> (bit % 64)) & 1);
}

static void read_filter(struct bgxdp *skel, struct vip_filter *f)
{
	read_elem(skel->maps.vip_filter, 0, f, sizeof(*f));
}

/* Packets: every VIP in the services map passes the filter. */
static void check_filter_superset(struct bgxdp *skel, const char *where)
{
	struct vip_key key, next, *prev = NULL;
	struct vip_filter f;

	read_filter(skel, &f);
	while (!bpf_map__get_next_key(skel->maps.services, prev, &next, sizeof(next))) {
		key = next;
		prev = &key;
		if (!filter_has(&f, &key))
			fail_msg("%s: a VIP in the services map is missing from the VIP filter", where);
	}
}

/* A service's slots as the ring builder must see them: the one rule of
 * libbgxdp.h (admin state, health, fail open). */
static void service_members(struct bgxdp *skel, __u32 id,
			    struct backend members[BGXDP_COLORS][BGXDP_MAX_BACKENDS])
{
	static struct backend bk[BGXDP_COLORS][BGXDP_MAX_BACKENDS];
	bool open;

	for (__u32 c = 0; c < BGXDP_COLORS; c++)
		color_slots(skel, id, c, bk[c]);
	open = bgx_health_fails_open(bk[BGXDP_BLUE], bk[BGXDP_GREEN]);
	for (__u32 c = 0; c < BGXDP_COLORS; c++)
		bgx_ring_members(bk[c], open, members[c]);
}

/* Packets: a published color's live ring points only at backends that take
 * new flows. */
static void check_live_rings(struct bgxdp *skel, const char *where)
{
	static struct maglev_ring ring;
	static struct backend bk[BGXDP_COLORS][BGXDP_MAX_BACKENDS];

	for (__u32 id = 0; id < BGXDP_MAX_SERVICES; id++) {
		__u64 w = word_of(skel, id);

		if (!(w & CFG_CONFIGURED))
			continue;
		service_members(skel, id, bk);
		for (__u32 c = 0; c < BGXDP_COLORS; c++) {
			if (!(w & CFG_HAS_BACKENDS(c)))
				continue;
			read_elem(skel->maps.maglev_rings, ring_index(id, c, cfg_ring_buffer(w, c)),
				  &ring, sizeof(ring));
			for (__u32 i = 0; i < BGXDP_RING_SIZE; i++)
				if (ring.slots[i] >= BGXDP_MAX_BACKENDS ||
				    !backend_in_ring(&bk[c][ring.slots[i]]))
					fail_msg("%s: service %u %s: the live ring points at slot %u, which does not take new flows",
						 where, id, c ? "green" : "blue", ring.slots[i]);
		}
	}
}

void check_ordering_at(struct bgxdp *skel, const char *op, const char *step)
{
	char where[96];

	snprintf(where, sizeof(where), "%s, step %s", op, step);
	check_filter_superset(skel, where);
	check_live_rings(skel, where);
	/* A service being deleted is unpublished before anything of it goes. */
	if (!strcmp(op, "service.del") && strcmp(step, "marked")) {
		for (__u32 id = 0; id < BGXDP_MAX_SERVICES; id++) {
			struct svc_meta m;

			meta_of(skel, id, &m);
			if (m.in_use == SVC_DELETING && word_of(skel, id))
				fail_msg("%s: the service is still published", where);
		}
	}
	/* A share change is recorded before it is published. */
	if (!strcmp(op, "share") && !strcmp(step, "recorded")) {
		for (__u32 id = 0; id < BGXDP_MAX_SERVICES; id++) {
			struct svc_meta m;

			meta_of(skel, id, &m);
			if (m.share_pending && word_of(skel, id) != m.previous_word)
				fail_msg("%s: published before the change was recorded", where);
		}
	}
}

static void check_service_whole(struct bgxdp *skel, __u32 id, const struct svc_meta *m,
				const struct vip_filter *f)
{
	static struct maglev_ring want, live;
	static struct backend members[BGXDP_COLORS][BGXDP_MAX_BACKENDS];
	__u64 w = word_of(skel, id);
	struct vip_value vv;

	if (!(w & CFG_CONFIGURED) || m->share_pending)
		fail_msg("service %s: not published, or a share change left pending", m->name);
	if (bpf_map__lookup_elem(skel->maps.services, &m->vip, sizeof(m->vip), &vv, sizeof(vv), 0) ||
	    vv.service_id != id || vv.flags || !filter_has(f, &m->vip))
		fail_msg("service %s: its VIP is not in the services map and the filter", m->name);
	if (m->preview.family &&
	    (bpf_map__lookup_elem(skel->maps.services, &m->preview, sizeof(m->preview), &vv,
				  sizeof(vv), 0) || vv.service_id != id || !(vv.flags & VIP_FLAG_PREVIEW)))
		fail_msg("service %s: its preview address is not in the services map", m->name);
	service_members(skel, id, members);
	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		const struct backend *bk = members[c];
		int n;

		n = maglev_build(bk, BGXDP_MAX_BACKENDS, &want);
		if (!n != !(w & CFG_HAS_BACKENDS(c)))
			fail_msg("service %s %s: has-backends bit disagrees with its slots", m->name,
				 c ? "green" : "blue");
		read_elem(skel->maps.maglev_rings, ring_index(id, c, cfg_ring_buffer(w, c)), &live,
			  sizeof(live));
		if (n && memcmp(want.slots, live.slots, sizeof(want.slots)))
			fail_msg("service %s %s: the live ring is not the one its slots build", m->name,
				 c ? "green" : "blue");
		for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++) {
			struct vip_key k = { .port = bk[s].port, .proto = m->vip.proto,
					     .family = bk[s].family };
			struct backend_service bs;

			if (bk[s].state == BACKEND_EMPTY)
				continue;
			memcpy(k.addr, bk[s].addr, sizeof(k.addr));
			if (bpf_map__lookup_elem(skel->maps.backend_services, &k, sizeof(k), &bs,
						 sizeof(bs), 0) || bs.service_id != id)
				fail_msg("service %s: a backend has no backend_services entry", m->name);
		}
	}
}

void check_whole(struct bgxdp *skel)
{
	struct vip_key key, next, *prev = NULL;
	struct vip_filter f;

	read_filter(skel, &f);
	for (__u32 id = 0; id < BGXDP_MAX_SERVICES; id++) {
		struct svc_meta m;

		meta_of(skel, id, &m);
		if (m.in_use == SVC_DELETING)
			fail_msg("service %s: a delete was left half-done", m.name);
		if (m.in_use == SVC_FREE && word_of(skel, id))
			fail_msg("service slot %u: free but published", id);
		if (m.in_use == SVC_LIVE)
			check_service_whole(skel, id, &m, &f);
	}
	while (!bpf_map__get_next_key(skel->maps.services, prev, &next, sizeof(next))) {
		struct vip_value vv;
		struct svc_meta m;

		key = next;
		prev = &key;
		if (bpf_map__lookup_elem(skel->maps.services, &key, sizeof(key), &vv, sizeof(vv), 0))
			continue;
		meta_of(skel, vv.service_id, &m);
		if (m.in_use != SVC_LIVE ||
		    (memcmp(&m.vip, &key, sizeof(key)) && memcmp(&m.preview, &key, sizeof(key))))
			fail_msg("services map: an address of no live service");
	}
	check_filter_superset(skel, "whole");
}
