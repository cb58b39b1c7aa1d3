/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * helpers_dp.h - the data plane loaded in the test process and configured
 * through the control-plane library, as an operator configures it; running
 * programs over frames; counters.
 */
#ifndef BGXDP_HELPERS_DP_H
#define BGXDP_HELPERS_DP_H

#include <stdint.h>
#include <stddef.h>
#include "bgxdp.h"

struct bgxdp;
struct bgx_instance;

/*
 * The test services, one per family and protocol, VIP port 80:
 *   web4   TCP 10.0.0.1:80, preview 10.0.0.1:8443    web4u  UDP 10.0.0.1:80
 *   web6   TCP [2001:db8::1]:80                      web6u  UDP [2001:db8::1]:80
 * each with TEST_BACKENDS blue and TEST_BACKENDS green backends of its
 * family (test_backend()), weight 1; all new flows to blue.
 */
#define TEST_VIP_PORT 80
#define TEST_PREVIEW_PORT 8443
#define TEST_BACKENDS 2

struct test_dp {
	struct bgxdp *skel;
	struct bgx_instance *in;        /* bgx_open_object() over skel */
	int xdp_fd, tc_fd;
	__u32 svc[2][2];                /* [IPv6?][UDP?]: the service's id */
};

/* Load the data plane and add the test services (cmocka assertions). */
void test_dp_up(struct test_dp *dp);
void test_dp_down(struct test_dp *dp);

/* The service of a family (4 or 6) and protocol: its name, its id. */
const char *test_svc_name(int family, int proto);
__u32 test_svc(const struct test_dp *dp, int family, int proto);
/* Green's share of new flows of one service / of every test service. */
void test_share(struct test_dp *dp, int family, int proto, __u32 green_bp);
void test_share_all(struct test_dp *dp, __u32 green_bp);

void test_vip_addr(int family, uint8_t addr[16]);
/* Backend n (0..TEST_BACKENDS-1) of `color` in the services of `family`;
 * test_dp_up() checks that the library gave it slot n. */
void test_backend(int family, int color, int n, struct backend *b);

/* Run a program over a frame: retval, output in out/out_len. */
int run_prog(int prog_fd, const uint8_t *in, size_t len, uint8_t *out,
	     size_t *out_len, uint32_t *retval);

/* Per-CPU counters summed over all CPUs. */
uint64_t sum_passed(struct bgxdp *skel, uint32_t reason);
void sum_color(struct bgxdp *skel, uint32_t idx, struct color_counters *out);
void sum_backend(struct bgxdp *skel, uint32_t idx, struct backend_counters *out);
void sum_connect(struct bgxdp *skel, uint32_t idx, struct backend_connect *out);

#endif
