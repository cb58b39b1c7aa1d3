/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * agent_rollout.h - the rollout component of the agent (and of `bgxdp
 * rollout start --foreground`, which runs it without an agent):
 *   agent_rollout.c       judging each tick, starting, commanding, loading;
 *   agent_rollout_req.c   the requests of the rollout commands, the
 *                         component's hooks and its metrics.
 * Every rollout's state lives in the state dir (rollout_exec.h): a
 * restarted agent loads and recovers it.
 */
#ifndef BGXDP_AGENT_ROLLOUT_H
#define BGXDP_AGENT_ROLLOUT_H

#include <pthread.h>
#include <stdbool.h>
#include "agent.h"
#include "promql.h"
#include "rollout_exec.h"

struct rollout_slot {
	struct rollout_state st;        /* spec.service "" = unused */
	struct promql_client pq;
	bool pq_open;
	bool measured;
	uint64_t next_query_ms;
	struct promql_measurement last[ANALYSIS_MAX_QUERIES];
};

struct rollout_component {
	const char *pin_dir;
	const char *state_dir;
	const struct journal *journal;
	pthread_mutex_t lock;           /* slots: ticks and requests vs /metrics */
	struct rollout_slot slots[BGXDP_MAX_SERVICES];
	unsigned n;
};

/* A new component (no rollout loaded yet); NULL when out of memory. */
struct rollout_component *rollout_component_new(const char *pin_dir, const char *state_dir,
						const struct journal *journal);
/* Every rollout state of the state dir, recovered against the live share. */
void rollout_component_load(struct rollout_component *rc);
/* Requests, then every active rollout judged. */
void rollout_component_tick(struct rollout_component *rc);
void rollout_component_free(struct rollout_component *rc);

/* Start (the caller holds rc->lock): refusals as rollout_start's, then the
 * PromQL queries are run once. */
int rollout_component_start_one(struct rollout_component *rc, const struct rollout_spec *spec,
				int argc, char *const *argv, struct bgx_err *e);
/* "pause", "resume", "promote", "promote-full", "abort" (caller holds the
 * lock); service NULL: the only rollout. */
int rollout_component_command(struct rollout_component *rc, const char *service,
			      const char *command, int argc, char *const *argv, struct bgx_err *e);
/* The first active rollout (NULL: none), under the lock. */
bool rollout_component_any_active(struct rollout_component *rc);

/* requests.h's handler: {"kind": "rollout.start", "spec": {...}} or
 * {"kind": "rollout.command", "service": NAME|null, "command": "pause"},
 * both with "argv" (the command line, for the history). */
int rollout_handle_request(const char *id, const json_t *body, json_t *reply, void *ctx,
			   struct bgx_err *e);

#endif
