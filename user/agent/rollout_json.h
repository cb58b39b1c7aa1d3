/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * rollout_json.h - JSON forms of a rollout's parts, shared by the state
 * file (rollout_store.c) and the journal (rollout_report.c).  Internal to
 * the rollout modules.
 *
 * Writers return a new json_t (NULL: out of memory).  Readers take a
 * struct rj_reader: the first bad field is recorded in its error as
 * "state file PATH: FIELD missing or not WHAT" and later reads return
 * zeroes, so a reader is a straight list of reads and one check at the end.
 */
#ifndef BGXDP_ROLLOUT_JSON_H
#define BGXDP_ROLLOUT_JSON_H

#include <jansson.h>
#include "rollout.h"

struct rj_reader {
	const char *path;
	struct bgx_err *err;
	bool bad;
};

json_t *rj_spec(const struct rollout_spec *spec);
json_t *rj_checks(const struct check_result *checks, unsigned n);
json_t *rj_decision(const struct rollout_decision *d);
json_t *rj_counts(const struct color_counts *c);
json_t *rj_analysis(const struct analysis_result *res);

void rj_read_spec(struct rj_reader *r, json_t *o, struct rollout_spec *spec);
unsigned rj_read_checks(struct rj_reader *r, json_t *array, const char *where,
			struct check_result *checks);
void rj_read_decision(struct rj_reader *r, json_t *o, const char *where,
		      struct rollout_decision *d);
void rj_read_counts(struct rj_reader *r, json_t *o, const char *where, struct color_counts *c);
void rj_read_analysis(struct rj_reader *r, json_t *o, struct analysis_result *res);

/* Records "FIELD missing or not WHAT" unless an error is recorded already. */
void rj_fail(struct rj_reader *r, const char *where, const char *key, const char *what);
/* Field readers: 0 / "" / false when missing or of the wrong kind. */
json_t *rj_field(struct rj_reader *r, json_t *o, const char *where, const char *key,
		 json_type type);
uint64_t rj_u64(struct rj_reader *r, json_t *o, const char *where, const char *key,
		uint64_t max);
double rj_double(struct rj_reader *r, json_t *o, const char *where, const char *key);
bool rj_bool(struct rj_reader *r, json_t *o, const char *where, const char *key);
void rj_string(struct rj_reader *r, json_t *o, const char *where, const char *key,
	       char *buf, size_t len);
/* Index of the string in names[]; 0 when not one of them. */
unsigned rj_enum(struct rj_reader *r, json_t *o, const char *where, const char *key,
		 const char *(*name)(unsigned), unsigned count);

/* Adds `value` (stolen) to `o`; returns false (and frees it) on failure. */
bool rj_set(json_t *o, const char *key, json_t *value);

const char *rj_color_name(unsigned color);

#endif
