// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * config_yaml_health.c - a service's `health` key: `off`, or a mapping of
 * check settings whose missing fields get the defaults of
 * bgx_health_fill_defaults().  Consistency across fields (timeout within
 * interval, path and expect only for HTTP) is bgx_desired_validate()'s.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "config_yaml_int.h"

#define EXPECT_HELP "status codes and ranges like 200-399,404"

static int h_check(struct cfg_reader *r, void *obj, const char *key)
{
	static const char *const words[] = { "tcp", "http", NULL };
	struct bgx_desired_health *h = obj;
	unsigned i;
	int r2;

	h->pos_check = cfg_pos(r);
	if ((r2 = cfg_word(r, key, words, &i)))
		return r2;
	h->check = i ? BGX_CHECK_HTTP : BGX_CHECK_TCP;
	return 0;
}

static int h_path(struct cfg_reader *r, void *obj, const char *key)
{
	struct bgx_desired_health *h = obj;
	const char *v;
	size_t n;
	int r2;

	h->pos_path = cfg_pos(r);
	if ((r2 = cfg_string(r, key, "a URL path like /healthz", &v)))
		return r2;
	n = strlen(v);
	if (v[0] != '/' || n >= BGX_HEALTH_PATH_LEN)
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (v[i] <= 0x20 || v[i] >= 0x7f)
			goto bad;
	snprintf(h->path, sizeof(h->path), "%s", v);
	return 0;
bad:
	return cfg_fail(r, cfg_pos(r), EINVAL,
			"%s '%.40s': expected a URL path like /healthz (starts with /, no spaces, at most %d characters)",
			key, v, BGX_HEALTH_PATH_LEN - 1);
}

/* "200", "200-399": one code or range. */
static int expect_range(const char *piece, const char *label, struct bgx_code_range *range,
			struct bgx_err *ve)
{
	char lo[16], *dash;
	unsigned long long a, b;
	int r;

	if (strlen(piece) >= sizeof(lo))
		return bgx_fail_usage(ve, EINVAL, "%s '%s': expected " EXPECT_HELP, label, piece);
	snprintf(lo, sizeof(lo), "%s", piece);
	dash = strchr(lo, '-');
	if (dash)
		*dash = 0;
	if ((r = bgx_parse_uint(lo, label, BGX_HEALTH_CODE_MIN, BGX_HEALTH_CODE_MAX, &a, ve)))
		return r;
	b = a;
	if (dash && (r = bgx_parse_uint(dash + 1, label, BGX_HEALTH_CODE_MIN, BGX_HEALTH_CODE_MAX, &b, ve)))
		return r;
	if (b < a)
		return bgx_fail_usage(ve, EINVAL, "%s: range %s ends before it starts", label, piece);
	*range = (struct bgx_code_range){ (__u16)a, (__u16)b };
	return 0;
}

static int h_expect(struct cfg_reader *r, void *obj, const char *key)
{
	struct bgx_desired_health *h = obj;
	struct bgx_err ve = { 0 };
	char buf[BGX_HEALTH_MAX_RANGES * 8 + 1], *save = NULL, *piece;
	const char *v;
	int r2;

	h->pos_expect = cfg_pos(r);
	if ((r2 = cfg_string(r, key, EXPECT_HELP, &v)))
		return r2;
	if (strlen(v) >= sizeof(buf) || !v[0] || v[0] == ',' || v[strlen(v) - 1] == ',' || strstr(v, ",,"))
		return cfg_fail(r, cfg_pos(r), EINVAL, "%s '%.40s': expected " EXPECT_HELP " (at most %d)",
				key, v, BGX_HEALTH_MAX_RANGES);
	snprintf(buf, sizeof(buf), "%s", v);
	h->n_expect = 0;
	for (piece = strtok_r(buf, ",", &save); piece; piece = strtok_r(NULL, ",", &save)) {
		if (h->n_expect == BGX_HEALTH_MAX_RANGES)
			return cfg_fail(r, cfg_pos(r), E2BIG, "%s: at most %d codes or ranges", key,
					BGX_HEALTH_MAX_RANGES);
		if (expect_range(piece, key, &h->expect[h->n_expect], &ve))
			return cfg_fail_value(r, cfg_pos(r), &ve);
		h->n_expect++;
	}
	return 0;
}

static int h_duration(struct cfg_reader *r, struct bgx_src_pos *pos, const char *key,
		      __u32 min, __u32 max, __u32 *ms)
{
	*pos = cfg_pos(r);
	return cfg_duration(r, key, min, max, ms);
}

static int h_interval(struct cfg_reader *r, void *obj, const char *key)
{
	struct bgx_desired_health *h = obj;

	return h_duration(r, &h->pos_interval, key, BGX_HEALTH_INTERVAL_MIN_MS,
			  BGX_HEALTH_INTERVAL_MAX_MS, &h->interval_ms);
}

static int h_fastinter(struct cfg_reader *r, void *obj, const char *key)
{
	struct bgx_desired_health *h = obj;

	return h_duration(r, &h->pos_fastinter, key, BGX_HEALTH_INTERVAL_MIN_MS,
			  BGX_HEALTH_INTERVAL_MAX_MS, &h->fastinter_ms);
}

static int h_downinter(struct cfg_reader *r, void *obj, const char *key)
{
	struct bgx_desired_health *h = obj;

	return h_duration(r, &h->pos_downinter, key, BGX_HEALTH_INTERVAL_MIN_MS,
			  BGX_HEALTH_INTERVAL_MAX_MS, &h->downinter_ms);
}

static int h_timeout(struct cfg_reader *r, void *obj, const char *key)
{
	struct bgx_desired_health *h = obj;

	return h_duration(r, &h->pos_timeout, key, BGX_HEALTH_TIMEOUT_MIN_MS,
			  BGX_HEALTH_TIMEOUT_MAX_MS, &h->timeout_ms);
}

static int h_count(struct cfg_reader *r, struct bgx_src_pos *pos, const char *key, __u16 *out)
{
	unsigned long long v;
	int r2;

	*pos = cfg_pos(r);
	if ((r2 = cfg_uint(r, key, 1, BGX_HEALTH_COUNT_MAX, &v)))
		return r2;
	*out = (__u16)v;
	return 0;
}

static int h_rise(struct cfg_reader *r, void *obj, const char *key)
{
	struct bgx_desired_health *h = obj;

	return h_count(r, &h->pos_rise, key, &h->rise);
}

static int h_fall(struct cfg_reader *r, void *obj, const char *key)
{
	struct bgx_desired_health *h = obj;

	return h_count(r, &h->pos_fall, key, &h->fall);
}

static int h_port(struct cfg_reader *r, void *obj, const char *key)
{
	struct bgx_desired_health *h = obj;
	unsigned long long v;
	int r2;

	h->pos_port = cfg_pos(r);
	if ((r2 = cfg_uint(r, key, 1, 65535, &v)))
		return r2;
	h->port = (__u16)v;
	return 0;
}

static int h_expire(struct cfg_reader *r, void *obj, const char *key)
{
	struct bgx_desired_health *h = obj;
	bool v;
	int r2;

	h->pos_expire = cfg_pos(r);
	if ((r2 = cfg_bool(r, key, &v)))
		return r2;
	h->expire_flows_on_down = v;
	return 0;
}

int cfg_health(struct cfg_reader *r, void *obj, const char *key)
{
	static const struct cfg_key keys[] = {
		{ "check", h_check }, { "path", h_path }, { "expect", h_expect },
		{ "interval", h_interval }, { "timeout", h_timeout }, { "rise", h_rise },
		{ "fall", h_fall }, { "port", h_port }, { "fastinter", h_fastinter },
		{ "downinter", h_downinter }, { "expire_flows_on_down", h_expire }, { NULL, NULL },
	};
	struct bgx_desired_service *s = obj;
	struct bgx_desired_health *h = &s->health;
	struct bgx_src_pos seen[CFG_MAX_KEYS], start;
	int r2;

	memset(h, 0, sizeof(*h));
	h->pos = cfg_pos(r);
	if (r->ev.type == YAML_SCALAR_EVENT && r->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    !strcmp((const char *)r->ev.data.scalar.value, "off")) {
		h->mode = BGX_HEALTH_OFF;
		return 0;
	}
	if (r->ev.type == YAML_SCALAR_EVENT)
		return cfg_fail(r, cfg_pos(r), EINVAL, "%s: expected a mapping of check settings or off, got %s",
				key, cfg_got(r, (char[64]){ 0 }, 64));
	if ((r2 = cfg_map(r, key, "key", keys, h, seen, &start)))
		return r2;
	h->mode = BGX_HEALTH_ON;
	bgx_health_fill_defaults(h);
	return 0;
}
