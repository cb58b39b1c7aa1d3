/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fleet_params.h - typed parameters of the fleet commands (`fleet apply`,
 * `fleet status`, and the agent's fleet options): their tables are in
 * cmd_fleet.c, their run() in user/agent/.
 */
#ifndef BGXDP_FLEET_PARAMS_H
#define BGXDP_FLEET_PARAMS_H

#include <stdbool.h>
#include "bgxdp.h"
#include "params.h"

/* Where the fleet's etcd is and how to talk to it. */
struct fleet_etcd_params {
	const char *endpoints;          /* --etcd URL[,URL...] */
	char fleet[BGXDP_NAME_LEN];     /* --fleet NAME */
	const char *ca_file;            /* --etcd-ca FILE */
	const char *cert_file;          /* --etcd-cert FILE */
	const char *key_file;           /* --etcd-key FILE */
	const char *user;               /* --etcd-user NAME */
	const char *password_file;      /* --etcd-password-file FILE */
	__u64 timeout_ms;               /* --etcd-timeout DUR */
};

struct fleet_apply_params {
	struct fleet_etcd_params etcd;
	const char *file;
	bool dry_run;
	__u64 wait_ms;                  /* --wait DUR: 0, don't wait */
};

struct fleet_status_params {
	struct fleet_etcd_params etcd;
};

/* The agent's fleet and flow-sync options (the hidden `__fleet-agent`
 * until they become `bgxdp agent`'s). */
struct fleet_agent_params {
	struct fleet_etcd_params etcd;
	const char *host_name;          /* --host-name NAME */
	struct endpoint listen;         /* --listen ADDR:PORT (metrics) */
	const char *state_dir;          /* --state-dir DIR */
	const char *sync_listen;        /* --sync-listen ADDR:PORT */
	const char *sync_peers;         /* --sync-peer ADDR:PORT[,ADDR:PORT...] */
	const char *sync_key;           /* --sync-key FILE */
	__u64 sync_flush_ms;            /* --sync-flush DUR */
};

extern const struct cmd_spec cmd_fleet_apply, cmd_fleet_status;
/* Not in the command table: run by `bgxdp-agent __fleet-agent`. */
extern const struct cmd_spec cmd_fleet_agent_hidden;

#endif
