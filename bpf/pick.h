/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pick.h - a new flow's color, ring slot and backend, all from one
 * published config word (include/bgxdp.h, "the service config word").
 */
#ifndef BGXDP_BPF_PICK_H
#define BGXDP_BPF_PICK_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "bgxdp.h"
#include "bgxdp_hash.h"
#include "maps.h"
#include "parse.h"
#include "flow.h"

/* The hashes a new flow needs: its color bucket and ring slot (of the
 * whole key, or of the client address with --affinity client) and its
 * half-open tag (always the whole key), computed together. */
struct flow_hashes {
	__u32 color, ring, halfopen;
};

static __always_inline void flow_hashes(const struct flow_key *key, __u64 word,
					struct flow_hashes *h)
{
	const __u32 seeds[3] = { BGXDP_SEED_COLOR, BGXDP_SEED_RING, BGXDP_SEED_HALFOPEN };
	__u32 out[3];

	bgxdp_flow_hash3(key, seeds, out);
	h->halfopen = out[2] ? out[2] : 1;   /* = bgxdp_halfopen_hash() */
	if (word & CFG_AFFINITY_CLIENT) {
		h->color = bgxdp_client_hash(key, BGXDP_SEED_COLOR);
		h->ring = bgxdp_client_hash(key, BGXDP_SEED_RING);
	} else {
		h->color = out[0];
		h->ring = out[1];
	}
}

/* The color a new flow goes to under `word`, or -1 if neither color has a
 * backend.  The preview address always tries green first. */
static __always_inline int pick_color(__u32 color_hash, __u64 word,
				      const struct vip_value *vip)
{
	__u32 color;

	if (vip->flags & VIP_FLAG_PREVIEW)
		color = BGXDP_GREEN;
	else
		color = bgxdp_color_of(color_hash, word);
	if (word & CFG_HAS_BACKENDS(color))
		return color;
	color ^= 1;     /* the other color */
	if (word & CFG_HAS_BACKENDS(color))
		return color;
	return -1;
}

/* A new flow: color, ring slot and backend, all from one config word.
 * Returns the backend's slot in its color, or -1 if there is none;
 * *tag: the flow's half-open tag. */
static __always_inline int pick_backend(const struct flow_key *key, __u32 svc,
					const struct vip_value *vip,
					__u32 *color_out, __u32 *tag)
{
	__u32 idx, ring_slot, backend_slot;
	struct flow_hashes h;
	struct maglev_ring *ring;
	__u64 *word_ptr, word;
	int color;

	word_ptr = bpf_map_lookup_elem(&svc_config, &svc);
	if (!word_ptr)
		return -1;
	word = READ_ONCE_U64(word_ptr);
	if (!(word & CFG_CONFIGURED))
		return -1;

	flow_hashes(key, word, &h);
	*tag = h.halfopen;
	color = pick_color(h.color, word, vip);
	if (color < 0)
		return -1;

	idx = ring_index(svc, color, cfg_ring_buffer(word, color));
	ring = bpf_map_lookup_elem(&maglev_rings, &idx);
	if (!ring)
		return -1;
	ring_slot = h.ring % BGXDP_RING_SIZE;
	/* clang knows x % RING_SIZE < RING_SIZE and would drop the check;
	 * the verifier does not track it through the division, so hide the
	 * value from clang and keep an explicit bound. */
	asm volatile("" : "+r"(ring_slot));
	if (ring_slot >= BGXDP_RING_SIZE)
		return -1;
	backend_slot = ring->slots[ring_slot];
	if (backend_slot >= BGXDP_MAX_BACKENDS)
		return -1;
	*color_out = color;
	return backend_slot;
}

/* A new flow for `key` (a VIP packet that has no usable entry): the whole
 * flow value and its half-open tag, or false with the pass reason in
 * *reason. */
static __always_inline bool pick_flow(const struct flow_key *key,
				      const struct vip_key *vip_key,
				      const struct pkt_meta *m,
				      struct flow_value *out, __u32 *tag,
				      __u32 *reason)
{
	struct vip_value *vip = bpf_map_lookup_elem(&services, vip_key);
	struct backend *be;
	__u32 svc, color, bidx;
	int slot;

	*reason = PASS_NO_BACKEND;
	if (!vip) {
		*reason = PASS_NOT_VIP;
		return false;
	}
	svc = vip->service_id;
	if (svc >= BGXDP_MAX_SERVICES)
		return false;
	slot = pick_backend(key, svc, vip, &color, tag);
	if (slot < 0)
		return false;
	bidx = backend_index(svc, color, slot);
	be = bpf_map_lookup_elem(&backends, &bidx);
	/* EMPTY: the ring was published ahead of the backend (a racing
	 * writer); a backend of the other family cannot be written into this
	 * header. */
	if (!be || be->state == BACKEND_EMPTY || be->family != m->family)
		return false;

	__builtin_memcpy(out->backend, be->addr, BGXDP_ADDR_LEN);
	out->backend_port = be->port;
	out->color = color;
	out->state = FLOW_OPEN;
	out->service_id = svc;
	out->backend_slot = slot;
	out->last_seen_ns = m->now;
	/* A FIN or RST as the first packet we see: closing already. */
	if (m->proto == IPPROTO_TCP &&
	    (m->tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST)))
		out->state = FLOW_CLOSING;
	return true;
}

#endif /* BGXDP_BPF_PICK_H */
