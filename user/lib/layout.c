// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "instance.h"
#include "layout.h"
#include "pindir.h"

/* Sized by `attach --flows` when the instance is created. */
static bool resizable(const char *name)
{
	return !strcmp(name, "flows") || !strcmp(name, "halfopen");
}

static const char refuse_hint[] = "detach and attach again to start a new instance";

/* .rodata, .bss, .data: per-load sections, never pinned. */
static bool map_is_pinned_kind(const struct bpf_map *map)
{
	return bpf_map__name(map)[0] != '.';
}

static const char *type_name(enum bpf_map_type t)
{
	const char *n = libbpf_bpf_map_type_str(t);

	return n ? n : "unknown";
}

static int differs(const char *name, const char *what, unsigned long long pinned,
		   unsigned long long built, struct bgx_err *e)
{
	return bgx_fail(e, EINVAL, "map '%s' %s is %llu in the pinned instance, %llu in this build: %s",
		       name, what, pinned, built, refuse_hint);
}

/* The kernel makes every devmap read-only to programs on its own; that
 * flag is not part of the layout a build asks for. */
static __u32 pinned_flags(const struct bpf_map_info *info)
{
	if (info->type == BPF_MAP_TYPE_DEVMAP || info->type == BPF_MAP_TYPE_DEVMAP_HASH)
		return info->map_flags & ~(__u32)BPF_F_RDONLY_PROG;
	return info->map_flags;
}

static int check_one(const struct bpf_map *map, int dir_fd, const char *pin_dir,
		     struct bgx_err *e)
{
	const char *name = bpf_map__name(map);
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd, r = 0;

	if (faccessat(dir_fd, name, F_OK, 0))
		return bgx_fail(e, EINVAL, "map '%s' is in this build but not in the pinned instance %s: %s",
			       name, pin_dir, refuse_hint);
	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return bgx_fail(e, errno, "cannot open pinned map %s: %s", path, strerror(errno));
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		r = bgx_fail(e, errno, "%s is not a BPF map: %s", path, strerror(errno));
		goto out;
	}
	if (info.type != bpf_map__type(map))
		r = bgx_fail(e, EINVAL, "map '%s' type is %s in the pinned instance, %s in this build: %s",
			    name, type_name(info.type), type_name(bpf_map__type(map)), refuse_hint);
	else if (info.key_size != bpf_map__key_size(map))
		r = differs(name, "key size", info.key_size, bpf_map__key_size(map), e);
	else if (info.value_size != bpf_map__value_size(map))
		r = differs(name, "value size", info.value_size, bpf_map__value_size(map), e);
	else if (info.max_entries != bpf_map__max_entries(map) && !resizable(name))
		r = differs(name, "max_entries", info.max_entries, bpf_map__max_entries(map), e);
	else if (pinned_flags(&info) != bpf_map__map_flags(map))
		r = bgx_fail(e, EINVAL, "map '%s' flags are 0x%x in the pinned instance, 0x%x in this build: %s",
			    name, pinned_flags(&info), bpf_map__map_flags(map), refuse_hint);
out:
	close(fd);
	return r;
}

/* A pinned map this build does not have would be orphaned by an upgrade. */
struct known_ctx {
	struct bpf_object *obj;
	const char *pin_dir;
	struct bgx_err *e;
};

static int check_known(int dir_fd, const char *name, void *ctx)
{
	struct known_ctx *k = ctx;

	(void)dir_fd;
	if (name[0] == '.' || pindir_is_prog_or_link(name) ||
	    bpf_object__find_map_by_name(k->obj, name))
		return 0;
	return bgx_fail(k->e, EINVAL, "map '%s' is pinned in the instance %s but this build has no such map: %s",
			name, k->pin_dir, refuse_hint);
}

static int check_pinned_known(struct bpf_object *obj, int dir_fd, const char *pin_dir,
			      struct bgx_err *e)
{
	struct known_ctx k = { .obj = obj, .pin_dir = pin_dir, .e = e };
	int r = pindir_for_each(dir_fd, check_known, &k);

	if (r && !(e && e->code))
		return bgx_fail(e, r, "cannot read %s: %s", pin_dir, strerror(-r));
	return r;
}

int layout_check(struct bpf_object *obj, int dir_fd, const char *pin_dir, struct bgx_err *e)
{
	struct bpf_map *map;
	int r;

	bpf_object__for_each_map(map, obj) {
		if (!map_is_pinned_kind(map))
			continue;
		if ((r = check_one(map, dir_fd, pin_dir, e)))
			return r;
	}
	return check_pinned_known(obj, dir_fd, pin_dir, e);
}
