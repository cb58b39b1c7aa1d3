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

struct http_server;

/* Listen on `address` and serve from threads of the server's own until
 * http_server_stop(); 0, or -errno if it cannot listen (EADDRINUSE, ...). */
int http_server_start(const struct sockaddr *address, const struct http_routes *routes,
		      struct http_server **out);
void http_server_stop(struct http_server *server);

/* Serves until SIGTERM, SIGINT or SIGHUP; 0, or -errno if it cannot start. */
int http_serve_until_signal(const struct sockaddr *address, const struct http_routes *routes);

#endif
