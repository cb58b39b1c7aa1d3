// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * plan.c: `bgxdp apply`'s plan.  Equal states give no step; each step kind
 * appears where the safe order puts it; and on random pairs of states every
 * plan, run step by step on the live state by an independent simulator
 * (plan_sim.h), only takes steps the data plane accepts, never gives a
 * share to a color without a backend in rotation, and ends in the desired
 * state.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>
#include <jansson.h>
#include "config_yaml.h"
#include "plan.h"
#include "plan_sim.h"
#include "model_gen.h"

static struct bgx_desired *model(const char *yaml)
{
	struct bgx_desired *d = bgx_desired_new();
	struct bgx_err e = { 0 };

	assert_non_null(d);
	if (bgx_config_parse_buffer(yaml, strlen(yaml), "want.yaml", d, &e))
		fail_msg("bad test file: %s\n%s", e.msg, yaml);
	return d;
}

static const char *step_text(const struct bgx_step *s)
{
	static char line[1024];

	bgx_plan_step_line(s, line, sizeof(line));
	return line;
}

/* Every step valid for the data plane, groups well formed, the share rule
 * after every step (when `rule`), and the desired state at the end. */
static void simulate(const struct bgx_desired *live, const struct bgx_desired *desired,
		     const struct bgx_plan *p, bool rule)
{
	struct bgx_desired *m = bgx_desired_new(), *want = bgx_desired_new();
	const struct bgx_desired_service *bad;

	memcpy(m, live, sizeof(*m));
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct bgx_step *st = &p->steps[i];
		const struct bgx_plan_group *g = &p->groups[st->group];
		bool service_step = st->kind >= BGX_STEP_SERVICE_ADD;
		const char *err;

		assert_true(st->group < p->n_groups && i >= g->first && i < g->first + g->count);
		if (service_step && (g->kind != BGX_GROUP_SERVICE || strcmp(g->service, st->service)))
			fail_msg("step '%s' is in the group of '%s'", step_text(st), g->service);
		if (!service_step && g->kind != BGX_GROUP_INSTANCE)
			fail_msg("step '%s' is in a service group", step_text(st));
		if ((err = sim_step(m, st)))
			fail_msg("step %zu '%s': %s", i, step_text(st), err);
		if (rule && (bad = sim_share_violation(m)))
			fail_msg("after step %zu '%s': service '%s' gives %u bp green to a color without a backend in rotation",
				 i, step_text(st), bad->def.name, bad->green_bp);
	}
	sim_expected(live, desired, want);
	bgx_desired_canonicalize(m);
	m->fast_path_set = want->fast_path_set = true;
	if (!bgx_desired_equal(m, want)) {
		char *a = NULL, *b = NULL;
		size_t n;
		struct bgx_err e = { 0 };

		bgx_config_emit(m, &a, &n, &e);
		bgx_config_emit(want, &b, &n, &e);
		fail_msg("the plan ends in\n%s\nbut should end in\n%s", a ? a : "?", b ? b : "?");
	}
	bgx_desired_free(m);
	bgx_desired_free(want);
}

/* The plan from `live` to `want` as text; simulated and checked first. */
static char *plan_text(const char *live_yaml, const char *want_yaml)
{
	struct bgx_desired *live = model(live_yaml), *want = model(want_yaml);
	struct bgx_plan p;
	struct bgx_err e = { 0 };
	char *text;

	if (bgx_plan_build(live, want, &p, &e))
		fail_msg("plan refused: %s", e.msg);
	simulate(live, want, &p, true);
	assert_int_equal(bgx_plan_render_text(&p, &text, &e), 0);
	bgx_plan_free(&p);
	bgx_desired_free(live);
	bgx_desired_free(want);
	return text;
}

static void expect_plan(const char *live_yaml, const char *want_yaml, const char *expected)
{
	char *text = plan_text(live_yaml, want_yaml);

	if (strcmp(text, expected))
		fail_msg("plan:\n%s\nexpected:\n%s", text, expected);
	free(text);
}

#define IF "interfaces: [{name: eth0}]\n"
#define WEB "services:\n  - name: web\n    vip: 10.0.0.1:80\n"

static void test_equal_is_empty(void **state)
{
	struct bgx_desired *m = bgx_desired_new();
	struct gen g = { 7 };
	struct bgx_plan p;
	struct bgx_err e = { 0 };

	(void)state;
	for (int i = 0; i < 500; i++) {
		gen_model(&g, m);
		assert_int_equal(bgx_plan_build(m, m, &p, &e), 0);
		if (!bgx_plan_empty(&p))
			fail_msg("a plan from a state to itself: %s", step_text(&p.steps[0]));
		assert_int_equal(p.n_groups, 0);
		bgx_plan_free(&p);
	}
	bgx_desired_free(m);
}

/* export | apply -f -: the live state (no positions, the modes the kernel
 * reports), written and read back, plans nothing. */
static void test_export_apply_is_noop(void **state)
{
	struct bgx_desired *live = model(IF "flows: 262144\nfast_path: [eth3]\n" WEB
					 "    share: {green: 25}\n    backends: {blue: [10.1.0.1:80], green: [10.2.0.1:80]}\n"
					 "    health: {check: http, expect: \"200,404\"}\n");
	struct bgx_desired *back = bgx_desired_new(), *file;
	struct bgx_plan p;
	struct bgx_err e = { 0 };
	char *text;
	size_t len;

	(void)state;
	memcpy(back, live, sizeof(*back));
	back->ifaces[0].mode = BGX_XDP_NATIVE;          /* what the kernel says "auto" became */
	back->ifaces[0].pos = (struct bgx_src_pos){ 0, 0 };
	snprintf(back->source, sizeof(back->source), "live");
	assert_int_equal(bgx_config_emit(back, &text, &len, &e), 0);
	file = model(text);
	assert_int_equal(bgx_plan_build(back, file, &p, &e), 0);
	assert_true(bgx_plan_empty(&p));
	assert_int_equal(p.n_notes, 0);
	bgx_plan_free(&p);
	/* and the hand-written file (mode auto) against that live state */
	assert_int_equal(bgx_plan_build(back, live, &p, &e), 0);
	assert_true(bgx_plan_empty(&p));
	bgx_plan_free(&p);
	free(text);
	bgx_desired_free(live);
	bgx_desired_free(back);
	bgx_desired_free(file);
}

static void test_add_service(void **state)
{
	(void)state;
	expect_plan(IF "services: []\n",
		    IF WEB "    share: {green: 10}\n    backends: {blue: [10.1.0.1:80], green: [10.2.0.1:80, {address: 10.2.0.2:80, state: drain}]}\n",
		    "+ service web vip 10.0.0.1:80 tcp\n"
		    "+ backend web blue 10.1.0.1:80 weight 1 ready\n"
		    "+ backend web green 10.2.0.1:80 weight 1 ready\n"
		    "+ backend web green 10.2.0.2:80 weight 1 drain\n"
		    "~ share web green 0% -> 10%\n");
	/* green only: the share goes to green before green's first backend */
	expect_plan(IF "services: []\n",
		    IF WEB "    preview: 10.0.0.2:80\n    affinity: client\n    active: green\n    backends: {green: [10.2.0.1:80]}\n",
		    "+ service web vip 10.0.0.1:80 tcp preview 10.0.0.2:80 affinity client\n"
		    "~ share web green 0% -> 100%\n"
		    "+ backend web green 10.2.0.1:80 weight 1 ready\n");
}

static void test_backends_before_share(void **state)
{
	(void)state;
	expect_plan(IF WEB "    backends: {blue: [10.1.0.1:80]}\n",
		    IF WEB "    share: {green: 10}\n    backends: {blue: [10.1.0.1:80], green: [10.2.0.1:80, 10.2.0.2:80]}\n",
		    "+ backend web green 10.2.0.1:80 weight 1 ready\n"
		    "+ backend web green 10.2.0.2:80 weight 1 ready\n"
		    "~ share web green 0% -> 10%\n");
	/* a drained green backend back to ready before the share rises */
	expect_plan(IF WEB "    backends: {blue: [10.1.0.1:80], green: [{address: 10.2.0.1:80, state: drain}]}\n",
		    IF WEB "    active: green\n    backends: {blue: [10.1.0.1:80], green: [10.2.0.1:80]}\n",
		    "~ backend web green 10.2.0.1:80 state drain -> ready\n"
		    "~ share web green 0% -> 100%\n");
}

static void test_share_before_last_backend_leaves(void **state)
{
	(void)state;
	expect_plan(IF WEB "    active: green\n    backends: {blue: [10.1.0.1:80], green: [10.2.0.1:80]}\n",
		    IF WEB "    active: blue\n    backends: {blue: [10.1.0.1:80]}\n",
		    "~ share web green 100% -> 0%\n"
		    "- backend web green 10.2.0.1:80\n");
	expect_plan(IF WEB "    share: {green: 50}\n    backends: {blue: [10.1.0.1:80], green: [10.2.0.1:80]}\n",
		    IF WEB "    backends: {blue: [10.1.0.1:80], green: [{address: 10.2.0.1:80, state: maint}]}\n",
		    "~ share web green 50% -> 0%\n"
		    "~ backend web green 10.2.0.1:80 state ready -> maint\n");
	/* blue to green with new backends: in, share, out */
	expect_plan(IF WEB "    backends: {blue: [10.1.0.1:80]}\n",
		    IF WEB "    active: green\n    backends: {green: [10.2.0.1:80]}\n",
		    "+ backend web green 10.2.0.1:80 weight 1 ready\n"
		    "~ share web green 0% -> 100%\n"
		    "- backend web blue 10.1.0.1:80\n");
}

static void test_backend_changes(void **state)
{
	(void)state;
	expect_plan(IF WEB "    backends: {green: [10.2.0.1:8080], blue: [10.1.0.1:80, 10.1.0.2:80]}\n",
		    IF WEB "    backends: {green: [{address: 10.2.0.1:8080, weight: 2}], blue: [{address: 10.1.0.1:80, weight: 5, state: drain}, 10.1.0.2:80]}\n",
		    "~ backend web green 10.2.0.1:8080 weight 1 -> 2\n"
		    "~ backend web blue 10.1.0.1:80 weight 1 -> 5, state ready -> drain\n");
	/* every backend leaves: the share follows the one still in rotation,
	 * and takes its desired value once none is */
	expect_plan(IF WEB "    share: {green: 50}\n    backends: {blue: [10.1.0.1:80], green: [10.2.0.1:80]}\n",
		    IF WEB "    share: {green: 30}\n",
		    "~ share web green 50% -> 100%\n"
		    "- backend web blue 10.1.0.1:80\n"
		    "- backend web green 10.2.0.1:80\n"
		    "~ share web green 100% -> 30%\n");
	expect_plan(IF WEB "    health: {}\n",
		    IF WEB "    health: {check: http, path: /h, expect: \"200,404\", port: 81}\n",
		    "~ health web tcp interval 1s timeout 500ms rise 2 fall 2 -> http /h expect 200,404 port 81 interval 1s timeout 500ms rise 2 fall 2\n");
	expect_plan(IF WEB, IF WEB "    health: off\n", "~ health web none -> off\n");
}

static void test_replace(void **state)
{
	(void)state;
	expect_plan(IF WEB "    backends: {blue: [10.1.0.1:80]}\n",
		    IF "services:\n  - name: web\n    vip: 10.0.0.9:80\n    backends: {blue: [10.1.0.1:80]}\n",
		    "- service web (replaced: vip 10.0.0.1:80 -> 10.0.0.9:80; its established flows are dropped)\n"
		    "+ service web vip 10.0.0.9:80 tcp (replacing it)\n"
		    "+ backend web blue 10.1.0.1:80 weight 1 ready\n");
	expect_plan(IF WEB, IF WEB "    proto: udp\n    preview: 10.0.0.2:80\n    affinity: client\n",
		    "- service web (replaced: proto tcp -> udp, preview none -> 10.0.0.2:80, affinity flow -> client; its established flows are dropped)\n"
		    "+ service web vip 10.0.0.1:80 udp preview 10.0.0.2:80 affinity client (replacing it)\n");
}

static void test_delete_order(void **state)
{
	(void)state;
	/* deletions last */
	expect_plan(IF "services:\n  - {name: a, vip: 10.0.0.1:80}\n  - {name: z, vip: 10.0.0.26:80}\n",
		    IF "services:\n  - {name: b, vip: 10.0.0.2:80}\n  - {name: z, vip: 10.0.0.26:80, active: green}\n",
		    "+ service b vip 10.0.0.2:80 tcp\n"
		    "~ share z green 0% -> 100%\n"
		    "- service a\n");
	/* ... unless another service takes its address: then first */
	expect_plan(IF "services:\n  - {name: old, vip: 10.0.0.1:80, backends: {blue: [10.1.0.1:80]}}\n",
		    IF "services:\n  - {name: new, vip: 10.0.0.1:80, backends: {blue: [10.1.0.1:80]}}\n",
		    "- service old\n"
		    "+ service new vip 10.0.0.1:80 tcp\n"
		    "+ backend new blue 10.1.0.1:80 weight 1 ready\n");
	/* a backend moving to another service leaves the old one first */
	expect_plan(IF "services:\n  - {name: zeta, vip: 10.0.0.2:80, backends: {blue: [10.1.0.1:80, 10.1.0.2:80]}}\n"
		    "  - {name: alpha, vip: 10.0.0.1:80}\n",
		    IF "services:\n  - {name: zeta, vip: 10.0.0.2:80, backends: {blue: [10.1.0.2:80]}}\n"
		    "  - {name: alpha, vip: 10.0.0.1:80, backends: {blue: [10.1.0.1:80]}}\n",
		    "- backend zeta blue 10.1.0.1:80\n"
		    "+ backend alpha blue 10.1.0.1:80 weight 1 ready\n");
}

static void test_trade_refused(void **state)
{
	struct bgx_desired *live = model(IF "services:\n  - {name: a, vip: 10.0.0.1:80, backends: {blue: [10.1.0.1:80]}}\n"
					 "  - {name: b, vip: 10.0.0.2:80, backends: {blue: [10.1.0.2:80]}}\n");
	struct bgx_desired *want = model(IF "services:\n  - {name: a, vip: 10.0.0.1:80, backends: {blue: [10.1.0.2:80]}}\n"
					 "  - {name: b, vip: 10.0.0.2:80, backends: {blue: [10.1.0.1:80]}}\n");
	struct bgx_plan p;
	struct bgx_err e = { 0 };

	(void)state;
	assert_int_equal(bgx_plan_build(live, want, &p, &e), -EDEADLK);
	assert_non_null(strstr(e.msg, "trade backend addresses in a circle"));
	assert_int_equal(strncmp(e.msg, "want.yaml:3:5: ", 15), 0);
	assert_true(bgx_plan_empty(&p));
	bgx_desired_free(live);
	bgx_desired_free(want);
}

/* 16 services replaced by 16 others: deletions first, never 17 at once. */
static void test_service_limit(void **state)
{
	char a[4096] = IF "services:\n", b[4096] = IF "services:\n";
	char *text;

	(void)state;
	for (int i = 0; i < BGXDP_MAX_SERVICES; i++) {
		sprintf(a + strlen(a), "  - {name: old%d, vip: 10.0.0.%d:80}\n", i, i + 1);
		sprintf(b + strlen(b), "  - {name: new%d, vip: 10.0.1.%d:80}\n", i, i + 1);
	}
	text = plan_text(a, b);          /* the simulator refuses a 17th service */
	assert_int_equal(strncmp(text, "- service old0\n", 15), 0);
	free(text);
}

/* A full color whose backends are all replaced: never more than 128. */
static void test_color_limit(void **state)
{
	char *a = malloc(16384), *b = malloc(16384), *text;

	(void)state;
	strcpy(a, IF WEB "    backends:\n      blue:\n");
	strcpy(b, IF WEB "    backends:\n      blue:\n");
	for (int i = 0; i < BGXDP_MAX_BACKENDS; i++) {
		sprintf(a + strlen(a), "        - 10.1.0.%d:80\n", i + 1);
		sprintf(b + strlen(b), "        - 10.2.0.%d:80\n", i + 1);
	}
	text = plan_text(a, b);          /* the simulator refuses a 129th backend */
	free(text);
	free(a);
	free(b);
}

static void test_interfaces(void **state)
{
	(void)state;
	expect_plan("services: []\n", "flows: 1048576\ninterfaces: [{name: eth1}, {name: eth0, mode: native}]\nservices: []\n",
		    "+ interface eth0 mode native (creates the instance, flows 1048576)\n"
		    "+ interface eth1 mode auto\n");
	expect_plan("interfaces: [{name: eth0, mode: native}, {name: eth1, mode: generic}]\nservices: []\n",
		    "interfaces: [{name: eth0}, {name: eth2, mode: native}]\nservices: []\n",
		    "+ interface eth2 mode native\n");
	expect_plan("interfaces: [{name: eth0, mode: native}, {name: eth1, mode: generic}]\nfast_path: [eth5]\n" WEB,
		    "interfaces: [{name: eth0, mode: generic}]\nprune: true\nfast_path: [eth3]\nservices: []\n",
		    "~ interface eth0 mode native -> generic (attached again: its packets pass untouched for a moment)\n"
		    "+ fast_path eth3\n"
		    "- fast_path eth5\n"
		    "- service web\n"
		    "- interface eth1 (not in the file, prune: true)\n");
	/* no fast_path key: the live set is left alone */
	expect_plan("interfaces: [{name: eth0}]\nfast_path: [eth5]\nservices: []\n", IF "services: []\n", "");
}

static void test_notes(void **state)
{
	(void)state;
	expect_plan("flows: 262144\n" IF "services: []\n", "flows: 1048576\n" IF "services: []\n",
		    "! flows: the flow table has 262144 entries, the file asks for 1048576: the size is set when the instance is created (detach every interface, then apply)\n");
	expect_plan("services: []\n", WEB,
		    "! no interface is attached and the file lists none: the first interface creates the instance (add interfaces:)\n"
		    "+ service web vip 10.0.0.1:80 tcp\n");
}

/* A desired state that itself gives a share to a color without a ready
 * backend is planned (with a note), not refused: export must round-trip. */
static void test_desired_breaks_rule(void **state)
{
	struct bgx_desired *live = model(IF WEB "    backends: {blue: [10.1.0.1:80]}\n");
	struct bgx_desired *want = model(IF WEB "    share: {green: 10}\n    backends: {blue: [10.1.0.1:80], green: [{address: 10.2.0.1:80, state: maint}]}\n");
	struct bgx_plan p;
	struct bgx_err e = { 0 };

	(void)state;
	assert_int_equal(bgx_plan_build(live, want, &p, &e), 0);
	simulate(live, want, &p, false);
	assert_int_equal(p.n_notes, 1);
	assert_non_null(strstr(p.notes[0], "service 'web': green gets a share of new flows but has no ready backend; those flows go to blue"));
	bgx_plan_free(&p);
	bgx_desired_free(live);
	bgx_desired_free(want);
}

static void test_json(void **state)
{
	struct bgx_desired *live = model(IF WEB "    backends: {blue: [10.1.0.1:80]}\n");
	struct bgx_desired *want = model(IF WEB "    share: {green: 10}\n    backends: {blue: [10.1.0.1:80], green: [10.2.0.1:80]}\n"
					 "  - name: api\n    vip: \"[2001:db8::1]:443\"\n");
	struct bgx_plan p;
	struct bgx_err e = { 0 };
	json_t *j, *groups, *step;
	char *dump;

	(void)state;
	assert_int_equal(bgx_plan_build(live, want, &p, &e), 0);
	j = bgx_plan_to_json(&p);
	assert_non_null(j);
	dump = json_dumps(j, 0);
	json_decref(j);
	j = json_loads(dump, 0, NULL);          /* it is JSON */
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "changes")), 3);
	assert_string_equal(json_string_value(json_object_get(j, "source")), "want.yaml");
	groups = json_object_get(j, "groups");
	assert_int_equal(json_array_size(groups), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(groups, 0), "service")), "api");
	step = json_array_get(json_object_get(json_array_get(groups, 1), "steps"), 0);
	assert_string_equal(json_string_value(json_object_get(step, "action")), "add");
	assert_string_equal(json_string_value(json_object_get(step, "object")), "backend");
	assert_string_equal(json_string_value(json_object_get(step, "color")), "green");
	assert_string_equal(json_string_value(json_object_get(json_object_get(step, "backend"), "address")), "10.2.0.1:80");
	assert_string_equal(json_string_value(json_object_get(step, "at")), "want.yaml:6:45");
	assert_string_equal(json_string_value(json_object_get(step, "text")), "+ backend web green 10.2.0.1:80 weight 1 ready");
	step = json_array_get(json_object_get(json_array_get(groups, 1), "steps"), 1);
	assert_int_equal(json_integer_value(json_object_get(step, "green_bp")), 1000);
	assert_int_equal(json_integer_value(json_object_get(step, "old_green_bp")), 0);
	json_decref(j);
	free(dump);
	bgx_plan_free(&p);
	bgx_desired_free(live);
	bgx_desired_free(want);
}

/* Random pairs of states: every plan is valid step by step and ends where
 * it should. */
static void test_random_plans(void **state)
{
	struct bgx_desired *live = bgx_desired_new(), *want = bgx_desired_new();
	struct gen g = { 424242 };
	size_t steps = 0, replaces = 0, refused = 0, pairs = 4000;
	struct bgx_err e = { 0 };

	(void)state;
	for (size_t i = 0; i < pairs; i++) {
		struct bgx_plan p;
		int r;

		gen_model(&g, live);
		gen_model(&g, want);
		bgx_err_clear(&e);
		r = bgx_plan_build(live, want, &p, &e);
		if (r == -EDEADLK) {
			refused++;      /* services trading backends: refused on purpose */
			continue;
		}
		if (r)
			fail_msg("pair %zu: plan refused: %s", i, e.msg);
		simulate(live, want, &p, true);
		steps += p.n_steps;
		for (size_t s = 0; s < p.n_steps; s++)
			replaces += p.steps[s].kind == BGX_STEP_SERVICE_DEL && p.steps[s].replace;
		bgx_plan_free(&p);
	}
	print_message("%zu random pairs: %zu steps, %zu replaces, %zu refused as trades\n", pairs, steps,
		      replaces, refused);
	assert_true(refused < pairs / 10);
	bgx_desired_free(live);
	bgx_desired_free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal_is_empty),
		cmocka_unit_test(test_export_apply_is_noop),
		cmocka_unit_test(test_add_service),
		cmocka_unit_test(test_backends_before_share),
		cmocka_unit_test(test_share_before_last_backend_leaves),
		cmocka_unit_test(test_backend_changes),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_delete_order),
		cmocka_unit_test(test_trade_refused),
		cmocka_unit_test(test_service_limit),
		cmocka_unit_test(test_color_limit),
		cmocka_unit_test(test_interfaces),
		cmocka_unit_test(test_notes),
		cmocka_unit_test(test_desired_breaks_rule),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_random_plans),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
