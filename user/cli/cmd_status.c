// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* status: interfaces, services, shares, backends, live flows per color. */
#include <stdlib.h>
#include <time.h>
#include "commands.h"

struct status_params {
	char service[BGXDP_NAME_LEN];   /* "": all */
};

static const struct param status_params[] = {
	PARAM_OPT(struct status_params, service, P_NAME, "service", "NAME",
		  .help = "Show only this service."),
	PARAM_END
};

static void format_time(__u64 ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;

	if (!ns) {
		snprintf(buf, len, "never");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- text ---- */

static void text_interfaces(FILE *f, const struct bgx_snapshot *s)
{
	fprintf(f, "pin dir: %s\ninterfaces:", s->pin_dir);
	if (!s->n_ifaces)
		fprintf(f, " none");
	for (int i = 0; i < s->n_ifaces; i++) {
		if (s->ifaces[i].ifindex)
			fprintf(f, " %s (ifindex %u)", s->ifaces[i].name, s->ifaces[i].ifindex);
		else
			fprintf(f, " %s (gone: 'bgxdp detach %s' cleans up)", s->ifaces[i].name,
				s->ifaces[i].name);
	}
	fprintf(f, "\n");
}

static void text_backends(FILE *f, const struct bgx_service_view *sv, __u32 color)
{
	int shown = 0;

	fprintf(f, "  %s backends:", color_name(color));
	for (__u32 b = 0; b < sv->n_backends; b++) {
		const struct bgx_backend_view *v = &sv->backends[b];

		if (v->color != color)
			continue;
		fprintf(f, "\n    %-44s weight %-4u %s", v->address, v->weight,
			backend_state_name(v->state));
		shown++;
	}
	fprintf(f, "%s\n", shown ? "" : " none");
}

static void text_service(FILE *f, const struct bgx_service_view *sv)
{
	char when[64], pb[16], pg[16];

	format_time(sv->last_change_unix_ns, when, sizeof(when));
	format_percent_bp(sv->colors[BGXDP_BLUE].share_bp, pb, sizeof(pb));
	format_percent_bp(sv->colors[BGXDP_GREEN].share_bp, pg, sizeof(pg));
	fprintf(f, "\nservice %s\n  vip %s %s%s%s, affinity %s\n", sv->name, sv->vip,
		proto_name(sv->proto), sv->preview[0] ? ", preview " : "", sv->preview,
		sv->affinity_client ? "client" : "flow");
	fprintf(f, "  share: blue %s%%, green %s%%\n", pb, pg);
	fprintf(f, "  generation %u, %llu change%s, last change %s\n", sv->generation,
		(unsigned long long)sv->changes, sv->changes == 1 ? "" : "s", when);
	for (__u32 c = 0; c < BGXDP_COLORS; c++)
		text_backends(f, sv, c);
	fprintf(f, "  live flows: blue %llu, green %llu\n",
		(unsigned long long)sv->colors[BGXDP_BLUE].live_flows,
		(unsigned long long)sv->colors[BGXDP_GREEN].live_flows);
}

static void render_text(FILE *f, const struct bgx_snapshot *s)
{
	text_interfaces(f, s);
	for (__u32 i = 0; i < s->n_services; i++)
		text_service(f, &s->services[i]);
	if (!s->n_services)
		fprintf(f, "\nno services (add one with 'bgxdp service add')\n");
}

/* ---- JSON ---- */

static void json_share(FILE *f, __u32 bp)
{
	fprintf(f, "%u.%02u", bp / 100, bp % 100);
}

static void json_backends(FILE *f, const struct bgx_service_view *sv, __u32 color)
{
	int shown = 0;

	fprintf(f, "%s\"%s\":[", color ? "," : "", color_name(color));
	for (__u32 b = 0; b < sv->n_backends; b++) {
		const struct bgx_backend_view *v = &sv->backends[b];

		if (v->color != color)
			continue;
		fprintf(f, "%s{\"address\":", shown++ ? "," : "");
		json_write_string(f, v->address);
		fprintf(f, ",\"weight\":%u,\"state\":\"%s\"}", v->weight,
			backend_state_name(v->state));
	}
	fprintf(f, "]");
}

static void json_service(FILE *f, const struct bgx_service_view *sv, bool first)
{
	fprintf(f, "%s{\"name\":", first ? "" : ",");
	json_write_string(f, sv->name);
	fprintf(f, ",\"vip\":");
	json_write_string(f, sv->vip);
	fprintf(f, ",\"proto\":\"%s\",\"preview\":", proto_name(sv->proto));
	if (sv->preview[0])
		json_write_string(f, sv->preview);
	else
		fprintf(f, "null");
	fprintf(f, ",\"affinity\":\"%s\",\"share\":{\"blue\":",
		sv->affinity_client ? "client" : "flow");
	json_share(f, sv->colors[BGXDP_BLUE].share_bp);
	fprintf(f, ",\"green\":");
	json_share(f, sv->colors[BGXDP_GREEN].share_bp);
	fprintf(f, "},\"green_share_bp\":%u,\"generation\":%u,\"changes\":%llu,"
		"\"last_change_unix_ns\":%llu,\"backends\":{",
		sv->colors[BGXDP_GREEN].share_bp, sv->generation, (unsigned long long)sv->changes,
		(unsigned long long)sv->last_change_unix_ns);
	for (__u32 c = 0; c < BGXDP_COLORS; c++)
		json_backends(f, sv, c);
	fprintf(f, "},\"flows\":{\"blue\":%llu,\"green\":%llu}}",
		(unsigned long long)sv->colors[BGXDP_BLUE].live_flows,
		(unsigned long long)sv->colors[BGXDP_GREEN].live_flows);
}

static void render_json(FILE *f, const struct bgx_snapshot *s)
{
	fprintf(f, "{\"pin_dir\":");
	json_write_string(f, s->pin_dir);
	fprintf(f, ",\"interfaces\":[");
	for (int i = 0; i < s->n_ifaces; i++) {
		fprintf(f, "%s{\"name\":", i ? "," : "");
		json_write_string(f, s->ifaces[i].name);
		fprintf(f, ",\"ifindex\":%u}", s->ifaces[i].ifindex);
	}
	fprintf(f, "],\"services\":[");
	for (__u32 i = 0; i < s->n_services; i++)
		json_service(f, &s->services[i], i == 0);
	fprintf(f, "]}\n");
}

static int run_status(const void *params, struct cli *cli)
{
	const struct status_params *p = params;
	struct bgx_snapshot *snap;
	struct bgx_instance *in;
	int r;

	if ((r = cli_open(cli, BGX_READ, &in)))
		return r;
	r = bgx_snapshot(in, BGX_SNAP_FLOWS, p->service[0] ? p->service : NULL, &snap, &cli->err);
	bgx_close(in);
	if (r)
		return r;
	if (cli->globals.json) {
		render_json(cli_json_begin(cli), snap);
		r = cli_json_end(cli);
	} else {
		render_text(cli->out, snap);
	}
	free(snap);
	return r;
}

const struct cmd_spec cmd_status = {
	.name = "status",
	.summary = "show interfaces, services, shares, backends and live flows",
	.synopsis = "[--service NAME] [--json]",
	.description =
"  Shows the attached interfaces and, per service: VIP, protocol, preview\n"
"  address, affinity, blue/green share of new flows, config generation, number\n"
"  of traffic changes and the time of the last one, the backends of each color\n"
"  (address, weight, state: up, drain or down) and the live flows per color\n"
"  (flow entries that have not idled out).  Read-only: takes no lock and needs\n"
"  no capability, only access to the pins, which are root-only (run as root).\n"
"  JSON keys: pin_dir, interfaces[{name, ifindex}], services[{name, vip, proto,\n"
"  preview (null if none), affinity, share{blue, green} (percent),\n"
"  green_share_bp, generation, changes, last_change_unix_ns,\n"
"  backends{blue, green}[{address, weight, state}], flows{blue, green}}].\n",
	.params = status_params,
	.params_size = sizeof(struct status_params),
	.examples =
"  bgxdp status\n"
"  bgxdp status --service web --json | jq '.services[0].share'\n",
	.run = run_status,
};
