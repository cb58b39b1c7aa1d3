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

/* The set `key` lives in; *tag is its tag.  NULL only if the map is empty. */
static __always_inline struct halfopen_set *halfopen_set_of(const struct flow_key *key,
							    __u32 *tag)
{
	__u32 sets = ((struct bpf_map___bgxdp *)&halfopen)->max_entries;
	__u32 index;

	*tag = bgxdp_halfopen_hash(key);
	index = bgxdp_halfopen_set(*tag, sets);
	return bpf_map_lookup_elem(&halfopen, &index);
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

/* A copy of the entry of `key`: true if there is one. */
static __always_inline bool halfopen_get(struct halfopen_set *set, __u32 tag,
					 const struct flow_key *key,
					 struct halfopen_value *out)
{
	int way;

	bpf_spin_lock(&set->lock);
	way = halfopen_find_locked(set, tag, key);
	if (way >= 0)
		*out = set->ways[WAY(way)].value;
	bpf_spin_unlock(&set->lock);
	return way >= 0;
}

/* A way's `seen` stamp: last_seen in units of 2^20 ns (~1 ms), compared
 * with wrap-around. */
static __always_inline __u32 halfopen_stamp(__u64 ns)
{
	return (__u32)(ns >> 20);
}

/* The way a new entry of `key` goes to: its own, else an unused one, else
 * the one seen least recently (*displaced set).  Lock held.  Only the
 * set's first cache line is read, unless a tag matches. */
static __always_inline __u32 halfopen_choose_locked(const struct halfopen_set *set,
						    __u32 tag, const struct flow_key *key,
						    __u32 now_stamp, bool *displaced)
{
	__u32 own = HALFOPEN_WAYS, unused = HALFOPEN_WAYS, oldest = 0;
	__s32 oldest_age = -1;

	#pragma unroll
	for (int w = 0; w < HALFOPEN_WAYS; w++) {
		__u32 t = set->tags[w];
		__s32 age = (__s32)(now_stamp - set->seen[w]);

		if (!t) {
			if (unused == HALFOPEN_WAYS)
				unused = w;
		} else if (t == tag && flow_key_equal(&set->ways[w].key, key)) {
			own = w;
		} else if (age > oldest_age) {
			oldest_age = age;
			oldest = w;
		}
	}
	*displaced = false;
	if (own < HALFOPEN_WAYS)
		return own;
	if (unused < HALFOPEN_WAYS)
		return unused;
	*displaced = true;
	return oldest;
}

/* Record `val` for `key`.  Returns the protocol of another flow whose entry
 * was displaced to make room (its value in *old), or 0. */
static __always_inline __u8 halfopen_put(struct halfopen_set *set, __u32 tag,
					 const struct flow_key *key,
					 const struct halfopen_value *val,
					 struct halfopen_value *old)
{
	__u32 stamp = halfopen_stamp(val->flow.last_seen_ns);
	bool displaced;
	__u8 old_proto = 0;
	__u32 way;

	bpf_spin_lock(&set->lock);
	way = WAY(halfopen_choose_locked(set, tag, key, stamp, &displaced));
	if (displaced) {
		*old = set->ways[way].value;
		old_proto = set->ways[way].key.proto;
	}
	set->tags[way] = tag;
	set->seen[way] = stamp;
	set->ways[way].key = *key;
	set->ways[way].value = *val;
	bpf_spin_unlock(&set->lock);
	return old_proto;
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

/* A client packet that did not promote the entry: its new state (FIN/RST
 * close it) and the time it was seen. */
static __always_inline void halfopen_touch(struct halfopen_set *set, __u32 tag,
					   const struct flow_key *key, __u8 state,
					   __u64 now)
{
	int way;

	bpf_spin_lock(&set->lock);
	way = halfopen_find_locked(set, tag, key);
	if (way >= 0) {
		struct flow_value *flow = &set->ways[WAY(way)].value.flow;

		flow->state = state;
		flow->last_seen_ns = now;
		set->seen[WAY(way)] = halfopen_stamp(now);
	}
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

/* Has the flow proved real, with this client packet (ack_seq: its TCP
 * acknowledgment number)?  See bgxdp.h, "half-open flows". */
static __always_inline bool halfopen_promotes(const struct halfopen_value *v,
					      const struct packet *pkt,
					      __be32 ack_seq)
{
	if (pkt->proto == IPPROTO_TCP) {
		if ((pkt->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_RST | TCP_FLAG_ACK)) !=
		    TCP_FLAG_ACK)
			return false;
		if (v->flags & HALFOPEN_REPLY)
			return true;
		return (v->flags & HALFOPEN_SYNACK) && ack_seq == v->expected_ack;
	}
	return v->flags & HALFOPEN_REPLY;
}

#endif /* BGXDP_BPF_HALFOPEN_H */
