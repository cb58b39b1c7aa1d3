// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * config_yaml_service.c - the `services` list of a config file: each
 * service's addresses, share, backends and health settings.  Every value is
 * parsed here with the value parsers of values.h; the rules across nodes
 * (duplicates, families) are bgx_desired_validate()'s.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "config_yaml_int.h"

static const char *const color_words[] = { "blue", "green", NULL };

/* ---- service head --------------------------------------------------------- */

static int svc_name(struct cfg_reader *r, void *obj, const char *key)
{
	struct bgx_desired_service *s = obj;
	struct bgx_err ve = { 0 };
	const char *v;
	int r2;

	s->pos_name = cfg_pos(r);
	if ((r2 = cfg_string(r, key, "a service name", &v)))
		return r2;
	if (bgx_parse_name(v, key, &ve))
		return cfg_fail_value(r, cfg_pos(r), &ve);
	snprintf(s->def.name, sizeof(s->def.name), "%s", v);
	return 0;
}

static int svc_vip(struct cfg_reader *r, void *obj, const char *key)
{
	struct bgx_desired_service *s = obj;

	s->pos_vip = cfg_pos(r);
	return cfg_endpoint(r, key, &s->def.vip);
}

static int svc_preview(struct cfg_reader *r, void *obj, const char *key)
{
	struct bgx_desired_service *s = obj;

	s->pos_preview = cfg_pos(r);
	return cfg_endpoint(r, key, &s->def.preview);
}

static int svc_proto(struct cfg_reader *r, void *obj, const char *key)
{
	static const char *const words[] = { "tcp", "udp", NULL };
	struct bgx_desired_service *s = obj;
	unsigned i;
	int r2;

	s->pos_proto = cfg_pos(r);
	if ((r2 = cfg_word(r, key, words, &i)))
		return r2;
	s->def.proto = i ? IPPROTO_UDP : IPPROTO_TCP;
	return 0;
}

static int svc_affinity(struct cfg_reader *r, void *obj, const char *key)
{
	static const char *const words[] = { "flow", "client", NULL };
	struct bgx_desired_service *s = obj;
	unsigned i;
	int r2;

	s->pos_affinity = cfg_pos(r);
	if ((r2 = cfg_word(r, key, words, &i)))
		return r2;
	s->def.affinity_client = (__u8)i;
	return 0;
}

/* ---- share: {green: P} / {blue: P} / active: COLOR ----------------------- */

struct share_read {
	__u32 bp[BGXDP_COLORS];
};

static int share_color(struct cfg_reader *r, void *obj, const char *key)
{
	struct share_read *sr = obj;
	struct bgx_err ve = { 0 };
	const char *v;
	__u32 color = !strcmp(key, "green") ? BGXDP_GREEN : BGXDP_BLUE;
	char label[32];
	int r2;

	snprintf(label, sizeof(label), "share of %s", key);
	if ((r2 = cfg_string(r, label, "a percentage 0..100", &v)))
		return r2;
	if (r->ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return cfg_fail(r, cfg_pos(r), EINVAL, "%s: expected a percentage 0..100, got a quoted string",
				label);
	if (bgx_parse_percent_bp(v, label, &sr->bp[color], &ve))
		return cfg_fail_value(r, cfg_pos(r), &ve);
	return 0;
}

static int svc_share(struct cfg_reader *r, void *obj, const char *key)
{
	static const struct cfg_key keys[] = {
		{ "blue", share_color }, { "green", share_color }, { NULL, NULL },
	};
	struct bgx_desired_service *s = obj;
	struct bgx_src_pos seen[CFG_MAX_KEYS], start;
	struct share_read sr = { { 0, 0 } };
	int r2;

	if (s->pos_share.line)
		return cfg_fail(r, cfg_pos(r), EINVAL, "share and active both given (first at %u:%u): give one",
				s->pos_share.line, s->pos_share.col);
	s->pos_share = cfg_pos(r);
	if ((r2 = cfg_map(r, key, "color", keys, &sr, seen, &start)))
		return r2;
	if (!seen[0].line && !seen[1].line)
		return cfg_fail(r, start, EINVAL, "share: empty (expected {green: PERCENT} or {blue: PERCENT})");
	if (seen[0].line && seen[1].line && sr.bp[0] + sr.bp[1] != BGXDP_SHARE_SCALE)
		return cfg_fail(r, start, EINVAL, "share: blue and green add up to %u.%02u%%, expected 100",
				(sr.bp[0] + sr.bp[1]) / 100, (sr.bp[0] + sr.bp[1]) % 100);
	s->green_bp = seen[1].line ? sr.bp[BGXDP_GREEN] : BGXDP_SHARE_SCALE - sr.bp[BGXDP_BLUE];
	return 0;
}

static int svc_active(struct cfg_reader *r, void *obj, const char *key)
{
	struct bgx_desired_service *s = obj;
	unsigned color;
	int r2;

	if (s->pos_share.line)
		return cfg_fail(r, cfg_pos(r), EINVAL, "share and active both given (first at %u:%u): give one",
				s->pos_share.line, s->pos_share.col);
	s->pos_share = cfg_pos(r);
	if ((r2 = cfg_word(r, key, color_words, &color)))
		return r2;
	s->green_bp = color == BGXDP_GREEN ? BGXDP_SHARE_SCALE : 0;
	return 0;
}

/* ---- backends ---------------------------------------------------------------- */

static int be_address(struct cfg_reader *r, void *obj, const char *key)
{
	struct bgx_desired_backend *b = obj;

	b->pos = cfg_pos(r);
	return cfg_endpoint(r, key, &b->ep);
}

static int be_weight(struct cfg_reader *r, void *obj, const char *key)
{
	struct bgx_desired_backend *b = obj;
	unsigned long long v;
	int r2;

	b->pos_weight = cfg_pos(r);
	if ((r2 = cfg_uint(r, key, BGX_WEIGHT_MIN, BGX_WEIGHT_MAX, &v)))
		return r2;
	b->weight = (__u16)v;
	return 0;
}

static int be_state(struct cfg_reader *r, void *obj, const char *key)
{
	static const char *const words[] = { "ready", "drain", "maint", NULL };
	static const __u8 states[] = { BACKEND_UP, BACKEND_DRAIN, BACKEND_DOWN };
	struct bgx_desired_backend *b = obj;
	unsigned i;
	int r2;

	b->pos_state = cfg_pos(r);
	if ((r2 = cfg_word(r, key, words, &i)))
		return r2;
	b->state = states[i];
	return 0;
}

struct color_read {
	struct bgx_desired_service *s;
	__u32 color;
};

/* A backend: {address: A, weight: W, state: S}, or just the address. */
static int backend_item(struct cfg_reader *r, void *obj, __u32 index)
{
	static const struct cfg_key keys[] = {
		{ "address", be_address }, { "weight", be_weight }, { "state", be_state }, { NULL, NULL },
	};
	struct color_read *cr = obj;
	struct bgx_desired_backend *b;
	struct bgx_src_pos seen[CFG_MAX_KEYS], start;
	int r2;

	if (index >= BGXDP_MAX_BACKENDS)
		return cfg_fail(r, cfg_pos(r), E2BIG, "%s: at most %d backends per color",
				color_name(cr->color), BGXDP_MAX_BACKENDS);
	b = &cr->s->backends[cr->color][index];
	b->weight = 1;
	b->state = BACKEND_UP;
	cr->s->n_backends[cr->color] = index + 1;
	if (r->ev.type != YAML_MAPPING_START_EVENT)
		return be_address(r, b, "address");
	if ((r2 = cfg_map(r, "backend", "key", keys, b, seen, &start)))
		return r2;
	if (!seen[0].line)
		return cfg_fail(r, start, EINVAL, "backend: missing key 'address'");
	return 0;
}

static int backends_color(struct cfg_reader *r, void *obj, const char *key)
{
	struct color_read cr = { obj, !strcmp(key, "green") ? BGXDP_GREEN : BGXDP_BLUE };

	return cfg_seq(r, key, backend_item, &cr);
}

static int svc_backends(struct cfg_reader *r, void *obj, const char *key)
{
	static const struct cfg_key keys[] = {
		{ "blue", backends_color }, { "green", backends_color }, { NULL, NULL },
	};
	struct bgx_src_pos seen[CFG_MAX_KEYS], start;

	return cfg_map(r, key, "color", keys, obj, seen, &start);
}

/* ---- the list -------------------------------------------------------------------- */

static int service_item(struct cfg_reader *r, void *obj, __u32 index)
{
	static const struct cfg_key keys[] = {
		{ "name", svc_name }, { "vip", svc_vip }, { "proto", svc_proto },
		{ "preview", svc_preview }, { "affinity", svc_affinity }, { "share", svc_share },
		{ "active", svc_active }, { "backends", svc_backends }, { "health", cfg_health },
		{ NULL, NULL },
	};
	struct bgx_desired *d = obj;
	struct bgx_desired_service *s;
	struct bgx_src_pos seen[CFG_MAX_KEYS];
	int r2;

	if (index >= BGXDP_MAX_SERVICES)
		return cfg_fail(r, cfg_pos(r), E2BIG, "services: at most %d", BGXDP_MAX_SERVICES);
	s = &d->services[index];
	s->def.proto = IPPROTO_TCP;
	d->n_services = index + 1;
	if ((r2 = cfg_map(r, "service", "key", keys, s, seen, &s->pos)))
		return r2;
	if (!seen[0].line)
		return cfg_fail(r, s->pos, EINVAL, "service: missing key 'name'");
	if (!seen[1].line)
		return cfg_fail(r, s->pos, EINVAL, "service '%s': missing key 'vip'", s->def.name);
	return 0;
}

int cfg_services(struct cfg_reader *r, void *obj, const char *key)
{
	struct bgx_desired *d = obj;

	d->pos_services = cfg_pos(r);
	return cfg_seq(r, key, service_item, d);
}
