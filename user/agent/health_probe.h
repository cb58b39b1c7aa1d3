/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * health_probe.h - one check on the wire: a TCP connect (non-blocking
 * socket + epoll) or an HTTP GET (libcurl multi), both waited on by one
 * curl_multi_poll() with the epoll fd as an extra descriptor.
 *
 * Depends on: libcurl.  Used by the loop thread of the health engine only;
 * health_prober_wakeup() is the one call another thread may make.
 */
#ifndef BGXDP_HEALTH_PROBE_H
#define BGXDP_HEALTH_PROBE_H

#include <stdint.h>
#include <curl/curl.h>
#include "health.h"

struct health_probe_request {
	enum health_kind kind;
	uint8_t family;                 /* BGXDP_FAMILY_IPV4 / _IPV6 */
	const uint8_t *addr;            /* 16 bytes, IPv4 in 0..3 */
	uint16_t port;                  /* host byte order */
	uint32_t timeout_ms;
	const char *path;               /* HTTP */
	const char *host;               /* HTTP Host header, "" = address:port */
};

/* result is OK for a TCP connect or any HTTP response (http_status set): the
 * caller matches the status against its expect list. */
struct health_probe_outcome {
	enum health_result result;
	int http_status;
	uint32_t latency_us;
	char detail[HEALTH_DETAIL_LEN];
};

struct health_probe;

struct health_prober {
	int epoll_fd;                   /* TCP connects in progress */
	CURLM *multi;                   /* HTTP checks in progress */
	struct health_probe *head;      /* every probe not yet collected */
	unsigned finished;              /* probes with an outcome, not collected */
};

typedef void (*health_probe_done_fn)(void *owner, const struct health_probe_outcome *out,
				     void *ctx);

int health_prober_init(struct health_prober *p, struct bgx_err *err);
/* Cancels whatever is still running. */
void health_prober_fini(struct health_prober *p);

/* Start a check for `owner`.  A check that fails at once (no route, no
 * socket) is still returned, finished; NULL only when out of memory. */
struct health_probe *health_probe_start(struct health_prober *p,
					const struct health_probe_request *req, void *owner);
/* Stop a check that is still running and forget it; its owner hears nothing. */
void health_probe_cancel(struct health_prober *p, struct health_probe *probe);

/* Milliseconds until the earliest TCP connect deadline (or 0 if a check
 * already has an outcome), capped at `cap_ms`. */
int health_prober_wait_budget(const struct health_prober *p, uint64_t now_ms, int cap_ms);
/* Wait up to timeout_ms for any check to progress or a wakeup. 0 or -errno. */
int health_prober_wait(struct health_prober *p, int timeout_ms);
void health_prober_wakeup(struct health_prober *p);
/* Advance every check, then hand each finished one to done() and free it. */
void health_prober_collect(struct health_prober *p, health_probe_done_fn done, void *ctx);

/* CLOCK_MONOTONIC in milliseconds / microseconds. */
uint64_t health_now_ms(void);
uint64_t health_now_us(void);

#endif
