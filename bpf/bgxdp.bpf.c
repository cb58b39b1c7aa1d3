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
 * A SYN straight to a backend (not through the VIP) from a client port
 * that still has a VIP flow to that same backend, closing (established) or
 * not finished (half-open): the backend sees the same addresses and ports
 * for both, so tc egress could not tell the new direct connection's
 * replies from the old flow's and would rewrite them to the VIP.  The old
 * flow is over; forget it.
 */
static __always_inline void forget_reused_flow(const struct packet *pkt,
					       const struct vip_key *dst)
{
	struct backend_service *bs;
	struct halfopen_set *set;
	struct flow_value *flow;
	struct flow_key key;
	__u32 tag;

	if (!is_bare_syn(pkt))
		return;
	bs = bpf_map_lookup_elem(&backend_services, dst);
	if (!bs)
		return;
	client_flow_key(&key, pkt->saddr, pkt->sport, bs->vip, bs->vip_port, pkt);
	flow = bpf_map_lookup_elem(&flows, &key);
	if (flow && flow->state == FLOW_CLOSING &&
	    flow->backend_port == dst->port &&
	    addr_equal(flow->backend, dst->addr))
		bpf_map_delete_elem(&flows, &key);
	set = halfopen_set_of(&key, &tag);
	if (set)
		halfopen_drop(set, tag, &key, dst);
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
	if (starts_closing(flow, pkt)) {
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

/* The half-open flow `ho` (a copy) got a client packet: promote it into
 * `flows` if it has proved real, else keep it half-open (FIN/RST closing).
 * Returns the DID_* bits for the counters. */
static __always_inline __u32 halfopen_client(struct halfopen_set *set, __u32 tag,
					     const struct flow_key *key,
					     struct halfopen_value *ho,
					     const struct packet *pkt,
					     void *data_end, __u64 now)
{
	__u32 did = is_bare_syn(pkt) ? DID_SYN : 0;
	__u8 state = starts_closing(&ho->flow, pkt) ? FLOW_CLOSING : ho->flow.state;

	if (halfopen_promotes(ho, pkt, client_ack_seq(pkt, data_end))) {
		ho->flow.state = state;
		ho->flow.last_seen_ns = now;
		if (!bpf_map_update_elem(&flows, key, &ho->flow, BPF_ANY)) {
			halfopen_drop(set, tag, key, NULL);
			flow_event(FLOW_EVENT_ESTABLISHED, key, &ho->flow);
			return did | DID_PROMOTE;
		}
	}
	if (state != ho->flow.state ||
	    flow_idle_ns(&ho->flow, now) > (__s64)FLOW_TOUCH_NS) {
		ho->flow.state = state;
		halfopen_touch(set, tag, key, state, now);
	}
	return did;
}

/* A new flow, picked under the current config, recorded half-open: never
 * in `flows`, so a flood of new flows cannot evict an established one.
 * `stale`: `flows` holds an unusable entry of this key (idled out, closing
 * and the port reused, or of a deleted service): it goes, or its replies
 * would be taken for this flow's. */
static __always_inline void record_new_flow(struct halfopen_set *set, __u32 tag,
					    const struct flow_key *key,
					    const struct packet *pkt, bool stale,
					    __u64 now, struct halfopen_value *ho,
					    __u32 *did)
{
	struct halfopen_value old;
	__u8 old_proto;

	*did = DID_CREATE;
	ho->flags = 0;
	ho->created_ns = 0;
	ho->expected_ack = 0;
	if (is_bare_syn(pkt)) {
		*did |= DID_SYN;
		ho->flags = HALFOPEN_SYN;
		/* The fine clock: handshakes take microseconds. */
		ho->created_ns = bpf_ktime_get_ns();
	} else if (pkt->proto == IPPROTO_TCP && !(pkt->tcp_flags & TCP_FLAG_SYN)) {
		/* Mid-stream TCP with no entry: evicted, idled out, a
		 * displaced half-open entry, or older than the attach. */
		*did |= DID_LOSE;
	}
	if (set) {
		old_proto = halfopen_put(set, tag, key, ho, &old);
		if (old_proto && flow_idle_ns(&old.flow, now) <=
				 (__s64)halfopen_idle_timeout(&old.flow, old_proto))
			count_halfopen_evicted(old.flow.service_id, old.flow.color & 1);
	}
	if (stale)
		bpf_map_delete_elem(&flows, key);
}

/* A VIP packet without a usable established flow: its half-open flow, or
 * a new one.  Returns -1 with *ho and *did set (forward it to
 * ho->flow.backend), or the XDP verdict of a packet passed untouched. */
static __always_inline int not_established(const struct packet *pkt,
					   const struct flow_key *key,
					   const struct vip_key *vip_key, bool stale,
					   void *data_end, __u64 now,
					   struct halfopen_value *ho, __u32 *did)
{
	struct halfopen_set *set;
	__u32 tag, reason;

	set = halfopen_set_of(key, &tag);
	if (set && halfopen_get(set, tag, key, ho) &&
	    flow_usable(&ho->flow, pkt, now,
			halfopen_idle_timeout(&ho->flow, pkt->proto)) &&
	    service_live(ho->flow.service_id)) {
		*did = halfopen_client(set, tag, key, ho, pkt, data_end, now);
		return -1;
	}
	if (!pick_flow(key, vip_key, pkt, now, &ho->flow, &reason)) {
		if (reason == PASS_NOT_VIP)
			forget_reused_flow(pkt, vip_key);
		return pass(reason);
	}
	record_new_flow(set, tag, key, pkt, stale, now, ho, did);
	return -1;
}

/* The body of xdp_ingress, callable from other programs (the bench
 * wrappers in bench/): libbpf will not call a SEC() program. */
static __always_inline int xdp_process(struct xdp_md *ctx)
{
	struct halfopen_value ho;
	struct flow_value *flow;
	struct vip_key vip_key;
	struct flow_key key;
	struct packet pkt;
	__u32 did = 0;
	__u64 now;
	int ret;

	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	ret = parse_packet(data, data_end, data_end - data, &pkt);
	if (ret != PARSE_OK)
		return pass(ret);

	make_vip_key(&pkt, &vip_key);
	if (!maybe_vip(&vip_key)) {
		forget_reused_flow(&pkt, &vip_key);
		return pass(PASS_NOT_VIP);
	}

	/* The established flow first: it needs nothing else, not even the
	 * service lookup. */
	make_flow_key(&pkt, &key);
	now = bpf_ktime_get_coarse_ns();
	flow = bpf_map_lookup_elem(&flows, &key);
	if (flow && flow_usable(flow, &pkt, now, flow_idle_timeout(flow, pkt.proto)) &&
	    service_live(flow->service_id)) {
		established_touch(flow, &key, &pkt, now);
	} else {
		ret = not_established(&pkt, &key, &vip_key, flow != NULL, data_end,
				      now, &ho, &did);
		if (ret >= 0)
			return ret;
		flow = &ho.flow;
	}

	if (rewrite_destination(data_end, &pkt, flow))
		return pass(PASS_MALFORMED);   /* not reached for parsed frames */
	count_to_backend(flow->service_id, flow->color & 1, flow->backend_slot,
			 pkt.len, did);
	if (settings_flags() & SETTINGS_FAST_PATH)
		return forward_fast(ctx, data, data_end, &pkt, flow, now);
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
