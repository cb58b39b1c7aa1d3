/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * agent.h - `bgxdp agent`: one process per state dir, made of components.
 *
 * The agent's main thread owns a loop that waits for signals and for its
 * tick; each component (health checks, rollouts, the fleet) plugs in
 * with the hooks below.  Components write the data plane only through
 * libbgxdp (each write opens the instance for writing, so they serialise on
 * the pin dir's lock with the CLI and with each other), and tell the
 * history through agent_history().
 *
 * Threads: start, tick, reload and stop run on the main thread, in table
 * order (stop in reverse); metrics runs on an HTTP server thread, at any
 * time between start and stop, so a component guards what it reads there.
 * A component may run threads of its own (the health checks do).
 */
#ifndef BGXDP_AGENT_H
#define BGXDP_AGENT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <jansson.h>
#include "journal.h"
#include "libbgxdp.h"

#define AGENT_TICK_MS          100     /* the main loop's cadence */
#define AGENT_RESYNC_MS        1000    /* components reread the state dir this often */

struct agent_fleet_params;

struct agent {
	const char *pin_dir;
	const struct agent_fleet_params *fleet; /* the fleet options (none set: no fleet) */
	char state_dir[PATH_MAX];
	pid_t pid;
	struct journal journal;
	int wake_fd;                    /* eventfd: agent_wake() */
};

struct agent_component {
	const char *name;
	/* Before READY=1; an error stops the agent with it.  *state is the
	 * component's own, passed back to every hook. */
	int (*start)(struct agent *a, void **state, struct bgx_err *e);
	/* Every AGENT_TICK_MS and whenever agent_wake() was called. */
	void (*tick)(struct agent *a, void *state, uint64_t now_ms);
	/* SIGHUP or SIGUSR1: reread stored settings and requests now. */
	void (*reload)(struct agent *a, void *state);
	/* Its families for /metrics; 0 or -errno.  HTTP threads. */
	int (*metrics)(struct agent *a, void *state, FILE *out);
	void (*stop)(struct agent *a, void *state);
};

extern const struct agent_component agent_health_component;
extern const struct agent_component agent_rollout_component;
extern const struct agent_component agent_fleet_component;     /* fleet_components.c */

/* One history line of the agent (the entry's actor: "agent", "health",
 * "rollout"); a failure is logged, never fatal. */
void agent_history(struct agent *a, const struct journal_entry *entry);
/* One line on stderr, "bgxdp: agent: ...". */
void agent_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Run the components' ticks now (any thread). */
void agent_wake(struct agent *a);
/* CLOCK_MONOTONIC and CLOCK_REALTIME in milliseconds. */
uint64_t agent_mono_ms(void);
uint64_t agent_unix_ms(void);

struct cli;
int run_agent(const void *params, struct cli *cli);

#endif
