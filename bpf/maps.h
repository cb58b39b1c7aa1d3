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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PASS_REASONS);
	__type(key, __u32);
	__type(value, __u64);
} passed_counters SEC(".maps");

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
