/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * config_yaml_int.h - inside the config parser: a cursor over libyaml's
 * events and the typed readers every key uses.  Only config_yaml*.c
 * include it.
 *
 * The parser walks the event stream with the schema: each key's function
 * consumes exactly its value's events (for a collection: up to its END
 * event), so an unexpected collection is refused at its first event and
 * nothing is ever skipped unread.
 */
#ifndef BGXDP_CONFIG_YAML_INT_H
#define BGXDP_CONFIG_YAML_INT_H

#include <stdbool.h>
#include <yaml.h>
#include "desired.h"

struct cfg_reader {
	yaml_parser_t yp;
	yaml_event_t ev;                /* the current event */
	bool have_ev;
	const char *buf;                /* the whole input, for reader-error positions */
	size_t len;
	struct bgx_desired *d;          /* being filled (its source names the file) */
	struct bgx_err *e;
};

/* The next event; refuses aliases, anchors and tags, and turns a libyaml
 * error into "FILE:LINE:COL: bad YAML: ...". */
int cfg_next(struct cfg_reader *r);
struct bgx_src_pos cfg_pos(const struct cfg_reader *r);
int cfg_fail(struct cfg_reader *r, struct bgx_src_pos pos, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Line and column of byte `off`, counted as libyaml counts its marks
 * (YAML line breaks, columns in characters). */
struct bgx_src_pos cfg_offset_pos(const char *buf, size_t len, size_t off);
/* A value parser's error (values.h) at `pos`. */
int cfg_fail_value(struct cfg_reader *r, struct bgx_src_pos pos, const struct bgx_err *ve);
/* "a mapping", "a list", "a quoted string", "the value 'x'" */
const char *cfg_got(const struct cfg_reader *r, char *buf, size_t len);

/* A key's value: on entry the current event is the value's first event;
 * on return the value's last one. */
typedef int (*cfg_value_fn)(struct cfg_reader *r, void *obj, const char *key);
struct cfg_key {
	const char *name;
	cfg_value_fn fn;
};
#define CFG_MAX_KEYS 16

/* The current event must start a mapping (`what` names it in messages);
 * every key must be in `keys` (NULL-terminated; `noun` is "key" or
 * "color") and appear once.  seen[i] gets the position of keys[i] (line 0:
 * absent); *start the mapping's. */
int cfg_map(struct cfg_reader *r, const char *what, const char *noun, const struct cfg_key *keys,
	    void *obj, struct bgx_src_pos *seen, struct bgx_src_pos *start);

/* The current event must start a list; fn is called for each item, with
 * its index and the current event on its first event. */
typedef int (*cfg_item_fn)(struct cfg_reader *r, void *obj, __u32 index);
int cfg_seq(struct cfg_reader *r, const char *what, cfg_item_fn fn, void *obj);

/* Scalars.  `label` is the key, `expected` what is accepted (for type
 * errors).  Strings may be quoted; numbers, booleans and words must be
 * plain.  An empty value, ~ or null is "no value". */
int cfg_string(struct cfg_reader *r, const char *label, const char *expected, const char **s);
int cfg_uint(struct cfg_reader *r, const char *label, unsigned long long min,
	     unsigned long long max, unsigned long long *v);
int cfg_duration(struct cfg_reader *r, const char *label, __u64 min_ms, __u64 max_ms, __u32 *ms);
int cfg_bool(struct cfg_reader *r, const char *label, bool *v);
int cfg_endpoint(struct cfg_reader *r, const char *label, struct endpoint *ep);
/* One of `words` (NULL-terminated) -> its index. */
int cfg_word(struct cfg_reader *r, const char *label, const char *const *words, unsigned *index);

/* The `services` list (config_yaml_service.c) and a service's `health`
 * (config_yaml_health.c, obj: the struct bgx_desired_service). */
int cfg_services(struct cfg_reader *r, void *obj, const char *key);
int cfg_health(struct cfg_reader *r, void *obj, const char *key);

#endif
