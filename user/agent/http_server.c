// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * http_server.c - the read-only HTTP endpoint of `bgxdp serve` and `bgxdp agent`.
 *
 * libmicrohttpd does the HTTP (parsing, keep-alive, concurrency); this file
 * only routes: GET /metrics renders a fresh snapshot, GET / links to it,
 * anything else is 404 or 405.  Nothing reachable here changes state.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "http_server.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static const char index_page[] =
	"<!DOCTYPE html>\n<html><head><title>bgxdp</title></head><body>\n"
	"<h1>bgxdp</h1>\n<p><a href=\"/metrics\">Metrics</a></p>\n</body></html>\n";

static enum MHD_Result send_text(struct MHD_Connection *connection,
				 unsigned int status, const char *content_type,
				 char *body, size_t length, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *response =
		MHD_create_response_from_buffer(length, body, mode);
	enum MHD_Result result;

	if (!response)
		return MHD_NO;
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	result = MHD_queue_response(connection, status, response);
	MHD_destroy_response(response);
	return result;
}

static enum MHD_Result send_static(struct MHD_Connection *connection,
				   unsigned int status, const char *text)
{
	return send_text(connection, status, "text/plain; charset=utf-8",
			 (char *)text, strlen(text), MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result send_metrics(struct MHD_Connection *connection,
				    const struct http_routes *routes)
{
	char *body = NULL;
	size_t length = 0;
	FILE *out = open_memstream(&body, &length);
	int err;

	if (!out)
		return send_static(connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "out of memory\n");
	err = routes->render_metrics(out, routes->context);
	if (fclose(out) != 0 && !err)
		err = -EIO;
	if (err) {
		free(body);
		return send_static(connection, MHD_HTTP_SERVICE_UNAVAILABLE,
				   "bgxdp: cannot read the data plane counters\n");
	}
	return send_text(connection, MHD_HTTP_OK, METRICS_CONTENT_TYPE, body,
			 length, MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result route_request(void *cls, struct MHD_Connection *connection,
				     const char *url, const char *method,
				     const char *version, const char *upload_data,
				     size_t *upload_data_size, void **request_state)
{
	const struct http_routes *routes = cls;

	(void)version;
	(void)upload_data;
	(void)request_state;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		/* Refuse bodies unread: a 405 needs none of them. */
		*upload_data_size = 0;
		return send_static(connection, MHD_HTTP_METHOD_NOT_ALLOWED,
				   "method not allowed: bgxdp serve is read-only\n");
	}
	if (!strcmp(url, "/metrics"))
		return send_metrics(connection, routes);
	if (!strcmp(url, "/"))
		return send_text(connection, MHD_HTTP_OK, "text/html; charset=utf-8",
				 (char *)index_page, sizeof(index_page) - 1,
				 MHD_RESPMEM_PERSISTENT);
	return send_static(connection, MHD_HTTP_NOT_FOUND, "not found\n");
}

/* Our own listening socket: a bind error is reported with its real errno
 * (libmicrohttpd would print a line of its own and lose it). */
static int listen_on(const struct sockaddr *address)
{
	socklen_t length = address->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							    : sizeof(struct sockaddr_in);
	int fd = socket(address->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, err;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, address, length) || listen(fd, 64)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

struct http_server {
	struct MHD_Daemon *daemon;
};

int http_server_start(const struct sockaddr *address, const struct http_routes *routes,
		      struct http_server **out)
{
	struct http_server *server = calloc(1, sizeof(*server));
	int fd;

	*out = NULL;
	if (!server)
		return -ENOMEM;
	fd = listen_on(address);
	if (fd < 0) {
		free(server);
		return fd;
	}
	server->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
					  (address->sa_family == AF_INET6 ? MHD_USE_IPv6 : 0),
					  0, NULL, NULL, route_request, (void *)routes,
					  MHD_OPTION_LISTEN_SOCKET, fd,
					  MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)2,
					  MHD_OPTION_CONNECTION_LIMIT, (unsigned int)256,
					  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
					  MHD_OPTION_END);
	if (!server->daemon) {
		close(fd);
		free(server);
		return -ENOMEM;
	}
	*out = server;
	return 0;
}

void http_server_stop(struct http_server *server)
{
	if (!server)
		return;
	MHD_stop_daemon(server->daemon);
	free(server);
}

int http_serve_until_signal(const struct sockaddr *address, const struct http_routes *routes)
{
	struct http_server *server;
	sigset_t stop_signals;
	int signal_number, err;

	/* Block the stop signals in every thread (MHD's inherit the mask) and
	 * take them synchronously here, so shutdown is an ordinary return. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &stop_signals, NULL))
		return -EINVAL;
	if ((err = http_server_start(address, routes, &server)))
		return err;
	if (routes->on_ready)
		routes->on_ready(routes->context);
	sigwait(&stop_signals, &signal_number);
	http_server_stop(server);
	return 0;
}
