// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * model.c - the data plane's decision, written from the specification.
 *
 * Parsing rules (the pass reasons of include/bgxdp.h; model_parse.c):
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
 * Decision (XDP), two tables: `flows` (established) and `halfopen` (new
 *   flows that have not proved real):
 *   - a usable established flow (a closing TCP flow is not usable for a
 *     bare SYN) keeps its backend; FIN/RST marks it closing;
 *   - a bare SYN: picked under the config word (configured? color from
 *     the share (preview: green), the other color if that one has no
 *     backends, the live ring buffer's slot -> backend slot, < 128, not
 *     EMPTY, of the packet's family; else NO_BACKEND).  An open half-open
 *     entry of the flow wins (a retransmission: its pick, unchanged);
 *     otherwise the pick is recorded half-open (closing at once with FIN
 *     or RST), over a closing entry of the flow.  No pick: as below;
 *   - any other packet: a usable half-open entry (closing not usable for a
 *     bare SYN) is used; FIN/RST close it; it is promoted (moved to
 *     `flows`) when the packet is TCP with ACK but neither SYN nor RST and
 *     the backend has answered (anything but a SYN-ACK or RST) or its
 *     SYN-ACK's sequence + 1 is the packet's acknowledgment number; UDP
 *     when the backend has answered.  Without a usable entry: picked and
 *     recorded half-open (a mid-stream TCP packet, no SYN flag: lost);
 *   - a new half-open record removes an unusable entry of the key from
 *     `flows`.
 *   Counters: packets and bytes to the backend; created for a new record,
 *   lost, promoted, and SYNs (color and backend) for bare SYNs outside the
 *   established path.
 * Rewrite: destination (XDP) / source (tc) address and port, IPv4 header
 *   checksum and L4 checksum updated incrementally (RFC 1624 eqn. 3), UDP
 *   checksum 0 over IPv4 kept 0, a computed UDP 0 sent as 0xffff.
 * tc: a reply from a backend endpoint to a client whose flow (keyed with
 *   the service's VIP, else its preview address) went to exactly that
 *   endpoint, established first, else half-open, gets its source rewritten
 *   to that VIP / preview address.  On a half-open flow a SYN-ACK (SYN and
 *   ACK, no RST) records its sequence + 1 as the ACK to expect, anything
 *   but a SYN-ACK or RST marks the flow answered; the first SYN-ACK of a
 *   flow made by a SYN is timed (the histogram counts it).  RSTs count
 *   per color and backend, SYN-ACKs (SYN and ACK) too.
 * A bare TCP SYN that is not for a VIP but to a backend endpoint, from a
 *   client port whose VIP flow to that endpoint is closing (established)
 *   or half-open in any state, deletes that flow (port reuse for a direct
 *   connection).
 * Neither program drops anything: XDP_PASS and TC_ACT_OK always.
 */
#include <string.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include "bgxdp_hash.h"
#include "model.h"
#include "model_parse.h"

/* ---- tables -------------------------------------------------------------- */

const struct flow_value *model_flow_lookup(const struct model *m,
					   const struct flow_key *key)
{
	const struct halfopen_value *v =
		model_table_get((struct model_flow_table *)&m->flows, key);

	return v ? &v->flow : NULL;
}

const struct halfopen_value *model_halfopen_lookup(const struct model *m,
						   const struct flow_key *key)
{
	return model_table_get((struct model_flow_table *)&m->halfopen, key);
}

void model_clear_flows(struct model *m)
{
	model_table_clear(&m->flows);
	model_table_clear(&m->halfopen);
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

bool model_halfopen_equal(const struct halfopen_value *a,
			  const struct halfopen_value *b)
{
	return model_flow_equal(&a->flow, &b->flow) && a->flags == b->flags &&
	       a->expected_ack == b->expected_ack;
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
	if (p->proto == IPPROTO_TCP && (p->tcp_flags & (TCPF_FIN | TCPF_RST)))
		out->state = FLOW_CLOSING;
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

static bool goes_to(const struct flow_value *f, const __u8 *addr, const __u8 *port)
{
	return !memcmp(f->backend, addr, BGXDP_ADDR_LEN) && !memcmp(&f->backend_port, port, 2);
}

static bool is_bare_syn(const struct parsed *p)
{
	return p->proto == IPPROTO_TCP &&
	       (p->tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN;
}

/* A bare SYN straight to a backend endpoint from a client port whose VIP
 * flow (through the service's VIP, not the preview address) to that same
 * endpoint is closing, or not finished: the backend could not tell the
 * two connections apart, so the old flow is forgotten. */
static void forget_reused_flow(struct model *m, const struct parsed *p)
{
	const struct backend_service *bs;
	const struct flow_value *f;
	const struct halfopen_value *h;
	struct flow_key k;

	if (!is_bare_syn(p))
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
	if (f && f->state == FLOW_CLOSING && goes_to(f, p->daddr, p->dport))
		model_table_delete(&m->flows, &k);
	h = model_halfopen_lookup(m, &k);
	if (h && goes_to(&h->flow, p->daddr, p->dport))
		model_table_delete(&m->halfopen, &k);
}

/* Has the half-open flow proved real with this client packet? */
static bool promotes(const struct halfopen_value *h, const struct parsed *p)
{
	if (p->proto != IPPROTO_TCP)
		return h->flags & HALFOPEN_REPLY;
	if ((p->tcp_flags & (TCPF_SYN | TCPF_RST | TCPF_ACK)) != TCPF_ACK)
		return false;
	return (h->flags & HALFOPEN_REPLY) ||
	       ((h->flags & HALFOPEN_SYNACK) && !memcmp(&h->expected_ack, p->ack_seq, 4));
}

#define DID_CREATE  (1u << 0)
#define DID_LOSE    (1u << 1)
#define DID_SYN     (1u << 2)
#define DID_PROMOTE (1u << 3)

/* Record a new pick half-open; an unusable `flows` entry of the key goes. */
static __u32 record_new(struct model *m, const struct flow_key *key,
			const struct parsed *p, const struct flow_value *pick)
{
	struct halfopen_value h = { .flow = *pick };
	__u32 did = DID_CREATE;

	if (is_bare_syn(p)) {
		h.flags = HALFOPEN_SYN;
		did |= DID_SYN;
	}
	if (p->proto == IPPROTO_TCP && !(p->tcp_flags & TCPF_SYN))
		did |= DID_LOSE;
	model_table_put(&m->halfopen, key, &h);
	model_table_delete(&m->flows, key);
	return did;
}

/*
 * A VIP packet without a usable established flow.  Returns the DID_* bits
 * with *out the flow it goes by, or -1 with *reason (no backend).
 */
static int not_established(struct model *m, const struct flow_key *key,
			   const struct vip_value *vip, const struct parsed *p,
			   struct flow_value *out, int *reason)
{
	struct halfopen_value *h = model_table_get(&m->halfopen, key);
	bool tcp = p->proto == IPPROTO_TCP, bare_syn = is_bare_syn(p);
	struct flow_value fresh;
	bool picked = pick(m->cfg, key, vip, p, &fresh);

	if (bare_syn && picked) {
		if (h && h->flow.state == FLOW_OPEN) {   /* retransmission */
			*out = h->flow;
			return DID_SYN;
		}
		*out = fresh;
		return (int)record_new(m, key, p, &fresh);
	}
	if (h && !(h->flow.state == FLOW_CLOSING && bare_syn)) {
		__u32 did = bare_syn ? DID_SYN : 0;

		if (tcp && h->flow.state == FLOW_OPEN && (p->tcp_flags & (TCPF_FIN | TCPF_RST)))
			h->flow.state = FLOW_CLOSING;
		*out = h->flow;
		if (promotes(h, p)) {
			struct halfopen_value est = { .flow = h->flow };

			model_table_put(&m->flows, key, &est);
			model_table_delete(&m->halfopen, key);
			did |= DID_PROMOTE;
		}
		return (int)did;
	}
	if (!picked) {
		*reason = PASS_NO_BACKEND;
		return -1;
	}
	*out = fresh;
	return (int)record_new(m, key, p, &fresh);
}

static void count_to_backend(struct model *m, const struct flow_value *f,
			     size_t len, __u32 did)
{
	struct color_counters *cc = &m->colors[color_index(f->service_id, f->color & 1)];
	struct backend_counters *bc =
		&m->backends[backend_index(f->service_id, f->color & 1, f->backend_slot)];

	cc->packets_to_backend++;
	cc->bytes_to_backend += len;
	bc->packets++;
	bc->bytes += len;
	cc->flows_created += !!(did & DID_CREATE);
	cc->flows_lost += !!(did & DID_LOSE);
	cc->flows_promoted += !!(did & DID_PROMOTE);
	cc->syns_to_backend += !!(did & DID_SYN);
	bc->syns += !!(did & DID_SYN);
}

/* What the tables hold for the frame's key, into the result. */
static void result_tables(const struct model *m, struct model_result *res)
{
	const struct flow_value *f = model_flow_lookup(m, &res->key);
	const struct halfopen_value *h = model_halfopen_lookup(m, &res->key);

	res->has_key = true;
	res->has_flow = f != NULL;
	if (f)
		res->flow = *f;
	res->has_halfopen = h != NULL;
	if (h)
		res->halfopen = *h;
}

void model_xdp(struct model *m, const __u8 *frame, size_t len,
	       struct model_result *res)
{
	const struct vip_value *vip;
	struct flow_value *est, flow;
	struct parsed p;
	int r, reason = 0, did = 0;

	memset(res, 0, offsetof(struct model_result, out));
	res->retval = XDP_PASS;
	res->out_len = len;
	memcpy(res->out, frame, len);

	r = parse_frame(frame, len, &p);
	if (r != PARSED_OK)
		return xdp_pass(m, res, r);
	vip = find_vip(m->cfg, &p);
	if (!vip) {
		forget_reused_flow(m, &p);
		return xdp_pass(m, res, PASS_NOT_VIP);
	}
	if (vip->service_id >= BGXDP_MAX_SERVICES)
		return xdp_pass(m, res, PASS_NO_BACKEND);

	make_key(&p, &res->key);
	est = (struct flow_value *)model_flow_lookup(m, &res->key);
	if (est && !(p.proto == IPPROTO_TCP && est->state == FLOW_CLOSING && is_bare_syn(&p))) {
		if (p.proto == IPPROTO_TCP && est->state == FLOW_OPEN &&
		    (p.tcp_flags & (TCPF_FIN | TCPF_RST)))
			est->state = FLOW_CLOSING;
		flow = *est;
	} else {
		did = not_established(m, &res->key, vip, &p, &flow, &reason);
		if (did < 0) {
			result_tables(m, res);
			return xdp_pass(m, res, reason);
		}
	}
	result_tables(m, res);
	rewrite(res->out, &p, 16, 24, 2, flow.backend, (const __u8 *)&flow.backend_port);
	res->rewritten = true;
	res->pass_reason = -1;
	count_to_backend(m, &flow, len, (__u32)did);
}

/* ---- tc egress ---------------------------------------------------------- */

/* The key of the flow a reply belongs to, through `vip`:`port`. */
static void reply_key(const struct parsed *p, const __u8 *vip, __be16 port,
		      struct flow_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->client, p->daddr, BGXDP_ADDR_LEN);
	memcpy(k->vip, vip, BGXDP_ADDR_LEN);
	memcpy(&k->client_port, p->dport, 2);
	k->vip_port = port;
	k->proto = p->proto;
	k->family = p->family;
}

static bool is_synack(__u8 flags)
{
	return (flags & (TCPF_SYN | TCPF_ACK | TCPF_RST)) == (TCPF_SYN | TCPF_ACK);
}

/* The established / half-open flow a reply to `vip`:`port`'s client
 * belongs to, if it went to this endpoint (res->key: its key). */
static const struct flow_value *reply_flow(struct model *m, const struct parsed *p,
					   const __u8 *vip, __be16 port,
					   struct model_result *res)
{
	const struct flow_value *f;

	reply_key(p, vip, port, &res->key);
	f = model_flow_lookup(m, &res->key);
	if (f && goes_to(f, p->saddr, p->sport))
		return f;
	return NULL;
}

static struct halfopen_value *reply_halfopen(struct model *m, const struct parsed *p,
					     const __u8 *vip, __be16 port,
					     struct model_result *res)
{
	struct halfopen_value *h;

	reply_key(p, vip, port, &res->key);
	h = model_table_get(&m->halfopen, &res->key);
	return h && goes_to(&h->flow, p->saddr, p->sport) ? h : NULL;
}

static void count_to_client(struct model *m, const struct flow_value *f, size_t len,
			    __u8 tcp_flags)
{
	struct color_counters *cc = &m->colors[color_index(f->service_id, f->color & 1)];
	struct backend_counters *bc =
		&m->backends[backend_index(f->service_id, f->color & 1, f->backend_slot)];

	cc->packets_to_client++;
	cc->bytes_to_client += len;
	if (tcp_flags & TCPF_RST) {
		cc->resets_from_backend++;
		bc->resets++;
	} else if ((tcp_flags & (TCPF_SYN | TCPF_ACK)) == (TCPF_SYN | TCPF_ACK)) {
		cc->synacks_from_backend++;
		bc->synacks++;
	}
}

void model_tc(struct model *m, const __u8 *frame, size_t len,
	      struct model_result *res)
{
	const struct backend_service *bs;
	const struct flow_value *flow;
	struct halfopen_value *h = NULL, was;
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
	bs = find_endpoint_of(m->cfg, p.saddr, p.sport, p.proto, p.family);
	if (!bs)
		return;
	new_addr = bs->vip;
	new_port = bs->vip_port;
	flow = reply_flow(m, &p, new_addr, new_port, res);
	if (!flow && bs->has_preview) {
		new_addr = bs->preview;
		new_port = bs->preview_port;
		flow = reply_flow(m, &p, new_addr, new_port, res);
	}
	for (int preview = 0; !flow && !h && preview <= bs->has_preview; preview++) {
		new_addr = preview ? bs->preview : bs->vip;
		new_port = preview ? bs->preview_port : bs->vip_port;
		h = reply_halfopen(m, &p, new_addr, new_port, res);
	}
	if (!flow && !h) {
		res->has_key = false;
		return;
	}
	if (h) {
		was = *h;
		if (is_synack(p.tcp_flags)) {
			__be32 seq;

			memcpy(&seq, p.seq, 4);
			h->flags |= HALFOPEN_SYNACK;
			h->expected_ack = htonl(ntohl(seq) + 1);
		} else if (!(p.tcp_flags & TCPF_RST)) {
			h->flags |= HALFOPEN_REPLY;
		}
		flow = &h->flow;
	}
	result_tables(m, res);
	rewrite(res->out, &p, 12, 8, 0, new_addr, (const __u8 *)&new_port);
	res->rewritten = true;
	count_to_client(m, flow, len, p.tcp_flags);
	if (h && is_synack(p.tcp_flags) &&
	    (was.flags & (HALFOPEN_SYN | HALFOPEN_SYNACK)) == HALFOPEN_SYN)
		m->connects[backend_index(flow->service_id, flow->color & 1,
					  flow->backend_slot)]++;
}
