/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * rollout_exec.h - a rollout's decisions carried out (rollout.h says what
 * to do, this does it): the share published through libbgxdp, the counter
 * snapshot a window starts from, the state saved, the decision in the
 * history.  The agent's rollout component and the rollout commands that
 * act without an agent (a verb while none runs, `start --foreground`) share
 * it, so a rollout is driven the same way whoever drives it.
 */
#ifndef BGXDP_ROLLOUT_EXEC_H
#define BGXDP_ROLLOUT_EXEC_H

#include <stdint.h>
#include "journal.h"
#include "rollout.h"

struct rollout_exec {
	const char *pin_dir;
	const char *state_dir;
	const struct journal *journal;
	int argc;                       /* the command line of a verb (0: the agent's own) */
	char *const *argv;
};

/* The data plane's handshake-time buckets (100 us .. 3 s). */
const struct connect_buckets *rollout_connect_buckets(void);

/* The service's counters of both colors, as analysis.h wants them, and
 * its live green share. */
int rollout_read_counts(const char *pin_dir, const char *service,
			struct color_counts counts[BGXDP_COLORS], uint32_t *green_bp,
			struct bgx_err *e);

/* Unix time in milliseconds: a rollout's clock (it survives a restart). */
uint64_t rollout_now_ms(void);

int rollout_save(const char *state_dir, const struct rollout_state *st, struct bgx_err *e);
/* -ENOENT (no message) when the service has no rollout state. */
int rollout_load(const char *state_dir, const char *service, struct rollout_state *st,
		 struct bgx_err *e);

/* Carry out `out`: publish (state saved as pending first), new window,
 * save, history.  A publish the library refuses leaves the state pending
 * (the next rollout_execute_pending() tries again) and returns its error. */
int rollout_execute(const struct rollout_exec *x, struct rollout_state *st,
		    const struct rollout_output *out, struct bgx_err *e);
/* A publish left pending: try it again. */
int rollout_execute_pending(const struct rollout_exec *x, struct rollout_state *st,
			    struct bgx_err *e);

/* The services that have a rollout state, sorted; at most `max`. */
int rollout_list(const char *state_dir, char (*names)[BGXDP_NAME_LEN], size_t max, size_t *n,
		 struct bgx_err *e);

#endif
