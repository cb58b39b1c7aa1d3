// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* promql.c against a fake Prometheus (libmicrohttpd in this process) that
 * answers every shape a real one or a broken proxy may send: one sample,
 * several, none, NaN, server errors, HTTP errors, garbage, a slow answer,
 * a redirect, a huge body; and the URL rules. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <microhttpd.h>
#include "promql.h"

#define QUERY_MAX 2048

static struct MHD_Daemon *daemon_;
static unsigned short port;
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static char seen_method[8], seen_query[QUERY_MAX];

struct request {
	struct MHD_PostProcessor *post;
	char query[QUERY_MAX];
};

struct route {
	const char *prefix;
	unsigned status;
	const char *body;
};

static const struct route routes[] = {
	{ "/ok/", 200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		       "[{\"metric\":{\"job\":\"x\"},\"value\":[1700000000.5,\"0.25\"]}]}}" },
	{ "/scalar/", 200, "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1700000000,\"42\"]}}" },
	{ "/two/", 200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
			"{\"metric\":{\"a\":\"1\"},\"value\":[1,\"1\"]},{\"metric\":{\"a\":\"2\"},\"value\":[1,\"2\"]}]}}" },
	{ "/empty/", 200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}" },
	{ "/nan/", 200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[1,\"NaN\"]}]}}" },
	{ "/inf/", 200, "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"+Inf\"]}}" },
	{ "/word/", 200, "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"12abc\"]}}" },
	{ "/matrix/", 200, "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}" },
	{ "/bad_data/", 400, "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"1:5: parse error: unclosed left parenthesis\"}" },
	{ "/exec/", 422, "{\"status\":\"error\",\"errorType\":\"execution\",\"error\":\"many-to-many matching not allowed\"}" },
	{ "/500/", 500, "internal meltdown\nsecond line" },
	{ "/garbage/", 200, "<html>not json</html>" },
	{ "/shape/", 200, "{\"status\":\"success\"}" },
	{ "/echo/", 200, "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"1\"]}}" },
};

static enum MHD_Result collect_form(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *filename, const char *content_type,
				    const char *encoding, const char *data, uint64_t off, size_t size)
{
	struct request *rq = cls;

	(void)kind, (void)filename, (void)content_type, (void)encoding;
	if (!strcmp(key, "query") && off + size < sizeof(rq->query)) {
		memcpy(rq->query + off, data, size);
		rq->query[off + size] = '\0';
	}
	return MHD_YES;
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *body,
			       size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, mode);
	enum MHD_Result ret;

	if (status == 302)
		MHD_add_response_header(r, "Location", "http://127.0.0.1:1/elsewhere");
	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result special(struct MHD_Connection *c, const char *url)
{
	if (!strncmp(url, "/slow/", 6)) {
		usleep(1200 * 1000);
		return respond(c, 200, routes[0].body, strlen(routes[0].body), MHD_RESPMEM_PERSISTENT);
	}
	if (!strncmp(url, "/redirect/", 10))
		return respond(c, 302, "", 0, MHD_RESPMEM_PERSISTENT);
	if (!strncmp(url, "/big/", 5)) {
		size_t len = 2u << 20;
		char *body = malloc(len);

		memset(body, ' ', len);
		return respond(c, 200, body, len, MHD_RESPMEM_MUST_FREE);
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (!strncmp(url, routes[i].prefix, strlen(routes[i].prefix)))
			return respond(c, routes[i].status, routes[i].body, strlen(routes[i].body),
				       MHD_RESPMEM_PERSISTENT);
	return respond(c, 404, "404 page not found\n", 19, MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **state)
{
	struct request *rq = *state;
	bool post = !strcmp(method, "POST");
	const char *q;

	(void)cls, (void)version;
	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (post)
			rq->post = MHD_create_post_processor(c, 4096, collect_form, rq);
		*state = rq;
		return MHD_YES;
	}
	if (post && *upload_size) {
		MHD_post_process(rq->post, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	q = post ? rq->query : MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "query");
	pthread_mutex_lock(&seen_lock);
	snprintf(seen_method, sizeof(seen_method), "%s", method);
	snprintf(seen_query, sizeof(seen_query), "%s", q ? q : "");
	pthread_mutex_unlock(&seen_lock);
	return special(c, url);
}

static void done(void *cls, struct MHD_Connection *c, void **state,
		 enum MHD_RequestTerminationCode code)
{
	struct request *rq = *state;

	(void)cls, (void)c, (void)code;
	if (rq && rq->post)
		MHD_destroy_post_processor(rq->post);
	free(rq);
	*state = NULL;
}

static int start_server(void **state)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	const union MHD_DaemonInfo *info;

	(void)state;
	promql_global_init();
	daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
				   0, NULL, NULL, handle, NULL,
				   MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
				   MHD_OPTION_NOTIFY_COMPLETED, done, NULL, MHD_OPTION_END);
	if (!daemon_)
		return -1;
	info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
	port = info ? info->port : 0;
	return port ? 0 : -1;
}

static int stop_server(void **state)
{
	(void)state;
	MHD_stop_daemon(daemon_);
	return 0;
}

/* Query the fake server's `path` prefix; returns the error code. */
static int ask(const char *path, bool post, const char *expr, struct promql_sample *s,
	       struct bgx_err *err)
{
	struct promql_client c;
	char url[128];
	int r;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	assert_int_equal(promql_open(&c, url, 300, post, err), 0);
	r = promql_query(&c, expr, s, err);
	promql_close(&c);
	return r;
}

static void expect_error(const char *path, int code, const char *why)
{
	struct promql_sample s;
	struct bgx_err err = { 0 };
	int r = ask(path, false, "up", &s, &err);

	if (r != code || !strstr(err.msg, why))
		fail_msg("%s: got %d \"%s\", expected %d with \"%s\"", path, r, err.msg, code, why);
}

static void test_answers(void **state)
{
	struct promql_sample s;
	struct bgx_err err = { 0 };

	(void)state;
	assert_int_equal(ask("/ok", false, "up", &s, &err), 0);
	assert_int_equal(s.type, PROMQL_VECTOR);
	assert_float_equal(s.value, 0.25, 0);
	assert_float_equal(s.timestamp, 1700000000.5, 0);
	assert_int_equal(ask("/scalar/", true, "up", &s, &err), 0);    /* trailing '/' ok */
	assert_int_equal(s.type, PROMQL_SCALAR);
	assert_float_equal(s.value, 42, 0);
}

static void test_error_shapes(void **state)
{
	(void)state;
	expect_error("/two", -ERANGE, "query returned 2 series, a check needs exactly 1");
	expect_error("/empty", -ENODATA, "empty result");
	expect_error("/nan", -EDOM, "query returned NaN");
	expect_error("/inf", -EDOM, "an infinity");
	expect_error("/word", -EBADMSG, "sample value \"12abc\" that is not a number");
	expect_error("/matrix", -ERANGE, "returned a matrix");
	expect_error("/bad_data", -EINVAL,
		     "Prometheus refused the query (bad_data): 1:5: parse error: unclosed left parenthesis");
	expect_error("/exec", -EREMOTEIO, "could not run the query (execution): many-to-many");
	expect_error("/500", -EPROTO, "answered HTTP 500: internal meltdown");
	expect_error("/garbage", -EBADMSG, "not the query API's JSON (<html>not json</html>)");
	expect_error("/shape", -EBADMSG, "no data.resultType");
	expect_error("/nowhere", -EPROTO, "answered HTTP 404: 404 page not found");
	expect_error("/redirect", -EPROTO, "answered HTTP 302");
	expect_error("/big", -EMSGSIZE, "answer over 1048576 bytes");
}

static void test_timeout_and_refused(void **state)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	struct promql_client c;
	struct promql_sample s;
	struct bgx_err err = { 0 };
	char url[64];
	int fd;

	(void)state;
	expect_error("/slow", -ETIMEDOUT, "did not answer within 300 ms");
	/* A port nobody listens on (bound and closed again). */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", ntohs(addr.sin_port));
	assert_int_equal(promql_open(&c, url, 300, false, &err), 0);
	assert_int_equal(promql_query(&c, "up", &s, &err), -ECONNREFUSED);
	assert_non_null(strstr(err.msg, "cannot connect to Prometheus http://127.0.0.1:"));
	promql_close(&c);
}

/* What the server receives is the expression, byte for byte, by GET or POST. */
static void test_query_encoding(void **state)
{
	const char *expr = "sum(rate(x{code=~\"5..\",path=\"/a&b=c?\"}[1m])) + 1 / 2 # \xc3\xa9";
	struct promql_sample s;

	(void)state;
	for (int post = 0; post <= 1; post++) {
		assert_int_equal(ask("/echo", post, expr, &s, NULL), 0);
		pthread_mutex_lock(&seen_lock);
		assert_string_equal(seen_method, post ? "POST" : "GET");
		assert_string_equal(seen_query, expr);
		pthread_mutex_unlock(&seen_lock);
	}
}

static void test_validate_and_measure(void **state)
{
	const char *const exprs[] = { "up", "sum(" };
	struct promql_client c;
	struct promql_measurement m;
	struct bgx_err err = { 0 };
	char url[64];

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/empty", port);
	assert_int_equal(promql_open(&c, url, 300, false, NULL), 0);
	assert_int_equal(promql_validate(&c, exprs, 2, &err), 0);      /* empty is fine at start */
	promql_measure(&c, "up", &m);
	assert_false(m.ok);
	assert_string_equal(m.error, "query returned an empty result (no series matched)");
	promql_close(&c);

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/bad_data", port);
	assert_int_equal(promql_open(&c, url, 300, false, NULL), 0);
	assert_int_equal(promql_validate(&c, exprs, 2, &err), -EINVAL);
	assert_true(err.usage);
	assert_string_equal(err.msg, "--query 'up': Prometheus refused the query (bad_data): 1:5: parse error: unclosed left parenthesis");
	promql_close(&c);

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/500", port);
	bgx_err_clear(&err);
	assert_int_equal(promql_open(&c, url, 300, false, NULL), 0);
	assert_int_equal(promql_validate(&c, exprs, 1, &err), -EPROTO);  /* unreachable: refused too */
	promql_close(&c);

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/ok", port);
	assert_int_equal(promql_open(&c, url, 300, false, NULL), 0);
	promql_measure(&c, "up", &m);
	assert_true(m.ok);
	assert_float_equal(m.value, 0.25, 0);
	promql_close(&c);
}

/* Messages end up in the history and the logs: no password in them. */
static void test_password_not_shown(void **state)
{
	struct promql_client c;
	struct promql_sample s;
	struct bgx_err err = { 0 };
	char url[96], shown[64];

	(void)state;
	snprintf(url, sizeof(url), "http://ci:s3cret@127.0.0.1:%u/500/", port);
	snprintf(shown, sizeof(shown), "Prometheus http://127.0.0.1:%u/500 answered HTTP 500", port);
	assert_int_equal(promql_open(&c, url, 300, false, NULL), 0);
	assert_int_equal(promql_query(&c, "up", &s, &err), -EPROTO);
	assert_null(strstr(err.msg, "s3cret"));
	assert_non_null(strstr(err.msg, shown));
	promql_close(&c);
}

static void test_url_rules(void **state)
{
	static const char *const good[] = {
		"http://127.0.0.1:9090", "https://prom.example", "http://[::1]:9090/",
		"HTTP://localhost:9090/prefix/path", "http://user:pw@prom:9090",
	};
	static const struct { const char *url, *why; } bad[] = {
		{ "", "is empty" },
		{ "ftp://prom:9090", "only http:// or https://" },
		{ "file:///etc/passwd", "only http:// or https://" },
		{ "localhost:9090", "only http:// or https://" },
		{ "prom:9090/api", "only http:// or https://" },
		{ "http//prom", "only http:// or https://" },
		{ "http://", "not a valid URL" },
		{ "http://prom:9090/?x=1", "no ?query or #fragment" },
		{ "http://prom:9090/#top", "no ?query or #fragment" },
		{ "http://prom 9090", "spaces or control characters" },
		{ "http://prom:9090\n", "spaces or control characters" },
		{ "http://prom:99999", "not a valid URL" },
	};
	struct bgx_err err;
	struct promql_client c;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (promql_url_check(good[i], NULL))
			fail_msg("URL \"%s\" refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bgx_err_clear(&err);
		if (promql_url_check(bad[i].url, &err) != -EINVAL || !strstr(err.msg, bad[i].why) ||
		    strchr(err.msg, '\n'))
			fail_msg("URL \"%s\": \"%s\" lacks \"%s\"", bad[i].url, err.msg, bad[i].why);
	}
	assert_int_equal(promql_open(&c, "http://prom/", 0, false, NULL), -EINVAL);
	assert_int_equal(promql_open(&c, "http://prom/x///", 100, false, NULL), 0);
	assert_string_equal(c.base, "http://prom/x");
	promql_close(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_error_shapes),
		cmocka_unit_test(test_timeout_and_refused),
		cmocka_unit_test(test_query_encoding),
		cmocka_unit_test(test_validate_and_measure),
		cmocka_unit_test(test_password_not_shown),
		cmocka_unit_test(test_url_rules),
	};

	return cmocka_run_group_tests(tests, start_server, stop_server);
}
