/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * csum.h - incremental Internet checksum updates (RFC 1624, eqn. 3):
 *
 *     HC' = ~(~HC + ~m + m')
 *
 * for every 16-bit word m replaced by m'.  The one's complement sum is
 * byte-order independent, so everything stays in network order: words are
 * taken straight from the packet bytes and the result is stored back as is.
 */
#ifndef BGXDP_CSUM_H
#define BGXDP_CSUM_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>

/* Fold a 64-bit accumulator of 16-bit words into 16 bits (end-around
 * carry).  Four rounds are enough for any sum of < 2^32 words. */
static __always_inline __u16 csum_fold64(__u64 sum)
{
	#pragma unroll
	for (int i = 0; i < 4; i++)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* Add "replace `len` bytes `from` by `to`" to an accumulator; len even. */
static __always_inline __u64 csum_acc_replace(__u64 acc, const __u8 *from,
					      const __u8 *to, int len)
{
	#pragma unroll
	for (int i = 0; i < len; i += 2) {
		__u16 old_word, new_word;

		__builtin_memcpy(&old_word, from + i, 2);
		__builtin_memcpy(&new_word, to + i, 2);
		acc += (__u16)~old_word;
		acc += new_word;
	}
	return acc;
}

/* Add "replace `words` 32-bit words `from` by `to`": 32-bit words can be
 * summed directly, the fold at the end brings the carries around. */
static __always_inline __u64 csum_acc_words(__u64 acc, const __be32 *from,
					    const __be32 *to, int words)
{
	#pragma unroll
	for (int i = 0; i < words; i++) {
		acc += (__u32)~from[i];
		acc += to[i];
	}
	return acc;
}

/* Start an update of checksum `check` (network order, as in the packet). */
static __always_inline __u64 csum_acc_start(__u16 check)
{
	return (__u16)~check;
}

/* Finish an update: the new checksum, network order. */
static __always_inline __u16 csum_acc_finish(__u64 acc)
{
	return (__u16)~csum_fold64(acc);
}

/*
 * A CHECKSUM_PARTIAL skb's L4 checksum field does not hold a checksum yet
 * but the sum of the pseudo header, not complemented: the device (or
 * skb_checksum_help) later adds the segment and complements.  A change of
 * an address then adds to that sum as it is; a change of a port changes
 * the segment, which is summed later, so it does not touch the field.
 */
static __always_inline __u64 csum_acc_start_partial(__u16 pseudo_sum)
{
	return pseudo_sum;
}

static __always_inline __u16 csum_acc_finish_partial(__u64 acc)
{
	return csum_fold64(acc);
}

/* Checksum `check` after one 32-bit word changed from `from` to `to`. */
static __always_inline __u16 csum_replace_word(__u16 check, __be32 from,
					       __be32 to)
{
	return csum_acc_finish(csum_acc_words(csum_acc_start(check), &from,
					      &to, 1));
}

#endif /* BGXDP_CSUM_H */
