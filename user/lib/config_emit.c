// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * config_emit.c - the canonical text of a desired state, and its digest.
 *
 * libyaml's emitter writes it (the same library that reads it), so quoting
 * and escaping are the library's: an IPv6 address or an odd interface name
 * comes out quoted as YAML requires.  The events are always the same for
 * equal models (canonical order, every valued field written), and the
 * emitter is deterministic, so equal models give byte-identical text.
 * Strings that a YAML reader would take for a number, boolean or null are
 * double-quoted, so other tools (yq, Ansible) read them as strings too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sodium.h>
#include <yaml.h>
#include "config_yaml.h"

#define HEADER "# bgxdp config: `bgxdp apply -f FILE` makes an instance match it\n"

struct out_buf {
	char *p;
	size_t len, cap;
};

static int write_out(void *data, unsigned char *bytes, size_t size)
{
	struct out_buf *o = data;

	if (o->len + size + 1 > o->cap) {
		size_t cap = (o->len + size + 1) * 2;
		char *p = realloc(o->p, cap);

		if (!p)
			return 0;
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, bytes, size);
	o->len += size;
	o->p[o->len] = 0;
	return 1;
}

struct emitter {
	yaml_emitter_t em;
	yaml_event_t ev;
	bool failed;
};

/* Emit the prepared event (libyaml frees it, even on failure). */
static void put(struct emitter *m, int init_ok)
{
	if (m->failed)
		return;
	if (!init_ok || !yaml_emitter_emit(&m->em, &m->ev))
		m->failed = true;
}

/* YAML 1.1 readers resolve these plain words to booleans or null, and
 * anything starting like a number to a number. */
static bool needs_quotes(const char *s)
{
	static const char *const words[] = {
		"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
		"false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null",
		"NULL", "~", "",
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(s, words[i]))
			return true;
	return (s[0] >= '0' && s[0] <= '9') || s[0] == '+' || s[0] == '-' || s[0] == '.';
}

static void scalar_styled(struct emitter *m, const char *s, yaml_scalar_style_t style)
{
	put(m, yaml_scalar_event_initialize(&m->ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s),
					    1, 1, style));
}

/* A number, or a word of the format: plain. */
static void plain(struct emitter *m, const char *s)
{
	scalar_styled(m, s, YAML_PLAIN_SCALAR_STYLE);
}

/* A string the user chose (a name, a path). */
static void string(struct emitter *m, const char *s)
{
	scalar_styled(m, s, needs_quotes(s) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_PLAIN_SCALAR_STYLE);
}

static void map_start(struct emitter *m, bool flow)
{
	put(m, yaml_mapping_start_event_initialize(&m->ev, NULL, NULL, 1,
						   flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE));
}

static void map_end(struct emitter *m)
{
	put(m, yaml_mapping_end_event_initialize(&m->ev));
}

static void seq_start(struct emitter *m, bool flow)
{
	put(m, yaml_sequence_start_event_initialize(&m->ev, NULL, NULL, 1,
						    flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE));
}

static void seq_end(struct emitter *m)
{
	put(m, yaml_sequence_end_event_initialize(&m->ev));
}

static void kv_plain(struct emitter *m, const char *key, const char *value)
{
	plain(m, key);
	plain(m, value);
}

static void kv_uint(struct emitter *m, const char *key, unsigned long long v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", v);
	kv_plain(m, key, buf);
}

static void kv_endpoint(struct emitter *m, const char *key, const struct endpoint *ep)
{
	char buf[ENDPOINT_STRLEN];

	format_endpoint(ep->addr, htons(ep->port), ep->family, buf, sizeof(buf));
	plain(m, key);
	plain(m, buf);
}

static void kv_duration(struct emitter *m, const char *key, __u32 ms)
{
	char buf[24];

	bgx_duration_format(ms, buf, sizeof(buf));
	kv_plain(m, key, buf);
}

static void emit_health(struct emitter *m, const struct bgx_desired_health *h)
{
	char buf[BGX_HEALTH_MAX_RANGES * 8 + 1];

	plain(m, "health");
	if (h->mode == BGX_HEALTH_OFF) {
		plain(m, "off");
		return;
	}
	map_start(m, false);
	kv_plain(m, "check", bgx_check_name(h->check));
	if (h->check == BGX_CHECK_HTTP) {
		plain(m, "path");
		string(m, h->path);
		bgx_expect_format(h, buf, sizeof(buf));
		kv_plain(m, "expect", buf);
	}
	kv_duration(m, "interval", h->interval_ms);
	kv_duration(m, "timeout", h->timeout_ms);
	kv_uint(m, "rise", h->rise);
	kv_uint(m, "fall", h->fall);
	if (h->port)
		kv_uint(m, "port", h->port);
	if (h->fastinter_ms)
		kv_duration(m, "fastinter", h->fastinter_ms);
	if (h->downinter_ms)
		kv_duration(m, "downinter", h->downinter_ms);
	kv_plain(m, "expire_flows_on_down", h->expire_flows_on_down ? "true" : "false");
	map_end(m);
}

static void emit_backends(struct emitter *m, const struct bgx_desired_service *s)
{
	plain(m, "backends");
	map_start(m, false);
	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		plain(m, color_name(c));
		seq_start(m, false);
		for (__u32 i = 0; i < s->n_backends[c]; i++) {
			const struct bgx_desired_backend *b = &s->backends[c][i];

			map_start(m, true);
			kv_endpoint(m, "address", &b->ep);
			kv_uint(m, "weight", b->weight);
			kv_plain(m, "state", bgx_admin_state_name(b->state));
			map_end(m);
		}
		seq_end(m);
	}
	map_end(m);
}

static void emit_service(struct emitter *m, const struct bgx_desired_service *s)
{
	char pct[16];

	map_start(m, false);
	plain(m, "name");
	string(m, s->def.name);
	kv_endpoint(m, "vip", &s->def.vip);
	kv_plain(m, "proto", proto_name(s->def.proto));
	if (s->def.preview.family)
		kv_endpoint(m, "preview", &s->def.preview);
	kv_plain(m, "affinity", s->def.affinity_client ? "client" : "flow");
	if (s->green_bp == 0 || s->green_bp == BGXDP_SHARE_SCALE) {
		kv_plain(m, "active", s->green_bp ? "green" : "blue");
	} else {
		bgx_percent_format(s->green_bp, pct, sizeof(pct));
		plain(m, "share");
		map_start(m, true);
		kv_plain(m, "green", pct);
		map_end(m);
	}
	emit_backends(m, s);
	if (s->health.mode != BGX_HEALTH_UNSET)
		emit_health(m, &s->health);
	map_end(m);
}

static void emit_instance(struct emitter *m, const struct bgx_desired *d)
{
	if (d->flows)
		kv_uint(m, "flows", d->flows);
	if (d->fast_path_set) {
		plain(m, "fast_path");
		seq_start(m, true);
		for (__u32 i = 0; i < d->n_fast_path; i++)
			string(m, d->fast_path[i].name);
		seq_end(m);
	}
	kv_plain(m, "prune", d->prune ? "true" : "false");
	plain(m, "interfaces");
	seq_start(m, false);
	for (__u32 i = 0; i < d->n_ifaces; i++) {
		map_start(m, true);
		plain(m, "name");
		string(m, d->ifaces[i].name);
		kv_plain(m, "mode", bgx_xdp_mode_name(d->ifaces[i].mode));
		map_end(m);
	}
	seq_end(m);
}

static void emit_document(struct emitter *m, const struct bgx_desired *d)
{
	put(m, yaml_stream_start_event_initialize(&m->ev, YAML_UTF8_ENCODING));
	put(m, yaml_document_start_event_initialize(&m->ev, NULL, NULL, NULL, 1));
	map_start(m, false);
	emit_instance(m, d);
	plain(m, "services");
	seq_start(m, false);
	for (__u32 i = 0; i < d->n_services; i++)
		emit_service(m, &d->services[i]);
	seq_end(m);
	map_end(m);
	put(m, yaml_document_end_event_initialize(&m->ev, 1));
	put(m, yaml_stream_end_event_initialize(&m->ev));
}

int bgx_config_emit(const struct bgx_desired *d, char **text, size_t *len, struct bgx_err *e)
{
	struct out_buf out = { 0 };
	struct emitter m = { 0 };
	struct bgx_desired *c = bgx_desired_new();
	int r;

	if (!c)
		return bgx_fail(e, ENOMEM, "out of memory");
	memcpy(c, d, sizeof(*c));
	bgx_desired_canonicalize(c);
	if ((r = bgx_desired_validate(c, e)))
		goto out;
	r = -ENOMEM;
	if (!write_out(&out, (unsigned char *)HEADER, strlen(HEADER)) || !yaml_emitter_initialize(&m.em)) {
		bgx_fail(e, ENOMEM, "out of memory");
		goto out;
	}
	yaml_emitter_set_output(&m.em, write_out, &out);
	yaml_emitter_set_indent(&m.em, 2);
	yaml_emitter_set_width(&m.em, -1);
	yaml_emitter_set_unicode(&m.em, 0);
	emit_document(&m, c);
	if (m.failed || !yaml_emitter_flush(&m.em)) {
		r = bgx_fail(e, m.em.error == YAML_MEMORY_ERROR ? ENOMEM : EINVAL,
			     "cannot write the config: %s", m.em.problem ? m.em.problem : "out of memory");
		yaml_emitter_delete(&m.em);
		goto out;
	}
	yaml_emitter_delete(&m.em);
	*text = out.p;
	*len = out.len;
	out.p = NULL;
	r = 0;
out:
	free(out.p);
	bgx_desired_free(c);
	return r;
}

int bgx_config_digest(const struct bgx_desired *d, char hex[BGX_DIGEST_HEX_LEN], struct bgx_err *e)
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	char *text;
	size_t len;
	int r;

	_Static_assert(BGX_DIGEST_HEX_LEN == crypto_hash_sha256_BYTES * 2 + 1, "digest length");
	if (sodium_init() < 0)
		return bgx_fail(e, EIO, "cannot initialise libsodium");
	if ((r = bgx_config_emit(d, &text, &len, e)))
		return r;
	crypto_hash_sha256(hash, (const unsigned char *)text, len);
	sodium_bin2hex(hex, BGX_DIGEST_HEX_LEN, hash, sizeof(hash));
	free(text);
	return 0;
}
