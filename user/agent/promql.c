// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * promql.c - Prometheus instant queries: libcurl sends, jansson reads the
 * answer ({"status":"success","data":{"resultType":..,"result":..}} or
 * {"status":"error","errorType":..,"error":..}).  Error codes: promql.h.
 */
#define _GNU_SOURCE             /* asprintf */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include <jansson.h>

#include "promql.h"

#ifndef BGXDP_VERSION
#define BGXDP_VERSION "0"
#endif

void promql_global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- URL ---------------------------------------------------------------- */

static bool has_scheme(const char *url, const char *scheme)
{
	size_t n = strlen(scheme);

	return !strncasecmp(url, scheme, n) && !strncmp(url + n, "://", 3);
}

/* One URL part through curl's parser; NULL if absent. */
static char *url_part(CURLU *u, CURLUPart part)
{
	char *s = NULL;

	if (curl_url_get(u, part, &s, 0) != CURLUE_OK)
		return NULL;
	return s;
}

static int url_parts_check(const char *url, struct bgx_err *err)
{
	CURLU *u = curl_url();
	char *host, *query, *fragment;
	int r = 0;

	if (!u)
		return bgx_fail(err, ENOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		return bgx_fail_usage(err, EINVAL, "Prometheus URL \"%.100s\" is not a valid URL", url);
	}
	host = url_part(u, CURLUPART_HOST);
	query = url_part(u, CURLUPART_QUERY);
	fragment = url_part(u, CURLUPART_FRAGMENT);
	if (!host || !*host)
		r = bgx_fail_usage(err, EINVAL, "Prometheus URL \"%.100s\" has no host", url);
	else if (query || fragment)
		r = bgx_fail_usage(err, EINVAL,
				   "Prometheus URL \"%.100s\": no ?query or #fragment accepted, only http(s)://HOST[:PORT][/PREFIX]",
				   url);
	curl_free(host);
	curl_free(query);
	curl_free(fragment);
	curl_url_cleanup(u);
	return r;
}

int promql_url_check(const char *url, struct bgx_err *err)
{
	if (!url || !*url)
		return bgx_fail_usage(err, EINVAL, "Prometheus URL is empty: use http://HOST:PORT");
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return bgx_fail_usage(err, EINVAL,
					      "Prometheus URL \"%.100s\" contains spaces or control characters",
					      url);
	if (strlen(url) > PROMQL_URL_LEN - 64)
		return bgx_fail_usage(err, EINVAL, "Prometheus URL is %zu bytes long, accepted up to %d",
				      strlen(url), PROMQL_URL_LEN - 64);
	if (!has_scheme(url, "http") && !has_scheme(url, "https"))
		return bgx_fail_usage(err, EINVAL,
				      "Prometheus URL \"%.100s\": only http:// or https:// URLs are accepted",
				      url);
	return url_parts_check(url, err);
}

/* ---- client ------------------------------------------------------------- */

/* The URL as messages (history, logs) may show it: without user:password. */
static void shown_url(const char *url, char *buf, size_t len)
{
	CURLU *u = curl_url();
	char *s = NULL;

	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK)
		snprintf(buf, len, "%s", s);
	else
		snprintf(buf, len, "(the Prometheus URL)");
	curl_free(s);
	curl_url_cleanup(u);
	len = strlen(buf);
	while (len > 0 && buf[len - 1] == '/')
		buf[--len] = '\0';
}

int promql_open(struct promql_client *c, const char *url, unsigned timeout_ms,
		bool use_post, struct bgx_err *err)
{
	size_t len;
	int r = promql_url_check(url, err);

	if (r)
		return r;
	if (timeout_ms == 0 || timeout_ms > 600000)
		return bgx_fail_usage(err, EINVAL, "PromQL timeout %u ms: accepted 1..600000",
				      timeout_ms);
	memset(c, 0, sizeof(*c));
	len = strlen(url);
	while (len > 0 && url[len - 1] == '/')
		len--;
	memcpy(c->base, url, len);
	shown_url(c->base, c->shown, sizeof(c->shown));
	c->timeout_ms = timeout_ms;
	c->use_post = use_post;
	c->curl = curl_easy_init();
	if (!c->curl)
		return bgx_fail(err, ENOMEM, "cannot set up an HTTP client (libcurl)");
	return 0;
}

void promql_close(struct promql_client *c)
{
	if (c->curl)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
}

struct answer {
	char *data;
	size_t len;
	bool too_big;
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct answer *a = userdata;
	size_t n = size * nmemb;
	char *grown;

	if (a->len + n > PROMQL_MAX_ANSWER) {
		a->too_big = true;
		return 0;       /* makes curl stop with CURLE_WRITE_ERROR */
	}
	grown = realloc(a->data, a->len + n + 1);
	if (!grown)
		return 0;
	memcpy(grown + a->len, ptr, n);
	a->data = grown;
	a->len += n;
	a->data[a->len] = '\0';
	return n;
}

static int transport_error(const struct promql_client *c, CURLcode code, const char *detail,
			   struct bgx_err *err)
{
	const char *why = *detail ? detail : curl_easy_strerror(code);

	switch (code) {
	case CURLE_OPERATION_TIMEDOUT:
		return bgx_fail(err, ETIMEDOUT, "Prometheus %s did not answer within %u ms",
				c->shown, c->timeout_ms);
	case CURLE_COULDNT_CONNECT:
		return bgx_fail(err, ECONNREFUSED, "cannot connect to Prometheus %s: %s", c->shown, why);
	case CURLE_COULDNT_RESOLVE_HOST:
		return bgx_fail(err, EHOSTUNREACH, "cannot resolve the host of Prometheus %s: %s",
				c->shown, why);
	default:
		return bgx_fail(err, EIO, "query to Prometheus %s failed: %s", c->shown, why);
	}
}

/* "query=<escaped>&timeout=<n>ms": the form both GET and POST send. */
static char *query_form(CURL *curl, const char *expr, unsigned timeout_ms)
{
	char *escaped = curl_easy_escape(curl, expr, 0);
	char *form = NULL;

	if (escaped && asprintf(&form, "query=%s&timeout=%ums", escaped, timeout_ms) < 0)
		form = NULL;
	curl_free(escaped);
	return form;
}

static void set_request(struct promql_client *c, const char *form, char *url, size_t url_len,
			struct answer *a, char *errbuf)
{
	CURL *curl = c->curl;

	curl_easy_reset(curl);
	if (c->use_post) {
		snprintf(url, url_len, "%s/api/v1/query", c->base);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, form);
	} else {
		snprintf(url, url_len, "%s/api/v1/query?%s", c->base, form);
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);   /* threads: no SIGALRM */
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "bgxdp/" BGXDP_VERSION);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
}

/* Send the query; 0 with the answer's body and HTTP status, or -errno. */
static int send_query(struct promql_client *c, const char *expr, struct answer *a,
		      long *status, struct bgx_err *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	char *form, *url;
	size_t url_len;
	CURLcode code;

	if (!c->curl)
		return bgx_fail(err, EINVAL, "PromQL client is not open");
	form = query_form(c->curl, expr, c->timeout_ms);
	url_len = sizeof(c->base) + (form ? strlen(form) : 0) + 32;
	url = malloc(url_len);
	if (!form || !url) {
		free(form);
		free(url);
		return bgx_fail(err, ENOMEM, "out of memory");
	}
	set_request(c, form, url, url_len, a, errbuf);
	code = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
	free(form);
	free(url);
	if (a->too_big)
		return bgx_fail(err, EMSGSIZE, "Prometheus %s sent an answer over %u bytes", c->shown,
				PROMQL_MAX_ANSWER);
	if (code != CURLE_OK)
		return transport_error(c, code, errbuf, err);
	return 0;
}

/* ---- the answer --------------------------------------------------------- */

/* A sample's value: a JSON string holding a float, "NaN", "+Inf" or "-Inf". */
static int sample_value(json_t *pair, struct promql_sample *out, struct bgx_err *err)
{
	const char *text = json_string_value(json_array_get(pair, 1));
	json_t *ts = json_array_get(pair, 0);
	char *end;
	double v;

	if (!json_is_array(pair) || json_array_size(pair) != 2 || !json_is_number(ts) || !text)
		return bgx_fail(err, EBADMSG, "answer has a sample that is not [time, \"value\"]");
	errno = 0;
	v = strtod(text, &end);
	if (end == text || *end || (errno == ERANGE && isfinite(v)))
		return bgx_fail(err, EBADMSG, "answer has a sample value \"%.40s\" that is not a number",
				text);
	if (!isfinite(v))
		return bgx_fail(err, EDOM,
				"query returned %s, not a number a limit can be compared with (0/0 without traffic?)",
				isnan(v) ? "NaN" : "an infinity");
	out->value = v;
	out->timestamp = json_number_value(ts);
	return 0;
}

static int read_result(json_t *data, struct promql_sample *out, struct bgx_err *err)
{
	const char *type = json_string_value(json_object_get(data, "resultType"));
	json_t *result = json_object_get(data, "result");
	size_t n;

	if (!type || !result)
		return bgx_fail(err, EBADMSG, "answer has no data.resultType or data.result");
	if (!strcmp(type, "scalar")) {
		out->type = PROMQL_SCALAR;
		return sample_value(result, out, err);
	}
	if (strcmp(type, "vector"))
		return bgx_fail(err, ERANGE,
				"query returned a %.20s, a check needs an instant vector or a scalar",
				type);
	if (!json_is_array(result))
		return bgx_fail(err, EBADMSG, "answer's vector result is not an array");
	n = json_array_size(result);
	if (n == 0)
		return bgx_fail(err, ENODATA, "query returned an empty result (no series matched)");
	if (n > 1)
		return bgx_fail(err, ERANGE,
				"query returned %zu series, a check needs exactly 1 (aggregate with sum(), max(), ...)",
				n);
	out->type = PROMQL_VECTOR;
	return sample_value(json_object_get(json_array_get(result, 0), "value"), out, err);
}

static int server_error(json_t *root, struct bgx_err *err)
{
	const char *type = json_string_value(json_object_get(root, "errorType"));
	const char *why = json_string_value(json_object_get(root, "error"));

	if (!type)
		type = "unknown";
	if (!why)
		why = "(no message)";
	if (!strcmp(type, "bad_data"))
		return bgx_fail(err, EINVAL, "Prometheus refused the query (bad_data): %.300s", why);
	return bgx_fail(err, EREMOTEIO, "Prometheus could not run the query (%.40s): %.300s", type,
			why);
}

/* The first line of a non-JSON body, for the message. */
static void first_line(const char *body, char *buf, size_t len)
{
	size_t n = body ? strcspn(body, "\r\n") : 0;

	if (n >= len)
		n = len - 1;
	memcpy(buf, body ? body : "", n);
	buf[n] = '\0';
}

static int decode(const struct promql_client *c, const struct answer *a, long status,
		  struct promql_sample *out, struct bgx_err *err)
{
	json_error_t jerr;
	json_t *root = a->data ? json_loadb(a->data, a->len, 0, &jerr) : NULL;
	const char *state = json_string_value(json_object_get(root, "status"));
	char line[96];
	int r;

	if (!root || !state) {
		json_decref(root);
		first_line(a->data, line, sizeof(line));
		if (status < 200 || status > 299)
			return bgx_fail(err, EPROTO, "Prometheus %s answered HTTP %ld: %s", c->shown,
					status, *line ? line : "(empty body)");
		return bgx_fail(err, EBADMSG, "Prometheus %s: the answer is not the query API's JSON (%s)",
				c->shown, *line ? line : "empty body");
	}
	if (!strcmp(state, "error"))
		r = server_error(root, err);
	else if (strcmp(state, "success") || status < 200 || status > 299)
		r = bgx_fail(err, EBADMSG, "Prometheus %s: HTTP %ld with status \"%.20s\"", c->shown,
			     status, state);
	else
		r = read_result(json_object_get(root, "data"), out, err);
	json_decref(root);
	return r;
}

int promql_query(struct promql_client *c, const char *expr, struct promql_sample *out,
		 struct bgx_err *err)
{
	struct answer a = { 0 };
	long status = 0;
	int r;

	if (!expr || !*expr)
		return bgx_fail_usage(err, EINVAL, "empty PromQL query");
	r = send_query(c, expr, &a, &status, err);
	if (!r)
		r = decode(c, &a, status, out, err);
	free(a.data);
	return r;
}

int promql_validate(struct promql_client *c, const char *const *exprs, unsigned n,
		    struct bgx_err *err)
{
	for (unsigned i = 0; i < n; i++) {
		struct promql_sample s;
		struct bgx_err e = { 0 };
		int r = promql_query(c, exprs[i], &s, &e);

		if (r == 0 || r == -ENODATA || r == -EDOM)
			continue;
		if (r == -EINVAL)
			return bgx_fail_usage(err, r, "--query '%.120s': %s", exprs[i], e.msg);
		return bgx_fail(err, r, "--query '%.120s': %s", exprs[i], e.msg);
	}
	return 0;
}

void promql_measure(struct promql_client *c, const char *expr, struct promql_measurement *m)
{
	struct bgx_err e = { 0 };
	struct promql_sample s;

	memset(m, 0, sizeof(*m));
	if (promql_query(c, expr, &s, &e) == 0) {
		m->ok = true;
		m->value = s.value;
	} else {
		snprintf(m->error, sizeof(m->error), "%.*s", (int)sizeof(m->error) - 1, e.msg);
	}
}
