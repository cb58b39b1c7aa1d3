// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* health_desired.c - the agent's health settings and the stored, declarative ones. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "health_desired.h"
#include "health_store.h"

int health_settings_load(const char *state_dir, const char *service, struct health_settings *s,
			 struct bgx_err *err)
{
	struct bgx_desired_health d;
	struct bgx_err why = { 0 };
	int r;

	if ((r = health_store_read(state_dir, service, &d, err)))
		return r;
	if (d.mode == BGX_HEALTH_UNSET)
		return -ENOENT;
	if ((r = health_settings_from_desired(&d, s, &why)))
		return bgx_fail(err, EINVAL, "stored health settings of %s: %s", service, why.msg);
	return 0;
}

int health_settings_save(const char *state_dir, const char *service,
			 const struct health_settings *s, struct bgx_err *err)
{
	struct bgx_desired_health d;
	int r;

	if ((r = health_settings_validate(s, err)))
		return r;
	health_settings_to_desired(s, &d);
	return health_store_write(state_dir, service, &d, err);
}

int health_settings_remove(const char *state_dir, const char *service, struct bgx_err *err)
{
	struct bgx_desired_health unset = { .mode = BGX_HEALTH_UNSET };

	return health_store_write(state_dir, service, &unset, err);
}

int health_settings_each(const char *state_dir, health_settings_visit_fn visit,
			 health_settings_bad_fn bad, void *ctx, struct bgx_err *err)
{
	char (*names)[BGXDP_NAME_LEN] = calloc(HEALTH_STORE_MAX, sizeof(*names));
	size_t n = 0;
	int r = names ? health_store_list(state_dir, names, HEALTH_STORE_MAX, &n, err)
		      : bgx_fail(err, ENOMEM, "out of memory");

	for (size_t i = 0; !r && i < n; i++) {
		struct health_settings s;
		struct bgx_err why = { 0 };
		int lr = health_settings_load(state_dir, names[i], &s, &why);

		if (!lr)
			r = visit(names[i], &s, ctx);
		else if (lr != -ENOENT && bad)
			bad(names[i], &why, ctx);
	}
	free(names);
	return r;
}

/* ---- the declarative model ---------------------------------------------- */

_Static_assert(BGX_HEALTH_PATH_LEN == HEALTH_PATH_LEN, "health path limits agree");
_Static_assert(BGX_HEALTH_MAX_RANGES == HEALTH_MAX_CODE_RANGES, "expect list limits agree");
_Static_assert(BGX_HEALTH_INTERVAL_MIN_MS == HEALTH_INTERVAL_MIN_MS &&
	       BGX_HEALTH_INTERVAL_MAX_MS == HEALTH_INTERVAL_MAX_MS &&
	       BGX_HEALTH_TIMEOUT_MIN_MS == HEALTH_TIMEOUT_MIN_MS &&
	       BGX_HEALTH_TIMEOUT_MAX_MS == HEALTH_TIMEOUT_MAX_MS &&
	       BGX_HEALTH_COUNT_MAX == HEALTH_COUNT_MAX, "health bounds agree");

int health_settings_from_desired(const struct bgx_desired_health *d,
				 struct health_settings *s, struct bgx_err *err)
{
	health_settings_default(s);
	if (d->mode == BGX_HEALTH_UNSET)
		return -ENOENT;
	if (d->mode == BGX_HEALTH_OFF) {
		s->enabled = false;
		return 0;
	}
	s->kind = d->check == BGX_CHECK_HTTP ? HEALTH_HTTP : HEALTH_TCP;
	s->interval_ms = d->interval_ms;
	s->timeout_ms = d->timeout_ms;
	s->fastinter_ms = d->fastinter_ms;
	s->downinter_ms = d->downinter_ms;
	s->rise = d->rise;
	s->fall = d->fall;
	s->port = d->port;
	s->expire_flows_on_down = d->expire_flows_on_down;
	if (s->kind == HEALTH_HTTP) {
		snprintf(s->path, sizeof(s->path), "%s", d->path);
		s->n_expect = d->n_expect;
		for (unsigned i = 0; i < d->n_expect && i < HEALTH_MAX_CODE_RANGES; i++)
			s->expect[i] = (struct health_code_range){ d->expect[i].lo, d->expect[i].hi };
	}
	return health_settings_validate(s, err);
}

void health_settings_to_desired(const struct health_settings *s, struct bgx_desired_health *d)
{
	memset(d, 0, sizeof(*d));
	if (!s->enabled) {
		d->mode = BGX_HEALTH_OFF;
		return;
	}
	d->mode = BGX_HEALTH_ON;
	d->check = s->kind == HEALTH_HTTP ? BGX_CHECK_HTTP : BGX_CHECK_TCP;
	d->interval_ms = s->interval_ms;
	d->timeout_ms = s->timeout_ms;
	d->fastinter_ms = s->fastinter_ms;
	d->downinter_ms = s->downinter_ms;
	d->rise = (__u16)s->rise;
	d->fall = (__u16)s->fall;
	d->port = s->port;
	d->expire_flows_on_down = s->expire_flows_on_down;
	if (s->kind != HEALTH_HTTP)
		return;
	snprintf(d->path, sizeof(d->path), "%s", s->path);
	d->n_expect = (__u8)s->n_expect;
	for (unsigned i = 0; i < s->n_expect && i < BGX_HEALTH_MAX_RANGES; i++)
		d->expect[i] = (struct bgx_code_range){ s->expect[i].lo, s->expect[i].hi };
	bgx_health_canonicalize(d);
}

void health_describe(const struct health_settings *s, char *buf, size_t len)
{
	char codes[HEALTH_MAX_CODE_RANGES * 8 + 1], every[16], timeout[16], port[24] = "";

	if (!s->enabled) {
		snprintf(buf, len, "off");
		return;
	}
	health_format_expect(s, codes, sizeof(codes));
	bgx_duration_format(s->interval_ms, every, sizeof(every));
	bgx_duration_format(s->timeout_ms, timeout, sizeof(timeout));
	if (s->port)
		snprintf(port, sizeof(port), " on port %u", s->port);
	snprintf(buf, len, "%s%s%s%s%s, every %s, timeout %s, rise %u, fall %u%s",
		 s->kind == HEALTH_HTTP ? "http " : "tcp",
		 s->kind == HEALTH_HTTP ? s->path : "", s->kind == HEALTH_HTTP ? " expect " : "",
		 s->kind == HEALTH_HTTP ? codes : "", port, every, timeout, s->rise, s->fall,
		 s->expire_flows_on_down ? ", flows of a backend that goes down end" : "");
}
