// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * gen.c - frames for the data-plane fuzzer.
 *
 * A frame starts as a well-formed TCP or UDP packet (checksums computed
 * from scratch) whose addresses come from the configuration: VIPs, preview
 * addresses, backends, or nothing in particular; sources come from a small
 * client pool so flows repeat and replies find them.  Then, often, it is
 * broken in one or more ways the parser must survive.
 */
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include "gen.h"

uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint32_t rng_below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rng_next(r) % n) : 0;
}

bool rng_chance(struct rng *r, uint32_t percent)
{
	return rng_below(r, 100) < percent;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void fill_random(struct rng *r, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rng_next(r);
}

/* ---- checksums from scratch ------------------------------------------- */

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint32_t pseudo_sum(int family, const uint8_t *src, const uint8_t *dst,
			   uint8_t proto, size_t l4_len)
{
	size_t alen = family == 4 ? 4 : 16;
	uint32_t sum = sum16(0, src, alen);

	sum = sum16(sum, dst, alen);
	return sum + proto + (uint32_t)l4_len;
}

/* ---- building ------------------------------------------------------------ */

struct spec {
	int family;                 /* 4 or 6 */
	uint8_t proto;              /* L4 protocol number */
	int nvlan;
	uint16_t vlan_types[3];
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint8_t tcp_flags;
	int ipv4_opt_len;           /* bytes, multiple of 4, <= 40 */
	uint16_t ipv4_frag;         /* raw frag_off field */
	int n_ext;
	uint8_t ext_types[8];       /* 0, 43, 60 or 44 */
	uint8_t ext_units[8];       /* length field: (n + 1) * 8 bytes */
	bool udp_csum_zero;
	int payload_len;
	bool set_seq, set_ack;      /* TCP seq / ack given, not random */
	uint32_t seq, ack;
	uint8_t forced_flags;       /* TCP flags chosen with the flow, 0: random */
};

struct layout {
	size_t l3, l4, end;         /* end: end of the IP packet */
};

static size_t build(struct rng *r, const struct spec *s, uint8_t *buf,
		    struct layout *lo)
{
	size_t off = 12, l3, l4, l4_hdr, l4_len, len;
	uint8_t *ip;

	memcpy(buf, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	for (int i = 0; i < s->nvlan; i++) {
		put16(buf + off, s->vlan_types[i]);
		put16(buf + off + 2, (uint16_t)rng_below(r, 4096));
		off += 4;
	}
	put16(buf + off, s->family == 4 ? 0x0800 : 0x86dd);
	l3 = off + 2;
	ip = buf + l3;
	if (s->family == 4) {
		l4 = l3 + 20 + (size_t)s->ipv4_opt_len;
	} else {
		l4 = l3 + 40;
		for (int i = 0; i < s->n_ext; i++)
			l4 += ((size_t)s->ext_units[i] + 1) * 8;
	}
	l4_hdr = s->proto == IPPROTO_TCP ? 20 : 8;   /* UDP, or 8 bytes of another protocol */
	l4_len = l4_hdr + (size_t)s->payload_len;
	len = l4 + l4_len;

	if (s->family == 4) {
		size_t hl = 20 + (size_t)s->ipv4_opt_len;

		memset(ip, 0, hl);
		ip[0] = (uint8_t)(0x40 | hl / 4);
		ip[1] = (uint8_t)rng_below(r, 256);
		put16(ip + 2, (uint16_t)(hl + l4_len));
		put16(ip + 4, (uint16_t)rng_next(r));
		put16(ip + 6, s->ipv4_frag);
		ip[8] = 64;
		ip[9] = s->proto;
		memcpy(ip + 12, s->src, 4);
		memcpy(ip + 16, s->dst, 4);
		/* Options: NOPs, an end marker, or anything at all; the
		 * parser only skips them. */
		for (int i = 0; i < s->ipv4_opt_len; i++)
			ip[20 + i] = rng_chance(r, 50) ? 1 : (uint8_t)rng_next(r);
		put16(ip + 10, (uint16_t)~fold(sum16(0, ip, hl)));
	} else {
		uint8_t *nh = ip + 6, *e = ip + 40;

		ip[0] = 0x60;
		ip[1] = (uint8_t)rng_below(r, 256);
		put16(ip + 2, (uint16_t)rng_next(r));
		put16(ip + 4, (uint16_t)(len - l3 - 40));
		ip[7] = 64;
		memcpy(ip + 8, s->src, 16);
		memcpy(ip + 24, s->dst, 16);
		for (int i = 0; i < s->n_ext; i++) {
			size_t n = ((size_t)s->ext_units[i] + 1) * 8;

			*nh = s->ext_types[i];
			fill_random(r, e, n);
			e[1] = s->ext_units[i];
			nh = e;
			e += n;
		}
		*nh = s->proto;
	}

	{
		uint8_t *p = buf + l4;

		fill_random(r, p, l4_len);
		put16(p, s->sport);
		put16(p + 2, s->dport);
		if (s->proto == IPPROTO_TCP) {
			if (s->set_seq) {
				put16(p + 4, (uint16_t)(s->seq >> 16));
				put16(p + 6, (uint16_t)s->seq);
			}
			if (s->set_ack) {
				put16(p + 8, (uint16_t)(s->ack >> 16));
				put16(p + 10, (uint16_t)s->ack);
			}
			p[12] = (uint8_t)(5 << 4);
			p[13] = s->tcp_flags;
			put16(p + 16, 0);
			put16(p + 16, (uint16_t)~fold(sum16(pseudo_sum(
				s->family, s->src, s->dst, s->proto, l4_len),
				p, l4_len)));
		} else if (s->proto == IPPROTO_UDP) {
			put16(p + 4, (uint16_t)l4_len);
			put16(p + 6, 0);
			if (!s->udp_csum_zero) {
				uint16_t c = (uint16_t)~fold(sum16(pseudo_sum(
					s->family, s->src, s->dst, s->proto,
					l4_len), p, l4_len));

				put16(p + 6, c ? c : 0xffff);
			}
		}
	}
	lo->l3 = l3;
	lo->l4 = l4;
	lo->end = len;
	return len;
}

bool frame_checksums_valid(const uint8_t *f, size_t len)
{
	size_t off = 12, l3, l4, end;
	const uint8_t *src, *dst;
	uint16_t type = get16(f + off);
	int family;
	uint8_t proto;

	for (int i = 0; i < 2 && (type == 0x8100 || type == 0x88a8); i++) {
		off += 4;
		type = get16(f + off);
	}
	l3 = off + 2;
	if (type == 0x0800) {
		size_t hl = (size_t)(f[l3] & 0xf) * 4;

		if (fold(sum16(0, f + l3, hl)) != 0xffff)
			return false;
		family = 4;
		proto = f[l3 + 9];
		src = f + l3 + 12;
		dst = f + l3 + 16;
		l4 = l3 + hl;
		end = l3 + get16(f + l3 + 2);
	} else {
		uint8_t nh = f[l3 + 6];

		family = 6;
		src = f + l3 + 8;
		dst = f + l3 + 24;
		l4 = l3 + 40;
		end = l3 + 40 + get16(f + l3 + 4);
		while (nh == 0 || nh == 43 || nh == 60) {
			nh = f[l4];
			l4 += ((size_t)f[l4 + 1] + 1) * 8;
		}
		proto = nh;
	}
	if (end > len || l4 > end)
		return false;
	if (proto == IPPROTO_UDP && family == 4 && get16(f + l4 + 6) == 0)
		return true;
	return fold(sum16(pseudo_sum(family, src, dst, proto, end - l4),
			  f + l4, end - l4)) == 0xffff;
}

/* ---- choosing addresses ---------------------------------------------------- */

void gen_client(int family, int n, int port_index, uint8_t a[16], uint16_t *port_be)
{
	memset(a, 0, 16);
	if (family == 4) {
		a[0] = 192; a[1] = 168; a[2] = 1; a[3] = (uint8_t)(2 + n);
	} else {
		a[0] = 0x20; a[1] = 0x01; a[2] = 0x0d; a[3] = 0xb8;
		a[4] = 0x00; a[5] = 0x0c;
		a[15] = (uint8_t)(2 + n);
	}
	*port_be = htons((uint16_t)(40000 + port_index));
}

static void client_addr(struct rng *r, int family, uint8_t a[16])
{
	uint16_t unused;

	gen_client(family, (int)rng_below(r, GEN_CLIENTS), 0, a, &unused);
}

static uint16_t client_port(struct rng *r)
{
	uint8_t unused[16];
	uint16_t port;

	gen_client(4, 0, (int)rng_below(r, GEN_CLIENT_PORTS), unused, &port);
	return ntohs(port);
}

static void random_addr(struct rng *r, int family, uint8_t a[16])
{
	memset(a, 0, 16);
	fill_random(r, a, family == 4 ? 4 : 16);
}

static uint8_t pick_tcp_flags(struct rng *r)
{
	static const uint8_t common[] = {
		0x02, 0x02, 0x12, 0x10, 0x10, 0x18, 0x11, 0x04, 0x14, 0x01,
		0x03, 0x06,
	};

	if (rng_chance(r, 8))
		return (uint8_t)rng_next(r);
	return common[rng_below(r, sizeof(common))];
}

/* Destination of a client frame: a VIP or preview address (the service's
 * protocol mostly), a backend directly, or nowhere in particular. */
static void choose_client_dst(struct rng *r, const struct model_config *cfg,
			      struct spec *s)
{
	uint32_t roll = rng_below(r, 100);

	if (roll < 75 && cfg->nvips) {
		const struct vip_key *k = &cfg->vip_keys[rng_below(r, (uint32_t)cfg->nvips)];

		s->family = k->family;
		memcpy(s->dst, k->addr, 16);
		s->dport = ntohs(k->port);
		s->proto = k->proto;
		if (rng_chance(r, 10))
			s->proto = s->proto == IPPROTO_TCP ? IPPROTO_UDP : IPPROTO_TCP;
		if (rng_chance(r, 8))
			s->dport = (uint16_t)(s->dport + 1 - rng_below(r, 3));
		return;
	}
	if (roll < 85 && cfg->nendpoints) {
		const struct vip_key *k =
			&cfg->endpoint_keys[rng_below(r, (uint32_t)cfg->nendpoints)];

		s->family = k->family;
		memcpy(s->dst, k->addr, 16);
		s->dport = ntohs(k->port);
		s->proto = k->proto;
		return;
	}
	s->family = rng_chance(r, 50) ? 4 : 6;
	random_addr(r, s->family, s->dst);
	s->dport = (uint16_t)(rng_chance(r, 50) ? 80 : rng_next(r));
	s->proto = rng_chance(r, 50) ? IPPROTO_TCP : IPPROTO_UDP;
}

/* Another backend endpoint on the same host (other port) or with the same
 * port (other host) as the reply's source, if the configuration has one:
 * its reply must not be taken for this flow's. */
static void sibling_endpoint(struct rng *r, const struct model_config *cfg,
			     struct spec *s)
{
	int start = (int)rng_below(r, (uint32_t)(cfg->nendpoints ? cfg->nendpoints : 1));

	for (int n = 0; n < cfg->nendpoints; n++) {
		const struct vip_key *k = &cfg->endpoint_keys[(start + n) % cfg->nendpoints];
		bool same_addr = !memcmp(k->addr, s->src, 16);
		bool same_port = ntohs(k->port) == s->sport;

		if (k->family == s->family && k->proto == s->proto && same_addr != same_port) {
			memcpy(s->src, k->addr, 16);
			s->sport = ntohs(k->port);
			return;
		}
	}
}

/* A backend's reply: to a flow the model holds, established or half-open
 * (so it must be rewritten unless broken later; a half-open TCP flow often
 * gets its SYN-ACK), or from some endpoint to some client. */
static void choose_reply(struct rng *r, const struct model_config *cfg,
			 const struct model *m, struct spec *s)
{
	const struct model_flow_table *t = rng_chance(r, 50) ? &m->flows : &m->halfopen;

	if (!t->count)
		t = t == &m->flows ? &m->halfopen : &m->flows;
	if (t->count && rng_chance(r, 55)) {
		uint32_t i = t->order[rng_below(r, t->count)];
		const struct flow_key *k = &t->keys[i];
		const struct flow_value *v = &t->values[i].flow;

		if (t == &m->halfopen && k->proto == IPPROTO_TCP && rng_chance(r, 60)) {
			s->forced_flags = rng_chance(r, 85) ? 0x12 : 0x14;  /* SYN-ACK, RST-ACK */
			s->set_seq = true;
			s->seq = (uint32_t)rng_next(r);
		}

		s->family = k->family;
		s->proto = k->proto;
		memcpy(s->src, v->backend, 16);
		s->sport = ntohs(v->backend_port);
		memcpy(s->dst, k->client, 16);
		s->dport = ntohs(k->client_port);
		/* Near misses: another client port, or the backend port off. */
		if (rng_chance(r, 5))
			s->dport = client_port(r);
		if (rng_chance(r, 3))
			s->sport ^= 1;
		if (rng_chance(r, 8))
			sibling_endpoint(r, cfg, s);
		return;
	}
	if (cfg->nendpoints && rng_chance(r, 85)) {
		const struct vip_key *k =
			&cfg->endpoint_keys[rng_below(r, (uint32_t)cfg->nendpoints)];

		s->family = k->family;
		memcpy(s->src, k->addr, 16);
		s->sport = ntohs(k->port);
		s->proto = k->proto;
	} else {
		s->family = rng_chance(r, 50) ? 4 : 6;
		random_addr(r, s->family, s->src);
		s->sport = (uint16_t)rng_next(r);
		s->proto = rng_chance(r, 50) ? IPPROTO_TCP : IPPROTO_UDP;
	}
	client_addr(r, s->family, s->dst);
	s->dport = client_port(r);
}

static void choose_shape(struct rng *r, struct spec *s)
{
	uint32_t v = rng_below(r, 100);

	s->nvlan = v < 70 ? 0 : v < 82 ? 1 : v < 94 ? 2 : 3;
	for (int i = 0; i < s->nvlan; i++)
		s->vlan_types[i] = rng_chance(r, 50) ? 0x8100 : 0x88a8;
	if (s->family == 4 && rng_chance(r, 20))
		s->ipv4_opt_len = 4 * (int)(1 + rng_below(r, 10));
	if (s->family == 4 && rng_chance(r, 5))
		s->ipv4_frag = rng_chance(r, 50) ? 0x2000 :
			       (uint16_t)(1 + rng_below(r, 0x1fff));
	if (s->family == 4 && rng_chance(r, 10))
		s->ipv4_frag = 0x4000;  /* DF: not a fragment */
	if (s->family == 6 && rng_chance(r, 30)) {
		static const uint8_t types[] = { 0, 43, 60, 60, 44 };

		s->n_ext = (int)(1 + rng_below(r, 6));
		for (int i = 0; i < s->n_ext; i++) {
			s->ext_types[i] = types[rng_below(r, rng_chance(r, 85) ? 4 : 5)];
			s->ext_units[i] = (uint8_t)(rng_chance(r, 80) ? 0 : rng_below(r, 4));
		}
	}
	if (rng_chance(r, 4)) {
		static const uint8_t others[] = { 1, 58, 132, 47, 0, 50 };

		s->proto = others[rng_below(r, sizeof(others))];
	}
	if (s->proto == IPPROTO_TCP)
		s->tcp_flags = s->forced_flags ? s->forced_flags : pick_tcp_flags(r);
	if (s->proto == IPPROTO_UDP && rng_chance(r, 10))
		s->udp_csum_zero = true;
	s->payload_len = rng_chance(r, 3) ? (int)rng_below(r, 1400)
					  : (int)rng_below(r, 48);
}

/* ---- mutations ------------------------------------------------------------- */

static size_t cut_point(struct rng *r, const struct layout *lo, size_t len)
{
	size_t base;

	switch (rng_below(r, 4)) {
	case 0: base = 14; break;
	case 1: base = lo->l3; break;
	case 2: base = lo->l4; break;
	default: base = 14 + rng_below(r, (uint32_t)(len - 14)); break;
	}
	base += rng_below(r, 24);
	return base < 14 ? 14 : base > len ? len : base;
}

static void mutate(struct rng *r, struct gen_frame *g, const struct spec *s,
		   struct layout *lo)
{
	uint8_t *f = g->buf;
	uint8_t *ip = f + lo->l3;
	char *w = g->what + strlen(g->what);
	size_t room = sizeof(g->what) - (size_t)(w - g->what);
	uint32_t kind = rng_below(r, 13);
	bool was_valid = g->checksums_valid;

	g->checksums_valid = false;
	switch (kind) {
	case 0: {
		size_t cut = cut_point(r, lo, g->len);

		snprintf(w, room, " cut@%zu", cut);
		g->len = cut;
		break;
	}
	case 1: {
		size_t n = 1 + rng_below(r, 40);

		if (g->len + n > MODEL_FRAME_MAX)
			n = MODEL_FRAME_MAX - g->len;
		fill_random(r, f + g->len, n);
		g->len += n;
		snprintf(w, room, " pad+%zu", n);
		g->checksums_valid = was_valid; /* padding is not packet */
		break;
	}
	case 2:
		if (s->family == 4) {
			ip[0] = (uint8_t)((ip[0] & 0xf0) | rng_below(r, 16));
			snprintf(w, room, " ihl=%u", ip[0] & 0xf);
		} else {
			put16(ip + 4, (uint16_t)(get16(ip + 4) + rng_below(r, 33) - 16));
			snprintf(w, room, " plen=%u", get16(ip + 4));
		}
		break;
	case 3: {
		size_t off = s->family == 4 ? 2 : 4;
		uint16_t v = rng_chance(r, 50) ? (uint16_t)rng_next(r) :
			     (uint16_t)(get16(ip + off) + rng_below(r, 17) - 8);

		put16(ip + off, v);
		snprintf(w, room, " %s=%u", s->family == 4 ? "tot" : "plen", v);
		break;
	}
	case 4:
		ip[0] = (uint8_t)((ip[0] & 0x0f) | (rng_below(r, 16) << 4));
		snprintf(w, room, " ver=%u", ip[0] >> 4);
		break;
	case 5: {
		int n = 1 + (int)rng_below(r, 3);

		for (int i = 0; i < n; i++) {
			size_t at = rng_below(r, (uint32_t)g->len);

			f[at] ^= (uint8_t)(1 + rng_below(r, 255));
			snprintf(w, room, " flip@%zu", at);
			w += strlen(w);
			room = sizeof(g->what) - (size_t)(w - g->what);
		}
		break;
	}
	case 6: {
		static const uint16_t types[] = {
			0x0806, 0x88cc, 0x0000, 0x05dc, 0x8847, 0x86dd, 0x0800,
			0x8100, 0x88a8, 0x9100, 0xffff,
		};
		uint16_t t = types[rng_below(r, sizeof(types) / sizeof(types[0]))];

		put16(f + lo->l3 - 2, t);
		snprintf(w, room, " type=%04x", t);
		break;
	}
	case 7:
		if (s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP) {
			size_t at = lo->l4 + (s->proto == IPPROTO_TCP ? 16 : 6);

			if (at + 2 <= g->len)
				put16(f + at, (uint16_t)rng_next(r));
			snprintf(w, room, " l4csum");
		}
		break;
	case 8:
		if (s->family == 4) {
			put16(ip + 6, (uint16_t)rng_next(r));
			snprintf(w, room, " frag=%04x", get16(ip + 6));
		} else {
			ip[6] = (uint8_t)(rng_chance(r, 50) ? 44 : rng_next(r));
			snprintf(w, room, " nh=%u", ip[6]);
		}
		break;
	case 9:
		/* The L4 protocol byte, after the headers were laid out. */
		if (s->family == 4) {
			ip[9] = rng_chance(r, 50) ? (ip[9] == 6 ? 17 : 6) : (uint8_t)rng_next(r);
			snprintf(w, room, " proto=%u", ip[9]);
		} else if (s->n_ext && lo->l3 + 40 < g->len) {
			f[lo->l3 + 40 + 1] = (uint8_t)rng_next(r);   /* ext length */
			snprintf(w, room, " extlen=%u", f[lo->l3 + 41]);
		}
		break;
	case 10:
		/* A whole frame of noise behind a plausible Ethernet type. */
		g->len = 14 + rng_below(r, 120);
		fill_random(r, f + 12, g->len - 12);
		if (rng_chance(r, 70))
			put16(f + 12, rng_chance(r, 50) ? 0x0800 : 0x86dd);
		snprintf(w, room, " noise%zu", g->len);
		break;
	case 11:
		/* Ethernet header only, or a tag cut in half. */
		g->len = 14 + rng_below(r, 8);
		snprintf(w, room, " short%zu", g->len);
		break;
	default:
		if (s->proto == IPPROTO_UDP && lo->l4 + 8 <= g->len) {
			put16(f + lo->l4 + 6, 0);
			snprintf(w, room, " udpcsum0");
		} else if (s->proto == IPPROTO_TCP && lo->l4 + 14 <= g->len) {
			f[lo->l4 + 13] = pick_tcp_flags(r);
			snprintf(w, room, " flags=%02x", f[lo->l4 + 13]);
		}
		break;
	}
}

/* A client's ACK of a half-open TCP flow whose SYN-ACK the model saw: the
 * right acknowledgment number (it promotes the flow), or one off (it must
 * not).  False if there is no such flow, or not this time. */
static bool ack_halfopen(struct rng *r, const struct model *m, struct spec *s)
{
	const struct model_flow_table *t = &m->halfopen;

	if (!t->count || !rng_chance(r, 25))
		return false;
	for (int tries = 0; tries < 8; tries++) {
		uint32_t i = t->order[rng_below(r, t->count)];
		const struct flow_key *k = &t->keys[i];
		const struct halfopen_value *v = &t->values[i];

		if (k->proto != IPPROTO_TCP || !(v->flags & HALFOPEN_SYNACK))
			continue;
		s->family = k->family;
		s->proto = IPPROTO_TCP;
		memcpy(s->src, k->client, 16);
		memcpy(s->dst, k->vip, 16);
		s->sport = ntohs(k->client_port);
		s->dport = ntohs(k->vip_port);
		s->forced_flags = rng_chance(r, 80) ? 0x10 : 0x11;  /* ACK, FIN-ACK */
		s->set_ack = true;
		s->ack = ntohl(v->expected_ack) + (rng_chance(r, 80) ? 0 : 1);
		return true;
	}
	return false;
}

void gen_next(struct rng *r, const struct model_config *cfg,
	      const struct model *m, struct gen_frame *g)
{
	struct spec s;
	struct layout lo;

	memset(&s, 0, sizeof(s));
	g->target = rng_chance(r, 62) ? GEN_XDP : GEN_TC;
	if (g->target == GEN_XDP) {
		if (!ack_halfopen(r, m, &s)) {
			choose_client_dst(r, cfg, &s);
			client_addr(r, s.family, s.src);
			s.sport = client_port(r);
		}
	} else {
		choose_reply(r, cfg, m, &s);
	}
	choose_shape(r, &s);
	memset(g->buf, 0, sizeof(g->buf));
	g->len = build(r, &s, g->buf, &lo);
	g->checksums_valid = s.proto == IPPROTO_TCP || s.proto == IPPROTO_UDP;
	snprintf(g->what, sizeof(g->what), "%s v%d p%u vlan%d opt%d ext%d frag%04x",
		 g->target == GEN_XDP ? "xdp" : "tc", s.family, s.proto,
		 s.nvlan, s.ipv4_opt_len, s.n_ext, s.ipv4_frag);
	if (rng_chance(r, 45)) {
		int n = 1 + (int)rng_below(r, rng_chance(r, 70) ? 1 : 3);

		for (int i = 0; i < n; i++)
			mutate(r, g, &s, &lo);
	}
}
