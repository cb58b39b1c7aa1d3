// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "bgxdp_hash.h"
#include "util.h"
#include "vip_filter.h"

static void filter_set(struct vip_filter *filter, const struct vip_key *key)
{
	__u32 bit = bgxdp_vip_filter_bit(key);

	filter->words[bit / 64] |= 1ull << (bit % 64);
}

static int filter_write(struct instance *in, const struct vip_filter *filter)
{
	__u32 zero = 0;

	/* Words that keep their value are rewritten with the same bytes, so a
	 * packet reading during the copy never sees a live VIP's bit clear. */
	if (bpf_map_update_elem(in->map_fd[MAP_VIP_FILTER], &zero, filter, BPF_ANY))
		return err_set(errno, "cannot update map vip_filter: %s", strerror(errno));
	return 0;
}

int vip_filter_add(struct instance *in, const struct vip_key *key)
{
	struct vip_filter filter;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(in->map_fd[MAP_VIP_FILTER], &zero, &filter))
		return err_set(errno, "cannot read map vip_filter: %s", strerror(errno));
	if (!filter.enabled)            /* first use: start from the services map */
		return vip_filter_rebuild(in) ?: vip_filter_add(in, key);
	filter_set(&filter, key);
	return filter_write(in, &filter);
}

int vip_filter_rebuild(struct instance *in)
{
	int fd = in->map_fd[MAP_SERVICES];
	struct vip_filter filter = { .enabled = 1 };
	struct vip_key key, next, *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		filter_set(&filter, &key);
	}
	if (errno != ENOENT)
		return err_set(errno, "cannot read map services: %s", strerror(errno));
	return filter_write(in, &filter);
}
