/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_control_plane.c - the control-plane library against real maps.
 *
 * Each test loads the data plane (no interface attached), pins its maps in
 * a pin dir of its own and drives it through libbgxdp exactly as the CLI
 * does (bgx_open, one operation, bgx_close).
 *
 * 1. Ordering rules, seen from inside: a step hook stops each operation
 *    between its steps and checks what a packet could see right then (the
 *    VIP filter is set before the VIP exists, a backend's slot is written
 *    before a ring points at it, a leaving backend is out of the published
 *    ring before its slot changes, a deleted service is unpublished before
 *    anything of it is removed).
 * 2. Kill points: for every operation and every step of it, a child process
 *    runs the operation and dies (_exit) at that step; the next writer's
 *    open recovers, and the instance must then be whole (every record
 *    agrees with what is published) and be either the state before the
 *    operation or the state after it, never a third.
 * 3. Refusals change nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp.h"
#include "bgxdp_hash.h"
#include "bgxdp.skel.h"
#include "libbgxdp.h"
#include "maglev.h"
#include "helpers_cp.h"
#include "helpers_lib.h"

static struct bgxdp *skel;
static char pin_dir[64];

/* ---- a fresh instance: maps pinned in a pin dir of the test's own ---- */

static void instance_up(void)
{
	skel = bgxdp__open();
	assert_non_null(skel);
	assert_int_equal(bpf_map__set_max_entries(skel->maps.flows, 4096), 0);
	assert_int_equal(bgxdp__load(skel), 0);
	assert_int_equal(lib_pin_maps(skel->obj, "bgxcp", pin_dir, sizeof(pin_dir)), 0);
}

static void instance_down(void)
{
	if (skel) {
		lib_unpin_maps(skel->obj, pin_dir);
		bgxdp__destroy(skel);
		skel = NULL;
	}
}

static struct bgx_instance *open_write(void)
{
	struct bgx_instance *in = NULL;
	struct bgx_err e = { 0 };

	if (bgx_open(pin_dir, BGX_WRITE, &in, &e))
		fail_msg("bgx_open: %s", e.msg);
	return in;
}

/* ---- operations, as the CLI makes them ---- */

static int add_service(struct bgx_instance *in, const char *name, const char *vip,
		       const char *preview, struct bgx_err *e)
{
	struct bgx_service_spec s = { .vip = lib_endpoint(vip), .proto = IPPROTO_TCP };

	snprintf(s.name, sizeof(s.name), "%s", name);
	if (preview) {
		s.has_preview = true;
		s.preview = lib_endpoint(preview);
	}
	return bgx_service_add(in, &s, e);
}

static int add_backend(struct bgx_instance *in, const char *svc, __u32 color, const char *addr,
		       struct bgx_err *e)
{
	struct bgx_backend_ref ref = { .service = svc, .color = color, .ep = lib_endpoint(addr) };

	return bgx_backend_add(in, &ref, 1, NULL, e);
}

static int set_state(struct bgx_instance *in, const char *svc, __u32 color, const char *addr,
		     __u8 state, struct bgx_err *e)
{
	struct bgx_backend_ref ref = { .service = svc, .color = color, .ep = lib_endpoint(addr) };

	return bgx_backend_set_state(in, &ref, state, NULL, e);
}

static int del_backend(struct bgx_instance *in, const char *svc, __u32 color, const char *addr,
		       struct bgx_err *e)
{
	struct bgx_backend_ref ref = { .service = svc, .color = color, .ep = lib_endpoint(addr) };

	return bgx_backend_del(in, &ref, NULL, e);
}

/* web: 10.0.0.1:80, preview .2, blue .11 .12, green .21 .22, 50 % green */
static void base_web(struct bgx_instance *in)
{
	LIB_OK(add_service(in, "web", "10.0.0.1:80", "10.0.0.2:80", e));
	LIB_OK(add_backend(in, "web", BGXDP_BLUE, "10.1.0.11:80", e));
	LIB_OK(add_backend(in, "web", BGXDP_BLUE, "10.1.0.12:80", e));
	LIB_OK(add_backend(in, "web", BGXDP_GREEN, "10.1.0.21:80", e));
	LIB_OK(add_backend(in, "web", BGXDP_GREEN, "10.1.0.22:80", e));
	LIB_OK(bgx_share_set(in, "web", 5000, NULL, e));
}

static void base_empty(struct bgx_instance *in) { (void)in; }

static int op_service_add(struct bgx_instance *in, struct bgx_err *e)
{
	return add_service(in, "api", "10.0.0.3:443", "10.0.0.4:443", e);
}

static int op_service_del(struct bgx_instance *in, struct bgx_err *e)
{
	return bgx_service_del(in, "web", e);
}

static int op_backend_add(struct bgx_instance *in, struct bgx_err *e)
{
	return add_backend(in, "web", BGXDP_GREEN, "10.1.0.23:80", e);
}

static int op_backend_del(struct bgx_instance *in, struct bgx_err *e)
{
	return del_backend(in, "web", BGXDP_BLUE, "10.1.0.12:80", e);
}

static int op_backend_drain(struct bgx_instance *in, struct bgx_err *e)
{
	return set_state(in, "web", BGXDP_GREEN, "10.1.0.21:80", BACKEND_DRAIN, e);
}

static int op_share(struct bgx_instance *in, struct bgx_err *e)
{
	return bgx_share_set(in, "web", 1234, NULL, e);
}

static int op_rollback(struct bgx_instance *in, struct bgx_err *e)
{
	return bgx_share_rollback(in, "web", NULL, e);
}

static int set_health(struct bgx_instance *in, const char *svc, __u32 color, const char *addr,
		      __u8 health, struct bgx_err *e)
{
	struct bgx_backend_ref ref = { .service = svc, .color = color, .ep = lib_endpoint(addr) };

	return bgx_backend_set_health(in, &ref, health, NULL, e);
}

/* web, with green .21 failing its checks */
static void base_web_green_down(struct bgx_instance *in)
{
	base_web(in);
	LIB_OK(set_health(in, "web", BGXDP_GREEN, "10.1.0.21:80", BACKEND_HEALTH_DOWN, e));
}

/* web, every backend failing but green .22: one more and it fails open */
static void base_web_one_healthy(struct bgx_instance *in)
{
	base_web_green_down(in);
	LIB_OK(set_health(in, "web", BGXDP_BLUE, "10.1.0.11:80", BACKEND_HEALTH_DOWN, e));
	LIB_OK(set_health(in, "web", BGXDP_BLUE, "10.1.0.12:80", BACKEND_HEALTH_DOWN, e));
}

/* web, every backend failing: the service fails open */
static void base_web_all_down(struct bgx_instance *in)
{
	base_web_one_healthy(in);
	LIB_OK(set_health(in, "web", BGXDP_GREEN, "10.1.0.22:80", BACKEND_HEALTH_DOWN, e));
}

/* web, blue .11 the only healthy backend, blue .12 and green failing */
static void base_web_blue_one_healthy(struct bgx_instance *in)
{
	base_web_green_down(in);
	LIB_OK(set_health(in, "web", BGXDP_GREEN, "10.1.0.22:80", BACKEND_HEALTH_DOWN, e));
	LIB_OK(set_health(in, "web", BGXDP_BLUE, "10.1.0.12:80", BACKEND_HEALTH_DOWN, e));
}

static int op_health_down(struct bgx_instance *in, struct bgx_err *e)
{
	return set_health(in, "web", BGXDP_GREEN, "10.1.0.22:80", BACKEND_HEALTH_DOWN, e);
}

static int op_health_up(struct bgx_instance *in, struct bgx_err *e)
{
	return set_health(in, "web", BGXDP_GREEN, "10.1.0.21:80", BACKEND_HEALTH_UP, e);
}

/* the last healthy backend fails: health is ignored, every backend joins */
static int op_health_fail_open(struct bgx_instance *in, struct bgx_err *e)
{
	return set_health(in, "web", BGXDP_GREEN, "10.1.0.22:80", BACKEND_HEALTH_DOWN, e);
}

/* one passes again: the others leave the rings of both colors */
static int op_health_close(struct bgx_instance *in, struct bgx_err *e)
{
	return set_health(in, "web", BGXDP_BLUE, "10.1.0.11:80", BACKEND_HEALTH_UP, e);
}

/* draining the last healthy backend: it leaves, the failing ones join */
static int op_drain_mixed(struct bgx_instance *in, struct bgx_err *e)
{
	return set_state(in, "web", BGXDP_BLUE, "10.1.0.11:80", BACKEND_DRAIN, e);
}

static int op_backend_add_checked(struct bgx_instance *in, struct bgx_err *e)
{
	struct bgx_backend_ref ref = { .service = "web", .color = BGXDP_GREEN,
				       .ep = lib_endpoint("10.1.0.23:80") };

	return bgx_backend_add_checked(in, &ref, 1, NULL, e);
}

/* apply's unit: blue .11 weight 3, .12 drained; green .21 kept, .22
 * deleted, .23 added; green 7.5 %; all with one publish. */
static int op_update(struct bgx_instance *in, struct bgx_err *e)
{
	static struct bgx_service_target t;
	struct bgx_service_update_result res;

	memset(&t, 0, sizeof(t));
	t.n[BGXDP_BLUE] = 2;
	t.backends[BGXDP_BLUE][0] = (struct bgx_backend_spec){ lib_endpoint("10.1.0.11:80"), 3, BACKEND_UP };
	t.backends[BGXDP_BLUE][1] = (struct bgx_backend_spec){ lib_endpoint("10.1.0.12:80"), 1, BACKEND_DRAIN };
	t.n[BGXDP_GREEN] = 2;
	t.backends[BGXDP_GREEN][0] = (struct bgx_backend_spec){ lib_endpoint("10.1.0.21:80"), 1, BACKEND_UP };
	t.backends[BGXDP_GREEN][1] = (struct bgx_backend_spec){ lib_endpoint("10.1.0.23:80"), 1, BACKEND_UP };
	t.green_bp = 750;
	return bgx_service_update(in, "web", &t, &res, e);
}

struct op_case {
	const char *name;
	void (*base)(struct bgx_instance *in);
	int (*op)(struct bgx_instance *in, struct bgx_err *e);
	/* Recovered to each backend and the share as before or as after (the
	 * update writes slots one by one; see user/lib/update.c). */
	bool per_part;
};

static const struct op_case op_cases[] = {
	{ "service add (first)", base_empty, op_service_add },
	{ "service add", base_web, op_service_add },
	{ "service del", base_web, op_service_del },
	{ "backend add", base_web, op_backend_add },
	{ "backend del", base_web, op_backend_del },
	{ "backend drain", base_web, op_backend_drain },
	{ "share set", base_web, op_share },
	{ "rollback", base_web, op_rollback },
	{ "service update", base_web, op_update, true },
	{ "health down", base_web_green_down, op_health_down },
	{ "health up", base_web_green_down, op_health_up },
	{ "health: fail open", base_web_one_healthy, op_health_fail_open },
	{ "health: back from fail open", base_web_all_down, op_health_close },
	{ "drain the last healthy", base_web_blue_one_healthy, op_drain_mixed },
	{ "backend add, checked", base_web, op_backend_add_checked },
};

/* ---- 1. ordering rules, checked at each step ---- */

static void check_step(const char *op, const char *step, void *ctx)
{
	struct step_log *log = ctx;

	snprintf(log->steps[log->n++], sizeof(log->steps[0]), "%s:%s", op, step);
	check_ordering_at(skel, op, step);
}

static void test_ordering_rules(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(op_cases) / sizeof(op_cases[0]); c++) {
		struct step_log log = { 0 };
		struct bgx_instance *in;

		instance_up();
		in = open_write();
		op_cases[c].base(in);
		bgx_set_step_hook(in, check_step, &log);
		LIB_OK(op_cases[c].op(in, e));
		bgx_close(in);
		assert_true(log.n > 0);
		check_whole(skel);
		instance_down();
	}
}

/* ---- 2. kill points ---- */

struct kill_at {
	int step, seen;
};

static void kill_hook(const char *op, const char *step, void *ctx)
{
	struct kill_at *k = ctx;

	(void)op;
	(void)step;
	if (++k->seen == k->step)
		_exit(0);
}

static int count_steps(const struct op_case *oc, struct state_view *after)
{
	struct kill_at count = { .step = -1 };
	struct bgx_instance *in;

	instance_up();
	in = open_write();
	oc->base(in);
	bgx_set_step_hook(in, kill_hook, &count);
	LIB_OK(oc->op(in, e));
	bgx_close(in);
	state_read(skel, after);
	instance_down();
	return count.seen;
}

static void kill_and_recover(const struct op_case *oc, int step, const struct state_view *after)
{
	struct state_view before, now;
	struct bgx_instance *in;
	int status;
	pid_t child;

	instance_up();
	in = open_write();
	oc->base(in);
	bgx_close(in);
	state_read(skel, &before);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct kill_at k = { .step = step };
		struct bgx_err e = { 0 };

		in = NULL;
		if (bgx_open(pin_dir, BGX_WRITE, &in, &e))
			_exit(2);
		bgx_set_step_hook(in, kill_hook, &k);
		oc->op(in, &e);
		_exit(3);                       /* not killed: the step never came */
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("%s, step %d: the child did not die at the step (status %d)", oc->name,
			 step, status);
	bgx_close(open_write());                /* the next writer recovers */
	check_whole(skel);
	state_read(skel, &now);
	if (!state_equal(&now, &before) && !state_equal(&now, after) &&
	    !(oc->per_part && state_parts_from(&now, &before, after)))
		fail_msg("%s killed at step %d: recovered to a state that is neither before nor after",
			 oc->name, step);
	instance_down();
}

static void test_kill_points(void **state)
{
	int total = 0;

	(void)state;
	for (size_t c = 0; c < sizeof(op_cases) / sizeof(op_cases[0]); c++) {
		struct state_view after;
		int steps = count_steps(&op_cases[c], &after);

		assert_true(steps > 0);
		for (int s = 1; s <= steps; s++)
			kill_and_recover(&op_cases[c], s, &after);
		total += steps;
	}
	printf("kill points: %d steps over %zu operations, each recovered whole\n", total,
	       sizeof(op_cases) / sizeof(op_cases[0]));
}

/* ---- 3. refusals change nothing ---- */

static void test_refusals_change_nothing(void **state)
{
	struct state_view before, now;
	struct bgx_instance *in, *reader;
	struct bgx_err e = { 0 };

	(void)state;
	instance_up();
	in = open_write();
	base_web(in);
	LIB_OK(bgx_share_set(in, "web", 10000, NULL, e));
	LIB_OK(del_backend(in, "web", BGXDP_GREEN, "10.1.0.22:80", e));
	state_read(skel, &before);
	/* the last green backend while green gets 100 % */
	assert_int_equal(set_state(in, "web", BGXDP_GREEN, "10.1.0.21:80", BACKEND_DOWN, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "last up green backend"));
	bgx_err_clear(&e);
	assert_int_equal(del_backend(in, "web", BGXDP_GREEN, "10.1.0.21:80", &e), -EBUSY);
	bgx_err_clear(&e);
	/* duplicates, unknown names, a family that differs from the VIP */
	assert_int_equal(add_backend(in, "web", BGXDP_BLUE, "10.1.0.11:80", &e), -EEXIST);
	bgx_err_clear(&e);
	assert_int_equal(add_backend(in, "nosuch", BGXDP_BLUE, "10.1.0.11:80", &e), -ENOENT);
	bgx_err_clear(&e);
	assert_int_equal(add_backend(in, "web", BGXDP_BLUE, "[fd00::1]:80", &e), -EINVAL);
	bgx_err_clear(&e);
	assert_int_equal(add_service(in, "web", "10.0.0.9:80", NULL, &e), -EEXIST);
	bgx_err_clear(&e);
	assert_int_equal(add_service(in, "other", "10.0.0.2:80", NULL, &e), -EEXIST);
	bgx_err_clear(&e);
	/* an endpoint serves one service */
	LIB_OK(add_service(in, "api", "10.0.0.5:80", NULL, e));
	state_read(skel, &before);
	assert_int_equal(add_backend(in, "api", BGXDP_BLUE, "10.1.0.11:80", &e), -EADDRINUSE);
	bgx_err_clear(&e);
	/* a health value that does not exist */
	assert_int_equal(set_health(in, "web", BGXDP_BLUE, "10.1.0.11:80", 9, &e), -EINVAL);
	bgx_err_clear(&e);
	/* a color whose backends all fail their checks gets no share */
	LIB_OK(add_backend(in, "api", BGXDP_BLUE, "10.1.0.32:80", e));
	LIB_OK(add_backend(in, "api", BGXDP_GREEN, "10.1.0.31:80", e));
	LIB_OK(set_health(in, "api", BGXDP_GREEN, "10.1.0.31:80", BACKEND_HEALTH_DOWN, e));
	state_read(skel, &before);
	assert_int_equal(bgx_share_set(in, "api", 10000, NULL, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "passes its health checks"));
	bgx_err_clear(&e);
	/* a color without backends gets no share */
	assert_int_equal(bgx_share_set(in, "api", 100, NULL, &e), -EINVAL);
	bgx_err_clear(&e);
	state_read(skel, &now);
	assert_true(state_equal(&before, &now));
	bgx_close(in);
	/* a reader cannot write */
	assert_int_equal(bgx_open(pin_dir, BGX_READ, &reader, &e), 0);
	assert_int_equal(bgx_share_set(reader, "web", 0, NULL, &e), -EBADF);
	bgx_close(reader);
	check_whole(skel);
	instance_down();
}

static int teardown(void **state)
{
	(void)state;
	instance_down();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_ordering_rules, teardown),
		cmocka_unit_test_teardown(test_kill_points, teardown),
		cmocka_unit_test_teardown(test_refusals_change_nothing, teardown),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_control_plane: needs root (BPF maps, bpffs)\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
