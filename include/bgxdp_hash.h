/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * bgxdp_hash.h - the hashes that turn a flow into a color and a ring slot.
 *
 * Compiled into both the XDP program and userspace (status, tests, the
 * reference model), so every host with the same config picks the same
 * backend for the same flow without sharing state.  MurmurHash3-style
 * mixing over the 32-bit words of the key: cheap in BPF (no helpers, no
 * loops the verifier cannot unroll) and well spread for bucketing.
 */
#ifndef BGXDP_HASH_H
#define BGXDP_HASH_H

#include "bgxdp.h"

/* Different seeds make the color choice and the backend choice independent:
 * with one hash, a 10 % green share would also pick from 10 % of the ring. */
#define BGXDP_SEED_COLOR       0x9e3779b9u
#define BGXDP_SEED_RING        0x7f4a7c15u
#define BGXDP_SEED_HALFOPEN    0x2545f491u

static inline __attribute__((always_inline)) __u32 bgxdp_rotl32(__u32 x, __u32 r)
{
	return (x << r) | (x >> (32 - r));
}

/* A round is the mix of the key word (independent of the state, so
 * several hashes of one key share it) and the step of the state. */
static inline __attribute__((always_inline)) __u32 bgxdp_hash_mix(__u32 k)
{
	k *= 0xcc9e2d51u;
	k = bgxdp_rotl32(k, 15);
	return k * 0x1b873593u;
}

static inline __attribute__((always_inline)) __u32 bgxdp_hash_step(__u32 h, __u32 mixed)
{
	h ^= mixed;
	h = bgxdp_rotl32(h, 13);
	return h * 5 + 0xe6546b64u;
}

static inline __attribute__((always_inline)) __u32 bgxdp_hash_round(__u32 h, __u32 k)
{
	return bgxdp_hash_step(h, bgxdp_hash_mix(k));
}

static inline __attribute__((always_inline)) __u32 bgxdp_hash_final(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

#ifdef __clang__
#define BGXDP_UNROLL _Pragma("unroll")
#else
#define BGXDP_UNROLL
#endif

/* Word i of a key: memcpy keeps the load legal for any compiler (no
 * aliasing games) and is one 4-byte load since keys are 4-byte aligned. */
static inline __attribute__((always_inline)) __u32 bgxdp_load_word(const void *base, int i)
{
	/* Without the alignment, clang's BPF backend copies byte by byte. */
	const __u8 *aligned = __builtin_assume_aligned(base, 4);
	__u32 w;

	__builtin_memcpy(&w, aligned + 4 * i, 4);
	return w;
}

/* Hash of the whole flow key (10 words, pad bytes must be zero). */
static inline __attribute__((always_inline)) __u32 bgxdp_flow_hash(const struct flow_key *key, __u32 seed)
{
	__u32 h = seed;

	BGXDP_UNROLL
	for (int i = 0; i < (int)(sizeof(*key) / 4); i++)
		h = bgxdp_hash_round(h, bgxdp_load_word(key, i));
	return bgxdp_hash_final(h ^ (__u32)sizeof(*key));
}

/* bgxdp_flow_hash() of one key with three seeds at once: the word mix is
 * shared and the three states advance side by side, so it costs little
 * more than one.  The data plane's new-flow path needs all three. */
static inline __attribute__((always_inline)) void
bgxdp_flow_hash3(const struct flow_key *key, const __u32 seeds[3], __u32 out[3])
{
	__u32 h0 = seeds[0], h1 = seeds[1], h2 = seeds[2];

	BGXDP_UNROLL
	for (int i = 0; i < (int)(sizeof(*key) / 4); i++) {
		__u32 mixed = bgxdp_hash_mix(bgxdp_load_word(key, i));

		h0 = bgxdp_hash_step(h0, mixed);
		h1 = bgxdp_hash_step(h1, mixed);
		h2 = bgxdp_hash_step(h2, mixed);
	}
	out[0] = bgxdp_hash_final(h0 ^ (__u32)sizeof(*key));
	out[1] = bgxdp_hash_final(h1 ^ (__u32)sizeof(*key));
	out[2] = bgxdp_hash_final(h2 ^ (__u32)sizeof(*key));
}

/* Hash of the client address only: --affinity client. */
static inline __attribute__((always_inline)) __u32 bgxdp_client_hash(const struct flow_key *key, __u32 seed)
{
	__u32 h = seed;

	BGXDP_UNROLL
	for (int i = 0; i < BGXDP_ADDR_LEN / 4; i++)
		h = bgxdp_hash_round(h, bgxdp_load_word(key->client, i));
	return bgxdp_hash_final(h ^ BGXDP_ADDR_LEN);
}

static inline __attribute__((always_inline)) __u32 bgxdp_choice_hash(const struct flow_key *key, __u64 word,
				      __u32 seed)
{
	return (word & CFG_AFFINITY_CLIENT) ? bgxdp_client_hash(key, seed)
					    : bgxdp_flow_hash(key, seed);
}

/*
 * The color of a new flow whose color hash is `hash`: its bucket in
 * 0..9999 against the green share.  A flow whose bucket is below the share
 * is green, so raising the share only ever moves flows (or clients) from
 * blue to green: monotone canary.
 */
static inline __attribute__((always_inline)) __u32 bgxdp_color_of(__u32 hash, __u64 word)
{
	return hash % BGXDP_SHARE_SCALE < cfg_green_share(word) ? BGXDP_GREEN
								: BGXDP_BLUE;
}

static inline __attribute__((always_inline)) __u32 bgxdp_pick_color(const struct flow_key *key, __u64 word)
{
	return bgxdp_color_of(bgxdp_choice_hash(key, word, BGXDP_SEED_COLOR), word);
}

/* The Maglev ring slot of a new flow. */
static inline __attribute__((always_inline)) __u32 bgxdp_pick_ring_slot(const struct flow_key *key, __u64 word)
{
	return bgxdp_choice_hash(key, word, BGXDP_SEED_RING) % BGXDP_RING_SIZE;
}

/* The half-open table's tag of a flow: the hash of the whole key (never
 * 0, which marks an unused way; see include/bgxdp.h, "half-open flows"). */
static inline __attribute__((always_inline)) __u32
bgxdp_halfopen_hash(const struct flow_key *key)
{
	__u32 h = bgxdp_flow_hash(key, BGXDP_SEED_HALFOPEN);

	return h ? h : 1;
}

/* The set a tag lives in, of `sets`: multiply and shift, no division. */
static inline __attribute__((always_inline)) __u32
bgxdp_halfopen_set(__u32 hash, __u32 sets)
{
	return (__u32)(((__u64)hash * sets) >> 32);
}

/* The vip_filter bit of a VIP key (see bgxdp.h): one multiply over the
 * folded address, port, proto and family. */
static inline __attribute__((always_inline)) __u32
bgxdp_vip_filter_bit(const struct vip_key *key)
{
	__u32 h = bgxdp_load_word(key->addr, 0) ^ bgxdp_load_word(key->addr, 1) ^
		  bgxdp_load_word(key->addr, 2) ^ bgxdp_load_word(key->addr, 3);

	h ^= (__u32)key->port << 16 | (__u32)key->proto << 8 | key->family;
	return (h * 0x9e3779b1u) >> 22;         /* top 10 bits: 0..1023 */
}

#endif /* BGXDP_HASH_H */
