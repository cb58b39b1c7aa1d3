// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rollout_store.c, rollout_report.c: the state file survives a round trip
 * and refuses half-written or foreign files; journal lines and metrics. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <jansson.h>
#include "rollout.h"

#define T0  1700000000000ull
#define SEC 1000ull

static const struct connect_buckets buckets = {
	.count = 3, .upper_s = { 0.001, 0.01, 0.1 },
};

static char dir[64];

static int make_dir(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/bgxdp-rollout-test.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	(void)state;
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
	return rmdir(dir);
}

static char *path_of(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* A rollout with something in every part of the state: PromQL, a window
 * base, an analysis, decisions with checks, a gate. */
static struct rollout_state *busy_state(void)
{
	struct rollout_state *st = calloc(1, sizeof(*st));
	struct rollout_spec s;
	struct rollout_output out;
	struct rollout_start_ctx ctx = { .now_ms = T0, .green_share_bp = 0, .rising_healthy = 2,
					 .check_interval_ms = SEC, .actor = "uid 0: bgxdp rollout start" };
	struct analysis_window w = { .rising_color = BGXDP_GREEN };
	struct promql_measurement m = { .ok = true, .value = 0.0125 };
	struct analysis_input in = { .config = &s.analysis, .buckets = &buckets, .window = &w,
				     .promql = &m };
	struct analysis_result r;
	struct color_counts base[2] = { { .new_flows = 7, .connect = { 1, 2, 3, 4 } },
					{ .new_flows = 9, .backend_resets = 2 } };

	assert_non_null(st);
	rollout_spec_defaults(&s);
	strcpy(s.service, "web");
	assert_int_equal(rollout_parse_steps("5,25.5,100", &s, NULL), 0);
	assert_int_equal(rollout_parse_pause_at("25.5", &s, NULL), 0);
	s.interval_ms = 2 * SEC;
	s.analysis.vs_stable_on = true;
	s.analysis.connect_p99_on = true;
	s.analysis.max_connect_p99_s = 0.25;
	strcpy(s.prometheus_url, "http://127.0.0.1:9090/prom");
	assert_int_equal(rollout_add_query(&s, NULL, "sum(rate(http_requests_total{code=~\"5..\"}[1m]))\n/ 2",
					   CHECK_MAX, 0.05, NULL), 0);
	assert_int_equal(rollout_start(st, &s, &ctx, &out, NULL), 0);
	rollout_publish_done(st, T0 + 5);
	rollout_set_window_base(st, T0 + 6, base);
	w.rising = (struct color_counts){ .new_flows = 300, .syns_sent = 300, .synacks_seen = 299,
					  .connect = { 250, 49 }, .backends_in_rotation = 2,
					  .backends_healthy = 2 };
	w.stable = (struct color_counts){ .new_flows = 3000, .syns_sent = 3000,
					  .synacks_seen = 2990 };
	assert_int_equal(analysis_run(&in, &r, NULL), 0);
	assert_int_equal(r.verdict, VERDICT_PASS);
	assert_int_equal(rollout_on_analysis(st, T0 + 3 * SEC, &r, &out, NULL), 0);
	assert_int_equal(out.decision.event, ROLLOUT_EV_ADVANCE);
	rollout_publish_done(st, T0 + 3 * SEC);
	assert_int_equal(rollout_on_command(st, T0 + 4 * SEC, ROLLOUT_CMD_PAUSE, "ops", &out, NULL), 0);
	return st;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 20);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void spit(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void test_round_trip(void **state)
{
	struct rollout_state *st = busy_state(), *back = calloc(1, sizeof(*back));
	struct bgx_err err = { 0 };
	char *first, *second;
	struct stat sb;

	(void)state;
	assert_int_equal(rollout_state_save(st, path_of("a.json"), &err), 0);
	assert_int_equal(stat(path_of("a.json"), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(rollout_state_load(back, path_of("a.json"), &err), 0);

	assert_string_equal(back->spec.service, "web");
	assert_int_equal(back->spec.n_steps, 3);
	assert_int_equal(back->spec.steps_bp[1], 2550);
	assert_true(back->spec.gate[1]);
	assert_false(back->spec.gate[0]);
	assert_string_equal(back->spec.analysis.promql[0].name, "query1");
	assert_string_equal(back->spec.analysis.promql[0].query, st->spec.analysis.promql[0].query);
	assert_float_equal(back->spec.analysis.max_connect_p99_s, 0.25, 0);
	assert_int_equal(back->phase, ROLLOUT_PAUSED);
	assert_int_equal(back->step, 1);
	assert_int_equal(back->step_started_ms, T0 + 3 * SEC);
	assert_int_equal(back->green_share_bp, 2550);
	assert_int_equal(back->green_previous_bp, 500);
	assert_true(back->baseline.valid);
	assert_int_equal(back->baseline.flows, 3000);
	assert_false(back->has_window_base);         /* the advance started a new window */
	assert_true(back->has_last_analysis);
	assert_int_equal(back->last_analysis.n_checks, st->last_analysis.n_checks);
	assert_float_equal(back->last_analysis.checks[1].value, st->last_analysis.checks[1].value, 0);
	assert_int_equal(back->log_len, 3);
	assert_int_equal(back->log[1].n_checks, 5);
	assert_string_equal(back->log[1].checks[4].name, "promql:query1");
	assert_string_equal(back->log[1].reason, st->log[1].reason);
	assert_string_equal(back->log[0].actor, "uid 0: bgxdp rollout start");
	assert_string_equal(back->reason, "paused by ops at step 2 of 3 (25.50 %)");

	/* Saving what was loaded writes the same file: nothing was lost. */
	assert_int_equal(rollout_state_save(back, path_of("b.json"), &err), 0);
	first = slurp(path_of("a.json"));
	second = slurp(path_of("b.json"));
	assert_string_equal(first, second);
	free(first);
	free(second);
	free(st);
	free(back);
}

static void test_window_base_survives(void **state)
{
	struct rollout_state *st = busy_state(), *back = calloc(1, sizeof(*back));
	struct color_counts base[2] = { { .new_flows = 11, .connect = { [32] = 5 } },
					{ .synacks_seen = 12 } };

	(void)state;
	rollout_set_window_base(st, T0 + 9 * SEC, base);
	assert_int_equal(rollout_state_save(st, path_of("w.json"), NULL), 0);
	assert_int_equal(rollout_state_load(back, path_of("w.json"), NULL), 0);
	assert_true(back->has_window_base);
	assert_int_equal(back->window_base_ms, T0 + 9 * SEC);
	assert_memory_equal(back->window_base, base, sizeof(base));
	free(st);
	free(back);
}

/* kill -9 mid-step and restart: the loaded state judges the same window,
 * from the same snapshot, with the same deadline. */
static void test_restart_continues_the_step(void **state)
{
	struct rollout_state *st = busy_state(), *back = calloc(1, sizeof(*back));
	struct color_counts base[2] = { 0 }, now[2] = { 0 };
	struct analysis_result before, after;
	struct promql_measurement m = { .ok = true, .value = 0.01 };
	struct rollout_output out;

	(void)state;
	assert_int_equal(rollout_on_command(st, T0 + 5 * SEC, ROLLOUT_CMD_RESUME, "ops", &out, NULL), 0);
	base[BGXDP_GREEN] = (struct color_counts){ .new_flows = 50, .syns_sent = 50, .synacks_seen = 50 };
	rollout_set_window_base(st, T0 + 5 * SEC, base);
	now[BGXDP_GREEN] = (struct color_counts){ .new_flows = 650, .syns_sent = 650, .synacks_seen = 640,
						  .connect = { 500, 90 }, .backends_in_rotation = 2,
						  .backends_healthy = 2 };
	now[BGXDP_BLUE] = (struct color_counts){ .new_flows = 1000, .syns_sent = 1000, .synacks_seen = 1000 };
	assert_int_equal(rollout_analyse(st, now, &buckets, &m, &before, NULL), 0);
	assert_int_equal(rollout_state_save(st, path_of("r.json"), NULL), 0);
	assert_int_equal(rollout_state_load(back, path_of("r.json"), NULL), 0);
	assert_int_equal(rollout_recover(back, T0 + 6 * SEC, 2550, &out, NULL), 0);
	assert_int_equal(out.action, ROLLOUT_NOTHING);
	assert_false(out.new_window);
	assert_int_equal(back->phase, ROLLOUT_RUNNING);
	assert_int_equal(rollout_step_deadline_ms(back), rollout_step_deadline_ms(st));
	assert_int_equal(rollout_analyse(back, now, &buckets, &m, &after, NULL), 0);
	assert_int_equal(after.rising_flows, 600);
	assert_int_equal(after.verdict, before.verdict);
	assert_string_equal(after.summary, before.summary);
	assert_int_equal(after.n_checks, before.n_checks);
	for (unsigned i = 0; i < after.n_checks; i++)
		assert_string_equal(after.checks[i].reason, before.checks[i].reason);
	free(st);
	free(back);
}

/* `mutate` the saved file's JSON, load it: refused with `why`, state untouched. */
static void expect_refused_file(const char *text, size_t len, const char *why)
{
	struct rollout_state *st = calloc(1, sizeof(*st)), *before = calloc(1, sizeof(*before));
	struct bgx_err err = { 0 };

	memset(st, 0x3c, sizeof(*st));
	memcpy(before, st, sizeof(*st));
	spit(path_of("bad.json"), text, len);
	assert_int_equal(rollout_state_load(st, path_of("bad.json"), &err), -EINVAL);
	if (!strstr(err.msg, why))
		fail_msg("\"%s\" lacks \"%s\"", err.msg, why);
	assert_memory_equal(st, before, sizeof(*st));
	free(st);
	free(before);
}

static void expect_refused_json(json_t *o, const char *why)
{
	char *text = json_dumps(o, 0);

	expect_refused_file(text, strlen(text), why);
	free(text);
	json_decref(o);
}

static json_t *saved_json(void)
{
	struct rollout_state *st = busy_state();
	json_t *o;

	assert_int_equal(rollout_state_save(st, path_of("good.json"), NULL), 0);
	o = json_load_file(path_of("good.json"), 0, NULL);
	assert_non_null(o);
	free(st);
	return o;
}

static void test_corrupt_files_refused(void **state)
{
	char *good;
	json_t *o;

	(void)state;
	o = saved_json();
	json_decref(o);
	good = slurp(path_of("good.json"));
	expect_refused_file(good, strlen(good) / 2, "is not whole JSON");
	expect_refused_file(good, strlen(good) / 2, "half-written or not a bgxdp file");
	expect_refused_file("", 0, "is not whole JSON");
	expect_refused_file("{\"a\":1,\"a\":2}", 13, "is not whole JSON");
	free(good);

	expect_refused_json(json_pack("{s:i}", "hello", 1),
			    "is not a bgxdp rollout state (no \"format\": \"bgxdp-rollout-state\")");
	o = saved_json();
	json_object_set_new(o, "version", json_integer(2));
	expect_refused_json(o, "this bgxdp reads version 1");
	o = saved_json();
	json_object_del(o, "phase");
	expect_refused_json(o, "phase missing or not one of the known names");
	o = saved_json();
	json_object_set_new(json_object_get(o, "spec"), "steps_bp", json_string("10,50"));
	expect_refused_json(o, "spec.steps_bp missing or not an array");
	o = saved_json();
	json_object_set_new(o, "step_index", json_integer(2));
	json_object_set_new(json_object_get(o, "spec"), "steps_bp", json_pack("[i,i]", 5000, 10000));
	json_object_set_new(json_object_get(o, "spec"), "gates", json_pack("[b,b]", 0, 0));
	expect_refused_json(o, "do not fit the spec");
	o = saved_json();
	json_object_set_new(json_object_get(o, "spec"), "steps_bp", json_pack("[i,i,i]", 5000, 1000, 10000));
	expect_refused_json(o, "bad spec: --steps must rise strictly");
	o = saved_json();
	json_object_set_new(json_array_get(json_object_get(o, "log"), 1), "verdict", json_string("maybe"));
	expect_refused_json(o, "log[1].verdict missing or not one of the known names");
}

static void test_missing_and_unwritable(void **state)
{
	struct rollout_state *st = busy_state();
	struct bgx_err err = { 0 };
	char buf[64];
	DIR *d;
	struct dirent *e;

	(void)state;
	assert_int_equal(rollout_state_load(st, path_of("none.json"), &err), -ENOENT);
	assert_non_null(strstr(err.msg, "no rollout state at "));
	bgx_err_clear(&err);
	assert_true(rollout_state_save(st, path_of("no/such/dir.json"), &err) < 0);
	assert_non_null(strstr(err.msg, "cannot create a temp file for rollout state"));
	/* A successful save leaves no temp file behind. */
	assert_int_equal(rollout_state_save(st, path_of("c.json"), NULL), 0);
	d = opendir(dir);
	while ((e = readdir(d)))
		assert_null(strstr(e->d_name, ".tmp."));
	closedir(d);
	bgx_err_clear(&err);
	assert_int_equal(rollout_state_path("/var/lib/bgxdp", "web", buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "/var/lib/bgxdp/rollout-web.json");
	assert_true(rollout_state_path("/var/lib/bgxdp", "../x", buf, sizeof(buf), &err) < 0);
	assert_true(rollout_state_path("/var/lib/bgxdp", "web", buf, 10, NULL) < 0);
	free(st);
}

static void test_journal_line(void **state)
{
	struct rollout_state *st = busy_state();
	json_t *line = rollout_decision_journal(st, &st->log[1]), *detail, *check;

	(void)state;
	assert_non_null(line);
	assert_string_equal(json_string_value(json_object_get(line, "time")), "2023-11-14T22:13:23.000Z");
	assert_string_equal(json_string_value(json_object_get(line, "actor")), "agent");
	assert_string_equal(json_string_value(json_object_get(line, "service")), "web");
	assert_string_equal(json_string_value(json_object_get(line, "what")), "rollout advance");
	assert_string_equal(json_string_value(json_object_get(line, "before")), "green 5.00 %");
	assert_string_equal(json_string_value(json_object_get(line, "after")), "green 25.50 %");
	assert_string_equal(json_string_value(json_object_get(line, "reason")), st->log[1].reason);
	detail = json_object_get(line, "rollout");
	assert_int_equal(json_integer_value(json_object_get(detail, "step")), 1);
	assert_int_equal(json_integer_value(json_object_get(detail, "steps")), 3);
	assert_string_equal(json_string_value(json_object_get(detail, "verdict")), "pass");
	check = json_array_get(json_object_get(detail, "checks"), 0);
	assert_string_equal(json_string_value(json_object_get(check, "check")), "failure_ratio");
	assert_float_equal(json_real_value(json_object_get(check, "value")), 1.0 / 300, 1e-12);
	assert_float_equal(json_real_value(json_object_get(check, "limit")), 0.05, 0);
	assert_string_equal(json_string_value(json_object_get(check, "bound")), "max");
	assert_string_equal(json_string_value(json_object_get(check, "verdict")), "pass");
	assert_string_equal(json_string_value(json_object_get(check, "reason")),
			    "green failure ratio 0.003333 (1/300) <= max 0.05");
	json_decref(line);
	free(st);
}

static const char expected_metrics[] =
	"# HELP bgxdp_rollout_step Step of the service's last rollout, 1-based.\n"
	"# TYPE bgxdp_rollout_step gauge\n"
	"bgxdp_rollout_step{service=\"web\"} 2\n"
	"# HELP bgxdp_rollout_weight Share of new flows the rollout gives its rising color, 0 to 1.\n"
	"# TYPE bgxdp_rollout_weight gauge\n"
	"bgxdp_rollout_weight{service=\"web\",color=\"green\"} 0.2550\n"
	"# HELP bgxdp_rollout_phase Phase of the service's last rollout: 1 for the phase it is in.\n"
	"# TYPE bgxdp_rollout_phase gauge\n"
	"bgxdp_rollout_phase{service=\"web\",phase=\"running\"} 0\n"
	"bgxdp_rollout_phase{service=\"web\",phase=\"paused\"} 1\n"
	"bgxdp_rollout_phase{service=\"web\",phase=\"succeeded\"} 0\n"
	"bgxdp_rollout_phase{service=\"web\",phase=\"aborted\"} 0\n"
	"# HELP bgxdp_analysis_value What each check of the rollout's last analysis measured (ratios, seconds, backends).\n"
	"# TYPE bgxdp_analysis_value gauge\n"
	"bgxdp_analysis_value{service=\"web\",check=\"failure_ratio\"} 0.00333333333\n"
	"bgxdp_analysis_value{service=\"web\",check=\"connect_p99_seconds\"} 0.00945081633\n"
	"bgxdp_analysis_value{service=\"web\",check=\"healthy_backends\"} 2\n"
	"bgxdp_analysis_value{service=\"web\",check=\"failure_ratio_vs_stable\"} 0.333333333\n"
	"bgxdp_analysis_value{service=\"web\",check=\"promql:query1\"} 0.0125\n";

static void test_metrics(void **state)
{
	struct rollout_state *st = busy_state();
	const struct rollout_state *states[] = { st };
	char *text = NULL, cmd[600];
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	(void)state;
	assert_int_equal(rollout_metrics_write(out, states, 1), 0);
	fclose(out);
	assert_string_equal(text, expected_metrics);
	/* promtool is the judge of the exposition format, when installed. */
	if (system("command -v promtool >/dev/null 2>&1") == 0) {
		spit(path_of("metrics.txt"), text, len);
		snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path_of("metrics.txt"));
		assert_int_equal(system(cmd), 0);
	} else {
		print_message("promtool not installed: exposition checked by comparison only\n");
	}
	free(text);
	free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_window_base_survives),
		cmocka_unit_test(test_restart_continues_the_step),
		cmocka_unit_test(test_corrupt_files_refused),
		cmocka_unit_test(test_missing_and_unwritable),
		cmocka_unit_test(test_journal_line),
		cmocka_unit_test(test_metrics),
	};

	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
