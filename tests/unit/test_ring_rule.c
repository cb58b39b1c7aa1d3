// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The one rule of which backends take new flows (libbgxdp.h): admin state
 * and health, and a service whose checks would leave it with no backend
 * fails open.  A health-down backend keeps its slot, so the other backends'
 * ring slots stay where they were when it leaves (Maglev's minimal
 * disruption, seen through the rule).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "libbgxdp.h"
#include "maglev.h"

static struct backend blue[BGXDP_MAX_BACKENDS], green[BGXDP_MAX_BACKENDS];

static void add(struct backend *bk, unsigned slot, __u8 state, __u8 health)
{
	bk[slot] = (struct backend){ .addr = { 10, 1, 0, (__u8)(slot + 1) },
				     .port = htons(8080), .family = BGXDP_FAMILY_IPV4,
				     .state = state, .weight = 1, .health = health };
}

static int setup(void **state)
{
	(void)state;
	memset(blue, 0, sizeof(blue));
	memset(green, 0, sizeof(green));
	return 0;
}

static void test_admin_and_health(void **state)
{
	(void)state;
	add(blue, 0, BACKEND_UP, BACKEND_HEALTH_NONE);
	add(blue, 1, BACKEND_UP, BACKEND_HEALTH_UP);
	add(blue, 2, BACKEND_UP, BACKEND_HEALTH_DOWN);
	add(blue, 3, BACKEND_UP, BACKEND_HEALTH_PENDING);
	add(blue, 4, BACKEND_DRAIN, BACKEND_HEALTH_UP);
	add(blue, 5, BACKEND_DOWN, BACKEND_HEALTH_UP);
	assert_false(bgx_health_fails_open(blue, green));
	assert_true(bgx_backend_takes_flows(&blue[0], false));
	assert_true(bgx_backend_takes_flows(&blue[1], false));
	assert_false(bgx_backend_takes_flows(&blue[2], false));
	assert_false(bgx_backend_takes_flows(&blue[3], false));
	/* drain and maintenance beat a passing check */
	assert_false(bgx_backend_takes_flows(&blue[4], false));
	assert_false(bgx_backend_takes_flows(&blue[5], false));
	assert_false(bgx_backend_takes_flows(&blue[4], true));
}

static void test_fail_open_needs_both_colors_empty(void **state)
{
	(void)state;
	add(blue, 0, BACKEND_UP, BACKEND_HEALTH_DOWN);
	add(green, 0, BACKEND_UP, BACKEND_HEALTH_UP);
	/* green serves: blue's failing backend stays out (failover, not fail open) */
	assert_false(bgx_health_fails_open(blue, green));
	add(green, 0, BACKEND_UP, BACKEND_HEALTH_DOWN);
	add(green, 1, BACKEND_DRAIN, BACKEND_HEALTH_UP);
	/* nothing serves: health is ignored, admin state still counts */
	assert_true(bgx_health_fails_open(blue, green));
	assert_true(bgx_backend_takes_flows(&blue[0], true));
	assert_true(bgx_backend_takes_flows(&green[0], true));
	assert_false(bgx_backend_takes_flows(&green[1], true));
	/* no backend admin up at all: nothing to open */
	memset(blue, 0, sizeof(blue));
	add(green, 0, BACKEND_DOWN, BACKEND_HEALTH_DOWN);
	assert_false(bgx_health_fails_open(blue, green));
	memset(green, 0, sizeof(green));
	assert_false(bgx_health_fails_open(blue, green));
}

static void test_members_and_ring(void **state)
{
	struct backend members[BGXDP_MAX_BACKENDS];
	struct maglev_ring *all = calloc(1, sizeof(*all)), *without = calloc(1, sizeof(*without));
	unsigned moved = 0;

	(void)state;
	for (unsigned s = 0; s < 4; s++)
		add(blue, s, BACKEND_UP, BACKEND_HEALTH_UP);
	bgx_ring_members(blue, false, members);
	assert_int_equal(maglev_build(members, BGXDP_MAX_BACKENDS, all), 4);
	blue[2].health = BACKEND_HEALTH_DOWN;
	bgx_ring_members(blue, false, members);
	assert_int_equal(maglev_build(members, BGXDP_MAX_BACKENDS, without), 3);
	/* the failing backend's slots moved to the others; theirs (nearly) all
	 * stayed where they were: Maglev moves under 1 % of the others */
	for (unsigned i = 0; i < BGXDP_RING_SIZE; i++) {
		assert_int_not_equal(without->slots[i], 2);
		if (all->slots[i] != without->slots[i] && all->slots[i] != 2)
			moved++;
	}
	if (moved > BGXDP_RING_SIZE / 100)
		fail_msg("%u ring slots of healthy backends moved", moved);
	/* failing open: the members are the admin-up backends, health cleared */
	bgx_ring_members(blue, true, members);
	assert_int_equal(members[2].health, BACKEND_HEALTH_NONE);
	assert_int_equal(maglev_build(members, BGXDP_MAX_BACKENDS, without), 4);
	assert_memory_equal(all->slots, without->slots, sizeof(all->slots));
	/* the input is not touched */
	assert_int_equal(blue[2].health, BACKEND_HEALTH_DOWN);
	free(all);
	free(without);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_admin_and_health, setup),
		cmocka_unit_test_setup(test_fail_open_needs_both_colors_empty, setup),
		cmocka_unit_test_setup(test_members_and_ring, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
