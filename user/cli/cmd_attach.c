// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* attach / detach: XDP ingress link + tc egress filter per interface. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp.skel.h"
#include "commands.h"
#include "instance.h"
#include "layout.h"
#include "util.h"

#define TC_HANDLE   0xb6
#define TC_PRIORITY 0xb6
#define MAX_IFACES  BGXDP_MAX_TX_PORTS
/* New program pins are made under this suffix, then renamed over the old. */
#define PIN_TMP_SUFFIX "_new"   /* bpffs refuses names with a dot */

static const char *const mode_choices[] = { "native", "generic", "auto", NULL };

static const struct opt_def attach_opts[] = {
	{ .name = "mode", .type = OPT_ENUM, .metavar = "native|generic|auto", .def = "auto",
	  .choices = mode_choices,
	  .help = "XDP attach mode: native (driver), generic (skb), or auto (native, else generic)." },
	{ .name = "flows", .type = OPT_UINT, .metavar = "N", .def = "262144",
	  .min = 1024, .max = 67108864,
	  .help = "Size of the flow table, fixed when the instance is "
		  "created by the first attach; ignored later.  The kernel accounts "
		  "136 bytes per flow (the default takes ~34 MiB).  When the table is "
		  "full the least recently used flows are evicted (counted in "
		  "bgxdp_flows_lost_total when they speak again)." },
	{ .name = "fast-path", .type = OPT_STRING, .metavar = "DEV[,DEV...]",
	  .help = "Forward VIP packets routed out of one of these interfaces with an XDP "
		  "redirect instead of the stack (see FAST PATH above)." },
	{ .name = "replace", .type = OPT_FLAG,
	  .help = "IFACE is attached already: swap in this build's programs, keeping the "
		  "pinned maps (same as 'bgxdp upgrade')." },
	{ 0 }
};

static const struct opt_def upgrade_opts[] = {
	{ .name = "check", .type = OPT_FLAG,
	  .help = "Only compare the map layouts and say whether an upgrade would go ahead; "
		  "change nothing." },
	{ 0 }
};

static const struct arg_def iface_arg[] = {
	{ "IFACE", "Network interface, e.g. eth0." },
	{ 0 }
};

static int pin_remove_all(int dir_fd)
{
	DIR *d;
	struct dirent *e;
	int fd = dup(dir_fd), r = 0;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	rewinddir(d);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dir_fd, e->d_name, 0) && errno != ENOENT)
			r = -errno;
	}
	closedir(d);
	return r;
}

static int count_links(int dir_fd)
{
	DIR *d;
	struct dirent *e;
	int fd = dup(dir_fd), n = 0;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	rewinddir(d);
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, LINK_XDP_PREFIX, strlen(LINK_XDP_PREFIX));
	closedir(d);
	return n;
}

/* First attach: load the skeleton, pin maps and programs. */
static int instance_create(struct instance *in, unsigned long long flows)
{
	struct bgxdp *skel;
	char path[PATH_MAX];
	struct bpf_map *map;
	int r;

	skel = bgxdp__open();
	if (!skel)
		return err_set(errno, "cannot open the BPF object: %s", strerror(errno));
	if ((r = bpf_map__set_max_entries(skel->maps.flows, (__u32)flows))) {
		bgxdp__destroy(skel);
		return err_set(r, "cannot size the flow tables to %llu: %s", flows, strerror(-r));
	}
	r = bgxdp__load(skel);
	if (r) {
		bgxdp__destroy(skel);
		return err_set(r, "cannot load the BPF programs: %s (is this kernel new enough, and are you root?)",
			       strerror(-r));
	}
	bpf_object__for_each_map(map, skel->obj) {
		const char *name = bpf_map__name(map);

		if (name[0] == '.')     /* .rodata, .bss: not part of the contract */
			continue;
		instance_path(in, name, path, sizeof(path));
		r = bpf_map__pin(map, path);
		if (r) {
			err_set(r, "cannot pin map %s: %s", path, strerror(-r));
			goto fail;
		}
	}
	instance_path(in, PROG_XDP_PIN, path, sizeof(path));
	if ((r = bpf_program__pin(skel->progs.xdp_ingress, path))) {
		err_set(r, "cannot pin program %s: %s", path, strerror(-r));
		goto fail;
	}
	instance_path(in, PROG_TC_PIN, path, sizeof(path));
	if ((r = bpf_program__pin(skel->progs.tc_egress, path))) {
		err_set(r, "cannot pin program %s: %s", path, strerror(-r));
		goto fail;
	}
	bgxdp__destroy(skel);
	return 0;
fail:
	pin_remove_all(in->dir_fd);
	bgxdp__destroy(skel);
	return r;
}

/* ---- fast path: the `settings` flag and the `tx_ports` devmap ---------- */

struct fast_path {
	int n;
	__u32 ifindex[MAX_IFACES];
	bool added[MAX_IFACES];         /* not in tx_ports before this attach */
	struct instance_settings old;
	int settings_fd, tx_fd;
};

/* "eth1,eth2" -> ifindexes.  Every name is checked before anything changes. */
static int fast_path_parse(const char *list, struct fast_path *fp)
{
	char buf[MAX_IFACES * (IFNAMSIZ + 1)];
	char *save = NULL;

	memset(fp, 0, sizeof(*fp));
	fp->settings_fd = fp->tx_fd = -1;
	if (strlen(list) >= sizeof(buf))
		return err_set(EINVAL, "--fast-path: list too long (at most %d interfaces)", MAX_IFACES);
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *dev = strtok_r(buf, ",", &save); dev; dev = strtok_r(NULL, ",", &save)) {
		unsigned int ifindex;

		if (strlen(dev) >= IFNAMSIZ || !(ifindex = if_nametoindex(dev)))
			return err_set(ENODEV, "--fast-path: no interface named '%s'", dev);
		if (fp->n == MAX_IFACES)
			return err_set(EINVAL, "--fast-path: at most %d interfaces", MAX_IFACES);
		fp->ifindex[fp->n++] = ifindex;
	}
	if (!fp->n)
		return err_set(EINVAL, "--fast-path: expected DEV[,DEV...], got '%s'", list);
	return 0;
}

static void fast_path_close(struct fast_path *fp)
{
	if (fp->settings_fd >= 0)
		close(fp->settings_fd);
	if (fp->tx_fd >= 0)
		close(fp->tx_fd);
	fp->settings_fd = fp->tx_fd = -1;
}

/* Undo fast_path_enable (this attach failed after it). */
static void fast_path_undo(struct fast_path *fp)
{
	__u32 key = 0;

	if (fp->settings_fd >= 0)
		bpf_map_update_elem(fp->settings_fd, &key, &fp->old, BPF_ANY);
	for (int i = 0; i < fp->n && fp->tx_fd >= 0; i++)
		if (fp->added[i])
			bpf_map_delete_elem(fp->tx_fd, &fp->ifindex[i]);
}

static int pinned_map_fd(const struct instance *in, const char *name)
{
	char path[PATH_MAX];
	int fd;

	instance_path(in, name, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return err_set(errno, "cannot open pinned map %s: %s", path, strerror(errno));
	return fd;
}

/* Devices first, then the flag: the program never sees the flag set with
 * an empty devmap. */
static int fast_path_enable(const struct instance *in, struct fast_path *fp)
{
	struct instance_settings now;
	__u32 key = 0, v;
	int r;

	if ((fp->settings_fd = pinned_map_fd(in, "settings")) < 0)
		return fp->settings_fd;
	if ((fp->tx_fd = pinned_map_fd(in, "tx_ports")) < 0)
		return fp->tx_fd;
	if (bpf_map_lookup_elem(fp->settings_fd, &key, &fp->old))
		return err_set(errno, "cannot read the settings map: %s", strerror(errno));
	for (int i = 0; i < fp->n; i++) {
		fp->added[i] = bpf_map_lookup_elem(fp->tx_fd, &fp->ifindex[i], &v) != 0;
		if (bpf_map_update_elem(fp->tx_fd, &fp->ifindex[i], &fp->ifindex[i], BPF_ANY)) {
			char name[IF_NAMESIZE] = "?";

			r = errno;
			if_indextoname(fp->ifindex[i], name);
			fp->added[i] = false;
			fast_path_undo(fp);
			return err_set(r, "--fast-path: cannot add %s to the tx_ports devmap: %s",
				       name, strerror(r));
		}
	}
	now = fp->old;
	now.flags |= SETTINGS_FAST_PATH;
	if (bpf_map_update_elem(fp->settings_fd, &key, &now, BPF_ANY)) {
		r = errno;
		fast_path_undo(fp);
		return err_set(r, "cannot write the settings map: %s", strerror(r));
	}
	return 0;
}

/* ---- upgrade: a new build's programs over the pinned maps -------------- */

/* One attached interface, as the upgrade found it and changed it. */
struct iface_swap {
	char name[IFNAMSIZ];
	__u32 ifindex;
	int link_fd;
	__u32 old_xdp_id, old_tc_id;
	int old_xdp_fd, old_tc_fd;      /* held, so a roll back can use them */
	bool xdp_swapped, tc_swapped;
};

struct upgrade {
	struct bgxdp *skel;
	struct iface_swap ifs[MAX_IFACES];
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

static int pinned_prog_fd(const struct instance *in, const char *name, __u32 *id)
{
	char path[PATH_MAX];
	int fd;

	instance_path(in, name, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return err_set(errno, "cannot open pinned program %s: %s", path, strerror(errno));
	*id = prog_id_of(fd);
	return fd;
}

/* Every pinned XDP link whose interface still exists. */
static int upgrade_find_links(const struct instance *in, struct upgrade *u)
{
	size_t plen = strlen(LINK_XDP_PREFIX);
	struct dirent *e;
	int fd = dup(in->dir_fd), r = 0;
	DIR *d;

	if (fd < 0)
		return err_set(errno, "cannot read %s: %s", in->pin_dir, strerror(errno));
	d = fdopendir(fd);
	if (!d) {
		r = err_set(errno, "cannot read %s: %s", in->pin_dir, strerror(errno));
		close(fd);
		return r;
	}
	rewinddir(d);
	while (!r && (e = readdir(d))) {
		struct iface_swap *s = &u->ifs[u->nifs];
		struct bpf_link_info info;
		__u32 len = sizeof(info);
		char path[PATH_MAX];

		if (strncmp(e->d_name, LINK_XDP_PREFIX, plen))
			continue;
		if (u->nifs == MAX_IFACES) {
			r = err_set(E2BIG, "more than %d attached interfaces", MAX_IFACES);
			break;
		}
		instance_path(in, e->d_name, path, sizeof(path));
		s->link_fd = bpf_obj_get(path);
		if (s->link_fd < 0) {
			r = err_set(errno, "cannot open the XDP link %s: %s", path, strerror(errno));
			break;
		}
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(s->link_fd, &info, &len)) {
			r = err_set(errno, "cannot read the XDP link %s: %s", path, strerror(errno));
			close(s->link_fd);
			break;
		}
		if (!info.xdp.ifindex) {        /* interface gone: nothing runs there */
			close(s->link_fd);
			continue;
		}
		snprintf(s->name, sizeof(s->name), "%s", e->d_name + plen);
		s->ifindex = info.xdp.ifindex;
		s->old_xdp_id = info.prog_id;
		s->old_xdp_fd = bpf_prog_get_fd_by_id(info.prog_id);
		s->old_tc_fd = -1;
		u->nifs++;
		if (s->old_xdp_fd < 0)
			r = err_set(errno, "cannot open the XDP program %u of %s: %s", info.prog_id,
				    s->name, strerror(errno));
	}
	closedir(d);
	return r;
}

static void tc_ids(__u32 ifindex, struct bpf_tc_hook *hook, struct bpf_tc_opts *o)
{
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = (int)ifindex;
	hook->attach_point = BPF_TC_EGRESS;
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->handle = TC_HANDLE;
	o->priority = TC_PRIORITY;
}

/* The program of the tc egress filter: its id and an fd (-1, id 0: none). */
static int tc_current(__u32 ifindex, __u32 *id)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts o;

	tc_ids(ifindex, &hook, &o);
	*id = bpf_tc_query(&hook, &o) ? 0 : o.prog_id;
	return *id ? bpf_prog_get_fd_by_id(*id) : -1;
}

/* Replace the tc egress filter's program with prog_fd: one netlink request,
 * the filter stays in place, so no reply ever passes unrewritten.  A filter
 * someone removed is created again. */
static int tc_swap(__u32 ifindex, int prog_fd, bool exists)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts o;

	tc_ids(ifindex, &hook, &o);
	o.prog_fd = prog_fd;
	o.flags = exists ? BPF_TC_F_REPLACE : 0;
	return bpf_tc_attach(&hook, &o);
}

/* Put every interface back on the programs it ran before (best effort:
 * called on a failure, the first error is what the user sees). */
static void upgrade_roll_back(struct upgrade *u)
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

/* Pin prog_fd as `name` atomically: pin under a temporary name, rename(2)
 * over the old pin, so there is always a pin and it is always whole. */
static int pin_replace(const struct instance *in, const char *name, int prog_fd)
{
	char tmp[64], path[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s" PIN_TMP_SUFFIX, name);
	unlinkat(in->dir_fd, tmp, 0);   /* left by an upgrade that was killed */
	instance_path(in, tmp, path, sizeof(path));
	if (bpf_obj_pin(prog_fd, path))
		return err_set(errno, "cannot pin %s: %s", path, strerror(errno));
	if (renameat(in->dir_fd, tmp, in->dir_fd, name)) {
		int e = errno;

		unlinkat(in->dir_fd, tmp, 0);
		return err_set(e, "cannot rename %s to %s: %s", path, name, strerror(e));
	}
	return 0;
}

static int upgrade_load(const struct instance *in, struct upgrade *u, bool check_only)
{
	struct bpf_map *map;
	char path[PATH_MAX];
	int r;

	u->skel = bgxdp__open();
	if (!u->skel)
		return err_set(errno, "cannot open the BPF object: %s", strerror(errno));
	if ((r = layout_check(u->skel->obj, in->dir_fd, in->pin_dir)) || check_only)
		return r;
	bpf_object__for_each_map(map, u->skel->obj) {
		int fd;

		if (bpf_map__name(map)[0] == '.')
			continue;
		instance_path(in, bpf_map__name(map), path, sizeof(path));
		fd = bpf_obj_get(path);
		if (fd < 0)
			return err_set(errno, "cannot open pinned map %s: %s", path, strerror(errno));
		r = bpf_map__reuse_fd(map, fd);
		close(fd);
		if (r)
			return err_set(r, "cannot reuse pinned map %s: %s", path, strerror(-r));
	}
	if ((r = bgxdp__load(u->skel)))
		return err_set(r, "cannot load the new BPF programs: %s", strerror(-r));
	u->new_xdp_id = prog_id_of(bpf_program__fd(u->skel->progs.xdp_ingress));
	u->new_tc_id = prog_id_of(bpf_program__fd(u->skel->progs.tc_egress));
	return 0;
}

/* XDP links first (bpf_link_update swaps the program in place), then the tc
 * filters, then the program pins that later attaches use. */
static int upgrade_swap(const struct instance *in, struct upgrade *u)
{
	int xdp_fd = bpf_program__fd(u->skel->progs.xdp_ingress);
	int tc_fd = bpf_program__fd(u->skel->progs.tc_egress);
	int r;

	for (int i = 0; i < u->nifs; i++) {
		struct iface_swap *s = &u->ifs[i];

		if (bpf_link_update(s->link_fd, xdp_fd, NULL))
			return err_set(errno, "cannot swap the XDP program of %s: %s", s->name,
				       strerror(errno));
		s->xdp_swapped = true;
	}
	for (int i = 0; i < u->nifs; i++) {
		struct iface_swap *s = &u->ifs[i];

		s->old_tc_fd = tc_current(s->ifindex, &s->old_tc_id);
		if (s->old_tc_id && s->old_tc_fd < 0)
			return err_set(errno, "cannot open the tc program %u of %s: %s",
				       s->old_tc_id, s->name, strerror(errno));
		if ((r = tc_swap(s->ifindex, tc_fd, s->old_tc_id != 0)))
			return err_set(r, "cannot replace the tc egress filter of %s: %s", s->name,
				       strerror(-r));
		s->tc_swapped = true;
	}
	if ((r = pin_replace(in, PROG_XDP_PIN, xdp_fd)))
		return r;
	if ((r = pin_replace(in, PROG_TC_PIN, tc_fd))) {
		pin_replace(in, PROG_XDP_PIN, u->old_xdp_fd);
		return r;
	}
	return 0;
}

static void upgrade_report(const struct instance *in, const struct upgrade *u)
{
	printf("upgraded %s: xdp program %u -> %u, tc program %u -> %u; maps kept\n",
	       in->pin_dir, u->old_xdp_pin_id, u->new_xdp_id, u->old_tc_pin_id, u->new_tc_id);
	for (int i = 0; i < u->nifs; i++)
		printf("  %s: xdp %u -> %u, tc %u -> %u\n", u->ifs[i].name, u->ifs[i].old_xdp_id,
		       u->new_xdp_id, u->ifs[i].old_tc_id, u->new_tc_id);
}

/* The instance is locked.  All or nothing: on a failure every interface
 * is put back on its old programs. */
static int instance_upgrade(const struct instance *in, bool check_only)
{
	struct upgrade u;
	int r;

	memset(&u, 0, sizeof(u));
	u.old_xdp_fd = u.old_tc_fd = -1;
	if (!instance_exists(in)) {
		r = err_set(ENOENT, "no bgxdp instance at %s (run 'bgxdp attach IFACE' first)",
			    in->pin_dir);
		goto out;
	}
	if ((r = upgrade_load(in, &u, check_only)))
		goto out;
	if (check_only) {
		printf("%s: the map layout of this build matches; an upgrade would keep every map\n",
		       in->pin_dir);
		goto out;
	}
	if ((u.old_xdp_fd = pinned_prog_fd(in, PROG_XDP_PIN, &u.old_xdp_pin_id)) < 0 ||
	    (u.old_tc_fd = pinned_prog_fd(in, PROG_TC_PIN, &u.old_tc_pin_id)) < 0) {
		r = u.old_xdp_fd < 0 ? u.old_xdp_fd : u.old_tc_fd;
		goto out;
	}
	if ((r = upgrade_find_links(in, &u)))
		goto out;
	if ((r = upgrade_swap(in, &u))) {
		upgrade_roll_back(&u);
		goto out;
	}
	upgrade_report(in, &u);
out:
	for (int i = 0; i < u.nifs; i++) {
		close(u.ifs[i].link_fd);
		if (u.ifs[i].old_xdp_fd >= 0)
			close(u.ifs[i].old_xdp_fd);
		if (u.ifs[i].old_tc_fd >= 0)
			close(u.ifs[i].old_tc_fd);
	}
	if (u.old_xdp_fd >= 0)
		close(u.old_xdp_fd);
	if (u.old_tc_fd >= 0)
		close(u.old_tc_fd);
	bgxdp__destroy(u.skel);
	return r;
}

static int run_upgrade(const struct opts *o)
{
	struct instance in;
	int r;

	if ((r = instance_lock_dir(&in, instance_pin_dir(o), false, true)) == 0)
		r = instance_upgrade(&in, opt_flag(o, "check"));
	instance_close(&in);
	return r;
}

/* attach IFACE --replace: IFACE is attached; upgrade the whole instance
 * (every interface shares its programs).  With --fast-path, the devices are
 * added too, and taken out again if the upgrade fails. */
static int attach_replace(const struct opts *o, const char *ifname, const char *linkname,
			  struct fast_path *fp)
{
	struct instance in;
	int r;

	if ((r = instance_lock_dir(&in, instance_pin_dir(o), false, true)))
		goto out;
	if (faccessat(in.dir_fd, linkname, F_OK, 0)) {
		r = err_set(ENOENT, "%s is not attached (no pin %s/%s): --replace swaps the programs "
			    "of an attached interface; attach it without --replace",
			    ifname, in.pin_dir, linkname);
		goto out;
	}
	if (fp && (r = fast_path_enable(&in, fp)))
		goto out;
	if ((r = instance_upgrade(&in, false)) && fp)
		fast_path_undo(fp);
	if (!r && fp)
		printf("fast path: VIP packets routed out of %s are redirected by XDP\n",
		       opt_str(o, "fast-path"));
out:
	if (fp)
		fast_path_close(fp);
	instance_close(&in);
	return r;
}

static int run_attach(const struct opts *o)
{
	const char *ifname = o->pos[0], *mode = opt_str(o, "mode");
	unsigned long long flows = opt_uint(o, "flows");
	const char *fast_list = opt_str(o, "fast-path");
	char path[PATH_MAX], linkname[64];
	struct instance in;
	struct fast_path fp = { .settings_fd = -1, .tx_fd = -1 };
	bool created = false, hook_created = false, fast_set = false;
	int xdp_fd = -1, tc_fd = -1, link_fd = -1, r;
	unsigned int ifindex;
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tco, .handle = TC_HANDLE, .priority = TC_PRIORITY);

	if (strlen(ifname) >= IFNAMSIZ || !(ifindex = if_nametoindex(ifname)))
		return err_set(ENODEV, "no interface named '%s'", ifname);
	if (fast_list && (r = fast_path_parse(fast_list, &fp)))
		return r;
	snprintf(linkname, sizeof(linkname), LINK_XDP_PREFIX "%s", ifname);

	if (opt_flag(o, "replace"))
		return attach_replace(o, ifname, linkname, fast_list ? &fp : NULL);
	if ((r = instance_lock_dir(&in, instance_pin_dir(o), true, true)))
		goto out;
	if (faccessat(in.dir_fd, linkname, F_OK, 0) == 0) {
		r = err_set(EEXIST, "%s is already attached (pin %s/%s exists; 'bgxdp detach %s' first, "
			    "or 'bgxdp attach %s --replace' to swap in this build's programs)",
			    ifname, in.pin_dir, linkname, ifname, ifname);
		goto out;
	}
	if (!instance_exists(&in)) {
		created = true;
		if ((r = instance_create(&in, flows)))
			goto out;
	}
	if (fast_list) {
		if ((r = fast_path_enable(&in, &fp)))
			goto out;
		fast_set = true;
	}
	instance_path(&in, PROG_XDP_PIN, path, sizeof(path));
	if ((xdp_fd = bpf_obj_get(path)) < 0) {
		r = err_set(errno, "cannot open pinned program %s: %s", path, strerror(errno));
		goto out;
	}
	instance_path(&in, PROG_TC_PIN, path, sizeof(path));
	if ((tc_fd = bpf_obj_get(path)) < 0) {
		r = err_set(errno, "cannot open pinned program %s: %s", path, strerror(errno));
		goto out;
	}

	/* XDP link */
	{
		const bool native = !strcmp(mode, "native"), generic = !strcmp(mode, "generic");
		LIBBPF_OPTS(bpf_link_create_opts, lo);

		lo.flags = generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
		link_fd = bpf_link_create(xdp_fd, (int)ifindex, BPF_XDP, &lo);
		if (link_fd < 0 && !native && !generic) {
			lo.flags = XDP_FLAGS_SKB_MODE;
			link_fd = bpf_link_create(xdp_fd, (int)ifindex, BPF_XDP, &lo);
		}
		if (link_fd < 0) {
			int e = errno;

			r = err_set(e, "cannot attach XDP (%s mode) to %s: %s%s", mode, ifname,
				    strerror(e),
				    e == EBUSY || e == EEXIST ?
				    " (another XDP program is attached; remove it first)" :
				    native && e == EOPNOTSUPP ? " (driver has no native XDP; try --mode generic)" : "");
			goto out;
		}
	}
	/* tc egress */
	hook.ifindex = (int)ifindex;
	r = bpf_tc_hook_create(&hook);
	if (r && r != -EEXIST) {
		err_set(r, "cannot create the clsact qdisc on %s: %s", ifname, strerror(-r));
		goto out;
	}
	hook_created = !r;
	tco.prog_fd = tc_fd;
	r = bpf_tc_attach(&hook, &tco);
	if (r) {
		err_set(r, "cannot attach the tc egress filter to %s: %s%s", ifname, strerror(-r),
			r == -EEXIST ? " (a filter with handle 0xb6 priority 0xb6 exists)" : "");
		goto out;
	}
	instance_path(&in, linkname, path, sizeof(path));
	if (bpf_obj_pin(link_fd, path)) {
		r = err_set(errno, "cannot pin the XDP link at %s: %s", path, strerror(errno));
		LIBBPF_OPTS(bpf_tc_opts, d, .handle = TC_HANDLE, .priority = TC_PRIORITY);
		bpf_tc_detach(&hook, &d);
		goto out;
	}
	printf("attached to %s (ifindex %u), pin dir %s\n", ifname, ifindex, in.pin_dir);
	if (fast_set)
		printf("fast path: VIP packets routed out of %s are redirected by XDP\n", fast_list);
	r = 0;
out:
	if (r && fast_set && !created)
		fast_path_undo(&fp);
	fast_path_close(&fp);
	if (r && hook_created) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
	if (link_fd >= 0)
		close(link_fd);         /* unpinned on failure: this detaches XDP */
	if (xdp_fd >= 0)
		close(xdp_fd);
	if (tc_fd >= 0)
		close(tc_fd);
	if (r && created) {
		pin_remove_all(in.dir_fd);
		unlinkat(AT_FDCWD, in.pin_dir, AT_REMOVEDIR);
	}
	instance_close(&in);
	return r;
}

static int run_detach(const struct opts *o)
{
	const char *ifname = o->pos[0];
	char linkname[64];
	struct instance in;
	unsigned int ifindex;
	int r, n;

	/* Linux interface names never hold '/' (or start with '.'): the
	 * name becomes part of a pin path. */
	if (!*ifname || strlen(ifname) >= IFNAMSIZ || strchr(ifname, '/') || ifname[0] == '.')
		return err_set(ENODEV, "no interface named '%s'", ifname);
	snprintf(linkname, sizeof(linkname), LINK_XDP_PREFIX "%s", ifname);
	if ((r = instance_lock_dir(&in, instance_pin_dir(o), false, true)))
		goto out;
	if (faccessat(in.dir_fd, linkname, F_OK, 0)) {
		r = err_set(ENOENT, "%s is not attached (no pin %s/%s)", ifname, in.pin_dir, linkname);
		goto out;
	}
	ifindex = if_nametoindex(ifname);
	if (ifindex) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex, .attach_point = BPF_TC_EGRESS);
		LIBBPF_OPTS(bpf_tc_opts, tco, .handle = TC_HANDLE, .priority = TC_PRIORITY);

		r = bpf_tc_detach(&hook, &tco);
		if (r && r != -ENOENT && r != -EINVAL) {
			err_set(r, "cannot remove the tc egress filter from %s: %s", ifname, strerror(-r));
			goto out;
		}
	}
	/* removing the pin drops the last reference: the XDP link goes away */
	if (unlinkat(in.dir_fd, linkname, 0)) {
		r = err_set(errno, "cannot remove %s/%s: %s", in.pin_dir, linkname, strerror(errno));
		goto out;
	}
	n = count_links(in.dir_fd);
	if (n == 0) {
		r = pin_remove_all(in.dir_fd);
		if (r) {
			err_set(r, "cannot remove the pins in %s: %s", in.pin_dir, strerror(-r));
			goto out;
		}
		if (rmdir(in.pin_dir)) {
			r = err_set(errno, "cannot remove %s: %s", in.pin_dir, strerror(errno));
			goto out;
		}
		printf("detached from %s; last interface: instance %s removed\n", ifname, in.pin_dir);
	} else {
		printf("detached from %s; %d interface%s still attached\n", ifname, n, n == 1 ? "" : "s");
	}
	r = 0;
out:
	instance_close(&in);
	return r;
}

const struct cmd_spec cmd_attach = {
	.name = "attach",
	.summary = "attach the XDP ingress and tc egress programs to an interface",
	.synopsis = "IFACE [--mode native|generic|auto] [--flows N] [--fast-path DEV[,DEV...]] [--replace]",
	.description =
"  Attaches bgxdp to IFACE: the XDP program on ingress (as a pinned bpf_link,\n"
"  <pin-dir>/link_xdp_IFACE) and the tc program on egress (clsact qdisc,\n"
"  filter handle 0xb6 priority 0xb6, direct action).\n"
"  The first attach creates the instance: it loads the programs, and pins every\n"
"  map at <pin-dir>/<map name> and the programs at <pin-dir>/prog_xdp_ingress and\n"
"  <pin-dir>/prog_tc_egress (pin dir mode 0700).  Later attaches reuse the pinned\n"
"  programs, so all interfaces share the same services, backends and flows.\n"
"  If /sys/fs/bpf is not mounted and the pin dir is under it, bpffs is mounted.\n"
"  A new instance needs an empty pin dir of its own; a pin dir (or a parent)\n"
"  writable by group or others, or owned by another user, is refused (pins are\n"
"  created 0600 in a 0700 dir).  Needs CAP_BPF and CAP_NET_ADMIN.\n"
"  On failure, everything this attach did is undone.\n"
"\n"
"  FAST PATH (--fast-path DEV[,DEV...]): after rewriting a VIP packet, the XDP\n"
"  program asks the kernel's FIB where the packet goes.  If it would be\n"
"  forwarded out of one of the DEVs, the program rewrites the MAC addresses,\n"
"  decrements the TTL (IPv4) or hop limit (IPv6) and redirects it there,\n"
"  skipping the stack; any other packet goes up the stack as before.  Each DEV\n"
"  must accept XDP frames: a NIC with native XDP, or a veth whose peer has an\n"
"  XDP program.  The setting and the DEVs (the `settings` and `tx_ports` maps)\n"
"  belong to the instance: later attaches add DEVs, and detaching the last\n"
"  interface clears them.  An unknown DEV is refused and nothing changes.\n"
"\n"
"  --replace: IFACE is attached already; swap in the programs of this bgxdp\n"
"  build without a gap, keeping the pinned maps, exactly as 'bgxdp upgrade'.\n",
	.args = iface_arg,
	.opts = attach_opts,
	.examples =
"  bgxdp attach eth0\n"
"  bgxdp attach veth0 --mode generic --pin-dir /sys/fs/bpf/bgxdp-test\n"
"  bgxdp attach eth0 --flows 1048576      # first attach: 1M-entry flow table\n"
"  bgxdp attach eth0 --fast-path eth1,eth2  # backends are behind eth1 and eth2\n"
"  bgxdp attach eth0 --replace             # new build, no downtime\n",
	.run = run_attach,
};

const struct cmd_spec cmd_upgrade = {
	.name = "upgrade",
	.summary = "swap in this build's programs without downtime, keeping the maps",
	.synopsis = "[--check]",
	.description =
"  Loads the XDP and tc programs of this bgxdp binary over the instance's pinned\n"
"  maps (services, backends, flows and counters are kept) and swaps them in on\n"
"  every attached interface without a gap: each pinned XDP link is updated in\n"
"  place (bpf_link_update) and each tc egress filter is replaced in one request\n"
"  (same handle 0xb6 and priority 0xb6).  Then the program pins are replaced\n"
"  (pinned under a temporary name and renamed), so later attaches use the new\n"
"  build.  Established flows keep their backends.  Prints the old and new\n"
"  program ids.\n"
"  The map layout of the pinned instance must match this build's (same maps,\n"
"  types, key and value sizes, sizes except the flow table's, and flags);\n"
"  otherwise the upgrade is refused, naming the first map that differs, and\n"
"  nothing changes: detach and attach again to start a new instance.  On any\n"
"  failure, every interface is put back on the programs it ran before.\n",
	.opts = upgrade_opts,
	.examples =
"  bgxdp upgrade --check     # would the layout allow it?\n"
"  bgxdp upgrade\n",
	.run = run_upgrade,
};

const struct cmd_spec cmd_detach = {
	.name = "detach",
	.summary = "detach bgxdp from an interface",
	.synopsis = "IFACE",
	.description =
"  Removes the tc egress filter (handle 0xb6, priority 0xb6) and the XDP link of\n"
"  IFACE; other tc filters are left alone.  Traffic then flows as if bgxdp were\n"
"  never there.  Detaching the last interface removes the whole instance: every\n"
"  pin (maps, programs) and the pin dir.  Detach also works when IFACE is gone.\n",
	.args = iface_arg,
	.examples = "  bgxdp detach eth0\n",
	.run = run_detach,
};
