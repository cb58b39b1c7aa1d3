// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <netinet/in.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "flow_table.h"
#include "instance.h"

#define FLOW_BATCH 4096

/* One entry at a time (kernels or maps without batch lookups). */
static int walk_one_by_one(int fd, flow_visit_fn visit, void *ctx)
{
	struct flow_key cur, next;
	struct flow_value value;
	int r;

	if (bpf_map_get_next_key(fd, NULL, &next))
		return 0;
	do {
		cur = next;
		if (!bpf_map_lookup_elem(fd, &cur, &value) && (r = visit(&cur, &value, ctx)))
			return r;
	} while (!bpf_map_get_next_key(fd, &cur, &next));
	return 0;
}

int flows_for_each(struct bgx_instance *in, flow_visit_fn visit, flow_restart_fn restart, void *ctx,
		   struct bgx_err *e)
{
	int fd = map_fd(in, MAP_flows);
	struct flow_key *keys = calloc(FLOW_BATCH, sizeof(*keys));
	struct flow_value *values = calloc(FLOW_BATCH, sizeof(*values));
	struct flow_key in_batch, out_batch;
	bool first = true;
	int r = 0;

	if (!keys || !values) {
		r = bgx_fail(e, ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts);
		__u32 count = FLOW_BATCH;
		int ended = bpf_map_lookup_batch(fd, first ? NULL : &in_batch, &out_batch, keys,
						 values, &count, &opts);

		if (ended && errno != ENOENT) {
			if (!first && restart)
				restart(ctx);
			r = walk_one_by_one(fd, visit, ctx);
			break;
		}
		for (__u32 i = 0; i < count && !r; i++)
			r = visit(&keys[i], &values[i], ctx);
		if (r || ended)         /* stopped, or ENOENT: that was the last */
			break;
		in_batch = out_batch;
		first = false;
	}
out:
	free(keys);
	free(values);
	return r;
}

struct purge {
	__u32 service_id;
	bool one_backend;               /* only color/slot's flows */
	__u32 color, slot;
	struct flow_key *doomed;
	size_t count, capacity;
};

static int collect_service_flow(const struct flow_key *key, const struct flow_value *value,
				void *ctx)
{
	struct purge *p = ctx;

	if (value->service_id != p->service_id ||
	    (p->one_backend && (value->color != p->color || value->backend_slot != p->slot)))
		return 0;
	if (p->count == p->capacity) {
		size_t capacity = p->capacity ? 2 * p->capacity : 1024;
		struct flow_key *grown = realloc(p->doomed, capacity * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		p->doomed = grown;
		p->capacity = capacity;
	}
	p->doomed[p->count++] = *key;
	return 0;
}

static void forget_collected(void *ctx)
{
	((struct purge *)ctx)->count = 0;
}

static int purge(struct bgx_instance *in, struct purge *pp, struct bgx_err *e)
{
	struct purge p = *pp;
	int fd = map_fd(in, MAP_flows);
	int r = flows_for_each(in, collect_service_flow, forget_collected, &p, e);

	if (r == -ENOMEM)
		bgx_fail(e, r, "out of memory");

	/* Collected first, deleted after: deleting under a walk restarts it. */
	for (size_t i = 0; i < p.count && !r; i++)
		if (bpf_map_delete_elem(fd, &p.doomed[i]) && errno != ENOENT)
			r = bgx_fail(e, errno, "cannot update map flows: %s", strerror(errno));
	free(p.doomed);
	return r ? r : (int)p.count;
}

int flows_purge_service(struct bgx_instance *in, __u32 id, struct bgx_err *e)
{
	struct purge p = { .service_id = id };
	int r = purge(in, &p, e);

	return r < 0 ? r : 0;
}

int flows_purge_backend(struct bgx_instance *in, __u32 id, __u32 color, __u32 slot,
			struct bgx_err *e)
{
	struct purge p = { .service_id = id, .one_backend = true, .color = color, .slot = slot };

	return purge(in, &p, e);
}

static __u64 idle_limit(const struct flow_key *k, const struct flow_value *v)
{
	if (k->proto == IPPROTO_UDP)
		return FLOW_UDP_IDLE_NS;
	return v->state == FLOW_CLOSING ? FLOW_TCP_CLOSING_NS : FLOW_TCP_IDLE_NS;
}

struct live_count {
	struct flow_counts *counts;
	__u64 now;
};

static int count_if_live(const struct flow_key *key, const struct flow_value *value, void *ctx)
{
	struct live_count *c = ctx;
	__u32 svc = value->service_id, color = value->color, slot = value->backend_slot;

	if (svc >= BGXDP_MAX_SERVICES || color >= BGXDP_COLORS || slot >= BGXDP_MAX_BACKENDS)
		return 0;
	/* last_seen after `now`: stamped by another CPU as we read the clock. */
	if (value->last_seen_ns + idle_limit(key, value) <= c->now && value->last_seen_ns <= c->now)
		return 0;
	c->counts->live[svc][color][slot]++;
	/* A TCP flow that saw no FIN or RST is an open connection (UDP: any). */
	if (key->proto != IPPROTO_TCP || value->state != FLOW_CLOSING)
		c->counts->open[svc][color][slot]++;
	return 0;
}

static void count_restart(void *ctx)
{
	struct live_count *c = ctx;

	memset(c->counts, 0, sizeof(*c->counts));
}

int flows_count_live(struct bgx_instance *in, struct flow_counts *counts, struct bgx_err *e)
{
	struct live_count c = { .counts = counts };
	struct timespec ts;

	/* The data plane stamps flows with bpf_ktime_get_coarse_ns(). */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	c.now = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
	memset(counts, 0, sizeof(*counts));
	return flows_for_each(in, count_if_live, count_restart, &c, e);
}
