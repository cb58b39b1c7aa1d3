// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * config_yaml.c - reading a config file: the input (file, stdin or
 * memory, size-limited), the document around the top-level mapping, and
 * the instance keys (flows, fast_path, prune, interfaces).  Services are
 * in config_yaml_service.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config_yaml.h"
#include "config_yaml_int.h"

/* ---- instance keys -------------------------------------------------------- */

static int key_flows(struct cfg_reader *r, void *obj, const char *key)
{
	struct bgx_desired *d = obj;
	unsigned long long v;
	int r2;

	d->pos_flows = cfg_pos(r);
	if ((r2 = cfg_uint(r, key, BGX_FLOWS_MIN, BGX_FLOWS_MAX, &v)))
		return r2;
	d->flows = (__u32)v;
	return 0;
}

static int key_prune(struct cfg_reader *r, void *obj, const char *key)
{
	struct bgx_desired *d = obj;

	d->pos_prune = cfg_pos(r);
	return cfg_bool(r, key, &d->prune);
}

static int ifname(struct cfg_reader *r, const char *label, char name[BGX_IFNAME_LEN])
{
	struct bgx_err ve = { 0 };
	const char *s;
	int r2;

	if ((r2 = cfg_string(r, label, "an interface name", &s)))
		return r2;
	if (bgx_ifname_check(s, label, &ve))
		return cfg_fail_value(r, cfg_pos(r), &ve);
	snprintf(name, BGX_IFNAME_LEN, "%s", s);
	return 0;
}

static int fast_path_item(struct cfg_reader *r, void *obj, __u32 index)
{
	struct bgx_desired *d = obj;
	struct bgx_desired_fast_path *f = &d->fast_path[index];

	if (index >= BGX_MAX_IFACES)
		return cfg_fail(r, cfg_pos(r), E2BIG, "fast_path: at most %d devices", BGX_MAX_IFACES);
	f->pos = cfg_pos(r);
	d->n_fast_path = index + 1;
	return ifname(r, "fast_path", f->name);
}

static int key_fast_path(struct cfg_reader *r, void *obj, const char *key)
{
	struct bgx_desired *d = obj;

	d->pos_fast_path = cfg_pos(r);
	d->fast_path_set = true;
	return cfg_seq(r, key, fast_path_item, d);
}

static int iface_name(struct cfg_reader *r, void *obj, const char *key)
{
	struct bgx_desired_iface *f = obj;

	f->pos = cfg_pos(r);
	return ifname(r, key, f->name);
}

static int iface_mode(struct cfg_reader *r, void *obj, const char *key)
{
	static const char *const modes[] = { "auto", "native", "generic", NULL };
	static const __u8 values[] = { BGX_XDP_AUTO, BGX_XDP_NATIVE, BGX_XDP_GENERIC };
	struct bgx_desired_iface *f = obj;
	unsigned i;
	int r2;

	f->pos_mode = cfg_pos(r);
	if ((r2 = cfg_word(r, key, modes, &i)))
		return r2;
	f->mode = values[i];
	return 0;
}

static int iface_item(struct cfg_reader *r, void *obj, __u32 index)
{
	static const struct cfg_key keys[] = {
		{ "name", iface_name }, { "mode", iface_mode }, { NULL, NULL },
	};
	struct bgx_desired *d = obj;
	struct bgx_src_pos seen[CFG_MAX_KEYS], start;
	int r2;

	if (index >= BGX_MAX_IFACES)
		return cfg_fail(r, cfg_pos(r), E2BIG, "interfaces: at most %d", BGX_MAX_IFACES);
	if ((r2 = cfg_map(r, "interface", "key", keys, &d->ifaces[index], seen, &start)))
		return r2;
	d->n_ifaces = index + 1;
	if (!seen[0].line)
		return cfg_fail(r, start, EINVAL, "interface: missing key 'name'");
	return 0;
}

static int key_interfaces(struct cfg_reader *r, void *obj, const char *key)
{
	struct bgx_desired *d = obj;

	d->pos_interfaces = cfg_pos(r);
	return cfg_seq(r, key, iface_item, d);
}

/* ---- the document --------------------------------------------------------- */

static int top_level(struct cfg_reader *r, struct bgx_src_pos doc)
{
	static const struct cfg_key keys[] = {
		{ "flows", key_flows }, { "fast_path", key_fast_path }, { "prune", key_prune },
		{ "interfaces", key_interfaces }, { "services", cfg_services }, { NULL, NULL },
	};
	struct bgx_src_pos seen[CFG_MAX_KEYS], start;
	int r2;

	if (r->ev.type == YAML_SCALAR_EVENT && !r->ev.data.scalar.value[0])
		return cfg_fail(r, doc, EINVAL, "empty document: expected a mapping with services");
	if ((r2 = cfg_map(r, "the top level", "key", keys, r->d, seen, &start)))
		return r2;
	if (!seen[4].line)
		return cfg_fail(r, start, EINVAL, "missing key 'services' (write services: [] for none)");
	return 0;
}

/* Stream start, one document with a mapping, stream end. */
static int document(struct cfg_reader *r)
{
	struct bgx_src_pos doc;
	int r2;

	if ((r2 = cfg_next(r)) || (r2 = cfg_next(r)))
		return r2;
	if (r->ev.type == YAML_STREAM_END_EVENT)
		return cfg_fail(r, (struct bgx_src_pos){ 1, 1 }, EINVAL,
				"empty file: expected a mapping with services (services: [] for none)");
	doc = cfg_pos(r);
	if ((r2 = cfg_next(r)) || (r2 = top_level(r, doc)) || (r2 = cfg_next(r)))
		return r2;
	/* DOCUMENT_END, then the stream must end */
	if ((r2 = cfg_next(r)))
		return r2;
	if (r->ev.type == YAML_DOCUMENT_START_EVENT)
		return cfg_fail(r, cfg_pos(r), EINVAL, "a second document: a config file holds one");
	return 0;
}

static int too_large(struct bgx_desired *d, const char *buf, size_t len, struct bgx_err *e)
{
	return bgx_desired_fail_at(d, cfg_offset_pos(buf, len, BGX_CONFIG_MAX_BYTES), e, EFBIG,
				   "file too large: more than %u bytes", BGX_CONFIG_MAX_BYTES);
}

int bgx_config_parse_buffer(const char *buf, size_t len, const char *source,
			    struct bgx_desired *out, struct bgx_err *e)
{
	struct cfg_reader r = { .buf = buf, .len = len, .e = e };
	int ret;

	if (!(r.d = bgx_desired_new()))
		return bgx_fail(e, ENOMEM, "%s: out of memory", source);
	snprintf(r.d->source, sizeof(r.d->source), "%s", source);
	if (len > BGX_CONFIG_MAX_BYTES) {
		ret = too_large(r.d, buf, len, e);
		goto out;
	}
	if (!yaml_parser_initialize(&r.yp)) {
		ret = bgx_fail(e, ENOMEM, "%s: out of memory", source);
		goto out;
	}
	yaml_parser_set_encoding(&r.yp, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&r.yp, (const unsigned char *)buf, len);
	ret = document(&r);
	if (r.have_ev)
		yaml_event_delete(&r.ev);
	yaml_parser_delete(&r.yp);
	if (!ret)
		ret = bgx_desired_validate(r.d, e);
	if (!ret) {
		bgx_desired_canonicalize(r.d);
		memcpy(out, r.d, sizeof(*out));
	}
out:
	bgx_desired_free(r.d);
	return ret;
}

/* Read at most BGX_CONFIG_MAX_BYTES + 1 bytes: enough to know it is too
 * large, without reading an endless stdin. */
static int read_all(FILE *f, const char *source, char **buf, size_t *len, struct bgx_err *e)
{
	size_t cap = BGX_CONFIG_MAX_BYTES + 1, n = 0, got;
	char *b = malloc(cap);

	if (!b)
		return bgx_fail(e, ENOMEM, "%s: out of memory", source);
	while (n < cap && (got = fread(b + n, 1, cap - n, f)) > 0)
		n += got;
	if (ferror(f)) {
		int err = errno ? errno : EIO;

		free(b);
		return bgx_fail(e, err, "%s: cannot read: %s", source, strerror(err));
	}
	*buf = b;
	*len = n;
	return 0;
}

int bgx_config_parse_file(const char *path, struct bgx_desired *out, struct bgx_err *e)
{
	bool is_stdin = !strcmp(path, "-");
	const char *source = is_stdin ? "<stdin>" : path;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (!f)
		return bgx_fail(e, errno, "%s: cannot open: %s", path, strerror(errno));
	r = read_all(f, source, &buf, &len, e);
	if (!is_stdin)
		fclose(f);
	if (r)
		return r;
	r = bgx_config_parse_buffer(buf, len, source, out, e);
	free(buf);
	return r;
}
