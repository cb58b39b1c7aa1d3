/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_packet_flows.c - flows through the data plane, with
 * BPF_PROG_TEST_RUN: a flow keeps its backend across a flip (half-open and
 * established), FIN/RST close it, idle flows are picked again; counters,
 * lost flows, a client port reused for a direct connection; tc egress
 * rewrites a reply back to its VIP.
 *
 * The services are configured through the control-plane library
 * (helpers_dp.h), every flip is a real share change, and the backend a new
 * flow must get comes from the Maglev ring its color's backends build.
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
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp.h"
#include "bgxdp.skel.h"
#include "libbgxdp.h"
#include "helpers_frames.h"
#include "helpers_dp.h"
#include "helpers_fixture.h"
#include "helpers_flow.h"
#include "helpers_lib.h"


static const int families[] = { 4, 6 };
static const int protos[] = { IPPROTO_TCP, IPPROTO_UDP };

/* Run XDP on `s`, expect it untouched and counted under `reason`. */
static void expect_untouched(const struct frame_spec *s, size_t cut,
			     uint32_t reason)
{
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t len, out_len;
	uint64_t before = sum_passed(skel, reason);
	uint32_t ret;

	len = build_frame(s, in);
	if (cut)
		len = cut;
	assert_int_equal(run_prog(xdp_fd, in, len, out, &out_len, &ret), 0);
	assert_int_equal(ret, XDP_PASS);
	assert_int_equal(out_len, len);
	assert_memory_equal(out, in, len);
	assert_int_equal(sum_passed(skel, reason), before + 1);
}

/* An established flow idle for longer than `idle_ns` (a test cannot wait
 * 900 s): its entry's clock set back.  Flow state, not configuration. */
static void age_flow(const struct flow_key *k, struct flow_value *fv, uint64_t idle_ns)
{
	fv->last_seen_ns = test_now_ns() - idle_ns - 5000000000ull;
	assert_int_equal(bpf_map__update_elem(skel->maps.flows, k, sizeof(*k), fv,
					      sizeof(*fv), 0), 0);
}

/*
 * Affinity across a flip, half-open and established; FIN/RST closing then
 * SYN re-picks; expiry.  Before the flip a third green backend joins, so
 * green's live ring buffer holds another ring than its inactive one, and
 * the new green flow is one the two buffers send to different backends.
 */
static void test_flow_affinity(void **state)
{
	struct frame_spec s = test_client(4, IPPROTO_TCP, 2222), n, r;
	struct endpoint third = lib_endpoint("10.2.0.12:9002");
	struct backend blue, green;
	struct halfopen_value hv;
	struct flow_key k;
	struct flow_value fv;
	uint32_t c, slot;

	(void)state;
	test_expected_backend(skel, &s, &blue, &c, &slot);
	assert_int_equal(c, BGXDP_BLUE);
	test_expect_to(xdp_fd, &s, &blue);            /* SYN: new flow */

	/* Green's ring rebuilt, then everything to green. */
	lib_backend_add(dp.in, test_svc_name(4, IPPROTO_TCP), BGXDP_GREEN, &third, 1);
	test_share(&dp, 4, IPPROTO_TCP, BGXDP_SHARE_SCALE);
	s.tcp_flags = TCP_ACK;
	test_expect_to(xdp_fd, &s, &blue);            /* still blue */
	s.tcp_flags = TCP_SYN;                        /* SYN retransmit */
	test_expect_to(xdp_fd, &s, &blue);
	/* The backend's SYN-ACK, the client's ACK of it: established. */
	r = test_reply(&s, &blue, TCP_SYN | TCP_ACK);
	r.seq = 7000;
	assert_int_equal(test_send(tc_fd, &r, NULL, NULL), 0);
	s.tcp_flags = TCP_ACK;
	s.ack = 7001;
	test_expect_to(xdp_fd, &s, &blue);
	test_flow_key(&s, &k);
	assert_int_equal(test_flows_get(skel, &k, &fv), 0);
	assert_int_equal(fv.color, BGXDP_BLUE);

	/* A new flow goes green, to the live buffer's pick. */
	n = test_client(4, IPPROTO_TCP, 2223);
	n.sport = test_port_telling_buffers(skel, &n);
	test_expected_backend(skel, &n, &green, &c, &slot);
	assert_int_equal(c, BGXDP_GREEN);
	test_expect_to(xdp_fd, &n, &green);

	/* FIN: closing, but still the same backend. */
	s.tcp_flags = TCP_FIN | TCP_ACK;
	test_expect_to(xdp_fd, &s, &blue);
	assert_int_equal(test_flows_get(skel, &k, &fv), 0);
	assert_int_equal(fv.state, FLOW_CLOSING);
	s.tcp_flags = TCP_ACK;
	test_expect_to(xdp_fd, &s, &blue);
	/* New SYN on the closing flow: picked again -> green, half-open; the
	 * closing entry is gone (its port is reused). */
	s.tcp_flags = TCP_SYN;
	s.ack = 0;
	test_expected_backend(skel, &s, &green, &c, &slot);
	test_expect_to(xdp_fd, &s, &green);
	assert_int_not_equal(test_flows_get(skel, &k, &fv), 0);
	assert_int_equal(test_halfopen_get(skel, &k, &hv), 0);
	assert_int_equal(hv.flow.state, FLOW_OPEN);
	assert_int_equal(hv.flow.color, BGXDP_GREEN);

	/* RST closes too. */
	s.tcp_flags = TCP_RST;
	test_expect_to(xdp_fd, &s, &green);
	assert_int_equal(test_halfopen_get(skel, &k, &hv), 0);
	assert_int_equal(hv.flow.state, FLOW_CLOSING);

	/* Expired: flip back to blue; an established entry idle past the TCP
	 * timeout (the half-open one gone): an ACK is picked again too. */
	test_share(&dp, 4, IPPROTO_TCP, 0);
	assert_int_equal(test_halfopen_clear(skel), 0);
	fv = hv.flow;
	fv.state = FLOW_OPEN;
	age_flow(&k, &fv, FLOW_TCP_IDLE_NS);
	s.tcp_flags = TCP_ACK;
	test_expected_backend(skel, &s, &blue, &c, &slot);
	assert_int_equal(c, BGXDP_BLUE);
	test_expect_to(xdp_fd, &s, &blue);
}

/* UDP: sticky while half-open and once promoted, picked again after
 * FLOW_UDP_IDLE_NS. */
static void test_udp_affinity(void **state)
{
	struct frame_spec u = test_client(6, IPPROTO_UDP, 53), ur;
	struct backend blue, green;
	struct flow_value fv;
	struct flow_key uk;
	uint32_t c, slot;

	(void)state;
	test_expected_backend(skel, &u, &blue, &c, &slot);
	assert_int_equal(c, BGXDP_BLUE);
	test_expect_to(xdp_fd, &u, &blue);
	test_share(&dp, 6, IPPROTO_UDP, BGXDP_SHARE_SCALE);
	test_expect_to(xdp_fd, &u, &blue);            /* sticky, half-open */
	ur = test_reply(&u, &blue, 0);
	assert_int_equal(test_send(tc_fd, &ur, NULL, NULL), 0);
	test_expect_to(xdp_fd, &u, &blue);            /* promoted */
	test_flow_key(&u, &uk);
	assert_int_equal(test_flows_get(skel, &uk, &fv), 0);
	age_flow(&uk, &fv, FLOW_UDP_IDLE_NS);
	test_expected_backend(skel, &u, &green, &c, &slot);
	assert_int_equal(c, BGXDP_GREEN);
	test_expect_to(xdp_fd, &u, &green);
}

/* The client reuses a port whose VIP flow to backend B is closing for a
 * direct connection to B: B sees the same addresses and ports, so the old
 * flow entry is dropped (its replies would otherwise be rewritten to the
 * VIP).  An open flow is left alone. */
static void test_port_reuse_direct(void **state)
{
	struct frame_spec vip = test_client(4, IPPROTO_TCP, 4848);
	struct frame_spec direct;
	struct flow_value v;
	struct flow_key k;
	struct backend b;
	uint32_t c, slot;

	(void)state;
	test_expected_backend(skel, &vip, &b, &c, &slot);
	/* An established flow (a half-open one is dropped by any direct
	 * SYN: tests/kernel/test_flow_table.c). */
	assert_int_equal(test_handshake(skel, xdp_fd, tc_fd, &vip, &b, 5000), 0);
	vip.tcp_flags = TCP_ACK;
	vip.ack = 5001;
	test_flow_key(&vip, &k);
	direct = vip;
	memcpy(direct.dst, b.addr, 16);
	direct.dport = ntohs(b.port);
	direct.tcp_flags = TCP_SYN;

	expect_untouched(&direct, 0, PASS_NOT_VIP);     /* open: kept */
	assert_int_equal(bpf_map__lookup_elem(skel->maps.flows, &k, sizeof(k),
					      &v, sizeof(v), 0), 0);

	vip.tcp_flags = TCP_FIN | TCP_ACK;              /* now closing */
	test_expect_to(xdp_fd, &vip, &b);
	direct.tcp_flags = TCP_ACK;                     /* not a SYN: kept */
	expect_untouched(&direct, 0, PASS_NOT_VIP);
	assert_int_equal(bpf_map__lookup_elem(skel->maps.flows, &k, sizeof(k),
					      &v, sizeof(v), 0), 0);
	direct.tcp_flags = TCP_SYN;                     /* reuse: forgotten */
	expect_untouched(&direct, 0, PASS_NOT_VIP);
	assert_int_not_equal(bpf_map__lookup_elem(skel->maps.flows, &k, sizeof(k),
						  &v, sizeof(v), 0), 0);
}

/* N packets -> exactly N counted, bytes exact. */
static void test_counters(void **state)
{
	const int n = 37;
	struct frame_spec s = test_client(6, IPPROTO_TCP, 3333);
	struct color_counters cc;
	struct backend_counters bc;
	struct backend b;
	uint32_t c, slot;
	uint8_t buf[FRAME_MAX];
	size_t len;

	(void)state;
	test_expected_backend(skel, &s, &b, &c, &slot);
	len = build_frame(&s, buf);
	for (int i = 0; i < n; i++) {
		test_expect_to(xdp_fd, &s, &b);
		s.tcp_flags = TCP_ACK;
	}
	sum_color(skel, color_index(test_svc(&dp, 6, IPPROTO_TCP), c), &cc);
	sum_backend(skel, backend_index(test_svc(&dp, 6, IPPROTO_TCP), c, slot), &bc);
	assert_int_equal(cc.packets_to_backend, n);
	assert_int_equal(cc.bytes_to_backend, n * len);
	assert_int_equal(cc.flows_created, 1);
	assert_int_equal(bc.packets, n);
	assert_int_equal(bc.bytes, n * len);
	sum_color(skel, color_index(test_svc(&dp, 6, IPPROTO_TCP), c ^ 1), &cc);
	assert_int_equal(cc.packets_to_backend, 0);
}

/* A mid-stream TCP packet with no flow entry (evicted, idled out, or older
 * than the attach) is counted as a lost flow and picked again: with the
 * config unchanged that is the backend a SYN would have got.  A SYN is
 * never counted as lost. */
static void test_lost_flow_counted(void **state)
{
	struct frame_spec ack = test_client(4, IPPROTO_TCP, 4441);
	struct frame_spec syn = test_client(4, IPPROTO_TCP, 4442);
	struct color_counters before, after;
	struct backend b;
	uint32_t c, slot;

	(void)state;
	ack.tcp_flags = TCP_ACK;
	test_expected_backend(skel, &ack, &b, &c, &slot);
	sum_color(skel, color_index(test_svc(&dp, 4, IPPROTO_TCP), c), &before);
	test_expect_to(xdp_fd, &ack, &b);
	sum_color(skel, color_index(test_svc(&dp, 4, IPPROTO_TCP), c), &after);
	assert_int_equal(after.flows_lost - before.flows_lost, 1);
	assert_int_equal(after.flows_created - before.flows_created, 1);

	/* The entry exists now (half-open): the next ACK is not lost. */
	test_expect_to(xdp_fd, &ack, &b);
	sum_color(skel, color_index(test_svc(&dp, 4, IPPROTO_TCP), c), &before);
	assert_int_equal(before.flows_lost, after.flows_lost);

	test_expected_backend(skel, &syn, &b, &c, &slot);
	sum_color(skel, color_index(test_svc(&dp, 4, IPPROTO_TCP), c), &before);
	test_expect_to(xdp_fd, &syn, &b);
	sum_color(skel, color_index(test_svc(&dp, 4, IPPROTO_TCP), c), &after);
	assert_int_equal(after.flows_lost, before.flows_lost);
	assert_int_equal(after.flows_created - before.flows_created, 1);
}

/* tc egress: replies get the VIP back as source. */
static void test_tc_reply(void **state)
{
	(void)state;
	for (int f = 0; f < 2; f++)
	for (int p = 0; p < 2; p++)
	for (int v = 0; v <= 2; v++)
	for (int zero = 0; zero < 2; zero++) {
		struct frame_spec s = test_client(families[f], protos[p],
						  (uint16_t)(6000 + v));
		struct frame_spec r, want;
		uint8_t in[FRAME_MAX], out[FRAME_MAX], exp[FRAME_MAX];
		size_t len, out_len, exp_len;
		struct color_counters before, after;
		struct backend b;
		uint32_t c, slot, ret;

		if (zero && !(families[f] == 4 && protos[p] == IPPROTO_UDP))
			continue;
		s.vlans = v;
		test_expected_backend(skel, &s, &b, &c, &slot);
		test_expect_to(xdp_fd, &s, &b);

		/* the reply, backend -> client */
		r = s;
		memcpy(r.src, b.addr, 16);
		r.sport = ntohs(b.port);
		memcpy(r.dst, s.src, 16);
		r.dport = s.sport;
		r.tcp_flags = TCP_SYN | TCP_ACK;
		r.udp_csum_zero = zero;
		r.payload_len = 23;
		want = r;
		memcpy(want.src, s.dst, 16);
		want.sport = s.dport;

		len = build_frame(&r, in);
		exp_len = build_frame(&want, exp);
		sum_color(skel, color_index(test_svc(&dp, families[f], protos[p]), c), &before);
		assert_int_equal(run_prog(tc_fd, in, len, out, &out_len, &ret), 0);
		assert_int_equal(ret, TC_ACT_OK);
		assert_int_equal(out_len, exp_len);
		assert_memory_equal(out, exp, exp_len);
		assert_true(frame_checksums_ok(out, out_len));
		sum_color(skel, color_index(test_svc(&dp, families[f], protos[p]), c), &after);
		assert_int_equal(after.packets_to_client,
				 before.packets_to_client + 1);
		assert_int_equal(after.bytes_to_client,
				 before.bytes_to_client + len);

		/* Not a known flow (other client port): untouched. */
		r.dport++;
		len = build_frame(&r, in);
		assert_int_equal(run_prog(tc_fd, in, len, out, &out_len, &ret), 0);
		assert_int_equal(ret, TC_ACT_OK);
		assert_int_equal(out_len, len);
		assert_memory_equal(out, in, len);
	}
}

static void test_tc_reset_counted(void **state)
{
	struct frame_spec s = test_client(4, IPPROTO_TCP, 7000), r;
	struct color_counters cc;
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t len, out_len;
	struct backend b;
	uint32_t c, slot, ret;

	(void)state;
	test_expected_backend(skel, &s, &b, &c, &slot);
	test_expect_to(xdp_fd, &s, &b);
	r = s;
	memcpy(r.src, b.addr, 16);
	r.sport = ntohs(b.port);
	memcpy(r.dst, s.src, 16);
	r.dport = s.sport;
	r.tcp_flags = TCP_RST | TCP_ACK;
	len = build_frame(&r, in);
	assert_int_equal(run_prog(tc_fd, in, len, out, &out_len, &ret), 0);
	assert_int_equal(ret, TC_ACT_OK);
	assert_true(frame_checksums_ok(out, out_len));
	sum_color(skel, color_index(test_svc(&dp, 4, IPPROTO_TCP), c), &cc);
	assert_int_equal(cc.resets_from_backend, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flow_affinity, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_udp_affinity, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_counters, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_port_reuse_direct, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_lost_flow_counted, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_tc_reply, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_tc_reset_counted, dp_fixture_setup, dp_fixture_teardown),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_packet_flows: needs root for BPF_PROG_TEST_RUN; skipping\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
