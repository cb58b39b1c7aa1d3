/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef BGXDP_HTTP_SERVER_H
#define BGXDP_HTTP_SERVER_H

#include <stdio.h>
#include <sys/socket.h>

struct http_routes {
	/* Writes the exposition for GET /metrics; 0 or -errno. Called from
	 * several server threads at once. */
	int (*render_metrics)(FILE *out, void *context);
	void (*on_ready)(void *context);
	void *context;
};

/* Serves until SIGTERM, SIGINT or SIGHUP; 0, or -errno if it cannot start. */
int http_serve_until_signal(const struct sockaddr *address, const struct http_routes *routes);

#endif
