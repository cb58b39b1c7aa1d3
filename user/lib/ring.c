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

/* ---- which backends take new flows: the one rule ------------------------ */

static bool admin_up(const struct backend *b)
{
	return b->state == BACKEND_UP;
}

bool bgx_health_fails_open(const struct backend *blue, const struct backend *green)
{
	const struct backend *colors[BGXDP_COLORS] = { blue, green };
	bool any_admin_up = false;

	for (__u32 c = 0; c < BGXDP_COLORS; c++)
		for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++) {
			if (backend_in_ring(&colors[c][s]))
				return false;
			any_admin_up |= admin_up(&colors[c][s]);
		}
	return any_admin_up;
}

bool bgx_backend_takes_flows(const struct backend *b, bool fail_open)
{
	return fail_open ? admin_up(b) : backend_in_ring(b) != 0;
}

void bgx_ring_members(const struct backend *bk, bool fail_open, struct backend *out)
{
	memcpy(out, bk, sizeof(*bk) * BGXDP_MAX_BACKENDS);
	if (!fail_open)
		return;
	for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++)
		out[s].health = BACKEND_HEALTH_NONE;
}
