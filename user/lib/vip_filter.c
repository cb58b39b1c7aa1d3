// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "bgxdp_hash.h"
#include "instance.h"

static void filter_set(struct vip_filter *filter, const struct vip_key *key)
{
	__u32 bit = bgxdp_vip_filter_bit(key);

	filter->words[bit / 64] |= 1ull << (bit % 64);
}

static int filter_write(struct bgx_instance *in, const struct vip_filter *filter,
			struct bgx_err *e)
{
	__u32 zero = 0;

	/* Words that keep their value are rewritten with the same bytes, so a
	 * packet reading during the copy never sees a live VIP's bit clear. */
	if (bpf_map_update_elem(map_fd(in, MAP_vip_filter), &zero, filter, BPF_ANY))
		return bgx_fail(e, errno, "cannot update map vip_filter: %s", strerror(errno));
	return 0;
}

int vip_filter_add(struct bgx_instance *in, const struct vip_key *key, struct bgx_err *e)
{
	struct vip_filter filter;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(map_fd(in, MAP_vip_filter), &zero, &filter))
		return bgx_fail(e, errno, "cannot read map vip_filter: %s", strerror(errno));
	if (!filter.enabled)            /* first use: start from the services map */
		return vip_filter_rebuild(in, e) ?: vip_filter_add(in, key, e);
	filter_set(&filter, key);
	return filter_write(in, &filter, e);
}

int vip_filter_rebuild(struct bgx_instance *in, struct bgx_err *e)
{
	int fd = map_fd(in, MAP_services);
	struct vip_filter filter = { .enabled = 1 };
	struct vip_key key, next, *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		filter_set(&filter, &key);
	}
	if (errno != ENOENT)
		return bgx_fail(e, errno, "cannot read map services: %s", strerror(errno));
	return filter_write(in, &filter, e);
}
