/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* commands.h - the command specs (user/cli/cmd_*.c) and what they share. */
#ifndef BGXDP_COMMANDS_H
#define BGXDP_COMMANDS_H

#include <stdio.h>
#include "cli.h"
#include "libbgxdp.h"
#include "params.h"

extern const struct cmd_spec cmd_attach, cmd_detach, cmd_upgrade;
extern const struct cmd_spec cmd_service_add, cmd_service_del;
extern const struct cmd_spec cmd_backend_add, cmd_backend_del, cmd_backend_drain,
	cmd_backend_up, cmd_backend_down;
extern const struct cmd_spec cmd_set, cmd_weight, cmd_rollback;
extern const struct cmd_spec cmd_status;
extern const struct cmd_spec cmd_stats, cmd_metrics, cmd_serve, cmd_agent;
extern const struct cmd_spec cmd_apply, cmd_export, cmd_save;
extern const struct cmd_spec cmd_health, cmd_history, cmd_wait_drained;
extern const struct cmd_spec cmd_rollout_start, cmd_rollout_status, cmd_rollout_pause,
	cmd_rollout_resume, cmd_rollout_promote, cmd_rollout_abort;

/* Block until the color's (or its backend `ep`'s) open flows are 0, or
 * timeout_ms (0: none) passes; prints the count as it falls (cmd_wait.c). */
int cli_wait_drained(struct cli *cli, const char *service, __u32 color,
		     const struct endpoint *ep, __u64 timeout_ms);

/* Every command, in the order of `bgxdp --help`. */
extern const struct cmd_spec *const cli_commands[];
extern const size_t cli_command_count;

/* Open the instance of the command's pin dir. */
int cli_open(struct cli *cli, enum bgx_access access, struct bgx_instance **in);

/* Snapshot the instance at `pin_dir` (read-only) and write its Prometheus
 * exposition to `out`. */
int render_instance(FILE *out, const char *pin_dir, struct bgx_err *e);


#endif
