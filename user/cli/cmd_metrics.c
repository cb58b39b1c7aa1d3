// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* metrics, serve: the per-color counters as Prometheus text exposition. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "http_server.h"
#include "prometheus.h"

#define DEFAULT_LISTEN "127.0.0.1:9477"

/* Open the instance read-only (no lock: readers never wait for writers),
 * snapshot it, render it. */
static int render_instance(FILE *out, const char *pin_dir, struct bgx_err *e)
{
	struct bgx_snapshot *snap = NULL;
	struct bgx_instance *in;
	int err = bgx_open(pin_dir, BGX_READ, &in, e);

	if (!err) {
		err = bgx_snapshot(in, BGX_SNAP_FLOWS | BGX_SNAP_COUNTERS, NULL, &snap, e);
		bgx_close(in);
	}
	if (!err && (err = prometheus_render(out, snap)))
		bgx_fail(e, err, "cannot write the metrics: %s", strerror(-err));
	free(snap);
	return err;
}

static int run_metrics(const void *params, struct cli *cli)
{
	(void)params;
	return render_instance(cli->out, cli->pin_dir, &cli->err);
}

const struct cmd_spec cmd_metrics = {
	.name = "metrics",
	.summary = "print the counters once in Prometheus text format",
	.synopsis = "",
	.params_size = 0,
	.description =
"  Prints every counter and gauge of the instance once to stdout in the\n"
"  Prometheus text exposition format 0.0.4: packets and bytes per service,\n"
"  color and direction (to_backend, to_client), flows created and active,\n"
"  traffic share (0-1), TCP resets from backends, per-backend packets, bytes\n"
"  and up state, config changes, time of the last change, packets passed\n"
"  untouched by reason, and bgxdp_build_info.  Labels never carry client\n"
"  addresses.  For a node_exporter textfile collector, or a one-off look;\n"
"  'bgxdp serve' exposes the same over HTTP.\n",
	.examples =
"  bgxdp metrics | grep bgxdp_traffic_share_ratio\n"
"  bgxdp metrics > /var/lib/node_exporter/bgxdp.prom.tmp && \\\n"
"    mv /var/lib/node_exporter/bgxdp.prom.tmp /var/lib/node_exporter/bgxdp.prom\n",
	.run = run_metrics,
};

/* ---- serve ---- */

struct serve_params {
	struct endpoint listen;
};

struct serve_context {
	const char *pin_dir;
	const char *listen;
};

/* Called from several server threads at once: each has its own error. */
static int serve_render(FILE *out, void *context)
{
	struct serve_context *ctx = context;
	struct bgx_err e = { 0 };
	int err = render_instance(out, ctx->pin_dir, &e);

	if (err)
		fprintf(stderr, "bgxdp: serve: scrape failed: %s\n", e.msg);
	return err;
}

static void serve_ready(void *context)
{
	struct serve_context *ctx = context;

	printf("bgxdp: serving http://%s/metrics (pin dir %s); SIGTERM stops\n",
	       ctx->listen, ctx->pin_dir);
	fflush(stdout);
}

static void listen_address(const struct endpoint *ep, struct sockaddr_storage *address)
{
	memset(address, 0, sizeof(*address));
	if (ep->family == BGXDP_FAMILY_IPV4) {
		struct sockaddr_in *v4 = (struct sockaddr_in *)address;

		v4->sin_family = AF_INET;
		v4->sin_port = htons(ep->port);
		memcpy(&v4->sin_addr, ep->addr, 4);
	} else {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)address;

		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(ep->port);
		memcpy(&v6->sin6_addr, ep->addr, 16);
	}
}

static int run_serve(const void *params, struct cli *cli)
{
	const struct serve_params *p = params;
	char listen[BGX_ADDRESS_LEN];
	struct serve_context ctx = { .pin_dir = cli->pin_dir, .listen = listen };
	struct http_routes routes = {
		.render_metrics = serve_render,
		.on_ready = serve_ready,
		.context = &ctx,
	};
	struct sockaddr_storage address;
	struct bgx_instance *in;
	int err;

	format_endpoint(p->listen.addr, htons(p->listen.port), p->listen.family, listen,
			sizeof(listen));
	listen_address(&p->listen, &address);
	/* Fail now on a wrong pin dir rather than answer 503 forever. */
	if ((err = cli_open(cli, BGX_READ, &in)))
		return err;
	bgx_close(in);
	err = http_serve_until_signal((struct sockaddr *)&address, &routes);
	if (err)
		return bgx_fail(&cli->err, err, "cannot listen on %s: %s", listen, strerror(-err));
	return 0;
}

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
	.examples =
"  bgxdp serve &\n"
"  curl -s http://127.0.0.1:9477/metrics\n"
"  bgxdp serve --listen [::1]:9477\n",
	.run = run_serve,
};
