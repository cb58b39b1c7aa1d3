// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* counters.c - read the data plane's counters and flow table. */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "counters.h"
#include "flow_table.h"
#include "values.h"
#include "util.h"

static __u64 idle_limit(const struct flow_key *k, const struct flow_value *v)
{
	if (k->proto == IPPROTO_UDP)
		return FLOW_UDP_IDLE_NS;
	return v->state == FLOW_CLOSING ? FLOW_TCP_CLOSING_NS : FLOW_TCP_IDLE_NS;
}

struct live_count {
	__u64 (*live)[BGXDP_COLORS];
	__u64 now;
};

static int count_if_live(const struct flow_key *key, const struct flow_value *value, void *ctx)
{
	struct live_count *c = ctx;

	/* last_seen after `now`: stamped by another CPU as we read the clock. */
	if (value->service_id < BGXDP_MAX_SERVICES && value->color < BGXDP_COLORS &&
	    (value->last_seen_ns + idle_limit(key, value) > c->now || value->last_seen_ns > c->now))
		c->live[value->service_id][value->color]++;
	return 0;
}

static void count_restart(void *ctx)
{
	struct live_count *c = ctx;

	memset(c->live, 0, sizeof(__u64) * BGXDP_MAX_SERVICES * BGXDP_COLORS);
}

/* live[svc][color]: flows that have not idled out */
void flows_count_live(struct instance *in, __u64 live[BGXDP_MAX_SERVICES][BGXDP_COLORS])
{
	struct live_count c = { .live = live };
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	c.now = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
	flows_for_each(in, count_if_live, count_restart, &c);
}

/* Sum one element of a per-CPU array made of __u64 fields. */
static int percpu_sum(int fd, __u32 key, __u64 *sum, size_t fields, __u64 *scratch,
		      int cpus)
{
	if (bpf_map_lookup_elem(fd, &key, scratch))
		return -errno;
	memset(sum, 0, fields * sizeof(*sum));
	for (int cpu = 0; cpu < cpus; cpu++)
		for (size_t f = 0; f < fields; f++)
			sum[f] += scratch[(size_t)cpu * fields + f];
	return 0;
}

static int collect_service(struct instance *in, __u32 id, const struct svc_meta *meta,
			   __u64 live[BGXDP_MAX_SERVICES][BGXDP_COLORS],
			   struct service_snapshot *service, __u64 *scratch, int cpus)
{
	static struct backend backends[BGXDP_MAX_BACKENDS];
	__u64 word = svc_word(in, id);
	int err;

	memset(service, 0, sizeof(*service));
	snprintf(service->name, sizeof(service->name), "%s", meta->name);
	service->changes = meta->changes;
	service->last_change_unix_ns = meta->last_change_unix_ns;
	for (__u32 color = 0; color < BGXDP_COLORS; color++) {
		struct color_snapshot *c = &service->colors[color];

		c->share_bp = word_color_share(word, color);
		c->flows_active = live[id][color];
		err = percpu_sum(in->map_fd[MAP_COLOR_COUNTERS], color_index(id, color),
				 (__u64 *)&c->counters, sizeof(c->counters) / 8, scratch, cpus);
		if (err)
			return err;
		err = color_backends_read(in, id, color, backends);
		if (err)
			return err;
		for (__u32 slot = 0; slot < BGXDP_MAX_BACKENDS; slot++) {
			struct backend_snapshot *b = &service->backends[service->backend_count];

			if (backends[slot].state == BACKEND_EMPTY)
				continue;
			format_endpoint(backends[slot].addr, backends[slot].port,
					backends[slot].family, b->address, sizeof(b->address));
			b->color = (__u8)color;
			b->state = backends[slot].state;
			err = percpu_sum(in->map_fd[MAP_BACKEND_COUNTERS],
					 backend_index(id, color, slot), (__u64 *)&b->counters,
					 sizeof(b->counters) / 8, scratch, cpus);
			if (!err)
				err = percpu_sum(in->map_fd[MAP_BACKEND_CONNECT],
						 backend_index(id, color, slot),
						 (__u64 *)&b->connect, sizeof(b->connect) / 8,
						 scratch, cpus);
			if (err)
				return err;
			service->backend_count++;
		}
	}
	return 0;
}

int metrics_collect(struct instance *in, struct metrics_snapshot *snap)
{
	static __u64 live[BGXDP_MAX_SERVICES][BGXDP_COLORS];
	int cpus = libbpf_num_possible_cpus();
	__u64 *scratch;
	int err = 0;

	if (cpus <= 0)
		return err_set(cpus ? cpus : -EINVAL, "cannot count possible CPUs");
	/* Room for the widest per-CPU value: struct backend_connect. */
	_Static_assert(sizeof(struct backend_connect) >= sizeof(struct color_counters),
		       "scratch holds every per-CPU value");
	scratch = calloc((size_t)cpus, sizeof(struct backend_connect));
	if (!scratch)
		return err_set(-ENOMEM, "out of memory");
	memset(snap, 0, sizeof(*snap));
	memset(live, 0, sizeof(live));
	flows_count_live(in, live);
	for (__u32 id = 0; id < BGXDP_MAX_SERVICES && !err; id++) {
		struct svc_meta meta;

		err = svc_meta_read(in, id, &meta);
		if (err || !meta.in_use)
			continue;
		err = collect_service(in, id, &meta, live,
				      &snap->services[snap->service_count], scratch, cpus);
		if (!err)
			snap->service_count++;
	}
	for (__u32 reason = 0; reason < PASS_REASONS && !err; reason++)
		err = percpu_sum(in->map_fd[MAP_PASSED_COUNTERS], reason, &snap->passed[reason],
				 1, scratch, cpus);
	free(scratch);
	if (err)
		return err_set(err, "cannot read the counters: %s", strerror(-err));
	return 0;
}
