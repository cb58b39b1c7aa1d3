/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bgxdp.bpf.c - the data plane.
 *
 *   xdp_ingress: client -> VIP.  parse -> VIP filter -> flow (hit: done)
 *                -> service -> pick (color, ring slot) -> record flow ->
 *                rewrite dst to the backend -> count -> PASS or fast path.
 *   tc_egress:   backend -> client.  parse -> endpoint's service -> the
 *                client's flow -> rewrite src back to the VIP -> count -> OK.
 *
 * Neither program ever drops: whatever is not ours leaves byte-identical.
 * Maps are in maps.h, parsing in parse.h, checksum arithmetic in csum.h.
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

/* The config word is written by userspace through mmap at any time: read
 * it exactly once, as one 8-byte load, so the whole decision for a flow
 * comes from a single published word. */
#define READ_ONCE_U64(p) (*(const volatile __u64 *)(p))

/* ---- counters ------------------------------------------------------------ */

static __always_inline void count_pass(__u32 reason)
{
	__u64 *n = bpf_map_lookup_elem(&passed_counters, &reason);

	if (n)
		*n += 1;        /* per-CPU: no atomics needed */
}

static __always_inline int pass(__u32 reason)
{
	count_pass(reason);
	return XDP_PASS;
}

static __always_inline void count_to_backend(__u32 svc, __u32 color,
					     __u32 slot, __u32 bytes,
					     bool new_flow, bool lost)
{
	__u32 ci = color_index(svc, color);
	__u32 bi = backend_index(svc, color, slot);
	struct color_counters *cc = bpf_map_lookup_elem(&color_counters, &ci);
	struct backend_counters *bc = bpf_map_lookup_elem(&backend_counters, &bi);

	if (cc) {
		cc->packets_to_backend += 1;
		cc->bytes_to_backend += bytes;
		if (new_flow)
			cc->flows_created += 1;
		if (lost)
			cc->flows_lost += 1;
	}
	if (bc) {
		bc->packets += 1;
		bc->bytes += bytes;
	}
}

static __always_inline void count_to_client(__u32 svc, __u32 color,
					    __u32 bytes, bool reset)
{
	__u32 ci = color_index(svc, color);
	struct color_counters *cc = bpf_map_lookup_elem(&color_counters, &ci);

	if (cc) {
		cc->packets_to_client += 1;
		cc->bytes_to_client += bytes;
		if (reset)
			cc->resets_from_backend += 1;
	}
}

/* ---- service and flow -------------------------------------------------- */

/* An address from the packet into a 16-byte, zero-padded, 4-byte aligned
 * field of a key. */
static __always_inline void addr_from_packet(void *field, const __be32 *addr,
					     __u8 family)
{
	__be32 *words = field;

	words[0] = addr[0];
	if (family == BGXDP_FAMILY_IPV6) {
		words[1] = addr[1];
		words[2] = addr[2];
		words[3] = addr[3];
	} else {
		words[1] = 0;
		words[2] = 0;
		words[3] = 0;
	}
}

static __always_inline void make_vip_key(const struct packet *pkt,
					 struct vip_key *key)
{
	addr_from_packet(key->addr, pkt->daddr, pkt->family);
	key->port = pkt->dport;
	key->proto = pkt->proto;
	key->family = pkt->family;
}

/* False only if no service has this address, port and proto. */
static __always_inline bool maybe_vip(const struct vip_key *key)
{
	__u32 zero = 0, bit = bgxdp_vip_filter_bit(key);
	struct vip_filter *filter = bpf_map_lookup_elem(&vip_filter, &zero);

	if (!filter || !filter->enabled)
		return true;
	return (filter->words[(bit / 64) & (VIP_FILTER_BITS / 64 - 1)] >>
		(bit % 64)) & 1;
}

/* Is service `svc` (of a flow entry) still configured?  `service del`
 * clears its word first, so a deleted service's flows stop at once. */
static __always_inline bool service_live(__u32 svc)
{
	__u64 *word = bpf_map_lookup_elem(&svc_config, &svc);

	return word && (READ_ONCE_U64(word) & CFG_CONFIGURED);
}

/* Every byte is written, padding included: the whole key is hashed. */
static __always_inline void make_flow_key(const struct packet *pkt,
					  struct flow_key *key)
{
	addr_from_packet(key->client, pkt->saddr, pkt->family);
	addr_from_packet(key->vip, pkt->daddr, pkt->family);
	key->client_port = pkt->sport;
	key->vip_port = pkt->dport;
	key->proto = pkt->proto;
	key->family = pkt->family;
	key->pad[0] = 0;
	key->pad[1] = 0;
}

/* The key of a client's flow to a VIP (or preview address) known from
 * the control plane rather than from this packet's header; every byte
 * written, padding included. */
static __always_inline void client_flow_key(struct flow_key *key,
					    const __be32 *client,
					    __be16 client_port,
					    const __u8 *vip, __be16 vip_port,
					    const struct packet *pkt)
{
	addr_from_packet(key->client, client, pkt->family);
	__builtin_memcpy(key->vip, vip, BGXDP_ADDR_LEN);
	key->client_port = client_port;
	key->vip_port = vip_port;
	key->proto = pkt->proto;
	key->family = pkt->family;
	key->pad[0] = 0;
	key->pad[1] = 0;
}

static __always_inline __u64 flow_idle_timeout(const struct flow_value *flow,
					       __u8 proto)
{
	if (proto != IPPROTO_TCP)
		return FLOW_UDP_IDLE_NS;
	return flow->state == FLOW_CLOSING ? FLOW_TCP_CLOSING_NS
					   : FLOW_TCP_IDLE_NS;
}

/* How long a flow has been idle.  Signed: another CPU may have stamped
 * last_seen a moment after this CPU read the clock, and that must read as
 * "just seen", not as an unsigned wrap to "idle for ages". */
static __always_inline __s64 flow_idle_ns(const struct flow_value *flow,
					  __u64 now)
{
	return (__s64)(now - flow->last_seen_ns);
}

/* May an existing flow entry still be used for this packet?  Not once it
 * has idled out, and not for a fresh SYN after the old connection closed:
 * the client reuses the port for a new connection, which is picked anew. */
static __always_inline bool flow_usable(const struct flow_value *flow,
					const struct packet *pkt, __u64 now)
{
	bool syn_only = (pkt->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) ==
			TCP_FLAG_SYN;

	if (flow_idle_ns(flow, now) > (__s64)flow_idle_timeout(flow, pkt->proto))
		return false;
	if (pkt->proto == IPPROTO_TCP && flow->state == FLOW_CLOSING &&
	    syn_only)
		return false;
	return true;
}

/* Bookkeeping on a packet of a known flow: FIN/RST start the short closing
 * timeout; last_seen is written at most once per FLOW_TOUCH_NS so a busy
 * flow does not bounce its cache line between CPUs on every packet. */
static __always_inline void flow_touch(struct flow_value *flow,
				       const struct packet *pkt, __u64 now)
{
	if (pkt->proto == IPPROTO_TCP && flow->state == FLOW_OPEN &&
	    (pkt->tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST))) {
		flow->state = FLOW_CLOSING;
		flow->last_seen_ns = now;
		return;
	}
	if (flow_idle_ns(flow, now) > (__s64)FLOW_TOUCH_NS)
		flow->last_seen_ns = now;
}

/* ---- picking a backend for a new flow -------------------------------- */

/* The color a new flow goes to under `word`, or -1 if neither color has a
 * backend.  The preview address always tries green first. */
static __always_inline int pick_color(const struct flow_key *key, __u64 word,
				      const struct vip_value *vip)
{
	__u32 color;

	if (vip->flags & VIP_FLAG_PREVIEW)
		color = BGXDP_GREEN;
	else
		color = bgxdp_pick_color(key, word);
	if (word & CFG_HAS_BACKENDS(color))
		return color;
	color ^= 1;     /* the other color */
	if (word & CFG_HAS_BACKENDS(color))
		return color;
	return -1;
}

/* A new flow: color, ring slot and backend, all from one config word.
 * Returns the backend's slot in its color, or -1 if there is none. */
static __always_inline int pick_backend(const struct flow_key *key, __u32 svc,
					const struct vip_value *vip,
					__u32 *color_out)
{
	__u32 idx, ring_slot, backend_slot;
	struct maglev_ring *ring;
	__u64 *word_ptr, word;
	int color;

	word_ptr = bpf_map_lookup_elem(&svc_config, &svc);
	if (!word_ptr)
		return -1;
	word = READ_ONCE_U64(word_ptr);
	if (!(word & CFG_CONFIGURED))
		return -1;

	color = pick_color(key, word, vip);
	if (color < 0)
		return -1;

	idx = ring_index(svc, color, cfg_ring_buffer(word, color));
	ring = bpf_map_lookup_elem(&maglev_rings, &idx);
	if (!ring)
		return -1;
	ring_slot = bgxdp_pick_ring_slot(key, word);
	/* clang knows x % RING_SIZE < RING_SIZE and would drop the check;
	 * the verifier does not track it through the division, so hide the
	 * value from clang and keep an explicit bound. */
	asm volatile("" : "+r"(ring_slot));
	if (ring_slot >= BGXDP_RING_SIZE)
		return -1;
	backend_slot = ring->slots[ring_slot];
	if (backend_slot >= BGXDP_MAX_BACKENDS)
		return -1;
	*color_out = color;
	return backend_slot;
}

/* Two 16-byte address fields equal?  (BPF has no memcmp.) */
static __always_inline bool addr_equal(const __u8 *a, const __u8 *b)
{
	__u64 a0, a1, b0, b1;

	__builtin_memcpy(&a0, a, 8);
	__builtin_memcpy(&a1, a + 8, 8);
	__builtin_memcpy(&b0, b, 8);
	__builtin_memcpy(&b1, b + 8, 8);
	return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

/*
 * A SYN straight to a backend (not through the VIP) from a client port
 * that still has a closing VIP flow to that same backend: the backend sees
 * the same addresses and ports for both, so tc egress could not tell the
 * new direct connection's replies from the old flow's and would rewrite
 * them to the VIP.  The old flow is over; forget it.
 */
static __always_inline void forget_reused_flow(const struct packet *pkt,
					       const struct vip_key *dst)
{
	struct backend_service *bs;
	struct flow_value *flow;
	struct flow_key key;

	if (pkt->proto != IPPROTO_TCP ||
	    (pkt->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) != TCP_FLAG_SYN)
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
}

/* ---- rewrite ------------------------------------------------------------ */

static __always_inline __u32 l4_csum_off(const struct packet *pkt)
{
	return pkt->l4_off + (pkt->proto == IPPROTO_TCP ? TCP_CSUM_OFF
							: UDP_CSUM_OFF);
}

/* Destination address and port -> the backend, checksums updated
 * incrementally, in place.  The bounds were checked by parse_packet();
 * they are checked again here because the verifier does not carry them
 * through the protocol branch. */
static __always_inline int rewrite_destination(void *data_end,
					       const struct packet *pkt,
					       const struct flow_value *flow)
{
	const __be32 *backend = (const __be32 *)flow->backend;
	__be16 new_port = flow->backend_port;
	__u16 *l4_check;
	__be16 *l4_dport;
	__u64 l4_acc;

	if (pkt->proto == IPPROTO_TCP) {
		struct tcphdr *tcp = pkt->l4;

		if ((void *)(tcp + 1) > data_end)
			return -1;
		l4_check = &tcp->check;
		l4_dport = &tcp->dest;
	} else {
		struct udphdr *udp = pkt->l4;

		if ((void *)(udp + 1) > data_end)
			return -1;
		l4_check = &udp->check;
		l4_dport = &udp->dest;
	}
	l4_acc = csum_acc_start(*l4_check);

	if (pkt->family == BGXDP_FAMILY_IPV4) {
		struct iphdr *ip = pkt->l3;

		if ((void *)(ip + 1) > data_end)
			return -1;
		ip->check = csum_replace_word(ip->check, ip->daddr, backend[0]);
		l4_acc = csum_acc_words(l4_acc, &ip->daddr, backend, 1);
		ip->daddr = backend[0];
	} else {
		struct ipv6hdr *ip6 = pkt->l3;
		__be32 *daddr;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		daddr = ip6->daddr.in6_u.u6_addr32;
		l4_acc = csum_acc_words(l4_acc, daddr, backend, 4);
		daddr[0] = backend[0];
		daddr[1] = backend[1];
		daddr[2] = backend[2];
		daddr[3] = backend[3];
	}

	/* A zero UDP checksum over IPv4 means "none": keep it that way. */
	if (!(pkt->proto == IPPROTO_UDP && pkt->l4_csum == 0)) {
		__u16 l4_csum;

		l4_acc += (__u16)~*l4_dport;
		l4_acc += new_port;
		l4_csum = csum_acc_finish(l4_acc);
		/* In UDP a computed 0 is sent as 0xffff (0 means "none"). */
		if (pkt->proto == IPPROTO_UDP && l4_csum == 0)
			l4_csum = 0xffff;
		*l4_check = l4_csum;
	}
	*l4_dport = new_port;
	return 0;
}

/* ---- fast path: forward in XDP ------------------------------------------- */

#define AF_INET_BPF   2
#define AF_INET6_BPF  10

static __always_inline bool fast_path_enabled(void)
{
	__u32 zero = 0;
	struct instance_settings *current = bpf_map_lookup_elem(&settings, &zero);

	return current && (current->flags & SETTINGS_FAST_PATH);
}

/* IPv4 TTL - 1 with the header checksum fixed up (RFC 1624). */
static __always_inline void ipv4_decrease_ttl(struct iphdr *ip)
{
	__u32 check = ip->check;

	check += bpf_htons(0x0100);
	ip->check = (__u16)(check + (check >= 0xffff));
	ip->ttl--;
}

/* Where the kernel's FIB sends packets to this flow's backend, from the
 * per-CPU next-hop cache if the entry is for the same backend address and
 * younger than NEXT_HOP_TTL_NS, else from bpf_fib_lookup() (and cached).
 * NULL: the stack must handle it (no route, no neighbour yet, local). */
static __always_inline struct next_hop *
backend_next_hop(struct xdp_md *ctx, const struct packet *pkt,
		 const struct flow_value *flow, __u64 now, void *data_end)
{
	__u32 bidx = backend_index(flow->service_id, flow->color & 1,
				   flow->backend_slot);
	struct bpf_fib_lookup fib = {};
	struct next_hop *hop;

	hop = bpf_map_lookup_elem(&next_hops, &bidx);
	if (!hop)
		return NULL;
	if ((__s64)(hop->expires_ns - now) > 0 &&
	    addr_equal(hop->backend, flow->backend))
		return hop;

	fib.ifindex = ctx->ingress_ifindex;
	fib.l4_protocol = pkt->proto;
	fib.sport = pkt->sport;
	fib.dport = flow->backend_port;
	if (pkt->family == BGXDP_FAMILY_IPV4) {
		struct iphdr *ip = pkt->l3;

		if ((void *)(ip + 1) > data_end)
			return NULL;
		fib.family = AF_INET_BPF;
		fib.tos = ip->tos;
		fib.tot_len = bpf_ntohs(ip->tot_len);
		fib.ipv4_src = ip->saddr;
		fib.ipv4_dst = ip->daddr;
	} else {
		struct ipv6hdr *ip6 = pkt->l3;

		if ((void *)(ip6 + 1) > data_end)
			return NULL;
		fib.family = AF_INET6_BPF;
		fib.tot_len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
		__builtin_memcpy(fib.ipv6_src, &ip6->saddr, 16);
		__builtin_memcpy(fib.ipv6_dst, &ip6->daddr, 16);
	}
	if (bpf_fib_lookup(ctx, &fib, sizeof(fib), 0) !=
	    BPF_FIB_LKUP_RET_SUCCESS)
		return NULL;
	__builtin_memcpy(hop->backend, flow->backend, BGXDP_ADDR_LEN);
	hop->ifindex = fib.ifindex;
	__builtin_memcpy(hop->dmac, fib.dmac, ETH_ALEN);
	__builtin_memcpy(hop->smac, fib.smac, ETH_ALEN);
	hop->expires_ns = now + NEXT_HOP_TTL_NS;
	return hop;
}

/*
 * The packet (already rewritten to its backend) is sent straight out of
 * the interface the kernel's FIB would forward it through, if that
 * interface is one of `tx_ports`.  Anything the stack must see goes up as
 * XDP_PASS: no route or neighbour yet, local delivery, TTL about to
 * expire (the stack sends the ICMP error), VLAN-tagged frames, an
 * interface not listed.
 */
static __always_inline int forward_fast(struct xdp_md *ctx, void *data,
					void *data_end,
					const struct packet *pkt,
					const struct flow_value *flow, __u64 now)
{
	struct ethhdr *eth = data;
	struct next_hop *hop;

	if ((void *)(eth + 1) > data_end || pkt->l3_off != sizeof(*eth))
		return XDP_PASS;
	if (pkt->family == BGXDP_FAMILY_IPV4) {
		struct iphdr *ip = pkt->l3;

		if ((void *)(ip + 1) > data_end || ip->ttl <= 1)
			return XDP_PASS;
	} else {
		struct ipv6hdr *ip6 = pkt->l3;

		if ((void *)(ip6 + 1) > data_end || ip6->hop_limit <= 1)
			return XDP_PASS;
	}
	hop = backend_next_hop(ctx, pkt, flow, now, data_end);
	/* Checked on every packet: an interface removed from the list stops
	 * the fast path at once, cached hop or not. */
	if (!hop || !bpf_map_lookup_elem(&tx_ports, &hop->ifindex))
		return XDP_PASS;

	if (pkt->family == BGXDP_FAMILY_IPV4) {
		struct iphdr *ip = pkt->l3;

		if ((void *)(ip + 1) > data_end)
			return XDP_PASS;
		ipv4_decrease_ttl(ip);
	} else {
		struct ipv6hdr *ip6 = pkt->l3;

		if ((void *)(ip6 + 1) > data_end)
			return XDP_PASS;
		ip6->hop_limit--;
	}
	__builtin_memcpy(eth->h_dest, hop->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, hop->smac, ETH_ALEN);
	return bpf_redirect_map(&tx_ports, hop->ifindex, XDP_PASS);
}

/* ---- XDP ingress: client -> VIP ------------------------------------------ */

/* The body of xdp_ingress, callable from other programs (the bench
 * wrappers in bench/): libbpf will not call a SEC() program. */
static __always_inline int xdp_process(struct xdp_md *ctx)
{
	struct packet pkt;
	struct flow_key key;
	struct flow_value new_flow = {};
	struct flow_value *flow;
	struct vip_value *vip;
	struct vip_key vip_key;
	bool created = false, lost = false;
	__u32 svc, color;
	int ret, slot;
	__u64 now;

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

	/* The flow first: an established flow needs nothing else, not even
	 * the service lookup. */
	make_flow_key(&pkt, &key);
	now = bpf_ktime_get_coarse_ns();
	flow = bpf_map_lookup_elem(&flows, &key);
	if (flow && flow_usable(flow, &pkt, now) &&
	    service_live(flow->service_id)) {
		svc = flow->service_id;
		flow_touch(flow, &pkt, now);
	} else {
		struct backend *be;
		__u32 bidx;

		vip = bpf_map_lookup_elem(&services, &vip_key);
		if (!vip) {
			forget_reused_flow(&pkt, &vip_key);
			return pass(PASS_NOT_VIP);
		}
		svc = vip->service_id;
		if (svc >= BGXDP_MAX_SERVICES)
			return pass(PASS_NO_BACKEND);
		slot = pick_backend(&key, svc, vip, &color);
		if (slot < 0)
			return pass(PASS_NO_BACKEND);
		bidx = backend_index(svc, color, slot);
		be = bpf_map_lookup_elem(&backends, &bidx);
		/* EMPTY: the ring was published ahead of the backend (a
		 * racing writer); a backend of the other family cannot be
		 * written into this header. */
		if (!be || be->state == BACKEND_EMPTY ||
		    be->family != pkt.family)
			return pass(PASS_NO_BACKEND);

		__builtin_memcpy(new_flow.backend, be->addr, BGXDP_ADDR_LEN);
		new_flow.backend_port = be->port;
		new_flow.color = color;
		new_flow.state = FLOW_OPEN;
		new_flow.service_id = svc;
		new_flow.backend_slot = slot;
		new_flow.last_seen_ns = now;
		/* A FIN or RST as the first packet we see: closing already. */
		if (pkt.proto == IPPROTO_TCP &&
		    (pkt.tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST)))
			new_flow.state = FLOW_CLOSING;
		bpf_map_update_elem(&flows, &key, &new_flow, BPF_ANY);
		flow = &new_flow;
		created = true;
		/* Mid-stream TCP with no entry: its entry was evicted or idled
		 * out (or it predates the attach). */
		lost = pkt.proto == IPPROTO_TCP &&
		       !(pkt.tcp_flags & TCP_FLAG_SYN);
	}

	if (rewrite_destination(data_end, &pkt, flow))
		return pass(PASS_MALFORMED);   /* not reached for parsed frames */
	count_to_backend(svc, flow->color & 1, flow->backend_slot, pkt.len,
			 created, lost);
	if (fast_path_enabled())
		return forward_fast(ctx, data, data_end, &pkt, flow, now);
	return XDP_PASS;
}

SEC("xdp")
int xdp_ingress(struct xdp_md *ctx)
{
	return xdp_process(ctx);
}

/* ---- tc egress: backend -> client ---------------------------------------- */

/* Source address and port -> the VIP.  The kernel helpers also keep
 * skb->csum right for CHECKSUM_COMPLETE/PARTIAL skbs, which a hand-made
 * checksum would not.  They may move packet data, so everything read from
 * the packet is copied out first. */
static __always_inline void rewrite_source(struct __sk_buff *skb,
					   const struct packet *pkt,
					   const __u8 *vip_addr, __be16 vip_port)
{
	__u32 csum_off = l4_csum_off(pkt);
	/* UDP: a 0 checksum stays 0, a computed 0 becomes 0xffff. */
	__u64 l4_flags = pkt->proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
	__be32 old_addr[4], vip[4];
	__be16 old_port = pkt->sport;

	__builtin_memcpy(vip, vip_addr, BGXDP_ADDR_LEN);
	addr_from_packet(old_addr, pkt->saddr, pkt->family);

	if (pkt->family == BGXDP_FAMILY_IPV4) {
		bpf_l4_csum_replace(skb, csum_off, old_addr[0], vip[0],
				    l4_flags | BPF_F_PSEUDO_HDR | 4);
		bpf_l3_csum_replace(skb, pkt->l3_off + IPV4_CSUM_OFF,
				    old_addr[0], vip[0], 4);
		bpf_skb_store_bytes(skb, pkt->l3_off + IPV4_SADDR_OFF,
				    vip, 4, 0);
	} else {
		#pragma unroll
		for (int i = 0; i < 4; i++)
			bpf_l4_csum_replace(skb, csum_off, old_addr[i], vip[i],
					    l4_flags | BPF_F_PSEUDO_HDR | 4);
		bpf_skb_store_bytes(skb, pkt->l3_off + IPV6_SADDR_OFF,
				    vip, 16, 0);
	}
	bpf_l4_csum_replace(skb, csum_off, old_port, vip_port, l4_flags | 2);
	/* Source port: offset 0 in both TCP and UDP. */
	bpf_skb_store_bytes(skb, pkt->l4_off, &vip_port, 2, 0);
}

/* The flow a reply belongs to: the key the client's packets had, with the
 * VIP (or preview address) the endpoint's service is reached on.  Only a
 * flow that really went to this backend counts: a client may talk to the
 * backend directly too. */
static __always_inline struct flow_value *
reply_flow(const struct packet *pkt, const struct vip_key *endpoint,
	   const struct backend_service *bs, bool preview)
{
	struct flow_key key;
	struct flow_value *flow;

	if (preview)
		client_flow_key(&key, pkt->daddr, pkt->dport, bs->preview,
				bs->preview_port, pkt);
	else
		client_flow_key(&key, pkt->daddr, pkt->dport, bs->vip,
				bs->vip_port, pkt);
	flow = bpf_map_lookup_elem(&flows, &key);
	if (!flow || flow->backend_port != pkt->sport ||
	    !addr_equal(flow->backend, endpoint->addr))
		return NULL;
	return flow;
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
	struct backend_service *bs;
	struct flow_value *flow;
	struct vip_key endpoint;
	struct packet pkt;
	bool preview = false;
	bool reset;

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
	if (!flow)
		return TC_ACT_OK;

	reset = pkt.proto == IPPROTO_TCP && (pkt.tcp_flags & TCP_FLAG_RST);
	rewrite_source(skb, &pkt, preview ? bs->preview : bs->vip,
		       preview ? bs->preview_port : bs->vip_port);
	count_to_client(flow->service_id, flow->color & 1, pkt.len, reset);
	return TC_ACT_OK;
}

SEC("tc")
int tc_egress(struct __sk_buff *skb)
{
	return tc_process(skb);
}

char LICENSE[] SEC("license") = "GPL";
