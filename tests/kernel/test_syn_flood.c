/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_syn_flood.c - a flood of spoofed SYNs through BPF_PROG_TEST_RUN
 * (millions of distinct sources, bounded in time) after a flip: every
 * established flow keeps its entry and its backend, the flood is counted as
 * half-open entries displaced, and a real new connection still completes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp.h"
#include "bgxdp.skel.h"
#include "helpers_frames.h"
#include "helpers_dp.h"
#include "helpers_fixture.h"
#include "helpers_flow.h"

/* The flood: this many spoofed SYNs, or as many as fit in the time. */
#define FLOOD_SYNS      2000000
#define FLOOD_SECONDS   60
#define ESTABLISHED     500

/* Each established flow's backend, as picked before the flip. */
static struct backend picked[ESTABLISHED];

/* n bare SYNs to the IPv4 VIP from distinct spoofed sources (172.16.0.0/12
 * and every port), at most `seconds` long.  Returns how many were sent. */
static long syn_flood(long n, double seconds)
{
	struct frame_spec s = test_client(4, IPPROTO_TCP, 1);
	uint8_t frame[FRAME_MAX];
	size_t len, l3 = frame_l3_off(&s), l4 = frame_l4_off(&s);
	uint64_t start = test_now_ns();
	long i;

	s.payload_len = 0;
	len = build_frame(&s, frame);
	for (i = 0; i < n; i++) {
		uint32_t id = (uint32_t)i + 1;
		LIBBPF_OPTS(bpf_test_run_opts, opts,
			.data_in = frame,
			.data_size_in = (uint32_t)len,
			.repeat = 1,
		);

		/* Checksums left stale: the data plane never verifies them. */
		frame[l3 + 12] = 172;
		frame[l3 + 13] = (uint8_t)(16 | (id >> 24 & 0x0f));
		frame[l3 + 14] = (uint8_t)(id >> 16);
		frame[l3 + 15] = (uint8_t)(id >> 8);
		frame[l4] = (uint8_t)id;
		frame[l4 + 1] = (uint8_t)(id >> 20);
		if (bpf_prog_test_run_opts(xdp_fd, &opts))
			break;
		if ((i & 0xffff) == 0 && (test_now_ns() - start) / 1e9 > seconds)
			break;
	}
	return i;
}

/*
 * ESTABLISHED connections (real handshakes, IPv4 and IPv6), a flip to
 * green, then FLOOD_SYNS spoofed SYNs, many times what the half-open table
 * holds: every established entry is still in `flows` with its blue
 * backend, its next packet goes there and is not counted lost, the flood
 * is counted in halfopen_evicted, and a real new connection still
 * completes (on green).
 */
static void test_flood_keeps_established(void **state)
{
	long capacity = (long)bpf_map__max_entries(skel->maps.halfopen) * HALFOPEN_WAYS;
	struct color_counters before[4], after[4];
	struct frame_spec s;
	struct backend b;
	uint32_t c, slot;
	long sent, evicted = 0, lost = 0;
	/* (service, color) slots: IPv4 blue, green, IPv6 blue, green */
	const __u32 slots[4] = {
		color_index(test_svc(&dp, 4, IPPROTO_TCP), BGXDP_BLUE),
		color_index(test_svc(&dp, 4, IPPROTO_TCP), BGXDP_GREEN),
		color_index(test_svc(&dp, 6, IPPROTO_TCP), BGXDP_BLUE),
		color_index(test_svc(&dp, 6, IPPROTO_TCP), BGXDP_GREEN),
	};

	(void)state;
	for (int i = 0; i < ESTABLISHED; i++) {
		s = test_client(i % 2 ? 6 : 4, IPPROTO_TCP, (uint16_t)(20000 + i));
		test_expected_backend(skel, &s, &picked[i], &c, &slot);
		assert_int_equal(c, BGXDP_BLUE);
		assert_int_equal(test_handshake(skel, xdp_fd, tc_fd, &s, &picked[i],
						(uint32_t)(1000 + i)), 0);
	}
	for (int i = 0; i < 4; i++)
		sum_color(skel, slots[i], &before[i]);
	test_share(&dp, 4, IPPROTO_TCP, BGXDP_SHARE_SCALE);
	test_share(&dp, 6, IPPROTO_TCP, BGXDP_SHARE_SCALE);

	sent = syn_flood(FLOOD_SYNS, FLOOD_SECONDS);
	print_message("flood: %ld spoofed SYNs, half-open table of %ld entries\n",
		      sent, capacity);
	assert_true(sent > 4 * capacity);

	for (int i = 0; i < 4; i++) {
		sum_color(skel, slots[i], &after[i]);
		evicted += (long)(after[i].halfopen_evicted - before[i].halfopen_evicted);
	}
	print_message("flood: %ld live half-open entries displaced\n", evicted);
	assert_true(evicted >= sent - capacity);

	for (int i = 0; i < ESTABLISHED; i++) {
		struct flow_value fv;

		s = test_client(i % 2 ? 6 : 4, IPPROTO_TCP, (uint16_t)(20000 + i));
		assert_true(test_in_flows(skel, &s, &fv));
		assert_int_equal(fv.color, BGXDP_BLUE);
		s.tcp_flags = TCP_ACK;
		s.ack = (uint32_t)(1000 + i) + 1;
		test_expect_to(xdp_fd, &s, &picked[i]);
	}
	for (int i = 0; i < 4; i++) {
		sum_color(skel, slots[i], &after[i]);
		lost += (long)(after[i].flows_lost - before[i].flows_lost);
	}
	assert_int_equal(lost, 0);
	print_message("flood: all %d established flows kept their blue backend\n",
		      ESTABLISHED);

	s = test_client(4, IPPROTO_TCP, 30000);
	test_expected_backend(skel, &s, &b, &c, &slot);
	assert_int_equal(c, BGXDP_GREEN);
	assert_int_equal(test_handshake(skel, xdp_fd, tc_fd, &s, &b, 42), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flood_keeps_established, dp_fixture_setup, dp_fixture_teardown),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_syn_flood: needs root for BPF_PROG_TEST_RUN; skipping\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
