/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * promql.h - instant queries against a Prometheus server (libcurl for the
 * HTTP, jansson for the JSON), for the PromQL checks of a rollout.
 *
 * A check needs one number: a query must return an instant vector with
 * exactly one sample, or a scalar.  Everything else is an error with a
 * one-line reason, and the error code says what kind:
 *   -EINVAL        the server refused the query (errorType bad_data: it does
 *                  not parse); or a bad URL / argument
 *   -EREMOTEIO     the server could not run it (execution, timeout, ...)
 *   -ETIMEDOUT     no answer within the client's timeout
 *   -ECONNREFUSED, -EHOSTUNREACH, -EIO   transport errors
 *   -EPROTO        an HTTP status other than 2xx without a Prometheus error
 *   -EBADMSG       an answer that is not the API's JSON
 *   -EMSGSIZE      an answer over 1 MiB
 *   -ENODATA       an empty vector (no series matched)
 *   -ERANGE        several series, or a matrix or string result
 *   -EDOM          NaN or an infinity (e.g. 0/0 with no traffic)
 *
 * A client is used by one thread at a time (it keeps one curl handle, so
 * connections are reused); call promql_global_init() once at program start
 * before any thread exists.
 */
#ifndef BGXDP_PROMQL_H
#define BGXDP_PROMQL_H

#include <stdbool.h>
#include "analysis.h"
#include "bgx_err.h"

#define PROMQL_URL_LEN         512
#define PROMQL_MAX_ANSWER      (1u << 20)

struct promql_client {
	char base[PROMQL_URL_LEN];      /* as given, without trailing '/' */
	char shown[PROMQL_URL_LEN];     /* for messages: without user:password */
	unsigned timeout_ms;
	bool use_post;                  /* POST form (long queries) or GET */
	void *curl;                     /* CURL * */
};

enum promql_type {
	PROMQL_VECTOR,
	PROMQL_SCALAR,
};

struct promql_sample {
	enum promql_type type;
	double value;                   /* always finite */
	double timestamp;               /* seconds, as the server evaluated it */
};

void promql_global_init(void);

/* 0 if `url` is an http:// or https:// URL with a host and no query or
 * fragment (a path prefix is fine); else -EINVAL with one line. */
int promql_url_check(const char *url, struct bgx_err *err);

/* 0 or -errno; nothing is sent yet. */
int promql_open(struct promql_client *c, const char *url, unsigned timeout_ms,
		bool use_post, struct bgx_err *err);
void promql_close(struct promql_client *c);

/* {base}/api/v1/query with `expr`, evaluated now; 0 and *out, or -errno
 * as listed above. */
int promql_query(struct promql_client *c, const char *expr, struct promql_sample *out,
		 struct bgx_err *err);

/* Runs every query once, at rollout start.  Refuses (first failure, with
 * the query quoted) unless each answered with one number, an empty result
 * or NaN: those depend on traffic that may not exist yet. */
int promql_validate(struct promql_client *c, const char *const *exprs, unsigned n,
		    struct bgx_err *err);

/* One query into the form analysis_run() takes. */
void promql_measure(struct promql_client *c, const char *expr, struct promql_measurement *m);

#endif
