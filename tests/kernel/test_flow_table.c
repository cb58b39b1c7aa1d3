/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_flow_table.c - the two flow tables, with BPF_PROG_TEST_RUN: a new
 * flow lives only in `halfopen` until it proves real (the client's ACK of
 * the backend's SYN-ACK; for UDP or a lost entry, an answer from the
 * backend), then in `flows`; the choice made at the SYN holds across a
 * flip; a flood of spoofed SYNs (millions of distinct sources) evicts no
 * established flow; FIN/RST and idle timeouts in both tables.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp.h"
#include "bgxdp_hash.h"
#include "bgxdp.skel.h"
#include "helpers_frames.h"
#include "helpers_dp.h"
#include "helpers_fixture.h"
#include "helpers_flow.h"
#include "helpers_lib.h"


/* A SYN creates a half-open entry and nothing in `flows`; the entry holds
 * the pick and the time of the SYN. */
static void test_syn_only_halfopen(void **state)
{
	(void)state;
	for (int f = 4; f <= 6; f += 2) {
		struct frame_spec s = test_client(f, IPPROTO_TCP, 1000);
		struct color_counters cc;
		struct halfopen_value hv;
		struct backend b;
		uint32_t c, slot;
		uint64_t t0, t1;

		test_expected_backend(skel, &s, &b, &c, &slot);
		t0 = test_now_ns();
		test_expect_to(xdp_fd, &s, &b);
		t1 = test_now_ns();
		assert_false(test_in_flows(skel, &s, NULL));
		assert_true(test_in_halfopen(skel, &s, &hv));
		assert_int_equal(hv.flags, HALFOPEN_SYN);
		assert_true(hv.created_ns >= t0 && hv.created_ns <= t1);
		assert_memory_equal(hv.flow.backend, b.addr, 16);
		assert_int_equal(hv.flow.backend_port, b.port);
		assert_int_equal(hv.flow.color, c);
		assert_int_equal(hv.flow.backend_slot, slot);
		assert_int_equal(hv.flow.state, FLOW_OPEN);
		sum_color(skel, color_index(test_svc(&dp, f, IPPROTO_TCP), c), &cc);
		assert_int_equal(cc.flows_created, 1);
		assert_int_equal(cc.syns_to_backend, 1);
		assert_int_equal(cc.flows_promoted, 0);
	}
}

/* The client's ACK of the backend's SYN-ACK promotes the flow; an ACK
 * with another acknowledgment number (what a spoofing sender would send)
 * does not, but still goes to the SYN's backend. */
static void test_ack_promotes(void **state)
{
	(void)state;
	for (int f = 4; f <= 6; f += 2) {
		struct frame_spec s = test_client(f, IPPROTO_TCP, 1001), r;
		struct color_counters cc;
		struct halfopen_value hv;
		struct flow_value fv;
		struct backend b;
		uint32_t c, slot;

		test_expected_backend(skel, &s, &b, &c, &slot);
		test_expect_to(xdp_fd, &s, &b);
		r = test_reply(&s, &b, TCP_SYN | TCP_ACK);
		r.seq = 0xfffffff0;             /* + 1 must wrap as TCP does */
		test_expect_reply(tc_fd, &r, &s);
		assert_true(test_in_halfopen(skel, &s, &hv));
		assert_int_equal(hv.flags, HALFOPEN_SYN | HALFOPEN_SYNACK);
		assert_int_equal(ntohl(hv.expected_ack), 0xfffffff1);

		s.tcp_flags = TCP_ACK;
		s.ack = 0xfffffff2;
		test_expect_to(xdp_fd, &s, &b);
		assert_false(test_in_flows(skel, &s, NULL));
		assert_true(test_in_halfopen(skel, &s, NULL));

		s.ack = 0xfffffff1;
		test_expect_to(xdp_fd, &s, &b);
		assert_true(test_in_flows(skel, &s, &fv));
		assert_false(test_in_halfopen(skel, &s, NULL));
		assert_memory_equal(fv.backend, b.addr, 16);
		assert_int_equal(fv.backend_port, b.port);
		assert_int_equal(fv.color, c);
		assert_int_equal(fv.backend_slot, slot);
		assert_int_equal(fv.state, FLOW_OPEN);
		sum_color(skel, color_index(test_svc(&dp, f, IPPROTO_TCP), c), &cc);
		assert_int_equal(cc.flows_promoted, 1);
		test_expect_to(xdp_fd, &s, &b);              /* established from now on */
		assert_true(test_in_flows(skel, &s, NULL));
	}
}

/* A flip between the SYN and the ACK: the ACK goes where the SYN went
 * (blue), and the promoted flow keeps it; a new SYN goes green, to the
 * ring green's live buffer holds (a green backend was drained before the
 * flip, so the inactive buffer still holds the ring with it). */
static void test_flip_between_syn_and_ack(void **state)
{
	struct frame_spec s = test_client(4, IPPROTO_TCP, 1002), n, r;
	struct backend blue, green;
	struct endpoint drained;
	struct flow_value fv;
	uint32_t c, slot;

	(void)state;
	test_expected_backend(skel, &s, &blue, &c, &slot);
	assert_int_equal(c, BGXDP_BLUE);
	test_expect_to(xdp_fd, &s, &blue);
	test_backend(4, BGXDP_GREEN, 1, &green);
	drained = lib_endpoint_of(&green);
	lib_backend_state(dp.in, test_svc_name(4, IPPROTO_TCP), BGXDP_GREEN, &drained,
			  BACKEND_DRAIN);
	test_share(&dp, 4, IPPROTO_TCP, BGXDP_SHARE_SCALE);
	r = test_reply(&s, &blue, TCP_SYN | TCP_ACK);
	r.seq = 5;
	test_expect_reply(tc_fd, &r, &s);
	s.tcp_flags = TCP_ACK;
	s.ack = 6;
	test_expect_to(xdp_fd, &s, &blue);
	assert_true(test_in_flows(skel, &s, &fv));
	assert_int_equal(fv.color, BGXDP_BLUE);
	assert_memory_equal(fv.backend, blue.addr, 16);
	s.tcp_flags = TCP_ACK | TCP_FIN;
	test_expect_to(xdp_fd, &s, &blue);

	n = test_client(4, IPPROTO_TCP, 1003);
	n.sport = test_port_telling_buffers(skel, &n);
	test_expected_backend(skel, &n, &green, &c, &slot);
	assert_int_equal(c, BGXDP_GREEN);
	assert_int_equal(slot, 0);                      /* 1 is drained */
	test_expect_to(xdp_fd, &n, &green);
}

/* UDP: promoted by the first client datagram after the backend answered
 * (conntrack's ASSURED); before that it stays half-open, same backend. */
static void test_udp_promotion(void **state)
{
	(void)state;
	for (int f = 4; f <= 6; f += 2) {
		struct frame_spec u = test_client(f, IPPROTO_UDP, 5300), r;
		struct halfopen_value hv;
		struct backend b;
		uint32_t c, slot;

		test_expected_backend(skel, &u, &b, &c, &slot);
		test_expect_to(xdp_fd, &u, &b);
		test_expect_to(xdp_fd, &u, &b);              /* no answer yet */
		assert_true(test_in_halfopen(skel, &u, &hv));
		assert_int_equal(hv.flags, 0);
		r = test_reply(&u, &b, 0);
		test_expect_reply(tc_fd, &r, &u);
		assert_true(test_in_halfopen(skel, &u, &hv));
		assert_int_equal(hv.flags, HALFOPEN_REPLY);
		assert_false(test_in_flows(skel, &u, NULL));
		test_expect_to(xdp_fd, &u, &b);
		assert_true(test_in_flows(skel, &u, NULL));
		assert_false(test_in_halfopen(skel, &u, NULL));
	}
}

/* A mid-stream packet with no entry at all (evicted, idled out, or a
 * spoofed ACK) is picked again, counted lost, and kept half-open; a RST
 * from the backend (it does not know the connection) promotes nothing, an
 * answer (it does) lets the client's next packet promote the flow. */
static void test_lost_entry_recovers(void **state)
{
	struct frame_spec s = test_client(4, IPPROTO_TCP, 1004), r;
	struct color_counters before, after;
	struct backend_counters bc;
	struct halfopen_value hv;
	struct backend b;
	uint32_t c, slot;

	(void)state;
	s.tcp_flags = TCP_ACK;
	s.ack = 777;
	test_expected_backend(skel, &s, &b, &c, &slot);
	sum_color(skel, color_index(test_svc(&dp, 4, IPPROTO_TCP), c), &before);
	test_expect_to(xdp_fd, &s, &b);
	sum_color(skel, color_index(test_svc(&dp, 4, IPPROTO_TCP), c), &after);
	assert_int_equal(after.flows_lost - before.flows_lost, 1);
	assert_true(test_in_halfopen(skel, &s, &hv));
	assert_int_equal(hv.flags, 0);

	r = test_reply(&s, &b, TCP_RST | TCP_ACK);
	test_expect_reply(tc_fd, &r, &s);
	sum_backend(skel, backend_index(test_svc(&dp, 4, IPPROTO_TCP), c, slot), &bc);
	assert_int_equal(bc.resets, 1);
	test_expect_to(xdp_fd, &s, &b);
	assert_false(test_in_flows(skel, &s, NULL));

	r = test_reply(&s, &b, TCP_ACK);
	r.payload_len = 100;
	test_expect_reply(tc_fd, &r, &s);
	test_expect_to(xdp_fd, &s, &b);
	assert_true(test_in_flows(skel, &s, NULL));
	assert_false(test_in_halfopen(skel, &s, NULL));
	sum_color(skel, color_index(test_svc(&dp, 4, IPPROTO_TCP), c), &after);
	assert_int_equal(after.flows_lost - before.flows_lost, 1);
}

/* RST and FIN in both tables: closing, the same backend until a new SYN
 * on the port, which picks again (and leaves `flows`). */
static void test_rst_fin_both_tables(void **state)
{
	struct frame_spec s = test_client(6, IPPROTO_TCP, 1005);
	struct halfopen_value hv;
	struct flow_value fv;
	struct backend blue, green;
	uint32_t c, slot;

	(void)state;
	test_expected_backend(skel, &s, &blue, &c, &slot);
	test_expect_to(xdp_fd, &s, &blue);
	s.tcp_flags = TCP_RST;
	test_expect_to(xdp_fd, &s, &blue);
	assert_true(test_in_halfopen(skel, &s, &hv));
	assert_int_equal(hv.flow.state, FLOW_CLOSING);
	s.tcp_flags = TCP_ACK;                  /* closing still forwards */
	test_expect_to(xdp_fd, &s, &blue);
	/* A new SYN on the closing half-open flow picks again (green now). */
	test_share(&dp, 6, IPPROTO_TCP, BGXDP_SHARE_SCALE);
	s.tcp_flags = TCP_SYN;
	test_expected_backend(skel, &s, &green, &c, &slot);
	test_expect_to(xdp_fd, &s, &green);
	assert_true(test_in_halfopen(skel, &s, &hv));
	assert_int_equal(hv.flow.state, FLOW_OPEN);
	assert_int_equal(hv.flow.color, BGXDP_GREEN);

	/* Established: FIN closes it; a SYN picks again, half-open, and the
	 * closing entry leaves `flows`. */
	assert_int_equal(test_handshake(skel, xdp_fd, tc_fd, &s, &green, 99), 0);
	s.tcp_flags = TCP_FIN | TCP_ACK;
	test_expect_to(xdp_fd, &s, &green);
	assert_true(test_in_flows(skel, &s, &fv));
	assert_int_equal(fv.state, FLOW_CLOSING);
	test_share(&dp, 6, IPPROTO_TCP, 0);
	s.tcp_flags = TCP_SYN;
	s.ack = 0;
	test_expected_backend(skel, &s, &blue, &c, &slot);
	test_expect_to(xdp_fd, &s, &blue);
	assert_false(test_in_flows(skel, &s, NULL));
	assert_true(test_in_halfopen(skel, &s, &hv));
	assert_int_equal(hv.flow.color, BGXDP_BLUE);
}

/* Age an entry of the half-open table by `ns`. */
static void age_halfopen(const struct frame_spec *s, uint64_t ns)
{
	struct halfopen_value hv;
	struct flow_key k;

	test_flow_key(s, &k);
	assert_int_equal(test_halfopen_get(skel, &k, &hv), 0);
	hv.flow.last_seen_ns = test_now_ns() - ns;
	assert_int_equal(test_halfopen_put(skel, &k, &hv), 0);
}

/* Idle timeouts of the half-open table: an open TCP handshake after
 * HALFOPEN_TCP_IDLE_NS, a closing one after FLOW_TCP_CLOSING_NS, UDP after
 * FLOW_UDP_IDLE_NS: the next packet picks again (green after a flip). */
static void test_halfopen_idle_timeouts(void **state)
{
	const uint64_t over = 2000000000ull;
	struct frame_spec flows[3] = {
		test_client(4, IPPROTO_TCP, 1006),
		test_client(4, IPPROTO_TCP, 1007),      /* closed by a FIN */
		test_client(6, IPPROTO_UDP, 1008),
	};
	const uint64_t idle[3] = { HALFOPEN_TCP_IDLE_NS, FLOW_TCP_CLOSING_NS, FLOW_UDP_IDLE_NS };
	struct backend first[3], green;
	uint32_t c, slot;

	(void)state;
	for (int i = 0; i < 3; i++) {
		test_expected_backend(skel, &flows[i], &first[i], &c, &slot);
		assert_int_equal(c, BGXDP_BLUE);
		test_expect_to(xdp_fd, &flows[i], &first[i]);
	}
	flows[1].tcp_flags = TCP_FIN | TCP_ACK;
	test_expect_to(xdp_fd, &flows[1], &first[1]);
	test_share(&dp, 4, IPPROTO_TCP, BGXDP_SHARE_SCALE);
	test_share(&dp, 6, IPPROTO_UDP, BGXDP_SHARE_SCALE);

	/* Just under the timeouts: still the first pick. */
	flows[0].tcp_flags = TCP_ACK;
	flows[1].tcp_flags = TCP_ACK;
	for (int i = 0; i < 3; i++) {
		age_halfopen(&flows[i], idle[i] - over);
		test_expect_to(xdp_fd, &flows[i], &first[i]);
	}
	/* Past them: picked again. */
	for (int i = 0; i < 3; i++) {
		age_halfopen(&flows[i], idle[i] + over);
		test_expected_backend(skel, &flows[i], &green, &c, &slot);
		assert_int_equal(c, BGXDP_GREEN);
		test_expect_to(xdp_fd, &flows[i], &green);
	}
}

/* An established flow idle past FLOW_TCP_IDLE_NS: picked again, half-open,
 * and its stale entry leaves `flows`. */
static void test_established_idle_timeout(void **state)
{
	struct frame_spec s = test_client(4, IPPROTO_TCP, 1009);
	struct backend blue, green;
	struct flow_value fv;
	struct flow_key k;
	uint32_t c, slot;

	(void)state;
	test_expected_backend(skel, &s, &blue, &c, &slot);
	assert_int_equal(test_handshake(skel, xdp_fd, tc_fd, &s, &blue, 1), 0);
	test_flow_key(&s, &k);
	assert_int_equal(test_flows_get(skel, &k, &fv), 0);
	/* idle that long: its clock set back (flow state, not configuration) */
	fv.last_seen_ns = test_now_ns() - FLOW_TCP_IDLE_NS - 2000000000ull;
	assert_int_equal(bpf_map__update_elem(skel->maps.flows, &k, sizeof(k), &fv,
					      sizeof(fv), 0), 0);
	test_share(&dp, 4, IPPROTO_TCP, BGXDP_SHARE_SCALE);
	s.tcp_flags = TCP_ACK;
	s.ack = 2;
	test_expected_backend(skel, &s, &green, &c, &slot);
	assert_int_equal(c, BGXDP_GREEN);
	test_expect_to(xdp_fd, &s, &green);
	assert_false(test_in_flows(skel, &s, NULL));
	assert_true(test_in_halfopen(skel, &s, NULL));
}

/* A client port with a half-open VIP flow to backend B, reused for a SYN
 * straight to B: the half-open flow is dropped, so B's replies to the
 * direct connection are not rewritten to the VIP. */
static void test_direct_syn_drops_halfopen(void **state)
{
	struct frame_spec s = test_client(4, IPPROTO_TCP, 1010), d, r;
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t len, out_len;
	struct backend b;
	uint32_t c, slot;

	(void)state;
	test_expected_backend(skel, &s, &b, &c, &slot);
	test_expect_to(xdp_fd, &s, &b);
	d = s;
	memcpy(d.dst, b.addr, 16);
	d.dport = ntohs(b.port);
	assert_int_equal(test_send(xdp_fd, &d, out, &out_len), 0);
	assert_false(test_in_halfopen(skel, &s, NULL));
	r = test_reply(&s, &b, TCP_SYN | TCP_ACK);
	len = build_frame(&r, in);
	assert_int_equal(test_send(tc_fd, &r, out, &out_len), 0);
	assert_int_equal(out_len, len);
	assert_memory_equal(out, in, len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_syn_only_halfopen, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_ack_promotes, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_flip_between_syn_and_ack, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_udp_promotion, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_lost_entry_recovers, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_rst_fin_both_tables, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_halfopen_idle_timeouts, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_established_idle_timeout, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_direct_syn_drops_halfopen, dp_fixture_setup, dp_fixture_teardown),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_flow_table: needs root for BPF_PROG_TEST_RUN; skipping\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
