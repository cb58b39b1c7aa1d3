/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* commands.h - the command specs, one per subcommand (user/cmd_*.c). */
#ifndef BGXDP_COMMANDS_H
#define BGXDP_COMMANDS_H

#include "options.h"

extern const struct cmd_spec cmd_attach, cmd_detach, cmd_upgrade;
extern const struct cmd_spec cmd_service_add, cmd_service_del;
extern const struct cmd_spec cmd_backend_add, cmd_backend_del, cmd_backend_drain,
	cmd_backend_up, cmd_backend_down;
extern const struct cmd_spec cmd_set, cmd_weight, cmd_rollback;
extern const struct cmd_spec cmd_status;
extern const struct cmd_spec cmd_stats, cmd_metrics, cmd_serve;

#endif
