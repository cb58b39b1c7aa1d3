// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fleet_store.c - the fleet's keys in etcd and their JSON (fleet_store.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "fleet_store.h"

static const char *const kind_names[] = {
	[FLEET_KEY_DESIRED] = "desired",
	[FLEET_KEY_HOSTS] = "hosts/",
	[FLEET_KEY_MEMBERS] = "members/",
};

int fleet_key(char *buf, size_t len, const char *fleet, enum fleet_key_kind kind,
	      const char *host)
{
	int n = snprintf(buf, len, "%s%s/%s%s", FLEET_KEY_ROOT, fleet, kind_names[kind],
			 kind != FLEET_KEY_DESIRED && host ? host : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

const char *fleet_key_host(const char *key)
{
	const char *slash = strrchr(key, '/');

	return slash && slash[1] ? slash + 1 : NULL;
}

int fleet_host_name_check(const char *name, const char *label, struct bgx_err *e)
{
	size_t n = strlen(name);

	if (!n || n >= FLEET_HOST_LEN || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
						       "abcdefghijklmnopqrstuvwxyz0123456789_.-") != n)
		return bgx_fail_usage(e, EINVAL, "%s '%.*s': expected 1 to %d letters, digits, "
				      "'_', '.' or '-'", label, 80, name, FLEET_HOST_LEN - 1);
	return 0;
}

int fleet_host_name_default(char *buf, size_t len, struct bgx_err *e)
{
	if (gethostname(buf, len))
		return bgx_fail(e, errno, "cannot read the host name: %s", strerror(errno));
	buf[len - 1] = 0;
	return fleet_host_name_check(buf, "host name (give one with --host-name)", e);
}

/* ---- helpers ---- */

static char *dump(json_t *o)
{
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(o);
	return text;
}

static int copy_string(const json_t *o, const char *name, char *out, size_t len, bool required)
{
	const char *s = json_string_value(json_object_get(o, name));

	if (!s) {
		out[0] = 0;
		return required ? -EINVAL : 0;
	}
	if (strlen(s) >= len)
		return -EINVAL;
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static int64_t get_int(const json_t *o, const char *name)
{
	const json_t *v = json_object_get(o, name);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

static json_t *load_object(const void *buf, size_t len, const char *what, struct bgx_err *e)
{
	json_error_t je;
	json_t *o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);

	if (!o || !json_is_object(o)) {
		json_decref(o);
		bgx_fail(e, EINVAL, "%s: not a JSON object (%s)", what, o ? "another type" : je.text);
		return NULL;
	}
	return o;
}

/* ---- the desired state ---- */

char *fleet_desired_encode(const struct fleet_desired *d)
{
	return dump(json_pack("{s:I, s:s, s:s%, s:s, s:I}", "revision", (json_int_t)d->revision,
			      "digest", d->digest, "config", d->config, d->config_len,
			      "by", d->by, "at", (json_int_t)d->at));
}

int fleet_desired_decode(const void *buf, size_t len, struct fleet_desired *d,
			 struct bgx_err *e)
{
	json_t *o = load_object(buf, len, "fleet desired state", e);
	const json_t *config;
	int r = 0;

	memset(d, 0, sizeof(*d));
	if (!o)
		return -EINVAL;
	config = json_object_get(o, "config");
	d->revision = get_int(o, "revision");
	d->at = get_int(o, "at");
	if (d->revision < 1 || !json_is_string(config) ||
	    copy_string(o, "digest", d->digest, sizeof(d->digest), true) ||
	    strlen(d->digest) != FLEET_DIGEST_LEN - 1 ||
	    copy_string(o, "by", d->by, sizeof(d->by), false)) {
		r = bgx_fail(e, EINVAL, "fleet desired state: expected {\"revision\": N >= 1, "
			     "\"digest\": 64 hex digits, \"config\": text, ...}");
		goto out;
	}
	d->config_len = json_string_length(config);
	d->config = malloc(d->config_len + 1);
	if (!d->config) {
		r = bgx_fail(e, ENOMEM, "out of memory");
		goto out;
	}
	memcpy(d->config, json_string_value(config), d->config_len);
	d->config[d->config_len] = 0;
out:
	json_decref(o);
	return r;
}

void fleet_desired_clear(struct fleet_desired *d)
{
	free(d->config);
	memset(d, 0, sizeof(*d));
}

/* ---- a host's status ---- */

char *fleet_status_encode(const struct fleet_host_status *s)
{
	return dump(json_pack("{s:s, s:s, s:I, s:s, s:I, s:s, s:s, s:{s:I, s:I}, s:I, s:I}",
			      "host", s->host, "state", s->state,
			      "applied_revision", (json_int_t)s->applied_revision,
			      "digest", s->digest,
			      "refused_revision", (json_int_t)s->refused_revision,
			      "error", s->error, "version", s->version,
			      "health", "backends", (json_int_t)s->backends,
			      "up", (json_int_t)s->backends_up,
			      "started", (json_int_t)s->started, "seen", (json_int_t)s->seen));
}

/* A count of backends: what a uint32_t holds (a peer's status is input). */
static bool count_fits(int64_t n)
{
	return n >= 0 && n <= UINT32_MAX;
}

int fleet_status_decode(const void *buf, size_t len, struct fleet_host_status *s,
			struct bgx_err *e)
{
	json_t *o = load_object(buf, len, "fleet host status", e);
	const json_t *health;
	int r = 0;

	memset(s, 0, sizeof(*s));
	if (!o)
		return -EINVAL;
	health = json_object_get(o, "health");
	s->applied_revision = get_int(o, "applied_revision");
	s->refused_revision = get_int(o, "refused_revision");
	s->started = get_int(o, "started");
	s->seen = get_int(o, "seen");
	if (copy_string(o, "host", s->host, sizeof(s->host), true) ||
	    copy_string(o, "state", s->state, sizeof(s->state), true) ||
	    copy_string(o, "digest", s->digest, sizeof(s->digest), false) ||
	    copy_string(o, "error", s->error, sizeof(s->error), false) ||
	    copy_string(o, "version", s->version, sizeof(s->version), false) ||
	    !s->host[0] || !s->state[0] || s->applied_revision < 0 || s->refused_revision < 0 || s->seen < 0 ||
	    !count_fits(get_int(health, "backends")) || !count_fits(get_int(health, "up")))
		r = bgx_fail(e, EINVAL, "fleet host status: a field is missing, of the wrong type "
			     "or out of range");
	else {
		s->backends = (uint32_t)get_int(health, "backends");
		s->backends_up = (uint32_t)get_int(health, "up");
	}
	json_decref(o);
	return r;
}

bool fleet_host_in_sync(const struct fleet_host_status *s, bool alive, int64_t desired_revision)
{
	return alive && s->applied_revision == desired_revision && !strcmp(s->state, "applied");
}
