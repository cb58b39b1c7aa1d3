/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * halfopen.h - the half-open flow table (include/bgxdp.h, "half-open
 * flows"): an array of sets, HALFOPEN_WAYS entries each, every set under
 * its own bpf_spin_lock.
 *
 * Not an LRU hash like `flows`, for two reasons.  A new flow is an insert
 * into this table, and in an LRU hash an insert takes a free node from the
 * LRU lists under their locks and evicts in batches when none is left:
 * that was two thirds of the old new-flow cost.  Here an insert is a hash,
 * an array lookup and a write under an uncontended lock.  And when an entry
 * is displaced the program knows which one, so a flood's effect is counted
 * exactly, per service and color of the entries it displaced.
 *
 * No helper may be called while a bpf_spin_lock is held: callers find the
 * set first, then each function here locks, reads or writes the set with
 * plain loads and stores, and unlocks.  Values are copied out, never
 * pointed to, so nothing is read unlocked.
 */
#ifndef BGXDP_BPF_HALFOPEN_H
#define BGXDP_BPF_HALFOPEN_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "bgxdp.h"
#include "bgxdp_hash.h"
#include "maps.h"
#include "parse.h"
#include "flow.h"

#define WAY(w) ((w) & (HALFOPEN_WAYS - 1))

/* The kernel's struct bpf_map, for its max_entries (CO-RE relocated): the
 * table works with whatever size the control plane gave it. */
struct bpf_map___bgxdp {
	__u32 max_entries;
} __attribute__((preserve_access_index));

/* The set of a tag.  NULL only if the map is empty. */
static __always_inline struct halfopen_set *halfopen_set_at(__u32 tag)
{
	__u32 sets = ((struct bpf_map___bgxdp *)&halfopen)->max_entries;
	__u32 index = bgxdp_halfopen_set(tag, sets);

	return bpf_map_lookup_elem(&halfopen, &index);
}

/* The set `key` lives in; *tag is its tag. */
static __always_inline struct halfopen_set *halfopen_set_of(const struct flow_key *key,
							    __u32 *tag)
{
	*tag = bgxdp_halfopen_hash(key);
	return halfopen_set_at(*tag);
}

/* The way holding `key`, or -1.  Lock held. */
static __always_inline int halfopen_find_locked(const struct halfopen_set *set,
						__u32 tag, const struct flow_key *key)
{
	#pragma unroll
	for (int w = 0; w < HALFOPEN_WAYS; w++)
		if (set->tags[w] == tag && flow_key_equal(&set->ways[w].key, key))
			return w;
	return -1;
}

/* Has the flow proved real, with this client packet?  See bgxdp.h,
 * "half-open flows". */
static __always_inline bool halfopen_promotes(const struct halfopen_value *v,
					      const struct pkt_meta *m)
{
	if (m->proto == IPPROTO_TCP) {
		if ((m->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_RST | TCP_FLAG_ACK)) !=
		    TCP_FLAG_ACK)
			return false;
		if (v->flags & HALFOPEN_REPLY)
			return true;
		return (v->flags & HALFOPEN_SYNACK) && m->ack_seq == v->expected_ack;
	}
	return v->flags & HALFOPEN_REPLY;
}

/* A way's `seen` stamp: last_seen in units of 2^20 ns (~1 ms), compared
 * with wrap-around. */
static __always_inline __u32 halfopen_stamp(__u64 ns)
{
	return (__u32)(ns >> 20);
}

/*
 * The way a new flow's entry goes to when its key is not in the set: an
 * unused way, else the way seen least recently (*displaced set).  Lock
 * held; reads only the set's first cache line.  Without branches (BPF has
 * no conditional move, and the verifier walks every branch of every
 * caller): each way's score is its age, 2^40 more when unused, and the
 * best is kept with masks.
 */
static __always_inline __u32 halfopen_victim_locked(const struct halfopen_set *set,
						    __u32 now_stamp, bool *displaced)
{
	__s64 best_score = -1;
	__u64 best = 0;

	#pragma unroll
	for (int w = 0; w < HALFOPEN_WAYS; w++) {
		__u64 unused = ((__u64)set->tags[w] - 1) >> 63;         /* tag 0 */
		__s64 age = (__s32)(now_stamp - set->seen[w]);
		__s64 score = age + (__s64)(unused << 40);
		__u64 better = (__u64)((best_score - score) >> 63);    /* all ones */

		best = (best & ~better) | ((__u64)w & better);
		best_score = (best_score & ~(__s64)better) | (score & (__s64)better);
	}
	*displaced = (best_score - (1ll << 39)) >> 63;          /* not unused */
	return (__u32)best;
}

/* Record `val` for `key`: in its own way if it has one (closing or idle),
 * else in halfopen_victim_locked()'s.
 * Returns the protocol of another flow whose entry was displaced to make
 * room (its flow in *old), or 0.  Lock held. */
static __always_inline __u8 halfopen_put_locked(struct halfopen_set *set, __u32 tag,
						const struct flow_key *key,
						const struct halfopen_value *val,
						struct flow_value *old)
{
	__u32 stamp = halfopen_stamp(val->flow.last_seen_ns);
	bool displaced = false;
	__u8 old_proto = 0;
	int own = halfopen_find_locked(set, tag, key);
	__u32 way;

	if (own >= 0)
		way = WAY(own);
	else
		way = WAY(halfopen_victim_locked(set, stamp, &displaced));
	if (displaced) {
		*old = set->ways[way].value.flow;
		old_proto = set->ways[way].key.proto;
	}
	set->tags[way] = tag;
	set->seen[way] = stamp;
	set->ways[way].key = *key;
	set->ways[way].value = *val;
	return old_proto;
}

static __always_inline __u8 halfopen_put(struct halfopen_set *set, __u32 tag,
					 const struct flow_key *key,
					 const struct halfopen_value *val,
					 struct flow_value *old)
{
	__u8 old_proto;

	bpf_spin_lock(&set->lock);
	old_proto = halfopen_put_locked(set, tag, key, val, old);
	bpf_spin_unlock(&set->lock);
	return old_proto;
}

/*
 * A bare SYN, `fresh` picked for it under the current config: if the flow
 * has an open half-open entry (the SYN is a retransmission), *out is that
 * entry and true is returned; else `fresh` is recorded (over a closing or
 * idle entry of the flow, or displacing another flow's: its protocol in
 * *old_proto, its flow in *old).  One lock, one pass over the set.
 */
static __always_inline bool halfopen_on_syn(struct halfopen_set *set, __u32 tag,
					    const struct flow_key *key,
					    const struct halfopen_value *fresh,
					    __u64 now, struct halfopen_value *out,
					    struct flow_value *old, __u8 *old_proto)
{
	bool retransmit = false;
	int way;

	*old_proto = 0;
	bpf_spin_lock(&set->lock);
	way = halfopen_find_locked(set, tag, key);
	if (way >= 0) {
		struct halfopen_entry *e = &set->ways[WAY(way)];

		retransmit = e->value.flow.state == FLOW_OPEN &&
			     flow_idle_ns(&e->value.flow, now) <=
			     (__s64)halfopen_idle_timeout(&e->value.flow, key->proto);
		if (retransmit)
			*out = e->value;
	}
	if (!retransmit)
		*old_proto = halfopen_put_locked(set, tag, key, fresh, old);
	bpf_spin_unlock(&set->lock);
	return retransmit;
}

/* What a client packet (not a bare SYN) did to its half-open flow. */
enum halfopen_outcome {
	HALFOPEN_NONE,          /* no usable entry */
	HALFOPEN_KEPT,          /* used, still half-open */
	HALFOPEN_PROMOTED,      /* proved real: taken out, `flows` gets it */
};

/*
 * A client packet (not a bare SYN) on the half-open table, in one lock: a usable entry of the flow is
 * copied to *out with the packet's effect (FIN/RST: closing); if the flow
 * has now proved real it is taken out (the caller writes it to `flows`),
 * else its state and last_seen are updated in place.
 */
static __always_inline int halfopen_on_client(struct halfopen_set *set, __u32 tag,
					      const struct flow_key *key,
					      const struct pkt_meta *m,
					      struct halfopen_value *out)
{
	__u64 now = m->now;
	int outcome = HALFOPEN_NONE, way;

	bpf_spin_lock(&set->lock);
	way = halfopen_find_locked(set, tag, key);
	if (way >= 0) {
		struct halfopen_entry *e = &set->ways[WAY(way)];

		if (flow_usable(&e->value.flow, m->proto, m->tcp_flags, now,
				halfopen_idle_timeout(&e->value.flow, m->proto))) {
			*out = e->value;
			if (starts_closing(&out->flow, m->proto, m->tcp_flags))
				out->flow.state = FLOW_CLOSING;
			if (halfopen_promotes(out, m)) {
				set->tags[WAY(way)] = 0;
				outcome = HALFOPEN_PROMOTED;
			} else {
				if (out->flow.state != e->value.flow.state ||
				    flow_idle_ns(&e->value.flow, now) > (__s64)FLOW_TOUCH_NS) {
					e->value.flow.state = out->flow.state;
					e->value.flow.last_seen_ns = now;
					set->seen[WAY(way)] = halfopen_stamp(now);
				}
				outcome = HALFOPEN_KEPT;
			}
		}
	}
	bpf_spin_unlock(&set->lock);
	return outcome;
}

/* Forget the entry of `key` (promoted, or superseded).  With `backend`,
 * only if it goes to that backend endpoint. */
static __always_inline void halfopen_drop(struct halfopen_set *set, __u32 tag,
					  const struct flow_key *key,
					  const struct vip_key *backend)
{
	int way;

	bpf_spin_lock(&set->lock);
	way = halfopen_find_locked(set, tag, key);
	if (way >= 0 &&
	    (!backend || (set->ways[WAY(way)].value.flow.backend_port == backend->port &&
			  addr_equal(set->ways[WAY(way)].value.flow.backend, backend->addr))))
		set->tags[WAY(way)] = 0;
	bpf_spin_unlock(&set->lock);
}

/* What a backend's reply tells about its half-open flow. */
struct halfopen_reply {
	const struct vip_key *endpoint;  /* the backend: the reply's source */
	__u8 tcp_flags;
	__be32 seq;                      /* TCP sequence number of the reply */
};

static __always_inline bool is_synack(__u8 tcp_flags)
{
	return (tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK | TCP_FLAG_RST)) ==
	       (TCP_FLAG_SYN | TCP_FLAG_ACK);
}

/* A backend's reply to the half-open flow `key`, if that flow went to this
 * backend: a SYN-ACK records the acknowledgment the client's ACK must
 * carry; anything but a SYN-ACK or RST marks the flow answered.  *out: the
 * entry as it was before this reply. */
static __always_inline bool halfopen_answer(struct halfopen_set *set, __u32 tag,
					    const struct flow_key *key,
					    const struct halfopen_reply *r,
					    struct halfopen_value *out)
{
	bool found = false;
	int way;

	bpf_spin_lock(&set->lock);
	way = halfopen_find_locked(set, tag, key);
	if (way >= 0) {
		struct halfopen_value *v = &set->ways[WAY(way)].value;

		if (v->flow.backend_port == r->endpoint->port &&
		    addr_equal(v->flow.backend, r->endpoint->addr)) {
			*out = *v;
			found = true;
			if (is_synack(r->tcp_flags)) {
				v->flags |= HALFOPEN_SYNACK;
				v->expected_ack = bpf_htonl(bpf_ntohl(r->seq) + 1);
			} else if (!(r->tcp_flags & TCP_FLAG_RST)) {
				v->flags |= HALFOPEN_REPLY;
			}
		}
	}
	bpf_spin_unlock(&set->lock);
	return found;
}

#endif /* BGXDP_BPF_HALFOPEN_H */
