// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * health_probe.c - TCP connect and HTTP GET checks, in flight together.
 *
 * Every check is a fresh connection: a TCP check closes with RST (SO_LINGER
 * 0) so a checker running every second leaves no TIME_WAIT sockets behind;
 * an HTTP check forbids connection reuse and sends "Connection: close".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "health_probe.h"
#include "values.h"

#ifndef BGXDP_VERSION
#define BGXDP_VERSION "dev"
#endif

struct health_probe {
	struct health_probe *next, *prev;
	void *owner;
	enum health_kind kind;
	uint64_t started_us;
	uint64_t deadline_us;           /* TCP: connect timeout */
	uint32_t timeout_ms;
	bool finished;
	int fd;                         /* TCP */
	CURL *easy;                     /* HTTP */
	struct curl_slist *headers;
	char curl_error[CURL_ERROR_SIZE];
	struct health_probe_outcome out;
};

uint64_t health_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t health_now_ms(void)
{
	return health_now_us() / 1000u;
}

int health_prober_init(struct health_prober *p, struct bgx_err *err)
{
	memset(p, 0, sizeof(*p));
	p->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (p->epoll_fd < 0)
		return bgx_fail(err, errno, "health checks: epoll: %s", strerror(errno));
	p->multi = curl_multi_init();
	if (!p->multi) {
		close(p->epoll_fd);
		return bgx_fail(err, ENOMEM, "health checks: cannot create a libcurl multi handle");
	}
	return 0;
}

static void release(struct health_prober *p, struct health_probe *probe)
{
	if (probe->next)
		probe->next->prev = probe->prev;
	if (probe->prev)
		probe->prev->next = probe->next;
	else
		p->head = probe->next;
	if (probe->finished)
		p->finished--;
	if (probe->fd >= 0)
		close(probe->fd);       /* also leaves the epoll set */
	if (probe->easy) {
		curl_multi_remove_handle(p->multi, probe->easy);
		curl_easy_cleanup(probe->easy);
	}
	curl_slist_free_all(probe->headers);
	free(probe);
}

void health_prober_fini(struct health_prober *p)
{
	while (p->head)
		release(p, p->head);
	if (p->multi)
		curl_multi_cleanup(p->multi);
	if (p->epoll_fd >= 0)
		close(p->epoll_fd);
	memset(p, 0, sizeof(*p));
	p->epoll_fd = -1;
}

static void finish(struct health_prober *p, struct health_probe *probe,
		   enum health_result result, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void finish(struct health_prober *p, struct health_probe *probe,
		   enum health_result result, const char *fmt, ...)
{
	va_list ap;

	if (probe->finished)
		return;
	probe->finished = true;
	p->finished++;
	probe->out.result = result;
	probe->out.latency_us = (uint32_t)(health_now_us() - probe->started_us);
	va_start(ap, fmt);
	vsnprintf(probe->out.detail, sizeof(probe->out.detail), fmt, ap);
	va_end(ap);
}

static double ms(uint32_t us)
{
	return us / 1000.0;
}

/* "connected in 0.2 ms": the outcome with its latency. */
static void finish_in(struct health_prober *p, struct health_probe *probe,
		      enum health_result result, const char *what)
{
	finish(p, probe, result, "%s", what);
	snprintf(probe->out.detail, sizeof(probe->out.detail), "%s in %.1f ms",
		 what, ms(probe->out.latency_us));
}

static void finish_connect_error(struct health_prober *p, struct health_probe *probe, int error)
{
	if (error == ECONNREFUSED) {
		finish_in(p, probe, HEALTH_RESULT_REFUSED, "connection refused");
	} else {
		finish(p, probe, HEALTH_RESULT_ERROR, "connect: %s", strerror(error));
	}
}

static socklen_t to_sockaddr(const struct health_probe_request *req,
			     struct sockaddr_storage *ss)
{
	struct endpoint ep = { .port = req->port, .family = req->family };

	memcpy(ep.addr, req->addr, sizeof(ep.addr));
	return endpoint_to_sockaddr(&ep, ss);
}

static void start_tcp(struct health_prober *p, struct health_probe *probe,
		      const struct health_probe_request *req)
{
	struct sockaddr_storage ss;
	socklen_t len = to_sockaddr(req, &ss);
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = probe };
	/* Close with RST: no TIME_WAIT left on the checker per check. */
	struct linger hard = { .l_onoff = 1, .l_linger = 0 };

	probe->deadline_us = probe->started_us + (uint64_t)req->timeout_ms * 1000u;
	probe->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (probe->fd < 0) {
		finish(p, probe, HEALTH_RESULT_ERROR, "socket: %s", strerror(errno));
		return;
	}
	setsockopt(probe->fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
	if (connect(probe->fd, (struct sockaddr *)&ss, len) == 0) {
		finish_in(p, probe, HEALTH_RESULT_OK, "connected");
		return;
	}
	if (errno != EINPROGRESS) {
		finish_connect_error(p, probe, errno);
		return;
	}
	if (epoll_ctl(p->epoll_fd, EPOLL_CTL_ADD, probe->fd, &ev))
		finish(p, probe, HEALTH_RESULT_ERROR, "epoll: %s", strerror(errno));
}

/* The connect finished one way or the other: SO_ERROR says which. */
static void tcp_event(struct health_prober *p, struct health_probe *probe)
{
	int error = 0;
	socklen_t len = sizeof(error);

	if (probe->finished)
		return;
	if (getsockopt(probe->fd, SOL_SOCKET, SO_ERROR, &error, &len))
		error = errno;
	if (error)
		finish_connect_error(p, probe, error);
	else
		finish_in(p, probe, HEALTH_RESULT_OK, "connected");
}

/* The status line is all a check needs: stop at the first body byte. */
static size_t discard_body(char *data, size_t size, size_t nmemb, void *user)
{
	(void)data;
	(void)user;
	(void)size;
	(void)nmemb;
	return 0;       /* != size * nmemb: libcurl ends the transfer */
}

static int http_url(const struct health_probe_request *req, char *url, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (req->family == BGXDP_FAMILY_IPV6) {
		inet_ntop(AF_INET6, req->addr, a, sizeof(a));
		return snprintf(url, len, "http://[%s]:%u%s", a, req->port, req->path);
	}
	inet_ntop(AF_INET, req->addr, a, sizeof(a));
	return snprintf(url, len, "http://%s:%u%s", a, req->port, req->path);
}

static int setup_http(struct health_probe *probe, const struct health_probe_request *req)
{
	char url[HEALTH_PATH_LEN + 64], host[HEALTH_HOST_LEN + 8];
	CURL *c = probe->easy;
	long t = (long)req->timeout_ms;

	if (http_url(req, url, sizeof(url)) >= (int)sizeof(url))
		return -ENAMETOOLONG;
	probe->headers = curl_slist_append(NULL, "Connection: close");
	if (probe->headers && req->host && req->host[0]) {
		snprintf(host, sizeof(host), "Host: %s", req->host);
		struct curl_slist *more = curl_slist_append(probe->headers, host);

		probe->headers = more;
	}
	if (!probe->headers)
		return -ENOMEM;
	if (curl_easy_setopt(c, CURLOPT_URL, url) ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http") ||
	    curl_easy_setopt(c, CURLOPT_PROXY, "") ||       /* never via *_proxy */
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L) ||
	    curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L) ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, t) ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, t) ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, probe->headers) ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "bgxdp-health/" BGXDP_VERSION) ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_body) ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, probe->curl_error) ||
	    curl_easy_setopt(c, CURLOPT_PRIVATE, probe))
		return -EINVAL;
	return 0;
}

static void start_http(struct health_prober *p, struct health_probe *probe,
		       const struct health_probe_request *req)
{
	int r;

	probe->easy = curl_easy_init();
	if (!probe->easy) {
		finish(p, probe, HEALTH_RESULT_ERROR, "cannot create a libcurl handle");
		return;
	}
	r = setup_http(probe, req);
	if (r) {
		finish(p, probe, HEALTH_RESULT_ERROR, "cannot set up the HTTP check: %s", strerror(-r));
		return;
	}
	if (curl_multi_add_handle(p->multi, probe->easy)) {
		curl_easy_cleanup(probe->easy);
		probe->easy = NULL;
		finish(p, probe, HEALTH_RESULT_ERROR, "cannot start the HTTP check (libcurl)");
	}
}

struct health_probe *health_probe_start(struct health_prober *p,
					const struct health_probe_request *req, void *owner)
{
	struct health_probe *probe = calloc(1, sizeof(*probe));

	if (!probe)
		return NULL;
	probe->owner = owner;
	probe->kind = req->kind;
	probe->fd = -1;
	probe->timeout_ms = req->timeout_ms;
	probe->started_us = health_now_us();
	probe->next = p->head;
	if (p->head)
		p->head->prev = probe;
	p->head = probe;
	if (req->kind == HEALTH_HTTP)
		start_http(p, probe, req);
	else
		start_tcp(p, probe, req);
	return probe;
}

void health_probe_cancel(struct health_prober *p, struct health_probe *probe)
{
	release(p, probe);
}

int health_prober_wait_budget(const struct health_prober *p, uint64_t now_ms, int cap_ms)
{
	int64_t budget = cap_ms, now_us = (int64_t)now_ms * 1000;

	if (p->finished)
		return 0;
	for (const struct health_probe *probe = p->head; probe; probe = probe->next) {
		if (probe->kind != HEALTH_TCP || probe->finished)
			continue;
		/* Rounded up: waking before the deadline would only spin. */
		int64_t left = ((int64_t)probe->deadline_us - now_us + 999) / 1000;

		if (left < budget)
			budget = left < 0 ? 0 : left;
	}
	return (int)budget;
}

int health_prober_wait(struct health_prober *p, int timeout_ms)
{
	struct curl_waitfd extra = { .fd = p->epoll_fd, .events = CURL_WAIT_POLLIN };
	CURLMcode rc;

	if (timeout_ms < 0)
		timeout_ms = 0;
	rc = curl_multi_poll(p->multi, &extra, 1, timeout_ms, NULL);
	if (rc != CURLM_OK)
		return -EIO;
	return 0;
}

void health_prober_wakeup(struct health_prober *p)
{
	curl_multi_wakeup(p->multi);
}

static void collect_tcp(struct health_prober *p)
{
	struct epoll_event events[64];
	uint64_t now_us;
	int n;

	do {
		n = epoll_wait(p->epoll_fd, events, 64, 0);
		for (int i = 0; i < n; i++)
			tcp_event(p, events[i].data.ptr);
	} while (n == 64);
	now_us = health_now_us();
	for (struct health_probe *probe = p->head; probe; probe = probe->next)
		if (probe->kind == HEALTH_TCP && !probe->finished && now_us >= probe->deadline_us)
			finish(p, probe, HEALTH_RESULT_TIMEOUT, "no connection within %u ms",
			       probe->timeout_ms);
}

static void http_done(struct health_prober *p, struct health_probe *probe, CURLcode code)
{
	long status = 0, os_errno = 0;
	curl_off_t connected_us = 0;
	char what[32];

	curl_easy_getinfo(probe->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(probe->easy, CURLINFO_OS_ERRNO, &os_errno);
	curl_easy_getinfo(probe->easy, CURLINFO_CONNECT_TIME_T, &connected_us);
	if (status > 0 && (code == CURLE_OK || code == CURLE_WRITE_ERROR)) {
		snprintf(what, sizeof(what), "HTTP %ld", status);
		finish_in(p, probe, HEALTH_RESULT_OK, what);
		probe->out.http_status = (int)status;
	} else if (code == CURLE_OPERATION_TIMEDOUT) {
		finish(p, probe, HEALTH_RESULT_TIMEOUT, "no %s within %u ms",
		       connected_us ? "HTTP response" : "connection", probe->timeout_ms);
	} else if (code == CURLE_COULDNT_CONNECT && os_errno) {
		finish_connect_error(p, probe, (int)os_errno);
	} else {
		finish(p, probe, HEALTH_RESULT_ERROR, "HTTP: %s",
		       probe->curl_error[0] ? probe->curl_error : curl_easy_strerror(code));
	}
}

static void collect_http(struct health_prober *p)
{
	struct CURLMsg *msg;
	int running, left;

	curl_multi_perform(p->multi, &running);
	while ((msg = curl_multi_info_read(p->multi, &left))) {
		char *owner = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &owner);
		if (owner)
			http_done(p, (struct health_probe *)owner, msg->data.result);
	}
}

void health_prober_collect(struct health_prober *p, health_probe_done_fn done, void *ctx)
{
	struct health_probe *probe, *next;

	collect_tcp(p);
	collect_http(p);
	for (probe = p->head; probe && p->finished; probe = next) {
		next = probe->next;
		if (!probe->finished)
			continue;
		done(probe->owner, &probe->out, ctx);
		release(p, probe);
	}
}
