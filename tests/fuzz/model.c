// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * model.c - the data plane's decision, written from the specification.
 *
 * Parsing rules (the pass reasons of include/bgxdp.h):
 *   Ethernet, then at most two VLAN tags (0x8100 / 0x88a8, any order).
 *   The ethertype after them must be IPv4 or IPv6, else NOT_IP (ARP, LLDP,
 *   a third tag, an 802.3 length field ...).  A frame that ends inside a
 *   tag is MALFORMED.
 *   IPv4: a whole 20-byte header, version 4, IHL >= 5, IHL*4 <= tot_len,
 *   tot_len inside the frame (trailing padding allowed), else MALFORMED;
 *   MF or a fragment offset: FRAGMENT; not TCP/UDP: UNSUPPORTED; the
 *   TCP/UDP header must fit inside tot_len, else MALFORMED.
 *   IPv6: a whole 40-byte header, version 6, payload_len inside the frame,
 *   else MALFORMED; up to four hop-by-hop / routing / destination-options
 *   headers are skipped ((len+1)*8 bytes; the two bytes naming the next
 *   header must be in the frame, else MALFORMED); a fragment header then is
 *   FRAGMENT; anything but TCP/UDP (including a fifth extension header) is
 *   UNSUPPORTED; the TCP/UDP header must end inside payload_len, else
 *   MALFORMED; UDP over IPv6 with checksum 0 is MALFORMED (RFC 8200 8.1).
 * Decision (XDP): VIP lookup by (dst addr, dst port, proto, family); a
 *   usable flow (a closing TCP flow is not usable for a bare SYN) keeps its
 *   backend, FIN/RST marks it closing; otherwise the config word picks:
 *   configured? color from the share (preview: green), the other color if
 *   that one has no backends, the live ring buffer's slot -> backend slot,
 *   which must be < 128, not EMPTY and of the packet's family; else
 *   NO_BACKEND.  A new flow is recorded (closing at once for FIN/RST).
 * Rewrite: destination (XDP) / source (tc) address and port, IPv4 header
 *   checksum and L4 checksum updated incrementally (RFC 1624 eqn. 3), UDP
 *   checksum 0 over IPv4 kept 0, a computed UDP 0 sent as 0xffff.
 * tc: a reply from a backend endpoint to a client whose flow (keyed with
 *   the service's VIP, else its preview address) went to exactly that
 *   endpoint gets its source rewritten to that VIP / preview address.
 * A bare TCP SYN that is not for a VIP but to a backend endpoint, from a
 *   client port whose VIP flow to that endpoint is closing, deletes that
 *   flow (port reuse for a direct connection).
 * Neither program drops anything: XDP_PASS and TC_ACT_OK always.
 */
#include <string.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include "bgxdp_hash.h"
#include "model.h"

#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_ACK 0x10

static __u16 rd16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static void wr16(__u8 *p, __u16 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

/* ---- parsing --------------------------------------------------------- */

struct parsed {
	size_t l3, l4;
	__u8 family, proto, tcp_flags;
	__u8 saddr[BGXDP_ADDR_LEN], daddr[BGXDP_ADDR_LEN];
	__u8 sport[2], dport[2];
};

#define PARSED_OK (-1)

static bool is_vlan_type(__u16 t)
{
	return t == 0x8100 || t == 0x88a8;
}

static int parse_ipv4(const __u8 *f, size_t len, struct parsed *p)
{
	const __u8 *ip = f + p->l3;
	size_t ihl_bytes, tot, l4_hdr;

	if (p->l3 + 20 > len)
		return PASS_MALFORMED;
	if ((ip[0] >> 4) != 4 || (ip[0] & 0xf) < 5)
		return PASS_MALFORMED;
	ihl_bytes = (size_t)(ip[0] & 0xf) * 4;
	tot = rd16(ip + 2);
	if (tot < ihl_bytes || p->l3 + tot > len)
		return PASS_MALFORMED;
	if (rd16(ip + 6) & 0x3fff)      /* MF or fragment offset */
		return PASS_FRAGMENT;
	if (ip[9] != IPPROTO_TCP && ip[9] != IPPROTO_UDP)
		return PASS_UNSUPPORTED;
	l4_hdr = ip[9] == IPPROTO_TCP ? 20 : 8;
	if (tot < ihl_bytes + l4_hdr)
		return PASS_MALFORMED;
	p->family = BGXDP_FAMILY_IPV4;
	p->proto = ip[9];
	p->l4 = p->l3 + ihl_bytes;
	memcpy(p->saddr, ip + 12, 4);
	memcpy(p->daddr, ip + 16, 4);
	return PARSED_OK;
}

static bool is_skipped_ext(__u8 nh)
{
	return nh == 0 || nh == 43 || nh == 60;
}

static int parse_ipv6(const __u8 *f, size_t len, struct parsed *p)
{
	const __u8 *ip = f + p->l3;
	size_t end, off, l4_hdr;
	__u8 nh;

	if (p->l3 + 40 > len)
		return PASS_MALFORMED;
	if ((ip[0] >> 4) != 6)
		return PASS_MALFORMED;
	end = p->l3 + 40 + rd16(ip + 4);
	if (end > len)
		return PASS_MALFORMED;
	nh = ip[6];
	off = p->l3 + 40;
	for (int n = 0; n < 4 && is_skipped_ext(nh); n++) {
		if (off + 2 > len)
			return PASS_MALFORMED;
		nh = f[off];
		off += ((size_t)f[off + 1] + 1) * 8;
	}
	if (nh == 44)
		return PASS_FRAGMENT;
	if (nh != IPPROTO_TCP && nh != IPPROTO_UDP)
		return PASS_UNSUPPORTED;
	l4_hdr = nh == IPPROTO_TCP ? 20 : 8;
	if (off + l4_hdr > end)
		return PASS_MALFORMED;
	p->family = BGXDP_FAMILY_IPV6;
	p->proto = nh;
	p->l4 = off;
	memcpy(p->saddr, ip + 8, 16);
	memcpy(p->daddr, ip + 24, 16);
	return PARSED_OK;
}

static int parse_frame(const __u8 *f, size_t len, struct parsed *p)
{
	size_t off = 12;
	__u16 type;
	int r;

	memset(p, 0, sizeof(*p));
	if (len < 14)
		return PASS_MALFORMED;
	type = rd16(f + off);
	for (int tags = 0; tags < 2 && is_vlan_type(type); tags++) {
		off += 4;
		if (off + 2 > len)
			return PASS_MALFORMED;
		type = rd16(f + off);
	}
	p->l3 = off + 2;
	if (type == 0x0800)
		r = parse_ipv4(f, len, p);
	else if (type == 0x86dd)
		r = parse_ipv6(f, len, p);
	else
		return PASS_NOT_IP;
	if (r != PARSED_OK)
		return r;
	/* The L4 header lies inside tot_len / payload_len, so in the frame. */
	memcpy(p->sport, f + p->l4, 2);
	memcpy(p->dport, f + p->l4 + 2, 2);
	if (p->proto == IPPROTO_TCP) {
		p->tcp_flags = f[p->l4 + 13];
	} else if (p->family == BGXDP_FAMILY_IPV6 && rd16(f + p->l4 + 6) == 0) {
		return PASS_MALFORMED;
	}
	return PARSED_OK;
}

/* ---- checksums (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')) -------------- */

static __u32 csum_add_replace(__u32 sum, const __u8 *old, const __u8 *new,
			      size_t n)
{
	for (size_t i = 0; i < n; i += 2)
		sum += (__u16)~rd16(old + i) + (__u32)rd16(new + i);
	return sum;
}

static __u16 csum_finish(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Replace address and port (network order bytes) at their offsets and fix
 * the checksums that cover them. */
static void rewrite(__u8 *f, const struct parsed *p, size_t addr_off_v4,
		    size_t addr_off_v6, size_t port_off, const __u8 *new_addr,
		    const __u8 *new_port)
{
	size_t alen = p->family == BGXDP_FAMILY_IPV4 ? 4 : 16;
	__u8 *addr = f + p->l3 + (p->family == BGXDP_FAMILY_IPV4 ? addr_off_v4
								   : addr_off_v6);
	__u8 *port = f + p->l4 + port_off;
	__u8 *l4_check = f + p->l4 + (p->proto == IPPROTO_TCP ? 16 : 6);
	__u16 old_l4 = rd16(l4_check);

	if (p->family == BGXDP_FAMILY_IPV4) {
		__u8 *ip_check = f + p->l3 + 10;
		__u32 s = (__u16)~rd16(ip_check);

		wr16(ip_check, csum_finish(csum_add_replace(s, addr, new_addr, 4)));
	}
	if (!(p->proto == IPPROTO_UDP && old_l4 == 0)) {
		__u32 s = (__u16)~old_l4;
		__u16 c;

		s = csum_add_replace(s, addr, new_addr, alen);
		s = csum_add_replace(s, port, new_port, 2);
		c = csum_finish(s);
		if (p->proto == IPPROTO_UDP && c == 0)
			c = 0xffff;
		wr16(l4_check, c);
	}
	memcpy(addr, new_addr, alen);
	memcpy(port, new_port, 2);
}

/* ---- flow table -------------------------------------------------------- */

static __u32 flow_slot_hash(const struct flow_key *k)
{
	return bgxdp_flow_hash(k, 0x12345678u) & (MODEL_FLOW_SLOTS - 1);
}

static __u32 flow_find(const struct model_flow_table *t,
		       const struct flow_key *k, bool *found)
{
	__u32 i = flow_slot_hash(k);

	while (t->used[i]) {
		if (!memcmp(&t->keys[i], k, sizeof(*k))) {
			*found = true;
			return i;
		}
		i = (i + 1) & (MODEL_FLOW_SLOTS - 1);
	}
	*found = false;
	return i;
}

const struct flow_value *model_flow_lookup(const struct model *m,
					   const struct flow_key *key)
{
	bool found;
	__u32 i = flow_find(&m->flows, key, &found);

	return found ? &m->flows.values[i] : NULL;
}

static struct flow_value *flow_get(struct model *m, const struct flow_key *key)
{
	bool found;
	__u32 i = flow_find(&m->flows, key, &found);

	return found ? &m->flows.values[i] : NULL;
}

static void flow_put(struct model *m, const struct flow_key *key,
		     const struct flow_value *val)
{
	struct model_flow_table *t = &m->flows;
	bool found;
	__u32 i = flow_find(t, key, &found);

	if (!found) {
		/* Keep the table at most half full: the fuzzer ends an epoch
		 * long before, this only guards the probe loop. */
		if (t->count >= MODEL_FLOW_SLOTS / 2)
			return;
		t->used[i] = true;
		t->keys[i] = *key;
		t->order[t->count++] = i;
	}
	t->values[i] = *val;
}

/* Take slot i out of the table (used flag and insertion order). */
static void flow_unlink(struct model_flow_table *t, __u32 i)
{
	for (__u32 n = 0; n < t->count; n++) {
		if (t->order[n] == i) {
			t->order[n] = t->order[--t->count];
			break;
		}
	}
	t->used[i] = false;
}

/* Delete a flow; the rest of its probe cluster is inserted again so every
 * later key stays reachable from its home slot. */
static void flow_delete(struct model *m, const struct flow_key *key)
{
	struct model_flow_table *t = &m->flows;
	bool found;
	__u32 i = flow_find(t, key, &found);

	if (!found)
		return;
	flow_unlink(t, i);
	for (__u32 j = (i + 1) & (MODEL_FLOW_SLOTS - 1); t->used[j];
	     j = (j + 1) & (MODEL_FLOW_SLOTS - 1)) {
		struct flow_key k = t->keys[j];
		struct flow_value v = t->values[j];

		flow_unlink(t, j);
		flow_put(m, &k, &v);
	}
}

void model_clear_flows(struct model *m)
{
	struct model_flow_table *t = &m->flows;

	for (__u32 n = 0; n < t->count; n++)
		t->used[t->order[n]] = false;
	t->count = 0;
}

void model_init(struct model *m, const struct model_config *cfg)
{
	memset(m, 0, sizeof(*m));
	m->cfg = cfg;
}

bool model_flow_equal(const struct flow_value *a, const struct flow_value *b)
{
	return !memcmp(a->backend, b->backend, BGXDP_ADDR_LEN) &&
	       a->backend_port == b->backend_port && a->color == b->color &&
	       a->state == b->state && a->service_id == b->service_id &&
	       a->backend_slot == b->backend_slot;
}

/* ---- XDP ingress ------------------------------------------------------- */

static const struct vip_value *find_vip(const struct model_config *cfg,
					const struct parsed *p)
{
	struct vip_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.addr, p->daddr, BGXDP_ADDR_LEN);
	memcpy(&k.port, p->dport, 2);
	k.proto = p->proto;
	k.family = p->family;
	for (int i = 0; i < cfg->nvips; i++)
		if (!memcmp(&cfg->vip_keys[i], &k, sizeof(k)))
			return &cfg->vip_values[i];
	return NULL;
}

/* The backend for a new flow, or false (NO_BACKEND). */
static bool pick(const struct model_config *cfg, const struct flow_key *key,
		 const struct vip_value *vip, const struct parsed *p,
		 struct flow_value *out)
{
	__u32 svc = vip->service_id, color, slot;
	__u64 word = cfg->words[svc];
	const struct backend *be;
	const struct maglev_ring *ring;

	if (!(word & CFG_CONFIGURED))
		return false;
	color = (vip->flags & VIP_FLAG_PREVIEW) ? BGXDP_GREEN
						: bgxdp_pick_color(key, word);
	if (!(word & CFG_HAS_BACKENDS(color))) {
		color ^= 1;
		if (!(word & CFG_HAS_BACKENDS(color)))
			return false;
	}
	ring = &cfg->rings[ring_index(svc, color, cfg_ring_buffer(word, color))];
	slot = ring->slots[bgxdp_pick_ring_slot(key, word)];
	if (slot >= BGXDP_MAX_BACKENDS)
		return false;
	be = &cfg->backends[backend_index(svc, color, slot)];
	if (be->state == BACKEND_EMPTY || be->family != p->family)
		return false;
	memset(out, 0, sizeof(*out));
	memcpy(out->backend, be->addr, BGXDP_ADDR_LEN);
	out->backend_port = be->port;
	out->color = (__u8)color;
	out->service_id = (__u16)svc;
	out->backend_slot = (__u16)slot;
	out->state = FLOW_OPEN;
	return true;
}

static void make_key(const struct parsed *p, struct flow_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->client, p->saddr, BGXDP_ADDR_LEN);
	memcpy(k->vip, p->daddr, BGXDP_ADDR_LEN);
	memcpy(&k->client_port, p->sport, 2);
	memcpy(&k->vip_port, p->dport, 2);
	k->proto = p->proto;
	k->family = p->family;
}

static void xdp_pass(struct model *m, struct model_result *res, int reason)
{
	res->pass_reason = reason;
	m->passed[reason]++;
}

static const struct backend_service *find_endpoint_of(const struct model_config *cfg,
						      const __u8 *addr, const __u8 *port,
						      __u8 proto, __u8 family);

/* A bare SYN straight to a backend endpoint from a client port whose VIP
 * flow (through the service's VIP, not the preview address) to that same
 * endpoint is closing: the backend could not tell the two connections
 * apart, so the old flow is forgotten. */
static void forget_reused_flow(struct model *m, const struct parsed *p)
{
	const struct backend_service *bs;
	const struct flow_value *f;
	struct flow_key k;

	if (p->proto != IPPROTO_TCP ||
	    (p->tcp_flags & (TCPF_SYN | TCPF_ACK)) != TCPF_SYN)
		return;
	bs = find_endpoint_of(m->cfg, p->daddr, p->dport, p->proto, p->family);
	if (!bs)
		return;
	memset(&k, 0, sizeof(k));
	memcpy(k.client, p->saddr, BGXDP_ADDR_LEN);
	memcpy(k.vip, bs->vip, BGXDP_ADDR_LEN);
	memcpy(&k.client_port, p->sport, 2);
	k.vip_port = bs->vip_port;
	k.proto = p->proto;
	k.family = p->family;
	f = model_flow_lookup(m, &k);
	if (f && f->state == FLOW_CLOSING &&
	    !memcmp(f->backend, p->daddr, BGXDP_ADDR_LEN) &&
	    !memcmp(&f->backend_port, p->dport, 2))
		flow_delete(m, &k);
}

void model_xdp(struct model *m, const __u8 *frame, size_t len,
	       struct model_result *res)
{
	const struct model_config *cfg = m->cfg;
	const struct vip_value *vip;
	struct flow_value *flow, fresh;
	struct parsed p;
	bool tcp, created = false, bare_syn;
	int r;

	memset(res, 0, offsetof(struct model_result, out));
	res->retval = XDP_PASS;
	res->out_len = len;
	memcpy(res->out, frame, len);

	r = parse_frame(frame, len, &p);
	if (r != PARSED_OK)
		return xdp_pass(m, res, r);
	vip = find_vip(cfg, &p);
	if (!vip) {
		forget_reused_flow(m, &p);
		return xdp_pass(m, res, PASS_NOT_VIP);
	}
	if (vip->service_id >= BGXDP_MAX_SERVICES)
		return xdp_pass(m, res, PASS_NO_BACKEND);

	tcp = p.proto == IPPROTO_TCP;
	bare_syn = tcp && (p.tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN;
	make_key(&p, &res->key);
	res->has_flow = true;
	flow = flow_get(m, &res->key);
	if (flow && !(tcp && flow->state == FLOW_CLOSING && bare_syn)) {
		if (tcp && flow->state == FLOW_OPEN &&
		    (p.tcp_flags & (TCPF_FIN | TCPF_RST)))
			flow->state = FLOW_CLOSING;
	} else {
		if (!pick(cfg, &res->key, vip, &p, &fresh)) {
			/* The old entry (if any) stays as it was. */
			if (flow)
				res->flow = *flow;
			else
				res->has_flow = false;
			return xdp_pass(m, res, PASS_NO_BACKEND);
		}
		if (tcp && (p.tcp_flags & (TCPF_FIN | TCPF_RST)))
			fresh.state = FLOW_CLOSING;
		flow_put(m, &res->key, &fresh);
		flow = flow_get(m, &res->key);
		created = true;
	}
	res->flow = *flow;

	rewrite(res->out, &p, 16, 24, 2, flow->backend,
		(const __u8 *)&flow->backend_port);
	res->rewritten = true;
	res->pass_reason = -1;
	{
		struct color_counters *cc =
			&m->colors[color_index(flow->service_id, flow->color & 1)];
		struct backend_counters *bc =
			&m->backends[backend_index(flow->service_id,
						   flow->color & 1,
						   flow->backend_slot)];

		cc->packets_to_backend++;
		cc->bytes_to_backend += len;
		if (created)
			cc->flows_created++;
		if (created && tcp && !(p.tcp_flags & TCPF_SYN))
			cc->flows_lost++;
		bc->packets++;
		bc->bytes += len;
	}
}

/* ---- tc egress ---------------------------------------------------------- */

static const struct backend_service *find_endpoint_of(const struct model_config *cfg,
						      const __u8 *addr, const __u8 *port,
						      __u8 proto, __u8 family)
{
	struct vip_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.addr, addr, BGXDP_ADDR_LEN);
	memcpy(&k.port, port, 2);
	k.proto = proto;
	k.family = family;
	for (int i = 0; i < cfg->nendpoints; i++)
		if (!memcmp(&cfg->endpoint_keys[i], &k, sizeof(k)))
			return &cfg->endpoint_values[i];
	return NULL;
}

static const struct backend_service *find_endpoint(const struct model_config *cfg,
						   const struct parsed *p)
{
	return find_endpoint_of(cfg, p->saddr, p->sport, p->proto, p->family);
}

/* The client's flow through `vip`:`port` if it went to this endpoint. */
static const struct flow_value *reply_flow(const struct model *m,
					   const struct parsed *p,
					   const __u8 *vip, __be16 port)
{
	const struct flow_value *f;
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.client, p->daddr, BGXDP_ADDR_LEN);
	memcpy(k.vip, vip, BGXDP_ADDR_LEN);
	memcpy(&k.client_port, p->dport, 2);
	k.vip_port = port;
	k.proto = p->proto;
	k.family = p->family;
	f = model_flow_lookup(m, &k);
	if (!f || memcmp(f->backend, p->saddr, BGXDP_ADDR_LEN) ||
	    memcmp(&f->backend_port, p->sport, 2))
		return NULL;
	return f;
}

void model_tc(struct model *m, const __u8 *frame, size_t len,
	      struct model_result *res)
{
	const struct backend_service *bs;
	const struct flow_value *flow;
	const __u8 *new_addr;
	__be16 new_port;
	struct parsed p;

	memset(res, 0, offsetof(struct model_result, out));
	res->retval = TC_ACT_OK;
	res->pass_reason = -1;
	res->out_len = len;
	memcpy(res->out, frame, len);

	if (parse_frame(frame, len, &p) != PARSED_OK)
		return;
	bs = find_endpoint(m->cfg, &p);
	if (!bs)
		return;
	new_addr = bs->vip;
	new_port = bs->vip_port;
	flow = reply_flow(m, &p, new_addr, new_port);
	if (!flow && bs->has_preview) {
		new_addr = bs->preview;
		new_port = bs->preview_port;
		flow = reply_flow(m, &p, new_addr, new_port);
	}
	if (!flow)
		return;
	rewrite(res->out, &p, 12, 8, 0, new_addr, (const __u8 *)&new_port);
	res->rewritten = true;
	{
		struct color_counters *cc =
			&m->colors[color_index(flow->service_id, flow->color & 1)];

		cc->packets_to_client++;
		cc->bytes_to_client += len;
		if (p.proto == IPPROTO_TCP && (p.tcp_flags & TCPF_RST))
			cc->resets_from_backend++;
	}
}
