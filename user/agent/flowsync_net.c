// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * flowsync_net.c - flow sync's sockets: one UDP socket bound to the listen
 * address (also used to send to peers of its family, so sync traffic is
 * port to port), one unbound socket per other family a peer needs, the
 * send queue with its flush timer, and the receive loop.  Why UDP:
 * flowsync_net.h.  Nothing here blocks: sockets are non-blocking, a full
 * socket buffer or an unreachable peer is a counted send error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "flowsync_net.h"

#define RECEIVE_BUFFER_BYTES (4 << 20)  /* bursts of records while the agent is busy */

struct peer {
	struct sockaddr_storage addr;
	socklen_t len;
	int fd;                         /* the socket that sends to it */
};

struct flowsync_node {
	int listen_fd;
	int send_fd[2];                 /* IPv4, IPv6: unbound, when needed */
	struct peer peers[FLOWSYNC_MAX_PEERS];
	size_t n_peers;
	struct flowsync_key key;
	uint64_t host_id;
	uint64_t next_sequence;
	size_t per_datagram;            /* records */
	uint64_t flush_ns;
	struct flowsync_record queue[FLOWSYNC_MAX_RECORDS];
	size_t queued;
	uint64_t first_queued_ns;       /* monotonic */
	uint64_t last_sent_ns;          /* monotonic: the last datagram out */
	struct flowsync_receiver *rx;
	struct flowsync_tx_stats tx;
	uint8_t buf[FLOWSYNC_MAX_BYTES + 1];
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- addresses ------------------------------------------------------------ */

static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 5)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v < 1 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int flowsync_parse_endpoint(const char *text, const char *what, struct sockaddr_storage *sa,
			    socklen_t *len, struct bgx_err *err)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	uint16_t port;
	size_t hlen;

	memset(sa, 0, sizeof(*sa));
	colon = text ? strrchr(text, ':') : NULL;
	hlen = colon ? (size_t)(colon - text) : 0;
	if (!colon || hlen == 0 || hlen >= sizeof(host) || parse_port(colon + 1, &port))
		goto bad;
	memcpy(host, text, hlen);
	host[hlen] = 0;
	if (host[0] == '[' && host[hlen - 1] == ']') {
		host[hlen - 1] = 0;
		if (inet_pton(AF_INET6, host + 1, &v6->sin6_addr) != 1)
			goto bad;
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		*len = sizeof(*v6);
		return 0;
	}
	if (inet_pton(AF_INET, host, &v4->sin_addr) != 1)
		goto bad;
	v4->sin_family = AF_INET;
	v4->sin_port = htons(port);
	*len = sizeof(*v4);
	return 0;
bad:
	return bgx_fail_usage(err, EINVAL, "%s '%s': expected ADDR:PORT or [IPv6-ADDR]:PORT "
			      "(numeric address, port 1-65535)", what, text ? text : "");
}

/* ---- sockets ---------------------------------------------------------------- */

static int udp_socket(int family, struct bgx_err *err)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return bgx_fail(err, errno, "flow sync: UDP socket: %s", strerror(errno));
	return fd;
}

static int open_listen(struct flowsync_node *n, const char *listen, struct bgx_err *err)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int size = RECEIVE_BUFFER_BYTES, r;

	r = flowsync_parse_endpoint(listen, "--sync-listen", &sa, &len, err);
	if (r)
		return r;
	n->listen_fd = udp_socket(sa.ss_family, err);
	if (n->listen_fd < 0)
		return n->listen_fd;
	/* FORCE passes net.core.rmem_max with CAP_NET_ADMIN; else the capped size */
	if (setsockopt(n->listen_fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(n->listen_fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(n->listen_fd, (struct sockaddr *)&sa, len))
		return bgx_fail(err, errno, "--sync-listen %s: %s", listen, strerror(errno));
	return 0;
}

static int family_slot(int family)
{
	return family == AF_INET6;
}

static int add_peer(struct flowsync_node *n, const char *text, int listen_family,
		    struct bgx_err *err)
{
	struct peer *p = &n->peers[n->n_peers];
	int slot, r;

	r = flowsync_parse_endpoint(text, "--sync-peer", &p->addr, &p->len, err);
	if (r)
		return r;
	if (p->addr.ss_family == listen_family) {
		p->fd = n->listen_fd;
	} else {
		slot = family_slot(p->addr.ss_family);
		if (n->send_fd[slot] < 0) {
			n->send_fd[slot] = udp_socket(p->addr.ss_family, err);
			if (n->send_fd[slot] < 0)
				return n->send_fd[slot];
		}
		p->fd = n->send_fd[slot];
	}
	n->n_peers++;
	return 0;
}

static int check_config(const struct flowsync_node_config *cfg, struct bgx_err *err)
{
	size_t bytes = cfg->datagram_bytes ? cfg->datagram_bytes : FLOWSYNC_DEFAULT_DATAGRAM;

	if (!cfg->listen && !cfg->n_peers)
		return bgx_fail_usage(err, EINVAL, "flow sync: neither --sync-listen nor --sync-peer");
	if (cfg->n_peers > FLOWSYNC_MAX_PEERS)
		return bgx_fail_usage(err, E2BIG, "--sync-peer: at most %d", FLOWSYNC_MAX_PEERS);
	if (!flowsync_records_per_datagram(bytes) || bytes > FLOWSYNC_MAX_BYTES)
		return bgx_fail_usage(err, ERANGE, "flow sync datagram size %zu: expected %d to %d "
				      "bytes", bytes, FLOWSYNC_MIN_BYTES + FLOWSYNC_RECORD_BYTES,
				      FLOWSYNC_MAX_BYTES);
	if (cfg->flush_ms > 10000)
		return bgx_fail_usage(err, ERANGE, "flow sync flush %u ms: at most 10000",
				      cfg->flush_ms);
	if (!cfg->host_id)
		return bgx_fail_usage(err, EINVAL, "flow sync: host id 0");
	return 0;
}

int flowsync_node_open(const struct flowsync_node_config *cfg, struct flowsync_node **out,
		       struct bgx_err *err)
{
	struct flowsync_node *n;
	struct sockaddr_storage local = { 0 };
	socklen_t local_len = sizeof(local);
	int r;

	*out = NULL;
	r = check_config(cfg, err);
	if (r)
		return r;
	n = calloc(1, sizeof(*n));
	if (!n)
		return bgx_fail(err, ENOMEM, "flow sync: out of memory");
	n->listen_fd = n->send_fd[0] = n->send_fd[1] = -1;
	n->key = cfg->key;
	n->host_id = cfg->host_id;
	/* a restarted sender must be ahead of what it sent before */
	n->next_sequence = clock_ns(CLOCK_REALTIME);
	n->per_datagram = flowsync_records_per_datagram(cfg->datagram_bytes ? cfg->datagram_bytes
									 : FLOWSYNC_DEFAULT_DATAGRAM);
	n->flush_ns = (uint64_t)(cfg->flush_ms ? cfg->flush_ms : FLOWSYNC_DEFAULT_FLUSH_MS) * 1000000ull;
	r = flowsync_receiver_new(&cfg->key, cfg->host_id, &cfg->limits, &n->rx, err);
	if (!r && cfg->listen) {
		r = open_listen(n, cfg->listen, err);
		if (!r)
			getsockname(n->listen_fd, (struct sockaddr *)&local, &local_len);
	}
	for (size_t i = 0; !r && i < cfg->n_peers; i++)
		r = add_peer(n, cfg->peers[i], local.ss_family, err);
	if (r) {
		flowsync_node_close(n);
		return r;
	}
	*out = n;
	return 0;
}

void flowsync_node_close(struct flowsync_node *n)
{
	if (!n)
		return;
	if (n->listen_fd >= 0)
		close(n->listen_fd);
	for (int i = 0; i < 2; i++)
		if (n->send_fd[i] >= 0)
			close(n->send_fd[i]);
	flowsync_receiver_free(n->rx);
	flowsync_key_wipe(&n->key);
	free(n);
}

int flowsync_node_fd(const struct flowsync_node *n)
{
	return n->listen_fd;
}

/* ---- sending ------------------------------------------------------------------ */

int flowsync_node_flush(struct flowsync_node *n)
{
	struct flowsync_header h = {
		.host_id = n->host_id,
		.sequence = n->next_sequence++,
		.sent_ns = clock_ns(CLOCK_REALTIME),
		.count = (uint16_t)n->queued,
	};
	size_t len;
	int sent = 0;

	if (!n->queued)
		return 0;
	len = flowsync_encode(&n->key, &h, n->queue, n->queued, n->buf, sizeof(n->buf));
	for (size_t i = 0; i < n->n_peers; i++) {
		const struct peer *p = &n->peers[i];

		if (sendto(p->fd, n->buf, len, MSG_DONTWAIT, (const struct sockaddr *)&p->addr,
			   p->len) == (ssize_t)len) {
			n->tx.datagrams_sent++;
			sent++;
		} else {
			n->tx.send_errors++;
		}
	}
	n->tx.records_sent += n->queued;
	n->queued = 0;
	n->last_sent_ns = clock_ns(CLOCK_MONOTONIC);
	return sent;
}

int flowsync_node_queue(struct flowsync_node *n, const struct flowsync_record *rec,
			struct bgx_err *err)
{
	bool quiet = false;

	if (!flowsync_record_valid(rec)) {
		n->tx.records_refused++;
		return bgx_fail(err, EINVAL, "flow sync: a record that breaks the record rules "
				"(family, protocol, color, state, ports, service or slot)");
	}
	if (!n->queued) {
		n->first_queued_ns = clock_ns(CLOCK_MONOTONIC);
		/* nothing went out for a flush period: no burst to wait for */
		quiet = n->first_queued_ns - n->last_sent_ns >= n->flush_ns;
	}
	n->queue[n->queued++] = *rec;
	if (quiet || n->queued == n->per_datagram)
		flowsync_node_flush(n);
	return 0;
}

int flowsync_node_flush_timeout(const struct flowsync_node *n)
{
	uint64_t now, due;

	if (!n->queued)
		return -1;
	now = clock_ns(CLOCK_MONOTONIC);
	due = n->first_queued_ns + n->flush_ns;
	return now >= due ? 0 : (int)((due - now + 999999) / 1000000);
}

int flowsync_node_tick(struct flowsync_node *n)
{
	return flowsync_node_flush_timeout(n) == 0 ? flowsync_node_flush(n) : 0;
}

/* ---- receiving ---------------------------------------------------------------- */

int flowsync_node_receive(struct flowsync_node *n, flowsync_deliver_fn fn, void *ctx)
{
	int got = 0;

	if (n->listen_fd < 0)
		return 0;
	while (got < FLOWSYNC_RECEIVE_BATCH) {
		/* MSG_TRUNC: the real length, so an oversized datagram is seen as one */
		ssize_t len = recv(n->listen_fd, n->buf, sizeof(n->buf), MSG_TRUNC | MSG_DONTWAIT);
		struct flowsync_clock now = {
			.mono_ns = clock_ns(CLOCK_MONOTONIC),
			.real_ns = clock_ns(CLOCK_REALTIME),
		};

		if (len < 0)
			break;                  /* EAGAIN: all read (errors: try next time) */
		if ((size_t)len > sizeof(n->buf))
			len = sizeof(n->buf);   /* still over the limit: counted oversized */
		flowsync_receive(n->rx, n->buf, (size_t)len, &now, fn, ctx);
		got++;
	}
	return got;
}

void flowsync_node_stats(const struct flowsync_node *n, struct flowsync_tx_stats *tx,
			 struct flowsync_rx_stats *rx)
{
	if (tx)
		*tx = n->tx;
	if (rx)
		flowsync_receiver_stats(n->rx, rx);
}
