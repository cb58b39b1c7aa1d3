/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* helpers_frames.h - test frame builders and from-scratch checksums. */
#ifndef BGXDP_HELPERS_FRAMES_H
#define BGXDP_HELPERS_FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define FRAME_MAX 512

struct frame_spec {
	int family;             /* 4 or 6 */
	int proto;              /* IPPROTO_TCP / IPPROTO_UDP */
	int vlans;              /* 0, 1 (802.1Q) or 2 (802.1ad + 802.1Q) */
	int ipv4_opt_words;     /* IPv4 options, 32-bit words (0..10) */
	int ipv6_ext_hdrs;      /* hop-by-hop + dest-options headers (0..3) */
	bool ipv6_frag_hdr;     /* add an IPv6 fragment header */
	uint16_t ipv4_frag_off; /* raw frag_off field (host order) */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;  /* host order */
	uint8_t tcp_flags;
	uint32_t seq;           /* TCP sequence number; 0: 0x01020304 */
	uint32_t ack;           /* TCP acknowledgment number */
	bool udp_csum_zero;     /* send UDP with checksum 0 */
	int payload_len;
};

/* Build a frame with correct checksums; returns its length. */
size_t build_frame(const struct frame_spec *s, uint8_t *buf);

/* Offsets in a frame built from `s`. */
size_t frame_l3_off(const struct frame_spec *s);
size_t frame_l4_off(const struct frame_spec *s);

/* Recompute every IPv4/TCP/UDP checksum of a frame from scratch: true if
 * all are right (a UDP checksum of 0 over IPv4 counts as right). */
bool frame_checksums_ok(const uint8_t *buf, size_t len);

void set_ipv4(uint8_t addr[16], uint8_t a, uint8_t b, uint8_t c, uint8_t d);
void set_ipv6(uint8_t addr[16], uint16_t last);

#endif
