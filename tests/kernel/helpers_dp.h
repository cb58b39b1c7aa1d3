/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* helpers_dp.h - loading the data plane and populating its maps in tests. */
#ifndef BGXDP_HELPERS_DP_H
#define BGXDP_HELPERS_DP_H

#include <stdint.h>
#include <stddef.h>
#include "bgxdp.h"

struct bgxdp;

/* Services the tests configure: one IPv4, one IPv6 (TCP and UDP VIPs each,
 * port 80), two backends per color. */
#define SVC4 0
#define SVC6 1
#define TEST_VIP_PORT 80
#define TEST_BACKENDS 2

void test_vip_addr(int family, uint8_t addr[16]);
void test_backend(int family, int color, int slot, struct backend *b);
/* Writes services, backends, both ring buffers of both colors (slot i ->
 * backend i % TEST_BACKENDS, or the `alt` layout i -> (i+1) % 2 for
 * buffer 1) and the config word. */
int test_populate(struct bgxdp *skel, uint64_t word);
uint64_t test_word(uint32_t green_share);
/* Set the vip_filter bit of a VIP added by hand (as `service add` does). */
int test_filter_add(struct bgxdp *skel, const struct vip_key *vk);
int test_set_word(struct bgxdp *skel, uint32_t svc, uint64_t word);
/* Backend slot that ring `buffer` holds at ring slot `rs`. */
uint32_t test_ring_backend(uint32_t buffer, uint32_t rs);

/* Run a program over a frame: retval, output in out/out_len. */
int run_prog(int prog_fd, const uint8_t *in, size_t len, uint8_t *out,
	     size_t *out_len, uint32_t *retval);

/* Per-CPU counters summed over all CPUs. */
uint64_t sum_passed(struct bgxdp *skel, uint32_t reason);
void sum_color(struct bgxdp *skel, uint32_t idx, struct color_counters *out);
void sum_backend(struct bgxdp *skel, uint32_t idx, struct backend_counters *out);
void sum_connect(struct bgxdp *skel, uint32_t idx, struct backend_connect *out);

#endif
