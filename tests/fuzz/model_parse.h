/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * model_parse.h - the model's reading and rewriting of frames (the parsing
 * and rewrite rules listed at the top of model.c).
 */
#ifndef BGXDP_FUZZ_MODEL_PARSE_H
#define BGXDP_FUZZ_MODEL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include "bgxdp.h"

#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_ACK 0x10

struct parsed {
	size_t l3, l4;
	__u8 family, proto, tcp_flags;
	__u8 saddr[BGXDP_ADDR_LEN], daddr[BGXDP_ADDR_LEN];
	__u8 sport[2], dport[2];
	__u8 seq[4], ack_seq[4];        /* TCP, network order */
};

#define PARSED_OK (-1)

/* PARSED_OK, or the enum pass_reason the frame is let through for. */
int parse_frame(const __u8 *f, size_t len, struct parsed *p);

/* Replace address and port (network order bytes) at their offsets and fix
 * the checksums that cover them. */
void rewrite(__u8 *f, const struct parsed *p, size_t addr_off_v4,
	     size_t addr_off_v6, size_t port_off, const __u8 *new_addr,
	     const __u8 *new_port);

#endif
