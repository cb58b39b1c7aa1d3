// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * config.c - the configuration the data-plane fuzzer runs under.
 *
 * Chosen to reach every decision the data plane makes: both families and
 * protocols, a TCP and a UDP service on the same VIP address and port, an
 * IPv6 VIP whose 16 bytes equal an IPv4 VIP's, preview addresses, both
 * affinities, shares of 0, 25, 30, 50 and 100 %, the live ring in buffer 0
 * or 1, a color without backends (fallback), a service that is not
 * configured, one with no backends at all, backends sharing a host (other
 * ports) or a port (other hosts), and a ring as a racing writer
 * could leave it (empty slots, slot numbers past the table, a backend of
 * the other family, a draining backend).
 */
#include <string.h>
#include <netinet/in.h>
#include "fuzz_config.h"

static void v4(__u8 a[16], __u8 b0, __u8 b1, __u8 b2, __u8 b3)
{
	memset(a, 0, 16);
	a[0] = b0; a[1] = b1; a[2] = b2; a[3] = b3;
}

static void v6(__u8 a[16], __u16 group2, __u16 group3, __u16 last)
{
	memset(a, 0, 16);
	a[0] = 0x20; a[1] = 0x01; a[2] = 0x0d; a[3] = 0xb8;
	a[4] = (__u8)(group2 >> 8); a[5] = (__u8)group2;
	a[6] = (__u8)(group3 >> 8); a[7] = (__u8)group3;
	a[14] = (__u8)(last >> 8); a[15] = (__u8)last;
}

static void add_vip(struct model_config *c, const __u8 addr[16], __u16 port,
		    __u8 proto, __u8 family, __u32 svc, bool preview)
{
	int i = c->nvips++;

	memcpy(c->vip_keys[i].addr, addr, 16);
	c->vip_keys[i].port = htons(port);
	c->vip_keys[i].proto = proto;
	c->vip_keys[i].family = family;
	c->vip_values[i].service_id = svc;
	c->vip_values[i].flags = preview ? VIP_FLAG_PREVIEW : 0;
}

struct svc_def {
	const char *name;
	__u8 family, proto;
	__u8 vip[16], preview[16];
	__u16 vip_port, preview_port;
	bool has_preview, affinity_client;
	__u64 word;
	/* Backends per color: how many slots (the last `gaps` of them left
	 * empty in between), and the state of each. */
	int nbackends[BGXDP_COLORS];
};

/* Backend address of (service, color, slot): unique per service. */
static void backend_addr(__u32 svc, __u32 color, __u32 slot, __u8 family,
			 __u8 a[16])
{
	if (family == BGXDP_FAMILY_IPV4)
		v4(a, 10, (__u8)(16 + svc), (__u8)color, (__u8)(10 + slot));
	else
		v6(a, (__u16)(0x100 + svc), (__u16)color, (__u16)(10 + slot));
}

static void add_backend(struct model_config *c, __u32 svc, __u32 color,
			__u32 slot, __u8 family, __u16 port, __u8 state)
{
	struct backend *b = &c->backends[backend_index(svc, color, slot)];

	memset(b, 0, sizeof(*b));
	backend_addr(svc, color, slot, family, b->addr);
	b->family = family;
	b->port = htons(port);
	b->state = state;
	b->weight = 1;
}

/* What `backend add` records for tc: every family-matching, non-empty
 * backend of the service, keyed with the service's protocol. */
static void add_endpoints(struct model_config *c, __u32 svc)
{
	const struct svc_meta *m = &c->meta[svc];

	for (__u32 color = 0; color < BGXDP_COLORS; color++) {
		for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++) {
			const struct backend *b = &c->backends[backend_index(svc, color, s)];
			struct vip_key k;
			struct backend_service v;
			int i;

			if (b->state == BACKEND_EMPTY || b->family != m->vip.family)
				continue;
			memset(&k, 0, sizeof(k));
			memcpy(k.addr, b->addr, 16);
			k.port = b->port;
			k.proto = m->vip.proto;
			k.family = b->family;
			for (i = 0; i < c->nendpoints; i++)
				if (!memcmp(&c->endpoint_keys[i], &k, sizeof(k)))
					break;
			if (i < c->nendpoints)
				continue;       /* one service per endpoint */
			memset(&v, 0, sizeof(v));
			memcpy(v.vip, m->vip.addr, 16);
			v.vip_port = m->vip.port;
			if (m->preview.family) {
				memcpy(v.preview, m->preview.addr, 16);
				v.preview_port = m->preview.port;
				v.has_preview = 1;
			}
			v.service_id = (__u16)svc;
			c->endpoint_keys[c->nendpoints] = k;
			c->endpoint_values[c->nendpoints] = v;
			c->nendpoints++;
		}
	}
}

static void add_meta(struct model_config *c, __u32 svc, const char *name,
		     const __u8 vip[16], __u16 port, __u8 proto, __u8 family,
		     const __u8 *preview, __u16 preview_port, bool client)
{
	struct svc_meta *m = &c->meta[svc];

	memset(m, 0, sizeof(*m));
	strncpy(m->name, name, sizeof(m->name) - 1);
	memcpy(m->vip.addr, vip, 16);
	m->vip.port = htons(port);
	m->vip.proto = proto;
	m->vip.family = family;
	if (preview) {
		memcpy(m->preview.addr, preview, 16);
		m->preview.port = htons(preview_port);
		m->preview.proto = proto;
		m->preview.family = family;
	}
	m->in_use = 1;
	m->affinity_client = client;
	m->previous_word = c->words[svc] ^ 0x1234;
	m->changes = 3;
	add_vip(c, vip, port, proto, family, svc, false);
	if (preview)
		add_vip(c, preview, preview_port, proto, family, svc, true);
}

/* Ring buffer `buf` of a color: every live slot in turn, in an order that
 * differs between the buffers (so using the wrong buffer shows). */
static void fill_ring(struct model_config *c, __u32 svc, __u32 color,
		      const __u16 *slots, int n)
{
	for (__u32 buf = 0; buf < 2; buf++) {
		struct maglev_ring *r = &c->rings[ring_index(svc, color, buf)];

		for (__u32 i = 0; i < BGXDP_RING_SIZE; i++)
			r->slots[i] = slots[(i * 7 + buf * 3 + (i >> 5)) % (__u32)n];
	}
}

static __u64 word(__u32 share, bool blue, bool green, __u32 blue_buf,
		  __u32 green_buf, bool client)
{
	__u64 w = CFG_CONFIGURED | share | (5ull << CFG_GEN_SHIFT);

	if (blue)
		w |= CFG_HAS_BACKENDS(BGXDP_BLUE);
	if (green)
		w |= CFG_HAS_BACKENDS(BGXDP_GREEN);
	if (blue_buf)
		w |= CFG_RING_BUFFER(BGXDP_BLUE);
	if (green_buf)
		w |= CFG_RING_BUFFER(BGXDP_GREEN);
	if (client)
		w |= CFG_AFFINITY_CLIENT;
	return w;
}

void fuzz_config_build(struct model_config *c)
{
	const __u8 T = IPPROTO_TCP, U = IPPROTO_UDP;
	const __u8 F4 = BGXDP_FAMILY_IPV4, F6 = BGXDP_FAMILY_IPV6;
	__u8 a[16], p[16];

	memset(c, 0, sizeof(*c));

	/* 0 web4: TCP 10.0.0.1:80, preview 10.0.0.9:8080, 30 % green,
	 * blue slots 0 1 3 (2 empty), green 0 1, green ring in buffer 1. */
	c->words[0] = word(3000, true, true, 0, 1, false);
	v4(a, 10, 0, 0, 1); v4(p, 10, 0, 0, 9);
	add_meta(c, 0, "web4", a, 80, T, F4, p, 8080, false);
	add_backend(c, 0, 0, 0, F4, 8000, BACKEND_UP);
	add_backend(c, 0, 0, 1, F4, 8001, BACKEND_UP);
	add_backend(c, 0, 0, 3, F4, 8000, BACKEND_UP);   /* same port as slot 0 */
	add_backend(c, 0, 1, 0, F4, 9000, BACKEND_UP);
	add_backend(c, 0, 1, 1, F4, 9001, BACKEND_UP);
	/* Blue and green instances on one host, other ports: a reply from
	 * one must not be taken for the other's. */
	backend_addr(0, 0, 0, F4, c->backends[backend_index(0, 1, 0)].addr);
	fill_ring(c, 0, 0, (const __u16[]){ 0, 1, 3 }, 3);
	fill_ring(c, 0, 1, (const __u16[]){ 0, 1 }, 2);

	/* 1 dns4: UDP on the same 10.0.0.1:80, 100 % green but green has
	 * no live backend: everything falls back to blue.  Blue slot 0 is
	 * web4's blue slot 0 address and port (other protocol). */
	c->words[1] = word(10000, true, false, 1, 0, false);
	v4(a, 10, 0, 0, 1);
	add_meta(c, 1, "dns4", a, 80, U, F4, NULL, 0, false);
	add_backend(c, 1, 0, 0, F4, 8000, BACKEND_UP);
	backend_addr(0, 0, 0, F4, c->backends[backend_index(1, 0, 0)].addr);
	add_backend(c, 1, 0, 1, F4, 5300, BACKEND_UP);
	add_backend(c, 1, 1, 0, F4, 5301, BACKEND_UP);
	fill_ring(c, 1, 0, (const __u16[]){ 0, 1 }, 2);
	fill_ring(c, 1, 1, (const __u16[]){ 0 }, 1);

	/* 2 web6: TCP [2001:db8::1]:443, preview [2001:db8::9]:8443,
	 * 50 %, client affinity, blue 2 backends, green 3. */
	c->words[2] = word(5000, true, true, 0, 0, true);
	v6(a, 0, 0, 1); v6(p, 0, 0, 9);
	add_meta(c, 2, "web6", a, 443, T, F6, p, 8443, true);
	add_backend(c, 2, 0, 0, F6, 8443, BACKEND_UP);
	add_backend(c, 2, 0, 1, F6, 8444, BACKEND_UP);
	add_backend(c, 2, 1, 0, F6, 9443, BACKEND_UP);
	add_backend(c, 2, 1, 1, F6, 9444, BACKEND_UP);
	add_backend(c, 2, 1, 2, F6, 9443, BACKEND_UP);   /* same port as slot 0 */
	backend_addr(2, 0, 1, F6, c->backends[backend_index(2, 1, 1)].addr);
	fill_ring(c, 2, 0, (const __u16[]){ 0, 1 }, 2);
	fill_ring(c, 2, 1, (const __u16[]){ 0, 1, 2 }, 3);

	/* 3 udp6: UDP on the same [2001:db8::1]:443, 25 %, blue ring in
	 * buffer 1, with a preview address. */
	c->words[3] = word(2500, true, true, 1, 0, false);
	v6(a, 0, 0, 1); v6(p, 0, 0, 0x53);
	add_meta(c, 3, "udp6", a, 443, U, F6, p, 53, false);
	add_backend(c, 3, 0, 0, F6, 5353, BACKEND_UP);
	add_backend(c, 3, 1, 0, F6, 5354, BACKEND_UP);
	fill_ring(c, 3, 0, (const __u16[]){ 0 }, 1);
	fill_ring(c, 3, 1, (const __u16[]){ 0 }, 1);

	/* 4 off: a VIP whose config word is 0 (not configured). */
	c->words[4] = 0;
	v4(a, 10, 0, 0, 4);
	add_meta(c, 4, "off", a, 80, T, F4, NULL, 0, false);
	add_backend(c, 4, 0, 0, F4, 8000, BACKEND_UP);
	fill_ring(c, 4, 0, (const __u16[]){ 0 }, 1);

	/* 5 empty: configured, no backends in either color. */
	c->words[5] = word(5000, false, false, 0, 0, false);
	v6(a, 0, 0, 4);
	add_meta(c, 5, "empty", a, 80, T, F6, NULL, 0, false);

	/* 6 racy: UDP 10.0.0.5:5353, 50 %, rings pointing at an empty slot,
	 * past the table, at an IPv6 backend and at a draining one. */
	c->words[6] = word(5000, true, true, 0, 1, false);
	v4(a, 10, 0, 0, 5);
	add_meta(c, 6, "racy", a, 5353, U, F4, NULL, 0, false);
	add_backend(c, 6, 0, 0, F4, 7000, BACKEND_UP);
	add_backend(c, 6, 0, 1, F6, 7001, BACKEND_UP);
	add_backend(c, 6, 0, 2, F4, 7002, BACKEND_DRAIN);
	add_backend(c, 6, 1, 0, F4, 7100, BACKEND_UP);
	add_backend(c, 6, 1, 4, F4, 7104, BACKEND_DOWN);
	fill_ring(c, 6, 0, (const __u16[]){ 0, 1, 2, 5, 200, 0xffff, 127, 128 }, 8);
	fill_ring(c, 6, 1, (const __u16[]){ 0, 4, 3, 0 }, 4);

	/* 7 alias6: TCP [a00:1::]:80, the same 16 bytes as 10.0.0.1, 0 %
	 * green (all blue). */
	c->words[7] = word(0, true, true, 0, 0, false);
	v4(a, 10, 0, 0, 1);     /* as an IPv6 address: a00:1:: */
	add_meta(c, 7, "alias6", a, 80, T, F6, NULL, 0, false);
	add_backend(c, 7, 0, 0, F6, 8080, BACKEND_UP);
	add_backend(c, 7, 1, 0, F6, 8081, BACKEND_UP);
	fill_ring(c, 7, 0, (const __u16[]){ 0 }, 1);
	fill_ring(c, 7, 1, (const __u16[]){ 0 }, 1);

	for (__u32 s = 0; s < FUZZ_SERVICES; s++)
		add_endpoints(c, s);
}
