// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* serve.c - /metrics over HTTP, rendered fresh on every scrape. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include "agent_commands.h"
#include "commands.h"
#include "http_server.h"
#include "serve.h"

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

int run_serve(const void *params, struct cli *cli)
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
	endpoint_to_sockaddr(&p->listen, &address);
	/* Fail now on a wrong pin dir rather than answer 503 forever. */
	if ((err = cli_open(cli, BGX_READ, &in)))
		return err;
	bgx_close(in);
	err = http_serve_until_signal((struct sockaddr *)&address, &routes);
	if (err)
		return bgx_fail(&cli->err, err, "cannot listen on %s: %s", listen, strerror(-err));
	return 0;
}

