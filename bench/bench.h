/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * bench.h - the per-packet bench's frames and table set-up (bench.c runs
 * the rows, bench_tables.c fills the maps).
 */
#ifndef BGXDP_BENCH_H
#define BGXDP_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bgxdp.h"
#include "helpers_frames.h"

#define FRAME_LEN   128                 /* = BENCH_SAVE in bench.bpf.c */
#define VIP_PORT    80
#define NBACKENDS   2
/* The backend's SYN-ACK sequence number in the promotion row's flows. */
#define BENCH_ISN   0x12345678u

struct bench;
struct bpf_map;

struct frame {
	uint8_t buf[FRAME_MAX];
	size_t len;
	size_t l3_off, l4_off;
	struct frame_spec spec;
};

void vip_addr(int family, uint8_t a[16]);
/* Backend `slot` of `color` in the test services, as populate() adds it. */
void bench_backend(int family, uint32_t color, uint32_t slot, struct backend *b);
/* A TCP frame padded to FRAME_LEN bytes (the wrappers save/restore 128). */
void make_frame(struct frame *f, int family, const uint8_t src[16],
		const uint8_t dst[16], uint16_t sport, uint16_t dport,
		uint8_t flags, uint32_t ack);

/* What a row's frame must do in the real program, checked once before the
 * row is timed, so that the row measures what its name says. */
enum frame_role {
	ROLE_NONE,              /* not checked (promotion: its flows are prepared per run) */
	ROLE_PASS,              /* not for a VIP: passed byte-identical */
	ROLE_TO_BLUE0,          /* an established flow: rewritten to blue backend 0 */
	ROLE_TO_BACKEND,        /* a new flow: rewritten to a backend of its service */
	ROLE_FROM_VIP,          /* tc, a reply: its source rewritten to the VIP */
};

/* Run `f` once through xdp_ingress (tc_egress for ROLE_FROM_VIP) and check
 * its role: 0 or -1. */
int frame_check(struct bench *skel, const struct frame *f, enum frame_role role);

/* One IPv4 and one IPv6 service, two backends per color, 50 % green,
 * through the control-plane library. */
int populate(struct bench *skel);
/* Remove every entry of a hash map / zero every set of `halfopen`. */
void clear_map(struct bpf_map *map);
int halfopen_clear(struct bench *skel);
/* n IPv4 flows of other clients into `flows`. */
int fill_flows(struct bench *skel, unsigned long n);
/* The flow of frame f established to blue backend 0, as a peer's flow is
 * inserted by userspace. */
int establish(struct bench *skel, const struct frame *f);
/*
 * Promotion row: up to `want` flows of frame f's client address (low 16
 * bits varied) and port, from candidate number `*next` on, get a half-open
 * entry whose SYN-ACK was seen (the frame's ACK number matches), and are
 * listed in bench_keys for bench_xdp_keyed.  Candidates whose set is full
 * are skipped.  Returns how many were listed (or -1).
 */
long promotion_prepare(struct bench *skel, const struct frame *f, uint32_t *next,
		       uint32_t want);

#endif
