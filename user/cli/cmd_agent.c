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
