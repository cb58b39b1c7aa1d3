// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* model_parse.c - reading and rewriting frames, for the model (model.c). */
#include <string.h>
#include <netinet/in.h>
#include "model_parse.h"

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

int parse_frame(const __u8 *f, size_t len, struct parsed *p)
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
		memcpy(p->seq, f + p->l4 + 4, 4);
		memcpy(p->ack_seq, f + p->l4 + 8, 4);
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

void rewrite(__u8 *f, const struct parsed *p, size_t addr_off_v4,
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

