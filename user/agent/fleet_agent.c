// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fleet_agent.c - a driver of the two fleet components (fleet_config.h,
 * fleet_sync.h) with /metrics, until SIGTERM: `bgxdp-agent __fleet-agent`.
 * It stands in for `bgxdp agent` until the agent's component table runs
 * them; everything it does is in the components, so moving them there is
 * a matter of passing the same settings.
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
#include "fleet_config.h"
#include "fleet_sync.h"
#include "http_server.h"
#include "state_dir.h"

struct fleet_agent {
	const char *pin_dir;
	struct fleet_config *config;
	struct fleet_sync *sync;
};

/* The instance's metrics (when there is an instance) and the fleet's. */
static int render(FILE *out, void *ctx)
{
	struct fleet_agent *a = ctx;
	struct bgx_err e = { 0 };
	int r = 0;

	render_instance(out, a->pin_dir, &e);
	if (a->config)
		r = fleet_config_metrics(a->config, out);
	if (!r && a->sync)
		r = fleet_sync_metrics(a->sync, out);
	return r;
}

static void ready(void *ctx)
{
	struct fleet_agent *a = ctx;

	fprintf(stderr, "bgxdp: fleet agent running (pin dir %s%s%s); SIGTERM stops\n", a->pin_dir,
		a->config ? ", config from etcd" : "", a->sync ? ", flow sync" : "");
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

/* "A:P,B:Q" -> s->peers (pointing into `buf`). */
static int split_peers(char *buf, struct fleet_sync_settings *s, struct bgx_err *e)
{
	char *save = NULL;

	for (char *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		if (s->n_peers == FLOWSYNC_MAX_PEERS)
			return bgx_fail_usage(e, E2BIG, "--sync-peer: at most %d", FLOWSYNC_MAX_PEERS);
		s->peers[s->n_peers++] = p;
	}
	return 0;
}

static int start_sync(struct fleet_agent *a, const struct fleet_agent_params *p,
		      const char *host, struct bgx_err *e)
{
	struct fleet_sync_settings s = {
		.pin_dir = a->pin_dir, .host = host, .listen = p->sync_listen,
		.key_file = p->sync_key, .flush_ms = (unsigned)p->sync_flush_ms,
	};
	char *peers = p->sync_peers ? strdup(p->sync_peers) : NULL;
	int r;

	if (p->sync_peers && !peers)
		return bgx_fail(e, ENOMEM, "out of memory");
	r = peers ? split_peers(peers, &s, e) : 0;
	if (!r)
		r = fleet_sync_start(&s, &a->sync, e);
	free(peers);
	return r;
}

static int start_config(struct fleet_agent *a, const struct fleet_agent_params *p,
			const char *host, const char *state_dir, struct bgx_err *e)
{
	struct fleet_config_settings s = {
		.fleet = p->etcd.fleet, .host = host, .pin_dir = a->pin_dir, .state_dir = state_dir,
	};
	char *password;
	int r;

	if (!p->etcd.fleet[0])
		return bgx_fail_usage(e, EINVAL, "--etcd needs --fleet NAME");
	if ((r = fleet_etcd_config(&p->etcd, &s.etcd, &password, e)))
		return r;
	r = fleet_config_start(&s, &a->config, e);
	fleet_password_free(password);
	return r;
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
	char state_dir[PATH_MAX], host[FLEET_HOST_LEN];
	struct sockaddr_storage address;
	bool sync = p->sync_listen || p->sync_peers || p->sync_key;
	int r;

	if (!p->etcd.endpoints && !sync)
		return bgx_fail_usage(&cli->err, EINVAL, "nothing to run: give --etcd URL --fleet NAME, "
				      "or --sync-key FILE with --sync-listen/--sync-peer, or both");
	if ((r = state_dir_resolve(p->state_dir, state_dir, sizeof(state_dir), &cli->err)))
		return r;
	block_stop_signals();
	if (p->host_name) {
		if ((r = fleet_host_name_check(p->host_name, "--host-name", &cli->err)))
			return r;
		snprintf(host, sizeof(host), "%s", p->host_name);
	} else if ((r = fleet_host_name_default(host, sizeof(host), &cli->err))) {
		return r;
	}
	if ((p->etcd.endpoints && (r = start_config(&a, p, host, state_dir, &cli->err))) ||
	    (sync && (r = start_sync(&a, p, host, &cli->err))))
		goto out;
	to_sockaddr(&p->listen, &address);
	if ((r = http_serve_until_signal((struct sockaddr *)&address, &routes)))
		bgx_fail(&cli->err, r, "cannot serve /metrics: %s", strerror(-r));
out:
	fleet_sync_stop(a.sync);
	fleet_config_stop(a.config);
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
