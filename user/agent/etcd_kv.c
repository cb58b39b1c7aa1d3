// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * etcd_kv.c - the etcd client's unary operations: range reads, put,
 * delete, the guarded transaction, and leases.  Each builds the gateway's
 * JSON request, makes one etcd_call() and reads the answer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "etcd_internal.h"

#define WHAT_LEN 160

/* {"key": b64(key)} plus "range_end" for a prefix; NULL when out of memory. */
static json_t *key_object(const char *key, bool prefix)
{
	char *k = etcd_b64_encode(key, strlen(key));
	char *end = prefix ? etcd_prefix_end_b64(key) : NULL;
	json_t *o = NULL;

	if (k && (!prefix || end)) {
		o = json_pack("{s:s}", "key", k);
		if (o && end && json_object_set_new(o, "range_end", json_string(end))) {
			json_decref(o);
			o = NULL;
		}
	}
	free(k);
	free(end);
	return o;
}

static int set_int64(json_t *o, const char *name, int64_t v)
{
	char text[24];

	snprintf(text, sizeof(text), "%lld", (long long)v);
	return json_object_set_new(o, name, json_string(text));
}

/* {"key", "value", "lease"?}: the body of a put, alone or inside a txn. */
static json_t *put_object(const char *key, const void *value, size_t len, int64_t lease)
{
	json_t *o = key_object(key, false);
	char *v = etcd_b64_encode(value, len);

	if (!o || !v || json_object_set_new(o, "value", json_string(v)) ||
	    (lease && set_int64(o, "lease", lease))) {
		json_decref(o);
		o = NULL;
	}
	free(v);
	return o;
}

static int no_memory(const char *what, struct bgx_err *err)
{
	return bgx_fail(err, ENOMEM, "etcd: %s: out of memory", what);
}

/* ---- reads ----------------------------------------------------------------- */

static int range_from_json(const json_t *answer, struct etcd_range *out)
{
	const json_t *kvs = json_object_get(answer, "kvs");
	size_t n = json_array_size(kvs);

	out->revision = etcd_json_int64(json_object_get(answer, "header"), "revision");
	if (!n)
		return 0;
	out->kvs = calloc(n, sizeof(*out->kvs));
	if (!out->kvs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int r = etcd_kv_from_json(json_array_get(kvs, i), &out->kvs[i]);

		if (r)
			return r;
		out->count++;
	}
	return 0;
}

static int range(struct etcd_client *c, const char *key, bool prefix, struct etcd_range *out,
		 struct bgx_err *err)
{
	json_t *req = key_object(key, prefix), *answer;
	char what[WHAT_LEN];
	int r;

	memset(out, 0, sizeof(*out));
	snprintf(what, sizeof(what), "get %s'%s'", prefix ? "prefix " : "", key);
	if (!req)
		return no_memory(what, err);
	r = etcd_call(c, what, "/v3/kv/range", req, 0, &answer, err);
	json_decref(req);
	if (r)
		return r;
	r = range_from_json(answer, out);
	json_decref(answer);
	if (r) {
		etcd_range_free(out);
		return bgx_fail(err, r, "etcd: %s: %s", what,
				r == -ENOMEM ? "out of memory" : "malformed key or value in the answer");
	}
	return 0;
}

int etcd_get(struct etcd_client *c, const char *key, struct etcd_range *out, struct bgx_err *err)
{
	return range(c, key, false, out, err);
}

int etcd_get_prefix(struct etcd_client *c, const char *prefix, struct etcd_range *out,
		    struct bgx_err *err)
{
	return range(c, prefix, true, out, err);
}

/* ---- writes ------------------------------------------------------------------- */

int etcd_put(struct etcd_client *c, const char *key, const void *value, size_t value_len,
	     int64_t lease, int64_t *revision, struct bgx_err *err)
{
	json_t *req = put_object(key, value, value_len, lease), *answer;
	char what[WHAT_LEN];
	int r;

	snprintf(what, sizeof(what), "put '%s'", key);
	if (!req)
		return no_memory(what, err);
	r = etcd_call(c, what, "/v3/kv/put", req, 0, &answer, err);
	json_decref(req);
	if (r)
		return r;
	if (revision)
		*revision = etcd_json_int64(json_object_get(answer, "header"), "revision");
	json_decref(answer);
	return 0;
}

static int delete_range(struct etcd_client *c, const char *key, bool prefix, int64_t *deleted,
			struct bgx_err *err)
{
	json_t *req = key_object(key, prefix), *answer;
	char what[WHAT_LEN];
	int r;

	snprintf(what, sizeof(what), "delete %s'%s'", prefix ? "prefix " : "", key);
	if (!req)
		return no_memory(what, err);
	r = etcd_call(c, what, "/v3/kv/deleterange", req, 0, &answer, err);
	json_decref(req);
	if (r)
		return r;
	if (deleted)
		*deleted = etcd_json_int64(answer, "deleted");
	json_decref(answer);
	return 0;
}

int etcd_delete(struct etcd_client *c, const char *key, int64_t *deleted, struct bgx_err *err)
{
	return delete_range(c, key, false, deleted, err);
}

int etcd_delete_prefix(struct etcd_client *c, const char *prefix, int64_t *deleted,
		       struct bgx_err *err)
{
	return delete_range(c, prefix, true, deleted, err);
}

/* ---- transaction ---------------------------------------------------------------- */

static json_t *txn_op_object(const struct etcd_op *op)
{
	json_t *body;

	switch (op->type) {
	case ETCD_OP_PUT:
		body = put_object(op->key, op->value, op->value_len, op->lease);
		return body ? json_pack("{s:o}", "request_put", body) : NULL;
	case ETCD_OP_DELETE:
	case ETCD_OP_DELETE_PREFIX:
		body = key_object(op->key, op->type == ETCD_OP_DELETE_PREFIX);
		return body ? json_pack("{s:o}", "request_delete_range", body) : NULL;
	}
	return NULL;
}

static json_t *txn_request(const char *guard, int64_t guard_revision, const struct etcd_op *ops,
			   size_t n_ops)
{
	json_t *compare = key_object(guard, false), *read_guard = key_object(guard, false);
	json_t *success = json_array(), *req = NULL;
	bool ok = compare && read_guard && success && !set_int64(compare, "mod_revision", guard_revision) &&
		  !json_object_set_new(compare, "target", json_string("MOD")) &&
		  !json_object_set_new(compare, "result", json_string("EQUAL"));

	for (size_t i = 0; ok && i < n_ops; i++)
		ok = !json_array_append_new(success, txn_op_object(&ops[i]));
	if (ok)
		/* when the guard fails, read it: the caller learns where it is */
		req = json_pack("{s:[O], s:O, s:[{s:O}]}", "compare", compare, "success", success,
				"failure", "request_range", read_guard);
	json_decref(compare);
	json_decref(read_guard);
	json_decref(success);
	return req;
}

static int64_t failed_guard_revision(const json_t *answer)
{
	const json_t *resp = json_array_get(json_object_get(answer, "responses"), 0);
	const json_t *kvs = json_object_get(json_object_get(resp, "response_range"), "kvs");

	return etcd_json_int64(json_array_get(kvs, 0), "mod_revision");
}

int etcd_txn_if_mod_revision(struct etcd_client *c, const char *guard, int64_t guard_revision,
			     const struct etcd_op *ops, size_t n_ops,
			     struct etcd_txn_result *result, struct bgx_err *err)
{
	json_t *req, *answer;
	char what[WHAT_LEN];
	int r;

	memset(result, 0, sizeof(*result));
	snprintf(what, sizeof(what), "txn of %zu ops if '%s' is at revision %lld", n_ops, guard,
		 (long long)guard_revision);
	for (size_t i = 0; i < n_ops; i++)
		if (ops[i].type > ETCD_OP_DELETE_PREFIX || !ops[i].key)
			return bgx_fail_usage(err, EINVAL, "etcd: %s: op %zu has no key or an unknown "
					      "type", what, i);
	req = txn_request(guard, guard_revision, ops, n_ops);
	if (!req)
		return no_memory(what, err);
	r = etcd_call(c, what, "/v3/kv/txn", req, 0, &answer, err);
	json_decref(req);
	if (r)
		return r;
	result->succeeded = json_is_true(json_object_get(answer, "succeeded"));
	result->revision = etcd_json_int64(json_object_get(answer, "header"), "revision");
	if (!result->succeeded)
		result->guard_mod_revision = failed_guard_revision(answer);
	json_decref(answer);
	return 0;
}

/* ---- leases -------------------------------------------------------------------- */

static json_t *lease_object(int64_t lease)
{
	json_t *o = json_object();

	if (o && set_int64(o, "ID", lease)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int etcd_lease_grant(struct etcd_client *c, int64_t ttl_seconds, int64_t *lease,
		     struct bgx_err *err)
{
	json_t *req = json_object(), *answer;
	const char *error;
	int r;

	*lease = 0;
	if (ttl_seconds < 1 || ttl_seconds > 9000000000ll)
		r = bgx_fail_usage(err, ERANGE, "etcd: lease TTL %lld s: expected 1 or more",
				   (long long)ttl_seconds);
	else if (!req || set_int64(req, "TTL", ttl_seconds))
		r = no_memory("grant lease", err);
	else
		r = etcd_call(c, "grant lease", "/v3/lease/grant", req, 0, &answer, err);
	json_decref(req);
	if (r)
		return r;
	error = json_string_value(json_object_get(answer, "error"));
	*lease = etcd_json_int64(answer, "ID");
	if ((error && *error) || !*lease)
		r = bgx_fail(err, EPROTO, "etcd: grant lease: %s", error && *error ? error : "no ID");
	json_decref(answer);
	return r;
}

int etcd_lease_keepalive(struct etcd_client *c, int64_t lease, int64_t *ttl_left,
			 struct bgx_err *err)
{
	json_t *req = lease_object(lease), *answer;
	char what[WHAT_LEN];
	int64_t ttl;
	int r;

	snprintf(what, sizeof(what), "keep lease %llx alive", (unsigned long long)lease);
	if (!req)
		return no_memory(what, err);
	/* the gateway streams keep-alive answers: read the first and hang up */
	r = etcd_call(c, what, "/v3/lease/keepalive", req, ETCD_CALL_FIRST_LINE, &answer, err);
	json_decref(req);
	if (r)
		return r;
	ttl = etcd_json_int64(answer, "TTL");
	json_decref(answer);
	if (ttl_left)
		*ttl_left = ttl;
	if (ttl <= 0)
		return bgx_fail(err, ENOENT, "etcd: %s: the lease expired or was revoked", what);
	return 0;
}

int etcd_lease_revoke(struct etcd_client *c, int64_t lease, struct bgx_err *err)
{
	json_t *req = lease_object(lease), *answer;
	char what[WHAT_LEN];
	int r;

	snprintf(what, sizeof(what), "revoke lease %llx", (unsigned long long)lease);
	if (!req)
		return no_memory(what, err);
	r = etcd_call(c, what, "/v3/lease/revoke", req, 0, &answer, err);
	json_decref(req);
	if (!r)
		json_decref(answer);
	return r;
}
