// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_fleet.c - the fleet commands: one desired state for several bgxdp
 * hosts, kept in etcd.  Their run() is in user/agent/ (the agent's
 * program: libcurl, for etcd), so `bgxdp` itself never loads it.
 */
#include "commands.h"
#include "fleet_params.h"

/* ---- fleet apply ---- */

static const struct param fleet_apply_table[] = {
	PARAM_OPT(struct fleet_apply_params, file, P_STRING, "file", "FILE|-", .short_name = 'f',
		  .required = true,
		  .help = "The desired state of every host (the format of 'bgxdp apply', docs/config.md)."),
	FLEET_ETCD_PARAMS(struct fleet_apply_params, etcd, true),
	PARAM_OPT(struct fleet_apply_params, dry_run, P_FLAG, "dry-run", NULL,
		  .help = "Check the file and say which revision it would become; write nothing."),
	PARAM_OPT(struct fleet_apply_params, wait_ms, P_DURATION, "wait", "DUR",
		  .min = 1, .max = 3600000,
		  .help = "Then wait up to DUR until every host that is up has applied it, and\n"
			  "      say how long that took; exit 1 if one refused it or DUR ran out."),
	PARAM_END
};

const struct cmd_spec cmd_fleet_apply = {
	.name = "fleet apply",
	.summary = "make a file the desired state of every host of a fleet",
	.synopsis = "-f FILE|- --etcd URL[,URL...] --fleet NAME [--dry-run] [--wait DUR] [ETCD OPTIONS]",
	.description =
"  Checks FILE exactly as 'bgxdp apply -f' does (a bad file is refused with\n"
"  FILE:LINE:COL and a reason, and nothing is written), then stores its\n"
"  canonical form in etcd as the fleet's next revision.  Every 'bgxdp agent\n"
"  --etcd URL --fleet NAME' watches it and applies each new revision to its\n"
"  own host the way 'bgxdp apply -f' does (interfaces, services, backends,\n"
"  shares, health settings, in the safe order); a host that cannot apply a\n"
"  revision keeps the one before and says why in 'bgxdp fleet status'.\n"
"  The write is a transaction on the revision read: when two operators apply\n"
"  at once, one wins and the other is refused with who won, and nothing of\n"
"  theirs is written.  A file whose canonical form is the desired state\n"
"  already writes nothing (no new revision).\n",
	.params = fleet_apply_table,
	.params_size = sizeof(struct fleet_apply_params),
	.examples =
"  bgxdp fleet apply -f web.yaml --etcd http://10.0.0.5:2379 --fleet web\n"
"  bgxdp fleet apply -f web.yaml --etcd https://etcd1:2379,https://etcd2:2379 \\\n"
"      --etcd-ca ca.crt --etcd-cert client.crt --etcd-key client.key --fleet web --wait 10s\n"
"  bgxdp export | bgxdp fleet apply -f - --etcd http://10.0.0.5:2379 --fleet web\n",
	.exit_status =
"  0  the revision is written (or was the desired state already); with --wait,\n"
"     every host that is up applied it.\n"
"  1  refused (bad file, etcd unreachable, another apply won the race), or with\n"
"     --wait a host refused the revision or DUR ran out; one line on stderr.\n"
"  2  bad usage.\n",
	.in_agent = true,
};

/* ---- fleet status ---- */

static const struct param fleet_status_table[] = {
	FLEET_ETCD_PARAMS(struct fleet_status_params, etcd, true),
	PARAM_END
};

const struct cmd_spec cmd_fleet_status = {
	.name = "fleet status",
	.summary = "show every host of a fleet and whether it runs the desired revision",
	.synopsis = "--etcd URL[,URL...] --fleet NAME [ETCD OPTIONS]",
	.description =
"  Reads the fleet's desired revision and each host's status from etcd: the\n"
"  host's name, the revision it applied and its config digest, its agent's\n"
"  version, its backends in rotation, when it was last seen, and whether it\n"
"  is in sync.  A host is stale when it is not up (its agent stopped or\n"
"  cannot reach etcd: its lease expired), runs an older revision, refused\n"
"  the newest one, or was changed outside the fleet since (drifted).\n"
"  With --json: {\"fleet\", \"desired\": {\"revision\", \"digest\", \"by\",\n"
"  \"at\"} or null, \"in_sync\", \"stale\": [names], \"hosts\": [{\"host\",\n"
"  \"up\", \"state\", \"in_sync\", \"applied_revision\", \"digest\", \"version\",\n"
"  \"backends\", \"backends_up\", \"last_seen\", \"refused_revision\",\n"
"  \"error\"}]}.\n",
	.params = fleet_status_table,
	.params_size = sizeof(struct fleet_status_params),
	.examples =
"  bgxdp fleet status --etcd http://10.0.0.5:2379 --fleet web\n"
"  bgxdp fleet status --etcd http://10.0.0.5:2379 --fleet web --json | jq '.stale'\n",
	.exit_status =
"  0  every host is in sync with the desired revision.\n"
"  1  a host is stale (the table says which and why), or etcd cannot be\n"
"     read; one line on stderr.\n"
"  2  bad usage.\n",
	.in_agent = true,
};
