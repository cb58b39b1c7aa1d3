// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* health_store.c - health settings in the state dir, and in the declarative model. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "desired.h"
#include "health_store.h"
#include "state_file.h"

static int store_path(const char *state_dir, const char *service, char *buf, size_t len,
		      struct bgx_err *err)
{
	char name[HEALTH_SERVICE_LEN + 32];

	snprintf(name, sizeof(name), HEALTH_STORE_PREFIX "%.*s" HEALTH_STORE_SUFFIX,
		 HEALTH_SERVICE_LEN - 1, service);
	return state_file_path(state_dir, name, buf, len, err);
}

int health_store_save(const char *state_dir, const char *service,
		      const struct health_settings *s, struct bgx_err *err)
{
	char path[4096];
	json_t *doc;
	int r;

	if ((r = health_settings_validate(s, err)) ||
	    (r = store_path(state_dir, service, path, sizeof(path), err)))
		return r;
	doc = json_pack("{s:s, s:o*}", "service", service, "settings", health_settings_to_json(s));
	if (!doc)
		return bgx_fail(err, ENOMEM, "out of memory");
	r = state_file_save(path, doc, err);
	json_decref(doc);
	return r;
}

int health_store_load(const char *state_dir, const char *service, struct health_settings *s,
		      struct bgx_err *err)
{
	struct bgx_err why = { 0 };
	char path[4096];
	json_t *doc, *name, *settings;
	int r;

	if ((r = store_path(state_dir, service, path, sizeof(path), err)) ||
	    (r = state_file_load(path, &doc, err)))
		return r;
	name = json_object_get(doc, "service");
	settings = json_object_get(doc, "settings");
	if (!json_is_string(name) || strcmp(json_string_value(name), service) || !settings)
		r = bgx_fail(err, EINVAL, "%s: not the stored health settings of service '%s'", path,
			     service);
	else if ((r = health_settings_from_json(settings, s, &why)))
		r = bgx_fail(err, EINVAL, "%s: %s", path, why.msg);
	json_decref(doc);
	return r;
}

int health_store_remove(const char *state_dir, const char *service, struct bgx_err *err)
{
	char path[4096];
	int r = store_path(state_dir, service, path, sizeof(path), err);

	return r ? r : state_file_remove(path, err);
}

/* "health-web.json" -> "web"; false for any other file. */
static bool service_of(const char *file, char *service, size_t len)
{
	size_t n = strlen(file), pre = strlen(HEALTH_STORE_PREFIX), suf = strlen(HEALTH_STORE_SUFFIX);

	if (n <= pre + suf || n - pre - suf >= len || strncmp(file, HEALTH_STORE_PREFIX, pre) ||
	    strcmp(file + n - suf, HEALTH_STORE_SUFFIX))
		return false;
	memcpy(service, file + pre, n - pre - suf);
	service[n - pre - suf] = 0;
	return bgx_parse_name(service, "service", NULL) == 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int collect_names(const char *state_dir, char ***names, size_t *n, struct bgx_err *err)
{
	DIR *dir = opendir(state_dir);
	struct dirent *de;
	char service[HEALTH_SERVICE_LEN];

	*names = NULL;
	*n = 0;
	if (!dir)
		return errno == ENOENT ? 0 : bgx_fail(err, errno, "cannot read %s: %s", state_dir,
						       strerror(errno));
	while ((de = readdir(dir))) {
		char **grown;

		if (!service_of(de->d_name, service, sizeof(service)))
			continue;
		grown = realloc(*names, (*n + 1) * sizeof(**names));
		if (!grown || !(grown[*n] = strdup(service))) {
			*names = grown ? grown : *names;
			closedir(dir);
			return bgx_fail(err, ENOMEM, "out of memory");
		}
		*names = grown;
		(*n)++;
	}
	closedir(dir);
	qsort(*names, *n, sizeof(**names), cmp_names);
	return 0;
}

int health_store_each(const char *state_dir, health_store_visit_fn visit,
		      health_store_bad_fn bad, void *ctx, struct bgx_err *err)
{
	char **names;
	size_t n;
	int r = collect_names(state_dir, &names, &n, err);

	for (size_t i = 0; i < n; i++) {
		struct health_settings s;
		struct bgx_err why = { 0 };
		int lr;

		if (!r && !(lr = health_store_load(state_dir, names[i], &s, &why)))
			r = visit(names[i], &s, ctx);
		else if (!r && lr != -ENOENT && bad)
			bad(names[i], &why, ctx);
		free(names[i]);
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
