// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* snapshot.c - one typed picture of an instance, for every renderer. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "config_word.h"
#include "flow_table.h"
#include "instance.h"
#include "pindir.h"

/* Per-CPU values are summed field by field: every counter struct is made
 * of __u64 fields only. */
struct percpu_reader {
	int cpus;
	__u64 *scratch;                 /* room for the widest value on every CPU */
};

static int percpu_sum(const struct percpu_reader *pr, int fd, __u32 key, void *sum,
		      size_t size)
{
	size_t fields = size / sizeof(__u64);
	__u64 *out = sum;

	if (bpf_map_lookup_elem(fd, &key, pr->scratch))
		return -errno;
	memset(out, 0, size);
	for (int cpu = 0; cpu < pr->cpus; cpu++)
		for (size_t f = 0; f < fields; f++)
			out[f] += pr->scratch[(size_t)cpu * fields + f];
	return 0;
}

static void backend_view(const struct backend *b, __u32 color, __u32 slot,
			 struct bgx_backend_view *v)
{
	memset(v, 0, sizeof(*v));
	format_endpoint(b->addr, b->port, b->family, v->address, sizeof(v->address));
	memcpy(v->ep.addr, b->addr, BGXDP_ADDR_LEN);
	v->ep.port = ntohs(b->port);
	v->ep.family = b->family;
	v->color = (__u8)color;
	v->state = b->state;
	v->weight = b->weight;
	v->slot = slot;
}

static int service_backends(struct bgx_instance *in, struct bgx_service_view *sv,
			    struct backend *bk, const struct percpu_reader *pr,
			    struct bgx_err *e)
{
	int r;

	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		if ((r = color_backends_read(in, sv->id, c, bk, e)))
			return r;
		for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++) {
			struct bgx_backend_view *v = &sv->backends[sv->n_backends];

			if (bk[s].state == BACKEND_EMPTY)
				continue;
			backend_view(&bk[s], c, s, v);
			sv->n_backends++;
			if (pr && ((r = percpu_sum(pr, map_fd(in, MAP_backend_counters),
						   backend_index(sv->id, c, s), &v->counters,
						   sizeof(v->counters))) ||
				   (r = percpu_sum(pr, map_fd(in, MAP_backend_connect),
						   backend_index(sv->id, c, s), &v->connect,
						   sizeof(v->connect)))))
				return bgx_fail(e, r, "cannot read the counters: %s", strerror(-r));
		}
	}
	return 0;
}

static int service_view(struct bgx_instance *in, __u32 id, const struct svc_meta *m,
			struct bgx_service_view *sv, struct backend *bk,
			const struct percpu_reader *pr, struct bgx_err *e)
{
	__u64 word = svc_word(in, id);
	int r;

	memset(sv, 0, sizeof(*sv));
	sv->id = id;
	snprintf(sv->name, sizeof(sv->name), "%s", m->name);
	format_endpoint(m->vip.addr, m->vip.port, m->vip.family, sv->vip, sizeof(sv->vip));
	if (m->preview.family)
		format_endpoint(m->preview.addr, m->preview.port, m->preview.family,
				sv->preview, sizeof(sv->preview));
	sv->proto = m->vip.proto;
	sv->affinity_client = word & CFG_AFFINITY_CLIENT;
	sv->word = word;
	sv->generation = cfg_generation(word);
	sv->changes = m->changes;
	sv->last_change_unix_ns = m->last_change_unix_ns;
	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		sv->colors[c].share_bp = bgx_word_color_share(word, c);
		if (pr && (r = percpu_sum(pr, map_fd(in, MAP_color_counters), color_index(id, c),
					  &sv->colors[c].counters,
					  sizeof(sv->colors[c].counters))))
			return bgx_fail(e, r, "cannot read the counters: %s", strerror(-r));
	}
	return service_backends(in, sv, bk, pr, e);
}

static int snapshot_services(struct bgx_instance *in, const char *only, __u32 only_id,
			     struct bgx_snapshot *snap, const struct percpu_reader *pr,
			     struct bgx_err *e)
{
	struct backend *bk = calloc(BGXDP_MAX_BACKENDS, sizeof(*bk));
	int r = bk ? 0 : bgx_fail(e, ENOMEM, "out of memory");

	for (__u32 id = 0; id < BGXDP_MAX_SERVICES && !r; id++) {
		struct svc_meta m;

		if (only && id != only_id)
			continue;
		if ((r = svc_meta_read(in, id, &m, e)) || m.in_use == SVC_FREE)
			continue;
		r = service_view(in, id, &m, &snap->services[snap->n_services], bk, pr, e);
		snap->n_services += !r;
	}
	free(bk);
	return r;
}

static int snapshot_live_flows(struct bgx_instance *in, struct bgx_snapshot *snap,
			       struct bgx_err *e)
{
	__u64 (*live)[BGXDP_COLORS] = calloc(BGXDP_MAX_SERVICES, sizeof(*live));
	int r = live ? flows_count_live(in, live, e) : bgx_fail(e, ENOMEM, "out of memory");

	for (__u32 s = 0; s < snap->n_services && !r; s++)
		for (__u32 c = 0; c < BGXDP_COLORS; c++)
			snap->services[s].colors[c].live_flows = live[snap->services[s].id][c];
	free(live);
	return r;
}

static int snapshot_passed(struct bgx_instance *in, struct bgx_snapshot *snap,
			   const struct percpu_reader *pr, struct bgx_err *e)
{
	for (__u32 reason = 0; reason < PASS_REASONS; reason++) {
		int r = percpu_sum(pr, map_fd(in, MAP_passed_counters), reason,
				   &snap->passed[reason], sizeof(snap->passed[reason]));

		if (r)
			return bgx_fail(e, r, "cannot read the counters: %s", strerror(-r));
	}
	return 0;
}

static int percpu_reader_init(struct percpu_reader *pr, struct bgx_err *e)
{
	pr->cpus = libbpf_num_possible_cpus();
	if (pr->cpus <= 0)
		return bgx_fail(e, pr->cpus ? pr->cpus : -EINVAL, "cannot count possible CPUs");
	/* Room for the widest per-CPU value: struct backend_connect. */
	_Static_assert(sizeof(struct backend_connect) >= sizeof(struct color_counters) &&
		       sizeof(struct backend_connect) >= sizeof(struct backend_counters),
		       "scratch holds every per-CPU value");
	pr->scratch = calloc((size_t)pr->cpus, sizeof(struct backend_connect));
	return pr->scratch ? 0 : bgx_fail(e, ENOMEM, "out of memory");
}

int bgx_snapshot(struct bgx_instance *in, unsigned int parts, const char *only,
		 struct bgx_snapshot **out, struct bgx_err *e)
{
	struct bgx_snapshot *snap = calloc(1, sizeof(*snap));
	struct percpu_reader pr = { 0 };
	bool counters = parts & BGX_SNAP_COUNTERS;
	__u32 only_id = BGXDP_MAX_SERVICES;
	struct svc_meta m;
	int r = 0;

	*out = NULL;
	if (!snap)
		return bgx_fail(e, ENOMEM, "out of memory");
	snprintf(snap->pin_dir, sizeof(snap->pin_dir), "%s", in->pin_dir);
	if (only)
		r = svc_find(in, only, &only_id, &m, e);
	if (!r && counters)
		r = percpu_reader_init(&pr, e);
	if (!r && in->dir_fd >= 0) {
		struct pindir_link links[BGXDP_MAX_TX_PORTS];
		int n = pindir_links(in->dir_fd, in->pin_dir, links, BGXDP_MAX_TX_PORTS);

		for (int i = 0; i < n; i++) {
			str_copy(snap->ifaces[i].name, sizeof(snap->ifaces[i].name), links[i].ifname);
			snap->ifaces[i].ifindex = links[i].ifindex;
		}
		snap->n_ifaces = n > 0 ? n : 0;
	}
	if (!r)
		r = snapshot_services(in, only, only_id, snap, counters ? &pr : NULL, e);
	if (!r && (parts & BGX_SNAP_FLOWS))
		r = snapshot_live_flows(in, snap, e);
	if (!r && counters)
		r = snapshot_passed(in, snap, &pr, e);
	free(pr.scratch);
	if (r) {
		free(snap);
		return r;
	}
	*out = snap;
	return 0;
}
