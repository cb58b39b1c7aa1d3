// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* metrics, serve: the per-color counters as Prometheus text exposition. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "counters.h"
#include "http_server.h"
#include "instance.h"
#include "metrics.h"
#include "values.h"
#include "util.h"

#define DEFAULT_LISTEN "127.0.0.1:9477"

/* Open the instance read-only (no lock: readers never wait for writers),
 * snapshot it, render it. */
static int render_instance(FILE *out, const char *pin_dir)
{
	struct metrics_snapshot *snap = calloc(1, sizeof(*snap));
	struct instance in;
	int err;

	if (!snap)
		return err_set(-ENOMEM, "out of memory");
	err = instance_open(&in, pin_dir, false);
	if (!err) {
		err = metrics_collect(&in, snap);
		instance_close(&in);
	}
	if (!err)
		err = metrics_render(out, snap);
	free(snap);
	return err;
}

static int run_metrics(const struct opts *o)
{
	return render_instance(stdout, instance_pin_dir(o));
}

const struct cmd_spec cmd_metrics = {
	.name = "metrics",
	.summary = "print the counters once in Prometheus text format",
	.synopsis = "",
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

struct serve_context {
	const char *pin_dir;
	const char *listen;
	/* One scrape at a time: a snapshot takes about a millisecond, and the
	 * collector and the error message are not thread-safe. */
	pthread_mutex_t lock;
};

static int serve_render(FILE *out, void *context)
{
	struct serve_context *ctx = context;
	int err;

	pthread_mutex_lock(&ctx->lock);
	err_clear();
	err = render_instance(out, ctx->pin_dir);
	if (err)
		fprintf(stderr, "bgxdp: serve: scrape failed: %s\n", err_msg());
	pthread_mutex_unlock(&ctx->lock);
	return err;
}

static void serve_ready(void *context)
{
	struct serve_context *ctx = context;

	printf("bgxdp: serving http://%s/metrics (pin dir %s); SIGTERM stops\n",
	       ctx->listen, ctx->pin_dir);
	fflush(stdout);
}

static int listen_address(const char *text, struct sockaddr_storage *address)
{
	struct endpoint ep;

	if (parse_endpoint(text, "--listen", &ep))
		return -EINVAL;
	memset(address, 0, sizeof(*address));
	if (ep.family == BGXDP_FAMILY_IPV4) {
		struct sockaddr_in *v4 = (struct sockaddr_in *)address;

		v4->sin_family = AF_INET;
		v4->sin_port = htons(ep.port);
		memcpy(&v4->sin_addr, ep.addr, 4);
	} else {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)address;

		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(ep.port);
		memcpy(&v6->sin6_addr, ep.addr, 16);
	}
	return 0;
}

static int run_serve(const struct opts *o)
{
	struct serve_context ctx = {
		.pin_dir = instance_pin_dir(o),
		.listen = opt_str(o, "listen") ? opt_str(o, "listen") : DEFAULT_LISTEN,
		.lock = PTHREAD_MUTEX_INITIALIZER,
	};
	struct http_routes routes = {
		.render_metrics = serve_render,
		.on_ready = serve_ready,
		.context = &ctx,
	};
	struct sockaddr_storage address;
	struct instance in;
	int err;

	if (listen_address(ctx.listen, &address))
		return -EINVAL;
	/* Fail now on a wrong pin dir rather than answer 503 forever. */
	err = instance_open(&in, ctx.pin_dir, false);
	if (err)
		return err;
	instance_close(&in);
	err = http_serve_until_signal((struct sockaddr *)&address, &routes);
	if (err)
		return err_set(err, "cannot listen on %s: %s", ctx.listen, strerror(-err));
	return 0;
}

static const struct opt_def serve_opts[] = {
	{ .name = "listen", .type = OPT_STRING, .metavar = "ADDR:PORT",
	  .def = DEFAULT_LISTEN,
	  .help = "Address to listen on; IPv6 as [::1]:9477.  Loopback by default:\n"
		  "      the endpoint is read-only but says a lot about your traffic." },
	{ 0 }
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
	.opts = serve_opts,
	.examples =
"  bgxdp serve &\n"
"  curl -s http://127.0.0.1:9477/metrics\n"
"  bgxdp serve --listen [::1]:9477\n",
	.run = run_serve,
};
