// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "instance.h"

static void endpoint_key(const struct backend *be, __u8 proto, struct vip_key *key)
{
	memset(key, 0, sizeof(*key));
	memcpy(key->addr, be->addr, BGXDP_ADDR_LEN);
	key->port = be->port;
	key->proto = proto;
	key->family = be->family;
}

/* Does service `id` list the endpoint in either color? */
static bool service_lists(struct bgx_instance *in, __u32 id, const struct vip_key *key)
{
	struct svc_meta meta;
	struct backend be;

	if (id >= BGXDP_MAX_SERVICES || svc_meta_read(in, id, &meta, NULL) || !meta.in_use ||
	    meta.vip.proto != key->proto)
		return false;
	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++) {
			__u32 k = backend_index(id, c, s);

			if (bpf_map_lookup_elem(map_fd(in, MAP_backends), &k, &be))
				continue;
			if (be.state != BACKEND_EMPTY && be.family == key->family &&
			    be.port == key->port && !memcmp(be.addr, key->addr, BGXDP_ADDR_LEN))
				return true;
		}
	}
	return false;
}

/* Remove entries matching `pred`: entries of service `id`, or (id ==
 * BGXDP_MAX_SERVICES) every entry its service no longer lists. */
static int endpoint_sweep(struct bgx_instance *in, __u32 id, struct bgx_err *e)
{
	int fd = map_fd(in, MAP_backend_services);
	struct vip_key key, next, *prev = NULL;
	struct vip_key *doomed;
	size_t n = 0, cap = BGXDP_MAX_SERVICES * BGXDP_COLORS * BGXDP_MAX_BACKENDS;
	struct backend_service val;
	int r = 0;

	doomed = calloc(cap, sizeof(*doomed));
	if (!doomed)
		return bgx_fail(e, ENOMEM, "out of memory");
	/* Collect first: deleting while walking restarts the walk. */
	while (n < cap && !bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		if (id < BGXDP_MAX_SERVICES ? val.service_id == id
					    : !service_lists(in, val.service_id, &key))
			doomed[n++] = key;
	}
	for (size_t i = 0; i < n; i++) {
		if (bpf_map_delete_elem(fd, &doomed[i]) && errno != ENOENT) {
			r = bgx_fail(e, errno, "cannot update map backend_services: %s", strerror(errno));
			break;
		}
	}
	free(doomed);
	return r;
}

int endpoint_claim(struct bgx_instance *in, __u32 id, const struct svc_meta *meta,
		   const struct backend *be, const char *text, struct bgx_err *e)
{
	int fd = map_fd(in, MAP_backend_services);
	struct backend_service val = { 0 }, old;
	struct vip_key key;
	int r;

	endpoint_key(be, meta->vip.proto, &key);
	if (!bpf_map_lookup_elem(fd, &key, &old) && old.service_id != id &&
	    service_lists(in, old.service_id, &key)) {
		struct svc_meta other;

		if (svc_meta_read(in, old.service_id, &other, NULL))
			other.name[0] = 0;
		return bgx_fail(e, EADDRINUSE, "%s is a backend of service '%s' already; "
			       "a backend address and port can serve one service", text, other.name);
	}
	memcpy(val.vip, meta->vip.addr, BGXDP_ADDR_LEN);
	val.vip_port = meta->vip.port;
	if (meta->preview.family) {
		memcpy(val.preview, meta->preview.addr, BGXDP_ADDR_LEN);
		val.preview_port = meta->preview.port;
		val.has_preview = 1;
	}
	val.service_id = (__u16)id;
	if (!bpf_map_update_elem(fd, &key, &val, BPF_ANY))
		return 0;
	if (errno != E2BIG)
		return bgx_fail(e, errno, "cannot update map backend_services: %s", strerror(errno));
	/* Full of endpoints that no service lists any more: reclaim them. */
	if ((r = endpoint_sweep(in, BGXDP_MAX_SERVICES, e)))
		return r;
	if (bpf_map_update_elem(fd, &key, &val, BPF_ANY))
		return bgx_fail(e, errno, "cannot update map backend_services: %s", strerror(errno));
	return 0;
}

int endpoint_release_service(struct bgx_instance *in, __u32 id, struct bgx_err *e)
{
	return endpoint_sweep(in, id, e);
}
