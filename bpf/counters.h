/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * counters.h - what the data plane counts (per-CPU arrays, summed by
 * userspace), the passive signals about backends (SYNs, SYN-ACKs, RSTs,
 * handshake time) and the flow events for fleet sync.
 *
 * The established-flow path only adds packets and bytes; everything else
 * sits behind a test of flags that are rare on it.
 */
#ifndef BGXDP_BPF_COUNTERS_H
#define BGXDP_BPF_COUNTERS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "bgxdp.h"
#include "maps.h"
#include "parse.h"

static __always_inline void count_pass(__u32 reason)
{
	__u64 *n = bpf_map_lookup_elem(&passed_counters, &reason);

	if (n)
		*n += 1;        /* per-CPU: no atomics needed */
}

static __always_inline int pass(__u32 reason)
{
	count_pass(reason);
	return XDP_PASS;
}

/* What a client packet did besides being forwarded (count_to_backend). */
#define DID_CREATE   (1u << 0)  /* picked anew, recorded half-open */
#define DID_LOSE     (1u << 1)  /* mid-stream TCP that found no entry */
#define DID_SYN      (1u << 2)  /* a bare SYN */
#define DID_PROMOTE  (1u << 3)  /* half-open -> established */

static __always_inline void count_to_backend(__u32 svc, __u32 color,
					     __u32 slot, __u32 bytes, __u32 did)
{
	__u32 ci = color_index(svc, color);
	__u32 bi = backend_index(svc, color, slot);
	struct color_counters *cc = bpf_map_lookup_elem(&color_counters, &ci);
	struct backend_counters *bc = bpf_map_lookup_elem(&backend_counters, &bi);

	if (!cc || !bc)
		return;
	cc->packets_to_backend += 1;
	cc->bytes_to_backend += bytes;
	bc->packets += 1;
	bc->bytes += bytes;
	if (!did)
		return;
	if (did & DID_CREATE)
		cc->flows_created += 1;
	if (did & DID_LOSE)
		cc->flows_lost += 1;
	if (did & DID_PROMOTE)
		cc->flows_promoted += 1;
	if (did & DID_SYN) {
		cc->syns_to_backend += 1;
		bc->syns += 1;
	}
}

/* A live half-open entry of (svc, color) was displaced by a newer one. */
static __always_inline void count_halfopen_evicted(__u32 svc, __u32 color)
{
	__u32 ci = color_index(svc, color);
	struct color_counters *cc = bpf_map_lookup_elem(&color_counters, &ci);

	if (cc)
		cc->halfopen_evicted += 1;
}

/* A reply rewritten to the client; SYN-ACKs and RSTs per backend too. */
static __always_inline void count_to_client(__u32 svc, __u32 color, __u32 slot,
					    __u32 bytes, __u8 tcp_flags)
{
	__u32 ci = color_index(svc, color);
	struct color_counters *cc = bpf_map_lookup_elem(&color_counters, &ci);
	struct backend_counters *bc;
	__u32 bi;

	if (!cc)
		return;
	cc->packets_to_client += 1;
	cc->bytes_to_client += bytes;
	if (!(tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_RST)))
		return;
	bi = backend_index(svc, color, slot);
	bc = bpf_map_lookup_elem(&backend_counters, &bi);
	if (!bc)
		return;
	if (tcp_flags & TCP_FLAG_RST) {
		cc->resets_from_backend += 1;
		bc->resets += 1;
	} else if (tcp_flags & TCP_FLAG_ACK) {
		cc->synacks_from_backend += 1;
		bc->synacks += 1;
	}
}

/* Histogram bucket of a handshake time: the number of bounds below it. */
static __always_inline __u32 connect_bucket(__u64 ns)
{
	__u32 bucket = 0;

#define BGXDP_BELOW(bound_ns, le) bucket += ns > (bound_ns);
	BGXDP_CONNECT_BOUNDS(BGXDP_BELOW)
#undef BGXDP_BELOW
	return bucket;
}

/* The backend answered a client's first SYN (sent at created_ns). */
static __always_inline void record_connect_time(__u32 svc, __u32 color,
						__u32 slot, __u64 created_ns)
{
	__u32 bi = backend_index(svc, color, slot);
	struct backend_connect *h = bpf_map_lookup_elem(&backend_connect, &bi);
	__s64 took = (__s64)(bpf_ktime_get_ns() - created_ns);
	__u32 bucket;

	if (!h)
		return;
	if (took < 0)   /* SYN stamped on another CPU an instant later */
		took = 0;
	bucket = connect_bucket((__u64)took);
	h->count += 1;
	h->sum_ns += (__u64)took;
	if (bucket < BGXDP_CONNECT_BUCKETS)
		h->buckets[bucket] += 1;
}

/* ---- instance settings and flow events ---------------------------------- */

static __always_inline __u32 settings_flags(void)
{
	__u32 zero = 0;
	struct instance_settings *current = bpf_map_lookup_elem(&settings, &zero);

	return current ? current->flags : 0;
}

/* With SETTINGS_FLOW_EVENTS: tell userspace (fleet sync) what `flows` now
 * holds for `key`.  Off: one flag test. */
static __always_inline void flow_event(__u32 type, const struct flow_key *key,
				       const struct flow_value *value)
{
	struct flow_event *ev;

	if (!(settings_flags() & SETTINGS_FLOW_EVENTS))
		return;
	ev = bpf_ringbuf_reserve(&flow_events, sizeof(*ev), 0);
	if (!ev) {
		__u32 ci = color_index(value->service_id, value->color & 1);
		struct color_counters *cc = bpf_map_lookup_elem(&color_counters, &ci);

		if (cc)
			cc->flow_events_dropped += 1;
		return;
	}
	ev->type = type;
	ev->pad = 0;
	ev->key = *key;
	ev->value = *value;
	bpf_ringbuf_submit(ev, 0);
}

#endif /* BGXDP_BPF_COUNTERS_H */
