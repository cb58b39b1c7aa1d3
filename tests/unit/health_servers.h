/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * health_servers.h - real loopback servers for the health-check tests:
 * listeners that complete handshakes, closed ports, a black hole (a
 * listener whose accept queue is full, so SYNs are dropped), and HTTP
 * servers in a child process (status, silence, request checks) that can be
 * killed with SIGKILL like a crashed backend.  Loopback addresses only.
 */
#ifndef BGXDP_TEST_HEALTH_SERVERS_H
#define BGXDP_TEST_HEALTH_SERVERS_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "health.h"

static inline uint64_t test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline void test_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static inline socklen_t loopback(int family, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons(port);
		return sizeof(*a);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sin_port = htons(port);
	return sizeof(*a);
}

/* A socket bound to loopback (port 0: any); listening when backlog >= 0.
 * Returns the fd and sets *port. */
static inline int test_bind(int family, uint16_t want_port, int backlog, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(family, want_port, &ss);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || (backlog >= 0 && listen(fd, backlog))) {
		close(fd);
		return -1;
	}
	getsockname(fd, (struct sockaddr *)&ss, &len);
	*port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					 : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* A port nothing listens on: bound (so no one else takes it), not listening. */
static inline int test_closed_port(int family, uint16_t *port)
{
	return test_bind(family, 0, -1, port);
}

/* Fill a listener's accept queue (backlog 0 holds one) so further SYNs are
 * dropped: a host that black-holes connects.  Returns how many clients it
 * took; their fds are stored in fds[] (close them afterwards). */
static inline int test_fill_backlog(int family, uint16_t port, int *fds, int max)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(family, port, &ss);
	int n = 0;

	while (n < max) {
		int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0)
			break;
		fds[n++] = fd;
		if (connect(fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS)
			break;
		test_sleep_ms(20);
		int error = 0;
		socklen_t elen = sizeof(error);
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);

		getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &elen);
		if (error == 0 && getpeername(fd, (struct sockaddr *)&peer, &plen) != 0)
			break;  /* still connecting: the queue is full */
	}
	return n;
}

enum test_http_mode {
	HTTP_ACCEPT_CLOSE,      /* accept and close: a TCP-only backend */
	HTTP_STATUS,            /* answer every request with `status` */
	HTTP_SILENT,            /* accept, read, never answer */
	HTTP_STRICT,            /* 200 only for GET `path` with Host `host`, else 404 */
};

struct test_server {
	pid_t pid;
	uint16_t port;
	int family;
	int accepted_fd;        /* one byte per accepted connection */
};

struct test_http_spec {
	enum test_http_mode mode;
	int status;
	const char *path, *host;
};

static inline void serve_one(int fd, const struct test_http_spec *spec)
{
	char req[4096], line[512], reply[256];
	size_t used = 0;
	ssize_t n;
	int status = spec->status;

	while (used < sizeof(req) - 1 && !memmem(req, used, "\r\n\r\n", 4)) {
		n = read(fd, req + used, sizeof(req) - 1 - used);
		if (n <= 0)
			return;
		used += (size_t)n;
	}
	req[used] = '\0';
	if (spec->mode == HTTP_STRICT) {
		snprintf(line, sizeof(line), "GET %s HTTP/1.1\r\n", spec->path);
		status = !strncmp(req, line, strlen(line)) ? 200 : 404;
		snprintf(line, sizeof(line), "\r\nHost: %s\r\n", spec->host);
		if (!strstr(req, line) || !strstr(req, "\r\nConnection: close\r\n"))
			status = 404;
	}
	n = snprintf(reply, sizeof(reply), "HTTP/1.1 %d Test\r\nContent-Length: 5\r\n"
		     "Connection: keep-alive\r\n\r\nhello", status);
	if (write(fd, reply, (size_t)n) < 0)
		return;
}

static inline void server_loop(int lfd, int report_fd, const struct test_http_spec *spec)
{
	int held = 0;

	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			continue;
		if (write(report_fd, "a", 1) < 0)
			_exit(1);
		if (spec->mode == HTTP_SILENT) {
			if (held++ > 512)       /* hold it open, say nothing */
				close(fd);
			continue;
		}
		if (spec->mode != HTTP_ACCEPT_CLOSE)
			serve_one(fd, spec);
		close(fd);
	}
}

/* Every child still running, so a failed test's teardown can kill them. */
static pid_t test_children[64];

static inline void remember_child(pid_t pid, bool add)
{
	for (int i = 0; i < 64; i++)
		if (test_children[i] == (add ? 0 : pid)) {
			test_children[i] = add ? pid : 0;
			return;
		}
}

static inline void test_kill_all_servers(void)
{
	for (int i = 0; i < 64; i++)
		if (test_children[i] > 0) {
			kill(test_children[i], SIGKILL);
			waitpid(test_children[i], NULL, 0);
			test_children[i] = 0;
		}
}

/* Start a server in a child process on `port` (0: any). 0 or -1. */
static inline int test_server_start(struct test_server *s, int family, uint16_t port,
				    const struct test_http_spec *spec)
{
	int pipefd[2], lfd = test_bind(family, port, 64, &s->port);

	if (lfd < 0 || pipe2(pipefd, O_CLOEXEC))
		return -1;
	s->family = family;
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);       /* never outlive the test */
		close(pipefd[0]);
		server_loop(lfd, pipefd[1], spec);
		_exit(0);
	}
	remember_child(s->pid, true);
	close(lfd);
	close(pipefd[1]);
	s->accepted_fd = pipefd[0];
	fcntl(s->accepted_fd, F_SETFL, O_NONBLOCK);
	return 0;
}

/* Connections the server accepted since the last call. */
static inline unsigned test_server_accepted(struct test_server *s)
{
	char buf[256];
	unsigned total = 0;
	ssize_t n;

	while ((n = read(s->accepted_fd, buf, sizeof(buf))) > 0)
		total += (unsigned)n;
	return total;
}

/* A crash: SIGKILL, reaped. */
static inline void test_server_kill(struct test_server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
		remember_child(s->pid, false);
	}
	if (s->accepted_fd > 0)
		close(s->accepted_fd);
	s->pid = 0;
	s->accepted_fd = 0;
}

static inline struct health_target_id test_target(const char *service, int family, uint16_t port)
{
	struct health_target_id id;

	memset(&id, 0, sizeof(id));
	snprintf(id.service, sizeof(id.service), "%s", service);
	id.color = BGXDP_GREEN;
	id.backend.port = port;
	if (family == AF_INET6) {
		id.backend.family = BGXDP_FAMILY_IPV6;
		id.backend.addr[15] = 1;
	} else {
		id.backend.family = BGXDP_FAMILY_IPV4;
		id.backend.addr[0] = 127;
		id.backend.addr[3] = 1;
	}
	return id;
}

#endif
