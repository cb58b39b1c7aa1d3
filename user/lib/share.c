// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* share.c - the traffic split: set, weight, rollback; one word store each. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "config_word.h"
#include "instance.h"

static __u64 now_unix_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

/* Backends of `color` whose admin state is up (for the refusal's reason). */
static __u32 admin_up_count(struct bgx_instance *in, __u32 id, __u32 color)
{
	struct backend *bk = calloc(BGXDP_MAX_BACKENDS, sizeof(*bk));
	__u32 n = 0;

	if (bk && !color_backends_read(in, id, color, bk, NULL))
		for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++)
			n += bk[s].state == BACKEND_UP;
	free(bk);
	return n;
}

/* A color that would get a share must have a backend in its ring. */
static int check_colors_served(struct bgx_instance *in, __u32 id, const struct svc_meta *m,
			       __u64 word, __u64 new_word, struct bgx_err *e)
{
	char pct[16];

	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		__u32 share = bgx_word_color_share(new_word, c), up;

		if (!share || (word & CFG_HAS_BACKENDS(c)))
			continue;
		format_percent_bp(share, pct, sizeof(pct));
		up = admin_up_count(in, id, c);
		if (up)
			return bgx_fail(e, EINVAL, "%s would get %s%% of new flows of service '%s' but none of its "
					"%u up backend%s passes its health checks (see 'bgxdp status')",
					color_name(c), pct, m->name, up, up == 1 ? "" : "s");
		return bgx_fail(e, EINVAL, "%s would get %s%% of new flows of service '%s' but has no up backend "
				"(add one with 'bgxdp backend add %s %s ADDR:PORT')",
				color_name(c), pct, m->name, m->name, color_name(c));
	}
	return 0;
}

/*
 * The change is recorded first (previous word, count, time, and the share
 * about to be published, marked pending), then published, then the pending
 * mark is cleared.  A writer killed in between leaves the mark; the next
 * writer's bgx_recover() sees whether the word went out and finishes.
 */
static int publish_share(struct bgx_instance *in, __u32 id, struct svc_meta *m,
			 __u32 green_bp, struct bgx_share_result *res, struct bgx_err *e)
{
	__u64 word = svc_word(in, id);
	__u64 new_word = cfg_with_share(word, green_bp);
	int r;

	if ((r = check_colors_served(in, id, m, word, new_word, e)))
		return r;
	new_word = cfg_next_generation(new_word);
	m->previous_word = word;
	m->changes++;
	m->last_change_unix_ns = now_unix_ns();
	m->share_pending = 1;
	m->pending_green_share = (__u16)green_bp;
	if ((r = svc_meta_write(in, id, m, e)))
		return r;
	instance_step(in, "share", "recorded");
	svc_publish(in, id, new_word);
	instance_step(in, "share", "published");
	m->share_pending = 0;
	svc_meta_write(in, id, m, NULL);  /* a stale mark is cleared by recovery */
	if (res) {
		memset(res, 0, sizeof(*res));
		snprintf(res->service, sizeof(res->service), "%s", m->name);
		res->green_bp = cfg_green_share(new_word);
		res->old_green_bp = cfg_green_share(word);
		res->generation = cfg_generation(new_word);
	}
	bgx_log(BGX_LOG_INFO, "service %s: green share %u bp published, generation %u", m->name,
		cfg_green_share(new_word), cfg_generation(new_word));
	return 0;
}

int bgx_share_set(struct bgx_instance *in, const char *service, __u32 green_bp,
		  struct bgx_share_result *res, struct bgx_err *e)
{
	struct svc_meta m;
	__u32 id;
	int r;

	if (green_bp > BGXDP_SHARE_SCALE)
		return bgx_fail_usage(e, ERANGE, "share %u out of range (0..%u basis points)",
				      green_bp, BGXDP_SHARE_SCALE);
	if ((r = instance_must_write(in, e)) || (r = svc_find(in, service, &id, &m, e)))
		return r;
	return publish_share(in, id, &m, green_bp, res, e);
}

int bgx_share_rollback(struct bgx_instance *in, const char *service,
		       struct bgx_share_result *res, struct bgx_err *e)
{
	struct svc_meta m;
	__u32 id;
	int r;

	if ((r = instance_must_write(in, e)) || (r = svc_find(in, service, &id, &m, e)))
		return r;
	if (!m.changes || !(m.previous_word & CFG_CONFIGURED))
		return bgx_fail(e, ENOENT, "service '%s' has no earlier traffic split to go back to",
				m.name);
	return publish_share(in, id, &m, cfg_green_share(m.previous_word), res, e);
}
