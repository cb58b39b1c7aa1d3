/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * state_dir.h - where bgxdp keeps durable state (history, rollout state,
 * stored health settings), and the lock that lets one agent run per state
 * dir.  The CLI and the agent of one instance use the same state dir.
 *
 * Depends on: bgx_err.h only.
 *
 * A state dir is trusted when it is owned by root or the caller and not
 * writable by group or others, and so is every directory above it (an
 * ancestor may be writable if it has the sticky bit, like /tmp): whoever can
 * write there could rewrite the history or the stored settings.
 */
#ifndef BGXDP_STATE_DIR_H
#define BGXDP_STATE_DIR_H

#include <stddef.h>
#include <sys/types.h>
#include "bgx_err.h"

#define STATE_DIR_DEFAULT "/var/lib/bgxdp"
#define STATE_DIR_ENV     "BGXDP_STATE_DIR"
#define AGENT_LOCK_FILE   "agent.lock"

/* The `--state-dir` value if given (non-NULL), else $BGXDP_STATE_DIR if set
 * and not empty, else /var/lib/bgxdp, copied to out.  It must be absolute:
 * the CLI and the agent run from different directories. */
int state_dir_resolve(const char *flag_value, char *out, size_t len, struct bgx_err *err);

/* Create `path` (and missing parents) with mode 0700 if it does not exist,
 * then check it is a trusted directory (see the top); -EPERM with the fix
 * named otherwise. */
int state_dir_prepare(const char *path, struct bgx_err *err);

struct agent_lock {
	int fd;                 /* -1: not held */
};

/* Take <state_dir>/agent.lock (flock, with this pid written inside) for as
 * long as the process lives or until agent_lock_release().  -EBUSY with
 * "... held by pid N" when another agent has it. */
int agent_lock_acquire(const char *state_dir, struct agent_lock *lock, struct bgx_err *err);
void agent_lock_release(struct agent_lock *lock);

/* 1 when an agent holds the lock (*pid: its pid, 0 if it wrote none), 0
 * when none does, or -errno (for `status` and for commands that need a
 * running agent). */
int agent_lock_holder(const char *state_dir, pid_t *pid, struct bgx_err *err);

#endif
