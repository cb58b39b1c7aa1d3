/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * health_internal.h - the engine's own structures, shared by its two files:
 * health_targets.c (what is checked: services, targets, snapshots; called
 * from any thread) and health_engine.c (the loop thread: checks, results,
 * transitions).  Everything here is guarded by health_engine.lock.
 */
#ifndef BGXDP_HEALTH_INTERNAL_H
#define BGXDP_HEALTH_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include "health.h"
#include "health_fsm.h"
#include "health_probe.h"

struct hc_service {
	char name[HEALTH_SERVICE_LEN];
	struct health_settings settings;
};

struct hc_target {
	struct health_target_id id;
	struct health_settings settings;        /* a copy of its service's */
	struct health_fsm fsm;
	int64_t since_unix_ms;
	struct health_check_result last;
	uint64_t checks[HEALTH_RESULT_COUNT];
	uint64_t due_ms;                        /* monotonic */
	uint64_t started_ms;
	struct health_probe *probe;             /* the check in flight, loop thread */
	bool cancel_probe;                      /* its result no longer counts */
	bool removed;                           /* freed by the loop with its probe */
};

struct hc_transition {
	struct health_target_status target;
	enum health_state from, to;
	char reason[256];
};

struct health_engine {
	pthread_mutex_t lock;
	struct health_prober prober;
	struct hc_service **services;
	size_t n_services, cap_services;
	struct hc_target **targets;
	size_t n_targets, cap_targets;
	uint64_t checks[HEALTH_RESULT_COUNT];
	struct hc_transition *pending;          /* to deliver on the loop thread */
	size_t n_pending, cap_pending;
	health_transition_fn on_transition;
	void *ctx;
	atomic_bool stop;
};

int64_t hc_unix_ms(void);
void hc_status(const struct hc_target *t, struct health_target_status *out);
/* Queue a transition of t (now in its new state) from `from`. */
void hc_queue_transition(struct health_engine *e, struct hc_target *t,
			 enum health_state from, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void hc_free_target(struct health_engine *e, size_t index);

#endif
