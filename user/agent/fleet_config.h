/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fleet_config.h - the agent's fleet component: one desired state for every
 * host, through etcd.
 *
 * It watches the fleet's `desired` key (fleet_store.h) and applies each new
 * revision to this host's instance exactly as `bgxdp apply -f` does
 * (bgx_config_parse_buffer -> bgx_export -> bgx_plan_build -> bgx_apply),
 * so the same diff and safety rules hold.  A revision is applied whole or
 * not at all: one that does not parse, or that the library refuses, is
 * reported (status "refused", the log, bgxdp_fleet_apply_failures_total)
 * and the instance keeps the last applied revision; if a step fails
 * midway, the last applied revision is applied again.
 *
 * It publishes this host's status (name, applied revision, config digest,
 * agent version, backends in rotation) under a lease it keeps alive, and
 * the same record without a lease for `fleet status` to remember hosts
 * that went away.  When etcd cannot be reached it keeps working on the last
 * applied state, says so (log, bgxdp_fleet_etcd_up 0), retries, and when
 * etcd answers again catches up from where its watch stopped (a lease that
 * expired meanwhile is granted again).  A restarted agent reads the
 * desired state first and applies it if the instance differs.
 *
 * The component runs in a thread of its own (an apply may take a while;
 * nothing else of the agent waits for it).  Use:
 *   fleet_config_start(&settings, &fc, &err);   ... the agent runs ...
 *   fleet_config_metrics(fc, out);              (from any thread)
 *   fleet_config_stop(fc);
 */
#ifndef BGXDP_FLEET_CONFIG_H
#define BGXDP_FLEET_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "bgx_err.h"
#include "etcd.h"
#include "fleet_store.h"

/* What the component does to the host: the library by default; tests
 * without a kernel put their own. */
struct fleet_host_ops {
	/* Bring the instance to the state of `text` (canonical YAML), as
	 * `apply -f` would; `source` names it in messages.  Nothing half
	 * done: 0, or an error with the instance as before. */
	int (*apply)(void *ctx, const char *text, size_t len, const char *source,
		     struct bgx_err *e);
	/* Steps that would bring the live state back to `text` (0: none, the
	 * instance is as it says), or -errno. */
	int (*drift)(void *ctx, const char *text, size_t len, struct bgx_err *e);
	/* Backends of the instance, and those taking new flows. */
	void (*health)(void *ctx, uint32_t *backends, uint32_t *up);
	void *ctx;
};

struct fleet_config_settings {
	struct etcd_config etcd;        /* endpoints, TLS, auth */
	const char *fleet;              /* its name */
	const char *host;               /* this host's name in the fleet */
	const char *pin_dir;            /* the instance (default ops) */
	const char *state_dir;          /* health settings, the last applied revision */
	unsigned lease_ttl_s;           /* 0: FLEET_LEASE_TTL_S */
	unsigned heartbeat_ms;          /* status refresh and drift check; 0: default */
	const struct fleet_host_ops *ops;       /* NULL: the library's */
};

#define FLEET_LEASE_TTL_S        10
#define FLEET_HEARTBEAT_MS       5000
#define FLEET_ETCD_TIMEOUT_MS    1000   /* per call: the loop stays responsive */

struct fleet_config;

/* Checks the settings (etcd URLs and files, names), reads the last applied
 * revision from the state dir and starts the thread; etcd itself need not
 * answer yet. */
int fleet_config_start(const struct fleet_config_settings *s, struct fleet_config **out,
		       struct bgx_err *e);
void fleet_config_stop(struct fleet_config *fc);

struct fleet_config_state {
	int64_t desired_revision;       /* the newest seen (0: none yet) */
	int64_t applied_revision;
	bool etcd_up;                   /* the last call to etcd was answered */
	bool in_sync;                   /* applied == desired, nothing refused or drifted */
	uint64_t applies;               /* revisions applied */
	uint64_t failures;              /* revisions refused or failed */
	uint64_t etcd_errors;           /* calls that got no answer */
	char state[FLEET_STATE_LEN];
};

void fleet_config_get_state(struct fleet_config *fc, struct fleet_config_state *st);

/* Prometheus text: bgxdp_fleet_applied_revision, bgxdp_fleet_desired_revision,
 * bgxdp_fleet_in_sync, bgxdp_fleet_etcd_up, bgxdp_fleet_applies_total,
 * bgxdp_fleet_apply_failures_total, bgxdp_fleet_etcd_errors_total. */
int fleet_config_metrics(struct fleet_config *fc, FILE *out);

#endif
