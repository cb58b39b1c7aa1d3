// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* status: interfaces, services, shares, backends (admin state, health, flows). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "commands.h"
#include "health_desired.h"
#include "status_agent.h"

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

/* The health word of a backend: its health byte in the data plane (what
 * the rings follow), and for a byte that says nothing ("not judged") what
 * the agent last wrote of it ("off": nothing checks it). */
static const char *health_word(const struct bgx_backend_view *v, const struct status_target *t)
{
	switch (v->health) {
	case BACKEND_HEALTH_UP: return "up";
	case BACKEND_HEALTH_DOWN: return "down";
	case BACKEND_HEALTH_PENDING: return "unchecked";
	default: return t && t->state[0] ? t->state : "off";
	}
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

/* "since 2024-05-01T12:00:01Z, last check ok in 0.4 ms", on a line of its own */
static void text_check(FILE *f, const struct status_target *t)
{
	char since[64];

	if (!t)
		return;
	format_time((__u64)t->since_ms * 1000000ull, since, sizeof(since));
	fprintf(f, "\n      %s since %s", t->state, since);
	if (!strcmp(t->result, "none") || !t->result[0]) {
		fprintf(f, ", not checked yet");
		return;
	}
	fprintf(f, ", last check %s in %.1f ms", t->result, t->latency_us / 1000.0);
	if (strcmp(t->result, "ok") && strcmp(t->result, "refused") && t->detail[0])
		fprintf(f, " (%s)", t->detail);
	if (t->suspected)
		fprintf(f, ", suspected from its traffic");
}

static void text_backend(FILE *f, const struct bgx_service_view *sv,
			 const struct bgx_backend_view *v, const struct status_agent *a)
{
	const struct status_target *t = status_agent_find(a, sv->name, v->color, v->address);

	fprintf(f, "\n    %-22s weight %-4u admin %-5s  health %-9s  flows %llu", v->address,
		v->weight, admin_state_name(v->state), health_word(v, t),
		(unsigned long long)v->open_flows);
	if (v->live_flows > v->open_flows)
		fprintf(f, " (+%llu closing)", (unsigned long long)(v->live_flows - v->open_flows));
	if (v->state == BACKEND_UP && !v->takes_flows)
		fprintf(f, "  OUT OF THE RING");
	text_check(f, t);
}

static void text_backends(FILE *f, const struct bgx_service_view *sv, __u32 color,
			  const struct status_agent *a)
{
	int shown = 0;

	fprintf(f, "  %s backends:", color_name(color));
	for (__u32 b = 0; b < sv->n_backends; b++) {
		if (sv->backends[b].color != color)
			continue;
		text_backend(f, sv, &sv->backends[b], a);
		shown++;
	}
	fprintf(f, "%s\n", shown ? "" : " none");
}

static void text_health(FILE *f, const struct bgx_service_view *sv, const struct status_agent *a)
{
	struct health_settings s;
	char what[HEALTH_PATH_LEN + 320];

	for (__u32 c = 0; c < BGXDP_COLORS; c++)
		if (sv->colors[c].failover)
			fprintf(f, "  FAILOVER: every %s backend fails its health checks: %s's new flows "
				"go to %s\n", color_name(c), color_name(c), color_name(c ^ 1));
	if (sv->fails_open)
		fprintf(f, "  HEALTH IGNORED: every backend fails its health checks; all ready backends "
			"keep taking new flows (fail open)\n");
	if (status_agent_settings(a, sv->name, &s))
		return;
	health_describe(&s, what, sizeof(what));
	fprintf(f, "  health checks: %s%s\n", what, !s.enabled ? "" :
		a->pid ? " (agent running)" : " (NO AGENT RUNNING: nothing is checked)");
}

static void text_service(FILE *f, const struct bgx_service_view *sv, const struct status_agent *a)
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
	text_health(f, sv, a);
	for (__u32 c = 0; c < BGXDP_COLORS; c++)
		text_backends(f, sv, c, a);
	fprintf(f, "  live flows: blue %llu, green %llu\n",
		(unsigned long long)sv->colors[BGXDP_BLUE].live_flows,
		(unsigned long long)sv->colors[BGXDP_GREEN].live_flows);
}

static void render_text(FILE *f, const struct bgx_snapshot *s, const struct status_agent *a)
{
	text_interfaces(f, s);
	for (__u32 i = 0; i < s->n_services; i++)
		text_service(f, &s->services[i], a);
	if (!s->n_services)
		fprintf(f, "\nno services (add one with 'bgxdp service add')\n");
}

/* ---- JSON ---- */

static void json_share(FILE *f, __u32 bp)
{
	fprintf(f, "%u.%02u", bp / 100, bp % 100);
}

static void json_check(FILE *f, const struct status_target *t)
{
	fputs(",\"health_since_unix_ms\":", f);
	if (!t) {
		fputs("null,\"last_check\":null", f);
		return;
	}
	fprintf(f, "%lld,\"last_check\":", (long long)t->since_ms);
	if (!t->result[0] || !strcmp(t->result, "none")) {
		fputs("null", f);
		return;
	}
	fputs("{\"result\":", f);
	json_write_string(f, t->result);
	fprintf(f, ",\"latency_us\":%u,\"http_status\":%d,\"at_unix_ms\":%lld,\"detail\":",
		t->latency_us, t->http_status, (long long)t->at_ms);
	json_write_string(f, t->detail);
	fprintf(f, ",\"suspected\":%s}", t->suspected ? "true" : "false");
}

static void json_backend(FILE *f, const struct bgx_service_view *sv,
			 const struct bgx_backend_view *v, const struct status_agent *a)
{
	const struct status_target *t = status_agent_find(a, sv->name, v->color, v->address);

	fputs("{\"address\":", f);
	json_write_string(f, v->address);
	fprintf(f, ",\"weight\":%u,\"state\":\"%s\",\"admin\":\"%s\",\"health\":\"%s\","
		"\"in_ring\":%s,\"flows\":%llu,\"open_flows\":%llu", v->weight,
		backend_state_name(v->state), admin_state_name(v->state), health_word(v, t),
		v->takes_flows ? "true" : "false", (unsigned long long)v->live_flows,
		(unsigned long long)v->open_flows);
	json_check(f, t);
	fputs("}", f);
}

static void json_backends(FILE *f, const struct bgx_service_view *sv, __u32 color,
			  const struct status_agent *a)
{
	int shown = 0;

	fprintf(f, "%s\"%s\":[", color ? "," : "", color_name(color));
	for (__u32 b = 0; b < sv->n_backends; b++) {
		if (sv->backends[b].color != color)
			continue;
		fputs(shown++ ? "," : "", f);
		json_backend(f, sv, &sv->backends[b], a);
	}
	fprintf(f, "]");
}

static void json_health(FILE *f, const struct bgx_service_view *sv, const struct status_agent *a)
{
	struct health_settings s;
	json_t *settings;
	char *text;

	fprintf(f, ",\"failover\":{\"blue\":%s,\"green\":%s},\"health_ignored\":%s,\"health_checks\":",
		sv->colors[BGXDP_BLUE].failover ? "true" : "false",
		sv->colors[BGXDP_GREEN].failover ? "true" : "false", sv->fails_open ? "true" : "false");
	settings = status_agent_settings(a, sv->name, &s) ? NULL : health_settings_to_json(&s);
	text = settings ? json_dumps(settings, JSON_COMPACT) : NULL;
	fputs(text ? text : "null", f);
	free(text);
	json_decref(settings);
}

static void json_service(FILE *f, const struct bgx_service_view *sv, bool first,
			 const struct status_agent *a)
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
		json_backends(f, sv, c, a);
	fprintf(f, "},\"flows\":{\"blue\":%llu,\"green\":%llu},\"open_flows\":{\"blue\":%llu,"
		"\"green\":%llu}", (unsigned long long)sv->colors[BGXDP_BLUE].live_flows,
		(unsigned long long)sv->colors[BGXDP_GREEN].live_flows,
		(unsigned long long)sv->colors[BGXDP_BLUE].open_flows,
		(unsigned long long)sv->colors[BGXDP_GREEN].open_flows);
	json_health(f, sv, a);
	fputs("}", f);
}

static void render_json(FILE *f, const struct bgx_snapshot *s, const struct status_agent *a)
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
		json_service(f, &s->services[i], i == 0, a);
	fputs("],\"agent\":{\"state_dir\":", f);
	json_write_string(f, a->state_dir);
	fputs(",\"pid\":", f);
	if (a->pid)
		fprintf(f, "%d}}\n", (int)a->pid);
	else
		fputs("null}}\n", f);
}

static int run_status(const void *params, struct cli *cli)
{
	const struct status_params *p = params;
	struct status_agent agent;
	struct bgx_snapshot *snap;
	struct bgx_instance *in;
	int r;

	if ((r = cli_open(cli, BGX_READ, &in)))
		return r;
	r = bgx_snapshot(in, BGX_SNAP_FLOWS, p->service[0] ? p->service : NULL, &snap, &cli->err);
	bgx_close(in);
	if (r)
		return r;
	status_agent_load(cli, &agent);
	if (cli->globals.json) {
		render_json(cli_json_begin(cli), snap, &agent);
		r = cli_json_end(cli);
	} else {
		render_text(cli->out, snap, &agent);
	}
	status_agent_free(&agent);
	free(snap);
	return r;
}

const struct cmd_spec cmd_status = {
	.name = "status",
	.summary = "show interfaces, services, shares, backends, health and live flows",
	.synopsis = "[--service NAME] [--json]",
	.description =
"  Shows the attached interfaces and, per service: VIP, protocol, preview\n"
"  address, affinity, blue/green share of new flows, config generation, number\n"
"  of traffic changes and the time of the last one, the health checks and\n"
"  whether an agent runs them, and the backends of each color: address,\n"
"  weight, admin state (ready, drain, maint), health (up, down, unchecked, or\n"
"  off when nothing checks it) with the time of its last change and the last\n"
"  check's result and latency, and its open flows (connections without a FIN\n"
"  or reset yet; closing ones in brackets).  A color whose backends all fail\n"
"  their checks while the other serves is shown as FAILOVER (its new flows go\n"
"  to the other color); a service whose backends all fail is shown as HEALTH\n"
"  IGNORED (fail open).  Live flows per color are the flow entries that have\n"
"  not idled out.  Read-only: takes no lock and needs no capability, only\n"
"  access to the pins, which are root-only (run as root).\n"
"  JSON keys: pin_dir, interfaces[{name, ifindex}], services[{name, vip, proto,\n"
"  preview (null if none), affinity, share{blue, green} (percent),\n"
"  green_share_bp, generation, changes, last_change_unix_ns,\n"
"  backends{blue, green}[{address, weight, state (up|drain|down), admin, health,\n"
"  in_ring, flows, open_flows, health_since_unix_ms, last_check{result,\n"
"  latency_us, http_status, at_unix_ms, detail, suspected}}], flows{blue, green},\n"
"  open_flows{blue, green}, failover{blue, green}, health_ignored,\n"
"  health_checks (the settings, null if none)}], agent{state_dir, pid}.\n",
	.params = status_params,
	.params_size = sizeof(struct status_params),
	.examples =
"  bgxdp status\n"
"  bgxdp status --service web --json | jq '.services[0].share'\n",
	.run = run_status,
};
