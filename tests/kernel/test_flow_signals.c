/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_flow_signals.c - what the data plane tells about flows and
 * backends, with BPF_PROG_TEST_RUN: SYNs, SYN-ACKs and RSTs per color and
 * per backend, the handshake-time histogram, the flow events of fleet sync
 * (only when the setting is on), and a flow written into `flows` by
 * userspace (a peer's) used by XDP and tc exactly like one of its own.
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


/* Send a frame through a program; the output must be `want` (exact). */
static void expect_output(int fd, const struct frame_spec *in,
			  const struct frame_spec *want)
{
	uint8_t out[FRAME_MAX], w[FRAME_MAX];
	size_t out_len, w_len = build_frame(want, w);

	assert_int_equal(test_send(fd, in, out, &out_len), 0);
	assert_int_equal(out_len, w_len);
	assert_memory_equal(out, w, w_len);
	assert_true(frame_checksums_ok(out, out_len));
}

static struct frame_spec to_backend(const struct frame_spec *s, const struct backend *b)
{
	struct frame_spec w = *s;

	memcpy(w.dst, b->addr, 16);
	w.dport = ntohs(b->port);
	return w;
}

static struct frame_spec from_vip(const struct frame_spec *r, const struct frame_spec *client)
{
	struct frame_spec w = *r;

	memcpy(w.src, client->dst, 16);
	w.sport = client->dport;
	return w;
}

/* SYNs (retransmissions too) and SYN-ACKs are counted per color and per
 * backend, RSTs per backend too; only the first SYN-ACK of a handshake is
 * timed. */
static void test_passive_counters(void **state)
{
	struct frame_spec s = test_client(4, IPPROTO_TCP, 3000), r, w;
	struct backend_counters bc;
	struct backend_connect hc;
	struct color_counters cc;
	struct backend b;
	uint32_t c, slot, bi;
	uint64_t t0, took;

	(void)state;
	test_expected_backend(skel, &s, &b, &c, &slot);
	bi = backend_index(test_svc(&dp, 4, IPPROTO_TCP), c, slot);
	t0 = test_now_ns();
	w = to_backend(&s, &b);
	expect_output(xdp_fd, &s, &w);
	expect_output(xdp_fd, &s, &w);         /* retransmitted */
	r = test_reply(&s, &b, TCP_SYN | TCP_ACK);
	r.seq = 4242;
	w = from_vip(&r, &s);
	expect_output(tc_fd, &r, &w);
	took = test_now_ns() - t0;
	expect_output(tc_fd, &r, &w);          /* retransmitted */

	sum_color(skel, color_index(test_svc(&dp, 4, IPPROTO_TCP), c), &cc);
	sum_backend(skel, bi, &bc);
	assert_int_equal(cc.syns_to_backend, 2);
	assert_int_equal(bc.syns, 2);
	assert_int_equal(cc.synacks_from_backend, 2);
	assert_int_equal(bc.synacks, 2);
	sum_connect(skel, bi, &hc);
	assert_int_equal(hc.count, 1);
	assert_true(hc.sum_ns <= took);
	{
		uint64_t in_buckets = 0;

		for (int i = 0; i < BGXDP_CONNECT_BUCKETS; i++)
			in_buckets += hc.buckets[i];
		assert_int_equal(in_buckets, 1);
	}

	/* A RST from the backend, on the half-open and on an established
	 * flow: per color and per backend. */
	r = test_reply(&s, &b, TCP_RST | TCP_ACK);
	w = from_vip(&r, &s);
	expect_output(tc_fd, &r, &w);
	s.sport = 3001;
	test_expected_backend(skel, &s, &b, &c, &slot);
	assert_int_equal(test_handshake(skel, xdp_fd, tc_fd, &s, &b, 77), 0);
	r = test_reply(&s, &b, TCP_RST);
	w = from_vip(&r, &s);
	expect_output(tc_fd, &r, &w);
	sum_color(skel, color_index(test_svc(&dp, 4, IPPROTO_TCP), c), &cc);
	assert_int_equal(cc.resets_from_backend, 2);
	bc.resets = 0;
	for (uint32_t sl = 0; sl < TEST_BACKENDS; sl++) {
		struct backend_counters one;

		sum_backend(skel, backend_index(test_svc(&dp, 4, IPPROTO_TCP), c, sl), &one);
		bc.resets += one.resets;
	}
	assert_int_equal(bc.resets, 2);
}

/* A handshake that took `age_ns` (its SYN time set back by that much)
 * lands in histogram bucket `bucket`. */
static void expect_bucket(uint16_t sport, uint64_t age_ns, int bucket)
{
	struct frame_spec s = test_client(6, IPPROTO_TCP, sport), r;
	struct backend_connect before, after;
	struct halfopen_value hv;
	struct flow_key k;
	struct backend b;
	uint32_t c, slot, bi;

	test_expected_backend(skel, &s, &b, &c, &slot);
	bi = backend_index(test_svc(&dp, 6, IPPROTO_TCP), c, slot);
	assert_int_equal(test_send(xdp_fd, &s, NULL, NULL), 0);
	test_flow_key(&s, &k);
	assert_int_equal(test_halfopen_get(skel, &k, &hv), 0);
	hv.created_ns = test_now_ns() - age_ns;
	assert_int_equal(test_halfopen_put(skel, &k, &hv), 0);
	sum_connect(skel, bi, &before);
	r = test_reply(&s, &b, TCP_SYN | TCP_ACK);
	assert_int_equal(test_send(tc_fd, &r, NULL, NULL), 0);
	sum_connect(skel, bi, &after);
	for (int i = 0; i < BGXDP_CONNECT_BUCKETS; i++)
		assert_int_equal(after.buckets[i] - before.buckets[i], i == bucket);
	assert_true(after.sum_ns - before.sum_ns >= age_ns);
	assert_true(after.sum_ns - before.sum_ns < age_ns + 500000000ull);
}

/* The bounds of include/bgxdp.h: 4 ms is in (2.5 ms, 5 ms], 1.5 s in
 * (1 s, 3 s] (one SYN retransmission), 10 s beyond the last bound. */
static void test_connect_histogram_buckets(void **state)
{
	(void)state;
	expect_bucket(3100, 4000000ull, 5);
	expect_bucket(3101, 1500000000ull, 13);
	expect_bucket(3102, 10000000000ull, BGXDP_CONNECT_BUCKETS - 1);
}

/* ---- flow events -------------------------------------------------------- */

static struct flow_event events[16];
static int nevents;

static int keep_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (size == sizeof(struct flow_event) && nevents < 16)
		memcpy(&events[nevents++], data, size);
	return 0;
}

/* Planted, not a control-plane sequence: no library operation turns flow
 * events on yet (fleet sync will); this is the `settings` value the
 * contract of docs/architecture.md ("Flow events") names. */
static void set_flow_events(bool on)
{
	struct instance_settings st = { .flags = on ? SETTINGS_FLOW_EVENTS : 0 };
	uint32_t zero = 0;

	assert_int_equal(bpf_map__update_elem(skel->maps.settings, &zero, sizeof(zero),
					      &st, sizeof(st), 0), 0);
}

/* One connection: handshake, then FIN from the client. */
static void connect_and_close(struct frame_spec *s, const struct backend *b)
{
	assert_int_equal(test_handshake(skel, xdp_fd, tc_fd, s, b, 8000), 0);
	s->tcp_flags = TCP_FIN | TCP_ACK;
	s->ack = 8001;
	assert_int_equal(test_send(xdp_fd, s, NULL, NULL), 0);
	assert_int_equal(test_send(xdp_fd, s, NULL, NULL), 0);  /* FIN again: no event */
}

/* Events only with SETTINGS_FLOW_EVENTS: "established" at the promotion
 * with exactly the key and value of the `flows` entry, "closing" at the
 * first FIN; nothing for half-open flows or with the setting off. */
static void test_flow_events(void **state)
{
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.flow_events),
						  keep_event, NULL, NULL);
	struct frame_spec s = test_client(4, IPPROTO_TCP, 3200);
	struct flow_value fv;
	struct flow_key k;
	struct backend b;
	uint32_t c, slot;

	(void)state;
	assert_non_null(rb);
	nevents = 0;
	test_expected_backend(skel, &s, &b, &c, &slot);
	connect_and_close(&s, &b);
	assert_int_equal(ring_buffer__consume(rb), 0);
	assert_int_equal(nevents, 0);

	set_flow_events(true);
	s = test_client(6, IPPROTO_TCP, 3201);
	test_expected_backend(skel, &s, &b, &c, &slot);
	assert_int_equal(test_send(xdp_fd, &s, NULL, NULL), 0);    /* SYN */
	assert_int_equal(ring_buffer__consume(rb), 0);
	connect_and_close(&s, &b);
	assert_int_equal(ring_buffer__consume(rb), 2);
	assert_int_equal(nevents, 2);
	test_flow_key(&s, &k);
	assert_int_equal(test_flows_get(skel, &k, &fv), 0);
	assert_int_equal(events[0].type, FLOW_EVENT_ESTABLISHED);
	assert_memory_equal(&events[0].key, &k, sizeof(k));
	assert_memory_equal(events[0].value.backend, b.addr, 16);
	assert_int_equal(events[0].value.backend_port, b.port);
	assert_int_equal(events[0].value.color, c);
	assert_int_equal(events[0].value.backend_slot, slot);
	assert_int_equal(events[0].value.service_id, test_svc(&dp, 6, IPPROTO_TCP));
	assert_int_equal(events[0].value.state, FLOW_OPEN);
	assert_int_equal(events[1].type, FLOW_EVENT_CLOSING);
	assert_memory_equal(&events[1].key, &k, sizeof(k));
	assert_memory_equal(&events[1].value, &fv, sizeof(fv));
	assert_int_equal(events[1].value.state, FLOW_CLOSING);

	set_flow_events(false);
	nevents = 0;
	s = test_client(4, IPPROTO_TCP, 3202);
	test_expected_backend(skel, &s, &b, &c, &slot);
	connect_and_close(&s, &b);
	assert_int_equal(ring_buffer__consume(rb), 0);
	ring_buffer__free(rb);
}

/* ---- a flow from userspace (a peer's) ------------------------------------ */

/*
 * A peer's flow to green backend 1 written into `flows` while all new
 * flows go blue: the client's packets go to that green backend, its
 * replies get the VIP back, counted for green slot 1; as one of our own.
 * Written as fleet sync writes it (docs/architecture.md, "a peer's
 * flows"): flow state, not configuration.
 */
static void test_userspace_flow(void **state)
{
	(void)state;
	for (int f = 4; f <= 6; f += 2) {
		struct frame_spec s = test_client(f, IPPROTO_TCP, 3300), r, w;
		uint32_t svc = test_svc(&dp, f, IPPROTO_TCP);
		struct backend_counters bc;
		struct color_counters cc;
		struct flow_value fv = { 0 };
		struct flow_key k;
		struct backend g;

		test_backend(f, BGXDP_GREEN, 1, &g);
		memcpy(fv.backend, g.addr, 16);
		fv.backend_port = g.port;
		fv.color = BGXDP_GREEN;
		fv.state = FLOW_OPEN;
		fv.service_id = (uint16_t)svc;
		fv.backend_slot = 1;
		fv.last_seen_ns = test_now_ns();       /* this host's clock */
		s.tcp_flags = TCP_ACK;
		test_flow_key(&s, &k);
		assert_int_equal(bpf_map__update_elem(skel->maps.flows, &k, sizeof(k),
						      &fv, sizeof(fv), BPF_NOEXIST), 0);

		w = to_backend(&s, &g);
		expect_output(xdp_fd, &s, &w);
		r = test_reply(&s, &g, TCP_ACK);
		r.payload_len = 200;
		w = from_vip(&r, &s);
		expect_output(tc_fd, &r, &w);

		sum_backend(skel, backend_index(svc, BGXDP_GREEN, 1), &bc);
		sum_color(skel, color_index(svc, BGXDP_GREEN), &cc);
		assert_int_equal(bc.packets, 1);
		assert_int_equal(cc.packets_to_backend, 1);
		assert_int_equal(cc.packets_to_client, 1);
		assert_int_equal(cc.flows_created, 0);
		assert_int_equal(cc.flows_lost, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_passive_counters, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_connect_histogram_buckets, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_flow_events, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_userspace_flow, dp_fixture_setup, dp_fixture_teardown),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_flow_signals: needs root for BPF_PROG_TEST_RUN; skipping\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
