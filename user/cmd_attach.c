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
#include "util.h"

#define TC_HANDLE   0xb6
#define TC_PRIORITY 0xb6

static const char *const mode_choices[] = { "native", "generic", "auto", NULL };

static const struct opt_def attach_opts[] = {
	{ .name = "mode", .type = OPT_ENUM, .metavar = "native|generic|auto", .def = "auto",
	  .choices = mode_choices,
	  .help = "XDP attach mode: native (driver), generic (skb), or auto (native, else generic)." },
	{ .name = "flows", .type = OPT_UINT, .metavar = "N", .def = "262144",
	  .min = 1024, .max = 67108864,
	  .help = "Size of the flow table, fixed when the instance is "
		  "created by the first attach; ignored later." },
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

static int run_attach(const struct opts *o)
{
	const char *ifname = o->pos[0], *mode = opt_str(o, "mode");
	unsigned long long flows = opt_uint(o, "flows");
	char path[PATH_MAX], linkname[64];
	struct instance in;
	bool created = false, hook_created = false;
	int xdp_fd = -1, tc_fd = -1, link_fd = -1, r;
	unsigned int ifindex;
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tco, .handle = TC_HANDLE, .priority = TC_PRIORITY);

	if (strlen(ifname) >= IFNAMSIZ || !(ifindex = if_nametoindex(ifname)))
		return err_set(ENODEV, "no interface named '%s'", ifname);
	snprintf(linkname, sizeof(linkname), LINK_XDP_PREFIX "%s", ifname);

	if ((r = instance_lock_dir(&in, instance_pin_dir(o), true, true)))
		goto out;
	if (faccessat(in.dir_fd, linkname, F_OK, 0) == 0) {
		r = err_set(EEXIST, "%s is already attached (pin %s/%s exists; 'bgxdp detach %s' first)",
			    ifname, in.pin_dir, linkname, ifname);
		goto out;
	}
	if (!instance_exists(&in)) {
		created = true;
		if ((r = instance_create(&in, flows)))
			goto out;
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
	r = 0;
out:
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

	if (strlen(ifname) >= IFNAMSIZ)
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
	.synopsis = "IFACE [--mode native|generic|auto] [--flows N]",
	.description =
"  Attaches bgxdp to IFACE: the XDP program on ingress (as a pinned bpf_link,\n"
"  <pin-dir>/link_xdp_IFACE) and the tc program on egress (clsact qdisc,\n"
"  filter handle 0xb6 priority 0xb6, direct action).\n"
"  The first attach creates the instance: it loads the programs, and pins every\n"
"  map at <pin-dir>/<map name> and the programs at <pin-dir>/prog_xdp_ingress and\n"
"  <pin-dir>/prog_tc_egress (pin dir mode 0700).  Later attaches reuse the pinned\n"
"  programs, so all interfaces share the same services, backends and flows.\n"
"  If /sys/fs/bpf is not mounted and the pin dir is under it, bpffs is mounted.\n"
"  On failure, everything this attach did is undone.\n",
	.args = iface_arg,
	.opts = attach_opts,
	.examples =
"  bgxdp attach eth0\n"
"  bgxdp attach veth0 --mode generic --pin-dir /sys/fs/bpf/bgxdp-test\n"
"  bgxdp attach eth0 --flows 1048576      # first attach: 1M-entry flow table\n",
	.run = run_attach,
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
