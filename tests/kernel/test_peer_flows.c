// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_peer_flows.c - flows another host created, written into a real
 * flow table through the library (peer_flows.h), and what packets then do:
 *
 * 1. A peer's flow gets this host's service id and backend slot (resolved
 *    by VIP and backend address, whatever slot the peer had), and keeps
 *    the connection on its backend after a flip: the client's next packet
 *    goes to it, and its backend's reply is rewritten back to the VIP.  A
 *    flow nobody synced is picked again under the new split.
 * 2. Refused, table unchanged: a VIP that is no service here, a backend
 *    that is not in that color here, a malformed flow.
 * 3. Merging: a refresh never makes an entry older, a closing entry stays
 *    closing, a close of another backend's flow leaves it, a close of an
 *    absent flow inserts it closing, another backend's flow is replaced.
 * 4. Walking the flows this host's traffic keeps alive, and the flow
 *    events switch and ring buffer of a pinned instance.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp.h"
#include "bgxdp.skel.h"
#include "helpers_dp.h"
#include "helpers_frames.h"
#include "helpers_lib.h"
#include "libbgxdp.h"
#include "peer_flows.h"

#define TCP_ACK 0x10
#define SECOND 1000000000ull

static struct bgxdp *skel;
static char pin_dir[64];
static struct bgx_instance *in;         /* BGX_READ, as the agent's sync thread */

static void add_backend(struct bgx_instance *w, __u32 color, const char *addr)
{
	struct bgx_backend_ref ref = { .service = "web", .color = color, .ep = lib_endpoint(addr) };
	struct bgx_backend_result res;

	LIB_OK(bgx_backend_add(w, &ref, 1, &res, e));
}

static void set_share(__u32 green_bp)
{
	struct bgx_instance *w = NULL;
	struct bgx_share_result sr;

	LIB_OK(bgx_open(pin_dir, BGX_WRITE, &w, e));
	LIB_OK(bgx_share_set(w, "web", green_bp, &sr, e));
	bgx_close(w);
}

/* A pinned instance: web 10.214.0.10:80, blue .11 .12, green .21 .22. */
static int setup(void **state)
{
	struct bgx_service_spec s = { .name = "web", .proto = IPPROTO_TCP };
	struct bgx_instance *w = NULL;
	struct bgx_err e = { 0 };

	(void)state;
	skel = bgxdp__open();
	if (!skel || bpf_map__set_max_entries(skel->maps.flows, 4096) || bgxdp__load(skel) ||
	    lib_pin_maps(skel->obj, "bgxpf", pin_dir, sizeof(pin_dir)))
		return -1;
	if (bgx_open(pin_dir, BGX_WRITE, &w, &e)) {
		fprintf(stderr, "bgx_open: %s\n", e.msg);
		return -1;
	}
	s.vip = lib_endpoint("10.214.0.10:80");
	if (bgx_service_add(w, &s, &e))
		return -1;
	add_backend(w, BGXDP_GREEN, "10.213.0.21:8080");       /* slots differ from a peer's */
	add_backend(w, BGXDP_BLUE, "10.213.0.11:8080");
	add_backend(w, BGXDP_BLUE, "10.213.0.12:8080");
	add_backend(w, BGXDP_GREEN, "10.213.0.22:8080");
	bgx_close(w);
	return bgx_open(pin_dir, BGX_READ, &in, &e) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	bgx_close(in);
	lib_unpin_maps(skel->obj, pin_dir);
	bgxdp__destroy(skel);
	return 0;
}

/* The peer's flow of client 192.168.7.N:port to the VIP, on `backend`. */
static struct bgx_peer_flow peer_flow(int client, __u16 port, const char *backend, __u32 color)
{
	struct bgx_peer_flow f = { .value = { .color = (__u8)color, .state = FLOW_OPEN,
					      .service_id = 9, .backend_slot = 77,
					      .last_seen_ns = 12345 } };
	struct endpoint b = lib_endpoint(backend), vip = lib_endpoint("10.214.0.10:80");

	set_ipv4(f.key.client, 192, 168, 7, (uint8_t)client);
	memcpy(f.key.vip, vip.addr, BGXDP_ADDR_LEN);
	f.key.client_port = htons(port);
	f.key.vip_port = htons(80);
	f.key.proto = IPPROTO_TCP;
	f.key.family = BGXDP_FAMILY_IPV4;
	memcpy(f.value.backend, b.addr, BGXDP_ADDR_LEN);
	f.value.backend_port = htons(b.port);
	return f;
}

static struct frame_spec frame_of(const struct bgx_peer_flow *f, uint8_t flags)
{
	struct frame_spec s = { .family = 4, .proto = IPPROTO_TCP, .tcp_flags = flags,
				.payload_len = 20 };

	memcpy(s.src, f->key.client, 16);
	memcpy(s.dst, f->key.vip, 16);
	s.sport = ntohs(f->key.client_port);
	s.dport = 80;
	return s;
}

/* The client's packet of the flow: where the data plane sends it. */
static void client_packet_goes_to(const struct bgx_peer_flow *f, const char *want)
{
	struct frame_spec s = frame_of(f, TCP_ACK);
	struct endpoint b = lib_endpoint(want);
	uint8_t buf[FRAME_MAX], out[FRAME_MAX];
	size_t len = build_frame(&s, buf), out_len;
	uint32_t ret;

	assert_int_equal(run_prog(bpf_program__fd(skel->progs.xdp_ingress), buf, len, out,
				  &out_len, &ret), 0);
	assert_int_equal(ret, XDP_PASS);
	assert_memory_equal(out + frame_l3_off(&s) + 16, b.addr, 4);
	assert_int_equal(out[frame_l4_off(&s) + 2] << 8 | out[frame_l4_off(&s) + 3], b.port);
	assert_true(frame_checksums_ok(out, out_len));
}

static void test_peer_flow_keeps_its_backend(void **state)
{
	struct bgx_peer_flow synced = peer_flow(1, 40001, "10.213.0.12:8080", BGXDP_BLUE);
	struct bgx_peer_flow other = peer_flow(2, 40002, "10.213.0.12:8080", BGXDP_BLUE);
	struct bgx_flow_result res;
	struct flow_value v;
	struct frame_spec r;
	uint8_t buf[FRAME_MAX], out[FRAME_MAX], want[FRAME_MAX];
	size_t len, out_len, want_len;
	uint32_t ret;
	__u64 before = bgx_flow_clock();

	(void)state;
	set_share(0);
	LIB_OK(bgx_flow_upsert(in, &synced, 5 * SECOND, &res, e));
	assert_int_equal(res.outcome, BGX_FLOW_INSERTED);
	LIB_OK(bgx_flow_get(in, &synced.key, &v, e));
	assert_int_equal(v.service_id, res.service_id);
	assert_int_equal(v.backend_slot, 1);            /* here: the 2nd blue slot, not 77 */
	assert_int_equal(res.backend_slot, 1);
	assert_true(v.last_seen_ns + 5 * SECOND >= before && v.last_seen_ns <= bgx_flow_clock());

	set_share(10000);                               /* flip to green */
	client_packet_goes_to(&synced, "10.213.0.12:8080");
	/* the same packet of a flow nobody synced is picked under the flip */
	{
		struct frame_spec s = frame_of(&other, TCP_ACK);

		len = build_frame(&s, buf);
		assert_int_equal(run_prog(bpf_program__fd(skel->progs.xdp_ingress), buf, len, out,
					  &out_len, &ret), 0);
		assert_int_equal(out[frame_l3_off(&s) + 16 + 3] / 10, 2);   /* .21 or .22 */
	}
	/* the backend's reply, rewritten back to the VIP on this host */
	r = frame_of(&synced, TCP_ACK);
	memcpy(r.src, synced.value.backend, 16);
	r.sport = 8080;
	memcpy(r.dst, synced.key.client, 16);
	r.dport = 40001;
	len = build_frame(&r, buf);
	memcpy(r.src, synced.key.vip, 16);
	r.sport = 80;
	want_len = build_frame(&r, want);
	assert_int_equal(run_prog(bpf_program__fd(skel->progs.tc_egress), buf, len, out, &out_len,
				  &ret), 0);
	assert_int_equal(ret, TC_ACT_OK);
	assert_int_equal(out_len, want_len);
	assert_memory_equal(out, want, want_len);
	set_share(0);
}

static void test_refused_change_nothing(void **state)
{
	struct bgx_peer_flow no_vip = peer_flow(3, 40003, "10.213.0.11:8080", BGXDP_BLUE);
	struct bgx_peer_flow no_backend = peer_flow(4, 40004, "10.213.0.11:8080", BGXDP_GREEN);
	struct bgx_peer_flow bad = peer_flow(5, 40005, "10.213.0.11:8080", BGXDP_BLUE);
	struct bgx_peer_flow *all[] = { &no_vip, &no_backend, &bad };
	static const enum bgx_flow_outcome why[] = { BGX_FLOW_NO_SERVICE, BGX_FLOW_NO_BACKEND,
						     BGX_FLOW_MALFORMED };
	static const int code[] = { -ENOENT, -ENOENT, -EINVAL };

	(void)state;
	no_vip.key.vip[3] = 99;                         /* 10.214.0.99: no service here */
	bad.key.family = 5;
	for (int i = 0; i < 3; i++) {
		struct bgx_flow_result res;
		struct bgx_err e = { 0 };
		struct flow_value v;

		assert_int_equal(bgx_flow_upsert(in, all[i], 0, &res, &e), code[i]);
		assert_int_equal(res.outcome, why[i]);
		assert_non_null(strstr(e.msg, "peer flow: "));
		assert_int_equal(bgx_flow_close(in, all[i], &res, NULL), code[i]);
		assert_int_equal(bgx_flow_get(in, &all[i]->key, &v, NULL), -ENOENT);
	}
}

static void test_merging(void **state)
{
	struct bgx_peer_flow f = peer_flow(6, 40006, "10.213.0.11:8080", BGXDP_BLUE);
	struct bgx_peer_flow elsewhere = peer_flow(6, 40006, "10.213.0.12:8080", BGXDP_BLUE);
	struct bgx_peer_flow absent = peer_flow(7, 40007, "10.213.0.11:8080", BGXDP_BLUE);
	struct bgx_flow_result res;
	struct flow_value v, w;

	(void)state;
	LIB_OK(bgx_flow_upsert(in, &f, 100 * SECOND, &res, e));
	assert_int_equal(res.outcome, BGX_FLOW_INSERTED);
	LIB_OK(bgx_flow_upsert(in, &f, 0, &res, e));        /* fresher: refreshed */
	assert_int_equal(res.outcome, BGX_FLOW_REFRESHED);
	LIB_OK(bgx_flow_get(in, &f.key, &v, e));
	LIB_OK(bgx_flow_upsert(in, &f, 500 * SECOND, &res, e));     /* older: left */
	assert_int_equal(res.outcome, BGX_FLOW_UNCHANGED);
	LIB_OK(bgx_flow_get(in, &f.key, &w, e));
	assert_int_equal(w.last_seen_ns, v.last_seen_ns);
	/* closing stays closing */
	LIB_OK(bgx_flow_close(in, &f, &res, e));
	assert_int_equal(res.outcome, BGX_FLOW_REFRESHED);
	LIB_OK(bgx_flow_upsert(in, &f, 0, &res, e));
	LIB_OK(bgx_flow_get(in, &f.key, &v, e));
	assert_int_equal(v.state, FLOW_CLOSING);
	/* a close of another backend's flow leaves this one */
	LIB_OK(bgx_flow_close(in, &elsewhere, &res, e));
	assert_int_equal(res.outcome, BGX_FLOW_OTHER_BACKEND);
	LIB_OK(bgx_flow_get(in, &f.key, &w, e));
	assert_memory_equal(w.backend, f.value.backend, BGXDP_ADDR_LEN);
	/* another backend's open flow replaces it (the caller settled it) */
	LIB_OK(bgx_flow_upsert(in, &elsewhere, 0, &res, e));
	assert_int_equal(res.outcome, BGX_FLOW_REPLACED);
	LIB_OK(bgx_flow_get(in, &f.key, &w, e));
	assert_memory_equal(w.backend, elsewhere.value.backend, BGXDP_ADDR_LEN);
	assert_int_equal(w.state, FLOW_OPEN);
	/* a close of a flow never seen: there, closing */
	LIB_OK(bgx_flow_close(in, &absent, &res, e));
	assert_int_equal(res.outcome, BGX_FLOW_INSERTED);
	LIB_OK(bgx_flow_get(in, &absent.key, &v, e));
	assert_int_equal(v.state, FLOW_CLOSING);
}

struct counted {
	int n;
	__u16 port;
};

static int count_port(const struct flow_key *k, const struct flow_value *v, void *ctx)
{
	struct counted *c = ctx;

	(void)v;
	if (ntohs(k->client_port) >= 41000 && ntohs(k->client_port) < 41010) {
		c->n++;
		c->port = ntohs(k->client_port);
	}
	return 0;
}

static void test_walk_seen(void **state)
{
	struct bgx_peer_flow fresh = peer_flow(8, 41001, "10.213.0.11:8080", BGXDP_BLUE);
	struct bgx_peer_flow old = peer_flow(8, 41002, "10.213.0.11:8080", BGXDP_BLUE);
	struct bgx_peer_flow closing = peer_flow(8, 41003, "10.213.0.11:8080", BGXDP_BLUE);
	struct bgx_flow_result res;
	struct counted c = { 0 };

	(void)state;
	LIB_OK(bgx_flow_upsert(in, &fresh, 0, &res, e));
	LIB_OK(bgx_flow_upsert(in, &old, 100 * SECOND, &res, e));
	LIB_OK(bgx_flow_close(in, &closing, &res, e));
	LIB_OK(bgx_flow_for_each_seen(in, bgx_flow_clock() - 50 * SECOND, count_port, &c, e));
	assert_int_equal(c.n, 1);
	assert_int_equal(c.port, 41001);
}

static void test_flow_events_switch(void **state)
{
	struct bgx_err e = { 0 };
	bool was = true;
	int fd;

	(void)state;
	assert_int_equal(bgx_flow_events_get(in, NULL), 0);
	LIB_OK(bgx_flow_events_set(pin_dir, true, &was, e));
	assert_false(was);
	assert_int_equal(bgx_flow_events_get(in, NULL), 1);
	LIB_OK(bgx_flow_events_set(pin_dir, false, &was, e));
	assert_true(was);
	assert_int_equal(bgx_flow_events_get(in, NULL), 0);
	fd = bgx_flow_events_fd(in, &e);
	if (bpf_object__find_map_by_name(skel->obj, "flow_events")) {
		assert_true(fd >= 0);
		close(fd);
	} else {
		assert_int_equal(fd, -ENOENT);
		assert_non_null(strstr(e.msg, "bgxdp upgrade"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peer_flow_keeps_its_backend),
		cmocka_unit_test(test_refused_change_nothing),
		cmocka_unit_test(test_merging),
		cmocka_unit_test(test_walk_seen),
		cmocka_unit_test(test_flow_events_switch),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
