// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* analysis.c: windows from counter snapshots, each check's verdict, value,
 * limit and reason, and the rule that too little data is inconclusive. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "analysis.h"
#include "bgxdp.h"

/* The data plane's buckets: 100 us .. 3 s. */
static const struct connect_buckets buckets = {
	.count = 8,
	.upper_s = { 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.1, 1.0, 3.0 },
};

static struct analysis_config config(void)
{
	struct analysis_config c;

	analysis_config_defaults(&c);
	return c;
}

/* A window where the rising color had `flows` new flows, of which
 * `unanswered` SYNs got no SYN-ACK and `resets` were reset; the stable
 * color `sflows` flows and `sfailures` resets.  Every answered SYN took
 * between 1 and 5 ms (bucket 3). */
static struct analysis_window window(uint64_t flows, uint64_t unanswered, uint64_t resets,
				     uint64_t sflows, uint64_t sfailures)
{
	struct analysis_window w;

	memset(&w, 0, sizeof(w));
	w.rising_color = BGXDP_GREEN;
	w.rising.new_flows = flows;
	w.rising.syns_sent = flows;
	w.rising.synacks_seen = flows - unanswered;
	w.rising.backend_resets = resets;
	w.rising.connect[3] = flows - unanswered;
	w.rising.backends_in_rotation = 2;
	w.rising.backends_healthy = 2;
	w.stable.new_flows = sflows;
	w.stable.syns_sent = sflows;
	w.stable.synacks_seen = sflows;
	w.stable.backend_resets = sfailures;
	w.stable.backends_in_rotation = 2;
	w.stable.backends_healthy = 2;
	return w;
}

static struct analysis_result run(const struct analysis_config *c, const struct analysis_window *w)
{
	struct analysis_input in = { .config = c, .buckets = &buckets, .window = w };
	struct analysis_result out;
	struct bgx_err err = { 0 };

	assert_int_equal(analysis_run(&in, &out, &err), 0);
	return out;
}

static const struct check_result *find(const struct analysis_result *r, const char *name)
{
	for (unsigned i = 0; i < r->n_checks; i++)
		if (!strcmp(r->checks[i].name, name))
			return &r->checks[i];
	fail_msg("no check %s", name);
	return NULL;
}

static void test_delta_and_reset(void **state)
{
	struct color_counts before[2] = { 0 }, after[2] = { 0 };
	struct analysis_window w;

	(void)state;
	before[BGXDP_GREEN].new_flows = 100;
	before[BGXDP_GREEN].connect[2] = 7;
	after[BGXDP_GREEN].new_flows = 350;
	after[BGXDP_GREEN].connect[2] = 10;
	after[BGXDP_GREEN].backends_healthy = 3;
	before[BGXDP_BLUE].backend_resets = 4;
	after[BGXDP_BLUE].backend_resets = 9;
	analysis_window_delta(BGXDP_GREEN, before, after, buckets.count, &w);
	assert_false(w.counter_reset);
	assert_int_equal(w.rising.new_flows, 250);
	assert_int_equal(w.rising.connect[2], 3);
	assert_int_equal(w.rising.backends_healthy, 3);      /* gauge: the end's value */
	assert_int_equal(w.stable.backend_resets, 5);

	/* The data plane was re-created: one counter went down, so every
	 * delta is the value counted since. */
	after[BGXDP_GREEN].new_flows = 40;
	after[BGXDP_GREEN].connect[2] = 12;
	analysis_window_delta(BGXDP_GREEN, before, after, buckets.count, &w);
	assert_true(w.counter_reset);
	assert_int_equal(w.rising.new_flows, 40);
	assert_int_equal(w.rising.connect[2], 12);
	assert_int_equal(w.stable.backend_resets, 5);
}

static void test_cumulative_histogram(void **state)
{
	uint64_t cum[4] = { 2, 5, 5, 9 }, per[4];
	uint64_t bad[4] = { 2, 5, 4, 9 };
	struct bgx_err err = { 0 };

	(void)state;
	assert_int_equal(analysis_connect_from_cumulative(cum, 3, per, &err), 0);
	assert_int_equal(per[0], 2);
	assert_int_equal(per[1], 3);
	assert_int_equal(per[2], 0);
	assert_int_equal(per[3], 4);
	assert_int_equal(analysis_connect_from_cumulative(bad, 3, per, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not cumulative"));
}

static void test_quantile_interpolates(void **state)
{
	uint64_t c[ANALYSIS_MAX_BUCKETS + 1] = { 0 };
	double s = 0;

	(void)state;
	assert_int_equal(analysis_quantile(&buckets, c, 0.99, &s), -ENODATA);
	/* 100 handshakes in (1 ms, 5 ms]: rank 99 is 99 % into the bucket. */
	c[3] = 100;
	assert_int_equal(analysis_quantile(&buckets, c, 0.99, &s), 0);
	assert_float_equal(s, 0.001 + 0.004 * 0.99, 1e-12);
	/* 90 fast ones in the first bucket (lower bound 0), 10 in (10, 100 ms]. */
	memset(c, 0, sizeof(c));
	c[0] = 90;
	c[5] = 10;
	assert_int_equal(analysis_quantile(&buckets, c, 0.5, &s), 0);
	assert_float_equal(s, 0.0001 * 50.0 / 90.0, 1e-12);
	assert_int_equal(analysis_quantile(&buckets, c, 0.99, &s), 0);
	assert_float_equal(s, 0.01 + 0.09 * 0.9, 1e-12);
	/* Past the last bound: reported as the last bound, flagged. */
	c[buckets.count] = 50;
	assert_int_equal(analysis_quantile(&buckets, c, 0.99, &s), 1);
	assert_float_equal(s, 3.0, 0);
}

static void test_failure_ratio_fails_with_figures(void **state)
{
	struct analysis_config c = config();
	struct analysis_window w = window(200, 50, 12, 200, 0);
	struct analysis_result r = run(&c, &w);
	const struct check_result *f = find(&r, "failure_ratio");

	(void)state;
	assert_int_equal(r.verdict, VERDICT_FAIL);
	assert_int_equal(f->verdict, VERDICT_FAIL);
	assert_true(f->has_value);
	assert_float_equal(f->value, 0.31, 1e-12);
	assert_float_equal(f->limit, 0.05, 0);
	assert_string_equal(f->reason,
			    "green failure ratio 0.31 (62/200: 50 unanswered SYNs + 12 resets) > max 0.05");
	assert_string_equal(r.summary, f->reason);
	assert_int_equal(r.rising_flows, 200);
	assert_int_equal(r.rising_failures, 62);
}

static void test_clean_window_passes(void **state)
{
	struct analysis_config c = config();
	struct analysis_window w = window(200, 1, 1, 200, 0);
	struct analysis_result r = run(&c, &w);

	(void)state;
	assert_int_equal(r.verdict, VERDICT_PASS);
	assert_int_equal(r.n_checks, 2);    /* defaults: failure ratio and health */
	assert_string_equal(find(&r, "failure_ratio")->reason,
			    "green failure ratio 0.01 (2/200) <= max 0.05");
	assert_string_equal(r.summary, "2 of 2 checks passed");
}

static void test_too_little_data_is_inconclusive(void **state)
{
	struct analysis_config c = config();
	/* Every one of the 40 flows failed: still not a failure, only too few. */
	struct analysis_window w = window(40, 40, 0, 40, 0);
	struct analysis_result r;

	(void)state;
	c.connect_p99_on = true;
	c.vs_stable_on = true;
	r = run(&c, &w);
	assert_int_equal(r.verdict, VERDICT_INCONCLUSIVE);
	assert_int_equal(find(&r, "failure_ratio")->verdict, VERDICT_INCONCLUSIVE);
	assert_int_equal(find(&r, "connect_p99_seconds")->verdict, VERDICT_INCONCLUSIVE);
	assert_int_equal(find(&r, "failure_ratio_vs_stable")->verdict, VERDICT_INCONCLUSIVE);
	assert_int_equal(find(&r, "healthy_backends")->verdict, VERDICT_PASS);
	assert_string_equal(r.summary, "inconclusive: 40 green new flows < min 100");
	/* No flow at all: no value either. */
	w = window(0, 0, 0, 0, 0);
	r = run(&c, &w);
	assert_false(find(&r, "failure_ratio")->has_value);
	assert_int_equal(r.verdict, VERDICT_INCONCLUSIVE);
}

static void test_health(void **state)
{
	struct analysis_config c = config();
	struct analysis_window w = window(5, 0, 0, 0, 0);   /* few flows: health still judged */
	struct analysis_result r;
	const struct check_result *h;

	(void)state;
	w.rising.backends_healthy = 1;
	r = run(&c, &w);
	h = find(&r, "healthy_backends");
	assert_int_equal(h->verdict, VERDICT_PASS);       /* default: at least 1 */
	c.min_healthy = 0;                                /* all of them */
	r = run(&c, &w);
	h = find(&r, "healthy_backends");
	assert_int_equal(h->verdict, VERDICT_FAIL);
	assert_int_equal(r.verdict, VERDICT_FAIL);
	assert_float_equal(h->value, 1, 0);
	assert_float_equal(h->limit, 2, 0);
	assert_string_equal(h->reason, "green healthy backends 1 of 2 < min 2 (all)");
	w.rising.backends_in_rotation = 0;
	w.rising.backends_healthy = 0;
	c.min_healthy = 1;
	r = run(&c, &w);
	assert_string_equal(find(&r, "healthy_backends")->reason, "green has no backend in rotation");
}

static void test_connect_p99(void **state)
{
	struct analysis_config c = config();
	struct analysis_window w = window(200, 0, 0, 200, 0);
	struct analysis_result r;
	const struct check_result *p;

	(void)state;
	c.connect_p99_on = true;
	c.max_connect_p99_s = 0.002;
	r = run(&c, &w);
	p = find(&r, "connect_p99_seconds");
	assert_int_equal(p->verdict, VERDICT_FAIL);
	assert_float_equal(p->value, 0.001 + 0.004 * 0.99, 1e-12);
	assert_string_equal(p->reason, "green connect p99 4.96 ms (200 handshakes) > max 2 ms");
	c.max_connect_p99_s = 0.005;
	r = run(&c, &w);
	assert_int_equal(find(&r, "connect_p99_seconds")->verdict, VERDICT_PASS);
	/* Above the last bucket: a fail below 3 s, unknowable above. */
	w.rising.connect[3] = 0;
	w.rising.connect[buckets.count] = 200;
	r = run(&c, &w);
	p = find(&r, "connect_p99_seconds");
	assert_int_equal(p->verdict, VERDICT_FAIL);
	assert_string_equal(p->reason, "green connect p99 > 3 s (above the last bucket) > max 5 ms");
	c.max_connect_p99_s = 5;
	r = run(&c, &w);
	assert_int_equal(find(&r, "connect_p99_seconds")->verdict, VERDICT_INCONCLUSIVE);
}

static void test_green_as_bad_as_blue_is_not_blamed(void **state)
{
	struct analysis_config c = config();
	struct analysis_window w = window(200, 60, 0, 200, 58);
	struct analysis_result r;
	const struct check_result *f, *v;

	(void)state;
	c.vs_stable_on = true;
	r = run(&c, &w);
	f = find(&r, "failure_ratio");
	v = find(&r, "failure_ratio_vs_stable");
	assert_int_equal(v->verdict, VERDICT_PASS);
	assert_float_equal(v->value, 60.0 / 58.0, 1e-9);
	assert_int_equal(f->verdict, VERDICT_INCONCLUSIVE);
	assert_non_null(strstr(f->reason, "but blue is as bad (0.29, 58/200): not blamed"));
	assert_int_equal(r.verdict, VERDICT_INCONCLUSIVE);
	/* Without the comparison the same window fails. */
	c.vs_stable_on = false;
	assert_int_equal(run(&c, &w).verdict, VERDICT_FAIL);
}

static void test_vs_stable_floor_and_failure(void **state)
{
	struct analysis_config c = config();
	struct analysis_window w = window(1000, 30, 0, 1000, 0);
	struct analysis_result r;
	const struct check_result *v;

	(void)state;
	c.vs_stable_on = true;
	/* 0.03 against a clean blue: compared with the floor 0.01 -> 3x > 2x. */
	r = run(&c, &w);
	v = find(&r, "failure_ratio_vs_stable");
	assert_int_equal(v->verdict, VERDICT_FAIL);
	assert_float_equal(v->value, 3.0, 1e-9);
	assert_string_equal(v->reason,
			    "green failure ratio 0.03 (30/1000) > 2x stable blue 0 (0/1000, floor 0.01)");
	/* 0 against 0 is no failure. */
	w = window(1000, 0, 0, 1000, 0);
	r = run(&c, &w);
	v = find(&r, "failure_ratio_vs_stable");
	assert_int_equal(v->verdict, VERDICT_PASS);
	assert_float_equal(v->value, 0, 0);
}

static void test_vs_stable_baseline(void **state)
{
	struct analysis_config c = config();
	struct analysis_window w = window(300, 0, 0, 150, 15);
	struct stable_baseline none = { 0 };
	struct analysis_input in = { .config = &c, .buckets = &buckets, .window = &w,
				     .baseline = &none };
	struct analysis_result r;
	const struct check_result *v;

	(void)state;
	c.vs_stable_on = true;
	assert_int_equal(analysis_run(&in, &r, NULL), 0);
	assert_true(r.baseline.valid);          /* blue had enough flows: remembered */
	assert_int_equal(r.baseline.flows, 150);
	assert_int_equal(r.baseline.failures, 15);
	/* At 100 % blue gets nothing: the earlier window stands in. */
	w = window(300, 40, 0, 0, 0);
	in.baseline = &r.baseline;
	assert_int_equal(analysis_run(&in, &r, NULL), 0);
	v = find(&r, "failure_ratio_vs_stable");
	assert_int_equal(v->verdict, VERDICT_PASS);    /* 0.133 <= 2 x 0.1 */
	assert_non_null(strstr(v->reason, "in an earlier window"));
	/* Nothing to compare with at all: inconclusive. */
	in.baseline = NULL;
	assert_int_equal(analysis_run(&in, &r, NULL), 0);
	v = find(&r, "failure_ratio_vs_stable");
	assert_int_equal(v->verdict, VERDICT_INCONCLUSIVE);
	assert_non_null(strstr(v->reason, "nothing to compare with"));
}

static void test_promql_checks_and_errors(void **state)
{
	struct analysis_config c = config();
	struct analysis_window w = window(200, 0, 0, 200, 0);
	struct promql_measurement m[2] = { { .ok = true, .value = 0.12 },
					   { .ok = true, .value = 0.98 } };
	struct analysis_input in = { .config = &c, .buckets = &buckets, .window = &w, .promql = m };
	struct analysis_result r;
	const struct check_result *q;

	(void)state;
	c.n_promql = 2;
	strcpy(c.promql[0].name, "error_rate");
	c.promql[0].bound = CHECK_MAX;
	c.promql[0].limit = 0.05;
	strcpy(c.promql[1].name, "success");
	c.promql[1].bound = CHECK_MIN;
	c.promql[1].limit = 0.95;
	assert_int_equal(analysis_run(&in, &r, NULL), 0);
	q = find(&r, "promql:error_rate");
	assert_int_equal(q->verdict, VERDICT_FAIL);
	assert_string_equal(q->reason, "promql error_rate 0.12 > max 0.05");
	assert_int_equal(find(&r, "promql:success")->verdict, VERDICT_PASS);
	assert_int_equal(r.verdict, VERDICT_FAIL);      /* L4 is clean, PromQL is not */

	/* Errors: tolerated up to max_query_errors in a row, then a failure. */
	m[0] = (struct promql_measurement){ .ok = false, .error = "no series" };
	c.max_query_errors = 2;
	in.query_errors[0] = 1;
	assert_int_equal(analysis_run(&in, &r, NULL), 0);
	q = find(&r, "promql:error_rate");
	assert_int_equal(q->verdict, VERDICT_INCONCLUSIVE);
	assert_false(q->has_value);
	assert_int_equal(r.query_errors[0], 2);
	assert_string_equal(q->reason, "promql error_rate: query error 2 of 2 tolerated: no series");
	in.query_errors[0] = 2;
	assert_int_equal(analysis_run(&in, &r, NULL), 0);
	q = find(&r, "promql:error_rate");
	assert_int_equal(q->verdict, VERDICT_FAIL);
	assert_string_equal(q->reason, "promql error_rate: 3 query errors in a row > max 2: no series");
	/* An answer resets the count. */
	m[0] = (struct promql_measurement){ .ok = true, .value = 0.01 };
	assert_int_equal(analysis_run(&in, &r, NULL), 0);
	assert_int_equal(r.query_errors[0], 0);
	assert_int_equal(r.verdict, VERDICT_PASS);
}

static void test_blue_rising_and_bad_input(void **state)
{
	struct analysis_config c = config();
	struct analysis_window w = window(200, 20, 0, 200, 0);
	struct connect_buckets bad = { .count = 2, .upper_s = { 0.1, 0.05 } };
	struct analysis_input in = { .config = &c, .buckets = &bad, .window = &w };
	struct analysis_result r;
	struct bgx_err err = { 0 };

	(void)state;
	w.rising_color = BGXDP_BLUE;
	r = run(&c, &w);
	assert_non_null(strstr(find(&r, "failure_ratio")->reason, "blue failure ratio 0.1 "));
	assert_int_equal(analysis_run(&in, &r, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "bound 1"));
	c.n_promql = 1;
	in.buckets = &buckets;
	bgx_err_clear(&err);
	assert_int_equal(analysis_run(&in, &r, &err), -EINVAL);   /* no measurements */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delta_and_reset),
		cmocka_unit_test(test_cumulative_histogram),
		cmocka_unit_test(test_quantile_interpolates),
		cmocka_unit_test(test_failure_ratio_fails_with_figures),
		cmocka_unit_test(test_clean_window_passes),
		cmocka_unit_test(test_too_little_data_is_inconclusive),
		cmocka_unit_test(test_health),
		cmocka_unit_test(test_connect_p99),
		cmocka_unit_test(test_green_as_bad_as_blue_is_not_blamed),
		cmocka_unit_test(test_vs_stable_floor_and_failure),
		cmocka_unit_test(test_vs_stable_baseline),
		cmocka_unit_test(test_promql_checks_and_errors),
		cmocka_unit_test(test_blue_rising_and_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
