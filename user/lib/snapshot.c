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

static void backend_view(const struct backend *b, __u32 color, __u32 slot, bool fails_open,
			 struct bgx_backend_view *v)
{
	memset(v, 0, sizeof(*v));
	format_endpoint(b->addr, b->port, b->family, v->address, sizeof(v->address));
	memcpy(v->ep.addr, b->addr, BGXDP_ADDR_LEN);
	v->ep.port = ntohs(b->port);
	v->ep.family = b->family;
	v->color = (__u8)color;
	v->state = b->state;
	v->health = b->health;
	v->takes_flows = bgx_backend_takes_flows(b, fails_open);
	v->weight = b->weight;
	v->slot = slot;
}

/* A color fails over when it should get new flows and has backends the
 * operator put in rotation, but health took them all out while the other
 * color serves: the data plane then sends its new flows to the other. */
static void derive_failover(struct bgx_service_view *sv)
{
	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		struct bgx_color_view *cv = &sv->colors[c];

		cv->failover = cv->share_bp && cv->admin_up && !cv->in_ring &&
			       sv->colors[c ^ 1].in_ring;
	}
}

static int service_backends(struct bgx_instance *in, struct bgx_service_view *sv,
			    struct backend (*bk)[BGXDP_MAX_BACKENDS],
			    const struct percpu_reader *pr, struct bgx_err *e)
{
	int r;

	for (__u32 c = 0; c < BGXDP_COLORS; c++)
		if ((r = color_backends_read(in, sv->id, c, bk[c], e)))
			return r;
	sv->fails_open = bgx_health_fails_open(bk[BGXDP_BLUE], bk[BGXDP_GREEN]);
	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++) {
			struct bgx_backend_view *v = &sv->backends[sv->n_backends];

			if (bk[c][s].state == BACKEND_EMPTY)
				continue;
			backend_view(&bk[c][s], c, s, sv->fails_open, v);
			sv->n_backends++;
			sv->colors[c].admin_up += v->state == BACKEND_UP;
			sv->colors[c].in_ring += v->takes_flows;
			if (pr && ((r = percpu_sum(pr, map_fd(in, MAP_backend_counters),
						   backend_index(sv->id, c, s), &v->counters,
						   sizeof(v->counters))) ||
				   (r = percpu_sum(pr, map_fd(in, MAP_backend_connect),
						   backend_index(sv->id, c, s), &v->connect,
						   sizeof(v->connect)))))
				return bgx_fail(e, r, "cannot read the counters: %s", strerror(-r));
		}
	}
	derive_failover(sv);
	return 0;
}

static int service_view(struct bgx_instance *in, __u32 id, const struct svc_meta *m,
			struct bgx_service_view *sv, struct backend (*bk)[BGXDP_MAX_BACKENDS],
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
	struct backend (*bk)[BGXDP_MAX_BACKENDS] = calloc(BGXDP_COLORS, sizeof(*bk));
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
	struct flow_counts *fc = calloc(1, sizeof(*fc));
	int r = fc ? flows_count_live(in, fc, e) : bgx_fail(e, ENOMEM, "out of memory");

	for (__u32 i = 0; i < snap->n_services && !r; i++) {
		struct bgx_service_view *sv = &snap->services[i];

		for (__u32 c = 0; c < BGXDP_COLORS; c++)
			for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++) {
				sv->colors[c].live_flows += fc->live[sv->id][c][s];
				sv->colors[c].open_flows += fc->open[sv->id][c][s];
			}
		for (__u32 b = 0; b < sv->n_backends; b++) {
			struct bgx_backend_view *v = &sv->backends[b];

			v->live_flows = fc->live[sv->id][v->color][v->slot];
			v->open_flows = fc->open[sv->id][v->color][v->slot];
		}
	}
	free(fc);
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
