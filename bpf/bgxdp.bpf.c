/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bgxdp.bpf.c - the data plane.
 *
 *   xdp_ingress: client -> VIP.  parse -> VIP filter -> established flow
 *                (`flows`; hit: done) -> half-open flow (`halfopen`; hit:
 *                promote it once it has proved real) -> service -> pick
 *                (color, ring slot) -> record it half-open -> rewrite dst
 *                to the backend -> count -> PASS or fast path.
 *   tc_egress:   backend -> client.  parse -> endpoint's service -> the
 *                client's flow (established, else half-open: note the
 *                SYN-ACK or the answer) -> rewrite src back to the VIP ->
 *                count (with the passive signals) -> OK.
 *
 * Why two tables, and when a flow moves from one to the other:
 * include/bgxdp.h, "half-open flows", and docs/architecture.md.
 * Neither program ever drops: whatever is not ours leaves byte-identical.
 * Maps are in maps.h, parsing in parse.h, flow entries in flow.h, the
 * half-open table in halfopen.h, the rewrite in rewrite.h (checksums in
 * csum.h), counters and flow events in counters.h, the choice of a backend
 * in pick.h, the XDP fast path in fast_path.h.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "bgxdp.h"
#include "bgxdp_hash.h"
#include "maps.h"
#include "parse.h"
#include "csum.h"
#include "flow.h"
#include "halfopen.h"
#include "counters.h"
#include "rewrite.h"
#include "pick.h"
#include "fast_path.h"

/*
 * Two paths below are global functions, verified once on their own and
 * called: the new-flow path and the port-reuse check.  Inlined, they would
 * be verified again for every header layout the parser accepts (each
 * leaves different packet pointers behind), which took the verifier near
 * its limit of a million instructions.  They see the packet only through
 * what the caller copied out of it (the flow key, struct pkt_meta).
 */

/*
 * A SYN straight to a backend (not through the VIP) from a client port
 * that still has a VIP flow to that same backend, closing (established) or
 * not finished (half-open): the backend sees the same addresses and ports
 * for both, so tc egress could not tell the new direct connection's
 * replies from the old flow's and would rewrite them to the VIP.  The old
 * flow is over; forget it.  `client`: the SYN's source address, port,
 * proto and family in a flow key's fields; `dst`: its destination.
 */
__noinline int forget_reused_flow(const struct flow_key *client,
				  const struct vip_key *dst)
{
	struct backend_service *bs;
	struct halfopen_set *set;
	struct flow_value *flow;
	struct flow_key key;
	__u32 tag;

	if (!client || !dst)
		return 0;
	bs = bpf_map_lookup_elem(&backend_services, dst);
	if (!bs)
		return 0;
	key = *client;
	__builtin_memcpy(key.vip, bs->vip, BGXDP_ADDR_LEN);
	key.vip_port = bs->vip_port;
	flow = bpf_map_lookup_elem(&flows, &key);
	if (flow && flow->state == FLOW_CLOSING &&
	    flow->backend_port == dst->port &&
	    addr_equal(flow->backend, dst->addr))
		bpf_map_delete_elem(&flows, &key);
	set = halfopen_set_of(&key, &tag);
	if (set)
		halfopen_drop(set, tag, &key, dst);
	return 0;
}

/* ---- XDP ingress: client -> VIP ------------------------------------------ */

/* A client packet of an established flow: FIN/RST start the short closing
 * timeout (and tell fleet sync); last_seen is written at most once per
 * FLOW_TOUCH_NS so a busy flow does not bounce its cache line between
 * CPUs on every packet. */
static __always_inline void established_touch(struct flow_value *flow,
					      const struct flow_key *key,
					      const struct packet *pkt, __u64 now)
{
	if (starts_closing(flow, pkt->proto, pkt->tcp_flags)) {
		flow->state = FLOW_CLOSING;
		flow->last_seen_ns = now;
		flow_event(FLOW_EVENT_CLOSING, key, flow);
		return;
	}
	if (flow_idle_ns(flow, now) > (__s64)FLOW_TOUCH_NS)
		flow->last_seen_ns = now;
}

/* The TCP acknowledgment number of a client packet (0 for UDP). */
static __always_inline __be32 client_ack_seq(const struct packet *pkt,
					     void *data_end)
{
	struct tcphdr *tcp = pkt->l4;

	if (pkt->proto != IPPROTO_TCP || (void *)(tcp + 1) > data_end)
		return 0;
	return tcp->ack_seq;
}

/* A live half-open entry (of svc, color) was displaced by a newer flow:
 * what a flood does, counted. */
static __always_inline void count_if_displaced(const struct flow_value *old,
					       __u8 old_proto, __u64 now)
{
	if (old_proto && flow_idle_ns(old, now) <=
			 (__s64)halfopen_idle_timeout(old, old_proto))
		count_halfopen_evicted(old->service_id, old->color & 1);
}

/* A new flow, picked under the current config, is recorded half-open:
 * never in `flows`, so a flood of new flows cannot evict an established
 * one.  A stale `flows` entry of the key (idled out, closing and the port
 * reused, or of a deleted service) goes, or its replies would be taken for
 * this flow's. */
static __always_inline void forget_stale(const struct flow_key *key,
					 const struct pkt_meta *m)
{
	if (m->stale)
		bpf_map_delete_elem(&flows, key);
}

/* The half-open value of a flow just picked for this packet. */
static __always_inline void fresh_halfopen(struct halfopen_value *ho,
					   const struct pkt_meta *m)
{
	ho->flags = 0;
	ho->created_ns = 0;
	ho->expected_ack = 0;
	if (is_bare_syn(m->proto, m->tcp_flags)) {
		ho->flags = HALFOPEN_SYN;
		ho->created_ns = m->now;        /* the fine clock for a SYN */
	}
}

/* new_flow_path(): the packet is not for a VIP after all (a vip_filter
 * false positive); the caller checks for port reuse. */
#define NEW_FLOW_NOT_VIP (-2)

/* A VIP packet without a usable established flow (and not taken by
 * syn_path()): its half-open flow (promoted if it has now proved real), or
 * a new one.  Returns -1 with *ho and *did set (forward it to
 * ho->flow.backend), or the pass reason of a packet left untouched. */
static __always_inline int client_path(struct new_flow_scratch *s,
				       const struct flow_key *key,
				       const struct vip_key *vip_key, __u32 *did)
{
	const struct pkt_meta *m = &s->meta;
	struct halfopen_value *ho = &s->ho;
	struct halfopen_set *set;
	__u32 tag, reason;
	int outcome = HALFOPEN_NONE;

	set = halfopen_set_of(key, &tag);
	if (set)
		outcome = halfopen_on_client(set, tag, key, m, ho);
	if (outcome != HALFOPEN_NONE && service_live(ho->flow.service_id)) {
		*did = is_bare_syn(m->proto, m->tcp_flags) ? DID_SYN : 0;
		ho->flow.last_seen_ns = m->now;
		if (outcome == HALFOPEN_PROMOTED &&
		    !bpf_map_update_elem(&flows, key, &ho->flow, BPF_ANY)) {
			flow_event(FLOW_EVENT_ESTABLISHED, key, &ho->flow);
			*did |= DID_PROMOTE;
		}
		return -1;
	}
	if (!pick_flow(key, vip_key, m, &ho->flow, &tag, &reason))
		return reason;
	fresh_halfopen(ho, m);
	*did = DID_CREATE;
	if (is_bare_syn(m->proto, m->tcp_flags))
		*did |= DID_SYN;
	/* Mid-stream TCP with no entry: evicted, idled out, a displaced
	 * half-open entry, or older than the attach. */
	if (m->proto == IPPROTO_TCP && !(m->tcp_flags & TCP_FLAG_SYN))
		*did |= DID_LOSE;
	set = halfopen_set_at(tag);
	if (set)
		count_if_displaced(&s->displaced,
				   halfopen_put(set, tag, key, ho, &s->displaced), m->now);
	forget_stale(key, m);
	return -1;
}

/* syn_path() leaves the packet to client_path(). */
#define SYN_PATH_DECLINED (-2)

/* A bare SYN without a usable established flow: picked first (a SYN is
 * almost always a new flow), then, in one pass over its half-open set,
 * either the flow's entry (a retransmission keeps its first pick) or the
 * new one recorded.  Returns -1 with *ho and *did set, or
 * SYN_PATH_DECLINED when there is no pick now (a retransmission still has
 * its entry) or the entry found is of a deleted service. */
static __always_inline int syn_path(struct new_flow_scratch *s,
				    const struct flow_key *key,
				    const struct vip_key *vip_key, __u32 *did)
{
	const struct pkt_meta *m = &s->meta;
	struct halfopen_set *set;
	__u32 tag, reason;
	__u8 old_proto = 0;

	if (!pick_flow(key, vip_key, m, &s->fresh.flow, &tag, &reason))
		return SYN_PATH_DECLINED;
	fresh_halfopen(&s->fresh, m);
	*did = DID_SYN;
	set = halfopen_set_at(tag);
	if (set && halfopen_on_syn(set, tag, key, &s->fresh, m->now, &s->ho,
				   &s->displaced, &old_proto))
		return service_live(s->ho.flow.service_id) ? -1 : SYN_PATH_DECLINED;
	s->ho = s->fresh;
	*did |= DID_CREATE;
	count_if_displaced(&s->displaced, old_proto, m->now);
	forget_stale(key, m);
	return -1;
}

/* The packet of a flow with no usable established entry (s->meta): its
 * half-open flow, promoted once it has proved real, or a new one
 * (syn_path(), client_path()).  Returns the DID_* bits with s->ho the flow
 * to forward the packet by; or -1: the packet passes untouched (counted);
 * or NEW_FLOW_NOT_VIP. */
__noinline int new_flow_path(const struct flow_key *key, const struct vip_key *vip_key)
{
	struct new_flow_scratch *s;
	__u32 did = 0, zero = 0;
	int ret = SYN_PATH_DECLINED;

	s = bpf_map_lookup_elem(&new_flow_scratch, &zero);
	if (!s || !key || !vip_key)
		return -1;
	if (is_bare_syn(s->meta.proto, s->meta.tcp_flags))
		ret = syn_path(s, key, vip_key, &did);
	if (ret == SYN_PATH_DECLINED)
		ret = client_path(s, key, vip_key, &did);
	if (ret == PASS_NOT_VIP)
		return NEW_FLOW_NOT_VIP;
	if (ret >= 0) {
		count_pass(ret);
		return -1;
	}
	return (int)did;
}

/* A frame that is not for a VIP: only a bare SYN to a backend matters. */
static __always_inline int not_for_vip(const struct packet *pkt,
				       const struct vip_key *vip_key)
{
	struct flow_key client;

	if (is_bare_syn(pkt->proto, pkt->tcp_flags)) {
		make_flow_key(pkt, &client);
		forget_reused_flow(&client, vip_key);
	}
	return pass(PASS_NOT_VIP);
}

/* The body of xdp_ingress, callable from other programs (the bench
 * wrappers in bench/): libbpf will not call a SEC() program. */
static __always_inline int xdp_process(struct xdp_md *ctx)
{
	struct flow_value *flow;
	struct vip_key vip_key;
	struct flow_key key;
	struct packet pkt;
	__u32 did = 0, l4;
	bool stale;
	__u64 now;
	int ret;

	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	ret = parse_packet(data, data_end, data_end - data, &pkt);
	if (ret != PARSE_OK)
		return pass(ret);

	make_vip_key(&pkt, &vip_key);
	if (!maybe_vip(&vip_key))
		return not_for_vip(&pkt, &vip_key);

	/* The established flow first: it needs nothing else, not even the
	 * service lookup.  The coarse clock is enough for idle times; a SYN
	 * reads the fine one, which times the backend's handshake. */
	make_flow_key(&pkt, &key);
	now = is_bare_syn(pkt.proto, pkt.tcp_flags) ? bpf_ktime_get_ns()
						     : bpf_ktime_get_coarse_ns();
	flow = bpf_map_lookup_elem(&flows, &key);
	/* Tested on its own, before any use of `flow`: else clang tests
	 * flow + offset against the offset, which the verifier refuses. */
	stale = flow != NULL;
	barrier_var(stale);
	if (flow && flow_usable(flow, pkt.proto, pkt.tcp_flags, now,
				flow_idle_timeout(flow, pkt.proto)) &&
	    service_live(flow->service_id)) {
		established_touch(flow, &key, &pkt, now);
	} else {
		__u32 zero = 0;
		struct new_flow_scratch *s = bpf_map_lookup_elem(&new_flow_scratch, &zero);

		if (!s)
			return XDP_PASS;
		s->meta.now = now;
		s->meta.ack_seq = client_ack_seq(&pkt, data_end);
		s->meta.family = pkt.family;
		s->meta.proto = pkt.proto;
		s->meta.tcp_flags = pkt.tcp_flags;
		s->meta.stale = stale;
		ret = new_flow_path(&key, &vip_key);
		if (ret == NEW_FLOW_NOT_VIP)
			return not_for_vip(&pkt, &vip_key);
		if (ret < 0)
			return XDP_PASS;
		did = ret;
		flow = &s->ho.flow;
	}

	if (rewrite_destination(data_end, &pkt, flow))
		return pass(PASS_MALFORMED);   /* not reached for parsed frames */
	count_to_backend(flow->service_id, flow->color & 1, flow->backend_slot,
			 pkt.len, did);
	if ((settings_flags() & SETTINGS_FAST_PATH) && fast_path_args(&pkt, &l4))
		return forward_fast(ctx, flow, now, l4, pkt.sport);
	return XDP_PASS;
}

SEC("xdp")
int xdp_ingress(struct xdp_md *ctx)
{
	return xdp_process(ctx);
}

/* ---- tc egress: backend -> client ---------------------------------------- */

/* The key of the client's flow a reply belongs to: the client as the
 * reply's destination, with the VIP (or preview address) the endpoint's
 * service is reached on. */
static __always_inline void reply_key(struct flow_key *key, const struct packet *pkt,
				      const struct backend_service *bs, bool preview)
{
	if (preview)
		client_flow_key(key, pkt->daddr, pkt->dport, bs->preview,
				bs->preview_port, pkt);
	else
		client_flow_key(key, pkt->daddr, pkt->dport, bs->vip,
				bs->vip_port, pkt);
}

/* The established flow a reply belongs to.  Only a flow that really went
 * to this backend counts: a client may talk to the backend directly too. */
static __always_inline struct flow_value *
reply_flow(const struct packet *pkt, const struct vip_key *endpoint,
	   const struct backend_service *bs, bool preview)
{
	struct flow_value *flow;
	struct flow_key key;

	reply_key(&key, pkt, bs, preview);
	flow = bpf_map_lookup_elem(&flows, &key);
	if (!flow || flow->backend_port != pkt->sport ||
	    !addr_equal(flow->backend, endpoint->addr))
		return NULL;
	return flow;
}

/* The half-open flow a reply belongs to (through the VIP, else the
 * preview address), told what the reply says (halfopen_answer).  *ho: the
 * entry as it was before; *preview: which address it came through. */
static __always_inline bool reply_halfopen(const struct packet *pkt,
					   const struct vip_key *endpoint,
					   const struct backend_service *bs,
					   void *data_end, struct halfopen_value *ho,
					   bool *preview)
{
	struct halfopen_reply reply = {
		.endpoint = endpoint,
		.tcp_flags = pkt->tcp_flags,
	};
	struct tcphdr *tcp = pkt->l4;

	if (pkt->proto == IPPROTO_TCP) {
		if ((void *)(tcp + 1) > data_end)
			return false;
		reply.seq = tcp->seq;
	}
	#pragma unroll
	for (int p = 0; p < 2; p++) {
		struct halfopen_set *set;
		struct flow_key key;
		__u32 tag;

		if (p && !bs->has_preview)
			break;
		reply_key(&key, pkt, bs, p);
		set = halfopen_set_of(&key, &tag);
		if (set && halfopen_answer(set, tag, &key, &reply, ho)) {
			*preview = p;
			return true;
		}
	}
	return false;
}

/* Replies are built by the local stack or forwarded after GRO; their
 * headers are almost always in the linear part.  When they are not, pull
 * enough for any header chain we parse. */
#define TC_PULL_LEN 256

/* The body of tc_egress, callable from other programs (bench/). */
static __always_inline int tc_process(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct halfopen_value ho;
	struct backend_service *bs;
	struct flow_value *flow;
	struct vip_key endpoint;
	__u32 svc, color, slot;
	struct packet pkt;
	bool preview = false;
	bool halfopen = false;

	if (data_end - data < skb->len && data_end - data < TC_PULL_LEN) {
		bpf_skb_pull_data(skb, skb->len < TC_PULL_LEN ? skb->len
							       : TC_PULL_LEN);
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}
	if (parse_packet(data, data_end, skb->len, &pkt) != PARSE_OK)
		return TC_ACT_OK;

	addr_from_packet(endpoint.addr, pkt.saddr, pkt.family);
	endpoint.port = pkt.sport;
	endpoint.proto = pkt.proto;
	endpoint.family = pkt.family;
	bs = bpf_map_lookup_elem(&backend_services, &endpoint);
	if (!bs)
		return TC_ACT_OK;
	flow = reply_flow(&pkt, &endpoint, bs, false);
	if (!flow && bs->has_preview) {
		preview = true;
		flow = reply_flow(&pkt, &endpoint, bs, true);
	}
	if (flow) {
		svc = flow->service_id;
		color = flow->color & 1;
		slot = flow->backend_slot;
	} else {
		if (!reply_halfopen(&pkt, &endpoint, bs, data_end, &ho, &preview))
			return TC_ACT_OK;
		halfopen = true;
		svc = ho.flow.service_id;
		color = ho.flow.color & 1;
		slot = ho.flow.backend_slot;
	}

	rewrite_source(skb, data_end, &pkt, preview ? bs->preview : bs->vip,
		       preview ? bs->preview_port : bs->vip_port);
	count_to_client(svc, color, slot, pkt.len, pkt.tcp_flags);
	/* The backend's answer to a client's first SYN: its handshake time. */
	if (halfopen && is_synack(pkt.tcp_flags) &&
	    (ho.flags & (HALFOPEN_SYN | HALFOPEN_SYNACK)) == HALFOPEN_SYN)
		record_connect_time(svc, color, slot, ho.created_ns);
	return TC_ACT_OK;
}

SEC("tc")
int tc_egress(struct __sk_buff *skb)
{
	return tc_process(skb);
}

char LICENSE[] SEC("license") = "GPL";
