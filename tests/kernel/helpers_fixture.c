// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* helpers_fixture.c - see helpers_fixture.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "helpers_fixture.h"

struct test_dp dp;
struct bgxdp *skel;
int xdp_fd, tc_fd;

int dp_fixture_setup(void **state)
{
	(void)state;
	test_dp_up(&dp);
	skel = dp.skel;
	xdp_fd = dp.xdp_fd;
	tc_fd = dp.tc_fd;
	return 0;
}

int dp_fixture_teardown(void **state)
{
	(void)state;
	test_dp_down(&dp);
	skel = NULL;
	return 0;
}
