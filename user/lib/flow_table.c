// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "flow_table.h"
#include "util.h"

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

int flows_for_each(struct instance *in, flow_visit_fn visit, flow_restart_fn restart, void *ctx)
{
	int fd = in->map_fd[MAP_FLOWS];
	struct flow_key *keys = calloc(FLOW_BATCH, sizeof(*keys));
	struct flow_value *values = calloc(FLOW_BATCH, sizeof(*values));
	struct flow_key in_batch, out_batch;
	bool first = true;
	int r = 0;

	if (!keys || !values) {
		r = err_set(ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts);
		__u32 count = FLOW_BATCH;
		int e = bpf_map_lookup_batch(fd, first ? NULL : &in_batch, &out_batch, keys,
					     values, &count, &opts);

		if (e && errno != ENOENT) {
			if (!first && restart)
				restart(ctx);
			r = walk_one_by_one(fd, visit, ctx);
			break;
		}
		for (__u32 i = 0; i < count && !r; i++)
			r = visit(&keys[i], &values[i], ctx);
		if (r || e)             /* stopped, or ENOENT: that was the last */
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
	struct flow_key *doomed;
	size_t count, capacity;
};

static int collect_service_flow(const struct flow_key *key, const struct flow_value *value,
				void *ctx)
{
	struct purge *p = ctx;

	if (value->service_id != p->service_id)
		return 0;
	if (p->count == p->capacity) {
		size_t capacity = p->capacity ? 2 * p->capacity : 1024;
		struct flow_key *grown = realloc(p->doomed, capacity * sizeof(*grown));

		if (!grown)
			return err_set(ENOMEM, "out of memory");
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

int flows_purge_service(struct instance *in, __u32 id)
{
	struct purge p = { .service_id = id };
	int fd = in->map_fd[MAP_FLOWS];
	int r = flows_for_each(in, collect_service_flow, forget_collected, &p);

	/* Collected first, deleted after: deleting under a walk restarts it. */
	for (size_t i = 0; i < p.count && !r; i++)
		if (bpf_map_delete_elem(fd, &p.doomed[i]) && errno != ENOENT)
			r = err_set(errno, "cannot update map flows: %s", strerror(errno));
	free(p.doomed);
	return r;
}
