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
#include "maglev.h"

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

/* What the data plane must find for a new flow of `s`: the service of its
 * destination, the live config word, the color that word gives it (preview:
 * green; the other color if that one has no backend). */
static void expected_pick(struct bgxdp *skel, const struct frame_spec *s,
			  struct flow_key *k, uint32_t *svc, uint64_t *word,
			  uint32_t *color)
{
	struct vip_key vk = { .port = htons(s->dport), .proto = (uint8_t)s->proto,
			      .family = (uint8_t)s->family };
	struct vip_value vv;

	memcpy(vk.addr, s->dst, 16);
	test_flow_key(s, k);
	if (bpf_map__lookup_elem(skel->maps.services, &vk, sizeof(vk), &vv, sizeof(vv), 0))
		fail_msg("expected backend: the destination is not a VIP");
	*svc = vv.service_id;
	assert_int_equal(bpf_map__lookup_elem(skel->maps.svc_config, svc, sizeof(*svc),
					      word, sizeof(*word), 0), 0);
	*color = (vv.flags & VIP_FLAG_PREVIEW) ? BGXDP_GREEN : bgxdp_pick_color(k, *word);
	if (!(*word & CFG_HAS_BACKENDS(*color)))
		*color ^= 1;
	if (!(*word & CFG_HAS_BACKENDS(*color)))
		fail_msg("expected backend: service %u has no backend in either color", *svc);
}

/* The ring the backends of (svc, color) build, computed here with
 * maglev_build(): the one the library must have published, whichever
 * buffer holds it.  Kept while the config word of the same map stays the
 * same: every ring change is published with a new generation (and map ids
 * are not reused, so a reloaded data plane starts afresh). */
static const struct maglev_ring *expected_ring(struct bgxdp *skel, uint32_t svc,
					       uint32_t color, uint64_t word)
{
	static struct backend bk[BGXDP_MAX_BACKENDS];
	static struct maglev_ring ring;
	static uint32_t last_map, last_svc, last_color;
	static uint64_t last_word;
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);

	assert_int_equal(bpf_obj_get_info_by_fd(bpf_map__fd(skel->maps.backends), &info, &len), 0);
	if (info.id == last_map && svc == last_svc && color == last_color && word == last_word)
		return &ring;
	for (uint32_t i = 0; i < BGXDP_MAX_BACKENDS; i++) {
		uint32_t key = backend_index(svc, color, i);

		assert_int_equal(bpf_map__lookup_elem(skel->maps.backends, &key, sizeof(key),
						      &bk[i], sizeof(bk[i]), 0), 0);
	}
	assert_true(maglev_build(bk, BGXDP_MAX_BACKENDS, &ring) > 0);
	last_map = info.id;
	last_svc = svc;
	last_color = color;
	last_word = word;
	return &ring;
}

void test_expected_backend(struct bgxdp *skel, const struct frame_spec *s,
			   struct backend *b, uint32_t *color, uint32_t *slot)
{
	struct flow_key k;
	uint32_t svc, key;
	uint64_t word;

	expected_pick(skel, s, &k, &svc, &word, color);
	*slot = expected_ring(skel, svc, *color, word)->slots[bgxdp_pick_ring_slot(&k, word)];
	key = backend_index(svc, *color, *slot);
	assert_int_equal(bpf_map__lookup_elem(skel->maps.backends, &key, sizeof(key), b,
					      sizeof(*b), 0), 0);
}

uint16_t test_port_telling_buffers(struct bgxdp *skel, const struct frame_spec *s)
{
	static struct maglev_ring inactive;
	struct frame_spec t = *s;
	const struct maglev_ring *live;
	uint32_t svc, color, key;
	struct flow_key k;
	uint64_t word;

	for (int i = 0; i < 4096; i++, t.sport++) {
		expected_pick(skel, &t, &k, &svc, &word, &color);
		live = expected_ring(skel, svc, color, word);
		key = ring_index(svc, color, cfg_ring_buffer(word, color) ^ 1);
		assert_int_equal(bpf_map__lookup_elem(skel->maps.maglev_rings, &key, sizeof(key),
						      &inactive, sizeof(inactive), 0), 0);
		if (live->slots[bgxdp_pick_ring_slot(&k, word)] !=
		    inactive.slots[bgxdp_pick_ring_slot(&k, word)])
			return t.sport;
	}
	fail_msg("no client port tells the two ring buffers apart: are they equal?");
	return 0;
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
