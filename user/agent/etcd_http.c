// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * etcd_http.c - the etcd client's transport: one POST to the gateway, the
 * endpoint failover around it, authentication, and turning etcd's answers
 * into errno values and one-line messages.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "etcd_internal.h"

/* ---- response buffer --------------------------------------------------- */

int etcd_buf_append(struct etcd_buf *b, const void *data, size_t len)
{
	if (len > ETCD_MAX_RESPONSE_BYTES - b->len) {
		b->overflow = true;
		return -EMSGSIZE;
	}
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + len + 1)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p)
			return -ENOMEM;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = 0;
	return 0;
}

void etcd_buf_free(struct etcd_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

size_t etcd_buf_write_cb(char *data, size_t size, size_t nmemb, void *userdata)
{
	return etcd_buf_append(userdata, data, size * nmemb) ? 0 : size * nmemb;
}

/* A streaming endpoint (lease keep-alive) never ends the response by
 * itself: stop reading once the first message (one line) is in. */
static size_t first_line_write_cb(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct etcd_buf *b = userdata;

	if (etcd_buf_append(b, data, size * nmemb))
		return 0;
	return memchr(b->data, '\n', b->len) ? 0 : size * nmemb;
}

/* ---- handles ------------------------------------------------------------- */

void etcd_easy_setup(const struct etcd_client *c, CURL *easy, bool streaming)
{
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long)c->timeout_ms);
	/* a watch stream is open for as long as it lasts */
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, streaming ? 0L : (long)c->timeout_ms);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPIDLE, 5L);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPINTVL, 2L);
	if (c->ca_file)
		curl_easy_setopt(easy, CURLOPT_CAINFO, c->ca_file);
	if (c->cert_file) {
		curl_easy_setopt(easy, CURLOPT_SSLCERT, c->cert_file);
		curl_easy_setopt(easy, CURLOPT_SSLKEY, c->key_file);
	}
}

static bool add_header(struct curl_slist **list, const char *line)
{
	struct curl_slist *longer = curl_slist_append(*list, line);

	if (longer)
		*list = longer;
	return longer != NULL;
}

struct curl_slist *etcd_request_headers(const struct etcd_client *c)
{
	struct curl_slist *h = NULL;
	char auth[1024];
	bool ok = add_header(&h, "Content-Type: application/json") && add_header(&h, "Expect:");

	if (ok && c->token) {
		/* etcd takes the bare token, not "Bearer ..." */
		snprintf(auth, sizeof(auth), "Authorization: %s", c->token);
		ok = add_header(&h, auth);
	}
	if (!ok) {
		curl_slist_free_all(h);
		return NULL;
	}
	return h;
}

/* ---- errors ------------------------------------------------------------------ */

bool etcd_answer_error(const json_t *answer, int *grpc_code, const char **message)
{
	const json_t *e = json_object_get(answer, "error");
	const char *msg;

	if (json_is_object(e)) {                /* streamed message */
		*grpc_code = (int)json_integer_value(json_object_get(e, "grpc_code"));
		msg = json_string_value(json_object_get(e, "message"));
	} else if (json_is_string(e)) {         /* unary answer */
		*grpc_code = (int)json_integer_value(json_object_get(answer, "code"));
		msg = json_string_value(json_object_get(answer, "message"));
		if (!msg)
			msg = json_string_value(e);
	} else {
		return false;
	}
	*message = msg ? msg : "(no message)";
	return true;
}

int etcd_grpc_errno(int grpc_code)
{
	switch (grpc_code) {
	case GRPC_INVALID_ARGUMENT: return -EINVAL;
	case GRPC_DEADLINE_EXCEEDED: return -ETIMEDOUT;
	case GRPC_NOT_FOUND: return -ENOENT;
	case GRPC_PERMISSION_DENIED: return -EACCES;
	case GRPC_UNAUTHENTICATED: return -EACCES;
	case GRPC_RESOURCE_EXHAUSTED: return -E2BIG;
	case GRPC_FAILED_PRECONDITION: return -EPERM;
	case GRPC_OUT_OF_RANGE: return -ERANGE;
	case GRPC_UNAVAILABLE: return -EAGAIN;
	default: return -EPROTO;
	}
}

bool etcd_needs_auth(int grpc_code, const char *message)
{
	/* an expired or unknown token; or a request without one to an etcd
	 * that turned authentication on since */
	return grpc_code == GRPC_UNAUTHENTICATED ||
	       (grpc_code == GRPC_INVALID_ARGUMENT && strstr(message, "user name is empty"));
}

static int curl_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT: return -ECONNREFUSED;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CIPHER: return -EPROTO;
	case CURLE_WRITE_ERROR: return -EMSGSIZE;
	case CURLE_OUT_OF_MEMORY: return -ENOMEM;
	default: return -EIO;
	}
}

/* ---- one POST to one endpoint ---------------------------------------------- */

struct post_result {
	long status;
	json_t *answer;                 /* parsed body (streamed: its first line) */
	char reason[256];               /* why there is no usable answer */
};

/* TLS 1.3 servers refuse a missing client certificate after the
 * handshake, so libcurl reports a bare read error: say what it likely is. */
static const char *tls_hint(const struct etcd_client *c, size_t ep, CURLcode rc)
{
	bool https = !strncmp(c->endpoints[ep], "https://", 8);

	if (!https || c->cert_file || rc == CURLE_COULDNT_CONNECT ||
	    rc == CURLE_PEER_FAILED_VERIFICATION)
		return "";
	return " (no client certificate given: does etcd want one?)";
}

static int perform_post(struct etcd_client *c, size_t ep, const char *path, const char *body,
			unsigned flags, struct etcd_buf *buf, struct post_result *res)
{
	bool first_line = flags & ETCD_CALL_FIRST_LINE;
	struct curl_slist *headers = etcd_request_headers(c);
	char url[512];
	CURLcode rc;

	if (!headers)
		return -ENOMEM;
	snprintf(url, sizeof(url), "%s%s", c->endpoints[ep], path);
	c->curl_error[0] = 0;
	curl_easy_setopt(c->easy, CURLOPT_URL, url);
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION,
			 first_line ? first_line_write_cb : etcd_buf_write_cb);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, buf);
	rc = curl_easy_perform(c->easy);
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	/* a streamed answer ends by our own choice, after its first line */
	if (rc == CURLE_WRITE_ERROR && first_line && !buf->overflow && buf->len)
		rc = CURLE_OK;
	if (rc != CURLE_OK) {
		if (rc == CURLE_OPERATION_TIMEDOUT)
			snprintf(res->reason, sizeof(res->reason), "no answer within %u ms",
				 c->timeout_ms);
		else if (buf->overflow)
			snprintf(res->reason, sizeof(res->reason), "answer over %u bytes",
				 ETCD_MAX_RESPONSE_BYTES);
		else
			snprintf(res->reason, sizeof(res->reason), "%.190s%s",
				 c->curl_error[0] ? c->curl_error : curl_easy_strerror(rc),
				 tls_hint(c, ep, rc));
		return curl_errno(rc);
	}
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &res->status);
	return 0;
}

/* POST and parse.  0 with res->answer set (any HTTP status), or a negative
 * errno with res->reason: no usable answer from this endpoint. */
static int post_json(struct etcd_client *c, size_t ep, const char *path, const char *body,
		     unsigned flags, struct post_result *res)
{
	struct etcd_buf buf = { 0 };
	json_t *answer, *result;
	json_error_t jerr;
	int r;

	memset(res, 0, sizeof(*res));
	r = perform_post(c, ep, path, body, flags, &buf, res);
	if (r) {
		etcd_buf_free(&buf);
		return r;
	}
	answer = buf.data ? json_loadb(buf.data, buf.len, JSON_DISABLE_EOF_CHECK, &jerr) : NULL;
	if (!json_is_object(answer)) {
		snprintf(res->reason, sizeof(res->reason), "HTTP %ld with a body that is not JSON",
			 res->status);
		json_decref(answer);
		etcd_buf_free(&buf);
		return -EPROTO;
	}
	etcd_buf_free(&buf);
	result = json_object_get(answer, "result");
	if ((flags & ETCD_CALL_FIRST_LINE) && json_is_object(result)) {
		json_incref(result);
		json_decref(answer);
		answer = result;
	}
	res->answer = answer;
	return 0;
}

/* Exchange user and password for a token at endpoint `ep`.  *next: no
 * usable answer from this endpoint (reason says why; err untouched). */
static int authenticate(struct etcd_client *c, size_t ep, bool *next, char *reason,
			size_t reason_len, struct bgx_err *err)
{
	json_t *req = json_pack("{s:s, s:s}", "name", c->user, "password", c->password);
	struct post_result res;
	const char *msg, *token;
	char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	int code, r;

	*next = false;
	json_decref(req);
	if (!body)
		return bgx_fail(err, ENOMEM, "etcd authentication: out of memory");
	/* the old token must not go along: etcd would judge it, not the password */
	free(c->token);
	c->token = NULL;
	r = post_json(c, ep, "/v3/auth/authenticate", body, 0, &res);
	sodium_memzero(body, strlen(body));
	free(body);
	if (r) {
		*next = true;
		snprintf(reason, reason_len, "authenticate: %.200s", res.reason);
		return r;
	}
	if (etcd_answer_error(res.answer, &code, &msg)) {
		if (code == GRPC_FAILED_PRECONDITION && strstr(msg, "not enabled")) {
			c->auth_disabled = true;        /* go on without a token */
			json_decref(res.answer);
			return 0;
		}
		/* etcd says "invalid argument" for a wrong user or password */
		r = bgx_fail(err, code == GRPC_INVALID_ARGUMENT ? EACCES : -etcd_grpc_errno(code),
			     "etcd %s: authenticate as '%s': %s", c->endpoints[ep], c->user, msg);
		json_decref(res.answer);
		return r;
	}
	token = json_string_value(json_object_get(res.answer, "token"));
	c->token = token ? strdup(token) : NULL;
	c->auth_disabled = false;
	json_decref(res.answer);
	if (!c->token)
		return bgx_fail(err, EPROTO, "etcd %s: authenticate as '%s': no token in the answer",
				c->endpoints[ep], c->user);
	return 0;
}

int etcd_authenticate(struct etcd_client *c, size_t ep, struct bgx_err *err)
{
	char reason[256];
	bool next;
	int r = authenticate(c, ep, &next, reason, sizeof(reason), err);

	if (r && next)
		bgx_fail(err, r, "etcd %s: %s", c->endpoints[ep], reason);
	return r;
}

/* One call on one endpoint.  *next: the failure is this endpoint's (try
 * the next one); otherwise etcd gave a definite answer. */
static int call_endpoint(struct etcd_client *c, size_t ep, const char *what, const char *path,
			 const char *body, unsigned flags, json_t **response, bool *next,
			 char *reason, size_t reason_len, struct bgx_err *err)
{
	bool reauthed = false;
	struct post_result res;
	const char *msg;
	int code, r;

	*next = false;
	if (c->user && !c->token && !c->auth_disabled) {
		r = authenticate(c, ep, next, reason, reason_len, err);
		if (r)
			return r;
		reauthed = true;
	}
	for (;;) {
		r = post_json(c, ep, path, body, flags, &res);
		if (r) {
			*next = true;
			snprintf(reason, reason_len, "%s", res.reason);
			return r;
		}
		if (res.status == 200 && !etcd_answer_error(res.answer, &code, &msg)) {
			*response = res.answer;
			return 0;
		}
		if (!etcd_answer_error(res.answer, &code, &msg)) {
			code = GRPC_UNAVAILABLE;
			msg = "error without a message";
		}
		if (c->user && !reauthed && etcd_needs_auth(code, msg)) {
			json_decref(res.answer);
			reauthed = true;
			r = authenticate(c, ep, next, reason, reason_len, err);
			if (r)
				return r;
			continue;
		}
		if (code == GRPC_UNAVAILABLE || res.status >= 500) {
			*next = true;
			snprintf(reason, reason_len, "HTTP %ld: %s", res.status, msg);
			json_decref(res.answer);
			return -EAGAIN;
		}
		/* an etcd with authentication on, and no user given */
		r = etcd_needs_auth(code, msg) ? -EACCES : etcd_grpc_errno(code);
		r = bgx_fail(err, r, "etcd %s: %s: %s%s", c->endpoints[ep], what, msg,
			     r == -EACCES && !c->user ? " (etcd wants a user and password)" : "");
		json_decref(res.answer);
		return r;
	}
}

int etcd_call(struct etcd_client *c, const char *what, const char *path, const json_t *request,
	      unsigned flags, json_t **response, struct bgx_err *err)
{
	char *body = json_dumps(request, JSON_COMPACT);
	char failures[BGX_ERR_MSG_LEN] = "", reason[256];
	size_t used = 0;
	bool next = true;
	int r = -EAGAIN;

	*response = NULL;
	if (!body)
		return bgx_fail(err, ENOMEM, "etcd: %s: out of memory", what);
	for (size_t i = 0; i < c->n_endpoints; i++) {
		size_t ep = (c->current + i) % c->n_endpoints;

		r = call_endpoint(c, ep, what, path, body, flags, response, &next,
				  reason, sizeof(reason), err);
		if (r == 0)
			c->current = ep;
		if (r == 0 || !next)
			break;
		used += (size_t)snprintf(failures + used, sizeof(failures) - used, "%s%s: %s",
					 i ? "; " : "", c->endpoints[ep], reason);
		if (used >= sizeof(failures))
			used = sizeof(failures) - 1;
	}
	free(body);
	if (r && next)
		bgx_fail(err, r, "etcd: %s: no endpoint answered (%s)", what, failures);
	return r;
}
