// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "instance.h"
#include "pindir.h"

int pindir_for_each(int dir_fd, pindir_visit_fn visit, void *ctx)
{
	struct dirent *entry;
	int fd = dup(dir_fd), r = 0;
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	rewinddir(d);           /* the dup shares the offset with dir_fd */
	while (!r && (entry = readdir(d))) {
		if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, ".."))
			continue;
		r = visit(dir_fd, entry->d_name, ctx);
	}
	closedir(d);
	return r;
}

bool pindir_is_link(const char *name)
{
	return !strncmp(name, LINK_XDP_PREFIX, strlen(LINK_XDP_PREFIX));
}

bool pindir_is_prog_or_link(const char *name)
{
	return !strncmp(name, "prog_", 5) || pindir_is_link(name);
}

struct count_ctx {
	bool links_only;
	int n;
};

static int count_one(int dir_fd, const char *name, void *ctx)
{
	struct count_ctx *c = ctx;

	(void)dir_fd;
	c->n += !c->links_only || pindir_is_link(name);
	return 0;
}

int pindir_count(int dir_fd, bool links_only)
{
	struct count_ctx c = { .links_only = links_only };
	int r = pindir_for_each(dir_fd, count_one, &c);

	return r ? r : c.n;
}

static int remove_one(int dir_fd, const char *name, void *ctx)
{
	int *first_error = ctx;

	if (unlinkat(dir_fd, name, 0) && errno != ENOENT && !*first_error)
		*first_error = -errno;
	return 0;
}

int pindir_remove_all(int dir_fd)
{
	int first_error = 0;
	int r = pindir_for_each(dir_fd, remove_one, &first_error);

	return r ? r : first_error;
}

struct links_ctx {
	const char *pin_dir;
	struct pindir_link *links;
	int max, n;
};

static int link_one(int dir_fd, const char *name, void *ctx)
{
	struct links_ctx *c = ctx;
	struct pindir_link *l;
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int link_fd;

	(void)dir_fd;
	if (!pindir_is_link(name) || c->n >= c->max)
		return 0;
	l = &c->links[c->n++];
	memset(l, 0, sizeof(*l));
	snprintf(l->ifname, sizeof(l->ifname), "%s", name + strlen(LINK_XDP_PREFIX));
	if (snprintf(path, sizeof(path), "%s/%s", c->pin_dir, name) >= (int)sizeof(path))
		return 0;
	link_fd = bpf_obj_get(path);
	if (link_fd < 0)
		return 0;
	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(link_fd, &info, &len)) {
		l->ifindex = info.xdp.ifindex;
		l->prog_id = info.prog_id;
	}
	close(link_fd);
	return 0;
}

int pindir_links(int dir_fd, const char *pin_dir, struct pindir_link *links, int max)
{
	struct links_ctx c = { .pin_dir = pin_dir, .links = links, .max = max };
	int r = pindir_for_each(dir_fd, link_one, &c);

	return r ? r : c.n;
}
