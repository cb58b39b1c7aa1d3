// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * agent_health.c - the health component's hooks: what is checked comes
 * from the state dir (settings) and the instance (backends), reread every
 * AGENT_RESYNC_MS and on a reload; the checks run on a thread of their own
 * (health_run), and their transitions land in agent_health_apply.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "agent_health.h"
#include "health_desired.h"

const struct health_settings *hc_settings_of(struct health_component *hc, const char *service)
{
	for (unsigned i = 0; i < hc->n_settings; i++)
		if (!strcmp(hc->names[i], service))
			return &hc->settings[i];
	return NULL;
}

/* ---- settings ------------------------------------------------------------ */

struct loaded_settings {
	struct health_settings settings[BGXDP_MAX_SERVICES];
	char names[BGXDP_MAX_SERVICES][BGXDP_NAME_LEN];
	unsigned n;
};

static int keep_settings(const char *service, const struct health_settings *s, void *ctx)
{
	struct loaded_settings *l = ctx;

	if (l->n < BGXDP_MAX_SERVICES) {
		snprintf(l->names[l->n], sizeof(l->names[0]), "%s", service);
		l->settings[l->n++] = *s;
	}
	return 0;
}

static void report_bad(const char *service, const struct bgx_err *why, void *ctx)
{
	(void)ctx;
	agent_log("stored health settings of %s ignored: %s", service, why->msg);
}

static void load_settings(struct health_component *hc)
{
	struct loaded_settings *l = calloc(1, sizeof(*l));
	struct bgx_err e = { 0 };

	if (!l)
		return;
	if (health_settings_each(hc->agent->state_dir, keep_settings, report_bad, l, &e)) {
		agent_log("cannot read the stored health settings: %s", e.msg);
	} else {
		pthread_mutex_lock(&hc->lock);
		memcpy(hc->settings, l->settings, sizeof(hc->settings));
		memcpy(hc->names, l->names, sizeof(hc->names));
		hc->n_settings = l->n;
		pthread_mutex_unlock(&hc->lock);
	}
	free(l);
}

/* ---- targets ------------------------------------------------------------- */

static enum health_state initial_state(__u8 health)
{
	switch (health) {
	case BACKEND_HEALTH_DOWN: return HEALTH_DOWN;
	case BACKEND_HEALTH_PENDING: return HEALTH_UNCHECKED;
	default: return HEALTH_UP;
	}
}

static void target_id(const struct bgx_service_view *sv, const struct bgx_backend_view *v,
		      struct health_target_id *id)
{
	memset(id, 0, sizeof(*id));
	snprintf(id->service, sizeof(id->service), "%s", sv->name);
	id->color = v->color;
	id->backend = v->ep;
}

/* A service that nobody checks: every byte back to "not judged", so its
 * rings are the admin states' (after `health --off`, a deleted settings
 * file, an agent restarted without them). */
static void release_service(struct health_component *hc, const struct bgx_service_view *sv)
{
	struct bgx_err e = { 0 };

	health_remove_service(hc->engine, sv->name);
	for (__u32 b = 0; b < sv->n_backends; b++) {
		struct health_target_id id;

		if (sv->backends[b].health == BACKEND_HEALTH_NONE)
			continue;
		target_id(sv, &sv->backends[b], &id);
		if (hc_apply(hc, &id, BACKEND_HEALTH_NONE, "health checks are off", &e)) {
			agent_log("%s: %s", sv->name, e.msg);
			bgx_err_clear(&e);
		}
	}
}

/* The service's targets into specs[*n]; false if it is not checked. */
static bool service_targets(struct health_component *hc, const struct bgx_service_view *sv,
			    struct health_target_spec *specs, size_t *n)
{
	struct health_settings s;
	const struct health_settings *stored;
	struct bgx_err e = { 0 };

	pthread_mutex_lock(&hc->lock);
	stored = hc_settings_of(hc, sv->name);
	if (stored)
		s = *stored;
	pthread_mutex_unlock(&hc->lock);
	if (!stored || !s.enabled)
		return false;
	if (health_set_service(hc->engine, sv->name, &s, &e)) {
		agent_log("health settings of %s not applied: %s", sv->name, e.msg);
		return false;
	}
	for (__u32 b = 0; b < sv->n_backends; b++) {
		target_id(sv, &sv->backends[b], &specs[*n].id);
		specs[(*n)++].initial = initial_state(sv->backends[b].health);
	}
	return true;
}

static void resync(struct health_component *hc, const struct bgx_snapshot *snap)
{
	struct health_target_spec *specs = calloc(BGXDP_MAX_SERVICES * BGXDP_COLORS *
						  BGXDP_MAX_BACKENDS, sizeof(*specs));
	struct bgx_err e = { 0 };
	size_t n = 0;

	if (!specs)
		return;
	for (__u32 i = 0; i < snap->n_services; i++) {
		const struct bgx_service_view *sv = &snap->services[i];

		if (!service_targets(hc, sv, specs, &n))
			release_service(hc, sv);
		hc_note_service(hc, sv, "after a change of its backends or its split");
	}
	if (health_sync_targets(hc->engine, specs, n, &e))
		agent_log("health targets not updated: %s", e.msg);
	free(specs);
}

/* One look at the instance: targets every AGENT_RESYNC_MS (or now, with
 * `full`), passive signals every tick. */
static void look(struct health_component *hc, uint64_t now, bool full)
{
	struct bgx_snapshot *snap = NULL;
	struct bgx_instance *in = NULL;
	struct bgx_err e = { 0 };

	full |= now >= hc->next_resync_ms;
	if (full)
		load_settings(hc);
	if (!bgx_open(hc->agent->pin_dir, BGX_READ, &in, &e))
		bgx_snapshot(in, BGX_SNAP_COUNTERS, NULL, &snap, &e);
	bgx_close(in);
	if (!snap) {
		/* once per cause: a host of a fleet has none until its first revision */
		if (full && strcmp(hc->instance_error, e.msg)) {
			agent_log("cannot read the instance: %s", e.msg);
			snprintf(hc->instance_error, sizeof(hc->instance_error), "%s", e.msg);
		}
		hc->next_resync_ms = now + AGENT_RESYNC_MS;
		return;
	}
	hc->instance_error[0] = 0;
	if (full) {
		resync(hc, snap);
		hc->next_resync_ms = now + AGENT_RESYNC_MS;
	}
	hc_passive_tick(hc, snap);
	free(snap);
}

/* ---- hooks --------------------------------------------------------------- */

static void *checks_thread(void *arg)
{
	struct health_component *hc = arg;
	struct bgx_err e = { 0 };

	if (health_run(hc->engine, &e))
		agent_log("health checks stopped: %s", e.msg);
	return NULL;
}

static void health_stop_hook(struct agent *a, void *state);

static int health_start(struct agent *a, void **state, struct bgx_err *e)
{
	struct health_component *hc = calloc(1, sizeof(*hc));
	struct health_engine_config cfg = { .on_transition = hc_on_transition };
	int r;

	if (!hc)
		return bgx_fail(e, ENOMEM, "out of memory");
	hc->agent = a;
	pthread_mutex_init(&hc->lock, NULL);
	cfg.ctx = hc;
	*state = hc;
	if ((r = health_engine_new(&cfg, &hc->engine, e))) {
		health_stop_hook(a, hc);
		return r;
	}
	look(hc, agent_mono_ms(), true);
	if ((r = pthread_create(&hc->thread, NULL, checks_thread, hc))) {
		health_stop_hook(a, hc);
		return bgx_fail(e, r, "cannot start the health checks: %s", strerror(r));
	}
	hc->thread_running = true;
	return 0;
}

static void health_tick(struct agent *a, void *state, uint64_t now)
{
	struct health_component *hc = state;

	(void)a;
	look(hc, now, false);
	if (hc->status_dirty || now >= hc->next_status_ms) {
		hc_write_status(hc);
		hc->next_status_ms = now + AGENT_RESYNC_MS;
	}
}

static void health_reload(struct agent *a, void *state)
{
	(void)a;
	look(state, agent_mono_ms(), true);
}

static void health_stop_hook(struct agent *a, void *state)
{
	struct health_component *hc = state;

	(void)a;
	if (hc->thread_running) {
		health_stop(hc->engine);
		pthread_join(hc->thread, NULL);
		hc_write_status(hc);
	}
	health_engine_free(hc->engine);
	pthread_mutex_destroy(&hc->lock);
	free(hc->passive);
	free(hc);
}

const struct agent_component agent_health_component = {
	.name = "health",
	.start = health_start,
	.tick = health_tick,
	.reload = health_reload,
	.metrics = hc_metrics,
	.stop = health_stop_hook,
};
