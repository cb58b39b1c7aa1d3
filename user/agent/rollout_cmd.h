/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * rollout_cmd.h - the runs of `rollout start|status|pause|resume|promote|
 * abort` and `set --verify`, in the agent's program (their tables are in
 * user/cli/cmd_rollout.c and cmd_traffic.c).
 *   rollout_cmd.c    start and set --verify: the spec from the options, the
 *                    request to the agent (or --foreground), --wait;
 *   rollout_verbs.c  the request to the agent (rollout_ask_agent), the verbs
 *                    (through it, or under its lock when none runs) and
 *                    --foreground's loop;
 *   rollout_watch.c  status and --watch/--wait: the state file, rendered.
 */
#ifndef BGXDP_ROLLOUT_CMD_H
#define BGXDP_ROLLOUT_CMD_H

#include "cli.h"
#include "rollout.h"

struct rollout_component;

int run_rollout_start(const void *params, struct cli *cli);
int run_set_verify(const void *params, struct cli *cli);
int run_rollout_status(const void *params, struct cli *cli);
int run_rollout_pause(const void *params, struct cli *cli);
int run_rollout_resume(const void *params, struct cli *cli);
int run_rollout_promote(const void *params, struct cli *cli);
int run_rollout_abort(const void *params, struct cli *cli);

/* The service a rollout command is about: `given`, else the instance's
 * only service.  0 and name[], or -errno with cli->err. */
int rollout_service(struct cli *cli, const char *given, char name[BGXDP_NAME_LEN]);

/* Hand a request to the agent on the state dir (the command line goes
 * with it, for the history) and wait until it is taken; the agent's answer
 * is the command's: 0, or -errno with cli->err.  `body` stays the caller's. */
int rollout_ask_agent(struct cli *cli, json_t *body);

/* Drive the rollout of `spec` from this process (no agent runs): start it,
 * tick until it ends or SIGINT/SIGTERM, printing its decisions. */
int rollout_foreground(struct cli *cli, const struct rollout_spec *spec);

/* Print each decision of the service's rollout as it comes, until it ends:
 * 0 when it succeeded, -ECANCELED (with the reason) when it was aborted,
 * -ETIMEDOUT after timeout_ms (0: never). */
int rollout_watch(struct cli *cli, const char *service, uint64_t timeout_ms);
/* Print the decisions made since `*seen` (a count of decisions). */
void rollout_print_new(struct cli *cli, const struct rollout_state *st, uint64_t *seen);
/* The end of a rollout as the command's result. */
int rollout_result(struct cli *cli, const struct rollout_state *st);

#endif
