/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * bench_tables.c - the per-packet bench's maps.  The services are
 * configured through the control-plane library, as an operator configures
 * them.  The flows are flow state, not configuration: the rows need flows
 * already in `flows` (as fleet sync inserts a peer's) and half-open entries
 * whose handshake is done (as the data plane leaves them), many of them,
 * written directly.
 */
#include <errno.h>
#include <stdio.h>
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
#include "libbgxdp.h"

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

/* The bench services' ids (their index in the per-service maps). */
static __u32 svc_id[2];

static struct endpoint endpoint_of(int family, const uint8_t addr[16], uint16_t port)
{
	struct endpoint ep = { .port = port, .family = (__u8)family };

	memcpy(ep.addr, addr, sizeof(ep.addr));
	return ep;
}

static int fail(const char *what, const struct bgx_err *e)
{
	fprintf(stderr, "bench: %s: %s\n", what, e->msg);
	return -1;
}

/* The id of service `name`; and its backend n must be in slot n (the
 * flows the rows plant name their backend by slot). */
static int service_check(struct bgx_instance *in, const char *name, int family, __u32 *id)
{
	struct bgx_snapshot *snap;
	struct bgx_err e = { 0 };

	if (bgx_snapshot(in, BGX_SNAP_CONFIG, name, &snap, &e))
		return fail(name, &e);
	*id = snap->services[0].id;
	for (__u32 i = 0; i < snap->services[0].n_backends; i++) {
		const struct bgx_backend_view *v = &snap->services[0].backends[i];
		struct backend b;

		bench_backend(family, v->color, v->slot, &b);
		if (memcmp(v->ep.addr, b.addr, 16) || htons(v->ep.port) != b.port) {
			fprintf(stderr, "bench: %s: backend %s is not in the slot the bench expects\n",
				name, v->address);
			free(snap);
			return -1;
		}
	}
	free(snap);
	return 0;
}

/* One service of `family`: its VIP, two backends per color, 50 % green,
 * as `bgxdp service add`, `backend add` and `weight green 50` make it. */
static int add_service(struct bgx_instance *in, const char *name, int family)
{
	struct bgx_service_spec spec = { .proto = IPPROTO_TCP };
	struct bgx_err e = { 0 };
	uint8_t vip[16];

	snprintf(spec.name, sizeof(spec.name), "%s", name);
	vip_addr(family, vip);
	spec.vip = endpoint_of(family, vip, VIP_PORT);
	if (bgx_service_add(in, &spec, &e))
		return fail(name, &e);
	for (uint32_t c = 0; c < BGXDP_COLORS; c++) {
		for (uint32_t s = 0; s < NBACKENDS; s++) {
			struct bgx_backend_ref ref = { .service = name, .color = c };
			struct backend b;

			bench_backend(family, c, s, &b);
			ref.ep = endpoint_of(family, b.addr, ntohs(b.port));
			if (bgx_backend_add(in, &ref, 1, NULL, &e))
				return fail(name, &e);
		}
	}
	if (bgx_share_set(in, name, BGXDP_SHARE_SCALE / 2, NULL, &e))
		return fail(name, &e);
	return service_check(in, name, family, &svc_id[family == 6]);
}

int populate(struct bench *skel)
{
	struct bgx_instance *in;
	struct bgx_err e = { 0 };
	int r;

	if (bgx_open_object(skel->obj, &in, &e))
		return fail("opening the loaded object", &e);
	r = add_service(in, "bench4", 4);
	if (!r)
		r = add_service(in, "bench6", 6);
	bgx_close(in);
	return r;
}

static bool addr_port_at(const struct frame *f, const uint8_t *out, bool dst,
			 const uint8_t addr[16], __be16 port)
{
	size_t alen = f->spec.family == 4 ? 4 : 16;
	size_t a = f->l3_off + (f->spec.family == 4 ? (dst ? 16 : 12) : (dst ? 24 : 8));
	size_t p = f->l4_off + (dst ? 2 : 0);

	return !memcmp(out + a, addr, alen) && !memcmp(out + p, &port, 2);
}

int frame_check(struct bench *skel, const struct frame *f, enum frame_role role)
{
	bool tc = role == ROLE_FROM_VIP, ok = false;
	uint8_t out[FRAME_MAX], vip[16];
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = f->buf, .data_size_in = (uint32_t)f->len,
		.data_out = out, .data_size_out = sizeof(out), .repeat = 1,
	);
	struct backend b;

	if (role == ROLE_NONE)
		return 0;
	if (bpf_prog_test_run_opts(bpf_program__fd(tc ? skel->progs.tc_egress
						      : skel->progs.xdp_ingress), &opts))
		return -1;
	vip_addr(f->spec.family, vip);
	switch (role) {
	case ROLE_PASS:
		ok = opts.data_size_out == f->len && !memcmp(out, f->buf, f->len);
		break;
	case ROLE_TO_BLUE0:
		bench_backend(f->spec.family, BGXDP_BLUE, 0, &b);
		ok = addr_port_at(f, out, true, b.addr, b.port);
		break;
	case ROLE_TO_BACKEND:
		for (uint32_t c = 0; c < BGXDP_COLORS; c++)
			for (uint32_t n = 0; n < NBACKENDS; n++) {
				bench_backend(f->spec.family, c, n, &b);
				ok |= addr_port_at(f, out, true, b.addr, b.port);
			}
		break;
	default:
		ok = addr_port_at(f, out, false, vip, htons(VIP_PORT));
	}
	return ok ? 0 : -1;
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
	v->service_id = (uint16_t)svc_id[family == 6];
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
