/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_packets.c - the data plane, packet by packet, with
 * BPF_PROG_TEST_RUN: every header layout rewritten exactly (expected frame
 * built independently, every checksum recomputed), and every way a frame
 * passes untouched: not ours, malformed, cut short, a fragment, a VIP with
 * no backend, a VIP filter false positive, a service being deleted.
 *
 * The services are configured through the control-plane library
 * (helpers_dp.h); the backend a flow must get comes from the Maglev ring
 * its color's backends build (test_expected_backend()).  The states a
 * packet meets while an operation runs are reached with the library's
 * step hook, between the steps of the real operation.
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
#include "libbgxdp.h"
#include "helpers_frames.h"
#include "helpers_dp.h"
#include "helpers_fixture.h"
#include "helpers_flow.h"
#include "helpers_lib.h"


/* XDP on `s` (cut to `cut` bytes if not 0): passed byte-identical and
 * counted under `reason`?  No cmocka assertion: the step hooks use it in
 * the middle of a library call. */
static bool passes_untouched(const struct frame_spec *s, size_t cut, uint32_t reason)
{
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t len, out_len;
	uint64_t before = sum_passed(skel, reason);
	uint32_t ret;

	len = build_frame(s, in);
	if (cut)
		len = cut;
	return !run_prog(xdp_fd, in, len, out, &out_len, &ret) && ret == XDP_PASS &&
	       out_len == len && !memcmp(out, in, len) && sum_passed(skel, reason) == before + 1;
}

static void expect_untouched(const struct frame_spec *s, size_t cut, uint32_t reason)
{
	assert_true(passes_untouched(s, cut, reason));
}

static const int families[] = { 4, 6 };
static const int protos[] = { IPPROTO_TCP, IPPROTO_UDP };

/* Every header layout the parser knows, each rewritten exactly. */
static void test_rewrite_matrix(void **state)
{
	uint16_t sport = 40000;
	int cases = 0, colors[2] = { 0, 0 };

	(void)state;
	test_share_all(&dp, 5000);      /* 50 %: both colors show up */
	for (int f = 0; f < 2; f++)
	for (int p = 0; p < 2; p++)
	for (int v = 0; v <= 2; v++)
	for (int x = 0; x < 3; x++) {
		struct frame_spec s = test_client(families[f], protos[p], sport++);
		struct backend b;
		uint32_t c, slot;

		s.vlans = v;
		if (s.family == 4)
			s.ipv4_opt_words = x == 0 ? 0 : x == 1 ? 1 : 10;
		else
			s.ipv6_ext_hdrs = x;
		test_expected_backend(skel, &s, &b, &c, &slot);
		test_expect_to(xdp_fd, &s, &b);
		colors[c]++;
		cases++;
	}
	assert_true(colors[BGXDP_BLUE] > 0 && colors[BGXDP_GREEN] > 0);
	print_message("rewrite matrix: %d layouts (%d blue, %d green)\n", cases,
		      colors[BGXDP_BLUE], colors[BGXDP_GREEN]);
}

/* Ethernet padding after tot_len / payload_len is not part of the
 * packet: rewritten all the same, padding left as it was. */
static void test_ethernet_padding(void **state)
{
	(void)state;
	for (int f = 0; f < 2; f++) {
		struct frame_spec s = test_client(families[f], IPPROTO_UDP, 999);
		uint8_t in[FRAME_MAX], out[FRAME_MAX], want[FRAME_MAX];
		struct frame_spec ws = s;
		size_t len, want_len, out_len;
		struct backend b;
		uint32_t c, slot, ret;

		s.payload_len = 0;
		ws.payload_len = 0;
		test_expected_backend(skel, &s, &b, &c, &slot);
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
	struct frame_spec s = test_client(4, IPPROTO_UDP, 5353);
	struct backend b;
	uint32_t c, slot;

	(void)state;
	s.udp_csum_zero = true;
	test_expected_backend(skel, &s, &b, &c, &slot);
	test_expect_to(xdp_fd, &s, &b);      /* builder keeps 0 in the expected frame */

	/* IPv6 UDP with checksum 0 is invalid: untouched, malformed. */
	s = test_client(6, IPPROTO_UDP, 5353);
	s.udp_csum_zero = true;
	expect_untouched(&s, 0, PASS_MALFORMED);
}

/* Find a UDP source port whose rewritten checksum computes to 0: it must
 * go out as 0xffff. */
static void test_udp_csum_computes_zero(void **state)
{
	(void)state;
	for (uint32_t sport = 1; sport < 65536; sport++) {
		struct frame_spec s = test_client(4, IPPROTO_UDP, (uint16_t)sport);
		struct frame_spec ws = s;
		uint8_t want[FRAME_MAX];
		struct backend b;
		uint32_t c, slot;
		size_t l4;

		test_expected_backend(skel, &s, &b, &c, &slot);
		memcpy(ws.dst, b.addr, 16);
		ws.dport = ntohs(b.port);
		build_frame(&ws, want);
		l4 = frame_l4_off(&ws);
		if (want[l4 + 6] == 0xff && want[l4 + 7] == 0xff) {
			test_expect_to(xdp_fd, &s, &b);
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
	s = test_client(4, IPPROTO_TCP, 1000);
	s.ipv4_frag_off = 0x2000;               /* MF */
	expect_untouched(&s, 0, PASS_FRAGMENT);
	s.ipv4_frag_off = 0x0010;               /* offset != 0 */
	expect_untouched(&s, 0, PASS_FRAGMENT);
	s = test_client(6, IPPROTO_UDP, 1000);
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
		struct frame_spec s = test_client(families[f], protos[p], 777);
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
	s = test_client(4, IPPROTO_TCP, 1000);
	s.dport = 81;
	expect_untouched(&s, 0, PASS_NOT_VIP);
	s = test_client(4, IPPROTO_TCP, 1000);
	set_ipv4(s.dst, 10, 0, 0, 2);
	expect_untouched(&s, 0, PASS_NOT_VIP);
	s = test_client(6, IPPROTO_UDP, 1000);
	set_ipv6(s.dst, 2);
	expect_untouched(&s, 0, PASS_NOT_VIP);

	/* ARP */
	s = test_client(4, IPPROTO_TCP, 1000);
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
}

/* A configured service without a backend in either color: its VIP's new
 * flows pass untouched, counted as having no backend. */
static void test_vip_without_backend(void **state)
{
	struct endpoint vip = lib_endpoint("10.0.0.3:80");
	struct frame_spec s = test_client(4, IPPROTO_TCP, 1000);

	(void)state;
	lib_service_add(dp.in, "bare", &vip, NULL, IPPROTO_TCP, false);
	set_ipv4(s.dst, 10, 0, 0, 3);
	expect_untouched(&s, 0, PASS_NO_BACKEND);
}

/* web4's green backends deleted (through the library: green has no share). */
static void delete_green(int family)
{
	for (int n = 0; n < TEST_BACKENDS; n++) {
		struct backend b;
		struct endpoint ep;

		test_backend(family, BGXDP_GREEN, n, &b);
		ep = lib_endpoint_of(&b);
		lib_backend_del(dp.in, test_svc_name(family, IPPROTO_TCP), BGXDP_GREEN, &ep);
	}
}

/* The chosen color without backends falls back to the other one. */
static void test_color_fallback(void **state)
{
	struct frame_spec s = test_client(4, IPPROTO_TCP, 1234);
	__u32 svc = test_svc(&dp, 4, IPPROTO_TCP);
	struct backend b;
	uint32_t c, slot;
	uint64_t word;

	(void)state;
	delete_green(4);
	/* Planted, not a control-plane sequence: no operation publishes a
	 * share for a color without backends (bgx_share_set and
	 * bgx_service_update refuse it), yet the data plane must still fall
	 * back should it ever read such a word.  Only the share changes. */
	assert_int_equal(bpf_map__lookup_elem(skel->maps.svc_config, &svc, sizeof(svc), &word,
					      sizeof(word), 0), 0);
	assert_false(word & CFG_HAS_BACKENDS(BGXDP_GREEN));
	word = cfg_with_share(word, BGXDP_SHARE_SCALE);
	assert_int_equal(bpf_map__update_elem(skel->maps.svc_config, &svc, sizeof(svc), &word,
					      sizeof(word), 0), 0);
	test_expected_backend(skel, &s, &b, &c, &slot);
	assert_int_equal(c, BGXDP_BLUE);
	test_expect_to(xdp_fd, &s, &b);
}

/* The preview address goes green whatever the share; blue once green has
 * no backend. */
static void test_preview_vip(void **state)
{
	struct frame_spec s = test_client(4, IPPROTO_TCP, 4444);
	struct backend b;
	uint32_t c, slot;

	(void)state;
	s.dport = TEST_PREVIEW_PORT;
	test_expected_backend(skel, &s, &b, &c, &slot);
	assert_int_equal(c, BGXDP_GREEN);               /* the share is 0 */
	test_expect_to(xdp_fd, &s, &b);

	delete_green(4);
	s.sport++;
	test_expected_backend(skel, &s, &b, &c, &slot);
	assert_int_equal(c, BGXDP_BLUE);
	test_expect_to(xdp_fd, &s, &b);
}

/* A backend slot the ring names but that is EMPTY: pass, no backend. */
static void test_empty_backend(void **state)
{
	struct frame_spec s = test_client(4, IPPROTO_TCP, 4545);
	struct backend empty = {};
	__u32 svc = test_svc(&dp, 4, IPPROTO_TCP);

	(void)state;
	/* Planted, not a control-plane sequence: the library writes a slot
	 * before any ring points at it and empties it only after the ring
	 * without it is published, so only corrupt maps look like this; the
	 * data plane must pass such a packet untouched all the same. */
	for (uint32_t c = 0; c < BGXDP_COLORS; c++)
		for (uint32_t sl = 0; sl < TEST_BACKENDS; sl++) {
			uint32_t idx = backend_index(svc, c, sl);

			assert_int_equal(bpf_map__update_elem(skel->maps.backends,
					 &idx, 4, &empty, sizeof(empty), 0), 0);
		}
	expect_untouched(&s, 0, PASS_NO_BACKEND);
}

/* ---- states between the steps of an operation (the step hook) ---- */

struct step_check {
	const char *op, *step;          /* where to look */
	void (*check)(struct step_check *sc);
	const struct frame_spec *frames[2];
	bool passed[2];                 /* each frame passed as expected */
	int seen;                       /* the step came */
};

static void at_step(const char *op, const char *step, void *ctx)
{
	struct step_check *sc = ctx;

	for (; sc->op; sc++) {
		if (strcmp(op, sc->op) || strcmp(step, sc->step))
			continue;
		sc->seen++;
		sc->check(sc);
	}
}

static void frames_pass_not_vip(struct step_check *sc)
{
	for (int i = 0; i < 2 && sc->frames[i]; i++)
		sc->passed[i] = passes_untouched(sc->frames[i], 0, PASS_NOT_VIP);
}

static void frames_pass_no_backend(struct step_check *sc)
{
	for (int i = 0; i < 2 && sc->frames[i]; i++)
		sc->passed[i] = passes_untouched(sc->frames[i], 0, PASS_NO_BACKEND);
}

static void expect_step_seen(const struct step_check *sc)
{
	for (; sc->op; sc++) {
		assert_int_equal(sc->seen, 1);
		for (int i = 0; i < 2 && sc->frames[i]; i++)
			if (!sc->passed[i])
				fail_msg("%s, step %s: frame %d was not passed untouched as expected",
					 sc->op, sc->step, i);
	}
}

/* `service add` sets the VIP filter bit before the VIP exists: in between,
 * a packet to it is a filter false positive (bit set, no such service)
 * and passes untouched, counted as not-a-VIP. */
static void test_filter_false_positive(void **state)
{
	struct frame_spec s = test_client(4, IPPROTO_TCP, 4646);
	struct endpoint vip = lib_endpoint("10.0.0.99:80");
	struct step_check sc[] = {
		{ "service.add", "filter-set", frames_pass_not_vip, { &s } },
		{ NULL },
	};

	(void)state;
	set_ipv4(s.dst, 10, 0, 0, 99);
	bgx_set_step_hook(dp.in, at_step, sc);
	lib_service_add(dp.in, "late", &vip, NULL, IPPROTO_TCP, false);
	bgx_set_step_hook(dp.in, NULL, NULL);
	expect_step_seen(sc);
}

/*
 * `service del` unpublishes the word first: from then on new flows and
 * the service's established flows pass untouched (no backend), and once
 * its addresses are gone, as not-a-VIP, while the flow entries are still
 * in the table (they are purged later in the operation).
 */
static void test_deleted_service_flows_stop(void **state)
{
	struct frame_spec est = test_client(4, IPPROTO_TCP, 4747);
	struct frame_spec syn = test_client(4, IPPROTO_TCP, 4748);
	struct step_check sc[] = {
		{ "service.del", "unpublished", frames_pass_no_backend, { &est, &syn } },
		{ "service.del", "addresses-deleted", frames_pass_not_vip, { &est, &syn } },
		{ NULL },
	};
	struct backend b;
	uint32_t c, slot;

	(void)state;
	test_expected_backend(skel, &est, &b, &c, &slot);
	assert_int_equal(test_handshake(skel, xdp_fd, tc_fd, &est, &b, 900), 0);
	est.tcp_flags = TCP_ACK;
	est.ack = 901;
	test_expect_to(xdp_fd, &est, &b);               /* established */

	bgx_set_step_hook(dp.in, at_step, sc);
	lib_service_del(dp.in, test_svc_name(4, IPPROTO_TCP));
	bgx_set_step_hook(dp.in, NULL, NULL);
	expect_step_seen(sc);
	assert_false(test_in_flows(skel, &est, NULL));  /* purged with the service */
	expect_untouched(&est, 0, PASS_NOT_VIP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rewrite_matrix, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_ethernet_padding, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_udp_csum_zero, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_udp_csum_computes_zero, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_fragments, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_truncated_everywhere, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_not_for_us, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_vip_without_backend, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_color_fallback, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_preview_vip, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_empty_backend, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_filter_false_positive, dp_fixture_setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_deleted_service_flows_stop, dp_fixture_setup, dp_fixture_teardown),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_packets: needs root for BPF_PROG_TEST_RUN; skipping\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
