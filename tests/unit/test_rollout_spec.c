// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rollout_spec.c: every value a rollout's options accept and refuse, and
 * the rules a whole spec must meet. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "rollout.h"

static struct rollout_spec good_spec(void)
{
	struct rollout_spec s;

	rollout_spec_defaults(&s);
	strcpy(s.service, "web");
	assert_int_equal(rollout_parse_steps("10,50,100", &s, NULL), 0);
	s.interval_ms = 2000;
	return s;
}

static void expect_invalid(const struct rollout_spec *s, uint64_t check_ms, const char *why)
{
	struct bgx_err err = { 0 };

	assert_true(rollout_spec_validate(s, check_ms, &err) < 0);
	if (!strstr(err.msg, why))
		fail_msg("\"%s\" lacks \"%s\"", err.msg, why);
	assert_true(err.usage);
}

static void test_steps(void **state)
{
	static const char *const bad[] = {
		"", "10,,50", "10,", ",10", "abc", "10.", ".5", "10.123", "101", "100.01",
		"-5", "+5", " 5", "5 ", "1e2", "0x10", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17",
	};
	struct rollout_spec s = good_spec(), before;
	struct bgx_err err = { 0 };

	(void)state;
	assert_int_equal(rollout_parse_steps("0.5,12.25,33.3,100", &s, &err), 0);
	assert_int_equal(s.n_steps, 4);
	assert_int_equal(s.steps_bp[0], 50);
	assert_int_equal(s.steps_bp[1], 1225);
	assert_int_equal(s.steps_bp[2], 3330);
	assert_int_equal(s.steps_bp[3], 10000);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		before = s;
		bgx_err_clear(&err);
		if (rollout_parse_steps(bad[i], &s, &err) == 0)
			fail_msg("--steps \"%s\" accepted", bad[i]);
		assert_true(err.usage);
		assert_true(strstr(err.msg, "--steps") != NULL);
		assert_memory_equal(&s, &before, sizeof(s));    /* nothing half-parsed */
	}
	bgx_err_clear(&err);
	rollout_parse_steps("10,abc", &s, &err);
	assert_string_equal(err.msg, "--steps: \"abc\" is not a percentage 0-100 with up to 2 decimals");
}

static void test_step_rules(void **state)
{
	struct rollout_spec s = good_spec();

	(void)state;
	assert_int_equal(rollout_spec_validate(&s, 1000, NULL), 0);
	assert_int_equal(rollout_parse_steps("50,10,100", &s, NULL), 0);
	expect_invalid(&s, 0, "--steps must rise strictly: 10.00 % after 50.00 %");
	assert_int_equal(rollout_parse_steps("10,10,100", &s, NULL), 0);
	expect_invalid(&s, 0, "--steps must rise strictly: 10.00 % after 10.00 %");
	assert_int_equal(rollout_parse_steps("0,50,100", &s, NULL), 0);
	expect_invalid(&s, 0, "--steps: step 0.00 % is outside (0, 100]");
	assert_int_equal(rollout_parse_steps("10,50", &s, NULL), 0);
	expect_invalid(&s, 0, "--steps: the last step must be 100");
	s = good_spec();
	s.verify = true;
	expect_invalid(&s, 0, "--verify is one step at 100 %, not 3 steps");
	rollout_spec_verify(&s, 30000);
	assert_int_equal(rollout_spec_validate(&s, 1000, NULL), 0);
	assert_int_equal(s.steps_bp[0], 10000);
}

static void test_pause_at(void **state)
{
	struct rollout_spec s = good_spec(), before;
	struct bgx_err err = { 0 };

	(void)state;
	assert_int_equal(rollout_parse_pause_at("50", &s, &err), 0);
	assert_false(s.gate[0]);
	assert_true(s.gate[1]);
	assert_int_equal(rollout_parse_pause_at("10,100", &s, &err), 0);
	assert_true(s.gate[0]);
	assert_false(s.gate[1]);            /* replaced, not added */
	assert_true(s.gate[2]);
	before = s;
	assert_true(rollout_parse_pause_at("10,40", &s, &err) < 0);
	assert_string_equal(err.msg, "--pause-at 40.00: not one of the steps");
	assert_memory_equal(&s, &before, sizeof(s));
	bgx_err_clear(&err);
	assert_true(rollout_parse_pause_at("fifty", &s, &err) < 0);
	assert_non_null(strstr(err.msg, "not a percentage"));
}

static void test_durations(void **state)
{
	static const struct { const char *s; uint64_t ms; } good[] = {
		{ "250ms", 250 }, { "2s", 2000 }, { "1m", 60000 }, { "1h", 3600000 },
		{ "168h", 604800000 }, { "1ms", 1 },
	};
	static const char *const bad[] = {
		"", "2", "s", "0s", "-1s", "1.5s", "2 s", "2S", "1d", "169h", "99999999999s", "2sec",
		"ms", " 2s",
	};
	struct bgx_err err = { 0 };
	uint64_t ms;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(rollout_parse_duration(good[i].s, "--interval", &ms, &err), 0);
		assert_int_equal(ms, good[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bgx_err_clear(&err);
		if (rollout_parse_duration(bad[i], "--interval", &ms, &err) == 0)
			fail_msg("duration \"%s\" accepted", bad[i]);
		assert_non_null(strstr(err.msg, "--interval"));
	}
}

static void test_numbers_and_choices(void **state)
{
	static const char *const bad_multiples[] = { "0.5x", "x", "", "2xx", "inf", "nan", "1001x", "-2x" };
	static const char *const bad_numbers[] = { "abc", "", " 1", "1e400", "nan", "inf", "1,5" };
	struct bgx_err err = { 0 };
	enum rollout_on_failure f;
	double v;

	(void)state;
	assert_int_equal(rollout_parse_multiple("2x", "--max-error-ratio-vs-stable", &v, &err), 0);
	assert_float_equal(v, 2, 0);
	assert_int_equal(rollout_parse_multiple("1.5X", "k", &v, &err), 0);
	assert_float_equal(v, 1.5, 0);
	assert_int_equal(rollout_parse_multiple("3", "k", &v, &err), 0);
	for (size_t i = 0; i < sizeof(bad_multiples) / sizeof(bad_multiples[0]); i++)
		if (rollout_parse_multiple(bad_multiples[i], "k", &v, NULL) == 0)
			fail_msg("multiple \"%s\" accepted", bad_multiples[i]);
	assert_int_equal(rollout_parse_number("0.05", "--max", &v, &err), 0);
	assert_float_equal(v, 0.05, 0);
	assert_int_equal(rollout_parse_number("-3", "--min", &v, &err), 0);
	for (size_t i = 0; i < sizeof(bad_numbers) / sizeof(bad_numbers[0]); i++)
		if (rollout_parse_number(bad_numbers[i], "--max", &v, NULL) == 0)
			fail_msg("number \"%s\" accepted", bad_numbers[i]);
	assert_int_equal(rollout_parse_on_failure("pause", &f, &err), 0);
	assert_int_equal(f, ROLLOUT_ON_FAILURE_PAUSE);
	assert_int_equal(rollout_parse_on_failure("abort", &f, &err), 0);
	assert_int_equal(f, ROLLOUT_ON_FAILURE_ABORT);
	assert_true(rollout_parse_on_failure("rollback", &f, &err) < 0);
	assert_string_equal(err.msg, "--on-failure \"rollback\": abort or pause is accepted");
}

static void test_queries(void **state)
{
	struct rollout_spec s = good_spec();
	struct bgx_err err = { 0 };

	(void)state;
	assert_int_equal(rollout_add_query(&s, NULL, "sum(rate(x[1m]))", CHECK_MAX, 1, &err), 0);
	assert_int_equal(rollout_add_query(&s, "p99", "histogram_quantile(0.99, y)", CHECK_MIN, 2, &err), 0);
	assert_int_equal(rollout_add_query(&s, NULL, "z", CHECK_MAX, 3, &err), 0);
	assert_string_equal(s.analysis.promql[0].name, "query1");
	assert_string_equal(s.analysis.promql[1].name, "p99");
	assert_string_equal(s.analysis.promql[2].name, "query3");
	assert_true(rollout_add_query(&s, "p99", "w", CHECK_MAX, 1, &err) < 0);
	assert_string_equal(err.msg, "query name \"p99\" is used twice");
	assert_true(rollout_add_query(&s, "a b", "w", CHECK_MAX, 1, NULL) < 0);
	assert_true(rollout_add_query(&s, "ok", "", CHECK_MAX, 1, NULL) < 0);
	assert_true(rollout_add_query(&s, "ok", "up\x1b[2J", CHECK_MAX, 1, NULL) < 0);
	for (int i = 3; i < ANALYSIS_MAX_QUERIES; i++)
		assert_int_equal(rollout_add_query(&s, NULL, "up", CHECK_MAX, 1, NULL), 0);
	bgx_err_clear(&err);
	assert_true(rollout_add_query(&s, NULL, "up", CHECK_MAX, 1, &err) < 0);
	assert_string_equal(err.msg, "more than 8 --query checks");

	expect_invalid(&s, 0, "--query needs --prometheus URL");
	strcpy(s.prometheus_url, "ftp://prom:9090");
	expect_invalid(&s, 0, "only http:// or https:// URLs are accepted");
	strcpy(s.prometheus_url, "https://prom.example/prefix/");
	assert_int_equal(rollout_spec_validate(&s, 0, NULL), 0);
	s.analysis.n_promql = 0;
	expect_invalid(&s, 0, "--prometheus without --query");
}

static void test_other_rules(void **state)
{
	struct rollout_spec s = good_spec();

	(void)state;
	expect_invalid(&s, 5000, "--interval 2000 ms is below the health-check interval 5000 ms");
	s.interval_ms = 50;
	expect_invalid(&s, 0, "--interval 50 ms: accepted 100 ms to 7 days");
	s = good_spec();
	s.analysis.min_samples = 0;
	expect_invalid(&s, 0, "--min-samples 0");
	s = good_spec();
	s.analysis.vs_stable_on = true;
	s.analysis.max_ratio_vs_stable = 0.5;
	expect_invalid(&s, 0, "--max-error-ratio-vs-stable 0.5x");
	s = good_spec();
	s.analysis.max_failure_ratio = 1.5;
	expect_invalid(&s, 0, "--max-failure-ratio 1.5");
	s = good_spec();
	strcpy(s.service, "we/b");
	expect_invalid(&s, 0, "service name \"we/b\"");
	s = good_spec();
	s.rising_color = 7;
	expect_invalid(&s, 0, "blue or green");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_step_rules),
		cmocka_unit_test(test_pause_at),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_numbers_and_choices),
		cmocka_unit_test(test_queries),
		cmocka_unit_test(test_other_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
