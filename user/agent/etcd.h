/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * etcd.h - a small client for etcd's v3 API: what the fleet needs (read a
 * key or a prefix, put, delete, a guarded transaction, leases, watch).
 *
 * It speaks etcd's gRPC-gateway JSON API (POST /v3/kv/range and friends)
 * over libcurl, with jansson for the JSON.  Why not gRPC: Debian packages no
 * maintained gRPC C client for etcd (grpc's C core is not a public API, and
 * the C etcd clients that exist are unmaintained), while libcurl and jansson
 * are well-kept Debian libraries and the gateway is part of every etcd v3
 * server (served under /v3/ since etcd 3.4).  Keys and values travel
 * base64-encoded; that stays inside this module.
 *
 * Every call returns 0 or a negative errno and fills the caller's struct
 * bgx_err with one line naming the endpoint, the operation and the cause.
 * Timeouts bound every call: an endpoint gets `timeout_ms` to answer; the
 * next one is tried when it does not (at most n_endpoints * timeout_ms).
 *
 * A client (and a watch opened on it) belongs to one thread at a time; open
 * one client per thread.  etcd_watch_interrupt() is the only call another
 * thread may make.
 */
#ifndef BGXDP_ETCD_H
#define BGXDP_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bgx_err.h"

#define ETCD_MAX_ENDPOINTS      8
#define ETCD_DEFAULT_TIMEOUT_MS 2000

struct etcd_config {
	/* "URL[,URL...]": http://ADDR:PORT or https://ADDR:PORT, tried in
	 * order; the one that answered is tried first next time. */
	const char *endpoints;
	unsigned timeout_ms;            /* per endpoint and call; 0: default */
	/* TLS (https:// endpoints), file paths: the CA that signed the
	 * server's certificate (default: the system's), and a client
	 * certificate and key when etcd asks for one (both or neither). */
	const char *ca_file;
	const char *cert_file;
	const char *key_file;
	/* etcd authentication: user and password are exchanged for a token
	 * on the first call and again whenever etcd says it expired. */
	const char *user;
	const char *password;
};

struct etcd_client;

/* Checks the configuration (URLs, that the files exist); contacts nobody. */
int etcd_open(const struct etcd_config *config, struct etcd_client **client,
	      struct bgx_err *err);
void etcd_close(struct etcd_client *client);

struct etcd_kv {
	char *key;                      /* NUL-terminated */
	unsigned char *value;           /* value_len bytes, then a NUL */
	size_t value_len;
	int64_t create_revision;
	int64_t mod_revision;
	int64_t version;
	int64_t lease;                  /* 0: none */
};

struct etcd_range {
	struct etcd_kv *kvs;            /* sorted by key */
	size_t count;
	int64_t revision;               /* the store revision this read saw */
};

void etcd_range_free(struct etcd_range *range);

/* One key (count 0 when it does not exist) or every key under a prefix. */
int etcd_get(struct etcd_client *c, const char *key, struct etcd_range *out,
	     struct bgx_err *err);
int etcd_get_prefix(struct etcd_client *c, const char *prefix, struct etcd_range *out,
		    struct bgx_err *err);

/* lease 0: none.  *revision (may be NULL): the revision of the write. */
int etcd_put(struct etcd_client *c, const char *key, const void *value, size_t value_len,
	     int64_t lease, int64_t *revision, struct bgx_err *err);
/* *deleted (may be NULL): how many keys went. */
int etcd_delete(struct etcd_client *c, const char *key, int64_t *deleted, struct bgx_err *err);
int etcd_delete_prefix(struct etcd_client *c, const char *prefix, int64_t *deleted,
		       struct bgx_err *err);

enum etcd_op_type { ETCD_OP_PUT, ETCD_OP_DELETE, ETCD_OP_DELETE_PREFIX };

struct etcd_op {
	enum etcd_op_type type;
	const char *key;                /* the key, or the prefix */
	const void *value;              /* ETCD_OP_PUT */
	size_t value_len;
	int64_t lease;
};

struct etcd_txn_result {
	bool succeeded;                 /* the guard held and every op applied */
	int64_t revision;               /* store revision after the txn */
	int64_t guard_mod_revision;     /* when it failed: the guard's now (0: absent) */
};

/* Apply `ops` atomically if and only if key `guard` has mod_revision
 * `guard_revision` (0: the key does not exist).  A failed guard is not an
 * error: result->succeeded is false and nothing was written.  This is how a
 * whole fleet revision is published: every key and the revision key in one
 * txn, guarded by the revision key the publisher read.  etcd refuses (with
 * -EINVAL) a txn that touches one key twice, a put inside a deleted prefix
 * included: delete exactly the keys that go. */
int etcd_txn_if_mod_revision(struct etcd_client *c, const char *guard, int64_t guard_revision,
			     const struct etcd_op *ops, size_t n_ops,
			     struct etcd_txn_result *result, struct bgx_err *err);

/* Leases: keys put with a lease go when it expires or is revoked. */
int etcd_lease_grant(struct etcd_client *c, int64_t ttl_seconds, int64_t *lease,
		     struct bgx_err *err);
/* One keep-alive; *ttl_left (may be NULL) what etcd granted.  -ENOENT when
 * the lease expired or was revoked (grant a new one and put again). */
int etcd_lease_keepalive(struct etcd_client *c, int64_t lease, int64_t *ttl_left,
			 struct bgx_err *err);
int etcd_lease_revoke(struct etcd_client *c, int64_t lease, struct bgx_err *err);

/* ---- watch ------------------------------------------------------------ */

enum etcd_event_type { ETCD_EVENT_PUT, ETCD_EVENT_DELETE };

struct etcd_event {
	enum etcd_event_type type;
	struct etcd_kv kv;              /* for a delete: key and mod_revision only */
};

/*
 * What a watch hands over, in revision order, each change exactly once:
 * - snapshot false: `events` happened after everything delivered before.
 * - snapshot true: the history the watch needed was compacted away, so it
 *   read the whole prefix again: `events` (all PUT) is the complete state
 *   at `revision`; forget what was known before.
 * Everything up to `revision` has been delivered.  Valid during the call.
 */
struct etcd_watch_batch {
	bool snapshot;
	const struct etcd_event *events;
	size_t n_events;
	int64_t revision;
};

typedef void (*etcd_watch_fn)(const struct etcd_watch_batch *batch, void *ctx);

struct etcd_watch;

/* Watch every key under `prefix` from `start_revision` (0: from now; to
 * follow a read, pass its revision + 1).  Connects on the first poll. */
int etcd_watch_open(struct etcd_client *c, const char *prefix, int64_t start_revision,
		    etcd_watch_fn fn, void *ctx, struct etcd_watch **watch, struct bgx_err *err);

/*
 * Wait up to timeout_ms for changes and hand them to fn.  Reconnects by
 * itself (next endpoint, backoff 100 ms doubling to 2 s) from the revision
 * after the last one delivered, so nothing is missed or repeated across a
 * reconnect.  Returns the number of batches delivered (>= 0), or a negative
 * errno while the watch is not connected (err says why; it keeps trying).
 * Returns early after a batch or etcd_watch_interrupt().
 */
int etcd_watch_poll(struct etcd_watch *w, int timeout_ms, struct bgx_err *err);

/* From any thread: make a waiting etcd_watch_poll() return now. */
void etcd_watch_interrupt(struct etcd_watch *w);

/* Drop the stream now, as a network cut would; the next poll reconnects. */
void etcd_watch_disconnect(struct etcd_watch *w);

struct etcd_watch_status {
	bool connected;                 /* the stream is up and etcd confirmed it */
	int64_t next_revision;          /* the revision it resumes from */
	unsigned reconnects;            /* streams started after the first */
	unsigned snapshots;             /* compactions it recovered from */
};

void etcd_watch_get_status(const struct etcd_watch *w, struct etcd_watch_status *st);
void etcd_watch_close(struct etcd_watch *w);

#endif
