/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * bgxdp_maps.h - the one list of the data plane's maps.
 *
 * Each name is a map defined in bpf/maps.h and the file name of its pin in
 * the pin dir.  bpf/maps.h checks at build time that every listed map is
 * defined; the control plane opens exactly these (user/lib/instance.c), and
 * tests/kernel/test_map_list.c checks that the BPF object has no map
 * missing from here.
 */
#ifndef BGXDP_MAPS_LIST_H
#define BGXDP_MAPS_LIST_H

#define BGXDP_MAP_LIST(X) \
	X(services)           \
	X(svc_config)         \
	X(vip_filter)         \
	X(backends)           \
	X(maglev_rings)       \
	X(flows)              \
	X(backend_services)   \
	X(settings)           \
	X(tx_ports)           \
	X(next_hops)          \
	X(color_counters)     \
	X(backend_counters)   \
	X(passed_counters)    \
	X(svc_meta)           \
	X(halfopen)           \
	X(flow_events)        \
	X(backend_connect)    \
	X(new_flow_scratch)

#endif
