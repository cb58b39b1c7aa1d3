/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * rewrite.h - the address and port rewrite of both programs, in place,
 * checksums updated incrementally (csum.h).
 *
 * XDP ingress rewrites the destination to the backend: an XDP frame has no
 * checksum state, its checksums are always whole.  tc egress rewrites the
 * source back to the VIP, and an skb's checksum state decides how:
 *   CHECKSUM_NONE / UNNECESSARY: the L4 checksum is whole: as in XDP;
 *   CHECKSUM_PARTIAL (local senders, GRO'd forwarded TCP): the field holds
 *     the pseudo-header sum: only the address change goes into it;
 *   CHECKSUM_COMPLETE (rare on egress: forwarding turns it into NONE): the
 *     kernel helpers, which also keep skb->csum right.
 * Writing in place costs a few loads and stores; the helpers cost a call
 * each (five for an IPv4 reply, seven for IPv6).
 */
#ifndef BGXDP_BPF_REWRITE_H
#define BGXDP_BPF_REWRITE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "bgxdp.h"
#include "parse.h"
#include "csum.h"
#include "flow.h"

/* How an L4 checksum field is updated. */
enum csum_mode {
	CSUM_WHOLE,             /* a complete checksum (XDP, NONE, UNNECESSARY) */
	CSUM_PSEUDO,            /* CHECKSUM_PARTIAL: the pseudo-header sum */
};

static __always_inline __u32 l4_csum_off(const struct packet *pkt)
{
	return pkt->l4_off + (pkt->proto == IPPROTO_TCP ? TCP_CSUM_OFF
							: UDP_CSUM_OFF);
}

/*
 * One endpoint of the packet (the destination, or with `source` the
 * source) -> new_addr:new_port, checksums updated, in place.  The bounds
 * were checked by parse_packet(); they are checked again here because the
 * verifier does not carry them through the protocol branch.
 */
static __always_inline int rewrite_endpoint(void *data_end, const struct packet *pkt,
					    bool source, const __be32 *new_addr,
					    __be16 new_port, enum csum_mode mode)
{
	__be32 *addr;
	__u16 *l4_check;
	__be16 *l4_port;
	__u64 acc;

	if (pkt->proto == IPPROTO_TCP) {
		struct tcphdr *tcp = pkt->l4;

		if ((void *)(tcp + 1) > data_end)
			return -1;
		l4_check = &tcp->check;
		l4_port = source ? &tcp->source : &tcp->dest;
	} else {
		struct udphdr *udp = pkt->l4;

		if ((void *)(udp + 1) > data_end)
			return -1;
		l4_check = &udp->check;
		l4_port = source ? &udp->source : &udp->dest;
	}
	acc = mode == CSUM_PSEUDO ? csum_acc_start_partial(*l4_check)
				  : csum_acc_start(*l4_check);

	if (pkt->family == BGXDP_FAMILY_IPV4) {
		struct iphdr *ip = pkt->l3;

		if ((void *)(ip + 1) > data_end)
			return -1;
		addr = source ? &ip->saddr : &ip->daddr;
		ip->check = csum_replace_word(ip->check, *addr, new_addr[0]);
		acc = csum_acc_words(acc, addr, new_addr, 1);
		*addr = new_addr[0];
	} else {
		struct ipv6hdr *ip6 = pkt->l3;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		addr = source ? ip6->saddr.in6_u.u6_addr32 : ip6->daddr.in6_u.u6_addr32;
		acc = csum_acc_words(acc, addr, new_addr, 4);
		addr[0] = new_addr[0];
		addr[1] = new_addr[1];
		addr[2] = new_addr[2];
		addr[3] = new_addr[3];
	}

	/* A zero UDP checksum over IPv4 means "none": keep it that way. */
	if (!(pkt->proto == IPPROTO_UDP && pkt->l4_csum == 0)) {
		__u16 l4_csum;

		if (mode == CSUM_PSEUDO) {
			l4_csum = csum_acc_finish_partial(acc);
		} else {
			acc += (__u16)~*l4_port;
			acc += new_port;
			l4_csum = csum_acc_finish(acc);
		}
		/* In UDP a computed 0 is sent as 0xffff (0 means "none"). */
		if (pkt->proto == IPPROTO_UDP && l4_csum == 0)
			l4_csum = 0xffff;
		*l4_check = l4_csum;
	}
	*l4_port = new_port;
	return 0;
}

/* XDP: destination address and port -> the flow's backend. */
static __always_inline int rewrite_destination(void *data_end,
					       const struct packet *pkt,
					       const struct flow_value *flow)
{
	return rewrite_endpoint(data_end, pkt, false, (const __be32 *)flow->backend,
				flow->backend_port, CSUM_WHOLE);
}

/* ---- tc: the skb's checksum state ------------------------------------- */

/* skb->ip_summed values (include/linux/skbuff.h). */
#define SKB_CHECKSUM_NONE        0
#define SKB_CHECKSUM_UNNECESSARY 1
#define SKB_CHECKSUM_COMPLETE    2
#define SKB_CHECKSUM_PARTIAL     3

/* The kernel's struct sk_buff, for ip_summed (CO-RE relocated). */
struct sk_buff___bgxdp {
	__u8 ip_summed:2;
} __attribute__((preserve_access_index));

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

static __always_inline __u32 skb_ip_summed(struct __sk_buff *skb)
{
	struct sk_buff___bgxdp *kskb = bpf_cast_to_kern_ctx(skb);

	return BPF_CORE_READ_BITFIELD(kskb, ip_summed);
}

/* CHECKSUM_COMPLETE: through the kernel helpers, which keep skb->csum
 * right as well.  They may move packet data, so everything read from the
 * packet is copied out first. */
static __always_inline void rewrite_source_helpers(struct __sk_buff *skb,
						   const struct packet *pkt,
						   const __be32 *vip, __be16 vip_port)
{
	__u32 csum_off = l4_csum_off(pkt);
	/* UDP: a 0 checksum stays 0, a computed 0 becomes 0xffff. */
	__u64 l4_flags = pkt->proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
	__be32 old_addr[4];

	addr_from_packet(old_addr, pkt->saddr, pkt->family);
	if (pkt->family == BGXDP_FAMILY_IPV4) {
		bpf_l4_csum_replace(skb, csum_off, old_addr[0], vip[0],
				    l4_flags | BPF_F_PSEUDO_HDR | 4);
		bpf_l3_csum_replace(skb, pkt->l3_off + IPV4_CSUM_OFF,
				    old_addr[0], vip[0], 4);
		bpf_skb_store_bytes(skb, pkt->l3_off + IPV4_SADDR_OFF, vip, 4, 0);
	} else {
		#pragma unroll
		for (int i = 0; i < 4; i++)
			bpf_l4_csum_replace(skb, csum_off, old_addr[i], vip[i],
					    l4_flags | BPF_F_PSEUDO_HDR | 4);
		bpf_skb_store_bytes(skb, pkt->l3_off + IPV6_SADDR_OFF, vip, 16, 0);
	}
	bpf_l4_csum_replace(skb, csum_off, pkt->sport, vip_port, l4_flags | 2);
	/* Source port: offset 0 in both TCP and UDP. */
	bpf_skb_store_bytes(skb, pkt->l4_off, &vip_port, 2, 0);
}

/* tc: source address and port -> the VIP (or preview address). */
static __always_inline void rewrite_source(struct __sk_buff *skb, void *data_end,
					   const struct packet *pkt,
					   const __u8 *vip_addr, __be16 vip_port)
{
	__u32 summed = skb_ip_summed(skb);
	__be32 vip[4];

	__builtin_memcpy(vip, vip_addr, BGXDP_ADDR_LEN);
	if (summed == SKB_CHECKSUM_COMPLETE)
		rewrite_source_helpers(skb, pkt, vip, vip_port);
	else
		rewrite_endpoint(data_end, pkt, true, vip, vip_port,
				 summed == SKB_CHECKSUM_PARTIAL ? CSUM_PSEUDO
								: CSUM_WHOLE);
}

#endif /* BGXDP_BPF_REWRITE_H */
