/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fast_path.h - `attach --fast-path`: after the rewrite, send the packet
 * straight out of the interface the kernel's FIB would forward it through
 * (bpf_fib_lookup, cached per CPU and backend in `next_hops`).
 */
#ifndef BGXDP_BPF_FAST_PATH_H
#define BGXDP_BPF_FAST_PATH_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "bgxdp.h"
#include "maps.h"
#include "parse.h"
#include "flow.h"

#define AF_INET_BPF   2
#define AF_INET6_BPF  10

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
static __always_inline int forward_fast_headers(struct xdp_md *ctx,
						const struct packet *pkt,
						const struct flow_value *flow,
						__u64 now)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
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

/*
 * The fast path for a packet already rewritten to `flow`'s backend (the
 * IP header right after an Ethernet header without VLAN tags, else it
 * passes): a function of its own, verified once and called, so its FIB
 * lookup state does not add to the stack of every other path.  `l4`:
 * family << 16 | proto << 8 | ip header length in 4-byte words (IPv4);
 * `sport`: the client's port (network order).
 */
__noinline int forward_fast(struct xdp_md *ctx, const struct flow_value *flow,
			    __u64 now, __u32 l4, __u32 sport)
{
	void *data = (void *)(long)ctx->data;
	struct packet pkt = {};

	if (!flow)
		return XDP_PASS;
	pkt.l3_off = sizeof(struct ethhdr);
	pkt.l3 = data + sizeof(struct ethhdr);
	pkt.family = l4 >> 16;
	pkt.proto = l4 >> 8;
	pkt.sport = sport;
	return forward_fast_headers(ctx, &pkt, flow, now);
}

/* The forward_fast() arguments of a parsed packet, or false if the fast
 * path cannot take it (VLAN-tagged). */
static __always_inline bool fast_path_args(const struct packet *pkt, __u32 *l4)
{
	if (pkt->l3_off != sizeof(struct ethhdr))
		return false;
	*l4 = (__u32)pkt->family << 16 | (__u32)pkt->proto << 8;
	return true;
}

#endif /* BGXDP_BPF_FAST_PATH_H */
