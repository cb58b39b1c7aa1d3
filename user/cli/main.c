// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bgxdp - blue-green traffic switcher: the command.
 *
 * Each command is a struct cmd_spec (user/cli/cmd_*.c) listed in
 * cli_commands[]; its parameter table drives parsing into the command's
 * typed struct, defaults and --help (user/cli/params.c).  A command then
 * makes one library call (user/lib/libbgxdp.h) and renders the result.  The
 * agent's commands are run by the agent's program (dispatch.c).
 */
#include "dispatch.h"

static const struct cli_role command_role = {
	.exec_agent = true,
};

int main(int argc, char **argv)
{
	return cli_main(argc, argv, &command_role);
}
