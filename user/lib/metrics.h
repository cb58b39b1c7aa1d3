/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * metrics.h - a point-in-time snapshot of every counter and gauge, and its
 * Prometheus text exposition (format 0.0.4).
 *
 * Collecting (reading pinned maps, summing per-CPU values) is separate from
 * rendering so the exposition is testable without a kernel.
 */
#ifndef BGXDP_METRICS_H
#define BGXDP_METRICS_H

#include <stdio.h>
#include "bgxdp.h"

#define METRICS_ADDRESS_LEN 64   /* as ENDPOINT_STRLEN */

struct color_snapshot {
	struct color_counters counters; /* summed over CPUs */
	__u64 flows_active;
	__u32 share_bp;                 /* this color's share, basis points */
};

struct backend_snapshot {
	char address[METRICS_ADDRESS_LEN];
	__u8 color;
	__u8 state;                     /* BACKEND_* */
	struct backend_counters counters;
	struct backend_connect connect; /* handshake times, summed over CPUs */
};

struct service_snapshot {
	char name[BGXDP_NAME_LEN];
	struct color_snapshot colors[BGXDP_COLORS];
	struct backend_snapshot backends[BGXDP_COLORS * BGXDP_MAX_BACKENDS];
	__u32 backend_count;
	__u64 changes;
	__u64 last_change_unix_ns;
};

struct metrics_snapshot {
	struct service_snapshot services[BGXDP_MAX_SERVICES];
	__u32 service_count;
	__u64 passed[PASS_REASONS];
};

const char *pass_reason_name(enum pass_reason reason);

/* Writes the whole exposition; returns 0 or -errno (write error). */
int metrics_render(FILE *out, const struct metrics_snapshot *snapshot);

#endif /* BGXDP_METRICS_H */
