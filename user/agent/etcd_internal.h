/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * etcd_internal.h - what etcd.c, etcd_http.c and etcd_watch.c share; not
 * for callers outside the etcd client.
 */
#ifndef BGXDP_ETCD_INTERNAL_H
#define BGXDP_ETCD_INTERNAL_H

#include <curl/curl.h>
#include <jansson.h>
#include "etcd.h"

/* No etcd answer is this big (etcd's own request limit is 1.5 MiB); a
 * bigger one is a misbehaving server, not a reason to run out of memory. */
#define ETCD_MAX_RESPONSE_BYTES (64u << 20)

/* gRPC status codes etcd's gateway reports in "code" / "grpc_code". */
#define GRPC_INVALID_ARGUMENT   3
#define GRPC_DEADLINE_EXCEEDED  4
#define GRPC_NOT_FOUND          5
#define GRPC_PERMISSION_DENIED  7
#define GRPC_RESOURCE_EXHAUSTED 8
#define GRPC_FAILED_PRECONDITION 9
#define GRPC_OUT_OF_RANGE       11
#define GRPC_UNAVAILABLE        14
#define GRPC_UNAUTHENTICATED    16

struct etcd_buf {
	char *data;
	size_t len;
	size_t cap;
	bool overflow;                  /* more than ETCD_MAX_RESPONSE_BYTES came */
};

struct etcd_client {
	char *endpoints[ETCD_MAX_ENDPOINTS];
	size_t n_endpoints;
	size_t current;                 /* the endpoint that answered last */
	unsigned timeout_ms;
	char *ca_file;
	char *cert_file;
	char *key_file;
	char *user;
	char *password;
	char *token;                    /* from /v3/auth/authenticate */
	bool auth_disabled;             /* etcd said auth is not enabled */
	CURL *easy;                     /* unary calls; reused for keep-alive */
	char curl_error[CURL_ERROR_SIZE];
};

/* ---- etcd_http.c: transport ------------------------------------------- */

/* Options every handle of this client gets: TLS, timeouts, no signals. */
void etcd_easy_setup(const struct etcd_client *c, CURL *easy, bool streaming);
/* Content-Type, no Expect: 100-continue, the auth token when there is one. */
struct curl_slist *etcd_request_headers(const struct etcd_client *c);
int etcd_buf_append(struct etcd_buf *b, const void *data, size_t len);
void etcd_buf_free(struct etcd_buf *b);
size_t etcd_buf_write_cb(char *data, size_t size, size_t nmemb, void *userdata);

/* Unary call flags. */
#define ETCD_CALL_FIRST_LINE    (1u << 0) /* streaming endpoint: read one message */

/* POST `request` (JSON) to path on the first endpoint that answers; on
 * HTTP 200 *response is the parsed JSON (the "result" of a streamed
 * message).  `what` names the operation in messages ("put /a/b").
 * Re-authenticates once when etcd says the token expired. */
int etcd_call(struct etcd_client *c, const char *what, const char *path, const json_t *request,
	      unsigned flags, json_t **response, struct bgx_err *err);
/* Get a token for endpoint `ep` (user and password set). */
int etcd_authenticate(struct etcd_client *c, size_t ep, struct bgx_err *err);
/* The error of a gateway answer, either form: {"error":"..","code":N} or
 * {"error":{"grpc_code":N,"message":".."}}.  false when it is none. */
bool etcd_answer_error(const json_t *answer, int *grpc_code, const char **message);
int etcd_grpc_errno(int grpc_code);
/* Whether an error from etcd means "log in again and retry". */
bool etcd_needs_auth(int grpc_code, const char *message);

/* ---- etcd.c: encoding ----------------------------------------------- */

char *etcd_b64_encode(const void *data, size_t len);
/* Decoded bytes followed by a NUL; NULL when `text` is not base64. */
unsigned char *etcd_b64_decode(const char *text, size_t *len);
/* The range_end that makes a range "every key starting with prefix". */
char *etcd_prefix_end_b64(const char *prefix);
/* int64 fields come as JSON strings; missing fields are 0. */
int64_t etcd_json_int64(const json_t *object, const char *name);
int etcd_kv_from_json(const json_t *j, struct etcd_kv *kv);
void etcd_kv_free(struct etcd_kv *kv);
uint64_t etcd_now_ns(void);

#endif
