// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * attach.c - attach: XDP ingress link + tc egress filter on an interface
 * (the first attach creates the instance); detach: the reverse (the last
 * one removes the instance).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp.skel.h"
#include "fastpath.h"
#include "instance.h"
#include "pindir.h"
#include "tc.h"
#include "upgrade.h"

static const char *const mode_names[] = {
	[BGX_XDP_AUTO] = "auto", [BGX_XDP_NATIVE] = "native", [BGX_XDP_GENERIC] = "generic",
};

static int pin_program(const struct bgx_instance *in, struct bpf_program *prog,
		       const char *name, struct bgx_err *e)
{
	char path[PATH_MAX];
	int r;

	instance_path(in, name, path, sizeof(path));
	if ((r = bpf_program__pin(prog, path)))
		return bgx_fail(e, r, "cannot pin program %s: %s", path, strerror(-r));
	return 0;
}

/* First attach: load the skeleton, pin maps and programs. */
static int instance_create(struct bgx_instance *in, __u32 flows, struct bgx_err *e)
{
	struct bgxdp *skel = bgxdp__open();
	char path[PATH_MAX];
	struct bpf_map *map;
	int r;

	if (!skel)
		return bgx_fail(e, errno, "cannot open the BPF object: %s", strerror(errno));
	/* the half-open table follows the established one (bgxdp.h) */
	if ((r = bpf_map__set_max_entries(skel->maps.flows, flows)) ||
	    (r = bpf_map__set_max_entries(skel->maps.halfopen, bgxdp_halfopen_sets(flows)))) {
		bgxdp__destroy(skel);
		return bgx_fail(e, r, "cannot size the flow tables to %u: %s", flows, strerror(-r));
	}
	if ((r = bgxdp__load(skel))) {
		bgxdp__destroy(skel);
		return bgx_fail(e, r, "cannot load the BPF programs: %s (is this kernel new enough, and are you root?)",
				strerror(-r));
	}
	bpf_object__for_each_map(map, skel->obj) {
		if (bpf_map__name(map)[0] == '.')     /* .rodata, .bss: not part of the contract */
			continue;
		instance_path(in, bpf_map__name(map), path, sizeof(path));
		if ((r = bpf_map__pin(map, path))) {
			bgx_fail(e, r, "cannot pin map %s: %s", path, strerror(-r));
			goto fail;
		}
	}
	if ((r = pin_program(in, skel->progs.xdp_ingress, PROG_XDP_PIN, e)) ||
	    (r = pin_program(in, skel->progs.tc_egress, PROG_TC_PIN, e)))
		goto fail;
	bgxdp__destroy(skel);
	bgx_log(BGX_LOG_INFO, "created instance %s (flow table %u entries)", in->pin_dir, flows);
	return 0;
fail:
	pindir_remove_all(in->dir_fd);
	bgxdp__destroy(skel);
	return r;
}

static int open_pinned_prog(const struct bgx_instance *in, const char *name, struct bgx_err *e)
{
	char path[PATH_MAX];
	int fd;

	instance_path(in, name, path, sizeof(path));
	if ((fd = bpf_obj_get(path)) < 0)
		return bgx_fail(e, errno, "cannot open pinned program %s: %s", path, strerror(errno));
	return fd;
}

/* The XDP link, in the mode asked for (auto: native, else generic). */
static int xdp_link_create(int xdp_fd, const struct bgx_attach_spec *spec, __u32 ifindex,
			   struct bgx_err *e)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	int link_fd, err;

	lo.flags = spec->mode == BGX_XDP_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	link_fd = bpf_link_create(xdp_fd, (int)ifindex, BPF_XDP, &lo);
	if (link_fd < 0 && spec->mode == BGX_XDP_AUTO) {
		lo.flags = XDP_FLAGS_SKB_MODE;
		link_fd = bpf_link_create(xdp_fd, (int)ifindex, BPF_XDP, &lo);
	}
	if (link_fd >= 0)
		return link_fd;
	err = errno;
	return bgx_fail(e, err, "cannot attach XDP (%s mode) to %s: %s%s", mode_names[spec->mode],
			spec->ifname, strerror(err),
			err == EBUSY || err == EEXIST ?
			" (another XDP program is attached; remove it first)" :
			spec->mode == BGX_XDP_NATIVE && err == EOPNOTSUPP ?
			" (driver has no native XDP; try --mode generic)" : "");
}

/* What one attach holds while it works, so a failure undoes exactly it. */
struct attaching {
	int xdp_fd, tc_fd, link_fd;
	bool hook_created, filter_attached;
};

static int attach_programs(struct bgx_instance *in, const struct bgx_attach_spec *spec,
			   __u32 ifindex, struct attaching *a, struct bgx_err *e)
{
	char linkname[64], path[PATH_MAX];
	int r;

	if ((a->xdp_fd = open_pinned_prog(in, PROG_XDP_PIN, e)) < 0 ||
	    (a->tc_fd = open_pinned_prog(in, PROG_TC_PIN, e)) < 0)
		return a->xdp_fd < 0 ? a->xdp_fd : a->tc_fd;
	if ((a->link_fd = xdp_link_create(a->xdp_fd, spec, ifindex, e)) < 0)
		return a->link_fd;
	instance_step(in, "attach", "xdp-linked");
	if ((r = tc_hook_create(ifindex, &a->hook_created)))
		return bgx_fail(e, r, "cannot create the clsact qdisc on %s: %s", spec->ifname,
				strerror(-r));
	if ((r = tc_filter_attach(ifindex, a->tc_fd)))
		return bgx_fail(e, r, "cannot attach the tc egress filter to %s: %s%s", spec->ifname,
				strerror(-r),
				r == -EEXIST ? " (a filter with handle 0xb6 priority 0xb6 exists)" : "");
	a->filter_attached = true;
	instance_step(in, "attach", "tc-attached");
	snprintf(linkname, sizeof(linkname), LINK_XDP_PREFIX "%s", spec->ifname);
	instance_path(in, linkname, path, sizeof(path));
	if (bpf_obj_pin(a->link_fd, path))
		return bgx_fail(e, errno, "cannot pin the XDP link at %s: %s", path, strerror(errno));
	return 0;
}

/* Undo what attach_programs did on a failure; close what it opened. */
static void attaching_end(struct attaching *a, __u32 ifindex, bool failed)
{
	if (failed && a->filter_attached)
		tc_filter_detach(ifindex);
	if (failed && a->hook_created)
		tc_hook_destroy(ifindex);
	if (a->link_fd >= 0)
		close(a->link_fd);      /* unpinned on failure: this detaches XDP */
	if (a->xdp_fd >= 0)
		close(a->xdp_fd);
	if (a->tc_fd >= 0)
		close(a->tc_fd);
}

/* attach IFACE --replace: IFACE is attached; upgrade the whole instance
 * (every interface shares its programs), adding the fast-path devices too,
 * and taking them out again if the upgrade fails. */
static int attach_replace(struct bgx_instance *in, const struct bgx_attach_spec *spec,
			  const char *linkname, struct bgx_attach_result *res, struct bgx_err *e)
{
	struct fast_path fp = { .settings_fd = -1, .tx_fd = -1 };
	int r = 0;

	if (faccessat(in->dir_fd, linkname, F_OK, 0))
		return bgx_fail(e, ENOENT, "%s is not attached (no pin %s/%s): --replace swaps the programs "
				"of an attached interface; attach it without --replace",
				spec->ifname, in->pin_dir, linkname);
	if (spec->n_fast_path &&
	    (r = fast_path_enable(in, spec->fast_path, spec->n_fast_path, &fp, e)))
		goto out;
	if ((r = upgrade_locked(in, false, &res->upgrade, e)) && spec->n_fast_path)
		fast_path_undo(&fp);
	res->replaced = !r;
out:
	fast_path_close(&fp);
	return r;
}

static int attach_new(struct bgx_instance *in, const struct bgx_attach_spec *spec,
		      __u32 ifindex, const char *linkname, struct bgx_attach_result *res,
		      struct bgx_err *e)
{
	struct fast_path fp = { .settings_fd = -1, .tx_fd = -1 };
	struct attaching a = { .xdp_fd = -1, .tc_fd = -1, .link_fd = -1 };
	bool fast_set = false;
	int r;

	if (!faccessat(in->dir_fd, linkname, F_OK, 0))
		return bgx_fail(e, EEXIST, "%s is already attached (pin %s/%s exists; 'bgxdp detach %s' first, "
				"or 'bgxdp attach %s --replace' to swap in this build's programs)",
				spec->ifname, in->pin_dir, linkname, spec->ifname, spec->ifname);
	if (!instance_exists(in)) {
		if ((r = instance_create(in, spec->flows, e)))
			return r;
		res->created = true;
	}
	if (spec->n_fast_path) {
		if ((r = fast_path_enable(in, spec->fast_path, spec->n_fast_path, &fp, e)))
			goto out;
		fast_set = true;
	}
	r = attach_programs(in, spec, ifindex, &a, e);
out:
	if (r && fast_set && !res->created)
		fast_path_undo(&fp);
	fast_path_close(&fp);
	attaching_end(&a, ifindex, r != 0);
	if (r && res->created) {
		pindir_remove_all(in->dir_fd);
		unlinkat(AT_FDCWD, in->pin_dir, AT_REMOVEDIR);
	}
	return r;
}

int bgx_attach(const char *pin_dir, const struct bgx_attach_spec *spec,
	       struct bgx_attach_result *res, struct bgx_err *e)
{
	struct bgx_instance in;
	char linkname[64];
	__u32 ifindex;
	int r;

	memset(res, 0, sizeof(*res));
	if (!(ifindex = if_nametoindex(spec->ifname)))
		return bgx_fail(e, ENODEV, "no interface named '%s'", spec->ifname);
	res->ifindex = ifindex;
	snprintf(linkname, sizeof(linkname), LINK_XDP_PREFIX "%s", spec->ifname);
	r = instance_lock_dir(&in, pin_dir, !spec->replace, true, e);
	if (!r)
		r = spec->replace ? attach_replace(&in, spec, linkname, res, e)
				  : attach_new(&in, spec, ifindex, linkname, res, e);
	if (!r)
		bgx_log(BGX_LOG_INFO, "attached to %s (ifindex %u)", spec->ifname, ifindex);
	instance_release(&in);
	return r;
}

static int remove_instance(struct bgx_instance *in, struct bgx_err *e)
{
	int r = pindir_remove_all(in->dir_fd);

	if (r)
		return bgx_fail(e, r, "cannot remove the pins in %s: %s", in->pin_dir, strerror(-r));
	if (rmdir(in->pin_dir))
		return bgx_fail(e, errno, "cannot remove %s: %s", in->pin_dir, strerror(errno));
	return 0;
}

int bgx_detach(const char *pin_dir, const char *ifname, struct bgx_detach_result *res,
	       struct bgx_err *e)
{
	struct bgx_instance in;
	char linkname[64];
	__u32 ifindex;
	int r;

	memset(res, 0, sizeof(*res));
	/* Linux interface names never hold '/' (or start with '.'): the
	 * name becomes part of a pin path. */
	if (!*ifname || strlen(ifname) >= IF_NAMESIZE || strchr(ifname, '/') || ifname[0] == '.')
		return bgx_fail(e, ENODEV, "no interface named '%s'", ifname);
	snprintf(linkname, sizeof(linkname), LINK_XDP_PREFIX "%s", ifname);
	if ((r = instance_lock_dir(&in, pin_dir, false, true, e)))
		goto out;
	if (faccessat(in.dir_fd, linkname, F_OK, 0)) {
		r = bgx_fail(e, ENOENT, "%s is not attached (no pin %s/%s)", ifname, in.pin_dir,
			     linkname);
		goto out;
	}
	if ((ifindex = if_nametoindex(ifname)) && (r = tc_filter_detach(ifindex))) {
		bgx_fail(e, r, "cannot remove the tc egress filter from %s: %s", ifname, strerror(-r));
		goto out;
	}
	/* removing the pin drops the last reference: the XDP link goes away */
	if (unlinkat(in.dir_fd, linkname, 0)) {
		r = bgx_fail(e, errno, "cannot remove %s/%s: %s", in.pin_dir, linkname, strerror(errno));
		goto out;
	}
	bgx_log(BGX_LOG_INFO, "detached from %s: tc filter and XDP link removed", ifname);
	res->remaining = pindir_count(in.dir_fd, true);
	if (res->remaining == 0 && !(r = remove_instance(&in, e)))
		res->removed = true;
	if (res->remaining < 0)
		res->remaining = 0;
out:
	instance_release(&in);
	return r;
}

int bgx_attach_mode(const char *pin_dir, const char *ifname, enum bgx_xdp_mode mode,
		    struct bgx_err *e)
{
	struct bgx_attach_spec spec = { .mode = mode };
	char linkname[64], path[PATH_MAX];
	struct bgx_instance in;
	int xdp_fd = -1, link_fd = -1, r;
	__u32 ifindex;

	str_copy(spec.ifname, sizeof(spec.ifname), ifname);
	snprintf(linkname, sizeof(linkname), LINK_XDP_PREFIX "%s", ifname);
	if (!(ifindex = if_nametoindex(ifname)))
		return bgx_fail(e, ENODEV, "no interface named '%s'", ifname);
	if ((r = instance_lock_dir(&in, pin_dir, false, true, e)))
		goto out;
	if (faccessat(in.dir_fd, linkname, F_OK, 0)) {
		r = bgx_fail(e, ENOENT, "%s is not attached (no pin %s/%s)", ifname, in.pin_dir,
			     linkname);
		goto out;
	}
	if ((xdp_fd = open_pinned_prog(&in, PROG_XDP_PIN, e)) < 0) {
		r = xdp_fd;
		goto out;
	}
	/* the old link goes with its pin; the new one is pinned in its place */
	if (unlinkat(in.dir_fd, linkname, 0)) {
		r = bgx_fail(e, errno, "cannot remove %s/%s: %s", in.pin_dir, linkname, strerror(errno));
		goto out;
	}
	if ((link_fd = xdp_link_create(xdp_fd, &spec, ifindex, e)) < 0) {
		r = link_fd;
		goto out;
	}
	instance_path(&in, linkname, path, sizeof(path));
	if (bpf_obj_pin(link_fd, path))
		r = bgx_fail(e, errno, "cannot pin the XDP link at %s: %s", path, strerror(errno));
	else
		bgx_log(BGX_LOG_INFO, "%s: XDP attached again in %s mode", ifname, mode_names[mode]);
out:
	if (link_fd >= 0)
		close(link_fd);
	if (xdp_fd >= 0)
		close(xdp_fd);
	instance_release(&in);
	return r;
}
