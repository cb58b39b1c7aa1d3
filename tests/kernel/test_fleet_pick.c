// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_fleet_pick.c - two hosts with the same config pick the same backend
 * for the same flow, whatever their history: two data planes loaded side
 * by side, configured through the library with the same services,
 * backends and split but in a different order (other backend slots, other
 * generations, a backend added and removed on one of them), then
 * FLEET_PICK_FLOWS synthetic new flows (IPv4 and IPv6, TCP SYN and UDP,
 * random clients) run through BPF_PROG_TEST_RUN on both: the rewritten
 * frames must be byte for byte the same, with every backend of both
 * colors picked.  This is what lets a fleet behind ECMP keep a connection
 * on its backend when it moves to another host with no state shared.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp.h"
#include "bgxdp.skel.h"
#include "helpers_dp.h"
#include "helpers_frames.h"
#include "helpers_lib.h"
#include "libbgxdp.h"

#define FLEET_PICK_FLOWS 1000000
#define TCP_SYN 0x02

struct host {
	struct bgxdp *skel;
	struct bgx_instance *in;
	int xdp_fd;
};

static struct host hosts[2];

static const char *const blue4[] = { "10.1.0.1:8080", "10.1.0.2:8080", "10.1.0.3:8080" };
static const char *const green4[] = { "10.2.0.1:8080", "10.2.0.2:8080", "10.2.0.3:8080",
				      "10.2.0.4:9090" };
static const char *const blue6[] = { "[2001:db8:1::1]:8080", "[2001:db8:1::2]:8080" };
static const char *const green6[] = { "[2001:db8:2::1]:8080", "[2001:db8:2::2]:8080",
				      "[2001:db8:2::3]:8080" };

static void add_backend(struct bgx_instance *in, const char *svc, __u32 color, const char *addr,
			__u16 weight)
{
	struct bgx_backend_ref ref = { .service = svc, .color = color, .ep = lib_endpoint(addr) };
	struct bgx_backend_result res;

	LIB_OK(bgx_backend_add(in, &ref, weight, &res, e));
}

static void add_service(struct bgx_instance *in, const char *name, const char *vip, __u8 proto)
{
	struct bgx_service_spec s = { .vip = lib_endpoint(vip), .proto = proto };

	snprintf(s.name, sizeof(s.name), "%s", name);
	LIB_OK(bgx_service_add(in, &s, e));
}

/* The same state, reached two ways: i == 0 adds in table order; i == 1 in
 * reverse, with a backend that comes and goes and a detour of the split. */
static void configure(struct bgx_instance *in, int i)
{
	struct bgx_share_result sr;
	int n;

	add_service(in, "web", "10.214.0.10:80", IPPROTO_TCP);
	add_service(in, "dns", "10.214.0.53:53", IPPROTO_UDP);
	add_service(in, "web6", "[fd00:b6:14::10]:80", IPPROTO_TCP);
	if (i == 1) {
		add_backend(in, "web", BGXDP_BLUE, "10.1.0.99:8080", 1);
		add_backend(in, "web", BGXDP_GREEN, "10.2.0.99:8080", 1);
	}
	for (n = 0; n < 4; n++) {
		int k = i ? 3 - n : n;

		if (k < 3) {
			add_backend(in, "web", BGXDP_BLUE, blue4[k], (__u16)(k + 1));
			add_backend(in, "dns", BGXDP_BLUE, blue4[k], 1);
		}
		add_backend(in, "web", BGXDP_GREEN, green4[k], 2);
		add_backend(in, "dns", BGXDP_GREEN, green4[k], 1);
	}
	for (n = 0; n < 3; n++) {
		int k = i ? 2 - n : n;

		if (k < 2)
			add_backend(in, "web6", BGXDP_BLUE, blue6[k], 1);
		add_backend(in, "web6", BGXDP_GREEN, green6[k], 1);
	}
	if (i == 1) {
		struct bgx_backend_ref r1 = { .service = "web", .color = BGXDP_BLUE,
					      .ep = lib_endpoint("10.1.0.99:8080") };
		struct bgx_backend_ref r2 = { .service = "web", .color = BGXDP_GREEN,
					      .ep = lib_endpoint("10.2.0.99:8080") };
		struct bgx_backend_result res;

		LIB_OK(bgx_backend_del(in, &r1, &res, e));
		LIB_OK(bgx_backend_del(in, &r2, &res, e));
		LIB_OK(bgx_share_set(in, "web", 10000, &sr, e));
	}
	LIB_OK(bgx_share_set(in, "web", 3700, &sr, e));
	LIB_OK(bgx_share_set(in, "dns", 5000, &sr, e));
	LIB_OK(bgx_share_set(in, "web6", 2500, &sr, e));
}

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		struct bgx_err e = { 0 };
		struct host *h = &hosts[i];

		h->skel = bgxdp__open();
		if (!h->skel || bpf_map__set_max_entries(h->skel->maps.flows, 65536) ||
		    bgxdp__load(h->skel))
			return -1;
		if (bgx_open_object(h->skel->obj, &h->in, &e)) {
			fprintf(stderr, "bgx_open_object: %s\n", e.msg);
			return -1;
		}
		h->xdp_fd = bpf_program__fd(h->skel->progs.xdp_ingress);
		configure(h->in, i);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		bgx_close(hosts[i].in);
		bgxdp__destroy(hosts[i].skel);
	}
	return 0;
}

/* xorshift64*: the same flows on every run */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* Flow n: a client of its own, to one of the three VIPs. */
static size_t flow_frame(uint64_t *seed, uint8_t *buf, struct frame_spec *s)
{
	uint64_t r = next_random(seed);
	int which = (int)(r % 3);

	memset(s, 0, sizeof(*s));
	s->family = which == 2 ? 6 : 4;
	s->proto = which == 1 ? IPPROTO_UDP : IPPROTO_TCP;
	s->tcp_flags = s->proto == IPPROTO_TCP ? TCP_SYN : 0;
	s->payload_len = 8;
	s->sport = (uint16_t)(1024 + (r >> 8) % 64000);
	if (s->family == 4) {
		set_ipv4(s->src, 172, (uint8_t)(16 + (r >> 24) % 16), (uint8_t)(r >> 32),
			 (uint8_t)(r >> 40));
		set_ipv4(s->dst, 10, 214, 0, which == 1 ? 53 : 10);
		s->dport = which == 1 ? 53 : 80;
	} else {
		uint8_t vip[16] = { 0xfd, 0x00, 0x00, 0xb6, 0x00, 0x14, [15] = 0x10 };

		s->src[0] = 0x20;
		s->src[1] = 0x01;
		memcpy(s->src + 8, &r, 8);
		memcpy(s->dst, vip, 16);
		s->dport = 80;
	}
	return build_frame(s, buf);
}

/* Where the flow went: its frame's destination address and port. */
static uint32_t backend_id(const struct frame_spec *s, const uint8_t *out)
{
	size_t l3 = frame_l3_off(s), l4 = frame_l4_off(s);
	const uint8_t *dst = out + l3 + (s->family == 4 ? 16 : 24);
	uint32_t h = (uint32_t)out[l4 + 2] << 8 | out[l4 + 3];

	for (int i = 0; i < (s->family == 4 ? 4 : 16); i++)
		h = h * 31 + dst[i];
	return h;
}

static void test_same_flow_same_backend(void **state)
{
	uint8_t in[FRAME_MAX], out[2][FRAME_MAX];
	size_t len, out_len[2];
	uint32_t ret[2], seen[64] = { 0 };
	uint64_t seed = 0x243f6a8885a308d3ull, mismatches = 0, untouched = 0;
	int distinct = 0;

	(void)state;
	for (long n = 0; n < FLEET_PICK_FLOWS; n++) {
		struct frame_spec s;
		uint32_t id;

		len = flow_frame(&seed, in, &s);
		for (int i = 0; i < 2; i++)
			assert_int_equal(run_prog(hosts[i].xdp_fd, in, len, out[i], &out_len[i],
						  &ret[i]), 0);
		if (ret[0] != ret[1] || out_len[0] != out_len[1] ||
		    memcmp(out[0], out[1], out_len[0])) {
			if (mismatches++ < 5)
				print_message("flow %ld: the two hosts differ\n", n);
			continue;
		}
		untouched += !memcmp(out[0], in, len);
		id = backend_id(&s, out[0]);
		for (int k = 0; k < distinct + 1 && k < 64; k++) {
			if (k == distinct) {
				seen[distinct++] = id;
				break;
			}
			if (seen[k] == id)
				break;
		}
	}
	print_message("%d flows through both hosts: %llu mismatches, %d backends picked\n",
		      FLEET_PICK_FLOWS, (unsigned long long)mismatches, distinct);
	assert_int_equal(mismatches, 0);
	assert_int_equal(untouched, 0);         /* every flow was rewritten */
	/* web: 3 blue + 4 green, dns: the same addresses on port 8080/9090,
	 * web6: 2 + 3 -> at least 12 distinct destinations */
	assert_true(distinct >= 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_flow_same_backend),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
