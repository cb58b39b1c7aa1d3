/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* bench_tables.c - the per-packet bench's maps: services, flows and the
 * half-open entries the promotion row consumes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp_hash.h"
#include "bench.skel.h"
#include "bench.h"

void vip_addr(int family, uint8_t a[16])
{
	if (family == 4)
		set_ipv4(a, 10, 0, 0, 1);
	else
		set_ipv6(a, 1);
}

void bench_backend(int family, uint32_t color, uint32_t slot, struct backend *b)
{
	memset(b, 0, sizeof(*b));
	if (family == 4) {
		set_ipv4(b->addr, 10, (uint8_t)(1 + color), 0, (uint8_t)(10 + slot));
		b->family = BGXDP_FAMILY_IPV4;
	} else {
		set_ipv6(b->addr, (uint16_t)(0x100 * (1 + color) + 10 + slot));
		b->family = BGXDP_FAMILY_IPV6;
	}
	b->port = htons((uint16_t)(8000 + 1000 * color + slot));
	b->state = BACKEND_UP;
	b->weight = 1;
}

void make_frame(struct frame *f, int family, const uint8_t src[16],
		const uint8_t dst[16], uint16_t sport, uint16_t dport,
		uint8_t flags, uint32_t ack)
{
	struct frame_spec s = {
		.family = family, .proto = IPPROTO_TCP,
		.sport = sport, .dport = dport, .tcp_flags = flags, .ack = ack,
	};
	size_t hdr;

	memcpy(s.src, src, 16);
	memcpy(s.dst, dst, 16);
	hdr = build_frame(&s, f->buf);
	s.payload_len = (int)(FRAME_LEN - hdr);
	f->len = build_frame(&s, f->buf);
	f->l3_off = frame_l3_off(&s);
	f->l4_off = frame_l4_off(&s);
	f->spec = s;
}

static int add_backend(struct bench *skel, uint32_t svc, int family, uint32_t c,
		       uint32_t s)
{
	struct backend b;
	uint32_t idx = backend_index(svc, c, s);
	struct backend_service bs = {
		.vip_port = htons(VIP_PORT),
		.service_id = (uint16_t)svc,
	};
	struct vip_key ek = { .proto = IPPROTO_TCP };

	bench_backend(family, c, s, &b);
	if (bpf_map__update_elem(skel->maps.backends, &idx, 4, &b, sizeof(b), 0))
		return -1;
	/* What `backend add` records for tc egress. */
	memcpy(ek.addr, b.addr, 16);
	ek.port = b.port;
	ek.family = b.family;
	vip_addr(family, bs.vip);
	return bpf_map__update_elem(skel->maps.backend_services, &ek, sizeof(ek),
				    &bs, sizeof(bs), 0);
}

int populate(struct bench *skel)
{
	static struct maglev_ring ring;
	struct vip_filter filter = { .enabled = 1 };
	uint32_t zero = 0, bit;
	int fams[2] = { 4, 6 };

	for (int f = 0; f < 2; f++) {
		uint32_t svc = f == 0 ? SVC4 : SVC6;
		struct vip_value vv = { .service_id = svc };
		struct vip_key vk = {};
		uint64_t word = CFG_CONFIGURED | CFG_HAS_BACKENDS(BGXDP_BLUE) |
				CFG_HAS_BACKENDS(BGXDP_GREEN) | 5000;

		vip_addr(fams[f], vk.addr);
		vk.port = htons(VIP_PORT);
		vk.proto = IPPROTO_TCP;
		vk.family = (uint8_t)fams[f];
		if (bpf_map__update_elem(skel->maps.services, &vk, sizeof(vk),
					 &vv, sizeof(vv), 0))
			return -1;
		bit = bgxdp_vip_filter_bit(&vk);        /* as `service add` does */
		filter.words[bit / 64] |= 1ull << (bit % 64);
		for (uint32_t c = 0; c < BGXDP_COLORS; c++) {
			for (uint32_t s = 0; s < NBACKENDS; s++)
				if (add_backend(skel, svc, fams[f], c, s))
					return -1;
			for (uint32_t buf = 0; buf < 2; buf++) {
				uint32_t idx = ring_index(svc, c, buf);

				for (uint32_t i = 0; i < BGXDP_RING_SIZE; i++)
					ring.slots[i] = (uint16_t)(i % NBACKENDS);
				if (bpf_map__update_elem(skel->maps.maglev_rings,
							 &idx, 4, &ring,
							 sizeof(ring), 0))
					return -1;
			}
		}
		if (bpf_map__update_elem(skel->maps.svc_config, &svc, 4, &word, 8, 0))
			return -1;
	}
	return bpf_map__update_elem(skel->maps.vip_filter, &zero, sizeof(zero),
				    &filter, sizeof(filter), 0);
}

void clear_map(struct bpf_map *map)
{
	int fd = bpf_map__fd(map);
	uint32_t ksz = bpf_map__key_size(map), vsz = bpf_map__value_size(map);
	uint32_t chunk = 65536, in = 0, out = 0, count;
	void *keys = malloc((size_t)chunk * ksz), *vals = malloc((size_t)chunk * vsz);
	bool first = true;

	for (;;) {
		int err;

		count = chunk;
		err = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &in,
						      &out, keys, vals, &count,
						      NULL);
		first = false;
		in = out;
		if (err)
			break;          /* ENOENT: done */
	}
	free(keys);
	free(vals);
}

int halfopen_clear(struct bench *skel)
{
	uint32_t sets = bpf_map__max_entries(skel->maps.halfopen);
	static struct halfopen_set empty;

	for (uint32_t i = 0; i < sets; i++)
		if (bpf_map__update_elem(skel->maps.halfopen, &i, sizeof(i), &empty,
					 sizeof(empty), 0))
			return -1;
	return 0;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The flow value of a flow to blue backend `slot` of the IPv4 service. */
static void blue_flow(int family, uint32_t slot, struct flow_value *v)
{
	struct backend b;

	bench_backend(family, BGXDP_BLUE, slot, &b);
	memset(v, 0, sizeof(*v));
	memcpy(v->backend, b.addr, 16);
	v->backend_port = b.port;
	v->color = BGXDP_BLUE;
	v->state = FLOW_OPEN;
	v->service_id = family == 4 ? SVC4 : SVC6;
	v->backend_slot = (uint16_t)slot;
	v->last_seen_ns = monotonic_ns();
}

int fill_flows(struct bench *skel, unsigned long n)
{
	struct flow_key *fk = calloc(n, sizeof(*fk));
	struct flow_value *fv = calloc(n, sizeof(*fv));
	uint32_t count;
	int err = -1;

	if (!fk || !fv)
		goto out;
	for (unsigned long i = 0; i < n; i++) {
		uint32_t host = (uint32_t)(i / 60000);
		uint16_t port = (uint16_t)(1024 + i % 60000);

		set_ipv4(fk[i].client, 100, 64, (uint8_t)(host >> 8), (uint8_t)host);
		vip_addr(4, fk[i].vip);
		fk[i].client_port = htons(port);
		fk[i].vip_port = htons(VIP_PORT);
		fk[i].proto = IPPROTO_TCP;
		fk[i].family = BGXDP_FAMILY_IPV4;
		blue_flow(4, (uint32_t)(i & 1), &fv[i]);
	}
	count = (uint32_t)n;
	err = bpf_map_update_batch(bpf_map__fd(skel->maps.flows), fk, fv,
				   &count, NULL);
	if (err) {      /* no batch ops: one at a time */
		err = 0;
		for (unsigned long i = 0; i < n && !err; i++)
			err = bpf_map_update_elem(bpf_map__fd(skel->maps.flows),
						  &fk[i], &fv[i], BPF_ANY);
	}
out:
	free(fk);
	free(fv);
	return err;
}

static void key_of(const struct frame_spec *s, struct flow_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->client, s->src, 16);
	memcpy(k->vip, s->dst, 16);
	k->client_port = htons(s->sport);
	k->vip_port = htons(s->dport);
	k->proto = (uint8_t)s->proto;
	k->family = (uint8_t)s->family;
}

int establish(struct bench *skel, const struct frame *f)
{
	struct flow_value v;
	struct flow_key k;

	key_of(&f->spec, &k);
	blue_flow(f->spec.family, 0, &v);
	return bpf_map__update_elem(skel->maps.flows, &k, sizeof(k), &v, sizeof(v), 0);
}

long promotion_prepare(struct bench *skel, const struct frame *f, uint32_t *next,
		       uint32_t want)
{
	uint32_t sets = bpf_map__max_entries(skel->maps.halfopen);
	struct halfopen_set *image = calloc(sets, sizeof(*image));
	uint32_t *keys = calloc(want, sizeof(*keys));
	struct halfopen_value hv = {
		.expected_ack = htonl(BENCH_ISN + 1),
		.flags = HALFOPEN_SYN | HALFOPEN_SYNACK,
	};
	struct frame_spec s = f->spec;
	long placed = -1;
	uint32_t n = 0;

	if (!image || !keys)
		goto out;
	blue_flow(s.family, 0, &hv.flow);
	hv.created_ns = hv.flow.last_seen_ns;
	/* Candidates until `want` fit, at most 8x as many as wanted. */
	for (uint64_t tries = 0; n < want && tries < 8ull * want; tries++) {
		uint32_t c = (*next)++;
		struct flow_key k;
		struct halfopen_set *set;
		uint32_t tag;
		int way = -1;

		s.src[2] = (uint8_t)(c >> 24);
		s.src[3] = (uint8_t)(c >> 16);
		s.sport = (uint16_t)c;
		key_of(&s, &k);
		tag = bgxdp_halfopen_hash(&k);
		set = &image[bgxdp_halfopen_set(tag, sets)];
		for (int w = 0; w < HALFOPEN_WAYS && way < 0; w++)
			if (!set->tags[w])
				way = w;
		if (way < 0)
			continue;
		set->tags[way] = tag;
		set->seen[way] = (uint32_t)(hv.flow.last_seen_ns >> 20);
		set->ways[way].key = k;
		set->ways[way].value = hv;
		keys[n++] = c;
	}
	for (uint32_t i = 0; i < sets; i++)
		if (bpf_map__update_elem(skel->maps.halfopen, &i, sizeof(i), &image[i],
					 sizeof(image[i]), 0))
			goto out;
	for (uint32_t i = 0; i < n; i++)
		if (bpf_map__update_elem(skel->maps.bench_keys, &i, sizeof(i), &keys[i],
					 sizeof(keys[i]), 0))
			goto out;
	skel->bss->bench_nkeys = n;
	skel->bss->keyed_counter = 0;
	placed = n;
out:
	free(image);
	free(keys);
	return placed;
}
