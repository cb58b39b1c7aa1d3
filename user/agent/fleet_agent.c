// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fleet_agent.c - a driver of the two fleet components (fleet_config.h,
 * fleet_sync.h) with /metrics, until SIGTERM: `bgxdp-agent __fleet-agent`.
 * It stands in for `bgxdp agent` until the agent's component table runs
 * them (fleet_components.h: start from the options, metrics, stop).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "fleet_cmd.h"
#include "fleet_components.h"
#include "http_server.h"
#include "state_dir.h"

struct fleet_agent {
	const char *pin_dir;
	struct fleet_components c;
};

/* The instance's metrics (when there is an instance) and the fleet's. */
static int render(FILE *out, void *ctx)
{
	struct fleet_agent *a = ctx;
	struct bgx_err e = { 0 };
	int r = 0;

	render_instance(out, a->pin_dir, &e);
	r = fleet_components_metrics(&a->c, out);
	return r;
}

static void ready(void *ctx)
{
	struct fleet_agent *a = ctx;

	fprintf(stderr, "bgxdp: fleet agent running (pin dir %s%s%s); SIGTERM stops\n", a->pin_dir,
		a->c.config ? ", config from etcd" : "", a->c.sync ? ", flow sync" : "");
}

static void to_sockaddr(const struct endpoint *ep, struct sockaddr_storage *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (ep->family == BGXDP_FAMILY_IPV4) {
		struct sockaddr_in *v4 = (struct sockaddr_in *)sa;

		v4->sin_family = AF_INET;
		v4->sin_port = htons(ep->port);
		memcpy(&v4->sin_addr, ep->addr, 4);
	} else {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;

		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(ep->port);
		memcpy(&v6->sin6_addr, ep->addr, 16);
	}
}

/* Before any thread starts: they inherit the mask, so only the main
 * thread's sigwait() (http_serve_until_signal) takes the stop signals. */
static void block_stop_signals(void)
{
	sigset_t stop;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
}

int run_fleet_agent(const void *params, struct cli *cli)
{
	const struct fleet_agent_params *p = params;
	struct fleet_agent a = { .pin_dir = cli->pin_dir };
	struct http_routes routes = { .render_metrics = render, .on_ready = ready, .context = &a };
	char state_dir[PATH_MAX];
	struct sockaddr_storage address;
	int r;

	if ((r = state_dir_resolve(p->state_dir, state_dir, sizeof(state_dir), &cli->err)))
		return r;
	block_stop_signals();
	if ((r = fleet_components_start(p, cli->pin_dir, state_dir, &a.c, &cli->err)))
		return r;
	to_sockaddr(&p->listen, &address);
	if ((r = http_serve_until_signal((struct sockaddr *)&address, &routes)))
		bgx_fail(&cli->err, r, "cannot serve /metrics: %s", strerror(-r));
	fleet_components_stop(&a.c);
	return r;
}

/* `bgxdp-agent __fleet-agent ARGS`: parsed like any command (the pin dir
 * from --pin-dir or $BGXDP_PIN_DIR), errors as "bgxdp: fleet agent: ...". */
int fleet_agent_main(int argc, char **argv)
{
	struct cli cli = { .spec = &cmd_fleet_agent_hidden, .out = stdout };
	struct fleet_agent_params p;
	int r = params_parse(&cmd_fleet_agent_hidden, argc - 1, argv + 1, &p, &cli.globals, &cli.err);

	if (r == 1) {
		params_print_help(&cmd_fleet_agent_hidden, stdout);
		return 0;
	}
	cli.pin_dir = bgx_pin_dir_choose(cli.globals.pin_dir);
	if (!r)
		r = run_fleet_agent(&p, &cli);
	if (!r)
		return 0;
	fprintf(stderr, "bgxdp: fleet agent: %s\n", cli.err.msg[0] ? cli.err.msg : strerror(-r));
	return cli.err.usage ? 2 : 1;
}
