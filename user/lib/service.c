// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* service.c - services: their metadata, config word, and add / del. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "config_word.h"
#include "flow_table.h"
#include "instance.h"

int svc_meta_read(struct bgx_instance *in, __u32 id, struct svc_meta *meta, struct bgx_err *e)
{
	if (bpf_map_lookup_elem(map_fd(in, MAP_svc_meta), &id, meta))
		return bgx_fail(e, errno, "cannot read svc_meta[%u]: %s", id, strerror(errno));
	return 0;
}

int svc_meta_write(struct bgx_instance *in, __u32 id, const struct svc_meta *meta,
		   struct bgx_err *e)
{
	if (bpf_map_update_elem(map_fd(in, MAP_svc_meta), &id, meta, BPF_ANY))
		return bgx_fail(e, errno, "cannot write svc_meta[%u]: %s", id, strerror(errno));
	return 0;
}

int svc_find(struct bgx_instance *in, const char *name, __u32 *id, struct svc_meta *meta,
	     struct bgx_err *e)
{
	struct svc_meta m;
	int found = 0, r;

	for (__u32 i = 0; i < BGXDP_MAX_SERVICES; i++) {
		if ((r = svc_meta_read(in, i, &m, e)))
			return r;
		if (!m.in_use)
			continue;
		if (name && strncmp(m.name, name, BGXDP_NAME_LEN))
			continue;
		if (found++ == 0) {
			*id = i;
			*meta = m;
		}
		if (name)
			break;
	}
	if (!found)
		return name ? bgx_fail(e, ENOENT, "no service named '%s' (see 'bgxdp status')", name)
			    : bgx_fail(e, ENOENT, "no service configured (add one with 'bgxdp service add')");
	if (found > 1)
		return bgx_fail(e, EINVAL, "%d services configured: say which one with --service NAME",
				found);
	return 0;
}

__u64 svc_word(const struct bgx_instance *in, __u32 id)
{
	return cfg_read(&in->cfg[id]);
}

void svc_publish(struct bgx_instance *in, __u32 id, __u64 word)
{
	cfg_publish(&in->cfg[id], word);
}

__u32 bgx_word_color_share(__u64 word, __u32 color)
{
	__u32 g = cfg_green_share(word);

	if (g > BGXDP_SHARE_SCALE)
		g = BGXDP_SHARE_SCALE;
	return color == BGXDP_GREEN ? g : BGXDP_SHARE_SCALE - g;
}

/* ---- service add ---- */

static int zero_percpu(int fd, __u32 key, size_t value_size)
{
	int ncpu = libbpf_num_possible_cpus();
	size_t sz = ((value_size + 7) & ~(size_t)7) * (size_t)(ncpu > 0 ? ncpu : 1);
	void *z = calloc(1, sz);
	int r = 0;

	if (!z)
		return -ENOMEM;
	if (bpf_map_update_elem(fd, &key, z, BPF_ANY))
		r = -errno;
	free(z);
	return r;
}

/* Backend slots of service `id` emptied (its word is 0: nothing reads them). */
static int clear_slots(struct bgx_instance *in, __u32 id, struct bgx_err *e)
{
	struct backend zero = { 0 };

	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++) {
			__u32 k = backend_index(id, c, s);

			if (bpf_map_update_elem(map_fd(in, MAP_backends), &k, &zero, BPF_ANY))
				return bgx_fail(e, errno, "cannot clear backends[%u]: %s", k,
						strerror(errno));
		}
	}
	return 0;
}

/* Counters of a slot a new service takes start from zero (best effort: a
 * stale counter is a wrong figure, not a wrong packet). */
static void clear_counters(struct bgx_instance *in, __u32 id)
{
	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		zero_percpu(map_fd(in, MAP_color_counters), color_index(id, c),
			    sizeof(struct color_counters));
		for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++)
			zero_percpu(map_fd(in, MAP_backend_counters), backend_index(id, c, s),
				    sizeof(struct backend_counters));
	}
}

/* A free slot for `spec`, refusing a name or address in use. */
static int find_free_slot(struct bgx_instance *in, const struct bgx_service_spec *spec,
			  const struct vip_key *vk, const struct vip_key *pk, __u32 *id,
			  struct bgx_err *e)
{
	char text[BGX_ADDRESS_LEN];
	struct vip_value vv;
	struct svc_meta m;
	int r;

	*id = BGXDP_MAX_SERVICES;
	for (__u32 i = 0; i < BGXDP_MAX_SERVICES; i++) {
		if ((r = svc_meta_read(in, i, &m, e)))
			return r;
		if (!m.in_use) {
			if (*id == BGXDP_MAX_SERVICES)
				*id = i;
			continue;
		}
		if (!strncmp(m.name, spec->name, BGXDP_NAME_LEN))
			return bgx_fail(e, EEXIST, "service '%s' already exists", spec->name);
	}
	if (!bpf_map_lookup_elem(map_fd(in, MAP_services), vk, &vv)) {
		format_endpoint(vk->addr, vk->port, vk->family, text, sizeof(text));
		return bgx_fail(e, EEXIST, "--vip %s (%s) is already used by another service",
				text, proto_name(spec->proto));
	}
	if (spec->has_preview && !bpf_map_lookup_elem(map_fd(in, MAP_services), pk, &vv)) {
		format_endpoint(pk->addr, pk->port, pk->family, text, sizeof(text));
		return bgx_fail(e, EEXIST, "--preview %s (%s) is already used by another service",
				text, proto_name(spec->proto));
	}
	if (*id == BGXDP_MAX_SERVICES)
		return bgx_fail(e, ENOSPC, "all %d service slots are in use (delete one with 'bgxdp service del')",
				BGXDP_MAX_SERVICES);
	return 0;
}

/* The VIP (and preview address) into the services map, the filter first:
 * a superset is harmless, a gap is not. */
static int insert_addresses(struct bgx_instance *in, __u32 id, const struct vip_key *vk,
			    const struct vip_key *pk, struct bgx_err *e)
{
	struct vip_value vv = { .service_id = id };
	int r;

	if ((r = vip_filter_add(in, vk, e)) || (pk && (r = vip_filter_add(in, pk, e))))
		return r;
	instance_step(in, "service.add", "filter-set");
	if (bpf_map_update_elem(map_fd(in, MAP_services), vk, &vv, BPF_NOEXIST))
		return bgx_fail(e, errno, "cannot add the VIP to map services: %s", strerror(errno));
	instance_step(in, "service.add", "vip-inserted");
	if (pk) {
		vv.flags = VIP_FLAG_PREVIEW;
		if (bpf_map_update_elem(map_fd(in, MAP_services), pk, &vv, BPF_NOEXIST)) {
			r = bgx_fail(e, errno, "cannot add the preview address to map services: %s",
				     strerror(errno));
			bpf_map_delete_elem(map_fd(in, MAP_services), vk);
			return r;
		}
	}
	return 0;
}

int bgx_service_add(struct bgx_instance *in, const struct bgx_service_spec *spec,
		    struct bgx_err *e)
{
	struct vip_key vk, pk;
	struct svc_meta nm;
	__u32 id;
	int r;

	if ((r = instance_must_write(in, e)))
		return r;
	endpoint_to_vip_key(&spec->vip, spec->proto, &vk);
	if (spec->has_preview)
		endpoint_to_vip_key(&spec->preview, spec->proto, &pk);
	if ((r = find_free_slot(in, spec, &vk, &pk, &id, e)))
		return r;
	/* Slot id is not live (word 0): clear it, write meta, then the VIP
	 * entries, and publish the word last. */
	svc_publish(in, id, 0);
	if ((r = clear_slots(in, id, e)))
		return r;
	clear_counters(in, id);
	memset(&nm, 0, sizeof(nm));
	snprintf(nm.name, sizeof(nm.name), "%s", spec->name);
	nm.vip = vk;
	if (spec->has_preview)
		nm.preview = pk;
	nm.in_use = SVC_LIVE;
	nm.affinity_client = spec->affinity_client;
	if ((r = svc_meta_write(in, id, &nm, e)))
		return r;
	instance_step(in, "service.add", "meta-written");
	if ((r = insert_addresses(in, id, &vk, spec->has_preview ? &pk : NULL, e))) {
		memset(&nm, 0, sizeof(nm));
		svc_meta_write(in, id, &nm, NULL);
		return r;
	}
	instance_step(in, "service.add", "addresses-inserted");
	svc_publish(in, id, cfg_next_generation(CFG_CONFIGURED |
						(spec->affinity_client ? CFG_AFFINITY_CLIENT : 0)));
	bgx_log(BGX_LOG_INFO, "service %s: slot %u, published", spec->name, id);
	return 0;
}

/* ---- service del ---- */

static int delete_address(struct bgx_instance *in, const struct vip_key *key, const char *what,
			  struct bgx_err *e)
{
	if (bpf_map_delete_elem(map_fd(in, MAP_services), key) && errno != ENOENT)
		return bgx_fail(e, errno, "cannot remove the %s from map services: %s", what,
				strerror(errno));
	return 0;
}

int bgx_service_del(struct bgx_instance *in, const char *name, struct bgx_err *e)
{
	struct svc_meta m;
	__u32 id;
	int r;

	if ((r = instance_must_write(in, e)) || (r = svc_find(in, name, &id, &m, e)))
		return r;
	/* Marked first, so a writer killed from here on is finished by the
	 * next one (bgx_recover); then unpublished: new flows to the VIP pass
	 * untouched from now on. */
	m.in_use = SVC_DELETING;
	if ((r = svc_meta_write(in, id, &m, e)))
		return r;
	instance_step(in, "service.del", "marked");
	svc_publish(in, id, 0);
	instance_step(in, "service.del", "unpublished");
	if ((r = delete_address(in, &m.vip, "VIP", e)) ||
	    (m.preview.family && (r = delete_address(in, &m.preview, "preview address", e))))
		return r;
	instance_step(in, "service.del", "addresses-deleted");
	if ((r = vip_filter_rebuild(in, e)) || (r = flows_purge_service(in, id, e)) ||
	    (r = clear_slots(in, id, e)) || (r = endpoint_release_service(in, id, e)))
		return r;
	instance_step(in, "service.del", "slots-cleared");
	memset(&m, 0, sizeof(m));
	if ((r = svc_meta_write(in, id, &m, e)))
		return r;
	bgx_log(BGX_LOG_INFO, "service %s: deleted from slot %u", name, id);
	return 0;
}
