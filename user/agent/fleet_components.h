/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fleet_components.h - the fleet's agent components (fleet_config.h: the
 * desired state through etcd; fleet_sync.h: flow sync) as one unit an agent
 * runs: start from the agent's fleet options (user/cli/fleet_params.h),
 * metrics from any thread, stop.  Each component runs its own thread, so
 * the agent's tick has nothing to do for them.
 */
#ifndef BGXDP_FLEET_COMPONENTS_H
#define BGXDP_FLEET_COMPONENTS_H

#include <stdbool.h>
#include <stdio.h>
#include "bgx_err.h"
#include "fleet_config.h"
#include "fleet_params.h"
#include "fleet_sync.h"

struct fleet_components {
	struct fleet_config *config;    /* NULL: no --etcd */
	struct fleet_sync *sync;        /* NULL: no flow sync */
};

/* Whether the options ask for either component (--etcd, --sync-key; the
 * options that go with them are checked when parsed, cmd_agent.c). */
bool fleet_components_wanted(const struct agent_fleet_params *p);
/* The config component with --etcd/--fleet, flow sync with --sync-*, this
 * host named --host-name or its host name; the instance at pin_dir, durable
 * state in state_dir.  Neither asked for: a usage error.  On error nothing
 * runs. */
int fleet_components_start(const struct agent_fleet_params *p, const char *pin_dir,
			   const char *state_dir, struct fleet_components *c, struct bgx_err *e);
/* bgxdp_fleet_* and bgxdp_fleet_sync_* families; 0 or -errno. */
int fleet_components_metrics(struct fleet_components *c, FILE *out);
void fleet_components_stop(struct fleet_components *c);

#endif
