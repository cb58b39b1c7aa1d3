// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bgxdp-agent - the program of bgxdp's long-running commands (serve, agent,
 * fleet): the ones that need an HTTP server, TLS, etcd.  `bgxdp` runs it for
 * them, so that every other command starts without those libraries.
 */
#include <string.h>
#include "agent.h"
#include "dispatch.h"
#include "rollout_cmd.h"
#include "fleet_cmd.h"
#include "serve.h"

static const struct {
	const char *name;
	cli_run_fn run;
} agent_runs[] = {
	{ "serve", run_serve },
	{ "agent", run_agent },
	{ "rollout start", run_rollout_start },
	{ "rollout status", run_rollout_status },
	{ "rollout pause", run_rollout_pause },
	{ "rollout resume", run_rollout_resume },
	{ "rollout promote", run_rollout_promote },
	{ "rollout abort", run_rollout_abort },
	/* set --verify: a one-step rollout; a plain set runs as in bgxdp */
	{ "set", run_set_verify },
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
	return cli_main(argc, argv, &agent_role);
}
