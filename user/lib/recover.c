// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "maglev.h"
#include "recover.h"
#include "util.h"

/* Is the ring `bk` builds the one `word` makes live for `color`? */
static int color_ring_is_live(struct instance *in, __u32 id, __u32 color, __u64 word,
			      const struct backend *bk, struct maglev_ring *want,
			      struct maglev_ring *live)
{
	__u32 key = ring_index(id, color, cfg_ring_buffer(word, color));
	bool has = word & CFG_HAS_BACKENDS(color);
	int n = maglev_build(bk, BGXDP_MAX_BACKENDS, want);

	if (n < 0)
		return err_set(n, "cannot build a Maglev ring: %s", strerror(-n));
	if (!n || !has)
		return !n == !has;
	if (bpf_map_lookup_elem(in->map_fd[MAP_MAGLEV_RINGS], &key, live))
		return err_set(errno, "cannot read maglev_rings[%u]: %s", key, strerror(errno));
	return !memcmp(want->slots, live->slots, sizeof(want->slots));
}

int instance_recover(struct instance *in)
{
	struct backend *bk = calloc(BGXDP_MAX_BACKENDS, sizeof(*bk));
	struct maglev_ring *want = malloc(sizeof(*want)), *live = malloc(sizeof(*live));
	int r = 0, republished = 0;

	if (!bk || !want || !live) {
		r = err_set(ENOMEM, "out of memory");
		goto out;
	}
	for (__u32 id = 0; id < BGXDP_MAX_SERVICES && !r; id++) {
		struct svc_meta m;

		if ((r = svc_meta_read(in, id, &m)) || !m.in_use)
			continue;
		for (__u32 c = 0; c < BGXDP_COLORS && !r; c++) {
			__u64 word = svc_word(in, id), new_word;
			int is_live;

			if ((r = color_backends_read(in, id, c, bk)))
				break;
			is_live = color_ring_is_live(in, id, c, word, bk, want, live);
			if (is_live < 0) {
				r = is_live;
				break;
			}
			if (is_live)
				continue;
			if ((r = color_prepare_ring(in, id, c, bk, word, &new_word)))
				break;
			svc_publish(in, id, new_word);
			republished++;
		}
	}
out:
	free(bk);
	free(want);
	free(live);
	return r ? r : republished;
}
