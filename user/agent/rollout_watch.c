// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rollout_watch.c - a rollout as its state file shows it: `rollout status`
 * (text and JSON), and the decisions printed as they come for `--watch`
 * and `start --wait`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli_state.h"
#include "rollout_cmd.h"
#include "rollout_exec.h"
#include "rollout_opts.h"
#include "state_file.h"

#define WATCH_MS 100

static void clock_text(uint64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), len - strlen(buf), ".%03u", (unsigned)(ms % 1000));
}

static uint32_t rising_bp(const struct rollout_state *st, uint32_t green_bp)
{
	return rollout_green_share(st->spec.rising_color, green_bp);
}

/* "12:00:01.250  advance  green 10.00 % -> 50.00 %  step 1 of 3 ... passed" */
static void print_decision(FILE *f, const struct rollout_state *st, const struct rollout_decision *d)
{
	char when[32];
	uint32_t a = rising_bp(st, d->green_before_bp), b = rising_bp(st, d->green_after_bp);

	clock_text(d->time_ms, when, sizeof(when));
	fprintf(f, "%sZ  %-12s %s %u.%02u %% -> %u.%02u %%  %s\n", when, rollout_event_name(d->event),
		color_name(st->spec.rising_color), a / 100, a % 100, b / 100, b % 100, d->reason);
}

void rollout_print_new(struct cli *cli, const struct rollout_state *st, uint64_t *seen)
{
	uint64_t fresh = st->decisions > *seen ? st->decisions - *seen : 0;

	if (fresh > st->log_len)
		fresh = st->log_len;
	if (!cli->globals.json)
		for (unsigned i = st->log_len - (unsigned)fresh; i < st->log_len; i++)
			print_decision(cli->out, st, &st->log[i]);
	fflush(cli->out);
	*seen = st->decisions;
}

int rollout_result(struct cli *cli, const struct rollout_state *st)
{
	if (cli->globals.json) {
		FILE *f = cli_json_begin(cli);

		fputs("{\"service\":", f);
		json_write_string(f, st->spec.service);
		fprintf(f, ",\"phase\":\"%s\",\"green_share_bp\":%u,\"reason\":",
			rollout_phase_name(st->phase), st->green_share_bp);
		json_write_string(f, st->reason);
		fputs("}", f);
		cli_json_end(cli);
	}
	if (st->phase == ROLLOUT_SUCCEEDED) {
		if (!cli->globals.json)
			fprintf(cli->out, "%s of %s on %s succeeded: %s has every new flow\n",
				st->spec.verify ? "verification" : "rollout",
				color_name(st->spec.rising_color), st->spec.service,
				color_name(st->spec.rising_color));
		return 0;
	}
	return bgx_fail(&cli->err, ECANCELED, "%s of %s on %s %s: %s",
			st->spec.verify ? "verification" : "rollout",
			color_name(st->spec.rising_color), st->spec.service,
			st->spec.verify ? "failed, flipped back" : "aborted", st->reason);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int rollout_watch(struct cli *cli, const char *service, uint64_t timeout_ms)
{
	struct rollout_state *st = calloc(1, sizeof(*st));
	uint64_t start = mono_ms(), seen = 0;
	const char *dir;
	int r;

	if (!st)
		return bgx_fail(&cli->err, ENOMEM, "out of memory");
	if ((r = cli_state_dir(cli, &dir)))
		goto out;
	for (;;) {
		struct bgx_err e = { 0 };

		/* a file being replaced may not load once: the next read does */
		if (!rollout_load(dir, service, st, &e)) {
			rollout_print_new(cli, st, &seen);
			if (!rollout_active(st) && !st->publish_pending) {
				r = rollout_result(cli, st);
				break;
			}
		}
		if (timeout_ms && mono_ms() - start >= timeout_ms) {
			r = bgx_fail(&cli->err, ETIMEDOUT, "the rollout of %s is still %s after %llu ms",
				     service, rollout_phase_name(st->phase),
				     (unsigned long long)timeout_ms);
			break;
		}
		usleep(WATCH_MS * 1000);
	}
out:
	free(st);
	return r;
}

/* ---- status ------------------------------------------------------------------- */

static void print_checks(FILE *f, const struct analysis_result *a)
{
	fprintf(f, "  last analysis: %s, %llu new flows of the rising color (%llu failed), %llu "
		"of the stable (%llu failed)\n", check_verdict_name(a->verdict),
		(unsigned long long)a->rising_flows, (unsigned long long)a->rising_failures,
		(unsigned long long)a->stable_flows, (unsigned long long)a->stable_failures);
	for (unsigned i = 0; i < a->n_checks; i++) {
		const struct check_result *c = &a->checks[i];

		char value[32] = "-";

		if (c->has_value)
			snprintf(value, sizeof(value), "%.4g", c->value);
		fprintf(f, "    %-26s %-12s %-10s %s %-8g %s\n", c->name,
			check_verdict_name(c->verdict), value, check_bound_name(c->bound), c->limit,
			c->reason);
	}
}

static void print_state(FILE *f, const struct rollout_state *st)
{
	uint32_t share = rising_bp(st, st->green_share_bp);
	uint64_t now = rollout_now_ms();

	fprintf(f, "%s of %s on %s: %s, step %u of %u, %s %u.%02u %%", st->spec.verify ?
		"verification" : "rollout", color_name(st->spec.rising_color), st->spec.service,
		rollout_phase_name(st->phase), st->step + 1, st->spec.n_steps,
		color_name(st->spec.rising_color), share / 100, share % 100);
	if (rollout_active(st))
		fprintf(f, ", %.1f of %.1f s of the step", (now - st->step_started_ms) / 1000.0,
			(rollout_step_deadline_ms(st) - st->step_started_ms) / 1000.0);
	fprintf(f, "\n  %s\n", st->reason);
	if (st->has_last_analysis)
		print_checks(f, &st->last_analysis);
	fprintf(f, "  decisions (last %u of %llu):\n", st->log_len,
		(unsigned long long)st->decisions);
	for (unsigned i = 0; i < st->log_len; i++) {
		fputs("    ", f);
		print_decision(f, st, &st->log[i]);
	}
}

static int status_json(struct cli *cli, const char *dir, char (*names)[BGXDP_NAME_LEN], size_t n)
{
	FILE *f = cli_json_begin(cli);

	fputs("{\"rollouts\":[", f);
	for (size_t i = 0, shown = 0; i < n; i++) {
		char path[4200];
		json_t *doc;
		char *text;

		if (rollout_state_path(dir, names[i], path, sizeof(path), NULL) ||
		    state_file_load(path, &doc, NULL))
			continue;
		text = json_dumps(doc, JSON_COMPACT);
		fprintf(f, "%s%s", shown++ ? "," : "", text ? text : "null");
		free(text);
		json_decref(doc);
	}
	fputs("]}", f);
	return cli_json_end(cli);
}

int run_rollout_status(const void *params, struct cli *cli)
{
	const struct rollout_verb_params *p = params;
	char names[BGXDP_MAX_SERVICES][BGXDP_NAME_LEN];
	struct rollout_state *st;
	const char *dir;
	size_t n;
	int r;

	if ((r = cli_state_dir(cli, &dir)) ||
	    (r = rollout_list(dir, names, BGXDP_MAX_SERVICES, &n, &cli->err)))
		return r;
	if (p->service[0]) {
		snprintf(names[0], BGXDP_NAME_LEN, "%s", p->service);
		n = 1;
	}
	if (p->watch)
		return n == 1 ? rollout_watch(cli, names[0], p->wait_timeout_ms)
			      : bgx_fail(&cli->err, EINVAL, "--watch: say which rollout with --service");
	if (cli->globals.json)
		return status_json(cli, dir, names, n);
	if (!(st = calloc(1, sizeof(*st))))
		return bgx_fail(&cli->err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n && !r; i++)
		if (!(r = rollout_load(dir, names[i], st, &cli->err)))
			print_state(cli->out, st);
	if (r == -ENOENT)
		r = bgx_fail(&cli->err, ENOENT, "service %s has no rollout", names[0]);
	if (!n)
		fprintf(cli->out, "no rollout (start one with 'bgxdp rollout start')\n");
	free(st);
	return r;
}
