/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* dispatch.h - the main() of both front ends (bgxdp and bgxdp-agent). */
#ifndef BGXDP_DISPATCH_H
#define BGXDP_DISPATCH_H

#include <stdbool.h>
#include "cli.h"

typedef int (*cli_run_fn)(const void *params, struct cli *cli);

struct cli_role {
	bool exec_agent;        /* agent commands: exec the agent's program */
	/* The run() of a command whose spec has none (the agent's). */
	cli_run_fn (*find_run)(const struct cmd_spec *spec);
};

int cli_main(int argc, char **argv, const struct cli_role *role);
/* Run the agent's program with these words instead of this one. */
int cli_exec_agent(int argc, char **argv);

#endif
