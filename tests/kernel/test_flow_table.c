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
#include "helpers_flow.h"

/* The flood: this many spoofed SYNs, or as many as fit in the time. */
#define FLOOD_SYNS      2000000
#define FLOOD_SECONDS   60
#define ESTABLISHED     500

static struct bgxdp *skel;
static int xdp_fd, tc_fd;
static const uint64_t green_word = CFG_CONFIGURED | CFG_HAS_BACKENDS(BGXDP_BLUE) |
				   CFG_HAS_BACKENDS(BGXDP_GREEN) | 10000 |
				   CFG_RING_BUFFER(BGXDP_GREEN);

static int setup(void **state)
{
	(void)state;
	skel = bgxdp__open_and_load();
	if (!skel)
		return -1;
	xdp_fd = bpf_program__fd(skel->progs.xdp_ingress);
	tc_fd = bpf_program__fd(skel->progs.tc_egress);
	return test_populate(skel, test_word(0));
}

static int teardown(void **state)
{
	(void)state;
	bgxdp__destroy(skel);
	skel = NULL;
	return 0;
}

/* XDP on `s`: rewritten exactly to backend `b`, checksums right. */
static void expect_to(const struct frame_spec *s, const struct backend *b)
{
	uint8_t out[FRAME_MAX], want[FRAME_MAX];
	struct frame_spec ws = *s;
	size_t out_len, want_len;

	memcpy(ws.dst, b->addr, 16);
	ws.dport = ntohs(b->port);
	want_len = build_frame(&ws, want);
	assert_int_equal(test_send(xdp_fd, s, out, &out_len), 0);
	assert_int_equal(out_len, want_len);
	assert_memory_equal(out, want, want_len);
	assert_true(frame_checksums_ok(out, out_len));
}

/* tc on the reply `r` to `client`: its source rewritten to the VIP. */
static void expect_reply(const struct frame_spec *r, const struct frame_spec *client)
{
	uint8_t out[FRAME_MAX], want[FRAME_MAX];
	struct frame_spec ws = *r;
	size_t out_len, want_len;

	memcpy(ws.src, client->dst, 16);
	ws.sport = client->dport;
	want_len = build_frame(&ws, want);
	assert_int_equal(test_send(tc_fd, r, out, &out_len), 0);
	assert_int_equal(out_len, want_len);
	assert_memory_equal(out, want, want_len);
	assert_true(frame_checksums_ok(out, out_len));
}

static bool in_flows(const struct frame_spec *s, struct flow_value *v)
{
	struct flow_value scratch;
	struct flow_key k;

	test_flow_key(s, &k);
	return test_flows_get(skel, &k, v ? v : &scratch) == 0;
}

static bool in_halfopen(const struct frame_spec *s, struct halfopen_value *v)
{
	struct halfopen_value scratch;
	struct flow_key k;

	test_flow_key(s, &k);
	return test_halfopen_get(skel, &k, v ? v : &scratch) == 0;
}

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

		test_expected_backend(&s, test_word(0), &b, &c, &slot);
		t0 = test_now_ns();
		expect_to(&s, &b);
		t1 = test_now_ns();
		assert_false(in_flows(&s, NULL));
		assert_true(in_halfopen(&s, &hv));
		assert_int_equal(hv.flags, HALFOPEN_SYN);
		assert_true(hv.created_ns >= t0 && hv.created_ns <= t1);
		assert_memory_equal(hv.flow.backend, b.addr, 16);
		assert_int_equal(hv.flow.backend_port, b.port);
		assert_int_equal(hv.flow.color, c);
		assert_int_equal(hv.flow.backend_slot, slot);
		assert_int_equal(hv.flow.state, FLOW_OPEN);
		sum_color(skel, color_index(f == 4 ? SVC4 : SVC6, c), &cc);
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

		test_expected_backend(&s, test_word(0), &b, &c, &slot);
		expect_to(&s, &b);
		r = test_reply(&s, &b, TCP_SYN | TCP_ACK);
		r.seq = 0xfffffff0;             /* + 1 must wrap as TCP does */
		expect_reply(&r, &s);
		assert_true(in_halfopen(&s, &hv));
		assert_int_equal(hv.flags, HALFOPEN_SYN | HALFOPEN_SYNACK);
		assert_int_equal(ntohl(hv.expected_ack), 0xfffffff1);

		s.tcp_flags = TCP_ACK;
		s.ack = 0xfffffff2;
		expect_to(&s, &b);
		assert_false(in_flows(&s, NULL));
		assert_true(in_halfopen(&s, NULL));

		s.ack = 0xfffffff1;
		expect_to(&s, &b);
		assert_true(in_flows(&s, &fv));
		assert_false(in_halfopen(&s, NULL));
		assert_memory_equal(fv.backend, b.addr, 16);
		assert_int_equal(fv.backend_port, b.port);
		assert_int_equal(fv.color, c);
		assert_int_equal(fv.backend_slot, slot);
		assert_int_equal(fv.state, FLOW_OPEN);
		sum_color(skel, color_index(f == 4 ? SVC4 : SVC6, c), &cc);
		assert_int_equal(cc.flows_promoted, 1);
		expect_to(&s, &b);              /* established from now on */
		assert_true(in_flows(&s, NULL));
	}
}

/* A flip between the SYN and the ACK: the ACK goes where the SYN went
 * (blue), and the promoted flow keeps it; a new SYN goes green. */
static void test_flip_between_syn_and_ack(void **state)
{
	struct frame_spec s = test_client(4, IPPROTO_TCP, 1002), n, r;
	struct backend blue, green;
	struct flow_value fv;
	uint32_t c, slot;

	(void)state;
	test_expected_backend(&s, test_word(0), &blue, &c, &slot);
	assert_int_equal(c, BGXDP_BLUE);
	expect_to(&s, &blue);
	assert_int_equal(test_set_word(skel, SVC4, green_word), 0);
	r = test_reply(&s, &blue, TCP_SYN | TCP_ACK);
	r.seq = 5;
	expect_reply(&r, &s);
	s.tcp_flags = TCP_ACK;
	s.ack = 6;
	expect_to(&s, &blue);
	assert_true(in_flows(&s, &fv));
	assert_int_equal(fv.color, BGXDP_BLUE);
	assert_memory_equal(fv.backend, blue.addr, 16);
	s.tcp_flags = TCP_ACK | TCP_FIN;
	expect_to(&s, &blue);

	n = test_client(4, IPPROTO_TCP, 1003);
	test_expected_backend(&n, green_word, &green, &c, &slot);
	assert_int_equal(c, BGXDP_GREEN);
	expect_to(&n, &green);
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

		test_expected_backend(&u, test_word(0), &b, &c, &slot);
		expect_to(&u, &b);
		expect_to(&u, &b);              /* no answer yet */
		assert_true(in_halfopen(&u, &hv));
		assert_int_equal(hv.flags, 0);
		r = test_reply(&u, &b, 0);
		expect_reply(&r, &u);
		assert_true(in_halfopen(&u, &hv));
		assert_int_equal(hv.flags, HALFOPEN_REPLY);
		assert_false(in_flows(&u, NULL));
		expect_to(&u, &b);
		assert_true(in_flows(&u, NULL));
		assert_false(in_halfopen(&u, NULL));
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
	test_expected_backend(&s, test_word(0), &b, &c, &slot);
	sum_color(skel, color_index(SVC4, c), &before);
	expect_to(&s, &b);
	sum_color(skel, color_index(SVC4, c), &after);
	assert_int_equal(after.flows_lost - before.flows_lost, 1);
	assert_true(in_halfopen(&s, &hv));
	assert_int_equal(hv.flags, 0);

	r = test_reply(&s, &b, TCP_RST | TCP_ACK);
	expect_reply(&r, &s);
	sum_backend(skel, backend_index(SVC4, c, slot), &bc);
	assert_int_equal(bc.resets, 1);
	expect_to(&s, &b);
	assert_false(in_flows(&s, NULL));

	r = test_reply(&s, &b, TCP_ACK);
	r.payload_len = 100;
	expect_reply(&r, &s);
	expect_to(&s, &b);
	assert_true(in_flows(&s, NULL));
	assert_false(in_halfopen(&s, NULL));
	sum_color(skel, color_index(SVC4, c), &after);
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
	test_expected_backend(&s, test_word(0), &blue, &c, &slot);
	expect_to(&s, &blue);
	s.tcp_flags = TCP_RST;
	expect_to(&s, &blue);
	assert_true(in_halfopen(&s, &hv));
	assert_int_equal(hv.flow.state, FLOW_CLOSING);
	s.tcp_flags = TCP_ACK;                  /* closing still forwards */
	expect_to(&s, &blue);
	/* A new SYN on the closing half-open flow picks again (green now). */
	assert_int_equal(test_set_word(skel, SVC6, green_word), 0);
	s.tcp_flags = TCP_SYN;
	test_expected_backend(&s, green_word, &green, &c, &slot);
	expect_to(&s, &green);
	assert_true(in_halfopen(&s, &hv));
	assert_int_equal(hv.flow.state, FLOW_OPEN);
	assert_int_equal(hv.flow.color, BGXDP_GREEN);

	/* Established: FIN closes it; a SYN picks again, half-open, and the
	 * closing entry leaves `flows`. */
	assert_int_equal(test_handshake(skel, xdp_fd, tc_fd, &s, &green, 99), 0);
	s.tcp_flags = TCP_FIN | TCP_ACK;
	expect_to(&s, &green);
	assert_true(in_flows(&s, &fv));
	assert_int_equal(fv.state, FLOW_CLOSING);
	assert_int_equal(test_set_word(skel, SVC6, test_word(0)), 0);
	s.tcp_flags = TCP_SYN;
	s.ack = 0;
	test_expected_backend(&s, test_word(0), &blue, &c, &slot);
	expect_to(&s, &blue);
	assert_false(in_flows(&s, NULL));
	assert_true(in_halfopen(&s, &hv));
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
	struct frame_spec t = test_client(4, IPPROTO_TCP, 1006);
	struct frame_spec x = test_client(4, IPPROTO_TCP, 1007);
	struct frame_spec u = test_client(6, IPPROTO_UDP, 1008);
	struct backend blue, green;
	uint32_t c, slot;

	(void)state;
	for (int i = 0; i < 3; i++) {
		struct frame_spec *s = i == 0 ? &t : i == 1 ? &x : &u;

		test_expected_backend(s, test_word(0), &blue, &c, &slot);
		expect_to(s, &blue);
	}
	x.tcp_flags = TCP_FIN | TCP_ACK;
	test_expected_backend(&x, test_word(0), &blue, &c, &slot);
	expect_to(&x, &blue);
	assert_int_equal(test_set_word(skel, SVC4, green_word), 0);
	assert_int_equal(test_set_word(skel, SVC6, green_word), 0);

	/* Just under the timeouts: still the first pick. */
	age_halfopen(&t, HALFOPEN_TCP_IDLE_NS - over);
	age_halfopen(&x, FLOW_TCP_CLOSING_NS - over);
	age_halfopen(&u, FLOW_UDP_IDLE_NS - over);
	t.tcp_flags = TCP_ACK;
	x.tcp_flags = TCP_ACK;
	for (int i = 0; i < 3; i++) {
		struct frame_spec *s = i == 0 ? &t : i == 1 ? &x : &u;

		test_expected_backend(s, test_word(0), &blue, &c, &slot);
		expect_to(s, &blue);
	}
	/* Past them: picked again. */
	age_halfopen(&t, HALFOPEN_TCP_IDLE_NS + over);
	age_halfopen(&x, FLOW_TCP_CLOSING_NS + over);
	age_halfopen(&u, FLOW_UDP_IDLE_NS + over);
	for (int i = 0; i < 3; i++) {
		struct frame_spec *s = i == 0 ? &t : i == 1 ? &x : &u;

		test_expected_backend(s, green_word, &green, &c, &slot);
		assert_int_equal(c, BGXDP_GREEN);
		expect_to(s, &green);
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
	test_expected_backend(&s, test_word(0), &blue, &c, &slot);
	assert_int_equal(test_handshake(skel, xdp_fd, tc_fd, &s, &blue, 1), 0);
	test_flow_key(&s, &k);
	assert_int_equal(test_flows_get(skel, &k, &fv), 0);
	fv.last_seen_ns = test_now_ns() - FLOW_TCP_IDLE_NS - 2000000000ull;
	assert_int_equal(bpf_map__update_elem(skel->maps.flows, &k, sizeof(k), &fv,
					      sizeof(fv), 0), 0);
	assert_int_equal(test_set_word(skel, SVC4, green_word), 0);
	s.tcp_flags = TCP_ACK;
	s.ack = 2;
	test_expected_backend(&s, green_word, &green, &c, &slot);
	expect_to(&s, &green);
	assert_false(in_flows(&s, NULL));
	assert_true(in_halfopen(&s, NULL));
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
	test_expected_backend(&s, test_word(0), &b, &c, &slot);
	expect_to(&s, &b);
	d = s;
	memcpy(d.dst, b.addr, 16);
	d.dport = ntohs(b.port);
	assert_int_equal(test_send(xdp_fd, &d, out, &out_len), 0);
	assert_false(in_halfopen(&s, NULL));
	r = test_reply(&s, &b, TCP_SYN | TCP_ACK);
	len = build_frame(&r, in);
	assert_int_equal(test_send(tc_fd, &r, out, &out_len), 0);
	assert_int_equal(out_len, len);
	assert_memory_equal(out, in, len);
}

/* ---- the flood ---------------------------------------------------------- */

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
	struct color_counters before[2], after[2];
	struct frame_spec s;
	struct backend b;
	uint32_t c, slot;
	long sent, evicted = 0, lost = 0;

	(void)state;
	for (int i = 0; i < ESTABLISHED; i++) {
		s = test_client(i % 2 ? 6 : 4, IPPROTO_TCP, (uint16_t)(20000 + i));
		test_expected_backend(&s, test_word(0), &b, &c, &slot);
		assert_int_equal(test_handshake(skel, xdp_fd, tc_fd, &s, &b,
						(uint32_t)(1000 + i)), 0);
	}
	for (int c4 = 0; c4 < 2; c4++)
		sum_color(skel, color_index(SVC4, c4), &before[c4]);
	assert_int_equal(test_set_word(skel, SVC4, green_word), 0);
	assert_int_equal(test_set_word(skel, SVC6, green_word), 0);

	sent = syn_flood(FLOOD_SYNS, FLOOD_SECONDS);
	print_message("flood: %ld spoofed SYNs, half-open table of %ld entries\n",
		      sent, capacity);
	assert_true(sent > 4 * capacity);

	for (int c4 = 0; c4 < 2; c4++) {
		sum_color(skel, color_index(SVC4, c4), &after[c4]);
		evicted += (long)(after[c4].halfopen_evicted - before[c4].halfopen_evicted);
	}
	print_message("flood: %ld live half-open entries displaced\n", evicted);
	assert_true(evicted >= sent - capacity);

	for (int i = 0; i < ESTABLISHED; i++) {
		struct flow_value fv;

		s = test_client(i % 2 ? 6 : 4, IPPROTO_TCP, (uint16_t)(20000 + i));
		test_expected_backend(&s, test_word(0), &b, &c, &slot);
		assert_true(in_flows(&s, &fv));
		assert_int_equal(fv.color, BGXDP_BLUE);
		s.tcp_flags = TCP_ACK;
		s.ack = (uint32_t)(1000 + i) + 1;
		expect_to(&s, &b);
	}
	for (int c4 = 0; c4 < 2; c4++) {
		sum_color(skel, color_index(SVC4, c4), &after[c4]);
		lost += (long)(after[c4].flows_lost - before[c4].flows_lost);
	}
	assert_int_equal(lost, 0);
	print_message("flood: all %d established flows kept their blue backend\n",
		      ESTABLISHED);

	s = test_client(4, IPPROTO_TCP, 30000);
	test_expected_backend(&s, green_word, &b, &c, &slot);
	assert_int_equal(c, BGXDP_GREEN);
	assert_int_equal(test_handshake(skel, xdp_fd, tc_fd, &s, &b, 42), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_syn_only_halfopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_promotes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flip_between_syn_and_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp_promotion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_entry_recovers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst_fin_both_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_halfopen_idle_timeouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_established_idle_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_direct_syn_drops_halfopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flood_keeps_established, setup, teardown),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_flow_table: needs root for BPF_PROG_TEST_RUN; skipping\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
