// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * recover.c - finishing what a killed writer left half-done.
 *
 * Every operation orders its steps so that packets always see a whole
 * config; what a kill between two steps can leave is an instance whose
 * control-plane records disagree with what is published:
 *  - a service marked SVC_DELETING: `service del` began; finish it;
 *  - a live service whose word is not published yet: `service add` wrote
 *    everything but the word; finish it from the metadata;
 *  - a share change marked pending: publish it if the word is still the
 *    one it replaced, else only clear the mark;
 *  - a service marked ring_dirty (a backend command killed between its
 *    slot and its ring): for each color whose live ring is not the ring its
 *    slots build, publish the ring the slots build (by the one rule of
 *    libbgxdp.h: admin state, health, and the service's fail open).
 * Writers run this under the pin dir's lock before their own change; it
 * reads only the services' metadata unless one of the marks is set (a flip
 * pays for 16 small reads).  BGX_RECOVER_FULL checks every ring, marked or
 * not (upgrade: an older build left no marks).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "config_word.h"
#include "instance.h"
#include "maglev.h"

struct recovery {
	struct backend *slots[BGXDP_COLORS];    /* a service's slots, per color */
	struct backend *members;                /* one color's, as the ring builder sees them */
	struct maglev_ring *want, *live;
	int republished;
};

/* Is the ring rc->members builds the one `word` makes live for `color`? */
static int color_ring_is_live(struct bgx_instance *in, __u32 id, __u32 color, __u64 word,
			      struct recovery *rc, struct bgx_err *e)
{
	__u32 key = ring_index(id, color, cfg_ring_buffer(word, color));
	bool has = word & CFG_HAS_BACKENDS(color);
	int n = maglev_build(rc->members, BGXDP_MAX_BACKENDS, rc->want);

	if (n < 0)
		return bgx_fail(e, n, "cannot build a Maglev ring: %s", strerror(-n));
	if (!n || !has)
		return !n == !has;
	if (bpf_map_lookup_elem(map_fd(in, MAP_maglev_rings), &key, rc->live))
		return bgx_fail(e, errno, "cannot read maglev_rings[%u]: %s", key, strerror(errno));
	return !memcmp(rc->want->slots, rc->live->slots, sizeof(rc->want->slots));
}

/* Every color whose live ring is not the one its slots build (by the same
 * rule as every operation, fail open included) gets that ring published. */
static int recover_rings(struct bgx_instance *in, __u32 id, struct recovery *rc,
			 struct bgx_err *e)
{
	bool fails_open;
	int r;

	for (__u32 c = 0; c < BGXDP_COLORS; c++)
		if ((r = color_backends_read(in, id, c, rc->slots[c], e)))
			return r;
	fails_open = bgx_health_fails_open(rc->slots[BGXDP_BLUE], rc->slots[BGXDP_GREEN]);
	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		__u64 word = svc_word(in, id), new_word;
		int is_live;

		bgx_ring_members(rc->slots[c], fails_open, rc->members);
		is_live = color_ring_is_live(in, id, c, word, rc, e);
		if (is_live < 0)
			return is_live;
		if (is_live)
			continue;
		if ((r = color_prepare_ring(in, id, c, rc->members, word, &new_word, e)))
			return r;
		svc_publish(in, id, new_word);
		rc->republished++;
		bgx_log(BGX_LOG_WARN, "recovered service %u %s: republished the ring its backends build",
			id, color_name(c));
	}
	return 0;
}

/* `service add` stopped before its word: insert what is missing, publish. */
static int finish_service_add(struct bgx_instance *in, __u32 id, const struct svc_meta *m,
			      struct bgx_err *e)
{
	struct vip_value vv = { .service_id = id };
	int r;

	if ((r = vip_filter_add(in, &m->vip, e)) ||
	    (m->preview.family && (r = vip_filter_add(in, &m->preview, e))))
		return r;
	if (bpf_map_update_elem(map_fd(in, MAP_services), &m->vip, &vv, BPF_ANY))
		return bgx_fail(e, errno, "cannot add the VIP to map services: %s", strerror(errno));
	vv.flags = VIP_FLAG_PREVIEW;
	if (m->preview.family &&
	    bpf_map_update_elem(map_fd(in, MAP_services), &m->preview, &vv, BPF_ANY))
		return bgx_fail(e, errno, "cannot add the preview address to map services: %s",
				strerror(errno));
	svc_publish(in, id, cfg_next_generation(CFG_CONFIGURED |
						(m->affinity_client ? CFG_AFFINITY_CLIENT : 0)));
	bgx_log(BGX_LOG_WARN, "recovered service %s: finished its add", m->name);
	return 1;
}

static int finish_share_change(struct bgx_instance *in, __u32 id, struct svc_meta *m,
			       struct bgx_err *e)
{
	__u64 word = svc_word(in, id);
	int done = 0;

	if (word == m->previous_word) {
		svc_publish(in, id, cfg_next_generation(cfg_with_share(word, m->pending_green_share)));
		bgx_log(BGX_LOG_WARN, "recovered service %s: published its pending share change",
			m->name);
		done = 1;
	}
	m->share_pending = 0;
	return svc_meta_write(in, id, m, e) ?: done;
}

static int recover_service(struct bgx_instance *in, __u32 id, bool full, struct recovery *rc,
			   struct bgx_err *e)
{
	struct svc_meta m;
	int r;

	if ((r = svc_meta_read(in, id, &m, e)) || m.in_use == SVC_FREE)
		return r;
	if (m.in_use == SVC_DELETING) {
		bgx_log(BGX_LOG_WARN, "recovered service %s: finished its delete", m.name);
		rc->republished++;
		return bgx_service_del(in, m.name, e);
	}
	if (!(svc_word(in, id) & CFG_CONFIGURED)) {
		if ((r = finish_service_add(in, id, &m, e)) < 0)
			return r;
		rc->republished += r;
	}
	if (m.share_pending) {
		if ((r = finish_share_change(in, id, &m, e)) < 0)
			return r;
		rc->republished += r;
	}
	if (!full && !m.ring_dirty)
		return 0;
	if ((r = recover_rings(in, id, rc, e)))
		return r;
	m.ring_dirty = 0;
	return svc_meta_write(in, id, &m, e);
}

int bgx_recover(struct bgx_instance *in, unsigned int flags, struct bgx_err *e)
{
	struct recovery rc = { 0 };
	int r = instance_must_write(in, e);

	/* The buffers are needed only for a ring check: allocated then. */
	rc.slots[BGXDP_BLUE] = calloc(BGXDP_MAX_BACKENDS, sizeof(struct backend));
	rc.slots[BGXDP_GREEN] = calloc(BGXDP_MAX_BACKENDS, sizeof(struct backend));
	rc.members = calloc(BGXDP_MAX_BACKENDS, sizeof(struct backend));
	rc.want = malloc(sizeof(*rc.want));
	rc.live = malloc(sizeof(*rc.live));
	if (!r && (!rc.slots[BGXDP_BLUE] || !rc.slots[BGXDP_GREEN] || !rc.members || !rc.want ||
		   !rc.live))
		r = bgx_fail(e, ENOMEM, "out of memory");
	for (__u32 id = 0; id < BGXDP_MAX_SERVICES && !r; id++)
		r = recover_service(in, id, flags & BGX_RECOVER_FULL, &rc, e);
	free(rc.slots[BGXDP_BLUE]);
	free(rc.slots[BGXDP_GREEN]);
	free(rc.members);
	free(rc.want);
	free(rc.live);
	return r ? r : rc.republished;
}
