/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * rollout.h - the progressive rollout controller: a pure state machine
 * (no I/O, no clock: the caller passes `now`), its durable state file, and
 * what it exports to the history journal and to /metrics.
 *
 * A rollout raises the share of new flows of the rising color through
 * steps (basis points, strictly rising, the last one 100 %).  Each step is
 * held for `interval` while the caller feeds analyses of the window since
 * the step's share was published:
 *   - a failing analysis acts at once, even before the interval is over:
 *     abort (publish the share from before the rollout) or pause;
 *   - at the end of the interval a passing analysis advances to the next
 *     step (or pauses at a --pause-at gate, or succeeds after the last);
 *     an inconclusive one extends the step by one interval, up to
 *     max_extensions times, then pauses with the reason.
 * `set COLOR --verify DUR` is the same machine with one step at 100 % and
 * interval DUR: a failure within DUR flips back (abort).
 *
 * The caller's loop (the agent):
 *   1. rollout_start() (or rollout_state_load() + rollout_recover() after a
 *      restart); every call fills a struct rollout_output;
 *   2. out.action == ROLLOUT_PUBLISH: save the state (it says "publish
 *      pending"), publish out.green_share_bp through the library, then
 *      rollout_publish_done() and save again;
 *   3. out.new_window: snapshot both colors' counters into the state's
 *      window_base (rollout_set_window_base) - windows run from there;
 *   4. out.has_decision: append rollout_decision_journal() to the history;
 *   5. every tick: analysis of the window base -> now, rollout_on_analysis();
 *      operator verbs: rollout_on_command().
 * Every function changes the state only when it returns 0.
 *
 * Restart: the state file keeps the step start and the counter snapshot
 * the window started from, so a restarted agent continues the step's timing
 * and window.  If the file says a publish was pending, or the live share is
 * not the one the rollout published, rollout_recover() decides: the share
 * itself is one atomic word, so it is always either the old or the new
 * value; an unknown value (changed by hand meanwhile) holds the rollout
 * (paused, with the reason) instead of overwriting it.
 */
#ifndef BGXDP_ROLLOUT_H
#define BGXDP_ROLLOUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>
#include "analysis.h"
#include "bgx_err.h"
#include "bgxdp.h"

#define ROLLOUT_MAX_STEPS      16
#define ROLLOUT_LOG_LEN        8       /* decisions kept in the state file */
#define ROLLOUT_REASON_LEN     (ANALYSIS_SUMMARY_LEN + 96)
#define ROLLOUT_ACTOR_LEN      64
#define ROLLOUT_URL_LEN        512
#define ROLLOUT_MIN_INTERVAL_MS 100

enum rollout_phase {
	ROLLOUT_RUNNING,
	ROLLOUT_PAUSED,
	ROLLOUT_SUCCEEDED,
	ROLLOUT_ABORTED,
};
#define ROLLOUT_PHASES 4

enum rollout_on_failure {
	ROLLOUT_ON_FAILURE_ABORT,
	ROLLOUT_ON_FAILURE_PAUSE,
};

/* What the operator asked for (typed: the CLI parsed it). */
struct rollout_spec {
	char service[BGXDP_NAME_LEN];
	uint32_t rising_color;                  /* BGXDP_BLUE / BGXDP_GREEN */
	uint32_t steps_bp[ROLLOUT_MAX_STEPS];   /* share of the rising color */
	bool gate[ROLLOUT_MAX_STEPS];           /* --pause-at: wait for promote */
	unsigned n_steps;
	uint64_t interval_ms;
	enum rollout_on_failure on_failure;
	uint32_t max_extensions;                /* of an inconclusive step */
	bool verify;                            /* set COLOR --verify DUR */
	unsigned promql_timeout_ms;
	char prometheus_url[ROLLOUT_URL_LEN];   /* "" when no PromQL checks */
	struct analysis_config analysis;
};

enum rollout_event {
	ROLLOUT_EV_START,
	ROLLOUT_EV_ADVANCE,       /* step passed, next step published */
	ROLLOUT_EV_EXTEND,        /* inconclusive, step held one more interval */
	ROLLOUT_EV_PAUSE,         /* inconclusive too long, failure, gate or operator */
	ROLLOUT_EV_RESUME,
	ROLLOUT_EV_PROMOTE,       /* operator: next step now */
	ROLLOUT_EV_PROMOTE_FULL,  /* operator: 100 % now, done */
	ROLLOUT_EV_ABORT,         /* back to the share before the rollout */
	ROLLOUT_EV_SUCCEED,
	ROLLOUT_EV_HOLD,          /* restart found a share it did not publish */
	ROLLOUT_EV_RECOVER,       /* restart: continued or republished */
};

/* One decision, for the history journal and `rollout status`. */
struct rollout_decision {
	uint64_t time_ms;                       /* the caller's clock, Unix ms */
	enum rollout_event event;
	char actor[ROLLOUT_ACTOR_LEN];          /* "agent" or who typed the verb */
	unsigned step;                          /* index when it was decided */
	uint32_t green_before_bp;               /* share before -> after it */
	uint32_t green_after_bp;
	enum rollout_phase phase;               /* phase after it */
	bool has_analysis;
	enum check_verdict verdict;
	struct check_result checks[ANALYSIS_MAX_CHECKS];
	unsigned n_checks;
	char reason[ROLLOUT_REASON_LEN];
};

struct rollout_state {
	struct rollout_spec spec;
	enum rollout_phase phase;
	unsigned step;                          /* index into spec.steps_bp */
	uint64_t started_ms;
	uint64_t step_started_ms;               /* when the step's share took effect */
	uint64_t updated_ms;
	uint32_t extensions;                    /* of the current step */
	uint32_t stable_color;
	uint32_t green_before_rollout_bp;       /* what abort publishes */
	uint32_t green_share_bp;                /* what the rollout published (or is publishing) */
	uint32_t green_previous_bp;             /* the share before a pending publish */
	bool publish_pending;                   /* asked for, not confirmed */
	bool at_gate;                           /* paused by a --pause-at gate */
	bool republish_on_resume;               /* a hold found a foreign share */
	uint32_t query_errors[ANALYSIS_MAX_QUERIES];
	struct stable_baseline baseline;
	bool has_window_base;                   /* counters the window starts from */
	uint64_t window_base_ms;
	struct color_counts window_base[BGXDP_COLORS];   /* index: color */
	bool has_last_analysis;
	struct analysis_result last_analysis;   /* for status and metrics */
	char reason[ROLLOUT_REASON_LEN];        /* of the last decision */
	struct rollout_decision log[ROLLOUT_LOG_LEN];   /* oldest first */
	unsigned log_len;
	uint64_t decisions;                     /* ever made */
};

enum rollout_action {
	ROLLOUT_NOTHING,
	ROLLOUT_PUBLISH,          /* publish green_share_bp (one atomic store) */
};

struct rollout_output {
	enum rollout_action action;
	uint32_t green_share_bp;
	uint32_t rising_share_bp;               /* the same share, of the rising color */
	bool new_window;                        /* snapshot counters as the new window base */
	/* A decision, a publish or a new window: save the state now.  The
	 * per-tick figures (last analysis, stable baseline, query error
	 * counts) change on every analysis and are saved with the next
	 * decision, so a quiet step does not fsync every tick. */
	bool save;
	bool has_decision;
	struct rollout_decision decision;
};

enum rollout_command {
	ROLLOUT_CMD_PAUSE,
	ROLLOUT_CMD_RESUME,
	ROLLOUT_CMD_PROMOTE,
	ROLLOUT_CMD_PROMOTE_FULL,
	ROLLOUT_CMD_ABORT,
};

struct rollout_start_ctx {
	uint64_t now_ms;
	uint32_t green_share_bp;                /* live share now */
	uint32_t rising_healthy;                /* healthy backends of the rising color */
	uint64_t check_interval_ms;             /* health-check interval: steps are longer */
	const struct rollout_state *current;    /* the service's saved rollout, or NULL */
	const char *actor;
};

/* ---- spec (rollout_spec.c): parse at the edge, then validate ----------- */

/* interval 0 (required), on-failure abort, 3 extensions, PromQL timeout
 * 2 s, analysis_config_defaults(). */
void rollout_spec_defaults(struct rollout_spec *spec);
/* "1,5,25,50,100" (percent, up to 2 decimals) -> steps_bp; clears gates. */
int rollout_parse_steps(const char *s, struct rollout_spec *spec, struct bgx_err *err);
/* "50" or "25,50": each must be one of the steps already parsed. */
int rollout_parse_pause_at(const char *s, struct rollout_spec *spec, struct bgx_err *err);
/* "250ms", "2s", "1m", "1h" -> ms (whole numbers, 1 ms .. 7 days). */
int rollout_parse_duration(const char *s, const char *label, uint64_t *ms, struct bgx_err *err);
/* "2x" or "2" (1 .. 1000). */
int rollout_parse_multiple(const char *s, const char *label, double *k, struct bgx_err *err);
/* A finite decimal number. */
int rollout_parse_number(const char *s, const char *label, double *v, struct bgx_err *err);
int rollout_parse_on_failure(const char *s, enum rollout_on_failure *v, struct bgx_err *err);
/* One --query with its --max/--min; name NULL: "query1", "query2", ... */
int rollout_add_query(struct rollout_spec *spec, const char *name, const char *query,
		      enum check_bound bound, double limit, struct bgx_err *err);
/* `set COLOR --verify DUR`: one step at 100 %, interval DUR. */
void rollout_spec_verify(struct rollout_spec *spec, uint64_t duration_ms);
/* Every rule, one line per refusal.  check_interval_ms 0 skips the
 * "interval below the health-check interval" rule (loading a file). */
int rollout_spec_validate(const struct rollout_spec *spec, uint64_t check_interval_ms,
			  struct bgx_err *err);

/* ---- the machine (rollout.c) ------------------------------------------- */

int rollout_start(struct rollout_state *st, const struct rollout_spec *spec,
		  const struct rollout_start_ctx *ctx, struct rollout_output *out,
		  struct bgx_err *err);
/* `result` analysed the window from the state's window base to now.  Does
 * nothing while a publish is pending or after the rollout ended. */
int rollout_on_analysis(struct rollout_state *st, uint64_t now_ms,
			const struct analysis_result *result, struct rollout_output *out,
			struct bgx_err *err);
/* -EINVAL with the reason when the verb means nothing in this phase. */
int rollout_on_command(struct rollout_state *st, uint64_t now_ms, enum rollout_command cmd,
		       const char *actor, struct rollout_output *out, struct bgx_err *err);
/* The share asked for is live: the step's time starts now. */
void rollout_publish_done(struct rollout_state *st, uint64_t now_ms);
/* After a restart, with the live green share read from the data plane. */
int rollout_recover(struct rollout_state *st, uint64_t now_ms, uint32_t live_green_bp,
		    struct rollout_output *out, struct bgx_err *err);

bool rollout_active(const struct rollout_state *st);            /* running or paused */
uint64_t rollout_step_deadline_ms(const struct rollout_state *st);
uint32_t rollout_rising_share_bp(const struct rollout_state *st);
/* The share of green that gives the rising color `rising_bp`. */
uint32_t rollout_green_share(uint32_t rising_color, uint32_t rising_bp);

const char *rollout_phase_name(enum rollout_phase phase);       /* running, ... */
const char *rollout_event_name(enum rollout_event event);       /* start, advance, ... */
const char *rollout_command_name(enum rollout_command cmd);     /* pause, ... */

/* ---- windows (rollout_window.c) --------------------------------------- */

/* The counters (cumulative, index: color) the next windows start from;
 * call right after a publish, and whenever out.new_window says so. */
void rollout_set_window_base(struct rollout_state *st, uint64_t now_ms,
			     const struct color_counts counts[BGXDP_COLORS]);
/* Analyse the window from the state's base to `now` (cumulative counters,
 * index: color) with the state's checks, stable baseline and query error
 * counts; `promql` holds one measurement per configured query (NULL if
 * none).  -EAGAIN when there is no window base yet (take one first). */
int rollout_analyse(const struct rollout_state *st, const struct color_counts now[BGXDP_COLORS],
		    const struct connect_buckets *buckets,
		    const struct promql_measurement *promql, struct analysis_result *out,
		    struct bgx_err *err);

/* ---- durable state (rollout_store.c) ----------------------------------- */

/* "<state_dir>/rollout-<service>.json"; -ENAMETOOLONG if it does not fit. */
int rollout_state_path(const char *state_dir, const char *service, char *buf, size_t len,
		       struct bgx_err *err);
/* Atomic: temp file in the same directory, fsync, rename, fsync of the dir. */
int rollout_state_save(const struct rollout_state *st, const char *path, struct bgx_err *err);
/* -ENOENT if there is none; -EINVAL for a file that is not a whole, valid
 * bgxdp rollout state (half-written, foreign, another version). */
int rollout_state_load(struct rollout_state *st, const char *path, struct bgx_err *err);

/* ---- journal and metrics (rollout_report.c) ---------------------------- */

/* One history line, the caller json_decref()s it (NULL: out of memory):
 * {"time","actor","service","what","before","after","reason","rollout":{..}}. */
json_t *rollout_decision_journal(const struct rollout_state *st,
				 const struct rollout_decision *d);
/* bgxdp_rollout_step, bgxdp_rollout_weight, bgxdp_rollout_phase and
 * bgxdp_analysis_value for each state (HELP/TYPE once); 0 or -EIO. */
int rollout_metrics_write(FILE *out, const struct rollout_state *const *states, unsigned n);

#endif
