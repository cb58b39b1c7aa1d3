// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * health_json.c - a service's health settings as a JSON object: what the
 * state dir stores for the agent and what the history shows as before/after
 * of a `bgxdp health` change.  Reading is strict: unknown keys and wrong
 * types are refused, missing keys keep their defaults, and the result is
 * validated as a whole.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "health.h"

json_t *health_settings_to_json(const struct health_settings *s)
{
	char codes[HEALTH_MAX_CODE_RANGES * 8 + 1];
	json_t *obj;

	health_format_expect(s, codes, sizeof(codes));
	obj = json_pack("{s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}",
			"enabled", s->enabled, "kind", s->kind == HEALTH_HTTP ? "http" : "tcp",
			"interval_ms", (json_int_t)s->interval_ms,
			"timeout_ms", (json_int_t)s->timeout_ms,
			"fastinter_ms", (json_int_t)s->fastinter_ms,
			"downinter_ms", (json_int_t)s->downinter_ms,
			"rise", (json_int_t)s->rise, "fall", (json_int_t)s->fall,
			"port", (json_int_t)s->port, "jitter_pct", (json_int_t)s->jitter_pct,
			"expire_flows_on_down", s->expire_flows_on_down);
	if (obj && s->kind == HEALTH_HTTP &&
	    (json_object_set_new(obj, "path", json_string(s->path)) ||
	     json_object_set_new(obj, "host", json_string(s->host)) ||
	     json_object_set_new(obj, "expect", json_string(codes)))) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

struct number_key {
	const char *key;
	size_t offset, size;            /* of a uint32_t, uint16_t or uint8_t field */
	json_int_t max;
};

#define NUMBER(field, max) { #field, offsetof(struct health_settings, field), \
			     sizeof(((struct health_settings *)0)->field), max }

static const struct number_key number_keys[] = {
	NUMBER(interval_ms, UINT32_MAX), NUMBER(timeout_ms, UINT32_MAX),
	NUMBER(fastinter_ms, UINT32_MAX), NUMBER(downinter_ms, UINT32_MAX),
	NUMBER(rise, UINT32_MAX), NUMBER(fall, UINT32_MAX),
	NUMBER(port, UINT16_MAX), NUMBER(jitter_pct, UINT8_MAX),
};

static int set_number(struct health_settings *s, const char *key, json_t *v, struct bgx_err *err)
{
	for (size_t i = 0; i < sizeof(number_keys) / sizeof(number_keys[0]); i++) {
		const struct number_key *k = &number_keys[i];
		char *field = (char *)s + k->offset;
		json_int_t n;

		if (strcmp(key, k->key))
			continue;
		n = json_is_integer(v) ? json_integer_value(v) : -1;
		if (n < 0 || n > k->max)
			return bgx_fail_usage(err, EINVAL, "health settings: '%s' must be an integer "
					      "from 0 to %lld", key, (long long)k->max);
		if (k->size == sizeof(uint32_t))
			*(uint32_t *)field = (uint32_t)n;
		else if (k->size == sizeof(uint16_t))
			*(uint16_t *)field = (uint16_t)n;
		else
			*(uint8_t *)field = (uint8_t)n;
		return 0;
	}
	return 1;       /* not a number key */
}

static int set_text(char *dst, size_t cap, const char *key, json_t *v, struct bgx_err *err)
{
	if (!json_is_string(v) || strlen(json_string_value(v)) >= cap)
		return bgx_fail_usage(err, EINVAL, "health settings: '%s' must be a string of at "
				      "most %zu characters", key, cap - 1);
	snprintf(dst, cap, "%s", json_string_value(v));
	return 0;
}

static int set_key(struct health_settings *s, const char *key, json_t *v, struct bgx_err *err)
{
	int r = set_number(s, key, v, err);

	if (r <= 0)
		return r;
	if (!strcmp(key, "enabled") || !strcmp(key, "expire_flows_on_down")) {
		if (!json_is_boolean(v))
			return bgx_fail_usage(err, EINVAL, "health settings: '%s' must be true or "
					      "false", key);
		if (!strcmp(key, "enabled"))
			s->enabled = json_is_true(v);
		else
			s->expire_flows_on_down = json_is_true(v);
		return 0;
	}
	if (!strcmp(key, "kind")) {
		const char *kind = json_string_value(v);

		if (!kind || (strcmp(kind, "tcp") && strcmp(kind, "http")))
			return bgx_fail_usage(err, EINVAL, "health settings: 'kind' must be "
					      "\"tcp\" or \"http\"");
		s->kind = strcmp(kind, "http") ? HEALTH_TCP : HEALTH_HTTP;
		return 0;
	}
	if (!strcmp(key, "path"))
		return set_text(s->path, sizeof(s->path), key, v, err);
	if (!strcmp(key, "host"))
		return set_text(s->host, sizeof(s->host), key, v, err);
	if (!strcmp(key, "expect")) {
		if (!json_is_string(v))
			return bgx_fail_usage(err, EINVAL, "health settings: 'expect' must be a "
					      "string like \"200-399\"");
		return health_parse_expect(json_string_value(v), s, err);
	}
	return bgx_fail_usage(err, EINVAL, "health settings: unknown key '%.40s' (accepted: "
			      "enabled, kind, path, host, expect, interval_ms, timeout_ms, "
			      "fastinter_ms, downinter_ms, rise, fall, port, jitter_pct, "
			      "expire_flows_on_down)", key);
}

int health_settings_from_json(const json_t *obj, struct health_settings *out,
			      struct bgx_err *err)
{
	struct health_settings s;
	const char *key;
	json_t *v;
	int r;

	if (!json_is_object(obj))
		return bgx_fail_usage(err, EINVAL, "health settings: not a JSON object");
	health_settings_default(&s);
	json_object_foreach((json_t *)obj, key, v) {
		r = set_key(&s, key, v, err);
		if (r)
			return r;
	}
	r = health_settings_validate(&s, err);
	if (!r)
		*out = s;
	return r;
}
