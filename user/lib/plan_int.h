/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* plan_int.h - inside the planner: shared by plan.c and plan_build.c. */
#ifndef BGXDP_PLAN_INT_H
#define BGXDP_PLAN_INT_H

#include "plan.h"

enum svc_action { SVC_KEEP, SVC_ADD, SVC_REPLACE, SVC_DELETE };

/* One service of either state, and what happens to it. */
struct svc_entry {
	enum svc_action action;
	const struct bgx_desired_service *live, *want;
	bool delete_early;              /* its deletion frees something another service takes */
	bool placed;                    /* its group is in the plan */
	char why[BGX_STEP_WHY_LEN];     /* for a replace */
};

#define PLAN_MAX_ENTRIES (2 * BGXDP_MAX_SERVICES)

struct planner {
	struct bgx_plan *plan;
	const struct bgx_desired *live, *want;          /* canonical copies */
	struct svc_entry entries[PLAN_MAX_ENTRIES];     /* by name */
	size_t n;
	bool before[PLAN_MAX_ENTRIES][PLAN_MAX_ENTRIES];    /* [y][x]: y's group before x's */
	bool oom;
};

/* A zeroed step of the current group; NULL (and p->oom) when out of memory. */
struct bgx_step *plan_add_step(struct planner *p, enum bgx_step_kind kind);
void plan_begin_group(struct planner *p, enum bgx_group_kind kind, const char *service);
void plan_end_group(struct planner *p);                 /* drops it if empty */
void plan_note(struct planner *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
__u32 plan_color_share(__u32 green_bp, __u32 color);    /* basis points */
__u32 plan_rotation(const struct bgx_desired_service *s, __u32 color);

/* The backend, share and health steps from `base` to `want`, into the
 * current group. */
void plan_service_changes(struct planner *p, const struct bgx_desired_service *base,
			  const struct bgx_desired_service *want);

#endif
