// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * config_yaml_reader.c - the event cursor and typed scalar readers of the
 * config parser (see config_yaml_int.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "config_yaml_int.h"

struct bgx_src_pos cfg_pos(const struct cfg_reader *r)
{
	return (struct bgx_src_pos){ (__u32)r->ev.start_mark.line + 1,
				     (__u32)r->ev.start_mark.column + 1 };
}

int cfg_fail(struct cfg_reader *r, struct bgx_src_pos pos, int code, const char *fmt, ...)
{
	char msg[BGX_ERR_MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return bgx_desired_fail_at(r->d, pos, r->e, code, "%s", msg);
}

int cfg_fail_value(struct cfg_reader *r, struct bgx_src_pos pos, const struct bgx_err *ve)
{
	return cfg_fail(r, pos, ve->code ? ve->code : -EINVAL, "%s", ve->msg);
}

/* Length of the line break at `p` as YAML counts them (CR LF, CR, LF,
 * NEL, LS, PS), or 0. */
static size_t line_break(const unsigned char *p, size_t left)
{
	if (left >= 2 && p[0] == '\r' && p[1] == '\n')
		return 2;
	if (p[0] == '\r' || p[0] == '\n')
		return 1;
	if (left >= 2 && p[0] == 0xc2 && p[1] == 0x85)
		return 2;
	if (left >= 3 && p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
		return 3;
	return 0;
}

struct bgx_src_pos cfg_offset_pos(const char *buf, size_t len, size_t off)
{
	const unsigned char *b = (const unsigned char *)buf;
	struct bgx_src_pos p = { 1, 1 };
	size_t i = 0, n;

	while (i < off && i < len) {
		if ((n = line_break(b + i, len - i))) {
			p.line++;
			p.col = 1;
			i += n;
			continue;
		}
		if ((b[i] & 0xc0) != 0x80)
			p.col++;
		i++;
	}
	return p;
}

static int yaml_failure(struct cfg_reader *r)
{
	const yaml_parser_t *p = &r->yp;
	struct bgx_src_pos pos = { (__u32)p->problem_mark.line + 1, (__u32)p->problem_mark.column + 1 };

	if (p->error == YAML_MEMORY_ERROR)
		return cfg_fail(r, (struct bgx_src_pos){ 0, 0 }, ENOMEM, "out of memory reading the file");
	if (p->error == YAML_READER_ERROR)
		pos = cfg_offset_pos(r->buf, r->len, p->problem_offset);
	if (p->context)
		return cfg_fail(r, pos, EINVAL, "bad YAML: %s (%s at line %zu)",
				p->problem ? p->problem : "syntax error", p->context,
				p->context_mark.line + 1);
	return cfg_fail(r, pos, EINVAL, "bad YAML: %s", p->problem ? p->problem : "syntax error");
}

/* Anchors, aliases and tags are not needed by this format, and aliases can
 * multiply a small file into a huge one: refused wherever they appear. */
static int refuse_yaml_features(struct cfg_reader *r)
{
	const yaml_event_t *ev = &r->ev;
	const yaml_char_t *anchor = NULL, *tag = NULL;

	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return cfg_fail(r, cfg_pos(r), EINVAL, "aliases (*%s) are not supported: write the value out",
				(const char *)ev->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		break;
	case YAML_DOCUMENT_START_EVENT:
		if (ev->data.document_start.version_directive ||
		    ev->data.document_start.tag_directives.start != ev->data.document_start.tag_directives.end)
			return cfg_fail(r, cfg_pos(r), EINVAL, "directives (%%YAML, %%TAG) are not supported");
		break;
	default:
		break;
	}
	if (anchor)
		return cfg_fail(r, cfg_pos(r), EINVAL, "anchors (&%.40s) are not supported: write the value out",
				(const char *)anchor);
	if (tag)
		return cfg_fail(r, cfg_pos(r), EINVAL, "tags (%.40s) are not supported", (const char *)tag);
	return 0;
}

int cfg_next(struct cfg_reader *r)
{
	if (r->have_ev)
		yaml_event_delete(&r->ev);
	r->have_ev = false;
	if (!yaml_parser_parse(&r->yp, &r->ev))
		return yaml_failure(r);
	r->have_ev = true;
	return refuse_yaml_features(r);
}

const char *cfg_got(const struct cfg_reader *r, char *buf, size_t len)
{
	const yaml_event_t *ev = &r->ev;

	switch (ev->type) {
	case YAML_MAPPING_START_EVENT:
		return "a mapping";
	case YAML_SEQUENCE_START_EVENT:
		return "a list";
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
			snprintf(buf, len, "the quoted string '%.40s'", (const char *)ev->data.scalar.value);
		else
			snprintf(buf, len, "'%.40s'", (const char *)ev->data.scalar.value);
		return buf;
	default:
		return "nothing";
	}
}

#define GOT(r) cfg_got((r), (char[64]){ 0 }, 64)

static int refuse_type(struct cfg_reader *r, const char *label, const char *expected)
{
	return cfg_fail(r, cfg_pos(r), EINVAL, "%s: expected %s, got %s", label, expected, GOT(r));
}

/* ---- collections ------------------------------------------------------- */

static int key_index(const struct cfg_key *keys, const char *name)
{
	for (int i = 0; keys[i].name; i++)
		if (!strcmp(keys[i].name, name))
			return i;
	return -1;
}

static int unknown_key(struct cfg_reader *r, const char *what, const char *noun,
		       const struct cfg_key *keys, const char *name)
{
	char list[256] = "";
	size_t off = 0;

	for (int i = 0; keys[i].name && off < sizeof(list); i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "",
					keys[i].name);
	return cfg_fail(r, cfg_pos(r), EINVAL, "unknown %s '%.40s' in %s (expected %s)", noun, name,
			what, list);
}

int cfg_map(struct cfg_reader *r, const char *what, const char *noun, const struct cfg_key *keys,
	    void *obj, struct bgx_src_pos *seen, struct bgx_src_pos *start)
{
	int n = 0, r2;

	while (keys[n].name)
		n++;
	for (int i = 0; i < n; i++)
		seen[i] = (struct bgx_src_pos){ 0, 0 };
	if (r->ev.type != YAML_MAPPING_START_EVENT)
		return refuse_type(r, what, "a mapping");
	*start = cfg_pos(r);
	for (;;) {
		char name[64];
		int k;

		if ((r2 = cfg_next(r)))
			return r2;
		if (r->ev.type == YAML_MAPPING_END_EVENT)
			return 0;
		if (r->ev.type != YAML_SCALAR_EVENT)
			return cfg_fail(r, cfg_pos(r), EINVAL, "%s: a %s must be a plain word, got %s",
					what, noun, GOT(r));
		snprintf(name, sizeof(name), "%s", (const char *)r->ev.data.scalar.value);
		k = strlen(name) == r->ev.data.scalar.length ? key_index(keys, name) : -1;
		if (k < 0)
			return unknown_key(r, what, noun, keys, name);
		if (seen[k].line)
			return cfg_fail(r, cfg_pos(r), EINVAL, "duplicate %s '%s' in %s (first at %u:%u)",
					noun, name, what, seen[k].line, seen[k].col);
		seen[k] = cfg_pos(r);
		if ((r2 = cfg_next(r)) || (r2 = keys[k].fn(r, obj, keys[k].name)))
			return r2;
	}
}

int cfg_seq(struct cfg_reader *r, const char *what, cfg_item_fn fn, void *obj)
{
	int r2;

	if (r->ev.type != YAML_SEQUENCE_START_EVENT)
		return refuse_type(r, what, "a list");
	for (__u32 i = 0;; i++) {
		if ((r2 = cfg_next(r)))
			return r2;
		if (r->ev.type == YAML_SEQUENCE_END_EVENT)
			return 0;
		if ((r2 = fn(r, obj, i)))
			return r2;
	}
}

/* ---- scalars ------------------------------------------------------------- */

static bool is_null(const yaml_event_t *ev)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	const char *v = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (!strcmp(v, nulls[i]))
			return true;
	return false;
}

static int scalar(struct cfg_reader *r, const char *label, const char *expected, bool plain_only,
		  const char **s)
{
	const yaml_event_t *ev = &r->ev;

	if (ev->type == YAML_SEQUENCE_START_EVENT && ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE &&
	    strstr(expected, "ADDR:PORT"))
		return cfg_fail(r, cfg_pos(r), EINVAL,
				"%s: expected %s, got a list (an IPv6 address must be quoted: \"[2001:db8::1]:80\")",
				label, expected);
	if (ev->type != YAML_SCALAR_EVENT)
		return refuse_type(r, label, expected);
	if (is_null(ev))
		return cfg_fail(r, cfg_pos(r), EINVAL, "%s: no value (expected %s)", label, expected);
	if (strlen((const char *)ev->data.scalar.value) != ev->data.scalar.length)
		return cfg_fail(r, cfg_pos(r), EINVAL, "%s: the value contains a NUL character", label);
	if (plain_only && ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return refuse_type(r, label, expected);
	*s = (const char *)ev->data.scalar.value;
	return 0;
}

int cfg_string(struct cfg_reader *r, const char *label, const char *expected, const char **s)
{
	return scalar(r, label, expected, false, s);
}

int cfg_uint(struct cfg_reader *r, const char *label, unsigned long long min,
	     unsigned long long max, unsigned long long *v)
{
	char expected[64];
	struct bgx_err ve = { 0 };
	const char *s;
	int r2;

	snprintf(expected, sizeof(expected), "a number %llu..%llu", min, max);
	if ((r2 = scalar(r, label, expected, true, &s)))
		return r2;
	if (bgx_parse_uint(s, label, min, max, v, &ve))
		return cfg_fail_value(r, cfg_pos(r), &ve);
	return 0;
}

int cfg_duration(struct cfg_reader *r, const char *label, __u64 min_ms, __u64 max_ms, __u32 *ms)
{
	struct bgx_err ve = { 0 };
	const char *s;
	__u64 v;
	int r2;

	if ((r2 = scalar(r, label, "a duration like 500ms or 2s", true, &s)))
		return r2;
	if (bgx_parse_duration_ms(s, label, min_ms, max_ms, &v, &ve))
		return cfg_fail_value(r, cfg_pos(r), &ve);
	*ms = (__u32)v;
	return 0;
}

int cfg_bool(struct cfg_reader *r, const char *label, bool *v)
{
	const char *s;
	int r2;

	if ((r2 = scalar(r, label, "true or false", true, &s)))
		return r2;
	if (strcmp(s, "true") && strcmp(s, "false"))
		return cfg_fail(r, cfg_pos(r), EINVAL, "%s: bad value '%.40s' (expected true or false)",
				label, s);
	*v = !strcmp(s, "true");
	return 0;
}

int cfg_endpoint(struct cfg_reader *r, const char *label, struct endpoint *ep)
{
	struct bgx_err ve = { 0 };
	const char *s;
	int r2;

	if ((r2 = scalar(r, label, "an address ADDR:PORT", false, &s)))
		return r2;
	if (bgx_parse_endpoint(s, label, ep, &ve))
		return cfg_fail_value(r, cfg_pos(r), &ve);
	return 0;
}

int cfg_word(struct cfg_reader *r, const char *label, const char *const *words, unsigned *index)
{
	char list[128] = "";
	size_t off = 0;
	const char *s;
	unsigned n = 0;
	int r2;

	while (words[n])
		n++;
	for (unsigned i = 0; i < n && off < sizeof(list); i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
					i == 0 ? "" : i + 1 == n ? " or " : ", ", words[i]);
	if ((r2 = scalar(r, label, list, true, &s)))
		return r2;
	for (unsigned i = 0; i < n; i++) {
		if (!strcmp(s, words[i])) {
			*index = i;
			return 0;
		}
	}
	return cfg_fail(r, cfg_pos(r), EINVAL, "%s: bad value '%.40s' (expected %s)", label, s, list);
}
