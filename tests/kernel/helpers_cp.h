/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * helpers_cp.h - reading a control-plane state back from the maps, and
 * the invariants it must hold (tests/kernel/test_control_plane.c).
 * Reads only: every write goes through libbgxdp.
 */
#ifndef BGXDP_HELPERS_CP_H
#define BGXDP_HELPERS_CP_H

#include <stdbool.h>
#include "bgxdp.h"

struct bgxdp;

struct step_log {
	int n;
	char steps[64][64];
};

/* What an operator would call the state: services, their addresses and
 * split, their backends, admin states and health (not generations or
 * counters). */
struct backend_view_cp {
	__u8 addr[BGXDP_ADDR_LEN];
	__be16 port;
	__u8 family, state;
	__u16 weight;
	__u8 health;
};

struct service_state_cp {
	char name[BGXDP_NAME_LEN];
	struct vip_key vip, preview;
	__u8 affinity_client;
	__u32 green_bp;
	int n[BGXDP_COLORS];
	struct backend_view_cp backends[BGXDP_COLORS][BGXDP_MAX_BACKENDS];
};

struct state_view {
	int n;
	struct service_state_cp services[BGXDP_MAX_SERVICES];
};

void state_read(struct bgxdp *skel, struct state_view *v);
bool state_equal(const struct state_view *a, const struct state_view *b);
/* Every service of `now` has the split of `a` or of `b`, and each of its
 * backends is as in `a` or as in `b` (or absent from one that lacks it). */
bool state_parts_from(const struct state_view *now, const struct state_view *a,
		      const struct state_view *b);

/* Every record agrees with what is published (after a recovery). */
void check_whole(struct bgxdp *skel);
/* What a packet could see between two steps of an operation is safe. */
void check_ordering_at(struct bgxdp *skel, const char *op, const char *step);

#endif
