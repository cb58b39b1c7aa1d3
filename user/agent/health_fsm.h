/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * health_fsm.h - the pure part of health checking: rise/fall counting, which
 * cadence applies, when the next check is due, and the per-target jitter.
 * No clock and no I/O: times are passed in (milliseconds on any monotonic
 * scale), so the engine and the tests (with a fake clock) drive the same
 * code.  The rules are documented in health.h.
 */
#ifndef BGXDP_HEALTH_FSM_H
#define BGXDP_HEALTH_FSM_H

#include <stdbool.h>
#include <stdint.h>
#include "health.h"

struct health_fsm {
	enum health_state state;
	uint32_t passes, fails;         /* consecutive */
	bool suspected;
};

void health_fsm_init(struct health_fsm *f, enum health_state initial);

/* Count one finished check; returns the state after it (compare with the
 * state before to see a transition).  Ignored while off. */
enum health_state health_fsm_record(struct health_fsm *f, const struct health_settings *s,
				    bool passed);

/* Mark an up target suspected; false if that changes nothing (not up, or
 * already suspected), so the caller does not reschedule twice. */
bool health_fsm_suspect(struct health_fsm *f);

/* Checks on (true) or off (false) for the target's service. */
void health_fsm_set_enabled(struct health_fsm *f, bool enabled);

/* The cadence that applies now: interval, fastinter or downinter. */
uint32_t health_fsm_cadence_ms(const struct health_fsm *f, const struct health_settings *s);

/* When the check after one that started at started_ms and finished at
 * finished_ms is due: started + cadence, but never before finished. */
uint64_t health_fsm_next_due(const struct health_fsm *f, const struct health_settings *s,
			     uint64_t started_ms, uint64_t finished_ms);

/* Delay of a target's first check: a stable hash of the target, modulo
 * jitter_pct % of the interval (0 when jitter_pct is 0). */
uint32_t health_first_check_delay_ms(const struct health_target_id *id,
				     const struct health_settings *s);

#endif
