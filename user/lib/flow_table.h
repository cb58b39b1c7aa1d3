/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* flow_table.h - walking and cleaning the data plane's flow table. */
#ifndef BGXDP_FLOW_TABLE_H
#define BGXDP_FLOW_TABLE_H
#include "instance.h"

/* Called for every entry; a non-zero return stops the walk with it. */
typedef int (*flow_visit_fn)(const struct flow_key *key, const struct flow_value *value,
			     void *ctx);
/* Called when a batched walk broke off midway and starts over one entry
 * at a time: forget what was gathered. */
typedef void (*flow_restart_fn)(void *ctx);

/* Visit every flow entry: batched reads (4096 at a time) when the kernel
 * has them, else one entry at a time.  The data plane keeps inserting and
 * evicting meanwhile, so the walk is a snapshot of nothing in particular:
 * good for counts and clean-ups, not for exact figures. */
int flows_for_each(struct bgx_instance *in, flow_visit_fn visit, flow_restart_fn restart,
		   void *ctx, struct bgx_err *e);

/* Delete every flow entry of service `id` (after it is unpublished), so a
 * later service in the same slot never inherits them. */
int flows_purge_service(struct bgx_instance *in, __u32 id, struct bgx_err *e);

/* Delete the flow entries of one backend (service id, color, slot);
 * returns how many, or -errno. */
int flows_purge_backend(struct bgx_instance *in, __u32 id, __u32 color, __u32 slot,
			struct bgx_err *e);

/* Per service, color and backend slot: flows of the table that have not
 * idled out (live), and of those the ones not closing (open: no FIN or RST
 * seen yet, the connections still in use). */
struct flow_counts {
	__u64 live[BGXDP_MAX_SERVICES][BGXDP_COLORS][BGXDP_MAX_BACKENDS];
	__u64 open[BGXDP_MAX_SERVICES][BGXDP_COLORS][BGXDP_MAX_BACKENDS];
};

int flows_count_live(struct bgx_instance *in, struct flow_counts *counts, struct bgx_err *e);

#endif
