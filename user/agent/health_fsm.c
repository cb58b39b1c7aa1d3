// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include "health_fsm.h"

void health_fsm_init(struct health_fsm *f, enum health_state initial)
{
	memset(f, 0, sizeof(*f));
	f->state = initial;
}

/* Counts are consecutive: a pass clears the failures and the reverse.  They
 * keep running across transitions (status shows "down, 5 failures"). */
static void count(struct health_fsm *f, bool passed)
{
	if (passed) {
		f->fails = 0;
		if (f->passes < UINT32_MAX)
			f->passes++;
	} else {
		f->passes = 0;
		if (f->fails < UINT32_MAX)
			f->fails++;
	}
}

enum health_state health_fsm_record(struct health_fsm *f, const struct health_settings *s,
				    bool passed)
{
	if (f->state == HEALTH_OFF)
		return f->state;
	count(f, passed);
	switch (f->state) {
	case HEALTH_UNCHECKED:
		if (passed)
			f->state = HEALTH_UP;
		else if (f->fails >= s->fall)
			f->state = HEALTH_DOWN;
		break;
	case HEALTH_UP:
		if (f->fails >= s->fall)
			f->state = HEALTH_DOWN;
		break;
	case HEALTH_DOWN:
		if (f->passes >= s->rise)
			f->state = HEALTH_UP;
		break;
	case HEALTH_OFF:
		break;
	}
	/* A suspicion ends when it is confirmed (down) or cleared by `rise`
	 * passes in a row since it was raised. */
	if (f->suspected && (f->state == HEALTH_DOWN || f->passes >= s->rise))
		f->suspected = false;
	return f->state;
}

bool health_fsm_suspect(struct health_fsm *f)
{
	if (f->state != HEALTH_UP || f->suspected)
		return false;
	f->suspected = true;
	f->passes = 0;          /* count the passes since the suspicion */
	return true;
}

void health_fsm_set_enabled(struct health_fsm *f, bool enabled)
{
	if (!enabled) {
		health_fsm_init(f, HEALTH_OFF);
	} else if (f->state == HEALTH_OFF) {
		/* It served traffic while off: up, until `fall` failures. */
		health_fsm_init(f, HEALTH_UP);
	}
}

uint32_t health_fsm_cadence_ms(const struct health_fsm *f, const struct health_settings *s)
{
	switch (f->state) {
	case HEALTH_UP:
		return f->fails || f->suspected ? health_fastinter_ms(s) : s->interval_ms;
	case HEALTH_DOWN:
		return f->passes ? health_fastinter_ms(s) : health_downinter_ms(s);
	case HEALTH_UNCHECKED:
		return health_fastinter_ms(s);
	case HEALTH_OFF:
		break;
	}
	return s->interval_ms;
}

uint64_t health_fsm_next_due(const struct health_fsm *f, const struct health_settings *s,
			     uint64_t started_ms, uint64_t finished_ms)
{
	uint64_t due = started_ms + health_fsm_cadence_ms(f, s);

	return due > finished_ms ? due : finished_ms;
}

/* FNV-1a: stable across runs and hosts, so a target keeps its phase. */
static uint32_t fnv1a(uint32_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

uint32_t health_first_check_delay_ms(const struct health_target_id *id,
				     const struct health_settings *s)
{
	uint32_t span = (uint32_t)((uint64_t)s->interval_ms * s->jitter_pct / 100);
	uint32_t h = 2166136261u;
	uint8_t port[2] = { (uint8_t)(id->backend.port >> 8), (uint8_t)id->backend.port };
	uint8_t color = (uint8_t)id->color;

	if (!span)
		return 0;
	h = fnv1a(h, id->service, strnlen(id->service, sizeof(id->service)));
	h = fnv1a(h, &color, 1);
	h = fnv1a(h, &id->backend.family, 1);
	h = fnv1a(h, id->backend.addr, sizeof(id->backend.addr));
	h = fnv1a(h, port, sizeof(port));
	return h % span;
}
