/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * helpers_frames.c - frames for the kernel tests, built byte by byte and
 * checksummed from scratch (no incremental arithmetic: that is what the
 * tests check the data plane's incremental updates against).
 */
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "helpers_frames.h"

static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* One's complement sum of big-endian 16-bit words. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

void set_ipv4(uint8_t addr[16], uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	memset(addr, 0, 16);
	addr[0] = a; addr[1] = b; addr[2] = c; addr[3] = d;
}

void set_ipv6(uint8_t addr[16], uint16_t last)
{
	memset(addr, 0, 16);
	addr[0] = 0x20; addr[1] = 0x01; addr[2] = 0x0d; addr[3] = 0xb8;
	put16(addr + 14, last);
}

size_t frame_l3_off(const struct frame_spec *s)
{
	return 14 + 4 * s->vlans;
}

static size_t l3_hdr_len(const struct frame_spec *s)
{
	if (s->family == 4)
		return 20 + 4 * s->ipv4_opt_words;
	return 40 + 8 * s->ipv6_ext_hdrs + (s->ipv6_frag_hdr ? 8 : 0);
}

size_t frame_l4_off(const struct frame_spec *s)
{
	return frame_l3_off(s) + l3_hdr_len(s);
}

/* L4 checksum over pseudo header + segment. */
static uint16_t l4_csum(int family, const uint8_t *src, const uint8_t *dst,
			int proto, const uint8_t *l4, size_t l4_len)
{
	uint32_t sum = 0;

	sum = sum16(sum, src, family == 4 ? 4 : 16);
	sum = sum16(sum, dst, family == 4 ? 4 : 16);
	sum += proto;
	sum += (uint32_t)l4_len;
	sum = sum16(sum, l4, l4_len);
	return (uint16_t)~fold(sum);
}

size_t build_frame(const struct frame_spec *s, uint8_t *buf)
{
	size_t l3 = frame_l3_off(s), l4 = frame_l4_off(s);
	size_t l4_hdr = s->proto == IPPROTO_TCP ? 20 : 8;
	size_t l4_len = l4_hdr + s->payload_len;
	size_t len = l4 + l4_len;
	uint8_t *p;

	memset(buf, 0, FRAME_MAX);
	/* Ethernet */
	memcpy(buf, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	p = buf + 12;
	if (s->vlans == 2) {
		put16(p, 0x88a8); put16(p + 2, 100); p += 4;
	}
	if (s->vlans >= 1) {
		put16(p, 0x8100); put16(p + 2, 200); p += 4;
	}
	put16(p, s->family == 4 ? 0x0800 : 0x86dd);

	/* IP */
	p = buf + l3;
	if (s->family == 4) {
		size_t hl = l3_hdr_len(s);

		p[0] = 0x40 | (uint8_t)(hl / 4);
		put16(p + 2, (uint16_t)(hl + l4_len));
		put16(p + 4, 0x1234);
		put16(p + 6, s->ipv4_frag_off);
		p[8] = 64;
		p[9] = (uint8_t)s->proto;
		memcpy(p + 12, s->src, 4);
		memcpy(p + 16, s->dst, 4);
		for (int i = 0; i < 4 * s->ipv4_opt_words; i++)
			p[20 + i] = 1;  /* NOP options */
		put16(p + 10, (uint16_t)~fold(sum16(0, p, hl)));
	} else {
		uint8_t *e = p + 40;
		uint8_t *nh = p + 6;

		p[0] = 0x60;
		put16(p + 4, (uint16_t)(l4 - l3 - 40 + l4_len));
		p[7] = 64;
		memcpy(p + 8, s->src, 16);
		memcpy(p + 24, s->dst, 16);
		for (int i = 0; i < s->ipv6_ext_hdrs; i++) {
			/* hop-by-hop, routing (type 0 fields, segments left
			 * 0), destination options */
			static const uint8_t types[3] = { 0, 43, 60 };

			*nh = types[i % 3];
			e[1] = 0;                   /* 8 bytes */
			if (*nh != 43) {
				e[2] = 1; e[3] = 4; /* PadN */
			}
			nh = e;
			e += 8;
		}
		if (s->ipv6_frag_hdr) {
			*nh = 44;
			nh = e;
			e += 8;
		}
		*nh = (uint8_t)s->proto;
	}

	/* L4 */
	p = buf + l4;
	put16(p, s->sport);
	put16(p + 2, s->dport);
	for (int i = 0; i < s->payload_len; i++)
		p[l4_hdr + i] = (uint8_t)(i * 7 + 3);
	if (s->proto == IPPROTO_TCP) {
		uint32_t seq = s->seq ? s->seq : 0x01020304;

		put16(p + 4, (uint16_t)(seq >> 16)); put16(p + 6, (uint16_t)seq);
		put16(p + 8, (uint16_t)(s->ack >> 16)); put16(p + 10, (uint16_t)s->ack);
		p[12] = 5 << 4;
		p[13] = s->tcp_flags;
		put16(p + 14, 65535);
		put16(p + 16, l4_csum(s->family, s->src, s->dst, s->proto,
				      p, l4_len));
	} else {
		put16(p + 4, (uint16_t)l4_len);
		if (!s->udp_csum_zero) {
			uint16_t c = l4_csum(s->family, s->src, s->dst,
					     s->proto, p, l4_len);
			put16(p + 6, c ? c : 0xffff);
		}
	}
	return len;
}

bool frame_checksums_ok(const uint8_t *buf, size_t len)
{
	size_t off = 12;
	uint16_t type = get16(buf + off);
	const uint8_t *ip, *l4, *src, *dst;
	size_t l4_len;
	int family, proto;

	while (type == 0x8100 || type == 0x88a8) {
		off += 4;
		type = get16(buf + off);
	}
	ip = buf + off + 2;
	if (type == 0x0800) {
		size_t hl = (ip[0] & 0xf) * 4;

		if (fold(sum16(0, ip, hl)) != 0xffff)
			return false;
		family = 4;
		proto = ip[9];
		src = ip + 12;
		dst = ip + 16;
		l4 = ip + hl;
		l4_len = get16(ip + 2) - hl;
	} else {
		uint8_t nh = ip[6];

		family = 6;
		src = ip + 8;
		dst = ip + 24;
		l4 = ip + 40;
		while (nh == 0 || nh == 60 || nh == 43) {
			nh = l4[0];
			l4 += (l4[1] + 1) * 8;
		}
		proto = nh;
		l4_len = get16(ip + 4) - (size_t)(l4 - ip - 40);
	}
	if ((size_t)(l4 - buf) + l4_len > len)
		return false;
	if (proto == IPPROTO_UDP && family == 4 && get16(l4 + 6) == 0)
		return true;
	/* Summing the segment including its checksum gives 0xffff. */
	{
		uint32_t sum = 0;

		sum = sum16(sum, src, family == 4 ? 4 : 16);
		sum = sum16(sum, dst, family == 4 ? 4 : 16);
		sum += proto;
		sum += (uint32_t)l4_len;
		sum = sum16(sum, l4, l4_len);
		return fold(sum) == 0xffff;
	}
}
