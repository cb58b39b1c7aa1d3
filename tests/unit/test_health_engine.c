// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The health-check engine's schedule and threading against real loopback
 * servers: jitter, suspicion, target changes while checks run, bad targets,
 * and detection and recovery times with the default settings when a real
 * server is killed (SIGKILL) and restarted or its host black-holes SYNs.
 * The times are printed for the record; the assertions are the documented
 * bounds.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <cmocka.h>
#include "health_fixture.h"

/* 16 targets added together: their first checks spread over the jitter. */
static uint64_t first_check_span(struct fixture *f, uint8_t jitter_pct)
{
	struct health_settings s = fast_settings(HEALTH_TCP);
	struct health_target_id ids[16];
	int fds[16];
	uint64_t first[16] = { 0 }, start = test_now_ms(), lo = UINT64_MAX, hi = 0;
	uint16_t port;

	s.interval_ms = 1000;
	s.timeout_ms = 500;
	s.jitter_pct = jitter_pct;
	set_service(f, "web", &s);
	for (int i = 0; i < 16; i++) {
		fds[i] = test_bind(AF_INET, 0, 16, &port);
		ids[i] = test_target("web", AF_INET, port);
		add(f, &ids[i], HEALTH_UP);
	}
	for (int done = 0; done < 16 && test_now_ms() - start < 3000;) {
		assert_int_equal(health_poll(f->engine, 5, NULL), 0);
		for (int i = 0; i < 16; i++)
			if (!first[i] && status_of(f, &ids[i]).checks[HEALTH_RESULT_OK]) {
				first[i] = test_now_ms();
				done++;
			}
	}
	for (int i = 0; i < 16; i++) {
		assert_true(first[i] > 0);
		lo = first[i] < lo ? first[i] : lo;
		hi = first[i] > hi ? first[i] : hi;
		close(fds[i]);
	}
	assert_int_equal(health_remove_service(f->engine, "web"), 0);
	return hi - lo;
}

static void test_jitter_spreads_first_checks(void **state)
{
	struct fixture *f = *state;
	uint64_t spread = first_check_span(f, 100), together = first_check_span(f, 0);

	print_message("first checks of 16 targets: spread over %llu ms (jitter 100 %% of 1 s), "
		      "%llu ms (no jitter)\n", (unsigned long long)spread,
		      (unsigned long long)together);
	assert_true(spread >= 300);
	assert_true(together < 100);
}

/* An up target right after a passing check: the next regular check is an
 * interval (3 s) away, a suspicion gets it checked now, then at fastinter. */
static void test_suspicion_speeds_detection(void **state)
{
	struct fixture *f = *state;
	struct health_settings s = fast_settings(HEALTH_TCP);
	uint16_t port;
	int lfd = test_bind(AF_INET, 0, 16, &port);
	struct health_target_id id = test_target("web", AF_INET, port);
	uint64_t killed, detected;

	s.interval_ms = 3000;
	s.timeout_ms = 200;
	s.fastinter_ms = 300;
	set_service(f, "web", &s);
	add(f, &id, HEALTH_UNCHECKED);
	start_thread(f);
	wait_state(f, &id, HEALTH_UP, 1, 2000);
	close(lfd);                     /* the backend stops right after a pass */
	killed = test_now_ms();
	assert_int_equal(health_suspect(f->engine, &id), 0);
	detected = wait_state(f, &id, HEALTH_DOWN, 0, 2500);
	print_message("suspected backend down %llu ms after it stopped (interval 3 s, "
		      "fastinter 300 ms)\n", (unsigned long long)detected);
	assert_true(find_event(&f->rec, &id, HEALTH_DOWN, killed) != NULL);
	assert_true(detected < 1000);   /* instead of >= 3 s without the suspicion */
	assert_false(status_of(f, &id).suspected);
}

/* Removing and changing targets while their checks are in flight, from the
 * main thread while the loop runs in its own. */
static void test_changes_while_checks_run(void **state)
{
	struct fixture *f = *state;
	struct health_settings s = fast_settings(HEALTH_HTTP);
	struct test_http_spec spec = { HTTP_SILENT, 0, NULL, NULL };
	struct test_server srv[4];
	struct health_target_spec specs[8];
	struct health_snapshot snap;
	struct bgx_err err = { 0 };

	s.interval_ms = 1000;
	s.timeout_ms = 900;
	set_service(f, "web", &s);
	for (int i = 0; i < 8; i++) {
		if (i < 4)
			assert_int_equal(test_server_start(&srv[i], AF_INET, 0, &spec), 0);
		specs[i].id = test_target("web", AF_INET, srv[i / 2].port);
		specs[i].id.color = (uint32_t)(i & 1);
		specs[i].initial = HEALTH_UP;
	}
	assert_int_equal(health_sync_targets(f->engine, specs, 8, &err), 0);
	start_thread(f);
	test_sleep_ms(150);             /* the checks now hang on the servers */
	assert_int_equal(health_sync_targets(f->engine, specs + 4, 4, &err), 0);
	assert_int_equal(health_remove_target(f->engine, &specs[7].id), 0);
	assert_int_equal(health_remove_target(f->engine, &specs[7].id), -ENOENT);
	s.enabled = false;
	set_service(f, "web", &s);
	test_sleep_ms(100);
	assert_int_equal(health_snapshot(f->engine, &snap, &err), 0);
	assert_int_equal(snap.n, 3);
	for (size_t i = 0; i < snap.n; i++) {
		bool listed = false;

		assert_int_equal(snap.targets[i].state, HEALTH_OFF);
		for (int j = 4; j < 7; j++)
			listed |= health_target_id_equal(&snap.targets[i].id, &specs[j].id);
		assert_true(listed);
	}
	health_snapshot_free(&snap);
	assert_non_null(find_event(&f->rec, &specs[4].id, HEALTH_OFF, 0));
	s.enabled = true;
	set_service(f, "web", &s);
	assert_int_equal(status_of(f, &specs[5].id).state, HEALTH_UP);
	assert_int_equal(health_remove_service(f->engine, "web"), 0);
	assert_int_equal(health_get_target(f->engine, &specs[5].id, &(struct health_target_status){0}),
			 -ENOENT);
}

static void test_bad_targets_refused(void **state)
{
	struct fixture *f = *state;
	struct health_settings s = fast_settings(HEALTH_TCP);
	struct health_target_spec spec = { test_target("nosuch", AF_INET, 80), HEALTH_UP };
	struct health_target_spec good = { test_target("web", AF_INET, 80), HEALTH_UP };
	struct health_target_spec list[2];
	struct bgx_err err = { 0 };
	struct health_snapshot snap;

	assert_int_equal(health_add_target(f->engine, &spec, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "no settings for service 'nosuch'"));
	set_service(f, "web", &s);
	spec = good;
	spec.id.color = 2;
	bgx_err_clear(&err);
	assert_int_equal(health_add_target(f->engine, &spec, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "color 2"));
	spec = good;
	spec.initial = HEALTH_OFF;
	assert_int_equal(health_add_target(f->engine, &spec, NULL), -EINVAL);
	/* A bad entry in a sync list: nothing of the list is applied. */
	list[0] = good;
	list[1] = good;
	list[1].id.backend.port = 0;
	assert_int_equal(health_sync_targets(f->engine, list, 2, NULL), -EINVAL);
	assert_int_equal(health_snapshot(f->engine, &snap, NULL), 0);
	assert_int_equal(snap.n, 0);
	health_snapshot_free(&snap);
	s.timeout_ms = s.interval_ms;
	bgx_err_clear(&err);
	assert_int_equal(health_set_service(f->engine, "web", &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "shorter than the interval"));
}

/*
 * Defaults (interval 1 s, timeout 500 ms, rise 2, fall 2): a real server is
 * killed with SIGKILL while checked; it must be down within fall x interval
 * + timeout, and up within rise x interval + 1 s of its restart.
 */
static void test_detection_with_defaults(void **state)
{
	struct fixture *f = *state;
	struct health_settings s;
	struct test_http_spec spec = { HTTP_ACCEPT_CLOSE, 0, NULL, NULL };
	struct test_server srv;
	uint64_t killed, down, restarted, up;

	health_settings_default(&s);
	assert_int_equal(test_server_start(&srv, AF_INET, 0, &spec), 0);
	struct health_target_id id = test_target("web", AF_INET, srv.port);

	set_service(f, "web", &s);
	add(f, &id, HEALTH_UP);
	start_thread(f);
	test_sleep_ms(1700);            /* mid-run: between two checks */
	assert_int_equal(status_of(f, &id).state, HEALTH_UP);
	test_server_kill(&srv);
	killed = test_now_ms();
	wait_state(f, &id, HEALTH_DOWN, 0, 5000);
	down = find_event(&f->rec, &id, HEALTH_DOWN, killed)->at_ms - killed;
	uint16_t port = srv.port;
	assert_int_equal(test_server_start(&srv, AF_INET, port, &spec), 0);
	restarted = test_now_ms();
	wait_state(f, &id, HEALTH_UP, 0, 5000);
	up = find_event(&f->rec, &id, HEALTH_UP, restarted)->at_ms - restarted;
	print_message("defaults, server killed: down after %llu ms (bound %u), back up %llu ms "
		      "after its restart (bound %u)\n", (unsigned long long)down,
		      s.fall * s.interval_ms + s.timeout_ms, (unsigned long long)up,
		      s.rise * s.interval_ms + 1000);
	assert_true(down <= s.fall * s.interval_ms + s.timeout_ms);
	assert_true(up <= s.rise * s.interval_ms + 1000);
	test_server_kill(&srv);
}

/* Accept (and drop) connections on a non-blocking listener for ms. */
static void accept_for(int lfd, unsigned ms)
{
	uint64_t start = test_now_ms();

	while (test_now_ms() - start < ms) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd >= 0)
			close(fd);
		else
			test_sleep_ms(2);
	}
}

/* The same bound when the host starts black-holing SYNs: the listener stops
 * accepting, its queue fills, every check times out. */
static void test_black_hole_detection_with_defaults(void **state)
{
	struct fixture *f = *state;
	struct health_settings s;
	uint16_t port;
	int lfd, clients[8], n;
	uint64_t holed, down;

	health_settings_default(&s);
	lfd = test_bind(AF_INET, 0, 0, &port);
	assert_true(lfd >= 0);
	fcntl(lfd, F_SETFL, O_NONBLOCK);
	struct health_target_id id = test_target("web", AF_INET, port);

	set_service(f, "web", &s);
	add(f, &id, HEALTH_UP);
	start_thread(f);
	accept_for(lfd, 1300);
	holed = test_now_ms();
	n = test_fill_backlog(AF_INET, port, clients, 8);
	assert_true(n >= 1);
	wait_state(f, &id, HEALTH_DOWN, 0, 5000);
	down = find_event(&f->rec, &id, HEALTH_DOWN, holed)->at_ms - holed;
	print_message("defaults, SYNs black-holed: down after %llu ms (bound %u)\n",
		      (unsigned long long)down, s.fall * s.interval_ms + s.timeout_ms);
	assert_true(down <= s.fall * s.interval_ms + s.timeout_ms);
	assert_true(down >= s.fall * s.timeout_ms);     /* two whole timeouts */
	assert_int_equal(status_of(f, &id).last.result, HEALTH_RESULT_TIMEOUT);
	assert_true(status_of(f, &id).checks[HEALTH_RESULT_OK] >= 1);
	for (int i = 0; i < n; i++)
		close(clients[i]);
	close(lfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_jitter_spreads_first_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_suspicion_speeds_detection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes_while_checks_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_targets_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detection_with_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_black_hole_detection_with_defaults, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
