// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bgxdp-agent - the program of bgxdp's long-running commands (serve, agent,
 * fleet): the ones that need an HTTP server, TLS, etcd.  `bgxdp` runs it for
 * them, so that every other command starts without those libraries.
 */
#include <string.h>
#include "dispatch.h"
#include "fleet_cmd.h"
#include "serve.h"

static const struct {
	const char *name;
	cli_run_fn run;
} agent_runs[] = {
	{ "serve", run_serve },
	{ "fleet apply", run_fleet_apply },
	{ "fleet status", run_fleet_status },
};

static cli_run_fn find_run(const struct cmd_spec *spec)
{
	for (size_t i = 0; i < sizeof(agent_runs) / sizeof(agent_runs[0]); i++)
		if (!strcmp(agent_runs[i].name, spec->name))
			return agent_runs[i].run;
	return NULL;
}

static const struct cli_role agent_role = {
	.exec_agent = false,
	.find_run = find_run,
};

int main(int argc, char **argv)
{
	/* the fleet components until `bgxdp agent` runs them (fleet_agent.c) */
	if (argc > 1 && !strcmp(argv[1], "__fleet-agent"))
		return fleet_agent_main(argc - 1, argv + 1);
	return cli_main(argc, argv, &agent_role);
}
