/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fleet_sync_int.h - inside the flow-sync component: fleet_sync.c (the
 * thread, the instance and its ring buffer), fleet_sync_flows.c (events
 * out, records in, refresh), fleet_sync_metrics.c.
 */
#ifndef BGXDP_FLEET_SYNC_INT_H
#define BGXDP_FLEET_SYNC_INT_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>
#include "fleet_claims.h"
#include "fleet_sync.h"
#include "libbgxdp.h"
#include "peer_flows.h"

struct ring_buffer;

struct fleet_sync {
	char pin_dir[PATH_MAX];
	char host[64];
	uint64_t host_id;

	/* the thread's own */
	pthread_t thread;
	bool thread_started;
	atomic_bool stopping;
	int wake_fd;                    /* eventfd: stop wakes poll() */
	struct flowsync_node *node;
	struct fleet_claims *claims;
	struct bgx_instance *in;        /* NULL until the instance exists */
	ino_t flows_ino;                /* of its `flows` pin: a new instance has another */
	struct ring_buffer *ring;
	int events_fd;
	uint64_t instance_check_ns;     /* monotonic: next look at the instance */
	uint64_t refresh_due_ns[2];     /* [0] TCP, [1] UDP */
	char last_log[256];

	/* shared with metrics (lock) */
	pthread_mutex_t lock;
	struct fleet_sync_stats st;
	double lag[FLEET_SYNC_LAG_SAMPLES];
	size_t lag_next;
};

uint64_t fleet_sync_clock(clockid_t id);
void fleet_sync_log(struct fleet_sync *fs, bool once, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* fleet_sync_flows.c */
int fleet_sync_on_event(void *ctx, void *data, size_t size);
void fleet_sync_deliver(const struct flowsync_header *from, const struct flowsync_record *recs,
			size_t n, void *ctx);
void fleet_sync_refresh(struct fleet_sync *fs);

#endif
