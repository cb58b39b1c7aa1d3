/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fleet_params.h - typed parameters of the fleet commands (`fleet apply`,
 * `fleet status`: their tables are in cmd_fleet.c) and of the agent's fleet
 * options (cmd_agent.c); their run() is in user/agent/.
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

/* `bgxdp agent`'s fleet options (its table: cmd_agent.c; the components
 * they start: user/agent/fleet_components.h).  All unset: no fleet. */
struct agent_fleet_params {
	struct fleet_etcd_params etcd;
	const char *host_name;          /* --host-name NAME */
	const char *sync_listen;        /* --sync-listen ADDR:PORT */
	struct param_seq sync_peers;    /* --sync-peer ADDR:PORT[,ADDR:PORT...], repeatable */
	const char *sync_key;           /* --sync-key FILE */
	__u64 sync_flush_ms;            /* --sync-flush DUR */
};

extern const struct cmd_spec cmd_fleet_apply, cmd_fleet_status;

#define FLEET_ETCD_HELP \
	"etcd's client URLs, tried in order: http://HOST:PORT or https://HOST:PORT\n" \
	"      (IPv6 as http://[ADDR]:PORT), comma-separated."

/* The etcd options of every command that talks to the fleet's etcd: the
 * struct fleet_etcd_params at `etcd` in `st`; `req`: --etcd and --fleet
 * required. */
#define FLEET_ETCD_PARAMS(st, etcd, req)                                              \
	PARAM_OPT(st, etcd.endpoints, P_STRING, "etcd", "URL[,URL...]", .required = req, \
		  .help = FLEET_ETCD_HELP),                                             \
	PARAM_OPT(st, etcd.fleet, P_NAME, "fleet", "NAME", .required = req,            \
		  .help = "The fleet: its keys live under /bgxdp/fleet/NAME/ in etcd."),  \
	PARAM_OPT(st, etcd.ca_file, P_STRING, "etcd-ca", "FILE",                       \
		  .help = "CA certificate that signed etcd's (https://); default: the system's."), \
	PARAM_OPT(st, etcd.cert_file, P_STRING, "etcd-cert", "FILE",                   \
		  .help = "Client certificate, when etcd asks for one (with --etcd-key)."), \
	PARAM_OPT(st, etcd.key_file, P_STRING, "etcd-key", "FILE",                     \
		  .help = "The client certificate's private key."),                     \
	PARAM_OPT(st, etcd.user, P_STRING, "etcd-user", "NAME",                        \
		  .help = "etcd user, when etcd has authentication on (with --etcd-password-file)."), \
	PARAM_OPT(st, etcd.password_file, P_STRING, "etcd-password-file", "FILE",      \
		  .help = "File whose first line is the etcd user's password; not readable by\n" \
			  "      others (mode 0600 or 0640)."),                          \
	PARAM_OPT(st, etcd.timeout_ms, P_DURATION, "etcd-timeout", "DUR", .def = "2s",  \
		  .min = 100, .max = 60000,                                             \
		  .help = "How long each etcd endpoint gets to answer a call.")

/* The agent's host name and flow-sync options: the struct
 * agent_fleet_params at `f` in `st` (its etcd options: FLEET_ETCD_PARAMS). */
#define AGENT_FLEET_SYNC_PARAMS(st, f)                                                \
	PARAM_OPT(st, f.host_name, P_STRING, "host-name", "NAME",                      \
		  .help = "This host's name in the fleet and in flow sync (default: the\n" \
			  "      system's host name)."),                                 \
	PARAM_OPT(st, f.sync_listen, P_STRING, "sync-listen", "ADDR:PORT",             \
		  .help = "Receive the peers' flow-sync datagrams (UDP) there; IPv6 as\n" \
			  "      [::1]:PORT.  Needs --sync-key."),                        \
	PARAM_OPT(st, f.sync_peers, P_SEQ, "sync-peer", "ADDR:PORT",                    \
		  .help = "Another host's --sync-listen address, sent this host's new and\n" \
			  "      closing flows; repeatable, or comma-separated.  Needs --sync-key."), \
	PARAM_OPT(st, f.sync_key, P_STRING, "sync-key", "FILE",                        \
		  .help = "The fleet's shared flow-sync key: 64 hex digits, mode 0600, the\n" \
			  "      same file on every host.  Needs --sync-listen or --sync-peer."), \
	PARAM_OPT(st, f.sync_flush_ms, P_DURATION, "sync-flush", "DUR",                \
		  .def = "5ms", .min = 1, .max = 10000,                                 \
		  .help = "How long a flow record may wait for others to share its datagram.")

#endif
