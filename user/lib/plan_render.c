// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * plan_render.c - a plan for people (`apply --dry-run`: one line per step)
 * and for programs (JSON through jansson).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "plan.h"

static void ep_text(const struct endpoint *ep, char *buf)
{
	format_endpoint(ep->addr, htons(ep->port), ep->family, buf, ENDPOINT_STRLEN);
}

/* "off", "none", or "http /healthz expect 200-399 interval 1s timeout 500ms rise 2 fall 2". */
static void health_text(const struct bgx_desired_health *h, char *buf, size_t len)
{
	char iv[16], to[16], fi[32] = "", di[32] = "", ex[BGX_HEALTH_MAX_RANGES * 8 + 1];
	char http[BGX_HEALTH_PATH_LEN + BGX_HEALTH_MAX_RANGES * 8 + 16] = "", port[16] = "";

	if (h->mode != BGX_HEALTH_ON) {
		snprintf(buf, len, "%s", h->mode == BGX_HEALTH_OFF ? "off" : "none");
		return;
	}
	bgx_duration_format(h->interval_ms, iv, sizeof(iv));
	bgx_duration_format(h->timeout_ms, to, sizeof(to));
	if (h->fastinter_ms) {
		memcpy(fi, " fastinter ", 12);
		bgx_duration_format(h->fastinter_ms, fi + 11, sizeof(fi) - 11);
	}
	if (h->downinter_ms) {
		memcpy(di, " downinter ", 12);
		bgx_duration_format(h->downinter_ms, di + 11, sizeof(di) - 11);
	}
	if (h->check == BGX_CHECK_HTTP) {
		bgx_expect_format(h, ex, sizeof(ex));
		snprintf(http, sizeof(http), " %s expect %s", h->path, ex);
	}
	if (h->port)
		snprintf(port, sizeof(port), " port %u", h->port);
	snprintf(buf, len, "%s%s%s interval %s timeout %s rise %u fall %u%s%s%s",
		 bgx_check_name(h->check), http, port, iv, to, h->rise, h->fall, fi, di,
		 h->expire_flows_on_down ? " expire_flows_on_down" : "");
}

static void service_line(const struct bgx_step *s, char *buf, size_t len)
{
	char vip[ENDPOINT_STRLEN], pv[ENDPOINT_STRLEN + 10] = "";

	ep_text(&s->def.vip, vip);
	if (s->kind == BGX_STEP_SERVICE_DEL) {
		if (s->replace)
			snprintf(buf, len, "- service %s (replaced: %s; its established flows are dropped)",
				 s->service, s->why);
		else
			snprintf(buf, len, "- service %s", s->service);
		return;
	}
	if (s->def.preview.family) {
		memcpy(pv, " preview ", 10);
		ep_text(&s->def.preview, pv + 9);
	}
	snprintf(buf, len, "+ service %s vip %s %s%s%s%s", s->service, vip, proto_name(s->def.proto), pv,
		 s->def.affinity_client ? " affinity client" : "", s->replace ? " (replacing it)" : "");
}

static void backend_line(const struct bgx_step *s, char *buf, size_t len)
{
	const struct bgx_desired_backend *o = &s->old_backend, *n = &s->backend;
	char ep[ENDPOINT_STRLEN], w[48] = "", st[48] = "";

	ep_text(s->kind == BGX_STEP_BACKEND_ADD ? &n->ep : &o->ep, ep);
	if (s->kind == BGX_STEP_BACKEND_ADD) {
		snprintf(buf, len, "+ backend %s %s %s weight %u %s", s->service, color_name(s->color), ep,
			 n->weight, bgx_admin_state_name(n->state));
		return;
	}
	if (s->kind == BGX_STEP_BACKEND_DEL) {
		snprintf(buf, len, "- backend %s %s %s", s->service, color_name(s->color), ep);
		return;
	}
	if (o->weight != n->weight)
		snprintf(w, sizeof(w), " weight %u -> %u", o->weight, n->weight);
	if (o->state != n->state)
		snprintf(st, sizeof(st), "%s state %s -> %s", w[0] ? "," : "",
			 bgx_admin_state_name(o->state), bgx_admin_state_name(n->state));
	snprintf(buf, len, "~ backend %s %s %s%s%s", s->service, color_name(s->color), ep, w, st);
}

void bgx_plan_step_line(const struct bgx_step *s, char *buf, size_t len)
{
	char a[16], b[16], h1[BGX_HEALTH_PATH_LEN + 200], h2[BGX_HEALTH_PATH_LEN + 200];

	switch (s->kind) {
	case BGX_STEP_IFACE_ATTACH:
		if (s->creates_instance && s->flows)
			snprintf(buf, len, "+ interface %s mode %s (creates the instance, flows %u)", s->ifname,
				 bgx_xdp_mode_name(s->mode), s->flows);
		else
			snprintf(buf, len, "+ interface %s mode %s%s", s->ifname, bgx_xdp_mode_name(s->mode),
				 s->creates_instance ? " (creates the instance)" : "");
		break;
	case BGX_STEP_IFACE_MODE:
		snprintf(buf, len, "~ interface %s mode %s -> %s (attached again: its packets pass untouched for a moment)",
			 s->ifname, bgx_xdp_mode_name(s->old_mode), bgx_xdp_mode_name(s->mode));
		break;
	case BGX_STEP_FAST_PATH_ADD:
	case BGX_STEP_FAST_PATH_DEL:
		snprintf(buf, len, "%c fast_path %s", s->kind == BGX_STEP_FAST_PATH_ADD ? '+' : '-', s->ifname);
		break;
	case BGX_STEP_IFACE_DETACH:
		snprintf(buf, len, "- interface %s (not in the file, prune: true)", s->ifname);
		break;
	case BGX_STEP_SERVICE_ADD:
	case BGX_STEP_SERVICE_DEL:
		service_line(s, buf, len);
		break;
	case BGX_STEP_BACKEND_ADD:
	case BGX_STEP_BACKEND_CHANGE:
	case BGX_STEP_BACKEND_DEL:
		backend_line(s, buf, len);
		break;
	case BGX_STEP_SHARE:
		bgx_percent_format(s->old_green_bp, a, sizeof(a));
		bgx_percent_format(s->green_bp, b, sizeof(b));
		snprintf(buf, len, "~ share %s green %s%% -> %s%%", s->service, a, b);
		break;
	case BGX_STEP_HEALTH:
		health_text(&s->old_health, h1, sizeof(h1));
		health_text(&s->health, h2, sizeof(h2));
		snprintf(buf, len, "~ health %s %s -> %s", s->service, h1, h2);
		break;
	}
}

int bgx_plan_render_text(const struct bgx_plan *plan, char **text, struct bgx_err *e)
{
	char line[1024], *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return bgx_fail(e, ENOMEM, "out of memory");
	for (size_t i = 0; i < plan->n_notes; i++)
		fprintf(f, "! %s\n", plan->notes[i]);
	for (size_t i = 0; i < plan->n_steps; i++) {
		bgx_plan_step_line(&plan->steps[i], line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
	if (fclose(f) || !buf) {
		free(buf);
		return bgx_fail(e, ENOMEM, "out of memory");
	}
	*text = buf;
	return 0;
}

/* ---- JSON ------------------------------------------------------------------------- */

static json_t *health_json(const struct bgx_desired_health *h)
{
	char ex[BGX_HEALTH_MAX_RANGES * 8 + 1];

	if (h->mode != BGX_HEALTH_ON)
		return json_pack("{s:s}", "mode", h->mode == BGX_HEALTH_OFF ? "off" : "unset");
	bgx_expect_format(h, ex, sizeof(ex));
	return json_pack("{s:s, s:s, s:s*, s:s*, s:I, s:I, s:i, s:i, s:i, s:I, s:I, s:b}", "mode", "on",
			 "check", bgx_check_name(h->check),
			 "path", h->check == BGX_CHECK_HTTP ? h->path : NULL,
			 "expect", h->check == BGX_CHECK_HTTP ? ex : NULL,
			 "interval_ms", (json_int_t)h->interval_ms, "timeout_ms", (json_int_t)h->timeout_ms,
			 "rise", h->rise, "fall", h->fall, "port", h->port,
			 "fastinter_ms", (json_int_t)h->fastinter_ms, "downinter_ms", (json_int_t)h->downinter_ms,
			 "expire_flows_on_down", h->expire_flows_on_down);
}

static json_t *backend_json(const struct bgx_desired_backend *b)
{
	char ep[ENDPOINT_STRLEN];

	ep_text(&b->ep, ep);
	return json_pack("{s:s, s:i, s:s}", "address", ep, "weight", b->weight,
			 "state", bgx_admin_state_name(b->state));
}

/* Add the members of `more` (a new reference, NULL when out of memory). */
static int update_new(json_t *o, json_t *more)
{
	int r = more ? json_object_update(o, more) : -1;

	json_decref(more);
	return r;
}

/* The fields of each kind of step, beside action, object and text. */
static int step_fields(json_t *o, const struct bgx_step *s)
{
	char vip[ENDPOINT_STRLEN], pv[ENDPOINT_STRLEN] = "";

	switch (s->kind) {
	case BGX_STEP_IFACE_ATTACH:
	case BGX_STEP_IFACE_MODE:
		return update_new(o, json_pack("{s:s, s:s, s:s*, s:b, s:I}", "interface", s->ifname,
			"mode", bgx_xdp_mode_name(s->mode),
			"old_mode", s->kind == BGX_STEP_IFACE_MODE ? bgx_xdp_mode_name(s->old_mode) : NULL,
			"creates_instance", s->creates_instance, "flows", (json_int_t)s->flows));
	case BGX_STEP_FAST_PATH_ADD:
	case BGX_STEP_FAST_PATH_DEL:
	case BGX_STEP_IFACE_DETACH:
		return json_object_set_new(o, "interface", json_string(s->ifname));
	case BGX_STEP_SERVICE_ADD:
	case BGX_STEP_SERVICE_DEL:
		ep_text(&s->def.vip, vip);
		if (s->def.preview.family)
			ep_text(&s->def.preview, pv);
		return update_new(o, json_pack("{s:s, s:s, s:s, s:s*, s:s, s:b, s:s*}",
			"service", s->service, "vip", vip, "proto", proto_name(s->def.proto),
			"preview", pv[0] ? pv : NULL, "affinity", s->def.affinity_client ? "client" : "flow",
			"replace", s->replace, "reason", s->replace ? s->why : NULL));
	case BGX_STEP_BACKEND_ADD:
	case BGX_STEP_BACKEND_CHANGE:
	case BGX_STEP_BACKEND_DEL:
		return update_new(o, json_pack("{s:s, s:s, s:o*, s:o*}", "service", s->service,
			"color", color_name(s->color),
			"backend", s->kind != BGX_STEP_BACKEND_DEL ? backend_json(&s->backend) : NULL,
			"old_backend", s->kind != BGX_STEP_BACKEND_ADD ? backend_json(&s->old_backend) : NULL));
	case BGX_STEP_SHARE:
		return update_new(o, json_pack("{s:s, s:i, s:i}", "service", s->service,
			"green_bp", (int)s->green_bp, "old_green_bp", (int)s->old_green_bp));
	case BGX_STEP_HEALTH:
		return update_new(o, json_pack("{s:s, s:o, s:o}", "service", s->service,
			"health", health_json(&s->health), "old_health", health_json(&s->old_health)));
	}
	return -1;
}

static const char *const step_action[] = {
	[BGX_STEP_IFACE_ATTACH] = "add", [BGX_STEP_IFACE_MODE] = "change",
	[BGX_STEP_FAST_PATH_ADD] = "add", [BGX_STEP_FAST_PATH_DEL] = "delete",
	[BGX_STEP_IFACE_DETACH] = "delete", [BGX_STEP_SERVICE_ADD] = "add",
	[BGX_STEP_SERVICE_DEL] = "delete", [BGX_STEP_BACKEND_ADD] = "add",
	[BGX_STEP_BACKEND_CHANGE] = "change", [BGX_STEP_BACKEND_DEL] = "delete",
	[BGX_STEP_SHARE] = "change", [BGX_STEP_HEALTH] = "change",
};

static const char *const step_object[] = {
	[BGX_STEP_IFACE_ATTACH] = "interface", [BGX_STEP_IFACE_MODE] = "interface",
	[BGX_STEP_FAST_PATH_ADD] = "fast_path", [BGX_STEP_FAST_PATH_DEL] = "fast_path",
	[BGX_STEP_IFACE_DETACH] = "interface", [BGX_STEP_SERVICE_ADD] = "service",
	[BGX_STEP_SERVICE_DEL] = "service", [BGX_STEP_BACKEND_ADD] = "backend",
	[BGX_STEP_BACKEND_CHANGE] = "backend", [BGX_STEP_BACKEND_DEL] = "backend",
	[BGX_STEP_SHARE] = "share", [BGX_STEP_HEALTH] = "health",
};

static json_t *step_json(const struct bgx_plan *plan, const struct bgx_step *s)
{
	char line[1024], at[BGX_SOURCE_LEN + 24] = "";
	json_t *o;

	bgx_plan_step_line(s, line, sizeof(line));
	if (s->pos.line)
		snprintf(at, sizeof(at), "%s:%u:%u", plan->source, s->pos.line, s->pos.col);
	o = json_pack("{s:s, s:s, s:s, s:s*}", "action", step_action[s->kind],
		      "object", step_object[s->kind], "text", line, "at", at[0] ? at : NULL);
	if (o && step_fields(o, s)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *group_json(const struct bgx_plan *plan, const struct bgx_plan_group *g)
{
	json_t *steps = json_array(), *o;

	for (size_t i = g->first; steps && i < g->first + g->count; i++) {
		if (json_array_append_new(steps, step_json(plan, &plan->steps[i]))) {
			json_decref(steps);
			return NULL;
		}
	}
	o = json_pack("{s:s, s:s*, s:o}", "kind", g->kind == BGX_GROUP_SERVICE ? "service" : "instance",
		      "service", g->kind == BGX_GROUP_SERVICE ? g->service : NULL, "steps", steps);
	return o;
}

json_t *bgx_plan_to_json(const struct bgx_plan *plan)
{
	json_t *notes = json_array(), *groups = json_array();

	for (size_t i = 0; notes && i < plan->n_notes; i++)
		if (json_array_append_new(notes, json_string(plan->notes[i])))
			goto fail;
	for (size_t i = 0; groups && i < plan->n_groups; i++)
		if (json_array_append_new(groups, group_json(plan, &plan->groups[i])))
			goto fail;
	return json_pack("{s:s, s:I, s:o, s:o}", "source", plan->source, "changes",
			 (json_int_t)plan->n_steps, "notes", notes, "groups", groups);
fail:
	json_decref(notes);
	json_decref(groups);
	return NULL;
}
