// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * config_values.c - the random values the fuzzer's configurations are made
 * of (config.c makes them, through the library): addresses from small
 * pools, so that services share VIP addresses and ports, an IPv6 VIP can
 * have the bytes of an IPv4 one, backends share hosts and ports; weights,
 * admin states, shares; whole-service targets for bgx_service_update.
 */
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include "config_values.h"

static const __u16 vip_ports[] = { 80, 443, 5353 };
static const __u16 preview_ports[] = { 8080, 8443, 53 };
static const __u16 backend_ports[] = { 8000, 8001, 9000, 9443 };
static const __u32 shares[] = { 0, 2500, 3000, 5000, 10000 };

struct endpoint ep_v4(__u8 c, __u8 d, __u16 port)
{
	struct endpoint ep = { .port = port, .family = BGXDP_FAMILY_IPV4 };

	ep.addr[0] = 10;
	ep.addr[2] = c;
	ep.addr[3] = d;
	return ep;
}

struct endpoint ep_v6(__u16 last, __u16 port)
{
	struct endpoint ep = { .port = port, .family = BGXDP_FAMILY_IPV6 };

	ep.addr[0] = 0x20; ep.addr[1] = 0x01; ep.addr[2] = 0x0d; ep.addr[3] = 0xb8;
	ep.addr[14] = (__u8)(last >> 8);
	ep.addr[15] = (__u8)last;
	return ep;
}

/* VIPs and previews: 10.0.0.{1,4,5}, 2001:db8::{1,4} and a00:1::, the
 * bytes of 10.0.0.1 as an IPv6 address. */
static struct endpoint service_ep(struct rng *r, __u8 family, const __u16 *ports)
{
	static const __u8 last4[] = { 1, 4, 5 };
	__u32 i = rng_below(r, 3);
	__u16 port = ports[rng_below(r, 3)];
	struct endpoint ep;

	if (family == BGXDP_FAMILY_IPV4)
		return ep_v4(0, last4[i], port);
	if (i < 2)
		return ep_v6((__u16)(i ? 4 : 1), port);
	ep = ep_v4(0, 1, port);
	ep.family = BGXDP_FAMILY_IPV6;
	ep.addr[1] = 0;
	return ep;
}

struct endpoint some_vip(struct rng *r, __u8 family)
{
	return service_ep(r, family, vip_ports);
}

struct endpoint some_preview(struct rng *r, __u8 family)
{
	return service_ep(r, family, preview_ports);
}

/* Backend host h: 10.16.x.y / 2001:db8::1xx; port by index. */
struct endpoint backend_ep(__u8 family, __u32 host, __u32 port_index)
{
	__u16 port = backend_ports[port_index % 4];

	if (family == BGXDP_FAMILY_IPV4) {
		struct endpoint ep = ep_v4((__u8)(host / 8), (__u8)(10 + host % 8), port);

		ep.addr[1] = 16;
		return ep;
	}
	return ep_v6((__u16)(0x100 + host), port);
}

/* Mostly four hosts, so that services and colors share them. */
struct endpoint some_backend(struct rng *r, __u8 family)
{
	__u32 host = rng_chance(r, 80) ? rng_below(r, 4) : rng_below(r, POOL_HOSTS);

	return backend_ep(family, host, rng_below(r, 4));
}

__u16 some_weight(struct rng *r)
{
	if (rng_chance(r, 70))
		return 1;
	return (__u16)(1 + (rng_chance(r, 66) ? rng_below(r, 10) : rng_below(r, 1000)));
}

__u8 some_state(struct rng *r)
{
	static const __u8 states[] = { BACKEND_UP, BACKEND_UP, BACKEND_DRAIN, BACKEND_DOWN };

	return states[rng_below(r, 4)];
}

__u32 some_share(struct rng *r)
{
	return rng_chance(r, 70) ? shares[rng_below(r, 5)] : rng_below(r, BGXDP_SHARE_SCALE + 1);
}

/* ---- the state now -------------------------------------------------------- */

const struct bgx_service_view *some_service(struct rng *r, const struct bgx_snapshot *s)
{
	return s->n_services ? &s->services[rng_below(r, s->n_services)] : NULL;
}

const struct bgx_backend_view *some_backend_of(struct rng *r,
						      const struct bgx_service_view *sv)
{
	return sv && sv->n_backends ? &sv->backends[rng_below(r, sv->n_backends)] : NULL;
}

static bool target_has(const struct bgx_service_target *t, __u32 c, const struct endpoint *ep)
{
	for (__u32 i = 0; i < t->n[c]; i++)
		if (!memcmp(&t->backends[c][i].ep, ep, sizeof(*ep)))
			return true;
	return false;
}

static bool has_up(const struct bgx_service_target *t, __u32 c)
{
	for (__u32 i = 0; i < t->n[c]; i++)
		if (t->backends[c][i].state == BACKEND_UP)
			return true;
	return false;
}

/* A whole service anew: most backends kept (some with another state or
 * weight), a few new ones (dozens if `many`), a new share, mostly one the
 * library accepts. */
void some_target(struct rng *r, const struct bgx_service_view *sv, bool many,
			struct bgx_service_target *t, struct fuzz_config_stats *st)
{
	__u8 family = sv->vip[0] == '[' ? BGXDP_FAMILY_IPV6 : BGXDP_FAMILY_IPV4;

	memset(t, 0, sizeof(*t));
	for (__u32 i = 0; i < sv->n_backends; i++) {
		const struct bgx_backend_view *b = &sv->backends[i];
		struct bgx_backend_spec *s;

		if (!rng_chance(r, 80))
			continue;
		s = &t->backends[b->color][t->n[b->color]++];
		s->ep = b->ep;
		s->state = rng_chance(r, 25) ? some_state(r) : b->state;
		s->weight = rng_chance(r, 20) ? some_weight(r) : b->weight;
	}
	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		__u32 add = many ? 20 + rng_below(r, 30) : rng_below(r, 4);

		if (!t->n[c] && !add && rng_chance(r, 80))
			add = 1 + rng_below(r, 3);      /* empty colors stay rarer */

		for (__u32 i = 0; i < add && t->n[c] < BGXDP_MAX_BACKENDS; i++) {
			/* many: from the hosts other services seldom use */
			struct endpoint ep = many ? backend_ep(family, 4 + i % (POOL_HOSTS - 4),
							       i / (POOL_HOSTS - 4))
						  : some_backend(r, family);

			if (target_has(t, c, &ep))
				continue;
			t->backends[c][t->n[c]++] = (struct bgx_backend_spec){
				ep, some_weight(r), rng_chance(r, 85) ? BACKEND_UP : some_state(r) };
		}
	}
	st->many += many;
	t->green_bp = some_share(r);
	if (rng_chance(r, 80) && !has_up(t, BGXDP_GREEN))
		t->green_bp = 0;
	else if (rng_chance(r, 80) && !has_up(t, BGXDP_BLUE) && has_up(t, BGXDP_GREEN))
		t->green_bp = BGXDP_SHARE_SCALE;
}

/* A new service; one time in three on the VIP address and port of a
 * service there is, with the other protocol. */
void some_service_spec(struct rng *r, const struct bgx_snapshot *snap,
			      struct fuzz_config_stats *st, struct bgx_service_spec *s)
{
	__u8 family = rng_chance(r, 50) ? BGXDP_FAMILY_IPV4 : BGXDP_FAMILY_IPV6;
	const struct bgx_service_view *sibling = rng_chance(r, 33) ? some_service(r, snap) : NULL;

	memset(s, 0, sizeof(*s));
	s->proto = rng_chance(r, 60) ? IPPROTO_TCP : IPPROTO_UDP;
	/* a name in use now and then (refused), else a new one */
	snprintf(s->name, sizeof(s->name), "s%lu",
		 rng_chance(r, 5) ? rng_below(r, (__u32)st->names + 1) : ++st->names);
	s->vip = some_vip(r, family);
	if (sibling && !bgx_parse_endpoint(sibling->vip, "vip", &s->vip, NULL)) {
		s->proto = sibling->proto == IPPROTO_TCP ? IPPROTO_UDP : IPPROTO_TCP;
		family = s->vip.family;
	}
	s->has_preview = rng_chance(r, 40);
	if (s->has_preview)
		s->preview = some_preview(r, family);
	s->affinity_client = rng_chance(r, 25);
}

