/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_packets.c - the data plane, packet by packet, with
 * BPF_PROG_TEST_RUN: every case checks the verdict, the exact output bytes
 * (expected frame built independently) and recomputes every checksum.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
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

static struct bgxdp *skel;
static int xdp_fd, tc_fd;

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

/* A client -> VIP frame. */
static struct frame_spec client_spec(int family, int proto, uint16_t sport)
{
	struct frame_spec s = { .family = family, .proto = proto };

	if (family == 4)
		set_ipv4(s.src, 192, 168, 1, 2);
	else
		set_ipv6(s.src, 0xc1);
	test_vip_addr(family, s.dst);
	s.sport = sport;
	s.dport = TEST_VIP_PORT;
	s.tcp_flags = proto == IPPROTO_TCP ? TCP_SYN : 0;
	s.payload_len = 11;
	return s;
}

static void flow_key_of(const struct frame_spec *s, struct flow_key *k)
{
	test_flow_key(s, k);
}

/* The backend a new flow must get under `word`, computed in userspace. */
static void expected_backend(const struct frame_spec *s, uint64_t word,
			     struct backend *b, uint32_t *color, uint32_t *slot)
{
	struct flow_key k;
	uint32_t c, rs;

	flow_key_of(s, &k);
	c = bgxdp_pick_color(&k, word);
	rs = bgxdp_pick_ring_slot(&k, word);
	*slot = test_ring_backend(cfg_ring_buffer(word, c), rs);
	*color = c;
	test_backend(s->family, c, *slot, b);
}

/* Run XDP on `s`, expect a rewrite to `b`. */
static void expect_rewrite_to(const struct frame_spec *s,
			      const struct backend *b)
{
	uint8_t in[FRAME_MAX], out[FRAME_MAX], want[FRAME_MAX];
	struct frame_spec ws = *s;
	size_t len, out_len, want_len;
	uint32_t ret;

	len = build_frame(s, in);
	memcpy(ws.dst, b->addr, 16);
	ws.dport = ntohs(b->port);
	want_len = build_frame(&ws, want);
	assert_int_equal(run_prog(xdp_fd, in, len, out, &out_len, &ret), 0);
	assert_int_equal(ret, XDP_PASS);
	assert_int_equal(out_len, want_len);
	assert_memory_equal(out, want, want_len);
	assert_true(frame_checksums_ok(out, out_len));
}

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

static const int families[] = { 4, 6 };
static const int protos[] = { IPPROTO_TCP, IPPROTO_UDP };

/* Every header layout the parser knows, each rewritten exactly. */
static void test_rewrite_matrix(void **state)
{
	uint16_t sport = 40000;
	int cases = 0;

	(void)state;
	for (int f = 0; f < 2; f++)
	for (int p = 0; p < 2; p++)
	for (int v = 0; v <= 2; v++)
	for (int x = 0; x < 3; x++) {
		struct frame_spec s = client_spec(families[f], protos[p],
						  sport++);
		struct backend b;
		uint32_t c, slot;

		s.vlans = v;
		if (s.family == 4)
			s.ipv4_opt_words = x == 0 ? 0 : x == 1 ? 1 : 10;
		else
			s.ipv6_ext_hdrs = x;
		/* share 50 % so both colors show up */
		assert_int_equal(test_set_word(skel, s.family == 4 ? SVC4 : SVC6,
					       test_word(5000)), 0);
		expected_backend(&s, test_word(5000), &b, &c, &slot);
		expect_rewrite_to(&s, &b);
		cases++;
	}
	print_message("rewrite matrix: %d layouts\n", cases);
}

/* Ethernet padding after tot_len / payload_len is not part of the
 * packet: rewritten all the same, padding left as it was. */
static void test_ethernet_padding(void **state)
{
	(void)state;
	for (int f = 0; f < 2; f++) {
		struct frame_spec s = client_spec(families[f], IPPROTO_UDP, 999);
		uint8_t in[FRAME_MAX], out[FRAME_MAX], want[FRAME_MAX];
		struct frame_spec ws = s;
		size_t len, want_len, out_len;
		struct backend b;
		uint32_t c, slot, ret;

		s.payload_len = 0;
		ws.payload_len = 0;
		expected_backend(&s, test_word(0), &b, &c, &slot);
		len = build_frame(&s, in);
		memcpy(ws.dst, b.addr, 16);
		ws.dport = ntohs(b.port);
		want_len = build_frame(&ws, want);
		memset(in + len, 0xee, 16);
		memset(want + want_len, 0xee, 16);
		assert_int_equal(run_prog(xdp_fd, in, len + 16, out, &out_len,
					  &ret), 0);
		assert_int_equal(ret, XDP_PASS);
		assert_int_equal(out_len, want_len + 16);
		assert_memory_equal(out, want, want_len + 16);
		assert_true(frame_checksums_ok(out, out_len));
	}
}

static void test_udp_csum_zero(void **state)
{
	struct frame_spec s = client_spec(4, IPPROTO_UDP, 5353);
	struct backend b;
	uint32_t c, slot;

	(void)state;
	s.udp_csum_zero = true;
	expected_backend(&s, test_word(0), &b, &c, &slot);
	expect_rewrite_to(&s, &b);      /* builder keeps 0 in the expected frame */

	/* IPv6 UDP with checksum 0 is invalid: untouched, malformed. */
	s = client_spec(6, IPPROTO_UDP, 5353);
	s.udp_csum_zero = true;
	expect_untouched(&s, 0, PASS_MALFORMED);
}

/* Find a UDP source port whose rewritten checksum computes to 0: it must
 * go out as 0xffff. */
static void test_udp_csum_computes_zero(void **state)
{
	(void)state;
	for (uint32_t sport = 1; sport < 65536; sport++) {
		struct frame_spec s = client_spec(4, IPPROTO_UDP, (uint16_t)sport);
		struct frame_spec ws = s;
		uint8_t want[FRAME_MAX];
		struct backend b;
		uint32_t c, slot;
		size_t l4;

		expected_backend(&s, test_word(0), &b, &c, &slot);
		memcpy(ws.dst, b.addr, 16);
		ws.dport = ntohs(b.port);
		build_frame(&ws, want);
		l4 = frame_l4_off(&ws);
		if (want[l4 + 6] == 0xff && want[l4 + 7] == 0xff) {
			expect_rewrite_to(&s, &b);
			print_message("udp csum 0 -> 0xffff at sport %u\n", sport);
			return;
		}
	}
	fail_msg("no port with a zero UDP checksum found");
}

static void test_fragments(void **state)
{
	struct frame_spec s;

	(void)state;
	s = client_spec(4, IPPROTO_TCP, 1000);
	s.ipv4_frag_off = 0x2000;               /* MF */
	expect_untouched(&s, 0, PASS_FRAGMENT);
	s.ipv4_frag_off = 0x0010;               /* offset != 0 */
	expect_untouched(&s, 0, PASS_FRAGMENT);
	s = client_spec(6, IPPROTO_UDP, 1000);
	s.ipv6_frag_hdr = true;
	expect_untouched(&s, 0, PASS_FRAGMENT);
	s.ipv6_ext_hdrs = 2;
	expect_untouched(&s, 0, PASS_FRAGMENT);
}

/* Every layout cut at every length: untouched, counted malformed. */
static void test_truncated_everywhere(void **state)
{
	int runs = 0, refused = 0;

	(void)state;
	for (int f = 0; f < 2; f++)
	for (int p = 0; p < 2; p++)
	for (int v = 0; v <= 2; v++)
	for (int x = 0; x < 3; x++) {
		struct frame_spec s = client_spec(families[f], protos[p], 777);
		uint8_t in[FRAME_MAX];
		size_t full;

		s.vlans = v;
		if (s.family == 4)
			s.ipv4_opt_words = x == 0 ? 0 : x == 1 ? 1 : 10;
		else
			s.ipv6_ext_hdrs = x;
		s.payload_len = 0;
		full = build_frame(&s, in);
		/* Below ETH_HLEN BPF_PROG_TEST_RUN itself refuses the frame
		 * (-EINVAL) or it must pass untouched as malformed. */
		for (size_t cut = 1; cut < 14; cut++) {
			uint8_t out[FRAME_MAX];
			size_t out_len;
			uint32_t ret;
			uint64_t before = sum_passed(skel, PASS_MALFORMED);

			if (run_prog(xdp_fd, in, cut, out, &out_len, &ret)) {
				refused++;
				continue;
			}
			assert_int_equal(ret, XDP_PASS);
			assert_memory_equal(out, in, cut);
			assert_int_equal(sum_passed(skel, PASS_MALFORMED),
					 before + 1);
			runs++;
		}
		for (size_t cut = 14; cut < full; cut++) {
			expect_untouched(&s, cut, PASS_MALFORMED);
			runs++;
		}
	}
	print_message("truncated frames: %d runs (%d below ETH_HLEN refused "
		      "by BPF_PROG_TEST_RUN)\n", runs, refused);
}

static void test_not_for_us(void **state)
{
	struct frame_spec s;
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t len, out_len;
	uint32_t ret;
	uint64_t before;

	(void)state;
	s = client_spec(4, IPPROTO_TCP, 1000);
	s.dport = 81;
	expect_untouched(&s, 0, PASS_NOT_VIP);
	s = client_spec(4, IPPROTO_TCP, 1000);
	set_ipv4(s.dst, 10, 0, 0, 2);
	expect_untouched(&s, 0, PASS_NOT_VIP);
	s = client_spec(6, IPPROTO_UDP, 1000);
	set_ipv6(s.dst, 2);
	expect_untouched(&s, 0, PASS_NOT_VIP);

	/* ARP */
	s = client_spec(4, IPPROTO_TCP, 1000);
	len = build_frame(&s, in);
	in[12] = 0x08; in[13] = 0x06;
	before = sum_passed(skel, PASS_NOT_IP);
	assert_int_equal(run_prog(xdp_fd, in, len, out, &out_len, &ret), 0);
	assert_int_equal(ret, XDP_PASS);
	assert_memory_equal(out, in, len);
	assert_int_equal(sum_passed(skel, PASS_NOT_IP), before + 1);

	/* IHL < 5 and tot_len beyond the frame: malformed. */
	len = build_frame(&s, in);
	in[14] = 0x44;
	before = sum_passed(skel, PASS_MALFORMED);
	assert_int_equal(run_prog(xdp_fd, in, len, out, &out_len, &ret), 0);
	assert_memory_equal(out, in, len);
	len = build_frame(&s, in);
	in[16] += 1;
	assert_int_equal(run_prog(xdp_fd, in, len, out, &out_len, &ret), 0);
	assert_memory_equal(out, in, len);
	assert_int_equal(sum_passed(skel, PASS_MALFORMED), before + 2);

	/* ICMP to the VIP: unsupported. */
	len = build_frame(&s, in);
	in[14 + 9] = IPPROTO_ICMP;
	before = sum_passed(skel, PASS_UNSUPPORTED);
	assert_int_equal(run_prog(xdp_fd, in, len, out, &out_len, &ret), 0);
	assert_memory_equal(out, in, len);
	assert_int_equal(sum_passed(skel, PASS_UNSUPPORTED), before + 1);

	/* A VIP with no config word: no backend. */
	s = client_spec(4, IPPROTO_TCP, 1000);
	assert_int_equal(test_set_word(skel, SVC4, 0), 0);
	expect_untouched(&s, 0, PASS_NO_BACKEND);
	/* Configured, but neither color has a backend. */
	assert_int_equal(test_set_word(skel, SVC4, CFG_CONFIGURED), 0);
	expect_untouched(&s, 0, PASS_NO_BACKEND);
}

/* The chosen color without backends falls back to the other one. */
static void test_color_fallback(void **state)
{
	struct frame_spec s = client_spec(4, IPPROTO_TCP, 1234);
	uint64_t word = CFG_CONFIGURED | CFG_HAS_BACKENDS(BGXDP_BLUE) | 10000;
	struct backend b;
	uint32_t rs;
	struct flow_key k;

	(void)state;
	assert_int_equal(test_set_word(skel, SVC4, word), 0);
	flow_key_of(&s, &k);
	rs = bgxdp_pick_ring_slot(&k, word);
	test_backend(4, BGXDP_BLUE, test_ring_backend(0, rs), &b);
	expect_rewrite_to(&s, &b);
}

/* The preview address goes green whatever the share; blue if green has
 * no backend. */
static void test_preview_vip(void **state)
{
	struct frame_spec s = client_spec(4, IPPROTO_TCP, 4444);
	struct vip_key vk = {};
	struct vip_value vv = { .service_id = SVC4, .flags = VIP_FLAG_PREVIEW };
	uint64_t word = test_word(0);
	struct flow_key k;
	struct backend b;
	uint32_t rs;

	(void)state;
	test_vip_addr(4, vk.addr);
	vk.port = htons(8443);
	vk.proto = IPPROTO_TCP;
	vk.family = BGXDP_FAMILY_IPV4;
	assert_int_equal(bpf_map__update_elem(skel->maps.services, &vk,
					      sizeof(vk), &vv, sizeof(vv), 0), 0);
	assert_int_equal(test_filter_add(skel, &vk), 0);
	s.dport = 8443;
	flow_key_of(&s, &k);
	rs = bgxdp_pick_ring_slot(&k, word);
	test_backend(4, BGXDP_GREEN, test_ring_backend(0, rs), &b);
	expect_rewrite_to(&s, &b);

	word = CFG_CONFIGURED | CFG_HAS_BACKENDS(BGXDP_BLUE);
	assert_int_equal(test_set_word(skel, SVC4, word), 0);
	s.sport++;
	flow_key_of(&s, &k);
	rs = bgxdp_pick_ring_slot(&k, word);
	test_backend(4, BGXDP_BLUE, test_ring_backend(0, rs), &b);
	expect_rewrite_to(&s, &b);
}

/* A vip_filter false positive (bit set, no such service) passes
 * untouched, counted as not-a-VIP. */
static void test_filter_false_positive(void **state)
{
	struct frame_spec s = client_spec(4, IPPROTO_TCP, 4646);
	struct vip_key vk = {};

	(void)state;
	set_ipv4(s.dst, 10, 0, 0, 99);
	memcpy(vk.addr, s.dst, 16);
	vk.port = htons(s.dport);
	vk.proto = IPPROTO_TCP;
	vk.family = BGXDP_FAMILY_IPV4;
	assert_int_equal(test_filter_add(skel, &vk), 0);
	expect_untouched(&s, 0, PASS_NOT_VIP);
}

/* `service del` unpublishes the word and removes the VIP: an established
 * flow of that service stops being rewritten at once. */
static void test_deleted_service_flows_stop(void **state)
{
	struct frame_spec s = client_spec(4, IPPROTO_TCP, 4747);
	struct vip_key vk = {};
	struct backend b;
	uint32_t c, slot;

	(void)state;
	expected_backend(&s, test_word(0), &b, &c, &slot);
	expect_rewrite_to(&s, &b);
	s.tcp_flags = TCP_ACK;
	expect_rewrite_to(&s, &b);

	assert_int_equal(test_set_word(skel, SVC4, 0), 0);
	test_vip_addr(4, vk.addr);
	vk.port = htons(TEST_VIP_PORT);
	vk.proto = IPPROTO_TCP;
	vk.family = BGXDP_FAMILY_IPV4;
	assert_int_equal(bpf_map__delete_elem(skel->maps.services, &vk, sizeof(vk), 0), 0);
	expect_untouched(&s, 0, PASS_NOT_VIP);
}

/* The client reuses a port whose VIP flow to backend B is closing for a
 * direct connection to B: B sees the same addresses and ports, so the old
 * flow entry is dropped (its replies would otherwise be rewritten to the
 * VIP).  An open flow is left alone. */
static void test_port_reuse_direct(void **state)
{
	struct frame_spec vip = client_spec(4, IPPROTO_TCP, 4848);
	struct frame_spec direct;
	struct flow_value v;
	struct flow_key k;
	struct backend b;
	uint32_t c, slot;

	(void)state;
	expected_backend(&vip, test_word(0), &b, &c, &slot);
	/* An established flow (a half-open one is dropped by any direct
	 * SYN: tests/kernel/test_flow_table.c). */
	assert_int_equal(test_handshake(skel, xdp_fd, tc_fd, &vip, &b, 5000), 0);
	vip.tcp_flags = TCP_ACK;
	vip.ack = 5001;
	flow_key_of(&vip, &k);
	direct = vip;
	memcpy(direct.dst, b.addr, 16);
	direct.dport = ntohs(b.port);
	direct.tcp_flags = TCP_SYN;

	expect_untouched(&direct, 0, PASS_NOT_VIP);     /* open: kept */
	assert_int_equal(bpf_map__lookup_elem(skel->maps.flows, &k, sizeof(k),
					      &v, sizeof(v), 0), 0);

	vip.tcp_flags = TCP_FIN | TCP_ACK;              /* now closing */
	expect_rewrite_to(&vip, &b);
	direct.tcp_flags = TCP_ACK;                     /* not a SYN: kept */
	expect_untouched(&direct, 0, PASS_NOT_VIP);
	assert_int_equal(bpf_map__lookup_elem(skel->maps.flows, &k, sizeof(k),
					      &v, sizeof(v), 0), 0);
	direct.tcp_flags = TCP_SYN;                     /* reuse: forgotten */
	expect_untouched(&direct, 0, PASS_NOT_VIP);
	assert_int_not_equal(bpf_map__lookup_elem(skel->maps.flows, &k, sizeof(k),
						  &v, sizeof(v), 0), 0);
}

/* A backend slot the ring names but that is EMPTY (publish race): pass. */
static void test_empty_backend(void **state)
{
	struct frame_spec s = client_spec(4, IPPROTO_TCP, 4545);
	struct backend empty = {};

	(void)state;
	for (uint32_t c = 0; c < BGXDP_COLORS; c++)
		for (uint32_t sl = 0; sl < TEST_BACKENDS; sl++) {
			uint32_t idx = backend_index(SVC4, c, sl);

			assert_int_equal(bpf_map__update_elem(skel->maps.backends,
					 &idx, 4, &empty, sizeof(empty), 0), 0);
		}
	expect_untouched(&s, 0, PASS_NO_BACKEND);
}

/* Affinity across a flip, half-open and established; FIN/RST closing then
 * SYN re-picks; expiry. */
static void test_flow_affinity(void **state)
{
	struct frame_spec s = client_spec(4, IPPROTO_TCP, 2222), r;
	uint64_t green_word = test_word(10000) | CFG_RING_BUFFER(BGXDP_GREEN);
	struct backend blue, green;
	struct halfopen_value hv;
	struct flow_key k;
	struct flow_value fv;
	uint32_t c, slot;

	(void)state;
	expected_backend(&s, test_word(0), &blue, &c, &slot);
	assert_int_equal(c, BGXDP_BLUE);
	expect_rewrite_to(&s, &blue);                 /* SYN: new flow */

	/* Flip everything to green (and the other ring buffer). */
	assert_int_equal(test_set_word(skel, SVC4, green_word), 0);
	s.tcp_flags = TCP_ACK;
	expect_rewrite_to(&s, &blue);                 /* still blue */
	s.tcp_flags = TCP_SYN;                        /* SYN retransmit */
	expect_rewrite_to(&s, &blue);
	/* The backend's SYN-ACK, the client's ACK of it: established. */
	r = test_reply(&s, &blue, TCP_SYN | TCP_ACK);
	r.seq = 7000;
	assert_int_equal(test_send(tc_fd, &r, NULL, NULL), 0);
	s.tcp_flags = TCP_ACK;
	s.ack = 7001;
	expect_rewrite_to(&s, &blue);
	flow_key_of(&s, &k);
	assert_int_equal(test_flows_get(skel, &k, &fv), 0);
	assert_int_equal(fv.color, BGXDP_BLUE);

	/* A new flow goes green. */
	{
		struct frame_spec n = client_spec(4, IPPROTO_TCP, 2223);

		expected_backend(&n, green_word, &green, &c, &slot);
		assert_int_equal(c, BGXDP_GREEN);
		expect_rewrite_to(&n, &green);
	}

	/* FIN: closing, but still the same backend. */
	s.tcp_flags = TCP_FIN | TCP_ACK;
	expect_rewrite_to(&s, &blue);
	assert_int_equal(test_flows_get(skel, &k, &fv), 0);
	assert_int_equal(fv.state, FLOW_CLOSING);
	s.tcp_flags = TCP_ACK;
	expect_rewrite_to(&s, &blue);
	/* New SYN on the closing flow: picked again -> green, half-open; the
	 * closing entry is gone (its port is reused). */
	s.tcp_flags = TCP_SYN;
	s.ack = 0;
	expected_backend(&s, green_word, &green, &c, &slot);
	expect_rewrite_to(&s, &green);
	assert_int_not_equal(test_flows_get(skel, &k, &fv), 0);
	assert_int_equal(test_halfopen_get(skel, &k, &hv), 0);
	assert_int_equal(hv.flow.state, FLOW_OPEN);
	assert_int_equal(hv.flow.color, BGXDP_GREEN);

	/* RST closes too. */
	s.tcp_flags = TCP_RST;
	expect_rewrite_to(&s, &green);
	assert_int_equal(test_halfopen_get(skel, &k, &hv), 0);
	assert_int_equal(hv.flow.state, FLOW_CLOSING);

	/* Expired: flip back to blue; an established entry idle past the TCP
	 * timeout (the half-open one gone): an ACK is picked again too. */
	assert_int_equal(test_set_word(skel, SVC4, test_word(0)), 0);
	assert_int_equal(test_halfopen_clear(skel), 0);
	fv = hv.flow;
	fv.state = FLOW_OPEN;
	fv.last_seen_ns = test_now_ns() - FLOW_TCP_IDLE_NS - 5000000000ull;
	assert_int_equal(bpf_map__update_elem(skel->maps.flows, &k, sizeof(k),
					      &fv, sizeof(fv), 0), 0);
	s.tcp_flags = TCP_ACK;
	expected_backend(&s, test_word(0), &blue, &c, &slot);
	expect_rewrite_to(&s, &blue);

	/* UDP idles out after FLOW_UDP_IDLE_NS. */
	{
		struct frame_spec u = client_spec(6, IPPROTO_UDP, 53), ur;
		struct flow_key uk;

		assert_int_equal(test_set_word(skel, SVC6, test_word(0)), 0);
		expected_backend(&u, test_word(0), &blue, &c, &slot);
		expect_rewrite_to(&u, &blue);
		assert_int_equal(test_set_word(skel, SVC6, test_word(10000)), 0);
		expect_rewrite_to(&u, &blue);           /* sticky, half-open */
		ur = test_reply(&u, &blue, 0);
		assert_int_equal(test_send(tc_fd, &ur, NULL, NULL), 0);
		expect_rewrite_to(&u, &blue);           /* promoted */
		flow_key_of(&u, &uk);
		assert_int_equal(test_flows_get(skel, &uk, &fv), 0);
		fv.last_seen_ns = test_now_ns() - FLOW_UDP_IDLE_NS - 5000000000ull;
		assert_int_equal(bpf_map__update_elem(skel->maps.flows, &uk,
						      sizeof(uk), &fv,
						      sizeof(fv), 0), 0);
		expected_backend(&u, test_word(10000), &green, &c, &slot);
		expect_rewrite_to(&u, &green);
	}
}

/* N packets -> exactly N counted, bytes exact. */
static void test_counters(void **state)
{
	const int n = 37;
	struct frame_spec s = client_spec(6, IPPROTO_TCP, 3333);
	struct color_counters cc;
	struct backend_counters bc;
	struct backend b;
	uint32_t c, slot;
	uint8_t buf[FRAME_MAX];
	size_t len;

	(void)state;
	expected_backend(&s, test_word(0), &b, &c, &slot);
	len = build_frame(&s, buf);
	for (int i = 0; i < n; i++) {
		expect_rewrite_to(&s, &b);
		s.tcp_flags = TCP_ACK;
	}
	sum_color(skel, color_index(SVC6, c), &cc);
	sum_backend(skel, backend_index(SVC6, c, slot), &bc);
	assert_int_equal(cc.packets_to_backend, n);
	assert_int_equal(cc.bytes_to_backend, n * len);
	assert_int_equal(cc.flows_created, 1);
	assert_int_equal(bc.packets, n);
	assert_int_equal(bc.bytes, n * len);
	sum_color(skel, color_index(SVC6, c ^ 1), &cc);
	assert_int_equal(cc.packets_to_backend, 0);
}

/* A mid-stream TCP packet with no flow entry (evicted, idled out, or older
 * than the attach) is counted as a lost flow and picked again: with the
 * config unchanged that is the backend a SYN would have got.  A SYN is
 * never counted as lost. */
static void test_lost_flow_counted(void **state)
{
	struct frame_spec ack = client_spec(4, IPPROTO_TCP, 4441);
	struct frame_spec syn = client_spec(4, IPPROTO_TCP, 4442);
	struct color_counters before, after;
	struct backend b;
	uint32_t c, slot;

	(void)state;
	ack.tcp_flags = TCP_ACK;
	expected_backend(&ack, test_word(0), &b, &c, &slot);
	sum_color(skel, color_index(SVC4, c), &before);
	expect_rewrite_to(&ack, &b);
	sum_color(skel, color_index(SVC4, c), &after);
	assert_int_equal(after.flows_lost - before.flows_lost, 1);
	assert_int_equal(after.flows_created - before.flows_created, 1);

	/* The entry exists now (half-open): the next ACK is not lost. */
	expect_rewrite_to(&ack, &b);
	sum_color(skel, color_index(SVC4, c), &before);
	assert_int_equal(before.flows_lost, after.flows_lost);

	expected_backend(&syn, test_word(0), &b, &c, &slot);
	sum_color(skel, color_index(SVC4, c), &before);
	expect_rewrite_to(&syn, &b);
	sum_color(skel, color_index(SVC4, c), &after);
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
		struct frame_spec s = client_spec(families[f], protos[p],
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
		expected_backend(&s, test_word(0), &b, &c, &slot);
		expect_rewrite_to(&s, &b);

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
		sum_color(skel, color_index(f ? SVC6 : SVC4, c), &before);
		assert_int_equal(run_prog(tc_fd, in, len, out, &out_len, &ret), 0);
		assert_int_equal(ret, TC_ACT_OK);
		assert_int_equal(out_len, exp_len);
		assert_memory_equal(out, exp, exp_len);
		assert_true(frame_checksums_ok(out, out_len));
		sum_color(skel, color_index(f ? SVC6 : SVC4, c), &after);
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
	struct frame_spec s = client_spec(4, IPPROTO_TCP, 7000), r;
	struct color_counters cc;
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t len, out_len;
	struct backend b;
	uint32_t c, slot, ret;

	(void)state;
	expected_backend(&s, test_word(0), &b, &c, &slot);
	expect_rewrite_to(&s, &b);
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
	sum_color(skel, color_index(SVC4, c), &cc);
	assert_int_equal(cc.resets_from_backend, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rewrite_matrix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ethernet_padding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp_csum_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp_csum_computes_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fragments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_everywhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_for_us, setup, teardown),
		cmocka_unit_test_setup_teardown(test_color_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_preview_vip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_backend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flow_affinity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter_false_positive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_service_flows_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_reuse_direct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_flow_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tc_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tc_reset_counted, setup, teardown),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_packets: needs root for BPF_PROG_TEST_RUN; skipping\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
