// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * agent_health_apply.c - what a health transition does: the backend's
 * health byte through libbgxdp (which rebuilds the rings by its one rule),
 * its established flows if the settings say so, and the history: the
 * transition itself, and a color that starts or stops failing over, or a
 * service that starts or stops ignoring health (fail open).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent_health.h"

static __u8 byte_of(enum health_state s)
{
	switch (s) {
	case HEALTH_UP: return BACKEND_HEALTH_UP;
	case HEALTH_DOWN: return BACKEND_HEALTH_DOWN;
	case HEALTH_UNCHECKED: return BACKEND_HEALTH_PENDING;
	default: return BACKEND_HEALTH_NONE;
	}
}

static void history(struct health_component *hc, const char *what, const char *service,
		    const char *before, const char *after, const char *reason)
{
	json_t *b = before ? json_string(before) : NULL, *a = after ? json_string(after) : NULL;
	struct journal_entry entry = { .actor = "health", .what = what, .service = service,
				       .before = b, .after = a, .reason = reason };

	agent_history(hc->agent, &entry);
	json_decref(b);
	json_decref(a);
}

static struct hc_service_view *view_of(struct health_component *hc, const char *name)
{
	for (unsigned i = 0; i < hc->n_views; i++)
		if (!strcmp(hc->views[i].name, name))
			return &hc->views[i];
	if (hc->n_views == BGXDP_MAX_SERVICES)
		return NULL;
	memset(&hc->views[hc->n_views], 0, sizeof(hc->views[0]));
	snprintf(hc->views[hc->n_views].name, sizeof(hc->views[0].name), "%s", name);
	return &hc->views[hc->n_views++];
}

static void failover_changed(struct health_component *hc, const struct bgx_service_view *sv,
			     __u32 c, const char *why)
{
	const struct bgx_color_view *cv = &sv->colors[c];
	char reason[512], share[16];

	format_percent_bp(cv->share_bp, share, sizeof(share));
	if (cv->failover) {
		snprintf(reason, sizeof(reason), "every %s backend (%u ready) fails its health checks: "
			 "%s's %s%% of new flows go to %s (%s)", color_name(c), cv->admin_up,
			 color_name(c), share, color_name(c ^ 1), why);
		agent_log("FAILOVER %s: %s", sv->name, reason);
	} else {
		snprintf(reason, sizeof(reason), "%s serves its own new flows again: %u of %u ready "
			 "backends take new flows (%s)", color_name(c), cv->in_ring, cv->admin_up, why);
		agent_log("failover of %s over: %s", sv->name, reason);
	}
	history(hc, cv->failover ? "failover.on" : "failover.off", sv->name,
		cv->failover ? color_name(c) : color_name(c ^ 1),
		cv->failover ? color_name(c ^ 1) : color_name(c), reason);
}

void hc_note_service(struct health_component *hc, const struct bgx_service_view *sv,
		     const char *why)
{
	struct hc_service_view *v, old;
	bool known;

	pthread_mutex_lock(&hc->lock);
	known = false;
	for (unsigned i = 0; i < hc->n_views; i++)
		known |= !strcmp(hc->views[i].name, sv->name);
	v = view_of(hc, sv->name);
	if (!v) {
		pthread_mutex_unlock(&hc->lock);
		return;
	}
	old = *v;
	for (__u32 c = 0; c < BGXDP_COLORS; c++)
		v->failover[c] = sv->colors[c].failover;
	v->fails_open = sv->fails_open;
	pthread_mutex_unlock(&hc->lock);
	for (__u32 c = 0; c < BGXDP_COLORS; c++)
		if ((known || sv->colors[c].failover) && old.failover[c] != sv->colors[c].failover)
			failover_changed(hc, sv, c, why);
	if ((known || sv->fails_open) && old.fails_open != sv->fails_open)
		history(hc, sv->fails_open ? "health.ignored" : "health.counted", sv->name, NULL, NULL,
			sv->fails_open ? "every backend fails its health checks: health is ignored, "
					 "all ready backends keep taking new flows (fail open)"
				       : "a backend passes its checks again: health counts again");
}

/* The service as it is after the change, for the history. */
static void look_after(struct health_component *hc, struct bgx_instance *in, const char *service,
		       const char *why)
{
	struct bgx_snapshot *snap;
	struct bgx_err e = { 0 };

	if (bgx_snapshot(in, BGX_SNAP_CONFIG, service, &snap, &e)) {
		agent_log("%s: %s", service, e.msg);
		return;
	}
	hc_note_service(hc, &snap->services[0], why);
	free(snap);
}

int hc_apply(struct health_component *hc, const struct health_target_id *id, __u8 health,
	     const char *reason, struct bgx_err *e)
{
	struct bgx_backend_ref ref = { .service = id->service, .color = id->color,
				       .ep = id->backend };
	struct bgx_backend_result res;
	struct bgx_instance *in;
	int r;

	if ((r = bgx_open(hc->agent->pin_dir, BGX_WRITE, &in, e)))
		return r;
	r = bgx_backend_set_health(in, &ref, health, &res, e);
	if (!r && res.changed)
		look_after(hc, in, id->service, reason);
	bgx_close(in);
	return r;
}

/* --expire-flows: the flows of a backend that went down end now. */
static void expire_flows(struct health_component *hc, const struct health_target_status *t)
{
	struct bgx_backend_ref ref = { .service = t->id.service, .color = t->id.color,
				       .ep = t->id.backend };
	struct bgx_instance *in;
	struct bgx_err e = { 0 };
	char name[128], reason[192];
	int n;

	if (bgx_open(hc->agent->pin_dir, BGX_WRITE, &in, &e) ||
	    (n = bgx_backend_expire_flows(in, &ref, &e)) < 0) {
		agent_log("flows of a backend that went down not ended: %s", e.msg);
		bgx_close(in);
		return;
	}
	bgx_close(in);
	health_format_target(&t->id, name, sizeof(name));
	snprintf(reason, sizeof(reason), "%s went down: %d flow%s ended (expire_flows_on_down)",
		 name, n, n == 1 ? "" : "s");
	history(hc, "health.expire", t->id.service, NULL, NULL, reason);
}

void hc_on_transition(const struct health_target_status *t, enum health_state from,
		      enum health_state to, const char *reason, void *ctx)
{
	struct health_component *hc = ctx;
	struct bgx_err e = { 0 };
	char name[128], what[32], text[512];

	health_format_target(&t->id, name, sizeof(name));
	snprintf(text, sizeof(text), "%s %s: %s", name, health_state_name(to), reason);
	if (hc_apply(hc, &t->id, byte_of(to), text, &e) && e.code != -ENOENT)
		agent_log("%s: health %s not applied: %s", name, health_state_name(to), e.msg);
	pthread_mutex_lock(&hc->lock);
	hc->status_dirty = true;
	pthread_mutex_unlock(&hc->lock);
	if (to == HEALTH_OFF || from == HEALTH_OFF)
		return;         /* `bgxdp health` said so; its own history line has it */
	agent_log("%s: %s -> %s: %s", name, health_state_name(from), health_state_name(to), reason);
	snprintf(what, sizeof(what), "health.%s", health_state_name(to));
	history(hc, what, t->id.service, health_state_name(from), health_state_name(to), text);
	if (to == HEALTH_DOWN && t->expire_flows_on_down)
		expire_flows(hc, t);
}
