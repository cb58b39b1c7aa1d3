/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* agent_commands.h - typed parameters of the agent's commands. */
#ifndef BGXDP_AGENT_COMMANDS_H
#define BGXDP_AGENT_COMMANDS_H

#include "fleet_params.h"
#include "values.h"

#define DEFAULT_LISTEN "127.0.0.1:9477"

struct serve_params {
	struct endpoint listen;
};

/* `bgxdp agent`: the state dir is the global --state-dir. */
struct agent_params {
	struct endpoint listen;
	struct agent_fleet_params fleet;        /* all unset: no fleet */
};

#endif
