// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* commands.c - every command, in the order `bgxdp --help` lists them. */
#include "commands.h"
#include "fleet_params.h"

const struct cmd_spec *const cli_commands[] = {
	&cmd_attach,
	&cmd_detach,
	&cmd_upgrade,
	&cmd_service_add,
	&cmd_service_del,
	&cmd_backend_add,
	&cmd_backend_del,
	&cmd_backend_drain,
	&cmd_backend_up,
	&cmd_backend_down,
	&cmd_set,
	&cmd_weight,
	&cmd_rollback,
	&cmd_health,
	&cmd_rollout_start,
	&cmd_rollout_status,
	&cmd_rollout_pause,
	&cmd_rollout_resume,
	&cmd_rollout_promote,
	&cmd_rollout_abort,
	&cmd_wait_drained,
	&cmd_status,
	&cmd_apply,
	&cmd_export,
	&cmd_save,
	&cmd_stats,
	&cmd_history,
	&cmd_metrics,
	&cmd_agent,
	&cmd_serve,
	&cmd_fleet_apply,
	&cmd_fleet_status,
};
const size_t cli_command_count = sizeof(cli_commands) / sizeof(cli_commands[0]);
