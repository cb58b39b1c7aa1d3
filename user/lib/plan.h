/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * plan.h - what `bgxdp apply` does: the ordered steps that take an instance
 * from its live state (the model `bgxdp export` would write) to a desired
 * state, computed without touching the instance.  Equal states give no
 * step, so `bgxdp export | bgxdp apply -f -` changes nothing.
 *
 * Steps come in groups.  A service group touches one service: the executor
 * runs its steps in order and publishes the service's config word once at
 * the end of the group (one generation per service).  Instance groups hold
 * interface and fast-path steps.  The order keeps traffic safe:
 *
 *   1. instance: attach missing interfaces (the first one creates the
 *      instance, with `flows`), re-attach interfaces whose XDP mode differs
 *      (`auto` in the file matches any live mode), fast-path devices;
 *   2. deletions that must come first: a service whose VIP, preview or
 *      backend address another service takes over, or every deletion when
 *      the additions would otherwise exceed BGXDP_MAX_SERVICES;
 *   3. one group per added, replaced or changed service, by name, except
 *      that a service giving up a backend address comes before the service
 *      taking it.  Within a group:
 *        - a replaced service is deleted first, then added;
 *        - added service: SERVICE_ADD (0 % green, no backends, no health
 *          settings), then as below from that empty state;
 *        - into rotation: backends whose new state is ready or whose weight
 *          alone changes, then new backends (when a color is full, a
 *          backend being removed makes room first);
 *        - the share, once every backend it needs is in rotation;
 *        - out of rotation: backends going to drain or maint, then
 *          removals;
 *        - health settings.
 *      So a color never has a share while it has no backend in rotation,
 *      as long as the live and desired states do not.  A service with no
 *      backend in rotation at all may have any share, so: before a color
 *      gets the service's first backend in rotation, the share moves to
 *      it; before a color loses its last one while the other color keeps
 *      some, the share moves away from it; and when the service ends with
 *      no backend in rotation (or the desired state gives a share to a
 *      color without one: the plan notes it), the share is set last.
 *   4. the other deletions;
 *   5. instance: with `prune: true`, detach attached interfaces the file
 *      does not list.
 *
 * A change of a service's VIP, protocol, preview address or affinity cannot
 * be made in place: the service is deleted and added again (`replace` on
 * both steps, `why` says what changed), which drops its established flows.
 */
#ifndef BGXDP_PLAN_H
#define BGXDP_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include "desired.h"
#include "bgx_err.h"

enum bgx_step_kind {
	BGX_STEP_IFACE_ATTACH,          /* ifname, mode; creates_instance, flows */
	BGX_STEP_IFACE_MODE,            /* ifname, old_mode -> mode: detach and attach again */
	BGX_STEP_FAST_PATH_ADD,         /* ifname */
	BGX_STEP_FAST_PATH_DEL,         /* ifname */
	BGX_STEP_IFACE_DETACH,          /* ifname (prune) */
	BGX_STEP_SERVICE_ADD,           /* def */
	BGX_STEP_SERVICE_DEL,           /* def (the live one) */
	BGX_STEP_BACKEND_ADD,           /* service, color, backend */
	BGX_STEP_BACKEND_CHANGE,        /* service, color, old_backend -> backend (weight, state) */
	BGX_STEP_BACKEND_DEL,           /* service, color, old_backend */
	BGX_STEP_SHARE,                 /* service, old_green_bp -> green_bp */
	BGX_STEP_HEALTH,                /* service, old_health -> health */
};

#define BGX_STEP_WHY_LEN 256

struct bgx_step {
	enum bgx_step_kind kind;
	__u32 group;                    /* index into plan->groups */
	struct bgx_src_pos pos;         /* the node of the desired file it comes from (0:0: none) */
	char service[BGXDP_NAME_LEN];
	char ifname[BGX_IFNAME_LEN];
	__u8 mode, old_mode;            /* enum bgx_xdp_mode */
	bool creates_instance;          /* the first attach of an instance */
	__u32 flows;                    /* flow table size for it; 0: the default */
	struct bgx_service_def def;
	bool replace;                   /* this delete + add replaces the service */
	char why[BGX_STEP_WHY_LEN];     /* what changed, for a replace */
	__u32 color;
	struct bgx_desired_backend backend, old_backend;
	__u32 green_bp, old_green_bp;
	struct bgx_desired_health health, old_health;
};

enum bgx_group_kind {
	BGX_GROUP_INSTANCE,
	BGX_GROUP_SERVICE,              /* publish the service once, after its last step */
};

struct bgx_plan_group {
	enum bgx_group_kind kind;
	char service[BGXDP_NAME_LEN];
	size_t first, count;            /* steps[first .. first + count) */
};

#define BGX_PLAN_MAX_NOTES 40
#define BGX_PLAN_NOTE_LEN  256

struct bgx_plan {
	char source[BGX_SOURCE_LEN];    /* the desired state's file, for positions */
	struct bgx_step *steps;
	size_t n_steps, cap_steps;
	struct bgx_plan_group *groups;
	size_t n_groups, cap_groups;
	/* Things apply does not change but the operator should know (a flow
	 * table size that only applies to a new instance, a share the desired
	 * state gives a color with no backend in rotation). */
	size_t n_notes;
	char notes[BGX_PLAN_MAX_NOTES][BGX_PLAN_NOTE_LEN];
};

/* Build the plan from `live` to `desired` (neither changed; any order, they
 * are canonicalized on copies).  `desired` is validated; a change that
 * cannot be ordered (two services trading backend addresses) is refused.
 * On error the plan is empty and `e` says why. */
int bgx_plan_build(const struct bgx_desired *live, const struct bgx_desired *desired,
		   struct bgx_plan *plan, struct bgx_err *e);
void bgx_plan_free(struct bgx_plan *plan);

static inline bool bgx_plan_empty(const struct bgx_plan *plan)
{
	return plan->n_steps == 0;
}

/* "+ service web vip 10.0.0.1:80 tcp", "~ backend web green 10.2.0.1:8080
 * weight 1 -> 2", "~ share web green 0% -> 10%", "- backend web blue ...". */
void bgx_plan_step_line(const struct bgx_step *s, char *buf, size_t len);
/* Notes as "! ..." lines, then one line per step; "" for an empty plan
 * without notes.  malloc-ed. */
int bgx_plan_render_text(const struct bgx_plan *plan, char **text, struct bgx_err *e);

/* {"source", "changes", "notes": [...], "groups": [{"kind", "service",
 * "steps": [{"action": "add|change|delete", "object": "interface|fast_path|
 * service|backend|share|health", "text", "at", fields...}]}]}: a new
 * reference (jansson), NULL when out of memory. */
struct json_t;
struct json_t *bgx_plan_to_json(const struct bgx_plan *plan);

#endif
