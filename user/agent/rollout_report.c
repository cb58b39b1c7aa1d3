// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rollout_report.c - what a rollout tells the outside: one history journal
 * line per decision, and its gauges for /metrics.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rollout_json.h"
#include "prometheus.h"

/* RFC 3339, UTC, milliseconds: "2024-05-01T12:00:00.250Z". */
static void format_time(uint64_t ms, char *buf, size_t len)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char day[32];

	gmtime_r(&secs, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03uZ", day, (unsigned)(ms % 1000));
}

/* "green 10.00 %": the rising color's share for a green share. */
static void format_share(const struct rollout_state *st, uint32_t green_bp, char *buf, size_t len)
{
	uint32_t bp = rollout_green_share(st->spec.rising_color, green_bp);

	snprintf(buf, len, "%s %u.%02u %%", rj_color_name(st->spec.rising_color), bp / 100,
		 bp % 100);
}

json_t *rollout_decision_journal(const struct rollout_state *st, const struct rollout_decision *d)
{
	char when[48], before[32], after[32], what[48];
	json_t *detail = rj_decision(d);

	format_time(d->time_ms, when, sizeof(when));
	format_share(st, d->green_before_bp, before, sizeof(before));
	format_share(st, d->green_after_bp, after, sizeof(after));
	snprintf(what, sizeof(what), "%s %s", st->spec.verify ? "verify" : "rollout",
		 rollout_event_name(d->event));
	if (!detail || !rj_set(detail, "color", json_string(rj_color_name(st->spec.rising_color))) ||
	    !rj_set(detail, "steps", json_integer(st->spec.n_steps)) ||
	    !rj_set(detail, "verify", json_boolean(st->spec.verify))) {
		json_decref(detail);
		return NULL;
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}",
			 "time", when, "actor", d->actor, "service", st->spec.service,
			 "what", what, "before", before, "after", after, "reason", d->reason,
			 "rollout", detail);
}

/* ---- metrics ------------------------------------------------------------ */

static void put_service(FILE *out, const char *name, const struct rollout_state *st)
{
	fprintf(out, "%s{service=\"", name);
	prometheus_label_value(out, st->spec.service);
	fputc('"', out);
}

static void write_steps(FILE *out, const struct rollout_state *const *states, unsigned n)
{
	fputs("# HELP bgxdp_rollout_step Step of the service's last rollout, 1-based.\n"
	      "# TYPE bgxdp_rollout_step gauge\n", out);
	for (unsigned i = 0; i < n; i++) {
		put_service(out, "bgxdp_rollout_step", states[i]);
		fprintf(out, "} %u\n", states[i]->step + 1);
	}
	fputs("# HELP bgxdp_rollout_weight Share of new flows the rollout gives its rising color, 0 to 1.\n"
	      "# TYPE bgxdp_rollout_weight gauge\n", out);
	for (unsigned i = 0; i < n; i++) {
		put_service(out, "bgxdp_rollout_weight", states[i]);
		fprintf(out, ",color=\"%s\"} %.4f\n", rj_color_name(states[i]->spec.rising_color),
			rollout_rising_share_bp(states[i]) / (double)BGXDP_SHARE_SCALE);
	}
}

static void write_phases(FILE *out, const struct rollout_state *const *states, unsigned n)
{
	fputs("# HELP bgxdp_rollout_phase Phase of the service's last rollout: 1 for the phase it is in.\n"
	      "# TYPE bgxdp_rollout_phase gauge\n", out);
	for (unsigned i = 0; i < n; i++)
		for (unsigned p = 0; p < ROLLOUT_PHASES; p++) {
			put_service(out, "bgxdp_rollout_phase", states[i]);
			fprintf(out, ",phase=\"%s\"} %d\n", rollout_phase_name(p),
				states[i]->phase == p);
		}
}

static void write_values(FILE *out, const struct rollout_state *const *states, unsigned n)
{
	fputs("# HELP bgxdp_analysis_value What each check of the rollout's last analysis measured (ratios, seconds, backends).\n"
	      "# TYPE bgxdp_analysis_value gauge\n", out);
	for (unsigned i = 0; i < n; i++) {
		const struct analysis_result *a = &states[i]->last_analysis;

		for (unsigned c = 0; states[i]->has_last_analysis && c < a->n_checks; c++) {
			if (!a->checks[c].has_value)
				continue;
			put_service(out, "bgxdp_analysis_value", states[i]);
			fputs(",check=\"", out);
			prometheus_label_value(out, a->checks[c].name);
			fprintf(out, "\"} %.9g\n", a->checks[c].value);
		}
	}
}

int rollout_metrics_write(FILE *out, const struct rollout_state *const *states, unsigned n)
{
	if (!n)
		return 0;
	write_steps(out, states, n);
	write_phases(out, states, n);
	write_values(out, states, n);
	return ferror(out) ? -EIO : 0;
}
