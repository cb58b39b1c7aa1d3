// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Health-check probes through the engine, against real loopback servers
 * (IPv4 and IPv6): TCP pass / refused / black hole / unusable address, HTTP
 * status lists, path and Host with a fresh connection per check, and a
 * server that never answers.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <cmocka.h>
#include "health_fixture.h"

static void tcp_pass_and_refused(struct fixture *f, int family)
{
	struct health_settings s = fast_settings(HEALTH_TCP);
	uint16_t open_port, closed_port;
	int lfd = test_bind(family, 0, 16, &open_port);
	int cfd = test_closed_port(family, &closed_port);
	struct health_target_id up = test_target("web", family, open_port);
	struct health_target_id down = test_target("web", family, closed_port);

	assert_true(lfd >= 0 && cfd >= 0);
	set_service(f, "web", &s);
	add(f, &up, HEALTH_UNCHECKED);
	add(f, &down, HEALTH_UP);
	wait_state(f, &up, HEALTH_UP, 1, 2000);
	wait_state(f, &down, HEALTH_DOWN, 2, 2000);
	struct health_target_status st = status_of(f, &down);
	assert_int_equal(st.last.result, HEALTH_RESULT_REFUSED);
	assert_true(st.last.latency_us < 100000);       /* refused fails fast */
	assert_int_equal(st.checks[HEALTH_RESULT_REFUSED], 2);
	assert_non_null(strstr(find_event(&f->rec, &up, HEALTH_UP, 0)->reason,
			       "first check passed: connected in"));
	const char *why = find_event(&f->rec, &down, HEALTH_DOWN, 0)->reason;
	if (!strstr(why, "2 failed checks in a row (fall 2): connection refused"))
		fail_msg("reason: %s", why);
	assert_int_equal(status_of(f, &up).last.result, HEALTH_RESULT_OK);
	close(lfd);
	close(cfd);
}

static void test_tcp_ipv4(void **state)
{
	tcp_pass_and_refused(*state, AF_INET);
}

static void test_tcp_ipv6(void **state)
{
	tcp_pass_and_refused(*state, AF_INET6);
}

static void test_tcp_black_hole_times_out(void **state)
{
	struct fixture *f = *state;
	struct health_settings s = fast_settings(HEALTH_TCP);
	uint16_t port;
	int lfd = test_bind(AF_INET, 0, 0, &port), clients[8];
	int n = test_fill_backlog(AF_INET, port, clients, 8);
	struct health_target_id id = test_target("web", AF_INET, port);

	assert_true(lfd >= 0 && n >= 1);
	set_service(f, "web", &s);
	add(f, &id, HEALTH_UP);
	wait_state(f, &id, HEALTH_DOWN, 2, 3000);
	struct health_target_status st = status_of(f, &id);
	assert_int_equal(st.last.result, HEALTH_RESULT_TIMEOUT);
	assert_string_equal(st.last.detail, "no connection within 150 ms");
	if (st.last.latency_us < 150000 || st.last.latency_us > 400000)
		fail_msg("timed out after %u us", st.last.latency_us);
	for (int i = 0; i < n; i++)
		close(clients[i]);
	close(lfd);
}

/* fe80:: without a scope: connect() fails at once (EINVAL), no packet sent. */
static void test_unusable_address_is_a_failed_check(void **state)
{
	struct fixture *f = *state;
	struct health_settings s = fast_settings(HEALTH_TCP);
	struct health_target_id id = test_target("web", AF_INET6, 80);
	struct health_settings h = fast_settings(HEALTH_HTTP);
	struct health_target_id hid = test_target("api", AF_INET6, 80);

	id.backend.addr[0] = hid.backend.addr[0] = 0xfe;
	id.backend.addr[1] = hid.backend.addr[1] = 0x80;
	set_service(f, "web", &s);
	set_service(f, "api", &h);
	add(f, &id, HEALTH_UP);
	add(f, &hid, HEALTH_UP);
	wait_state(f, &id, HEALTH_DOWN, 2, 2000);
	wait_state(f, &hid, HEALTH_DOWN, 2, 2000);
	assert_int_equal(status_of(f, &id).last.result, HEALTH_RESULT_ERROR);
	assert_non_null(strstr(status_of(f, &id).last.detail, "connect: "));
	assert_int_not_equal(status_of(f, &hid).last.result, HEALTH_RESULT_OK);
}

static void start_http(struct test_server *srv, int family, int status)
{
	struct test_http_spec spec = { HTTP_STATUS, status, NULL, NULL };

	assert_int_equal(test_server_start(srv, family, 0, &spec), 0);
}

static void test_http_status_lists(void **state)
{
	struct fixture *f = *state;
	struct health_settings s = fast_settings(HEALTH_HTTP);
	struct test_server ok, redirect, broken;
	struct bgx_err err = { 0 };

	start_http(&ok, AF_INET, 200);
	start_http(&redirect, AF_INET, 302);
	start_http(&broken, AF_INET, 500);
	struct health_target_id a = test_target("web", AF_INET, ok.port);
	struct health_target_id b = test_target("web", AF_INET, redirect.port);
	struct health_target_id c = test_target("web", AF_INET, broken.port);

	snprintf(s.path, sizeof(s.path), "/healthz");
	set_service(f, "web", &s);
	add(f, &a, HEALTH_UNCHECKED);
	add(f, &b, HEALTH_UNCHECKED);
	add(f, &c, HEALTH_UP);
	wait_state(f, &a, HEALTH_UP, 1, 3000);
	wait_state(f, &b, HEALTH_UP, 1, 3000);
	wait_state(f, &c, HEALTH_DOWN, 2, 3000);
	assert_int_equal(status_of(f, &b).last.http_status, 302);
	struct health_target_status st = status_of(f, &c);
	assert_int_equal(st.last.result, HEALTH_RESULT_BAD_STATUS);
	assert_int_equal(st.last.http_status, 500);
	assert_non_null(strstr(st.last.detail, "(expected 200-399)"));

	/* Only 500 expected now: the 500 comes up, 200 and 302 go down. */
	assert_int_equal(health_parse_expect("500", &s, &err), 0);
	set_service(f, "web", &s);
	wait_state(f, &c, HEALTH_UP, 2, 3000);
	wait_state(f, &a, HEALTH_DOWN, 2, 3000);
	wait_state(f, &b, HEALTH_DOWN, 2, 3000);
	test_server_kill(&ok);
	test_server_kill(&redirect);
	test_server_kill(&broken);
}

static void test_http_path_host_fresh_connections(void **state)
{
	struct fixture *f = *state;
	struct health_settings s = fast_settings(HEALTH_HTTP);
	struct test_http_spec spec = { HTTP_STRICT, 0, "/ready", "web.test" };
	struct test_server srv;

	assert_int_equal(test_server_start(&srv, AF_INET6, 0, &spec), 0);
	struct health_target_id id = test_target("web", AF_INET6, srv.port);

	snprintf(s.path, sizeof(s.path), "/ready");
	snprintf(s.host, sizeof(s.host), "web.test");
	s.interval_ms = 100;
	s.timeout_ms = 90;
	set_service(f, "web", &s);
	add(f, &id, HEALTH_UNCHECKED);
	wait_state(f, &id, HEALTH_UP, 5, 3000);
	struct health_target_status st = status_of(f, &id);
	assert_int_equal(st.last.http_status, 200);
	/* Every check its own connection, none kept alive. */
	assert_int_equal(test_server_accepted(&srv), st.checks[HEALTH_RESULT_OK]);

	/* The wrong path gets the server's 404: down. */
	snprintf(s.path, sizeof(s.path), "/other");
	set_service(f, "web", &s);
	wait_state(f, &id, HEALTH_DOWN, 2, 3000);
	assert_int_equal(status_of(f, &id).last.http_status, 404);
	test_server_kill(&srv);
}

static void test_http_silent_server_times_out(void **state)
{
	struct fixture *f = *state;
	struct health_settings s = fast_settings(HEALTH_HTTP);
	struct test_http_spec spec = { HTTP_SILENT, 0, NULL, NULL };
	struct test_server srv;

	assert_int_equal(test_server_start(&srv, AF_INET, 0, &spec), 0);
	struct health_target_id id = test_target("web", AF_INET, srv.port);

	set_service(f, "web", &s);
	add(f, &id, HEALTH_UP);
	wait_state(f, &id, HEALTH_DOWN, 2, 3000);
	struct health_target_status st = status_of(f, &id);
	assert_int_equal(st.last.result, HEALTH_RESULT_TIMEOUT);
	assert_string_equal(st.last.detail, "no HTTP response within 150 ms");
	/* libcurl's timers run on its own millisecond clock */
	if (st.last.latency_us < 145000 || st.last.latency_us > 400000)
		fail_msg("timed out after %u us", st.last.latency_us);
	test_server_kill(&srv);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tcp_ipv4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_ipv6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_black_hole_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unusable_address_is_a_failed_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_status_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_path_host_fresh_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_silent_server_times_out, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
