/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fleet_config_int.h - inside the fleet component (fleet_config.c: the
 * thread, watch and applies; fleet_config_etcd.c: lease, status, etcd's
 * reachability).  Not for callers: they use fleet_config.h.
 */
#ifndef BGXDP_FLEET_CONFIG_INT_H
#define BGXDP_FLEET_CONFIG_INT_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include "fleet_config.h"
#include "fleet_host.h"
#include "journal.h"

struct fleet_config {
	/* settings, copied */
	char fleet[FLEET_NAME_LEN];
	char host[FLEET_HOST_LEN];
	char pin_dir[PATH_MAX];
	char state_dir[PATH_MAX];
	char *etcd_strings[7];          /* owned copies behind `etcd` */
	struct etcd_config etcd;
	unsigned lease_ttl_s, heartbeat_ms;
	struct fleet_host host_ctx;
	struct fleet_host_ops ops;
	char key_desired[FLEET_KEY_LEN], key_host[FLEET_KEY_LEN], key_member[FLEET_KEY_LEN];

	/* the thread's own (no lock) */
	pthread_t thread;
	bool thread_started;
	atomic_bool stopping;
	struct etcd_client *client;
	struct etcd_watch *watch;
	uint64_t watch_retry_ns;        /* monotonic: when to read and watch again */
	unsigned backoff_ms;
	int64_t lease;                  /* 0: none held */
	uint64_t keepalive_due_ns;
	uint64_t heartbeat_due_ns;
	bool status_dirty;              /* publish at once */
	struct fleet_desired applied;   /* the last revision applied (config: its text) */
	struct fleet_desired pending;   /* newest seen, not applied yet (revision 0: none) */
	struct fleet_desired refused;   /* retried at each heartbeat */
	bool force_apply;               /* apply `pending` even if it is `applied` (start) */
	char last_log[BGX_ERR_MSG_LEN]; /* not repeated */
	struct journal journal;         /* the change history of the state dir */
	bool journal_ok;

	/* shared with fleet_config_metrics() and get_state() */
	pthread_mutex_t lock;
	struct fleet_config_state st;
	struct fleet_host_status status;
};

uint64_t fleet_now_ns(void);
/* One line on stderr: "bgxdp: fleet NAME: ..." (not repeated when `once`
 * and the same as the last one). */
void fleet_log(struct fleet_config *fc, bool once, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A fleet decision in the change history (actor "fleet"): `what` with
 * the revisions before and after, and the reason. */
void fleet_journal(struct fleet_config *fc, const char *what, int64_t before, int64_t after,
		   const char *reason);

/* fleet_config_etcd.c */
void fleet_etcd_failed(struct fleet_config *fc, const struct bgx_err *e);
void fleet_etcd_answered(struct fleet_config *fc);
void fleet_keep_lease(struct fleet_config *fc);
void fleet_publish_status(struct fleet_config *fc);
/* The last applied revision (its record) kept in the state dir. */
int fleet_applied_load(struct fleet_config *fc);
int fleet_applied_save(struct fleet_config *fc, struct bgx_err *e);

#endif
