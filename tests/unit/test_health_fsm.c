// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * health_fsm.c and health_settings.c: rise/fall counting, the cadences, the
 * detection and recovery bounds (a scheduler driven by a fake clock), the
 * jitter spread, and every accepted and refused setting.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "health_fsm.h"

static struct health_settings defaults(void)
{
	struct health_settings s;

	health_settings_default(&s);
	return s;
}

static void record_n(struct health_fsm *f, const struct health_settings *s, bool pass, int n)
{
	for (int i = 0; i < n; i++)
		health_fsm_record(f, s, pass);
}

static void test_fall_takes_consecutive_failures(void **state)
{
	struct health_settings s = defaults();
	struct health_fsm f;

	(void)state;
	s.fall = 3;
	health_fsm_init(&f, HEALTH_UP);
	record_n(&f, &s, false, 2);
	assert_int_equal(f.state, HEALTH_UP);
	health_fsm_record(&f, &s, true);        /* a pass breaks the run */
	record_n(&f, &s, false, 2);
	assert_int_equal(f.state, HEALTH_UP);
	assert_int_equal(health_fsm_record(&f, &s, false), HEALTH_DOWN);
	assert_int_equal(f.fails, 3);
}

static void test_rise_takes_consecutive_passes(void **state)
{
	struct health_settings s = defaults();
	struct health_fsm f;

	(void)state;
	s.rise = 3;
	health_fsm_init(&f, HEALTH_DOWN);
	record_n(&f, &s, true, 2);
	health_fsm_record(&f, &s, false);
	record_n(&f, &s, true, 2);
	assert_int_equal(f.state, HEALTH_DOWN);
	assert_int_equal(health_fsm_record(&f, &s, true), HEALTH_UP);
}

static void test_unchecked_first_pass_is_up(void **state)
{
	struct health_settings s = defaults();
	struct health_fsm f;

	(void)state;
	s.rise = 5;
	health_fsm_init(&f, HEALTH_UNCHECKED);
	assert_int_equal(health_fsm_record(&f, &s, true), HEALTH_UP);
	health_fsm_init(&f, HEALTH_UNCHECKED);
	assert_int_equal(health_fsm_record(&f, &s, false), HEALTH_UNCHECKED);
	assert_int_equal(health_fsm_record(&f, &s, false), HEALTH_DOWN);
}

static void test_off_ignores_results_and_turns_on_up(void **state)
{
	struct health_settings s = defaults();
	struct health_fsm f;

	(void)state;
	health_fsm_init(&f, HEALTH_DOWN);
	health_fsm_set_enabled(&f, false);
	assert_int_equal(f.state, HEALTH_OFF);
	record_n(&f, &s, false, 5);
	assert_int_equal(f.state, HEALTH_OFF);
	health_fsm_set_enabled(&f, true);
	assert_int_equal(f.state, HEALTH_UP);
	health_fsm_set_enabled(&f, true);       /* on again: nothing changes */
	assert_int_equal(f.state, HEALTH_UP);
}

static void test_cadence_follows_state(void **state)
{
	struct health_settings s = defaults();
	struct health_fsm f;

	(void)state;
	s.interval_ms = 2000;
	s.fastinter_ms = 300;
	s.downinter_ms = 5000;
	health_fsm_init(&f, HEALTH_UP);
	assert_int_equal(health_fsm_cadence_ms(&f, &s), 2000);
	health_fsm_record(&f, &s, false);
	assert_int_equal(health_fsm_cadence_ms(&f, &s), 300);
	health_fsm_record(&f, &s, false);
	assert_int_equal(f.state, HEALTH_DOWN);
	assert_int_equal(health_fsm_cadence_ms(&f, &s), 5000);
	health_fsm_record(&f, &s, true);
	assert_int_equal(health_fsm_cadence_ms(&f, &s), 300);
	health_fsm_init(&f, HEALTH_UNCHECKED);
	assert_int_equal(health_fsm_cadence_ms(&f, &s), 300);
	/* Derived: fastinter = max(interval / 2, timeout), downinter = interval. */
	s = defaults();
	assert_int_equal(health_fastinter_ms(&s), 500);
	s.timeout_ms = 800;
	assert_int_equal(health_fastinter_ms(&s), 800);
	assert_int_equal(health_downinter_ms(&s), 1000);
	/* A slow check is followed at once, never overlapped. */
	health_fsm_init(&f, HEALTH_UP);
	assert_int_equal(health_fsm_next_due(&f, &s, 1000, 1200), 2000);
	assert_int_equal(health_fsm_next_due(&f, &s, 1000, 2300), 2300);
}

static void test_suspicion(void **state)
{
	struct health_settings s = defaults();
	struct health_fsm f;

	(void)state;
	s.rise = 2;
	health_fsm_init(&f, HEALTH_UP);
	record_n(&f, &s, true, 5);
	assert_true(health_fsm_suspect(&f));
	assert_false(health_fsm_suspect(&f));   /* already: no second reschedule */
	assert_int_equal(health_fsm_cadence_ms(&f, &s), health_fastinter_ms(&s));
	health_fsm_record(&f, &s, true);
	assert_true(f.suspected);               /* one pass is not `rise` passes */
	health_fsm_record(&f, &s, true);
	assert_false(f.suspected);
	assert_int_equal(health_fsm_cadence_ms(&f, &s), s.interval_ms);
	/* Confirmed: down ends it too. */
	assert_true(health_fsm_suspect(&f));
	record_n(&f, &s, false, 2);
	assert_int_equal(f.state, HEALTH_DOWN);
	assert_false(f.suspected);
	assert_false(health_fsm_suspect(&f));   /* nothing to suspect when down */
}

/*
 * A fake-clock scheduler, as the engine runs it: a check starts when due,
 * takes 1 ms (refused) or the timeout (black hole) once the backend is dead
 * at death_ms, and the next is due per health_fsm_next_due().  Returns the
 * time from death_ms to "down", or from death_ms (the restart) to "up" when
 * `recover` is set.  A suspicion raised at suspect_ms (>= 0) moves the next
 * check to then, as health_suspect() does.
 */
struct sim {
	uint64_t death_ms;
	bool blackhole, recover;
	int64_t suspect_ms;
};

static uint64_t simulate(const struct health_settings *s, const struct sim *sim)
{
	struct health_fsm f;
	uint64_t due = 0, finished = 0;
	bool suspected = false;

	health_fsm_init(&f, sim->recover ? HEALTH_DOWN : HEALTH_UP);
	for (int i = 0; i < 10000; i++) {
		if (sim->suspect_ms >= 0 && !suspected && (uint64_t)sim->suspect_ms < due) {
			suspected = true;
			if (health_fsm_suspect(&f))
				due = (uint64_t)sim->suspect_ms > finished ? (uint64_t)sim->suspect_ms
									   : finished;
		}
		uint64_t start = due;
		bool alive = sim->recover ? start >= sim->death_ms : start < sim->death_ms;
		uint64_t took = alive || !sim->blackhole ? 1 : s->timeout_ms;

		finished = start + took;
		health_fsm_record(&f, s, alive);
		if (f.state == (sim->recover ? HEALTH_UP : HEALTH_DOWN))
			return finished - sim->death_ms;
		due = health_fsm_next_due(&f, s, start, finished);
	}
	fail_msg("simulation did not settle");
	return 0;
}

/* Worst case over every moment of death within two intervals. */
static uint64_t worst(const struct health_settings *s, bool blackhole, bool recover,
		      int64_t suspect_after_ms)
{
	uint64_t max = 0;

	for (uint64_t d = 5000; d < 5000 + 2 * s->interval_ms; d += 7) {
		struct sim sim = { d, blackhole, recover,
				   suspect_after_ms < 0 ? -1 : (int64_t)d + suspect_after_ms };
		uint64_t t = simulate(s, &sim);

		if (t > max)
			max = t;
	}
	return max;
}

static void test_detection_and_recovery_bounds(void **state)
{
	struct health_settings s = defaults();
	uint64_t refused, blackhole, suspected, up;

	(void)state;
	refused = worst(&s, false, false, -1);
	blackhole = worst(&s, true, false, -1);
	suspected = worst(&s, true, false, 10);
	up = worst(&s, false, true, -1);
	print_message("defaults: down within %llu ms (refused), %llu ms (black hole), %llu ms "
		      "(black hole, suspected 10 ms after); up within %llu ms\n",
		      (unsigned long long)refused, (unsigned long long)blackhole,
		      (unsigned long long)suspected, (unsigned long long)up);
	assert_true(blackhole <= s.fall * s.interval_ms + s.timeout_ms);
	assert_true(refused <= blackhole);
	assert_true(refused > (s.fall - 1) * health_fastinter_ms(&s)); /* not trivially 0 */
	assert_true(suspected < blackhole);
	assert_true(suspected <= 10 + s.timeout_ms + (s.fall - 1) * health_fastinter_ms(&s) + 1);
	assert_true(up <= s.rise * s.interval_ms + 1000);
	/* The bound holds for other settings too, as long as they validate. */
	s.interval_ms = 3000;
	s.timeout_ms = 2900;
	s.fall = 4;
	s.fastinter_ms = 3000;
	assert_true(worst(&s, true, false, -1) <= s.fall * s.interval_ms + s.timeout_ms);
}

static struct health_target_id target(unsigned i)
{
	struct health_target_id id;

	memset(&id, 0, sizeof(id));
	snprintf(id.service, sizeof(id.service), "web");
	id.color = i & 1;
	id.backend.family = BGXDP_FAMILY_IPV4;
	id.backend.addr[0] = 10;
	id.backend.addr[2] = (uint8_t)(i >> 8);
	id.backend.addr[3] = (uint8_t)i;
	id.backend.port = 8080;
	return id;
}

static void test_jitter_spreads_first_checks(void **state)
{
	struct health_settings s = defaults();
	unsigned buckets[10] = { 0 };

	(void)state;
	for (unsigned i = 0; i < 1000; i++) {
		struct health_target_id id = target(i);
		uint32_t d = health_first_check_delay_ms(&id, &s);

		assert_true(d < s.interval_ms / 2);
		assert_int_equal(d, health_first_check_delay_ms(&id, &s)); /* stable */
		buckets[d / 50]++;
	}
	for (unsigned b = 0; b < 10; b++)       /* 100 expected per 50 ms */
		if (buckets[b] < 50 || buckets[b] > 150)
			fail_msg("first checks bunch up: %u of 1000 in [%u, %u) ms", buckets[b],
				 b * 50, b * 50 + 50);
	s.jitter_pct = 0;
	struct health_target_id id = target(7);
	assert_int_equal(health_first_check_delay_ms(&id, &s), 0);
}

static void refused(struct health_settings *s, const char *needle)
{
	struct bgx_err err = { 0 };

	if (health_settings_validate(s, &err) == 0)
		fail_msg("accepted bad settings (expected an error about '%s')", needle);
	assert_int_equal(err.code, -EINVAL);
	assert_true(err.usage);
	if (!strstr(err.msg, needle))
		fail_msg("message '%s' does not mention '%s'", err.msg, needle);
	assert_null(strchr(err.msg, '\n'));
	health_settings_default(s);
}

static void test_settings_validation(void **state)
{
	struct health_settings s = defaults();

	(void)state;
	assert_int_equal(health_settings_validate(&s, NULL), 0);
	s.kind = HEALTH_HTTP;
	snprintf(s.path, sizeof(s.path), "/healthz?full=1");
	snprintf(s.host, sizeof(s.host), "web.example:8080");
	assert_int_equal(health_settings_validate(&s, NULL), 0);

	s.timeout_ms = 1000; refused(&s, "shorter than the interval");
	s.timeout_ms = 5; refused(&s, "timeout 5ms");
	s.interval_ms = 50; refused(&s, "interval 50ms");
	s.interval_ms = 3600001; s.timeout_ms = 500; refused(&s, "interval");
	s.rise = 0; refused(&s, "rise 0");
	s.fall = 101; refused(&s, "fall 101");
	s.fastinter_ms = 1500; refused(&s, "fastinter 1.5s");
	s.fastinter_ms = 50; refused(&s, "fastinter 50ms");
	s.downinter_ms = 99; refused(&s, "downinter");
	s.jitter_pct = 101; refused(&s, "jitter");
	s.kind = (enum health_kind)7; refused(&s, "kind");
	s.kind = HEALTH_HTTP; snprintf(s.path, sizeof(s.path), "healthz"); refused(&s, "start with '/'");
	s.kind = HEALTH_HTTP; snprintf(s.path, sizeof(s.path), "/a b"); refused(&s, "path");
	s.kind = HEALTH_HTTP; snprintf(s.path, sizeof(s.path), "/a\r\nX: y"); refused(&s, "path");
	s.kind = HEALTH_HTTP; snprintf(s.host, sizeof(s.host), "a\nb"); refused(&s, "Host");
	s.kind = HEALTH_HTTP; s.n_expect = 0; refused(&s, "expected status");
	s.kind = HEALTH_HTTP; s.expect[0].lo = 99; refused(&s, "99-399");
	s.kind = HEALTH_HTTP; s.expect[0].hi = 600; refused(&s, "200-600");
	s.kind = HEALTH_HTTP; s.expect[0] = (struct health_code_range){ 300, 200 }; refused(&s, "300-200");
	/* A TCP check does not care about HTTP fields. */
	s.path[0] = '\0';
	s.n_expect = 0;
	assert_int_equal(health_settings_validate(&s, NULL), 0);
}

static void test_expect_list(void **state)
{
	struct health_settings s = defaults();
	struct bgx_err err = { 0 };
	char text[64];
	static const char *const bad[] = {
		"", "2xx", "200-", "-200", "200,", "200,,300", "099", "600", "1000", "300-200",
		"200 ,300", "200-399-500", "+200", "200;300",
		"100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116",
	};

	(void)state;
	assert_int_equal(health_parse_expect("200,301-302,404", &s, NULL), 0);
	assert_int_equal(s.n_expect, 3);
	assert_true(health_code_expected(&s, 200) && health_code_expected(&s, 302) &&
		    health_code_expected(&s, 404));
	assert_false(health_code_expected(&s, 201) || health_code_expected(&s, 500) ||
		     health_code_expected(&s, 0));
	health_format_expect(&s, text, sizeof(text));
	assert_string_equal(text, "200,301-302,404");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bgx_err_clear(&err);
		if (health_parse_expect(bad[i], &s, &err) == 0)
			fail_msg("accepted --expect '%s'", bad[i]);
		assert_non_null(strstr(err.msg, "--expect"));
		assert_int_equal(s.n_expect, 3);        /* unchanged */
	}
	health_settings_default(&s);
	health_format_expect(&s, text, sizeof(text));
	assert_string_equal(text, "200-399");
}

/* Field by field (struct padding is not part of the settings). */
static void assert_same_settings(const struct health_settings *a, const struct health_settings *b)
{
	assert_int_equal(a->enabled, b->enabled);
	assert_int_equal(a->kind, b->kind);
	assert_string_equal(a->path, b->path);
	assert_string_equal(a->host, b->host);
	assert_int_equal(a->n_expect, b->n_expect);
	for (unsigned i = 0; i < a->n_expect; i++)
		assert_true(a->expect[i].lo == b->expect[i].lo && a->expect[i].hi == b->expect[i].hi);
	assert_true(a->interval_ms == b->interval_ms && a->timeout_ms == b->timeout_ms &&
		    a->fastinter_ms == b->fastinter_ms && a->downinter_ms == b->downinter_ms &&
		    a->rise == b->rise && a->fall == b->fall && a->port == b->port &&
		    a->jitter_pct == b->jitter_pct &&
		    a->expire_flows_on_down == b->expire_flows_on_down);
}

static void test_settings_json(void **state)
{
	struct health_settings s = defaults(), back;
	struct bgx_err err = { 0 };
	static const char *const bad[][2] = {
		{ "{\"interval\":1000}", "unknown key 'interval'" },
		{ "{\"rise\":\"2\"}", "'rise' must be an integer" },
		{ "{\"rise\":-1}", "'rise' must be an integer" },
		{ "{\"port\":65536}", "'port' must be an integer from 0 to 65535" },
		{ "{\"kind\":\"udp\"}", "'kind' must be" },
		{ "{\"enabled\":1}", "'enabled' must be true or false" },
		{ "{\"kind\":\"http\",\"expect\":\"2xx\"}", "--expect '2xx'" },
		{ "{\"timeout_ms\":1000}", "shorter than the interval" },
		{ "{\"kind\":\"http\",\"path\":\"x\"}", "must start with '/'" },
		{ "[1]", "not a JSON object" },
	};
	json_t *obj;
	char *text;

	(void)state;
	s.kind = HEALTH_HTTP;
	snprintf(s.path, sizeof(s.path), "/healthz");
	assert_int_equal(health_parse_expect("200,204-206", &s, NULL), 0);
	s.interval_ms = 2000;
	s.fastinter_ms = 400;
	s.port = 9000;
	s.expire_flows_on_down = true;
	obj = health_settings_to_json(&s);
	text = json_dumps(obj, JSON_COMPACT);
	assert_string_equal(text, "{\"enabled\":true,\"kind\":\"http\",\"interval_ms\":2000,"
			    "\"timeout_ms\":500,\"fastinter_ms\":400,\"downinter_ms\":0,\"rise\":2,"
			    "\"fall\":2,\"port\":9000,\"jitter_pct\":50,\"expire_flows_on_down\":true,"
			    "\"path\":\"/healthz\",\"host\":\"\",\"expect\":\"200,204-206\"}");
	free(text);
	assert_int_equal(health_settings_from_json(obj, &back, NULL), 0);
	assert_same_settings(&back, &s);
	json_decref(obj);
	/* Missing keys: defaults. */
	obj = json_loads("{\"kind\":\"http\",\"path\":\"/up\"}", 0, NULL);
	assert_int_equal(health_settings_from_json(obj, &back, NULL), 0);
	assert_int_equal(back.interval_ms, 1000);
	assert_string_equal(back.path, "/up");
	json_decref(obj);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		obj = json_loads(bad[i][0], 0, NULL);
		assert_non_null(obj);
		bgx_err_clear(&err);
		back = s;
		assert_int_equal(health_settings_from_json(obj, &back, &err), -EINVAL);
		if (!strstr(err.msg, bad[i][1]))
			fail_msg("%s: message '%s' lacks '%s'", bad[i][0], err.msg, bad[i][1]);
		assert_same_settings(&back, &s);        /* untouched */
		json_decref(obj);
	}
}

static void test_names(void **state)
{
	struct health_target_id id = target(3);
	char text[64];

	(void)state;
	health_format_target(&id, text, sizeof(text));
	assert_string_equal(text, "web green 10.0.0.3:8080");
	id.backend.family = BGXDP_FAMILY_IPV6;
	memset(id.backend.addr, 0, 16);
	id.backend.addr[15] = 1;
	health_format_target(&id, text, sizeof(text));
	assert_string_equal(text, "web green [::1]:8080");
	assert_string_equal(health_state_name(HEALTH_UNCHECKED), "unchecked");
	assert_string_equal(health_result_name(HEALTH_RESULT_BAD_STATUS), "bad_status");
	struct health_target_id other = target(3);
	assert_false(health_target_id_equal(&id, &other));
	id = other;
	assert_true(health_target_id_equal(&id, &other));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fall_takes_consecutive_failures),
		cmocka_unit_test(test_rise_takes_consecutive_passes),
		cmocka_unit_test(test_unchecked_first_pass_is_up),
		cmocka_unit_test(test_off_ignores_results_and_turns_on_up),
		cmocka_unit_test(test_cadence_follows_state),
		cmocka_unit_test(test_suspicion),
		cmocka_unit_test(test_detection_and_recovery_bounds),
		cmocka_unit_test(test_jitter_spreads_first_checks),
		cmocka_unit_test(test_settings_validation),
		cmocka_unit_test(test_expect_list),
		cmocka_unit_test(test_settings_json),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
