/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cli_state.h - what a command shares with the agent through the state dir
 * (state_dir.h): the history it appends to, the agent it may wake.
 *
 * The history is written after the change is made: a journal that cannot
 * be written (a full disk, a state dir nobody may write) never turns a
 * change that was made into a failure; the command warns once on stderr.
 */
#ifndef BGXDP_CLI_STATE_H
#define BGXDP_CLI_STATE_H

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>
#include "cli.h"

/* The state dir of this command (--state-dir, $BGXDP_STATE_DIR, or
 * /var/lib/bgxdp), created 0700 if missing and checked to be trusted.
 * 0 and *dir, or -errno with cli->err filled. */
int cli_state_dir(struct cli *cli, const char **dir);

/* The same path, only resolved: nothing created or checked (for commands
 * that only read, such as status).  0, or -errno (no message kept). */
int cli_state_dir_peek(struct cli *cli, char *buf, size_t len);

/* The pid of the agent running on the state dir, 0 when none runs (or the
 * state dir cannot be read). */
pid_t cli_agent_pid(struct cli *cli);

/* Tell the agent to look at the state dir now (SIGUSR1): settings and
 * requests.  The agent also looks on its own every second, so this only
 * saves time.  Returns the agent's pid, 0 when none runs. */
pid_t cli_wake_agent(struct cli *cli);

/* One history line for this command: actor "cli", its uid and whole command
 * line, `what` ("set", "backend.add", ...), the service (NULL: none), the
 * state before and after (references stolen, NULL: left out) and a reason
 * (NULL: none).  A failure warns once on stderr and is otherwise ignored. */
void cli_history(struct cli *cli, const char *what, const char *service, json_t *before,
		 json_t *after, const char *reason);

#endif
