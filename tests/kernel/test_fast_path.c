/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_fast_path.c - the XDP fast path (`attach --fast-path`): after the
 * rewrite, a VIP packet the kernel would forward out of a `tx_ports`
 * interface is redirected there with new MACs and TTL - 1; everything
 * else goes up the stack (XDP_PASS) exactly as without the fast path.
 *
 * The test moves itself into a network namespace of its own (unshare),
 * where it makes a veth pair: fp_in receives the client frames
 * (BPF_PROG_TEST_RUN with ingress_ifindex), fp_out holds the routes and
 * static neighbours of the backends.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp.h"
#include "bgxdp.skel.h"
#include "helpers_frames.h"
#include "helpers_netdev.h"
#include "helpers_dp.h"
#include "helpers_lib.h"
#include "libbgxdp.h"

#define IN_DEV  "fp_in"
#define OUT_DEV "fp_out"
/* The backends' static neighbour entries: blue slot s has MAC
 * 02:00:00:00:be:Gs, G the generation of test_next_hop_change_followed. */
#define BACKEND_MAC_PREFIX "02:00:00:00:be:"
static int mac_generation;
/* Longer than NEXT_HOP_TTL_NS: every cached next hop is stale after it. */
#define AFTER_NEXT_HOP_TTL_US (2 * NEXT_HOP_TTL_NS / 1000)

static struct test_dp dp;
static char pin_dir[64];
static int xdp_fd;
static unsigned int in_ifindex, out_ifindex;
static uint8_t out_mac[6];

/* The fast path through the library, as `bgxdp attach --fast-path` sets
 * it: on with fp_out as its device, or off. */
static int set_fast_path(bool on)
{
	struct bgx_err e = { 0 };
	__u32 dev = out_ifindex;

	if (bgx_fast_path_set(pin_dir, &dev, on ? 1 : 0, &e)) {
		fprintf(stderr, "test_fast_path: %s\n", e.msg);
		return -1;
	}
	return 0;
}

/* The fast path on, fp_out listed or not (fp_in only: the FIB's answer,
 * fp_out, is then an interface the fast path may not redirect to). */
static int set_tx_port(bool listed)
{
	struct bgx_err e = { 0 };
	__u32 dev = listed ? out_ifindex : in_ifindex;

	if (bgx_fast_path_set(pin_dir, &dev, 1, &e)) {
		fprintf(stderr, "test_fast_path: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static int setup(void **state)
{
	(void)state;
	/* Our own namespace: nothing here touches the host's interfaces. */
	if (unshare(CLONE_NEWNET)) {
		perror("test_fast_path: unshare(CLONE_NEWNET)");
		return -1;
	}
	if (test_sh("ip link add " IN_DEV " type veth peer name " OUT_DEV) ||
	    test_sh("ip link set " IN_DEV " up && ip link set " OUT_DEV " up") ||
	    test_sh("ip addr add 192.168.1.1/24 dev " IN_DEV) ||
	    test_sh("ip addr add 10.1.0.1/24 dev " OUT_DEV) ||
	    test_sh("ip -6 addr add 2001:db8:ffff::1/64 dev " IN_DEV " nodad") ||
	    test_sh("ip -6 route add 2001:db8::100/120 dev " OUT_DEV) ||
	    test_sh("echo 1 > /proc/sys/net/ipv4/ip_forward") ||
	    test_sh("echo 1 > /proc/sys/net/ipv6/conf/all/forwarding"))
		return -1;
	for (int s = 0; s < TEST_BACKENDS; s++) {
		if (test_sh("ip neigh add 10.1.0.%d lladdr " BACKEND_MAC_PREFIX "0%d dev "
		       OUT_DEV " nud permanent", 10 + s, s) ||
		    test_sh("ip -6 neigh add 2001:db8::%x lladdr " BACKEND_MAC_PREFIX "0%d dev "
		       OUT_DEV " nud permanent", 0x10a + s, s))
			return -1;
	}
	in_ifindex = if_nametoindex(IN_DEV);
	out_ifindex = if_nametoindex(OUT_DEV);
	if (!in_ifindex || !out_ifindex || test_read_mac(OUT_DEV, out_mac)) {
		fprintf(stderr, "test_fast_path: cannot read the veth pair back\n");
		return -1;
	}

	test_dp_up(&dp);
	xdp_fd = dp.xdp_fd;
	/* bgx_fast_path_set() works on a pinned instance, as the CLI's. */
	if (lib_pin_maps(dp.skel->obj, "bgxfp", pin_dir, sizeof(pin_dir)) || set_fast_path(true)) {
		lib_unpin_maps(dp.skel->obj, pin_dir);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	lib_unpin_maps(dp.skel ? dp.skel->obj : NULL, pin_dir);
	if (dp.skel)
		test_dp_down(&dp);
	/* The namespace goes away with the process; the veth pair with it. */
	return 0;
}

/* A client -> VIP TCP frame arriving on fp_in. */
static size_t client_frame(int family, uint16_t sport, uint8_t ttl, uint8_t *buf)
{
	struct frame_spec s = { .family = family, .proto = IPPROTO_TCP,
				.sport = sport, .dport = TEST_VIP_PORT,
				.tcp_flags = 0x02, .payload_len = 11 };
	size_t len;

	if (family == 4)
		set_ipv4(s.src, 192, 168, 1, 2);
	else
		set_ipv6(s.src, 0xc1);
	test_vip_addr(family, s.dst);
	len = build_frame(&s, buf);
	if (ttl != 64) {
		size_t l3 = frame_l3_off(&s);

		if (family == 4) {
			/* Rebuild the header checksum for the new TTL. */
			uint32_t sum = 0;

			buf[l3 + 8] = ttl;
			buf[l3 + 10] = buf[l3 + 11] = 0;
			for (int i = 0; i < 20; i += 2)
				sum += (uint32_t)(buf[l3 + i] << 8 | buf[l3 + i + 1]);
			while (sum >> 16)
				sum = (sum & 0xffff) + (sum >> 16);
			buf[l3 + 10] = (uint8_t)(~sum >> 8);
			buf[l3 + 11] = (uint8_t)~sum;
		} else {
			buf[l3 + 7] = ttl;
		}
	}
	return len;
}

static uint32_t run_on_in(const uint8_t *in, size_t len, uint8_t *out, size_t *out_len)
{
	struct xdp_md ctx = { .data_end = (uint32_t)len, .ingress_ifindex = in_ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in, .data_size_in = (uint32_t)len,
		.data_out = out, .data_size_out = FRAME_MAX,
		.ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		.repeat = 1,
	);

	assert_int_equal(bpf_prog_test_run_opts(xdp_fd, &opts), 0);
	*out_len = opts.data_size_out;
	return opts.retval;
}

static void expect_redirected(int family)
{
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t len = client_frame(family, 41000 + family, 64, in), out_len;
	size_t l3 = 14;
	uint8_t backend_mac[6];

	assert_int_equal(run_on_in(in, len, out, &out_len), XDP_REDIRECT);
	assert_int_equal(out_len, len);
	/* Source MAC: fp_out's; destination: the chosen backend's neighbour. */
	assert_memory_equal(out + 6, out_mac, 6);
	if (family == 4) {
		assert_int_equal(out[l3 + 8], 63);                  /* TTL */
		assert_int_equal(out[l3 + 16], 10);                 /* 10.1.0.x */
		assert_int_equal(out[l3 + 17], 1);
		sscanf(BACKEND_MAC_PREFIX "00", "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx",
		       &backend_mac[0], &backend_mac[1], &backend_mac[2],
		       &backend_mac[3], &backend_mac[4], &backend_mac[5]);
		backend_mac[5] = (uint8_t)(mac_generation * 16 + out[l3 + 19] - 10);
	} else {
		assert_int_equal(out[l3 + 7], 63);                  /* hop limit */
		assert_int_equal(out[l3 + 24 + 14], 0x01);          /* 2001:db8::10x */
		sscanf(BACKEND_MAC_PREFIX "00", "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx",
		       &backend_mac[0], &backend_mac[1], &backend_mac[2],
		       &backend_mac[3], &backend_mac[4], &backend_mac[5]);
		backend_mac[5] = (uint8_t)(mac_generation * 16 + out[l3 + 24 + 15] - 0x0a);
	}
	assert_memory_equal(out, backend_mac, 6);
	assert_true(frame_checksums_ok(out, out_len));
}

static void test_redirect_ipv4(void **state)
{
	(void)state;
	expect_redirected(4);
}

static void test_redirect_ipv6(void **state)
{
	(void)state;
	expect_redirected(6);
}

/* A VIP packet that must go up the stack: rewritten to its backend as
 * always, but MACs and TTL untouched. */
static void expect_passed_rewritten(int family, uint16_t sport, uint8_t ttl)
{
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t len = client_frame(family, sport, ttl, in), out_len;

	assert_int_equal(run_on_in(in, len, out, &out_len), XDP_PASS);
	assert_int_equal(out_len, len);
	assert_memory_equal(out, in, 12);                       /* MACs */
	assert_int_equal(out[14 + (family == 4 ? 8 : 7)], ttl);
	if (family == 4)
		assert_int_equal(out[14 + 17], 1);              /* 10.1.0.x */
	else
		assert_int_equal(out[14 + 24 + 14], 0x01);
	assert_true(frame_checksums_ok(out, out_len));
}

static void test_off_passes(void **state)
{
	(void)state;
	assert_int_equal(set_fast_path(false), 0);
	expect_passed_rewritten(4, 42001, 64);
	expect_passed_rewritten(6, 42002, 64);
	assert_int_equal(set_fast_path(true), 0);
}

static void test_unlisted_interface_passes(void **state)
{
	(void)state;
	assert_int_equal(set_tx_port(false), 0);
	expect_passed_rewritten(4, 42003, 64);
	expect_passed_rewritten(6, 42004, 64);
	assert_int_equal(set_tx_port(true), 0);
}

/* TTL 1: the stack must see it to send the ICMP time-exceeded. */
static void test_expiring_ttl_passes(void **state)
{
	(void)state;
	expect_passed_rewritten(4, 42005, 1);
	expect_passed_rewritten(6, 42006, 1);
}

/* A backend's next hop changes (new MAC): the fast path follows once its
 * cached entry is older than NEXT_HOP_TTL_NS. */
static void test_next_hop_change_followed(void **state)
{
	(void)state;
	mac_generation = 1;
	for (int s = 0; s < TEST_BACKENDS; s++) {
		assert_int_equal(test_sh("ip neigh change 10.1.0.%d lladdr " BACKEND_MAC_PREFIX "1%d dev "
				    OUT_DEV " nud permanent", 10 + s, s), 0);
		assert_int_equal(test_sh("ip -6 neigh change 2001:db8::%x lladdr " BACKEND_MAC_PREFIX
				    "1%d dev " OUT_DEV " nud permanent", 0x10a + s, s), 0);
	}
	usleep(AFTER_NEXT_HOP_TTL_US);
	expect_redirected(4);
	expect_redirected(6);
}

/* No neighbour entry yet: the stack resolves it (once the cached next hop
 * has expired). */
static void test_unresolved_neighbour_passes(void **state)
{
	(void)state;
	for (int s = 0; s < TEST_BACKENDS; s++) {
		assert_int_equal(test_sh("ip neigh del 10.1.0.%d dev " OUT_DEV, 10 + s), 0);
		assert_int_equal(test_sh("ip -6 neigh del 2001:db8::%x dev " OUT_DEV, 0x10a + s), 0);
	}
	usleep(AFTER_NEXT_HOP_TTL_US);
	expect_passed_rewritten(4, 42007, 64);
	expect_passed_rewritten(6, 42008, 64);
}

/* Not for a VIP: byte-identical XDP_PASS, fast path or not. */
static void test_non_vip_untouched(void **state)
{
	struct frame_spec s = { .family = 4, .proto = IPPROTO_TCP, .sport = 1234,
				.dport = 80, .tcp_flags = 0x02, .payload_len = 5 };
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t len, out_len;

	(void)state;
	set_ipv4(s.src, 192, 168, 1, 2);
	set_ipv4(s.dst, 10, 1, 0, 10);          /* a backend, straight */
	len = build_frame(&s, in);
	assert_int_equal(run_on_in(in, len, out, &out_len), XDP_PASS);
	assert_int_equal(out_len, len);
	assert_memory_equal(out, in, len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redirect_ipv4),
		cmocka_unit_test(test_redirect_ipv6),
		cmocka_unit_test(test_off_passes),
		cmocka_unit_test(test_unlisted_interface_passes),
		cmocka_unit_test(test_expiring_ttl_passes),
		cmocka_unit_test(test_non_vip_untouched),
		cmocka_unit_test(test_next_hop_change_followed),
		cmocka_unit_test(test_unresolved_neighbour_passes),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_fast_path: needs root (netns, BPF); not run\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
