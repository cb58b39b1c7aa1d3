// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rollout.c - the rollout state machine (rules in rollout.h).  Pure: the
 * caller passes the time, the analyses and the operator's verbs, and does
 * what the output asks (publish a share, snapshot counters, journal).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rollout.h"

#define AGENT "agent"

static const char *color_word(uint32_t color)
{
	return color == BGXDP_GREEN ? "green" : "blue";
}

uint32_t rollout_green_share(uint32_t rising_color, uint32_t rising_bp)
{
	return rising_color == BGXDP_GREEN ? rising_bp : BGXDP_SHARE_SCALE - rising_bp;
}

uint32_t rollout_rising_share_bp(const struct rollout_state *st)
{
	return rollout_green_share(st->spec.rising_color, st->green_share_bp);
}

static uint32_t step_green_share(const struct rollout_state *st, unsigned step)
{
	return rollout_green_share(st->spec.rising_color, st->spec.steps_bp[step]);
}

bool rollout_active(const struct rollout_state *st)
{
	return st->phase == ROLLOUT_RUNNING || st->phase == ROLLOUT_PAUSED;
}

uint64_t rollout_step_deadline_ms(const struct rollout_state *st)
{
	return st->step_started_ms + st->spec.interval_ms * (1 + (uint64_t)st->extensions);
}

/* "step 2 of 3 (50.00 %)" */
static void describe_step(const struct rollout_state *st, char *buf, size_t len)
{
	uint32_t bp = st->spec.steps_bp[st->step];

	snprintf(buf, len, "step %u of %u (%u.%02u %%)", st->step + 1, st->spec.n_steps,
		 bp / 100, bp % 100);
}

/* ---- decisions ---------------------------------------------------------- */

static void begin_decision(const struct rollout_state *st, uint64_t now, enum rollout_event ev,
			   const char *actor, struct rollout_output *out)
{
	struct rollout_decision *d = &out->decision;

	memset(d, 0, sizeof(*d));
	d->time_ms = now;
	d->event = ev;
	snprintf(d->actor, sizeof(d->actor), "%s", actor && *actor ? actor : AGENT);
	d->step = st->step;
	d->green_before_bp = st->green_share_bp;
}

static void attach_analysis(struct rollout_output *out, const struct analysis_result *res)
{
	struct rollout_decision *d = &out->decision;

	d->has_analysis = true;
	d->verdict = res->verdict;
	d->n_checks = res->n_checks;
	memcpy(d->checks, res->checks, sizeof(d->checks[0]) * res->n_checks);
}

static void append_log(struct rollout_state *st, const struct rollout_decision *d)
{
	if (st->log_len == ROLLOUT_LOG_LEN) {
		memmove(&st->log[0], &st->log[1], sizeof(st->log[0]) * (ROLLOUT_LOG_LEN - 1));
		st->log_len--;
	}
	st->log[st->log_len++] = *d;
	st->decisions++;
}

static void finish_decision(struct rollout_state *st, struct rollout_output *out,
			    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void finish_decision(struct rollout_state *st, struct rollout_output *out,
			    const char *fmt, ...)
{
	struct rollout_decision *d = &out->decision;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
	d->green_after_bp = st->green_share_bp;
	d->phase = st->phase;
	snprintf(st->reason, sizeof(st->reason), "%s", d->reason);
	st->updated_ms = d->time_ms;
	append_log(st, d);
	out->has_decision = true;
	out->save = true;
}

/* Ask the caller to publish; the step's time starts at rollout_publish_done(). */
static void ask_publish(struct rollout_state *st, uint32_t green_bp, struct rollout_output *out)
{
	st->green_previous_bp = st->green_share_bp;
	st->green_share_bp = green_bp;
	st->publish_pending = true;
	st->has_window_base = false;
	out->action = ROLLOUT_PUBLISH;
	out->green_share_bp = green_bp;
	out->rising_share_bp = rollout_green_share(st->spec.rising_color, green_bp);
	out->new_window = true;
	out->save = true;
}

void rollout_publish_done(struct rollout_state *st, uint64_t now_ms)
{
	st->publish_pending = false;
	st->republish_on_resume = false;
	st->step_started_ms = now_ms;
	st->updated_ms = now_ms;
}

/* ---- start -------------------------------------------------------------- */

static int start_refusal(const struct rollout_spec *spec, const struct rollout_start_ctx *ctx,
			 struct bgx_err *err)
{
	const char *rising = color_word(spec->rising_color);
	const struct rollout_state *cur = ctx->current;
	char step[64];
	int r = rollout_spec_validate(spec, ctx->check_interval_ms, err);

	if (r)
		return r;
	if (ctx->green_share_bp > BGXDP_SHARE_SCALE)
		return bgx_fail(err, EINVAL, "live green share %u bp is outside 0..10000",
				ctx->green_share_bp);
	if (cur && rollout_active(cur) && !strcmp(cur->spec.service, spec->service)) {
		describe_step(cur, step, sizeof(step));
		return bgx_fail(err, EBUSY,
				"service %s already has a rollout of %s %s (%s): promote, abort or wait for it",
				spec->service, color_word(cur->spec.rising_color),
				rollout_phase_name(cur->phase), step);
	}
	if (ctx->rising_healthy == 0)
		return bgx_fail(err, EHOSTDOWN, "%s of %s has no healthy backend: nothing to roll out to",
				rising, spec->service);
	if (rollout_green_share(spec->rising_color, ctx->green_share_bp) == BGXDP_SHARE_SCALE)
		return bgx_fail(err, EALREADY, "%s already gets 100 %% of the new flows of %s",
				rising, spec->service);
	return 0;
}

int rollout_start(struct rollout_state *st, const struct rollout_spec *spec,
		  const struct rollout_start_ctx *ctx, struct rollout_output *out,
		  struct bgx_err *err)
{
	uint32_t before = rollout_green_share(spec->rising_color, ctx->green_share_bp);
	int r = start_refusal(spec, ctx, err);

	if (r)
		return r;
	memset(out, 0, sizeof(*out));
	memset(st, 0, sizeof(*st));
	st->spec = *spec;
	st->phase = ROLLOUT_RUNNING;
	st->started_ms = st->step_started_ms = st->updated_ms = ctx->now_ms;
	st->stable_color = spec->rising_color == BGXDP_GREEN ? BGXDP_BLUE : BGXDP_GREEN;
	st->green_before_rollout_bp = st->green_share_bp = ctx->green_share_bp;
	begin_decision(st, ctx->now_ms, ROLLOUT_EV_START, ctx->actor, out);
	ask_publish(st, step_green_share(st, 0), out);
	if (spec->verify)
		finish_decision(st, out, "%s of %s to 100 %% (from %u.%02u %%), verified for %llu ms",
				color_word(spec->rising_color), spec->service, before / 100,
				before % 100, (unsigned long long)spec->interval_ms);
	else
		finish_decision(st, out, "rollout of %s on %s: %u steps every %llu ms, from %u.%02u %%",
				color_word(spec->rising_color), spec->service, spec->n_steps,
				(unsigned long long)spec->interval_ms, before / 100, before % 100);
	return 0;
}

/* ---- analyses ----------------------------------------------------------- */

static void act_on_failure(struct rollout_state *st, uint64_t now,
			   const struct analysis_result *res, struct rollout_output *out)
{
	char step[64];

	describe_step(st, step, sizeof(step));
	if (st->spec.on_failure == ROLLOUT_ON_FAILURE_PAUSE) {
		if (st->phase == ROLLOUT_PAUSED)
			return;
		begin_decision(st, now, ROLLOUT_EV_PAUSE, AGENT, out);
		attach_analysis(out, res);
		st->phase = ROLLOUT_PAUSED;
		finish_decision(st, out, "paused at %s: %s", step, res->summary);
		return;
	}
	begin_decision(st, now, ROLLOUT_EV_ABORT, AGENT, out);
	attach_analysis(out, res);
	st->phase = ROLLOUT_ABORTED;
	st->at_gate = false;
	ask_publish(st, st->green_before_rollout_bp, out);
	finish_decision(st, out, "%s at %s: %s", st->spec.verify ? "flipped back" : "aborted",
			step, res->summary);
}

static void step_passed(struct rollout_state *st, uint64_t now, const struct analysis_result *res,
			struct rollout_output *out)
{
	char step[64];

	describe_step(st, step, sizeof(step));
	if (st->spec.gate[st->step]) {
		begin_decision(st, now, ROLLOUT_EV_PAUSE, AGENT, out);
		attach_analysis(out, res);
		st->phase = ROLLOUT_PAUSED;
		st->at_gate = true;
		finish_decision(st, out, "%s passed (%s); gate: waiting for promote", step,
				res->summary);
	} else if (st->step + 1 == st->spec.n_steps) {
		begin_decision(st, now, ROLLOUT_EV_SUCCEED, AGENT, out);
		attach_analysis(out, res);
		st->phase = ROLLOUT_SUCCEEDED;
		finish_decision(st, out, "%s passed (%s): %s gets every new flow", step,
				res->summary, color_word(st->spec.rising_color));
	} else {
		begin_decision(st, now, ROLLOUT_EV_ADVANCE, AGENT, out);
		attach_analysis(out, res);
		st->step++;
		st->extensions = 0;
		ask_publish(st, step_green_share(st, st->step), out);
		finish_decision(st, out, "%s passed (%s): next %u.%02u %%", step, res->summary,
				st->spec.steps_bp[st->step] / 100, st->spec.steps_bp[st->step] % 100);
	}
}

static void step_inconclusive(struct rollout_state *st, uint64_t now,
			      const struct analysis_result *res, struct rollout_output *out)
{
	char step[64];

	describe_step(st, step, sizeof(step));
	if (st->extensions < st->spec.max_extensions) {
		begin_decision(st, now, ROLLOUT_EV_EXTEND, AGENT, out);
		attach_analysis(out, res);
		st->extensions++;
		finish_decision(st, out, "%s extended (%u of %u): %s", step, st->extensions,
				st->spec.max_extensions, res->summary);
		return;
	}
	begin_decision(st, now, ROLLOUT_EV_PAUSE, AGENT, out);
	attach_analysis(out, res);
	st->phase = ROLLOUT_PAUSED;
	finish_decision(st, out, "%s (%s held %u intervals)", res->summary, step,
			1 + st->extensions);
}

int rollout_on_analysis(struct rollout_state *st, uint64_t now_ms,
			const struct analysis_result *res, struct rollout_output *out,
			struct bgx_err *err)
{
	if (!res)
		return bgx_fail(err, EINVAL, "rollout: no analysis result");
	memset(out, 0, sizeof(*out));
	if (!rollout_active(st) || st->publish_pending)
		return 0;
	st->has_last_analysis = true;
	st->last_analysis = *res;
	st->baseline = res->baseline;
	memcpy(st->query_errors, res->query_errors, sizeof(st->query_errors));
	if (res->verdict == VERDICT_FAIL) {
		act_on_failure(st, now_ms, res, out);
		return 0;
	}
	/* A clock that went back holds the step: elapsed time never counts
	 * from the future. */
	if (st->phase == ROLLOUT_PAUSED || now_ms < rollout_step_deadline_ms(st))
		return 0;
	if (res->verdict == VERDICT_PASS)
		step_passed(st, now_ms, res, out);
	else
		step_inconclusive(st, now_ms, res, out);
	return 0;
}

/* ---- operator verbs ----------------------------------------------------- */

static int command_refusal(const struct rollout_state *st, enum rollout_command cmd,
			   struct bgx_err *err)
{
	const char *verb = rollout_command_name(cmd);
	char step[64];

	if ((unsigned)cmd > ROLLOUT_CMD_ABORT)
		return bgx_fail(err, EINVAL, "rollout: unknown command %d", (int)cmd);
	if (!rollout_active(st))
		return bgx_fail(err, EINVAL, "the rollout of %s on %s %s: nothing to %s",
				color_word(st->spec.rising_color), st->spec.service,
				st->phase == ROLLOUT_SUCCEEDED ? "already succeeded" : "was aborted",
				verb);
	describe_step(st, step, sizeof(step));
	if (cmd == ROLLOUT_CMD_PAUSE && st->phase == ROLLOUT_PAUSED)
		return bgx_fail(err, EINVAL, "the rollout on %s is already paused at %s: %s",
				st->spec.service, step, st->reason);
	if (cmd == ROLLOUT_CMD_RESUME && st->phase == ROLLOUT_RUNNING)
		return bgx_fail(err, EINVAL, "the rollout on %s is not paused (running %s)",
				st->spec.service, step);
	if (cmd == ROLLOUT_CMD_RESUME && st->at_gate)
		return bgx_fail(err, EINVAL,
				"the rollout on %s waits at the gate of %s: promote to go on, abort to roll back",
				st->spec.service, step);
	if ((cmd == ROLLOUT_CMD_PROMOTE || cmd == ROLLOUT_CMD_PROMOTE_FULL) && st->publish_pending)
		return bgx_fail(err, EBUSY, "the rollout on %s is publishing %s; try again",
				st->spec.service, step);
	return 0;
}

static void do_promote(struct rollout_state *st, uint64_t now, bool full, const char *actor,
		       struct rollout_output *out)
{
	unsigned last = st->spec.n_steps - 1;
	unsigned from = st->step;
	bool done = full || st->step == last;

	begin_decision(st, now, full ? ROLLOUT_EV_PROMOTE_FULL : ROLLOUT_EV_PROMOTE, actor, out);
	st->at_gate = false;
	st->extensions = 0;
	st->step = done ? last : st->step + 1;
	st->phase = done ? ROLLOUT_SUCCEEDED : ROLLOUT_RUNNING;
	if (st->green_share_bp != step_green_share(st, st->step) || st->republish_on_resume)
		ask_publish(st, step_green_share(st, st->step), out);
	st->republish_on_resume = false;
	finish_decision(st, out, "promoted by %s from step %u (%u.%02u %%) to %u.%02u %%%s",
			out->decision.actor, from + 1, st->spec.steps_bp[from] / 100,
			st->spec.steps_bp[from] % 100, st->spec.steps_bp[st->step] / 100,
			st->spec.steps_bp[st->step] % 100, done ? ": done" : "");
}

int rollout_on_command(struct rollout_state *st, uint64_t now_ms, enum rollout_command cmd,
		       const char *actor, struct rollout_output *out, struct bgx_err *err)
{
	char step[64];
	int r = command_refusal(st, cmd, err);

	if (r)
		return r;
	memset(out, 0, sizeof(*out));
	describe_step(st, step, sizeof(step));
	switch (cmd) {
	case ROLLOUT_CMD_PAUSE:
		begin_decision(st, now_ms, ROLLOUT_EV_PAUSE, actor, out);
		st->phase = ROLLOUT_PAUSED;
		finish_decision(st, out, "paused by %s at %s", out->decision.actor, step);
		break;
	case ROLLOUT_CMD_RESUME:
		begin_decision(st, now_ms, ROLLOUT_EV_RESUME, actor, out);
		st->phase = ROLLOUT_RUNNING;
		st->extensions = 0;
		st->step_started_ms = now_ms;
		st->has_window_base = false;
		out->new_window = true;
		if (st->republish_on_resume)
			ask_publish(st, step_green_share(st, st->step), out);
		finish_decision(st, out, "resumed by %s at %s: the step starts over",
				out->decision.actor, step);
		break;
	case ROLLOUT_CMD_PROMOTE:
	case ROLLOUT_CMD_PROMOTE_FULL:
		do_promote(st, now_ms, cmd == ROLLOUT_CMD_PROMOTE_FULL, actor, out);
		break;
	case ROLLOUT_CMD_ABORT:
		begin_decision(st, now_ms, ROLLOUT_EV_ABORT, actor, out);
		st->phase = ROLLOUT_ABORTED;
		st->at_gate = false;
		ask_publish(st, st->green_before_rollout_bp, out);
		finish_decision(st, out, "aborted by %s at %s: green back to %u.%02u %%",
				out->decision.actor, step, st->green_before_rollout_bp / 100,
				st->green_before_rollout_bp % 100);
		break;
	}
	return 0;
}

/* ---- restart ------------------------------------------------------------ */

static void hold(struct rollout_state *st, uint64_t now, uint32_t live, struct rollout_output *out)
{
	uint32_t ours = st->green_share_bp;

	begin_decision(st, now, ROLLOUT_EV_HOLD, AGENT, out);
	out->decision.green_before_bp = live;
	st->publish_pending = false;
	st->green_share_bp = live;
	if (!rollout_active(st)) {
		finish_decision(st, out,
				"live green share %u.%02u %% is not the %u.%02u %% this rollout published: left as it is",
				live / 100, live % 100, ours / 100, ours % 100);
		return;
	}
	st->phase = ROLLOUT_PAUSED;
	st->at_gate = false;
	st->republish_on_resume = true;
	finish_decision(st, out,
			"live green share %u.%02u %% is not the %u.%02u %% this rollout published (changed by hand?): holding; resume republishes it, abort goes back to %u.%02u %%",
			live / 100, live % 100, ours / 100, ours % 100,
			st->green_before_rollout_bp / 100, st->green_before_rollout_bp % 100);
}

static void recover_pending(struct rollout_state *st, uint64_t now, uint32_t live,
			    struct rollout_output *out)
{
	uint32_t target = st->green_share_bp;

	if (live == target) {
		begin_decision(st, now, ROLLOUT_EV_RECOVER, AGENT, out);
		out->decision.green_before_bp = live;
		rollout_publish_done(st, now);
		st->has_window_base = false;
		out->new_window = true;
		finish_decision(st, out, "agent restarted after publishing green %u.%02u %%: the step starts now",
				live / 100, live % 100);
	} else if (live == st->green_previous_bp) {
		begin_decision(st, now, ROLLOUT_EV_RECOVER, AGENT, out);
		out->decision.green_before_bp = live;
		out->action = ROLLOUT_PUBLISH;
		out->green_share_bp = target;
		out->rising_share_bp = rollout_green_share(st->spec.rising_color, target);
		out->new_window = true;
		finish_decision(st, out, "agent restarted before publishing green %u.%02u %%: publishing it now",
				target / 100, target % 100);
	} else {
		hold(st, now, live, out);
	}
}

int rollout_recover(struct rollout_state *st, uint64_t now_ms, uint32_t live_green_bp,
		    struct rollout_output *out, struct bgx_err *err)
{
	char step[64];

	if (live_green_bp > BGXDP_SHARE_SCALE)
		return bgx_fail(err, EINVAL, "live green share %u bp is outside 0..10000", live_green_bp);
	memset(out, 0, sizeof(*out));
	if (st->publish_pending) {
		recover_pending(st, now_ms, live_green_bp, out);
		return 0;
	}
	if (!rollout_active(st))
		return 0;
	if (live_green_bp != st->green_share_bp) {
		hold(st, now_ms, live_green_bp, out);
		return 0;
	}
	describe_step(st, step, sizeof(step));
	begin_decision(st, now_ms, ROLLOUT_EV_RECOVER, AGENT, out);
	if (!st->has_window_base)
		out->new_window = true;
	finish_decision(st, out, "agent restarted: %s %s, %llu of %llu ms of the step done",
			rollout_phase_name(st->phase), step,
			(unsigned long long)(now_ms > st->step_started_ms ? now_ms - st->step_started_ms : 0),
			(unsigned long long)(rollout_step_deadline_ms(st) - st->step_started_ms));
	return 0;
}

/* ---- names -------------------------------------------------------------- */

const char *rollout_phase_name(enum rollout_phase p)
{
	static const char *const names[] = { "running", "paused", "succeeded", "aborted" };

	return (unsigned)p < ROLLOUT_PHASES ? names[p] : "?";
}

const char *rollout_event_name(enum rollout_event e)
{
	static const char *const names[] = {
		"start", "advance", "extend", "pause", "resume", "promote",
		"promote-full", "abort", "succeed", "hold", "recover",
	};

	return (unsigned)e < sizeof(names) / sizeof(names[0]) ? names[e] : "?";
}

const char *rollout_command_name(enum rollout_command c)
{
	static const char *const names[] = { "pause", "resume", "promote", "promote --full", "abort" };

	return (unsigned)c < sizeof(names) / sizeof(names[0]) ? names[c] : "?";
}
