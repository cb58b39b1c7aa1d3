// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* agent_rollout.c - the rollout component (placeholder until it is wired). */
#include "agent.h"

const struct agent_component agent_rollout_component = {
	.name = "rollout",
};
