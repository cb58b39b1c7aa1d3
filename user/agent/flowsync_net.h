/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * flowsync_net.h - flow sync over UDP, driven from the agent's loop.
 *
 * Why UDP and not TCP: a flow record is small, independent and useful only
 * while fresh.  UDP has no head-of-line blocking (one lost datagram does
 * not hold back the ones after it), no per-peer connection to keep up or
 * buffers to fill when a peer is down (a dead peer costs a sendto() that
 * goes nowhere), and each datagram is authenticated on its own, so garbage
 * from anyone never desynchronises a stream.  Loss is counted (sequence
 * gaps) and is what a host failure could cost anyway; IPVS's sync daemon
 * and conntrackd make the same choice.
 *
 * A record queued after a quiet flush period (no datagram out for flush_ms)
 * goes out at once, alone: at a low rate of new flows each reaches the peers
 * within a fraction of a millisecond.  In a burst the records after it are
 * queued and sent as one datagram per FLOWSYNC_DEFAULT_DATAGRAM bytes (16
 * records), at once when a datagram is full, else flush_ms after the first
 * record was queued.  The same datagram goes to every peer.
 *
 * The agent's loop:
 *   fd = flowsync_node_fd(n)                      (POLLIN; -1 if send-only)
 *   timeout = flowsync_node_flush_timeout(n)      (-1: nothing queued)
 *   poll(...);
 *   if fd is readable: flowsync_node_receive(n, fn, ctx)
 *   flowsync_node_tick(n)                         (sends what is due)
 *   new and closing flows from the data plane: flowsync_node_queue(n, &rec)
 */
#ifndef BGXDP_FLOWSYNC_NET_H
#define BGXDP_FLOWSYNC_NET_H

#include <sys/socket.h>
#include "flowsync.h"

#define FLOWSYNC_MAX_PEERS       32
#define FLOWSYNC_DEFAULT_FLUSH_MS 5
#define FLOWSYNC_RECEIVE_BATCH   1024   /* datagrams per receive call, at most */

struct flowsync_node_config {
	const char *listen;             /* "ADDR:PORT" / "[ADDR]:PORT"; NULL: send only */
	const char *peers[FLOWSYNC_MAX_PEERS];  /* the same forms */
	size_t n_peers;
	struct flowsync_key key;
	uint64_t host_id;               /* flowsync_host_id(host name) */
	size_t datagram_bytes;          /* 0: FLOWSYNC_DEFAULT_DATAGRAM */
	unsigned flush_ms;              /* 0: FLOWSYNC_DEFAULT_FLUSH_MS */
	struct flowsync_limits limits;  /* for what peers send us */
};

struct flowsync_tx_stats {
	uint64_t datagrams_sent;        /* one per peer per datagram */
	uint64_t records_sent;          /* once per record, however many peers */
	uint64_t send_errors;           /* sendto() that failed (peer unreachable, ...) */
	uint64_t records_refused;       /* queued records that break the record rules */
};

struct flowsync_node;

/* "ADDR:PORT" (IPv4) or "[ADDR]:PORT" (IPv6), numeric, port 1..65535.
 * `what` names the option in the message ("--sync-peer"). */
int flowsync_parse_endpoint(const char *text, const char *what, struct sockaddr_storage *sa,
			    socklen_t *len, struct bgx_err *err);

int flowsync_node_open(const struct flowsync_node_config *cfg, struct flowsync_node **out,
		       struct bgx_err *err);
void flowsync_node_close(struct flowsync_node *n);
int flowsync_node_fd(const struct flowsync_node *n);

/* Queue one record (checked against the record rules: -EINVAL and counted
 * when it breaks them); sends at once when a datagram is full. */
int flowsync_node_queue(struct flowsync_node *n, const struct flowsync_record *rec,
			struct bgx_err *err);
/* Send what is queued now; returns the datagrams sent (0: nothing queued). */
int flowsync_node_flush(struct flowsync_node *n);
/* ms until the queued records are due (0: now), -1 when nothing is queued. */
int flowsync_node_flush_timeout(const struct flowsync_node *n);
/* Flush if due; returns what flowsync_node_flush() did, or 0. */
int flowsync_node_tick(struct flowsync_node *n);
/* Read and check every datagram waiting (at most FLOWSYNC_RECEIVE_BATCH);
 * verified records go to fn.  Returns the datagrams read. */
int flowsync_node_receive(struct flowsync_node *n, flowsync_deliver_fn fn, void *ctx);

void flowsync_node_stats(const struct flowsync_node *n, struct flowsync_tx_stats *tx,
			 struct flowsync_rx_stats *rx);

#endif
