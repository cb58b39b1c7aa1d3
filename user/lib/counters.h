/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * counters.h - reading what the data plane counted: live flows per color
 * and a whole metrics snapshot (per-CPU counters summed).
 */
#ifndef BGXDP_COUNTERS_H
#define BGXDP_COUNTERS_H

#include "instance.h"
#include "metrics.h"

/* live[svc][color]: flows of the flow table that have not idled out. */
void flows_count_live(struct instance *in, __u64 live[BGXDP_MAX_SERVICES][BGXDP_COLORS]);

/* Fill `snap` from an open instance; 0 or -errno. */
int metrics_collect(struct instance *in, struct metrics_snapshot *snap);

#endif
