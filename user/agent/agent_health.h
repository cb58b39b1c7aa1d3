/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * agent_health.h - the agent's health component: between the health-check
 * engine (health.h), the stored settings (health_store.h) and the data
 * plane (libbgxdp.h).  Its three files share this:
 *   agent_health.c         hooks, settings and targets from the state dir
 *                          and the instance (resync), the engine's thread;
 *   agent_health_apply.c   a transition: the backend's health byte, the
 *                          history (health, failover, fail open), flows;
 *   agent_health_report.c  passive signals, /metrics, agent-status.json.
 *
 * What a check result does is the library's rule (libbgxdp.h): the engine's
 * up and down become BACKEND_HEALTH_UP and _DOWN, a target added while the
 * agent runs is BACKEND_HEALTH_PENDING until it passes, off is
 * BACKEND_HEALTH_NONE.  A restarted agent starts each target from the byte
 * it finds: down stays down until `rise` passes, pending stays out until
 * one, anything else is up (it serves).
 */
#ifndef BGXDP_AGENT_HEALTH_H
#define BGXDP_AGENT_HEALTH_H

#include <pthread.h>
#include <stdbool.h>
#include "agent.h"
#include "health.h"

/* What the data plane showed of a service at the last look. */
struct hc_service_view {
	char name[BGXDP_NAME_LEN];
	bool failover[BGXDP_COLORS];
	bool fails_open;
};

/* Passive signals of one backend: the data plane's counters at the last
 * tick, and how many ticks in a row sent SYNs that got no SYN-ACK. */
struct hc_passive {
	struct health_target_id id;
	__u64 syns, synacks, resets;
	unsigned silent_ticks;
	bool seen;
};

struct health_component {
	struct agent *agent;
	struct health_engine *engine;
	pthread_t thread;
	bool thread_running;
	pthread_mutex_t lock;                   /* guards the fields below */
	struct health_settings settings[BGXDP_MAX_SERVICES];
	char names[BGXDP_MAX_SERVICES][BGXDP_NAME_LEN];
	unsigned n_settings;
	struct hc_service_view views[BGXDP_MAX_SERVICES];
	unsigned n_views;
	bool status_dirty;
	uint64_t next_resync_ms, next_status_ms;
	char instance_error[BGX_ERR_MSG_LEN];   /* the last one logged ("": none) */
	struct hc_passive *passive;             /* main thread only */
	size_t n_passive;
};

/* The stored settings of `service` (enabled or not); NULL if none.  Under
 * hc->lock. */
const struct health_settings *hc_settings_of(struct health_component *hc, const char *service);

/* The engine's transition callback (agent_health_apply.c). */
void hc_on_transition(const struct health_target_status *target, enum health_state from,
		      enum health_state to, const char *reason, void *ctx);
/* Write `health` into a backend's byte (nothing if it holds it already),
 * and tell the history what changed for its service (failover, fail open),
 * `why` saying what caused it. */
int hc_apply(struct health_component *hc, const struct health_target_id *id, __u8 health,
	     const char *why, struct bgx_err *e);
/* Remember the service's failover and fail-open state from a snapshot; a
 * change goes to the history with `why`. */
void hc_note_service(struct health_component *hc, const struct bgx_service_view *sv,
		     const char *why);

/* agent_health_report.c */
void hc_passive_tick(struct health_component *hc, const struct bgx_snapshot *snap);
int hc_metrics(struct agent *a, void *state, FILE *out);
void hc_write_status(struct health_component *hc);

#endif
