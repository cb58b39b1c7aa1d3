// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * etcd_watch.c - following a prefix in etcd.
 *
 * The gateway answers POST /v3/watch with one HTTP response that never
 * ends: a JSON object per line, {"result": {...}} or {"error": {...}}.
 * libcurl's multi interface reads it without blocking; the write callback
 * only buffers bytes, and etcd_watch_poll() parses complete lines and hands
 * the events over outside of libcurl.
 *
 * Exactly once, in order: the watch remembers the revision after the last
 * event it delivered and every new stream starts there.  When etcd has
 * compacted that revision away, the events are gone for good: the watch
 * reads the whole prefix instead (a snapshot) and continues after it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "etcd_internal.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS   2000

struct etcd_watch {
	struct etcd_client *c;
	char *prefix;
	etcd_watch_fn fn;
	void *ctx;
	CURLM *multi;
	CURL *easy;                     /* the stream; NULL while disconnected */
	struct curl_slist *headers;
	char *body;
	struct etcd_buf stream;         /* received, not yet a whole line */
	char curl_error[CURL_ERROR_SIZE];
	size_t endpoint;
	bool created;                   /* etcd confirmed the stream */
	bool restart;                   /* start a new stream at once (after a snapshot) */
	bool ever_connected;
	int64_t next_revision;          /* 0: "now" (not known yet) */
	uint64_t started_ns;            /* when the current stream began */
	uint64_t retry_at_ns;           /* when to reconnect */
	unsigned backoff_ms;
	unsigned reconnects;
	unsigned snapshots;
	atomic_bool interrupted;
	int last_code;                  /* why it is not connected */
	char last_error[BGX_ERR_MSG_LEN];
};

static int set_error(struct etcd_watch *w, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int set_error(struct etcd_watch *w, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->last_error, sizeof(w->last_error), fmt, ap);
	va_end(ap);
	w->last_code = code < 0 ? code : -code;
	return w->last_code;
}

/* ---- the stream ------------------------------------------------------------ */

static void drop_stream(struct etcd_watch *w, bool failed)
{
	if (w->easy) {
		curl_multi_remove_handle(w->multi, w->easy);
		curl_easy_cleanup(w->easy);
		w->easy = NULL;
	}
	curl_slist_free_all(w->headers);
	w->headers = NULL;
	free(w->body);
	w->body = NULL;
	etcd_buf_free(&w->stream);
	w->created = false;
	if (failed) {
		/* try the next endpoint, a little later each time */
		w->endpoint = (w->endpoint + 1) % w->c->n_endpoints;
		w->retry_at_ns = etcd_now_ns() + (uint64_t)w->backoff_ms * 1000000ull;
		w->backoff_ms = w->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : w->backoff_ms * 2;
	} else {
		w->retry_at_ns = 0;
	}
}

static char *create_request(const struct etcd_watch *w)
{
	char *key = etcd_b64_encode(w->prefix, strlen(w->prefix));
	char *end = etcd_prefix_end_b64(w->prefix);
	char rev[24];
	json_t *req = NULL;
	char *body = NULL;

	snprintf(rev, sizeof(rev), "%lld", (long long)w->next_revision);
	if (key && end)
		req = json_pack("{s:{s:s, s:s, s:s}}", "create_request", "key", key,
				"range_end", end, "start_revision", rev);
	if (req)
		body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	free(key);
	free(end);
	return body;
}

static int start_stream(struct etcd_watch *w)
{
	struct etcd_client *c = w->c;
	char url[512];
	struct bgx_err e = { 0 };

	if (c->user && !c->token && !c->auth_disabled && etcd_authenticate(c, w->endpoint, &e)) {
		drop_stream(w, true);
		return set_error(w, e.code, "%s", e.msg);
	}
	w->body = create_request(w);
	w->headers = etcd_request_headers(c);
	w->easy = curl_easy_init();
	if (!w->body || !w->headers || !w->easy) {
		drop_stream(w, true);
		return set_error(w, ENOMEM, "etcd watch: out of memory");
	}
	snprintf(url, sizeof(url), "%s/v3/watch", c->endpoints[w->endpoint]);
	etcd_easy_setup(c, w->easy, true);
	w->curl_error[0] = 0;
	curl_easy_setopt(w->easy, CURLOPT_ERRORBUFFER, w->curl_error);
	curl_easy_setopt(w->easy, CURLOPT_URL, url);
	curl_easy_setopt(w->easy, CURLOPT_HTTPHEADER, w->headers);
	curl_easy_setopt(w->easy, CURLOPT_POSTFIELDS, w->body);
	curl_easy_setopt(w->easy, CURLOPT_WRITEFUNCTION, etcd_buf_write_cb);
	curl_easy_setopt(w->easy, CURLOPT_WRITEDATA, &w->stream);
	if (curl_multi_add_handle(w->multi, w->easy) != CURLM_OK) {
		drop_stream(w, true);
		return set_error(w, ENOMEM, "etcd watch: cannot start a transfer");
	}
	if (w->ever_connected)
		w->reconnects++;
	w->ever_connected = true;
	w->started_ns = etcd_now_ns();
	return 0;
}

/* ---- what etcd sends -------------------------------------------------------- */

static void free_events(struct etcd_event *events, size_t n)
{
	for (size_t i = 0; i < n; i++)
		etcd_kv_free(&events[i].kv);
	free(events);
}

static int deliver_events(struct etcd_watch *w, const json_t *list)
{
	size_t n = json_array_size(list), got = 0;
	struct etcd_event *events = calloc(n ? n : 1, sizeof(*events));
	struct etcd_watch_batch batch = { .snapshot = false };

	if (!events)
		return set_error(w, ENOMEM, "etcd watch: out of memory");
	for (; got < n; got++) {
		const json_t *ev = json_array_get(list, got);
		const char *type = json_string_value(json_object_get(ev, "type"));

		/* "PUT" is the default and therefore left out of the JSON */
		events[got].type = type && !strcmp(type, "DELETE") ? ETCD_EVENT_DELETE : ETCD_EVENT_PUT;
		if (etcd_kv_from_json(json_object_get(ev, "kv"), &events[got].kv)) {
			free_events(events, got);
			return set_error(w, EPROTO, "etcd watch: malformed event from %s",
					 w->c->endpoints[w->endpoint]);
		}
	}
	batch.events = events;
	batch.n_events = n;
	batch.revision = n ? events[n - 1].kv.mod_revision : w->next_revision - 1;
	if (n) {
		w->next_revision = batch.revision + 1;
		w->fn(&batch, w->ctx);
	}
	free_events(events, n);
	return n ? 1 : 0;
}

/* The revision the watch needed is compacted: read the prefix instead. */
static int deliver_snapshot(struct etcd_watch *w, int64_t compact_revision)
{
	struct etcd_range range;
	struct etcd_event *events;
	struct etcd_watch_batch batch = { .snapshot = true };
	struct bgx_err e = { 0 };
	int r = etcd_get_prefix(w->c, w->prefix, &range, &e);

	if (r)
		return set_error(w, r, "etcd watch: history compacted up to revision %lld and the "
				 "prefix cannot be read again: %s", (long long)compact_revision, e.msg);
	events = calloc(range.count ? range.count : 1, sizeof(*events));
	if (!events) {
		etcd_range_free(&range);
		return set_error(w, ENOMEM, "etcd watch: out of memory");
	}
	for (size_t i = 0; i < range.count; i++)
		events[i].kv = range.kvs[i];    /* borrowed; freed with the range */
	batch.events = events;
	batch.n_events = range.count;
	batch.revision = range.revision;
	w->next_revision = range.revision + 1;
	w->snapshots++;
	w->fn(&batch, w->ctx);
	free(events);
	etcd_range_free(&range);
	return 1;
}

/* One message of the stream.  >= 0: batches delivered; < 0: the stream is
 * of no more use (the caller drops it). */
static int handle_message(struct etcd_watch *w, const json_t *msg)
{
	const json_t *result = json_object_get(msg, "result");
	const char *text;
	int code;
	int64_t compacted;

	if (etcd_answer_error(msg, &code, &text)) {
		if (etcd_needs_auth(code, text) && w->c->user) {
			free(w->c->token);      /* log in again before reconnecting */
			w->c->token = NULL;
		}
		return set_error(w, etcd_grpc_errno(code), "etcd %s: watch '%s': %s",
				 w->c->endpoints[w->endpoint], w->prefix, text);
	}
	if (!json_is_object(result))
		return set_error(w, EPROTO, "etcd %s: watch '%s': a message without a result",
				 w->c->endpoints[w->endpoint], w->prefix);
	if (json_is_true(json_object_get(result, "created"))) {
		w->created = true;
		w->backoff_ms = BACKOFF_FIRST_MS;
		w->last_code = 0;
		if (!w->next_revision)  /* "from now": now is known */
			w->next_revision = etcd_json_int64(json_object_get(result, "header"),
							   "revision") + 1;
	}
	if (json_is_true(json_object_get(result, "canceled"))) {
		compacted = etcd_json_int64(result, "compact_revision");
		if (compacted > 0) {
			int r = deliver_snapshot(w, compacted);

			w->restart = r >= 0;    /* a new stream, from after the snapshot */
			return r;
		}
		text = json_string_value(json_object_get(result, "cancel_reason"));
		return set_error(w, ECANCELED, "etcd %s: watch '%s' canceled: %s",
				 w->c->endpoints[w->endpoint], w->prefix, text ? text : "no reason given");
	}
	return deliver_events(w, json_object_get(result, "events"));
}

/* Parse and hand over every complete line received so far. */
static int handle_lines(struct etcd_watch *w)
{
	int delivered = 0;
	size_t done = 0;
	char *nl;

	while (w->easy && w->stream.len > done &&
	       (nl = memchr(w->stream.data + done, '\n', w->stream.len - done))) {
		size_t len = (size_t)(nl - w->stream.data) - done;
		json_error_t jerr;
		json_t *msg = json_loadb(w->stream.data + done, len, 0, &jerr);
		int r;

		done += len + 1;
		if (!msg) {
			set_error(w, EPROTO, "etcd %s: watch '%s': a line that is not JSON (%s)",
				  w->c->endpoints[w->endpoint], w->prefix, jerr.text);
			drop_stream(w, true);
			return delivered;
		}
		r = handle_message(w, msg);
		json_decref(msg);
		if (r < 0) {
			drop_stream(w, true);
			return delivered;
		}
		delivered += r;
		if (w->restart) {
			w->restart = false;
			drop_stream(w, false);
			return delivered;
		}
	}
	if (w->easy && done) {
		memmove(w->stream.data, w->stream.data + done, w->stream.len - done);
		w->stream.len -= done;
	}
	return delivered;
}

/* The transfer ended: etcd went away, or answered with an error status
 * (an unary-style error body, no newline after it). */
static void handle_done(struct etcd_watch *w)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(w->multi, &left))) {
		json_t *answer;
		long status = 0;

		if (m->msg != CURLMSG_DONE || m->easy_handle != w->easy)
			continue;
		curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &status);
		answer = w->stream.len ? json_loadb(w->stream.data, w->stream.len, 0, NULL) : NULL;
		/* an error answer records its own reason */
		if (answer && handle_message(w, answer) < 0) {
		} else if (m->data.result == CURLE_OK) {
			set_error(w, ECONNRESET, "etcd %s: watch '%s': the stream ended (HTTP %ld)",
				  w->c->endpoints[w->endpoint], w->prefix, status);
		} else {
			set_error(w, m->data.result == CURLE_COULDNT_CONNECT ? ECONNREFUSED : EIO,
				  "etcd %s: watch '%s': %s", w->c->endpoints[w->endpoint], w->prefix,
				  w->curl_error[0] ? w->curl_error : curl_easy_strerror(m->data.result));
		}
		json_decref(answer);
		drop_stream(w, true);
		return;
	}
}

/* ---- the caller's side ---------------------------------------------------------- */

int etcd_watch_open(struct etcd_client *c, const char *prefix, int64_t start_revision,
		    etcd_watch_fn fn, void *ctx, struct etcd_watch **watch, struct bgx_err *err)
{
	struct etcd_watch *w;

	*watch = NULL;
	if (start_revision < 0 || !fn)
		return bgx_fail_usage(err, EINVAL, "etcd watch '%s': revision %lld or no callback",
				      prefix, (long long)start_revision);
	w = calloc(1, sizeof(*w));
	if (!w || !(w->prefix = strdup(prefix)) || !(w->multi = curl_multi_init())) {
		etcd_watch_close(w);
		return bgx_fail(err, ENOMEM, "etcd watch '%s': out of memory", prefix);
	}
	w->c = c;
	w->fn = fn;
	w->ctx = ctx;
	w->endpoint = c->current;
	w->next_revision = start_revision;
	w->backoff_ms = BACKOFF_FIRST_MS;
	set_error(w, ENOTCONN, "etcd watch '%s': not connected yet", prefix);
	*watch = w;
	return 0;
}

/* A stream etcd has not confirmed within the timeout is given up. */
static void check_created(struct etcd_watch *w, uint64_t now)
{
	if (w->easy && !w->created && now - w->started_ns > (uint64_t)w->c->timeout_ms * 1000000ull) {
		set_error(w, ETIMEDOUT, "etcd %s: watch '%s': no answer within %u ms",
			  w->c->endpoints[w->endpoint], w->prefix, w->c->timeout_ms);
		drop_stream(w, true);
	}
}

int etcd_watch_poll(struct etcd_watch *w, int timeout_ms, struct bgx_err *err)
{
	uint64_t now = etcd_now_ns();
	uint64_t deadline = now + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000ull;
	int delivered = 0, running;

	atomic_store(&w->interrupted, false);
	for (;;) {
		uint64_t wake = deadline;

		if (!w->easy && now >= w->retry_at_ns)
			start_stream(w);
		if (w->easy) {
			curl_multi_perform(w->multi, &running);
			delivered += handle_lines(w);
			if (w->easy)
				handle_done(w);
			check_created(w, etcd_now_ns());
		}
		now = etcd_now_ns();
		if (delivered || now >= deadline || atomic_load(&w->interrupted))
			break;
		if (!w->easy && w->retry_at_ns < wake)
			wake = w->retry_at_ns > now ? w->retry_at_ns : now;
		if (w->easy && !w->created) {
			uint64_t give_up = w->started_ns + (uint64_t)w->c->timeout_ms * 1000000ull;

			if (give_up < wake)
				wake = give_up > now ? give_up : now;
		}
		/* with no transfer, curl_multi_poll() still sleeps (and wakes up) */
		curl_multi_poll(w->multi, NULL, 0, (int)((wake - now + 999999) / 1000000), NULL);
		now = etcd_now_ns();
	}
	if (!delivered && !w->created)
		return bgx_fail(err, w->last_code ? w->last_code : -ENOTCONN, "%s", w->last_error);
	return delivered;
}

void etcd_watch_interrupt(struct etcd_watch *w)
{
	atomic_store(&w->interrupted, true);
	curl_multi_wakeup(w->multi);
}

void etcd_watch_disconnect(struct etcd_watch *w)
{
	if (!w->easy)
		return;
	set_error(w, ECONNABORTED, "etcd watch '%s': disconnected on request", w->prefix);
	drop_stream(w, false);
}

void etcd_watch_get_status(const struct etcd_watch *w, struct etcd_watch_status *st)
{
	st->connected = w->easy && w->created;
	st->next_revision = w->next_revision;
	st->reconnects = w->reconnects;
	st->snapshots = w->snapshots;
}

void etcd_watch_close(struct etcd_watch *w)
{
	if (!w)
		return;
	drop_stream(w, false);
	if (w->multi)
		curl_multi_cleanup(w->multi);
	free(w->prefix);
	free(w);
}
