/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp.skel.h"
#include "bgxdp_hash.h"
#include "helpers_dp.h"
#include "helpers_flow.h"

struct frame_spec test_client(int family, int proto, uint16_t sport)
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

void test_expected_backend(const struct frame_spec *s, uint64_t word,
			   struct backend *b, uint32_t *color, uint32_t *slot)
{
	struct flow_key k;

	test_flow_key(s, &k);
	*color = bgxdp_pick_color(&k, word);
	*slot = test_ring_backend(cfg_ring_buffer(word, *color),
				  bgxdp_pick_ring_slot(&k, word));
	test_backend(s->family, (int)*color, (int)*slot, b);
}

void test_flow_key(const struct frame_spec *s, struct flow_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->client, s->src, 16);
	memcpy(k->vip, s->dst, 16);
	k->client_port = htons(s->sport);
	k->vip_port = htons(s->dport);
	k->proto = (uint8_t)s->proto;
	k->family = (uint8_t)s->family;
}

struct frame_spec test_reply(const struct frame_spec *client,
			     const struct backend *b, uint8_t tcp_flags)
{
	struct frame_spec r = *client;

	memcpy(r.src, b->addr, 16);
	r.sport = ntohs(b->port);
	memcpy(r.dst, client->src, 16);
	r.dport = client->sport;
	r.tcp_flags = client->proto == IPPROTO_TCP ? tcp_flags : 0;
	r.seq = 0;
	r.ack = 0;
	return r;
}

int test_flows_get(struct bgxdp *skel, const struct flow_key *key,
		   struct flow_value *out)
{
	return bpf_map__lookup_elem(skel->maps.flows, key, sizeof(*key), out,
				    sizeof(*out), 0) ? -1 : 0;
}

static int read_set(struct bgxdp *skel, const struct flow_key *key,
		    uint32_t *index, struct halfopen_set *set)
{
	uint32_t sets = bpf_map__max_entries(skel->maps.halfopen);

	*index = bgxdp_halfopen_set(bgxdp_halfopen_hash(key), sets);
	return bpf_map__lookup_elem(skel->maps.halfopen, index, sizeof(*index),
				    set, sizeof(*set), 0);
}

static int find_way(const struct halfopen_set *set, const struct flow_key *key)
{
	uint32_t tag = bgxdp_halfopen_hash(key);

	for (int w = 0; w < HALFOPEN_WAYS; w++)
		if (set->tags[w] == tag && !memcmp(&set->ways[w].key, key, sizeof(*key)))
			return w;
	return -1;
}

int test_halfopen_get(struct bgxdp *skel, const struct flow_key *key,
		      struct halfopen_value *out)
{
	struct halfopen_set set;
	uint32_t index;
	int way;

	if (read_set(skel, key, &index, &set))
		return -1;
	way = find_way(&set, key);
	if (way < 0)
		return -1;
	*out = set.ways[way].value;
	return 0;
}

int test_halfopen_put(struct bgxdp *skel, const struct flow_key *key,
		      const struct halfopen_value *val)
{
	struct halfopen_set set;
	uint32_t index;
	int way;

	if (read_set(skel, key, &index, &set))
		return -1;
	way = find_way(&set, key);
	for (int w = 0; way < 0 && w < HALFOPEN_WAYS; w++)
		if (!set.tags[w])
			way = w;
	if (way < 0)
		return -1;
	set.tags[way] = bgxdp_halfopen_hash(key);
	set.seen[way] = (uint32_t)(val->flow.last_seen_ns >> 20);
	set.ways[way].key = *key;
	set.ways[way].value = *val;
	return bpf_map__update_elem(skel->maps.halfopen, &index, sizeof(index),
				    &set, sizeof(set), 0);
}

int test_halfopen_clear(struct bgxdp *skel)
{
	uint32_t sets = bpf_map__max_entries(skel->maps.halfopen);
	struct halfopen_set empty;

	memset(&empty, 0, sizeof(empty));
	for (uint32_t i = 0; i < sets; i++)
		if (bpf_map__update_elem(skel->maps.halfopen, &i, sizeof(i), &empty,
					 sizeof(empty), 0))
			return -1;
	return 0;
}

long test_halfopen_count(struct bgxdp *skel)
{
	uint32_t sets = bpf_map__max_entries(skel->maps.halfopen);
	struct halfopen_set set;
	long n = 0;

	for (uint32_t i = 0; i < sets; i++) {
		if (bpf_map__lookup_elem(skel->maps.halfopen, &i, sizeof(i), &set,
					 sizeof(set), 0))
			return -1;
		for (int w = 0; w < HALFOPEN_WAYS; w++)
			n += set.tags[w] != 0;
	}
	return n;
}

int test_send(int prog_fd, const struct frame_spec *s, uint8_t *out,
	      size_t *out_len)
{
	uint8_t in[FRAME_MAX], scratch[FRAME_MAX];
	size_t len = build_frame(s, in), scratch_len;
	uint32_t ret;

	if (run_prog(prog_fd, in, len, out ? out : scratch,
		     out_len ? out_len : &scratch_len, &ret))
		return -1;
	return ret == XDP_PASS || ret == TC_ACT_OK ? 0 : -1;
}

int test_handshake(struct bgxdp *skel, int xdp_fd, int tc_fd,
		   const struct frame_spec *client, const struct backend *b,
		   uint32_t isn)
{
	struct frame_spec s = *client, r;
	struct flow_value v;
	struct flow_key k;

	s.tcp_flags = TCP_SYN;
	if (test_send(xdp_fd, &s, NULL, NULL))
		return -1;
	r = test_reply(&s, b, TCP_SYN | TCP_ACK);
	r.seq = isn;
	if (test_send(tc_fd, &r, NULL, NULL))
		return -1;
	s.tcp_flags = TCP_ACK;
	s.ack = isn + 1;
	if (test_send(xdp_fd, &s, NULL, NULL))
		return -1;
	test_flow_key(&s, &k);
	return test_flows_get(skel, &k, &v);
}

uint64_t test_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- assertions (cmocka) --------------------------------------------- */

/* XDP on `s`: rewritten exactly to backend `b`, checksums right. */
void test_expect_to(int xdp_fd, const struct frame_spec *s, const struct backend *b)
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
void test_expect_reply(int tc_fd, const struct frame_spec *r, const struct frame_spec *client)
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

bool test_in_flows(struct bgxdp *skel, const struct frame_spec *s, struct flow_value *v)
{
	struct flow_value scratch;
	struct flow_key k;

	test_flow_key(s, &k);
	return test_flows_get(skel, &k, v ? v : &scratch) == 0;
}

bool test_in_halfopen(struct bgxdp *skel, const struct frame_spec *s, struct halfopen_value *v)
{
	struct halfopen_value scratch;
	struct flow_key k;

	test_flow_key(s, &k);
	return test_halfopen_get(skel, &k, v ? v : &scratch) == 0;
}
