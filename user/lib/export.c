// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * export.c - the live state of an instance as a declarative model
 * (desired.h): what `export` and `save` write and what `apply` diffs
 * against.  Exporting and applying the result changes nothing.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "desired.h"
#include "export.h"
#include "health_store.h"
#include "instance.h"
#include "pindir.h"

/* The mode the kernel reports an interface's XDP program in. */
static __u8 live_mode(__u32 ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query((int)ifindex, 0, &q))
		return BGX_XDP_AUTO;
	if (q.attach_mode == XDP_ATTACHED_DRV)
		return BGX_XDP_NATIVE;
	if (q.attach_mode == XDP_ATTACHED_SKB)
		return BGX_XDP_GENERIC;
	return BGX_XDP_AUTO;
}

static void export_interfaces(struct bgx_instance *in, struct bgx_desired *d)
{
	struct pindir_link links[BGXDP_MAX_TX_PORTS];
	int n = pindir_links(in->dir_fd, in->pin_dir, links, BGXDP_MAX_TX_PORTS);

	for (int i = 0; i < n; i++) {
		struct bgx_desired_iface *f = &d->ifaces[d->n_ifaces];

		if (!links[i].ifindex)  /* gone: nothing to attach again */
			continue;
		str_copy(f->name, sizeof(f->name), links[i].ifname);
		f->mode = live_mode(links[i].ifindex);
		d->n_ifaces++;
	}
}

/* The flow table's size and the fast-path devices. */
static int export_instance(struct bgx_instance *in, struct bgx_desired *d, struct bgx_err *e)
{
	struct bpf_map_info info;
	struct instance_settings set;
	__u32 len = sizeof(info), key, next, *prev = NULL, zero = 0;
	int fd;

	memset(&info, 0, sizeof(info));
	if ((fd = map_fd(in, MAP_flows)) < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return bgx_fail(e, errno, "cannot read the flow table's size: %s", strerror(errno));
	d->flows = info.max_entries;
	d->fast_path_set = true;
	if ((fd = map_fd(in, MAP_settings)) < 0 || bpf_map_lookup_elem(fd, &zero, &set))
		return bgx_fail(e, errno, "cannot read the settings map: %s", strerror(errno));
	if (!(set.flags & SETTINGS_FAST_PATH))
		return 0;
	if ((fd = map_fd(in, MAP_tx_ports)) < 0)
		return bgx_fail(e, fd, "cannot open the tx_ports map: %s", strerror(-fd));
	while (d->n_fast_path < BGX_MAX_IFACES && !bpf_map_get_next_key(fd, prev, &next)) {
		char name[IF_NAMESIZE];

		key = next;
		prev = &key;
		if (if_indextoname(key, name))
			str_copy(d->fast_path[d->n_fast_path++].name, BGX_IFNAME_LEN, name);
	}
	return 0;
}

static void export_backends(const struct bgx_service_view *sv, struct bgx_desired_service *s)
{
	for (__u32 b = 0; b < sv->n_backends; b++) {
		const struct bgx_backend_view *v = &sv->backends[b];
		struct bgx_desired_backend *o = &s->backends[v->color][s->n_backends[v->color]++];

		o->ep = v->ep;
		o->weight = v->weight;
		o->state = v->state;
	}
}

static int export_services(struct bgx_instance *in, const char *state_dir,
			   struct bgx_desired *d, struct bgx_err *e)
{
	struct bgx_snapshot *snap;
	int r = bgx_snapshot(in, BGX_SNAP_CONFIG, NULL, &snap, e);

	for (__u32 i = 0; !r && i < snap->n_services; i++) {
		const struct bgx_service_view *sv = &snap->services[i];
		struct bgx_desired_service *s = &d->services[d->n_services++];
		struct svc_meta m;

		if ((r = svc_meta_read(in, sv->id, &m, e)))
			break;
		str_copy(s->def.name, sizeof(s->def.name), sv->name);
		vip_key_to_endpoint(&m.vip, &s->def.vip);
		if (m.preview.family)
			vip_key_to_endpoint(&m.preview, &s->def.preview);
		s->def.proto = sv->proto;
		s->def.affinity_client = sv->affinity_client;
		s->green_bp = sv->colors[BGXDP_GREEN].share_bp;
		export_backends(sv, s);
		if (state_dir)
			r = health_store_read(state_dir, sv->name, &s->health, e);
	}
	free(snap);
	return r;
}

int bgx_export(struct bgx_instance *in, const char *state_dir, struct bgx_desired *d,
	       struct bgx_err *e)
{
	int r;

	bgx_desired_init(d);
	snprintf(d->source, sizeof(d->source), "live");
	if (in->dir_fd >= 0)
		export_interfaces(in, d);
	if ((r = export_instance(in, d, e)) || (r = export_services(in, state_dir, d, e)))
		return r;
	bgx_desired_canonicalize(d);
	return 0;
}
