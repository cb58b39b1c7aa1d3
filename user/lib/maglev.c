// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "bgxdp_hash.h"
#include "maglev.h"

#define MAGLEV_SEED_OFFSET 0x5bd1e995u
#define MAGLEV_SEED_SKIP   0x1b873593u

struct mb {
	__u32 idx;          /* index into backends[] */
	__u32 offset, skip;
	__u64 quota, placed, weight;
	const struct backend *b;
};

static __u32 backend_hash(const struct backend *b, __u32 seed)
{
	__u8 buf[20] = { 0 };
	__u32 h = seed;

	memcpy(buf, b->addr, BGXDP_ADDR_LEN);
	memcpy(buf + 16, &b->port, 2);
	buf[18] = b->family;
	for (int i = 0; i < 5; i++)
		h = bgxdp_hash_round(h, bgxdp_load_word(buf, i));
	return bgxdp_hash_final(h ^ 20);
}

static int mb_cmp(const void *a, const void *b)
{
	const struct backend *x = ((const struct mb *)a)->b, *y = ((const struct mb *)b)->b;
	int r;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	r = memcmp(x->addr, y->addr, BGXDP_ADDR_LEN);
	if (r)
		return r;
	r = memcmp(&x->port, &y->port, 2);
	if (r)
		return r;
	return ((const struct mb *)a)->idx < ((const struct mb *)b)->idx ? -1 : 1;
}

/* The backends in the ring, with their permutations, in address order;
 * returns how many (mb: n entries) and their total weight in *wsum. */
static __u32 collect(const struct backend *backends, __u32 count, struct mb *mb, __u64 *wsum)
{
	const __u32 M = BGXDP_RING_SIZE;
	__u32 n = 0;

	*wsum = 0;
	for (__u32 i = 0; i < count; i++) {
		const struct backend *b = &backends[i];
		__u64 w;

		if (!backend_in_ring(b))
			continue;
		w = b->weight ? b->weight : 1;
		mb[n].idx = i;
		mb[n].b = b;
		mb[n].offset = backend_hash(b, MAGLEV_SEED_OFFSET) % M;
		mb[n].skip = backend_hash(b, MAGLEV_SEED_SKIP) % (M - 1) + 1;
		mb[n].weight = w;
		*wsum += w;
		n++;
	}
	qsort(mb, n, sizeof(*mb), mb_cmp);
	return n;
}

/* Quotas: floor(M * w / W), the rest by largest remainder (ties: address
 * order); each backend gets at most one extra slot. */
static void set_quotas(struct mb *mb, __u32 n, __u64 wsum)
{
	const __u32 M = BGXDP_RING_SIZE;
	__u64 assigned = 0;

	for (__u32 i = 0; i < n; i++) {
		mb[i].quota = (__u64)M * mb[i].weight / wsum;
		assigned += mb[i].quota;
	}
	while (assigned < M) {
		__u64 best_rem = 0;
		__u32 best = 0;
		bool found = false;

		for (__u32 i = 0; i < n; i++) {
			__u64 rem = ((__u64)M * mb[i].weight) % wsum;

			if (mb[i].quota != (__u64)M * mb[i].weight / wsum)
				continue;
			if (!found || rem > best_rem) {
				best_rem = rem;
				best = i;
				found = true;
			}
		}
		mb[best].quota++;
		assigned++;
	}
}

/*
 * Fill by preference rank: at step j every backend that is below its
 * quota claims the j-th entry of its permutation if that slot is still free
 * (backends in address order).  Unlike the classic Maglev loop a backend
 * does not skip ahead to its next free preference in the same turn: that
 * skip-ahead is what cascades when a backend is removed.  With exact quotas
 * this keeps every backend within one slot of its weighted share and moves
 * little more than the removed backend's slots when the set changes.
 * Terminates: each permutation visits every slot (M prime, skip in 1..M-1)
 * and the quotas sum to M.
 */
static void fill(struct mb *mb, __u32 n, __u8 *taken, struct maglev_ring *ring)
{
	const __u32 M = BGXDP_RING_SIZE;
	__u64 filled = 0;

	for (__u64 j = 0; j < M && filled < M; j++) {
		for (__u32 i = 0; i < n; i++) {
			__u32 pos;

			if (mb[i].placed >= mb[i].quota)
				continue;
			pos = (__u32)(((__u64)mb[i].offset + j * mb[i].skip) % M);
			if (taken[pos])
				continue;
			taken[pos] = 1;
			ring->slots[pos] = (__u16)mb[i].idx;
			mb[i].placed++;
			filled++;
		}
	}
	/* Cannot happen (see above); never leave a slot pointing nowhere. */
	for (__u32 pos = 0, i = 0; filled < M && pos < M; pos++) {
		if (taken[pos])
			continue;
		while (mb[i].placed >= mb[i].quota && i + 1 < n)
			i++;
		ring->slots[pos] = (__u16)mb[i].idx;
		mb[i].placed++;
		filled++;
	}
}

int maglev_build(const struct backend *backends, __u32 count, struct maglev_ring *ring)
{
	struct mb *mb;
	__u8 *taken;
	__u64 wsum;
	__u32 n;

	if (!ring || (count && !backends) || count > 65535)
		return -EINVAL;
	memset(ring, 0, sizeof(*ring));
	mb = calloc(count ? count : 1, sizeof(*mb));
	taken = calloc(BGXDP_RING_SIZE, 1);
	if (!mb || !taken) {
		free(mb);
		free(taken);
		return -ENOMEM;
	}
	n = collect(backends, count, mb, &wsum);
	if (n) {
		set_quotas(mb, n, wsum);
		fill(mb, n, taken, ring);
	}
	free(mb);
	free(taken);
	return (int)n;
}
