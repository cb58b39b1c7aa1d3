/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* maps.h - every map of the data plane; names are the pin file names and
 * are listed in include/bgxdp_maps.h (checked at the end of this file). */
#ifndef BGXDP_MAPS_H
#define BGXDP_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "bgxdp.h"
#include "bgxdp_maps.h"

/* VIP (and preview address) -> service. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * BGXDP_MAX_SERVICES);
	__type(key, struct vip_key);
	__type(value, struct vip_value);
} services SEC(".maps");

/* Summary of `services` that rules out most non-VIP packets cheaply. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vip_filter);
} vip_filter SEC(".maps");

/* One config word per service; mmap-able so userspace publishes it with a
 * single atomic store (see include/bgxdp.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, BGXDP_MAX_SERVICES);
	__type(key, __u32);
	__type(value, __u64);
} svc_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BGXDP_MAX_SERVICES * BGXDP_COLORS * BGXDP_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend);
} backends SEC(".maps");

/* Two buffers per service and color; the config word says which is live. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BGXDP_MAX_SERVICES * BGXDP_COLORS * 2);
	__type(key, __u32);
	__type(value, struct maglev_ring);
} maglev_rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BGXDP_DEFAULT_FLOWS);
	__type(key, struct flow_key);
	__type(value, struct flow_value);
} flows SEC(".maps");

/* Half-open flows: sets of HALFOPEN_WAYS entries, a spin lock each (see
 * bgxdp.h, "half-open flows").  The programs read max_entries at run time,
 * so the control plane may size it at attach. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HALFOPEN_DEFAULT_SETS);
	__type(key, __u32);
	__type(value, struct halfopen_set);
} halfopen SEC(".maps");

/* Flow events for fleet sync, written only with SETTINGS_FLOW_EVENTS. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, FLOW_EVENTS_BYTES);
} flow_events SEC(".maps");

/* Backend endpoint -> its service, for tc egress (see bgxdp.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BGXDP_MAX_SERVICES * BGXDP_COLORS * BGXDP_MAX_BACKENDS);
	__type(key, struct vip_key);
	__type(value, struct backend_service);
} backend_services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct instance_settings);
} settings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, BGXDP_MAX_TX_PORTS);
	__type(key, __u32);
	__type(value, __u32);
} tx_ports SEC(".maps");

/* Fast path: each backend's next hop, per CPU (no torn entries). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BGXDP_MAX_SERVICES * BGXDP_COLORS * BGXDP_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct next_hop);
} next_hops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BGXDP_MAX_SERVICES * BGXDP_COLORS);
	__type(key, __u32);
	__type(value, struct color_counters);
} color_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BGXDP_MAX_SERVICES * BGXDP_COLORS * BGXDP_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend_counters);
} backend_counters SEC(".maps");

/* Handshake-time histograms, per backend (see bgxdp.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BGXDP_MAX_SERVICES * BGXDP_COLORS * BGXDP_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend_connect);
} backend_connect SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PASS_REASONS);
	__type(key, __u32);
	__type(value, __u64);
} passed_counters SEC(".maps");

/*
 * What the new-flow path needs to know of a packet and its flow, copied
 * out of the packet: that path runs as a function of its own (see
 * bgxdp.bpf.c) and never sees the headers.
 */
struct pkt_meta {
	__u64 now;                       /* the fine clock for a bare SYN */
	__be32 ack_seq;                  /* TCP acknowledgment number */
	__u8 family, proto, tcp_flags;
	__u8 stale;                      /* `flows` holds an unusable entry */
};

/* The new-flow path's working values: too big for the 512-byte BPF stack
 * next to everything else, so they live in a per-CPU array (an XDP
 * program never runs nested on one CPU).  Nothing in it outlives a packet. */
struct new_flow_scratch {
	struct pkt_meta meta;
	struct halfopen_value ho;        /* result: the flow to forward by */
	struct halfopen_value fresh;     /* a SYN's new pick */
	struct flow_value displaced;     /* an entry that made room */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct new_flow_scratch);
} new_flow_scratch SEC(".maps");

/* Control-plane state; the programs never touch it, it is here so it is
 * created and pinned with the rest of the instance. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BGXDP_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct svc_meta);
} svc_meta SEC(".maps");

/* Every map of BGXDP_MAP_LIST must be defined above: a listed name that is
 * not fails the build here.  Never called. */
#define BGXDP_MAP_DEFINED(name) (void)&name;
static __always_inline void bgxdp_listed_maps_are_defined(void)
{
	BGXDP_MAP_LIST(BGXDP_MAP_DEFINED)
}

#endif /* BGXDP_MAPS_H */
