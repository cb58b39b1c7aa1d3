// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* service add / del */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "commands.h"
#include "endpoints.h"
#include "instance.h"
#include "flow_table.h"
#include "vip_filter.h"
#include "values.h"
#include "util.h"

static const char *const proto_choices[] = { "tcp", "udp", NULL };
static const char *const affinity_choices[] = { "flow", "client", NULL };

static const struct opt_def add_opts[] = {
	{ .name = "vip", .type = OPT_STRING, .metavar = "ADDR:PORT", .required = true,
	  .help = "Service address (VIP) and port; IPv6 as [ADDR]:PORT." },
	{ .name = "proto", .type = OPT_ENUM, .metavar = "tcp|udp", .def = "tcp",
	  .choices = proto_choices, .help = "L4 protocol of the service." },
	{ .name = "preview", .type = OPT_STRING, .metavar = "ADDR:PORT",
	  .help = "Extra address whose new flows always go to green, whatever the share "
		  "(to test green before it gets traffic). Same family as the VIP." },
	{ .name = "affinity", .type = OPT_ENUM, .metavar = "flow|client", .def = "flow",
	  .choices = affinity_choices,
	  .help = "What decides color and backend of a new flow: the whole flow (client "
		  "address and port), or the client address only (a client sticks to one color)." },
	{ 0 }
};

static const struct arg_def name_arg[] = {
	{ "NAME", "Service name: 1..31 characters of A-Z a-z 0-9 _ . -" },
	{ 0 }
};

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

/* Clear everything of service id: backends, counters (not live: word is 0). */
static int svc_clear_slots(struct instance *in, __u32 id)
{
	struct backend zero = { 0 };

	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++) {
			__u32 k = backend_index(id, c, s);

			if (bpf_map_update_elem(in->map_fd[MAP_BACKENDS], &k, &zero, BPF_ANY))
				return err_set(errno, "cannot clear backends[%u]: %s", k, strerror(errno));
		}
	}
	return 0;
}

static void svc_clear_counters(struct instance *in, __u32 id)
{
	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		zero_percpu(in->map_fd[MAP_COLOR_COUNTERS], color_index(id, c),
			    sizeof(struct color_counters));
		for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++)
			zero_percpu(in->map_fd[MAP_BACKEND_COUNTERS], backend_index(id, c, s),
				    sizeof(struct backend_counters));
	}
}

static bool same_addr(const struct vip_key *a, const struct vip_key *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static int run_add(const struct opts *o)
{
	const char *name = o->pos[0];
	struct endpoint vip, prev;
	struct vip_key vk, pk;
	struct vip_value vv;
	struct svc_meta m, nm;
	struct instance in;
	__u8 proto;
	bool has_prev = opt_str(o, "preview") != NULL, client;
	__u32 id = BGXDP_MAX_SERVICES;
	int r;

	if ((r = parse_name(name, "NAME")) ||
	    (r = parse_endpoint(opt_str(o, "vip"), "--vip", &vip)) ||
	    (r = parse_proto(opt_str(o, "proto"), "--proto", &proto)))
		return r;
	if (has_prev) {
		if ((r = parse_endpoint(opt_str(o, "preview"), "--preview", &prev)))
			return r;
		if (prev.family != vip.family)
			return err_usage(EINVAL, "--preview '%s': must be the same address family as --vip '%s'",
				       opt_str(o, "preview"), opt_str(o, "vip"));
	}
	client = !strcmp(opt_str(o, "affinity"), "client");
	endpoint_to_vip_key(&vip, proto, &vk);
	if (has_prev) {
		endpoint_to_vip_key(&prev, proto, &pk);
		if (same_addr(&vk, &pk))
			return err_usage(EINVAL, "--preview '%s' must differ from --vip",
					  opt_str(o, "preview"));
	}

	if ((r = instance_open(&in, instance_pin_dir(o), true)))
		return r;
	for (__u32 i = 0; i < BGXDP_MAX_SERVICES; i++) {
		if ((r = svc_meta_read(&in, i, &m)))
			goto out;
		if (!m.in_use) {
			if (id == BGXDP_MAX_SERVICES)
				id = i;
			continue;
		}
		if (!strncmp(m.name, name, BGXDP_NAME_LEN)) {
			r = err_set(EEXIST, "service '%s' already exists", name);
			goto out;
		}
	}
	if (!bpf_map_lookup_elem(in.map_fd[MAP_SERVICES], &vk, &vv)) {
		r = err_set(EEXIST, "--vip %s (%s) is already used by another service",
			    opt_str(o, "vip"), proto_name(proto));
		goto out;
	}
	if (has_prev && !bpf_map_lookup_elem(in.map_fd[MAP_SERVICES], &pk, &vv)) {
		r = err_set(EEXIST, "--preview %s (%s) is already used by another service",
			    opt_str(o, "preview"), proto_name(proto));
		goto out;
	}
	if (id == BGXDP_MAX_SERVICES) {
		r = err_set(ENOSPC, "all %d service slots are in use (delete one with 'bgxdp service del')",
			    BGXDP_MAX_SERVICES);
		goto out;
	}
	/* Slot id is not live (word 0): clear it, write meta, then the VIP
	 * entries, and publish the word last. */
	svc_publish(&in, id, 0);
	if ((r = svc_clear_slots(&in, id)))
		goto out;
	svc_clear_counters(&in, id);
	memset(&nm, 0, sizeof(nm));
	snprintf(nm.name, sizeof(nm.name), "%s", name);
	nm.vip = vk;
	if (has_prev)
		nm.preview = pk;
	nm.in_use = 1;
	nm.affinity_client = client;
	if ((r = svc_meta_write(&in, id, &nm)))
		goto out;
	/* The filter before the VIP: a superset is harmless, a gap is not. */
	if ((r = vip_filter_add(&in, &vk)) || (has_prev && (r = vip_filter_add(&in, &pk))))
		goto undo_meta;
	vv.service_id = id;
	vv.flags = 0;
	if (bpf_map_update_elem(in.map_fd[MAP_SERVICES], &vk, &vv, BPF_NOEXIST)) {
		r = err_set(errno, "cannot add the VIP to map services: %s", strerror(errno));
		goto undo_meta;
	}
	if (has_prev) {
		vv.flags = VIP_FLAG_PREVIEW;
		if (bpf_map_update_elem(in.map_fd[MAP_SERVICES], &pk, &vv, BPF_NOEXIST)) {
			r = err_set(errno, "cannot add the preview address to map services: %s",
				    strerror(errno));
			bpf_map_delete_elem(in.map_fd[MAP_SERVICES], &vk);
			goto undo_meta;
		}
	}
	svc_publish(&in, id, cfg_next_generation(CFG_CONFIGURED | (client ? CFG_AFFINITY_CLIENT : 0)));
	printf("service %s added: %s %s%s%s, affinity %s, all new flows to blue\n", name,
	       opt_str(o, "vip"), proto_name(proto), has_prev ? ", preview " : "",
	       has_prev ? opt_str(o, "preview") : "", client ? "client" : "flow");
	r = 0;
	goto out;
undo_meta:
	memset(&nm, 0, sizeof(nm));
	svc_meta_write(&in, id, &nm);
out:
	instance_close(&in);
	return r;
}

static int run_del(const struct opts *o)
{
	const char *name = o->pos[0];
	struct svc_meta m;
	struct instance in;
	__u32 id;
	int r;

	if ((r = parse_name(name, "NAME")))
		return r;
	if ((r = instance_open(&in, instance_pin_dir(o), true)))
		return r;
	if ((r = svc_find(&in, name, &id, &m)))
		goto out;
	/* Unpublish first: new flows to the VIP pass untouched from now on. */
	svc_publish(&in, id, 0);
	if (bpf_map_delete_elem(in.map_fd[MAP_SERVICES], &m.vip) && errno != ENOENT) {
		r = err_set(errno, "cannot remove the VIP from map services: %s", strerror(errno));
		goto out;
	}
	if (m.preview.family &&
	    bpf_map_delete_elem(in.map_fd[MAP_SERVICES], &m.preview) && errno != ENOENT) {
		r = err_set(errno, "cannot remove the preview address from map services: %s",
			    strerror(errno));
		goto out;
	}
	if ((r = vip_filter_rebuild(&in)) || (r = flows_purge_service(&in, id)) ||
	    (r = svc_clear_slots(&in, id)) || (r = endpoint_release_service(&in, id)))
		goto out;
	memset(&m, 0, sizeof(m));
	if ((r = svc_meta_write(&in, id, &m)))
		goto out;
	printf("service %s deleted\n", name);
out:
	instance_close(&in);
	return r;
}

const struct cmd_spec cmd_service_add = {
	.name = "service add",
	.summary = "add a service (VIP)",
	.synopsis = "NAME --vip ADDR:PORT [--proto tcp|udp] [--preview ADDR:PORT] [--affinity flow|client]",
	.description =
"  Adds service NAME: new flows to the VIP are sent to the service's blue or\n"
"  green backends.  A new service sends all traffic to blue (green share 0 %)\n"
"  and has no backends yet: add them with 'bgxdp backend add'.  Until a color\n"
"  that gets traffic has an up backend, packets to the VIP pass untouched.\n"
"  Names and VIPs (and preview addresses) must be unique; at most 16 services.\n",
	.args = name_arg,
	.opts = add_opts,
	.examples =
"  bgxdp service add web --vip 10.0.0.1:80\n"
"  bgxdp service add dns --vip 10.0.0.1:53 --proto udp --affinity client\n"
"  bgxdp service add web6 --vip [2001:db8::1]:443 --preview [2001:db8::1]:8443\n",
	.run = run_add,
};

const struct cmd_spec cmd_service_del = {
	.name = "service del",
	.summary = "delete a service",
	.synopsis = "NAME",
	.description =
"  Deletes service NAME: its VIP and preview address, backends and settings.\n"
"  New packets to the VIP pass untouched at once; flow entries idle out.\n",
	.args = name_arg,
	.examples = "  bgxdp service del web\n",
	.run = run_del,
};
