// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ring.c - a color's backend slots and the Maglev ring built from them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "config_word.h"
#include "instance.h"
#include "maglev.h"

int color_backends_read(struct bgx_instance *in, __u32 id, __u32 color, struct backend *bk,
			struct bgx_err *e)
{
	for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++) {
		__u32 key = backend_index(id, color, s);

		if (bpf_map_lookup_elem(map_fd(in, MAP_backends), &key, &bk[s]))
			return bgx_fail(e, errno, "cannot read backends[%u]: %s", key,
					strerror(errno));
	}
	return 0;
}

__u32 backends_in_ring(const struct backend *bk)
{
	__u32 n = 0;

	for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++)
		n += backend_in_ring(&bk[s]) ? 1 : 0;
	return n;
}

int color_write_ring(struct bgx_instance *in, __u32 id, __u32 color, const struct backend *bk,
		     __u64 word, __u64 *new_word, struct bgx_err *e)
{
	struct maglev_ring *ring = calloc(1, sizeof(*ring));
	__u32 inactive = cfg_ring_buffer(word, color) ^ 1;
	__u32 key = ring_index(id, color, inactive);
	int n, r = 0;

	if (!ring)
		return bgx_fail(e, ENOMEM, "out of memory");
	n = maglev_build(bk, BGXDP_MAX_BACKENDS, ring);
	if (n < 0)
		r = bgx_fail(e, n, "cannot build the %s Maglev ring: %s", color_name(color),
			     strerror(-n));
	else if (bpf_map_update_elem(map_fd(in, MAP_maglev_rings), &key, ring, BPF_ANY))
		r = bgx_fail(e, errno, "cannot write maglev_rings[%u]: %s", key, strerror(errno));
	free(ring);
	if (r)
		return r;
	word ^= CFG_RING_BUFFER(color);
	if (n)
		word |= CFG_HAS_BACKENDS(color);
	else
		word &= ~CFG_HAS_BACKENDS(color);
	*new_word = word;
	bgx_log(BGX_LOG_DEBUG, "service %u %s: ring buffer %u written, %d backends", id,
		color_name(color), inactive, n);
	return 0;
}

int color_prepare_ring(struct bgx_instance *in, __u32 id, __u32 color,
		       const struct backend *bk, __u64 word, __u64 *new_word, struct bgx_err *e)
{
	int r;

	cfg_wait_for_readers();         /* readers of the word before the live one */
	if ((r = color_write_ring(in, id, color, bk, word, new_word, e)))
		return r;
	*new_word = cfg_next_generation(*new_word);
	return 0;
}
