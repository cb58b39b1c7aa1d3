/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * maglev.h - weighted Maglev lookup table builder.
 *
 * ring->slots[i] is an index into backends[] (the color's backend slots).
 * Only BACKEND_UP entries are placed; each gets a share of the ring
 * proportional to its weight (exact quotas, largest remainder), so every
 * backend is within one slot of its weighted share.  The permutation of a
 * backend (offset, skip) comes from two hashes of its address, port and
 * family, and backends are visited in address order, so the same set of
 * backends gives the same ring on every host, whatever their slot order.
 * The fill claims slots by permutation rank without Maglev's skip-ahead,
 * which keeps the slots moved by removing one of N backends near 1/N
 * (tests/unit/test_maglev.c checks <= 1/N + 1 %).
 */
#ifndef BGXDP_MAGLEV_H
#define BGXDP_MAGLEV_H

#include "bgxdp.h"

/* Returns the number of up backends (0: ring left all zero) or -errno. */
int maglev_build(const struct backend *backends, __u32 count, struct maglev_ring *ring);

#endif
