/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * parse.h - Ethernet / VLAN / IPv4 / IPv6 / TCP / UDP parsing, shared by
 * the XDP and the tc program.
 *
 * Headers are read in place (direct packet access): a load through a
 * bounds-checked packet pointer costs one instruction, where the
 * load_bytes helpers cost a call and a copy each.  Every header is checked
 * against data_end before it is read, so a frame truncated at any byte
 * fails cleanly.  The result is a struct packet: pointers to the headers
 * the rewrite touches, their offsets (for the tc checksum helpers) and the
 * fields the lookups need.
 */
#ifndef BGXDP_BPF_PARSE_H
#define BGXDP_BPF_PARSE_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "bgxdp.h"

#define ETH_P_8021Q_BE   bpf_htons(0x8100)
#define ETH_P_8021AD_BE  bpf_htons(0x88a8)
#define ETH_P_IP_BE      bpf_htons(0x0800)
#define ETH_P_IPV6_BE    bpf_htons(0x86dd)

#define MAX_VLAN_TAGS    2
/* Hop-by-hop, routing and destination options may repeat (dest-options
 * twice); more than this is not traffic a VIP serves. */
#define MAX_IPV6_EXT_HDRS 4

#define IPV6_NH_HOP      0
#define IPV6_NH_ROUTING  43
#define IPV6_NH_FRAGMENT 44
#define IPV6_NH_DEST     60

#define IP_MF            0x2000
#define IP_OFFSET        0x1fff

#define TCP_FLAG_FIN     0x01
#define TCP_FLAG_SYN     0x02
#define TCP_FLAG_RST     0x04
#define TCP_FLAG_ACK     0x10

/* Offsets inside the TCP and UDP headers. */
#define TCP_FLAGS_OFF    13
#define TCP_CSUM_OFF     16
#define UDP_CSUM_OFF     6
#define IPV4_CSUM_OFF    10
#define IPV4_SADDR_OFF   12
#define IPV4_DADDR_OFF   16
#define IPV6_SADDR_OFF   8
#define IPV6_DADDR_OFF   24

/* A parsed packet: where things are and what they say.  The pointers are
 * valid until a helper that may move packet data is called. */
struct packet {
	void *l3;                /* IP header */
	void *l4;                /* TCP/UDP header */
	__be32 *saddr;           /* in the IP header; 1 or 4 words */
	__be32 *daddr;
	__u32 l3_off;            /* offsets of the same, from the frame start */
	__u32 l4_off;
	__u32 len;               /* whole frame, for byte counters */
	__u8  family;            /* BGXDP_FAMILY_* */
	__u8  proto;             /* IPPROTO_TCP / IPPROTO_UDP */
	__u8  tcp_flags;         /* 0 for UDP */
	__u8  pad;
	__u16 l4_csum;           /* as found in the packet (network order) */
	__be16 sport;
	__be16 dport;
};

/* Parsing returns PARSE_OK for a TCP/UDP packet we can rewrite, else the
 * enum pass_reason it is let through for. */
#define PARSE_OK (-1)

/* Ethernet and up to two VLAN tags (802.1Q or 802.1ad outer).  Sets the
 * payload's ethertype and *l3_off; -1 if the frame is too short.  (An
 * ethertype of 0 is simply not IP, so it cannot double as the error.) */
static __always_inline int parse_ethernet(void *data, void *data_end,
					  __u32 *l3_off, __be16 *ethertype)
{
	struct ethhdr *eth = data;
	__u32 off = sizeof(*eth);
	__be16 proto;

	if ((void *)(eth + 1) > data_end)
		return -1;
	proto = eth->h_proto;

	#pragma unroll
	for (int i = 0; i < MAX_VLAN_TAGS; i++) {
		/* A VLAN tag: 2 bytes TCI, then the inner ethertype. */
		__be16 *tag = data + off;

		if (proto != ETH_P_8021Q_BE && proto != ETH_P_8021AD_BE)
			break;
		if ((void *)(tag + 2) > data_end)
			return -1;
		proto = tag[1];
		off += 2 * sizeof(*tag);
	}
	*l3_off = off;
	*ethertype = proto;
	return 0;
}

/* IPv4: IHL gives the options length; fragments are not ours to rewrite
 * (only the first carries ports). */
static __always_inline int parse_ipv4(void *data, void *data_end,
				      struct packet *pkt)
{
	struct iphdr *ip = data + pkt->l3_off;
	__u32 hdr_len, tot_len;

	if ((void *)(ip + 1) > data_end)
		return PASS_MALFORMED;
	if (ip->version != 4 || ip->ihl < 5)
		return PASS_MALFORMED;
	hdr_len = ip->ihl * 4;
	tot_len = bpf_ntohs(ip->tot_len);
	/* tot_len must cover the header and fit in the frame; trailing
	 * bytes past tot_len (Ethernet padding) are fine. */
	if (tot_len < hdr_len || pkt->l3_off + tot_len > pkt->len)
		return PASS_MALFORMED;
	if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return PASS_FRAGMENT;
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return PASS_UNSUPPORTED;

	pkt->family = BGXDP_FAMILY_IPV4;
	pkt->proto = ip->protocol;
	pkt->l3 = ip;
	pkt->saddr = &ip->saddr;
	pkt->daddr = &ip->daddr;
	pkt->l4_off = pkt->l3_off + hdr_len;
	pkt->l4 = (void *)ip + hdr_len;
	/* The L4 header must lie inside tot_len, not only inside the frame. */
	if (tot_len < hdr_len + (ip->protocol == IPPROTO_TCP ?
				 sizeof(struct tcphdr) : sizeof(struct udphdr)))
		return PASS_MALFORMED;
	return PARSE_OK;
}

/* IPv6: walk hop-by-hop / routing / destination-options headers (each
 * (len + 1) * 8 bytes) in a bounded loop; a fragment header passes. */
static __always_inline int parse_ipv6(void *data, void *data_end,
				      struct packet *pkt)
{
	struct ipv6hdr *ip6 = data + pkt->l3_off;
	__u32 off, end;
	__u8 nexthdr;

	if ((void *)(ip6 + 1) > data_end)
		return PASS_MALFORMED;
	if (ip6->version != 6)
		return PASS_MALFORMED;
	end = pkt->l3_off + sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	if (end > pkt->len)
		return PASS_MALFORMED;

	nexthdr = ip6->nexthdr;
	off = sizeof(*ip6);              /* from the IPv6 header */

	#pragma unroll
	for (int i = 0; i < MAX_IPV6_EXT_HDRS; i++) {
		/* next header, length in 8-byte units - 1 */
		__u8 *ext = (void *)ip6 + off;

		if (nexthdr != IPV6_NH_HOP && nexthdr != IPV6_NH_ROUTING &&
		    nexthdr != IPV6_NH_DEST)
			break;
		if ((void *)(ext + 2) > data_end)
			return PASS_MALFORMED;
		nexthdr = ext[0];
		off += (ext[1] + 1) * 8;
	}
	if (nexthdr == IPV6_NH_FRAGMENT)
		return PASS_FRAGMENT;
	if (nexthdr != IPPROTO_TCP && nexthdr != IPPROTO_UDP)
		return PASS_UNSUPPORTED;

	pkt->family = BGXDP_FAMILY_IPV6;
	pkt->proto = nexthdr;
	pkt->l3 = ip6;
	pkt->saddr = ip6->saddr.in6_u.u6_addr32;
	pkt->daddr = ip6->daddr.in6_u.u6_addr32;
	pkt->l4_off = pkt->l3_off + off;
	pkt->l4 = (void *)ip6 + off;
	/* Extension headers and the L4 header must lie inside payload_len. */
	off += nexthdr == IPPROTO_TCP ? sizeof(struct tcphdr)
				      : sizeof(struct udphdr);
	if (pkt->l3_off + off > end)
		return PASS_MALFORMED;
	return PARSE_OK;
}

/* Ports, TCP flags and the L4 checksum. */
static __always_inline int parse_l4(void *data_end, struct packet *pkt)
{
	if (pkt->proto == IPPROTO_TCP) {
		struct tcphdr *tcp = pkt->l4;

		if ((void *)(tcp + 1) > data_end)
			return PASS_MALFORMED;
		pkt->sport = tcp->source;
		pkt->dport = tcp->dest;
		pkt->l4_csum = tcp->check;
		pkt->tcp_flags = ((__u8 *)tcp)[TCP_FLAGS_OFF];
	} else {
		struct udphdr *udp = pkt->l4;

		if ((void *)(udp + 1) > data_end)
			return PASS_MALFORMED;
		pkt->sport = udp->source;
		pkt->dport = udp->dest;
		pkt->l4_csum = udp->check;
		/* IPv6 makes the UDP checksum mandatory (RFC 8200 8.1). */
		if (pkt->family == BGXDP_FAMILY_IPV6 && udp->check == 0)
			return PASS_MALFORMED;
	}
	return PARSE_OK;
}

/* Parse a whole frame: `len` bytes in all, of which [data, data_end) are
 * readable in place.  Returns PARSE_OK or the pass_reason. */
static __always_inline int parse_packet(void *data, void *data_end,
					__u32 len, struct packet *pkt)
{
	__be16 ethertype;
	int ret;

	pkt->len = len;
	pkt->tcp_flags = 0;
	if (parse_ethernet(data, data_end, &pkt->l3_off, &ethertype))
		return PASS_MALFORMED;
	if (ethertype == ETH_P_IP_BE)
		ret = parse_ipv4(data, data_end, pkt);
	else if (ethertype == ETH_P_IPV6_BE)
		ret = parse_ipv6(data, data_end, pkt);
	else
		return PASS_NOT_IP;
	if (ret != PARSE_OK)
		return ret;
	return parse_l4(data_end, pkt);
}

#endif /* BGXDP_BPF_PARSE_H */
