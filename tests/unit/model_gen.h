/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * model_gen.h - random valid desired states for the config and plan tests.
 *
 * Names, addresses and backends come from small pools, so two models drawn
 * one after the other share services, move backends between services and
 * colors, change VIPs (replace) and reuse addresses another service gave
 * up: the cases the planner must order.  Every model satisfies the traffic
 * rule (a color with a share has a backend in rotation, unless the service
 * has none at all).  Deterministic from the seed (splitmix64).
 */
#ifndef BGXDP_MODEL_GEN_H
#define BGXDP_MODEL_GEN_H

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "desired.h"

struct gen {
	__u64 state;
};

static __u64 gen_next(struct gen *g)
{
	__u64 z = (g->state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static __u32 gen_below(struct gen *g, __u32 n)
{
	return (__u32)(gen_next(g) % n);
}

static bool gen_chance(struct gen *g, __u32 percent)
{
	return gen_below(g, 100) < percent;
}

static void gen_endpoint(struct gen *g, __u8 family, bool backend, struct endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = family;
	if (family == BGXDP_FAMILY_IPV4) {
		ep->addr[0] = backend ? 10 : 192;
		ep->addr[1] = backend ? 9 : 0;
		ep->addr[2] = backend ? 0 : 2;
		ep->addr[3] = (__u8)(1 + gen_below(g, backend ? 10 : 4));
	} else {
		ep->addr[0] = backend ? 0xfd : 0x20;
		ep->addr[1] = backend ? 0x00 : 0x01;
		ep->addr[15] = (__u8)(1 + gen_below(g, backend ? 10 : 4));
	}
	ep->port = backend ? 8080 : (gen_chance(g, 50) ? 80 : 443);
}

/* An address no service of `d` uses with this protocol, as VIP, preview or backend. */
static bool gen_address_free(const struct bgx_desired *d, const struct endpoint *ep, __u8 proto,
			     const struct bgx_desired_service *self)
{
	for (__u32 i = 0; i < d->n_services; i++) {
		const struct bgx_desired_service *s = &d->services[i];

		if (s->def.proto != proto)
			continue;
		if (bgx_endpoint_equal(&s->def.vip, ep) ||
		    (s->def.preview.family && bgx_endpoint_equal(&s->def.preview, ep)))
			return false;
		if (s != self && (bgx_desired_find_backend(s, BGXDP_BLUE, ep) ||
				  bgx_desired_find_backend(s, BGXDP_GREEN, ep)))
			return false;
	}
	return true;
}

static void gen_health(struct gen *g, struct bgx_desired_health *h)
{
	memset(h, 0, sizeof(*h));
	h->mode = (__u8)gen_below(g, 3);
	if (h->mode != BGX_HEALTH_ON)
		return;
	h->check = gen_chance(g, 50) ? BGX_CHECK_HTTP : BGX_CHECK_TCP;
	h->interval_ms = 1000 * (1 + gen_below(g, 3));
	/* shorter than the interval: a check ends before the next starts */
	h->timeout_ms = gen_chance(g, 50) ? 0 : 250 * (1 + gen_below(g, 3));
	h->rise = (__u16)gen_below(g, 4);
	h->fall = (__u16)gen_below(g, 4);
	h->port = gen_chance(g, 30) ? (__u16)(9000 + gen_below(g, 3)) : 0;
	h->fastinter_ms = gen_chance(g, 30) ? 250 : 0;
	h->downinter_ms = gen_chance(g, 30) ? 60000 : 0;
	h->expire_flows_on_down = gen_chance(g, 50);
	if (h->check == BGX_CHECK_HTTP && gen_chance(g, 50)) {
		snprintf(h->path, sizeof(h->path), "/health/%u", gen_below(g, 3));
		h->expect[h->n_expect++] = (struct bgx_code_range){ 200, (__u16)(200 + gen_below(g, 200)) };
		if (gen_chance(g, 50))
			h->expect[h->n_expect++] = (struct bgx_code_range){ 404, 404 };
	}
	bgx_health_fill_defaults(h);
}

static void gen_backends(struct gen *g, struct bgx_desired *d, struct bgx_desired_service *s)
{
	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		__u32 want = gen_below(g, 5);

		for (__u32 tries = 0; tries < 3 * want && s->n_backends[c] < want; tries++) {
			struct bgx_desired_backend *b = &s->backends[c][s->n_backends[c]];
			__u32 r = gen_below(g, 100);

			memset(b, 0, sizeof(*b));
			gen_endpoint(g, s->def.vip.family, true, &b->ep);
			if (bgx_desired_find_backend(s, c, &b->ep) || !gen_address_free(d, &b->ep, s->def.proto, s))
				continue;
			b->weight = (__u16)(1 + gen_below(g, 3));
			b->state = r < 70 ? BACKEND_UP : r < 85 ? BACKEND_DRAIN : BACKEND_DOWN;
			s->n_backends[c]++;
		}
	}
}

static bool gen_rotation(const struct bgx_desired_service *s, __u32 c)
{
	for (__u32 i = 0; i < s->n_backends[c]; i++)
		if (s->backends[c][i].state == BACKEND_UP)
			return true;
	return false;
}

/* A share that gives nothing to a color without a backend in rotation. */
static void gen_share(struct gen *g, struct bgx_desired_service *s)
{
	bool blue = gen_rotation(s, BGXDP_BLUE), green = gen_rotation(s, BGXDP_GREEN);
	__u32 r = gen_below(g, 3);

	s->green_bp = r == 0 ? 0 : r == 1 ? BGXDP_SHARE_SCALE : 1 + gen_below(g, BGXDP_SHARE_SCALE - 1);
	if (green && !blue)
		s->green_bp = BGXDP_SHARE_SCALE;
	if (blue && !green)
		s->green_bp = 0;
}

static bool gen_service(struct gen *g, struct bgx_desired *d, const char *name)
{
	struct bgx_desired_service *s = &d->services[d->n_services];
	__u8 family = gen_chance(g, 75) ? BGXDP_FAMILY_IPV4 : BGXDP_FAMILY_IPV6;

	memset(s, 0, sizeof(*s));
	snprintf(s->def.name, sizeof(s->def.name), "%s", name);
	s->def.proto = gen_chance(g, 80) ? IPPROTO_TCP : IPPROTO_UDP;
	s->def.affinity_client = gen_chance(g, 20);
	gen_endpoint(g, family, false, &s->def.vip);
	if (!gen_address_free(d, &s->def.vip, s->def.proto, NULL))
		return false;
	if (gen_chance(g, 25)) {
		gen_endpoint(g, family, false, &s->def.preview);
		if (bgx_endpoint_equal(&s->def.preview, &s->def.vip) ||
		    !gen_address_free(d, &s->def.preview, s->def.proto, NULL))
			memset(&s->def.preview, 0, sizeof(s->def.preview));
	}
	gen_backends(g, d, s);
	gen_share(g, s);
	gen_health(g, &s->health);
	d->n_services++;
	return true;
}

static void gen_instance(struct gen *g, struct bgx_desired *d)
{
	static const char *const ifaces[] = { "eth0", "eth1", "eth2" };
	static const char *const fast[] = { "eth3", "eth4" };

	for (__u32 i = 0; i < 3; i++) {
		if (!gen_chance(g, 50))
			continue;
		snprintf(d->ifaces[d->n_ifaces].name, BGX_IFNAME_LEN, "%s", ifaces[i]);
		d->ifaces[d->n_ifaces++].mode = (__u8)gen_below(g, 3);
	}
	d->fast_path_set = gen_chance(g, 50);
	for (__u32 i = 0; d->fast_path_set && i < 2; i++)
		if (gen_chance(g, 50))
			snprintf(d->fast_path[d->n_fast_path++].name, BGX_IFNAME_LEN, "%s", fast[i]);
	d->prune = d->n_ifaces && gen_chance(g, 30);
	d->flows = gen_chance(g, 50) ? 1024u << gen_below(g, 8) : 0;
}

/* A random valid, canonical model. */
static void gen_model(struct gen *g, struct bgx_desired *d)
{
	static const char *const names[] = { "a", "b", "c", "d", "e", "f" };

	bgx_desired_init(d);
	snprintf(d->source, sizeof(d->source), "generated");
	gen_instance(g, d);
	for (__u32 i = 0; i < 6; i++)
		if (gen_chance(g, 50))
			for (int tries = 0; tries < 4 && !gen_service(g, d, names[i]); tries++)
				;
	bgx_desired_canonicalize(d);
}

#endif
