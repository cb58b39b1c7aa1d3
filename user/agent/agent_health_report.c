// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * agent_health_report.c - the health component's inputs and outputs other
 * than checks: the data plane's passive signals (a backend whose SYNs go
 * unanswered or that resets is checked again at once), its /metrics
 * families, and <state dir>/agent-status.json for `bgxdp status`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "agent_health.h"
#include "agent_status.h"
#include "state_file.h"
#include "prometheus.h"

/* ---- passive signals ------------------------------------------------------- */

/* Ticks in a row that sent SYNs to a backend and saw no SYN-ACK from it
 * before it is suspected: a healthy backend answers within a millisecond,
 * and two ticks (at least AGENT_TICK_MS apart) rule out a SYN sent at the
 * very end of one tick. */
#define SILENT_TICKS 2

#ifdef BGXDP_CONNECT_BUCKETS
static struct hc_passive *passive_of(struct health_component *hc, const struct health_target_id *id)
{
	struct hc_passive *grown;

	for (size_t i = 0; i < hc->n_passive; i++)
		if (health_target_id_equal(&hc->passive[i].id, id))
			return &hc->passive[i];
	grown = realloc(hc->passive, (hc->n_passive + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	hc->passive = grown;
	memset(&grown[hc->n_passive], 0, sizeof(*grown));
	grown[hc->n_passive].id = *id;
	return &grown[hc->n_passive++];
}

static void suspect(struct health_component *hc, const struct health_target_id *id,
		    const char *why)
{
	struct health_target_status st;
	char name[128];

	if (health_get_target(hc->engine, id, &st) || st.state != HEALTH_UP || st.suspected)
		return;
	if (health_suspect(hc->engine, id))
		return;
	health_format_target(id, name, sizeof(name));
	agent_log("%s suspected: %s; checking it again now", name, why);
}

static void backend_signals(struct health_component *hc, const struct bgx_service_view *sv,
			    const struct bgx_backend_view *v)
{
	struct health_target_id id = { .color = v->color, .backend = v->ep };
	const struct backend_counters *c = &v->counters;
	struct hc_passive *p;
	char why[96];

	snprintf(id.service, sizeof(id.service), "%s", sv->name);
	if (!(p = passive_of(hc, &id)))
		return;
	if (p->seen && c->resets > p->resets) {
		snprintf(why, sizeof(why), "%llu resets from it",
			 (unsigned long long)(c->resets - p->resets));
		suspect(hc, &id, why);
	}
	if (p->seen && c->synacks > p->synacks)
		p->silent_ticks = 0;
	else if (p->seen && c->syns > p->syns && ++p->silent_ticks >= SILENT_TICKS) {
		snprintf(why, sizeof(why), "%llu SYNs without a SYN-ACK",
			 (unsigned long long)(c->syns - p->syns));
		suspect(hc, &id, why);
	}
	p->syns = c->syns;
	p->synacks = c->synacks;
	p->resets = c->resets;
	p->seen = true;
}
#endif

void hc_passive_tick(struct health_component *hc, const struct bgx_snapshot *snap)
{
#ifdef BGXDP_CONNECT_BUCKETS
	for (__u32 s = 0; s < snap->n_services; s++)
		for (__u32 b = 0; b < snap->services[s].n_backends; b++)
			backend_signals(hc, &snap->services[s], &snap->services[s].backends[b]);
#else
	/* The data plane of this build counts no SYNs per backend yet. */
	(void)hc;
	(void)snap;
#endif
}

/* ---- /metrics ------------------------------------------------------------- */

static void put_target(FILE *out, const char *name, const struct health_target_id *id)
{
	char ep[ENDPOINT_STRLEN];

	format_endpoint(id->backend.addr, htons(id->backend.port), id->backend.family, ep,
			sizeof(ep));
	fprintf(out, "%s{service=\"", name);
	prometheus_label_value(out, id->service);
	fprintf(out, "\",color=\"%s\",backend=\"", color_name(id->color));
	prometheus_label_value(out, ep);
	fputc('"', out);
}

int hc_metrics(struct agent *a, void *state, FILE *out)
{
	struct health_component *hc = state;
	struct health_snapshot snap;
	struct bgx_err e = { 0 };

	(void)a;
	if (health_snapshot(hc->engine, &snap, &e))
		return -ENOMEM;
	fputs("# HELP bgxdp_backend_health_checks_total Health checks of a backend, by result.\n"
	      "# TYPE bgxdp_backend_health_checks_total counter\n", out);
	for (size_t i = 0; i < snap.n; i++)
		for (int r = HEALTH_RESULT_OK; r < HEALTH_RESULT_COUNT; r++) {
			put_target(out, "bgxdp_backend_health_checks_total", &snap.targets[i].id);
			fprintf(out, ",result=\"%s\"} %llu\n", health_result_name(r),
				(unsigned long long)snap.targets[i].checks[r]);
		}
	fputs("# HELP bgxdp_backend_healthy 1 while the backend passes its health checks, 0 while "
	      "it fails them or has not passed one yet.\n"
	      "# TYPE bgxdp_backend_healthy gauge\n", out);
	for (size_t i = 0; i < snap.n; i++) {
		if (snap.targets[i].state == HEALTH_OFF)
			continue;
		put_target(out, "bgxdp_backend_healthy", &snap.targets[i].id);
		fprintf(out, "} %d\n", snap.targets[i].state == HEALTH_UP);
	}
	fputs("# HELP bgxdp_backend_check_seconds How long the last health check of the backend "
	      "took.\n# TYPE bgxdp_backend_check_seconds gauge\n", out);
	for (size_t i = 0; i < snap.n; i++) {
		if (snap.targets[i].last.result == HEALTH_RESULT_NONE)
			continue;
		put_target(out, "bgxdp_backend_check_seconds", &snap.targets[i].id);
		fprintf(out, "} %.6f\n", snap.targets[i].last.latency_us / 1e6);
	}
	health_snapshot_free(&snap);
	return ferror(out) ? -EIO : 0;
}

/* ---- agent-status.json ------------------------------------------------------ */

static json_t *target_json(const struct health_target_status *t)
{
	char ep[ENDPOINT_STRLEN];
	json_t *checks = json_object();

	for (int r = HEALTH_RESULT_OK; checks && r < HEALTH_RESULT_COUNT; r++)
		json_object_set_new(checks, health_result_name(r), json_integer((json_int_t)t->checks[r]));
	format_endpoint(t->id.backend.addr, htons(t->id.backend.port), t->id.backend.family, ep,
			sizeof(ep));
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:I, s:I, s:{s:s, s:i, s:I, s:I, s:s}, s:o*}",
			 "service", t->id.service, "color", color_name(t->id.color), "backend", ep,
			 "state", health_state_name(t->state), "since_ms", (json_int_t)t->since_unix_ms,
			 "suspected", t->suspected, "passes", (json_int_t)t->passes,
			 "fails", (json_int_t)t->fails,
			 "last", "result", health_result_name(t->last.result),
			 "http_status", t->last.http_status, "latency_us", (json_int_t)t->last.latency_us,
			 "at_ms", (json_int_t)t->last.at_unix_ms, "detail", t->last.detail,
			 "checks", checks);
}

void hc_write_status(struct health_component *hc)
{
	struct health_snapshot snap;
	struct bgx_err e = { 0 };
	char path[PATH_MAX + 32];
	json_t *doc, *targets;

	pthread_mutex_lock(&hc->lock);
	hc->status_dirty = false;
	pthread_mutex_unlock(&hc->lock);
	if (health_snapshot(hc->engine, &snap, &e))
		return;
	targets = json_array();
	for (size_t i = 0; targets && i < snap.n; i++)
		json_array_append_new(targets, target_json(&snap.targets[i]));
	health_snapshot_free(&snap);
	doc = json_pack("{s:i, s:I, s:o*}", "pid", (int)hc->agent->pid,
			"time_ms", (json_int_t)agent_unix_ms(), "targets", targets);
	if (!doc ||
	    state_file_path(hc->agent->state_dir, AGENT_STATUS_FILE, path, sizeof(path), &e) ||
	    state_file_write(path, doc, &e))
		agent_log("cannot write the agent's status: %s", e.msg[0] ? e.msg : "out of memory");
	json_decref(doc);
}
