/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * helpers_fixture.h - one loaded data plane per test, for the packet tests
 * that share it: test_dp_up() before each test (the test services added
 * through the library), test_dp_down() after.  The test file reaches it
 * through these globals, which are valid between the two.
 */
#ifndef BGXDP_HELPERS_FIXTURE_H
#define BGXDP_HELPERS_FIXTURE_H

#include "helpers_dp.h"

extern struct test_dp dp;
extern struct bgxdp *skel;              /* dp.skel */
extern int xdp_fd, tc_fd;               /* dp.xdp_fd, dp.tc_fd */

/* cmocka setup and teardown of each test. */
int dp_fixture_setup(void **state);
int dp_fixture_teardown(void **state);

#endif
