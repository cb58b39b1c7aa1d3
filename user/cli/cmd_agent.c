// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_agent.c - the commands the agent's program runs (bgxdp-agent): their
 * help and parameters live here with every other command's, their run()
 * in user/agent/.
 */
#include "agent_commands.h"
#include "commands.h"

static const struct param serve_params[] = {
	PARAM_OPT(struct serve_params, listen, P_ENDPOINT, "listen", "ADDR:PORT",
		  .def = DEFAULT_LISTEN,
		  .help = "Address to listen on; IPv6 as [::1]:9477.  Loopback by default:\n"
			  "      the endpoint is read-only but says a lot about your traffic."),
	PARAM_END
};

const struct cmd_spec cmd_serve = {
	.name = "serve",
	.summary = "serve /metrics over HTTP for Prometheus",
	.synopsis = "[--listen ADDR:PORT]",
	.description =
"  Runs until SIGTERM or SIGINT, answering GET /metrics with the same text as\n"
"  'bgxdp metrics' (read fresh from the pinned maps on every scrape) and GET /\n"
"  with a link to it; other paths get 404, other methods 405.  Nothing it\n"
"  serves changes state.  The data plane does not depend on it: starting,\n"
"  stopping or killing it never affects traffic.  (9477, not 9435: that port\n"
"  belongs to ebpf_exporter.)\n",
	.params = serve_params,
	.params_size = sizeof(struct serve_params),
	.in_agent = true,
	.examples =
"  bgxdp serve &\n"
"  curl -s http://127.0.0.1:9477/metrics\n"
"  bgxdp serve --listen [::1]:9477\n",
};

static const struct param agent_params[] = {
	PARAM_OPT(struct agent_params, listen, P_ENDPOINT, "listen", "ADDR:PORT",
		  .def = DEFAULT_LISTEN,
		  .help = "Address of /metrics; IPv6 as [::1]:9477.  Loopback by default."),
	PARAM_END
};

const struct cmd_spec cmd_agent = {
	.name = "agent",
	.summary = "run the agent: /metrics, health checks, rollouts",
	.synopsis = "[--listen ADDR:PORT] [--state-dir DIR]",
	.description =
"  The one long-running process of an instance.  It serves /metrics (what\n"
"  'bgxdp metrics' prints, plus the agent's own families: health checks,\n"
"  rollouts), runs the health checks 'bgxdp health' stored, and drives the\n"
"  rollouts 'bgxdp rollout start' asks for.  The data plane never depends on\n"
"  it: if the agent stops or dies, traffic keeps its last state (a backend\n"
"  taken out by its checks stays out), and a restarted agent picks up where\n"
"  things are, from the data plane and the state dir (--state-dir,\n"
"  $BGXDP_STATE_DIR, default /var/lib/bgxdp: health settings, rollout state,\n"
"  history).  One agent per state dir: a second one is refused and told which\n"
"  pid holds it.  SIGTERM or SIGINT stop it cleanly; SIGHUP rereads the stored\n"
"  settings (SIGUSR1 too, without telling systemd: the CLI sends it after a\n"
"  change; the agent also rereads every second on its own).  Under systemd\n"
"  (Type=notify) it reports READY=1 once /metrics is served and checks run,\n"
"  RELOADING=1 around a SIGHUP and STOPPING=1.  Health transitions, failovers,\n"
"  its start and stop and rollout decisions go to the history.\n",
	.params = agent_params,
	.params_size = sizeof(struct agent_params),
	.in_agent = true,
	.examples =
"  bgxdp agent &\n"
"  BGXDP_STATE_DIR=/var/lib/bgxdp-test bgxdp agent --listen 127.0.0.1:9478\n",
};
