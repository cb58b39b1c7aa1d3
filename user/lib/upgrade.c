// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * upgrade.c - a new build's programs over the pinned maps, swapped in on
 * every attached interface without a gap, all or nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp.skel.h"
#include "instance.h"
#include "layout.h"
#include "pindir.h"
#include "tc.h"
#include "upgrade.h"

/* New program pins are made under this suffix, then renamed over the old. */
#define PIN_TMP_SUFFIX "_new"   /* bpffs refuses names with a dot */

/* One attached interface, as the upgrade found it and changed it. */
struct iface_swap {
	char name[IF_NAMESIZE];
	__u32 ifindex;
	int link_fd;
	__u32 old_xdp_id, old_tc_id;
	int old_xdp_fd, old_tc_fd;      /* held, so a roll back can use them */
	bool xdp_swapped, tc_swapped;
};

struct upgrade {
	struct bgxdp *skel;
	struct iface_swap ifs[BGXDP_MAX_TX_PORTS];
	int nifs;
	int old_xdp_fd, old_tc_fd;      /* the pinned programs before */
	__u32 old_xdp_pin_id, old_tc_pin_id, new_xdp_id, new_tc_id;
};

static __u32 prog_id_of(int fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static int pinned_prog_fd(const struct bgx_instance *in, const char *name, __u32 *id,
			  struct bgx_err *e)
{
	char path[PATH_MAX];
	int fd;

	instance_path(in, name, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return bgx_fail(e, errno, "cannot open pinned program %s: %s", path, strerror(errno));
	*id = prog_id_of(fd);
	return fd;
}

/* Every pinned XDP link whose interface still exists, with its program. */
static int find_links(const struct bgx_instance *in, struct upgrade *u, struct bgx_err *e)
{
	struct pindir_link links[BGXDP_MAX_TX_PORTS + 1];
	int n = pindir_links(in->dir_fd, in->pin_dir, links, BGXDP_MAX_TX_PORTS + 1);
	char path[PATH_MAX];

	if (n < 0)
		return bgx_fail(e, n, "cannot read %s: %s", in->pin_dir, strerror(-n));
	if (n > BGXDP_MAX_TX_PORTS)
		return bgx_fail(e, E2BIG, "more than %d attached interfaces", BGXDP_MAX_TX_PORTS);
	for (int i = 0; i < n; i++) {
		struct iface_swap *s = &u->ifs[u->nifs];

		if (!links[i].ifindex)  /* interface gone: nothing runs there */
			continue;
		if (snprintf(path, sizeof(path), "%s/" LINK_XDP_PREFIX "%s", in->pin_dir,
			     links[i].ifname) >= (int)sizeof(path))
			return bgx_fail(e, ENAMETOOLONG, "pin dir %s: path too long", in->pin_dir);
		s->link_fd = bpf_obj_get(path);
		if (s->link_fd < 0)
			return bgx_fail(e, errno, "cannot open the XDP link %s: %s", path,
					strerror(errno));
		str_copy(s->name, sizeof(s->name), links[i].ifname);
		s->ifindex = links[i].ifindex;
		s->old_xdp_id = links[i].prog_id;
		s->old_tc_fd = -1;
		s->old_xdp_fd = bpf_prog_get_fd_by_id(links[i].prog_id);
		u->nifs++;
		if (s->old_xdp_fd < 0)
			return bgx_fail(e, errno, "cannot open the XDP program %u of %s: %s",
					links[i].prog_id, s->name, strerror(errno));
	}
	return 0;
}

/* Put every interface back on the programs it ran before (best effort:
 * called on a failure, the first error is what the user sees). */
static void roll_back(struct upgrade *u)
{
	for (int i = u->nifs - 1; i >= 0; i--) {
		struct iface_swap *s = &u->ifs[i];

		if (s->tc_swapped && s->old_tc_fd >= 0)
			tc_swap(s->ifindex, s->old_tc_fd, true);
		if (s->xdp_swapped)
			bpf_link_update(s->link_fd, s->old_xdp_fd, NULL);
		s->tc_swapped = s->xdp_swapped = false;
	}
}

int upgrade_pin_replace(const struct bgx_instance *in, const char *name, int prog_fd,
			struct bgx_err *e)
{
	char tmp[64], path[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s" PIN_TMP_SUFFIX, name);
	unlinkat(in->dir_fd, tmp, 0);   /* left by an upgrade that was killed */
	instance_path(in, tmp, path, sizeof(path));
	if (bpf_obj_pin(prog_fd, path))
		return bgx_fail(e, errno, "cannot pin %s: %s", path, strerror(errno));
	if (renameat(in->dir_fd, tmp, in->dir_fd, name)) {
		int err = errno;

		unlinkat(in->dir_fd, tmp, 0);
		return bgx_fail(e, err, "cannot rename %s to %s: %s", path, name, strerror(err));
	}
	return 0;
}

/* This build's object over the pinned maps (after the layout check). */
static int load_over_pins(const struct bgx_instance *in, struct upgrade *u, bool check_only,
			  struct bgx_err *e)
{
	struct bpf_map *map;
	char path[PATH_MAX];
	int r;

	u->skel = bgxdp__open();
	if (!u->skel)
		return bgx_fail(e, errno, "cannot open the BPF object: %s", strerror(errno));
	if ((r = layout_check(u->skel->obj, in->dir_fd, in->pin_dir, e)) || check_only)
		return r;
	bpf_object__for_each_map(map, u->skel->obj) {
		int fd;

		if (bpf_map__name(map)[0] == '.')
			continue;
		instance_path(in, bpf_map__name(map), path, sizeof(path));
		fd = bpf_obj_get(path);
		if (fd < 0)
			return bgx_fail(e, errno, "cannot open pinned map %s: %s", path, strerror(errno));
		r = bpf_map__reuse_fd(map, fd);
		close(fd);
		if (r)
			return bgx_fail(e, r, "cannot reuse pinned map %s: %s", path, strerror(-r));
	}
	if ((r = bgxdp__load(u->skel)))
		return bgx_fail(e, r, "cannot load the new BPF programs: %s", strerror(-r));
	u->new_xdp_id = prog_id_of(bpf_program__fd(u->skel->progs.xdp_ingress));
	u->new_tc_id = prog_id_of(bpf_program__fd(u->skel->progs.tc_egress));
	return 0;
}

static int swap_xdp(struct upgrade *u, struct bgx_err *e)
{
	int xdp_fd = bpf_program__fd(u->skel->progs.xdp_ingress);

	for (int i = 0; i < u->nifs; i++) {
		struct iface_swap *s = &u->ifs[i];

		if (bpf_link_update(s->link_fd, xdp_fd, NULL))
			return bgx_fail(e, errno, "cannot swap the XDP program of %s: %s", s->name,
					strerror(errno));
		s->xdp_swapped = true;
	}
	return 0;
}

static int swap_tc(struct upgrade *u, struct bgx_err *e)
{
	int tc_fd = bpf_program__fd(u->skel->progs.tc_egress);
	int r;

	for (int i = 0; i < u->nifs; i++) {
		struct iface_swap *s = &u->ifs[i];

		s->old_tc_fd = tc_current(s->ifindex, &s->old_tc_id);
		if (s->old_tc_id && s->old_tc_fd < 0)
			return bgx_fail(e, errno, "cannot open the tc program %u of %s: %s",
					s->old_tc_id, s->name, strerror(errno));
		if ((r = tc_swap(s->ifindex, tc_fd, s->old_tc_id != 0)))
			return bgx_fail(e, r, "cannot replace the tc egress filter of %s: %s", s->name,
					strerror(-r));
		s->tc_swapped = true;
	}
	return 0;
}

/* XDP links first (bpf_link_update swaps the program in place), then the tc
 * filters, then the program pins that later attaches use. */
static int swap_all(const struct bgx_instance *in, struct upgrade *u, struct bgx_err *e)
{
	int r;

	if ((r = swap_xdp(u, e)) || (r = swap_tc(u, e)))
		return r;
	if ((r = upgrade_pin_replace(in, PROG_XDP_PIN, bpf_program__fd(u->skel->progs.xdp_ingress),
				     e)))
		return r;
	if ((r = upgrade_pin_replace(in, PROG_TC_PIN, bpf_program__fd(u->skel->progs.tc_egress),
				     e))) {
		upgrade_pin_replace(in, PROG_XDP_PIN, u->old_xdp_fd, NULL);
		return r;
	}
	return 0;
}

static void fill_result(const struct upgrade *u, struct bgx_upgrade_result *res)
{
	memset(res, 0, sizeof(*res));
	res->old_xdp_id = u->old_xdp_pin_id;
	res->new_xdp_id = u->new_xdp_id;
	res->old_tc_id = u->old_tc_pin_id;
	res->new_tc_id = u->new_tc_id;
	res->n_ifaces = u->nifs;
	for (int i = 0; i < u->nifs; i++) {
		str_copy(res->ifaces[i].name, sizeof(res->ifaces[i].name), u->ifs[i].name);
		res->ifaces[i].old_xdp_id = u->ifs[i].old_xdp_id;
		res->ifaces[i].old_tc_id = u->ifs[i].old_tc_id;
	}
}

static void upgrade_release(struct upgrade *u)
{
	for (int i = 0; i < u->nifs; i++) {
		close(u->ifs[i].link_fd);
		if (u->ifs[i].old_xdp_fd >= 0)
			close(u->ifs[i].old_xdp_fd);
		if (u->ifs[i].old_tc_fd >= 0)
			close(u->ifs[i].old_tc_fd);
	}
	if (u->old_xdp_fd >= 0)
		close(u->old_xdp_fd);
	if (u->old_tc_fd >= 0)
		close(u->old_tc_fd);
	bgxdp__destroy(u->skel);
}

int upgrade_locked(const struct bgx_instance *in, bool check_only,
		   struct bgx_upgrade_result *res, struct bgx_err *e)
{
	struct upgrade u;
	int r;

	memset(&u, 0, sizeof(u));
	u.old_xdp_fd = u.old_tc_fd = -1;
	memset(res, 0, sizeof(*res));
	if (!instance_exists(in)) {
		r = bgx_fail(e, ENOENT, "no bgxdp instance at %s (run 'bgxdp attach IFACE' first)",
			     in->pin_dir);
		goto out;
	}
	if ((r = load_over_pins(in, &u, check_only, e)) || check_only)
		goto out;
	if ((u.old_xdp_fd = pinned_prog_fd(in, PROG_XDP_PIN, &u.old_xdp_pin_id, e)) < 0 ||
	    (u.old_tc_fd = pinned_prog_fd(in, PROG_TC_PIN, &u.old_tc_pin_id, e)) < 0) {
		r = u.old_xdp_fd < 0 ? u.old_xdp_fd : u.old_tc_fd;
		goto out;
	}
	if ((r = find_links(in, &u, e)))
		goto out;
	if ((r = swap_all(in, &u, e))) {
		roll_back(&u);
		goto out;
	}
	fill_result(&u, res);
	bgx_log(BGX_LOG_INFO, "upgrade: %d interface(s) on xdp program %u, tc program %u",
		u.nifs, u.new_xdp_id, u.new_tc_id);
out:
	upgrade_release(&u);
	return r;
}

int bgx_upgrade(const char *pin_dir, bool check_only, struct bgx_upgrade_result *res,
		struct bgx_err *e)
{
	struct bgx_instance in;
	int r = instance_lock_dir(&in, pin_dir, false, true, e);

	if (!r)
		r = upgrade_locked(&in, check_only, res, e);
	instance_release(&in);
	return r;
}
