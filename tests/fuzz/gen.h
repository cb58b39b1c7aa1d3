/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * gen.h - deterministic frame generator for the data-plane fuzzer: valid
 * TCP/UDP frames to VIPs, preview addresses, backends and elsewhere,
 * replies from backends, and their mutations (truncation, lying length
 * fields, IPv4 options, fragments, IPv6 extension chains, VLAN stacks,
 * other ethertypes, flipped and random bytes).
 */
#ifndef BGXDP_FUZZ_GEN_H
#define BGXDP_FUZZ_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model.h"

/* splitmix64: one 64-bit state, any seed is fine, same on every host. */
struct rng {
	uint64_t s;
};

uint64_t rng_next(struct rng *r);
uint32_t rng_below(struct rng *r, uint32_t n);     /* 0..n-1 */
bool rng_chance(struct rng *r, uint32_t percent);

enum gen_target { GEN_XDP, GEN_TC };

struct gen_frame {
	enum gen_target target;
	size_t len;
	uint8_t buf[MODEL_FRAME_MAX];
	char what[160];            /* how it was made, for reports */
	bool checksums_valid;      /* built valid and not mutated since */
};

/* Make the next frame.  `m` is read (not changed) to aim some replies at
 * flows the model holds. */
void gen_next(struct rng *r, const struct model_config *cfg,
	      const struct model *m, struct gen_frame *out);

/* Recompute every checksum of a frame from scratch (Ethernet/VLAN, IPv4 or
 * IPv6 with skipped extension headers, TCP/UDP): true if all are right.
 * A UDP checksum of 0 over IPv4 counts as right.  Only meaningful for a
 * frame the model parsed. */
bool frame_checksums_valid(const uint8_t *f, size_t len);

/* The client addresses and ports the generator uses: client n
 * (0..GEN_CLIENTS-1) of a family, port i (0..GEN_CLIENT_PORTS-1, network
 * order). */
#define GEN_CLIENTS 6
#define GEN_CLIENT_PORTS 12
void gen_client(int family, int n, int port_index, uint8_t addr[16], uint16_t *port_be);

#endif
