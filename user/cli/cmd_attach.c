// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* attach / detach / upgrade: XDP ingress link + tc egress filter per interface. */
#include <errno.h>
#include <string.h>
#include "cli_state.h"
#include "commands.h"
#include "model_edit.h"

static const char *const mode_choices[] = { "native", "generic", "auto", NULL };
enum { MODE_NATIVE, MODE_GENERIC, MODE_AUTO };

struct attach_params {
	char ifname[IF_NAMESIZE];
	int mode;
	unsigned long long flows;
	struct iface_list fast_path;
	bool replace;
};

static const struct param attach_params[] = {
	PARAM_POS(struct attach_params, ifname, P_IFACE, "IFACE", "IFACE",
		  "Network interface, e.g. eth0."),
	PARAM_OPT(struct attach_params, mode, P_ENUM, "mode", "native|generic|auto", .def = "auto",
		  .choices = mode_choices,
		  .help = "XDP attach mode: native (driver), generic (skb), or auto (native, else generic)."),
	PARAM_OPT(struct attach_params, flows, P_UINT, "flows", "N", .def = "262144",
		  .min = 1024, .max = 67108864,
		  .help = "Size of the flow table, fixed when the instance is "
			  "created by the first attach; ignored later.  The kernel accounts "
			  "136 bytes per flow (the default takes ~34 MiB).  When the table is "
			  "full the least recently used flows are evicted (counted in "
			  "bgxdp_flows_lost_total when they speak again)."),
	PARAM_OPT(struct attach_params, fast_path, P_IFLIST, "fast-path", "DEV[,DEV...]",
		  .help = "Forward VIP packets routed out of one of these interfaces with an XDP "
			  "redirect instead of the stack (see FAST PATH above)."),
	PARAM_OPT(struct attach_params, replace, P_FLAG, "replace",
		  NULL, .help = "IFACE is attached already: swap in this build's programs, keeping the "
			  "pinned maps (same as 'bgxdp upgrade')."),
	PARAM_END
};

struct upgrade_params {
	bool check;
};

static const struct param upgrade_params[] = {
	PARAM_OPT(struct upgrade_params, check, P_FLAG, "check", NULL,
		  .help = "Only compare the map layouts and say whether an upgrade would go ahead; "
			  "change nothing."),
	PARAM_END
};

struct detach_params {
	const char *ifname;             /* checked by the library: it may be gone */
};

static const struct param detach_params[] = {
	PARAM_POS(struct detach_params, ifname, P_STRING, "IFACE", "IFACE",
		  "Network interface, e.g. eth0."),
	PARAM_END
};

static void json_upgrade(FILE *f, const char *pin_dir, const struct bgx_upgrade_result *u)
{
	fputs("{\"pin_dir\":", f);
	json_write_string(f, pin_dir);
	fprintf(f, ",\"xdp\":{\"old\":%u,\"new\":%u},\"tc\":{\"old\":%u,\"new\":%u},\"interfaces\":[",
		u->old_xdp_id, u->new_xdp_id, u->old_tc_id, u->new_tc_id);
	for (int i = 0; i < u->n_ifaces; i++) {
		fprintf(f, "%s{\"name\":", i ? "," : "");
		json_write_string(f, u->ifaces[i].name);
		fprintf(f, ",\"xdp_old\":%u,\"tc_old\":%u}", u->ifaces[i].old_xdp_id,
			u->ifaces[i].old_tc_id);
	}
	fputs("]}", f);
}

static void render_upgrade(FILE *f, const char *pin_dir, const struct bgx_upgrade_result *u)
{
	fprintf(f, "upgraded %s: xdp program %u -> %u, tc program %u -> %u; maps kept\n",
		pin_dir, u->old_xdp_id, u->new_xdp_id, u->old_tc_id, u->new_tc_id);
	for (int i = 0; i < u->n_ifaces; i++)
		fprintf(f, "  %s: xdp %u -> %u, tc %u -> %u\n", u->ifaces[i].name,
			u->ifaces[i].old_xdp_id, u->new_xdp_id, u->ifaces[i].old_tc_id, u->new_tc_id);
}

static int run_attach(const void *params, struct cli *cli)
{
	static const enum bgx_xdp_mode modes[] = {
		[MODE_NATIVE] = BGX_XDP_NATIVE, [MODE_GENERIC] = BGX_XDP_GENERIC,
		[MODE_AUTO] = BGX_XDP_AUTO,
	};
	const struct attach_params *p = params;
	struct bgx_attach_spec spec = {
		.mode = modes[p->mode],
		.flows = (__u32)p->flows,
		.n_fast_path = p->fast_path.n,
		.replace = p->replace,
	};
	struct bgx_attach_result res;
	int r;

	memcpy(spec.ifname, p->ifname, sizeof(spec.ifname));
	memcpy(spec.fast_path, p->fast_path.ifindex, sizeof(spec.fast_path));
	if ((r = bgx_attach(cli->pin_dir, &spec, &res, &cli->err)))
		return r;
	cli_history(cli, res.replaced ? "upgrade" : "attach", NULL, NULL,
		    json_pack("{s:s, s:s, s:s*}", "interface", p->ifname, "mode", mode_choices[p->mode],
			      "fast_path", p->fast_path.n ? p->fast_path.text : NULL), NULL);
	if (cli->globals.json) {
		FILE *f = cli_json_begin(cli);

		fputs("{\"interface\":", f);
		json_write_string(f, p->ifname);
		fprintf(f, ",\"ifindex\":%u,\"created\":%s,\"fast_path\":", res.ifindex,
			res.created ? "true" : "false");
		if (p->fast_path.n)
			json_write_string(f, p->fast_path.text);
		else
			fputs("null", f);
		fputs(",\"upgrade\":", f);
		if (res.replaced)
			json_upgrade(f, cli->pin_dir, &res.upgrade);
		else
			fputs("null", f);
		fputs(",\"pin_dir\":", f);
		json_write_string(f, cli->pin_dir);
		fputs("}", f);
		return cli_json_end(cli);
	}
	if (res.replaced)
		render_upgrade(cli->out, cli->pin_dir, &res.upgrade);
	else
		fprintf(cli->out, "attached to %s (ifindex %u), pin dir %s\n", p->ifname, res.ifindex,
			cli->pin_dir);
	if (p->fast_path.n)
		fprintf(cli->out, "fast path: VIP packets routed out of %s are redirected by XDP\n",
			p->fast_path.text);
	return 0;
}

static int batch_attach(const void *params, struct bgx_desired *model, struct bgx_err *e)
{
	static const __u8 modes[] = {
		[MODE_NATIVE] = BGX_XDP_NATIVE, [MODE_GENERIC] = BGX_XDP_GENERIC,
		[MODE_AUTO] = BGX_XDP_AUTO,
	};
	const struct attach_params *p = params;

	if (p->replace || p->fast_path.n)
		return bgx_fail(e, EINVAL, "attach --replace and --fast-path cannot run in a batch (run them alone, or use 'bgxdp apply')");
	return bgx_model_attach(model, p->ifname, modes[p->mode], (__u32)p->flows, e);
}

static int batch_detach(const void *params, struct bgx_desired *model, struct bgx_err *e)
{
	const struct detach_params *p = params;

	return bgx_model_detach(model, p->ifname, e);
}

static int run_upgrade(const void *params, struct cli *cli)
{
	const struct upgrade_params *p = params;
	struct bgx_upgrade_result res;
	int r = bgx_upgrade(cli->pin_dir, p->check, &res, &cli->err);

	if (r)
		return r;
	if (!p->check)
		cli_history(cli, "upgrade", NULL,
			    json_pack("{s:I, s:I}", "xdp_program", (json_int_t)res.old_xdp_id,
				      "tc_program", (json_int_t)res.old_tc_id),
			    json_pack("{s:I, s:I}", "xdp_program", (json_int_t)res.new_xdp_id,
				      "tc_program", (json_int_t)res.new_tc_id), NULL);
	if (cli->globals.json) {
		FILE *f = cli_json_begin(cli);

		if (p->check) {
			fputs("{\"pin_dir\":", f);
			json_write_string(f, cli->pin_dir);
			fputs(",\"check\":true,\"layout_matches\":true}", f);
		} else {
			json_upgrade(f, cli->pin_dir, &res);
		}
		return cli_json_end(cli);
	}
	if (p->check)
		fprintf(cli->out, "%s: the map layout of this build matches; an upgrade would keep every map\n",
			cli->pin_dir);
	else
		render_upgrade(cli->out, cli->pin_dir, &res);
	return 0;
}

static int run_detach(const void *params, struct cli *cli)
{
	const struct detach_params *p = params;
	struct bgx_detach_result res;
	int r = bgx_detach(cli->pin_dir, p->ifname, &res, &cli->err);

	if (r)
		return r;
	cli_history(cli, "detach", NULL, json_pack("{s:s}", "interface", p->ifname),
		    json_pack("{s:i, s:b}", "remaining", res.remaining, "instance_removed",
			      res.removed), NULL);
	if (cli->globals.json) {
		FILE *f = cli_json_begin(cli);

		fputs("{\"interface\":", f);
		json_write_string(f, p->ifname);
		fprintf(f, ",\"remaining\":%d,\"instance_removed\":%s}", res.remaining,
			res.removed ? "true" : "false");
		return cli_json_end(cli);
	}
	if (res.removed)
		fprintf(cli->out, "detached from %s; last interface: instance %s removed\n", p->ifname,
			cli->pin_dir);
	else
		fprintf(cli->out, "detached from %s; %d interface%s still attached\n", p->ifname,
			res.remaining, res.remaining == 1 ? "" : "s");
	return 0;
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
	.params = attach_params,
	.params_size = sizeof(struct attach_params),
	.changes_state = true,
	.examples =
"  bgxdp attach eth0\n"
"  bgxdp attach veth0 --mode generic --pin-dir /sys/fs/bpf/bgxdp-test\n"
"  bgxdp attach eth0 --flows 1048576      # first attach: 1M-entry flow table\n"
"  bgxdp attach eth0 --fast-path eth1,eth2  # backends are behind eth1 and eth2\n"
"  bgxdp attach eth0 --replace             # new build, no downtime\n",
	.run = run_attach,
	.batch = batch_attach,
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
	.params = upgrade_params,
	.params_size = sizeof(struct upgrade_params),
	.changes_state = true,
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
	.params = detach_params,
	.params_size = sizeof(struct detach_params),
	.changes_state = true,
	.examples = "  bgxdp detach eth0\n",
	.run = run_detach,
	.batch = batch_detach,
};
