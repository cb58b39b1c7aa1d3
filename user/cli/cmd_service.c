// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* service add / del */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include "cli_state.h"
#include "health_desired.h"
#include "commands.h"
#include "model_edit.h"

static const char *const proto_choices[] = { "tcp", "udp", NULL };
static const char *const affinity_choices[] = { "flow", "client", NULL };
enum { PROTO_TCP, PROTO_UDP };
enum { AFFINITY_FLOW, AFFINITY_CLIENT };

struct service_add_params {
	char name[BGXDP_NAME_LEN];
	struct endpoint vip;
	int proto;
	struct endpoint preview;        /* family 0: none */
	int affinity;
};

static const struct param add_params[] = {
	PARAM_POS(struct service_add_params, name, P_NAME, "NAME", "NAME",
		  "Service name: 1..31 characters of A-Z a-z 0-9 _ . -"),
	PARAM_OPT(struct service_add_params, vip, P_ENDPOINT, "vip", "ADDR:PORT", .required = true,
		  .help = "Service address (VIP) and port; IPv6 as [ADDR]:PORT."),
	PARAM_OPT(struct service_add_params, proto, P_ENUM, "proto", "tcp|udp", .def = "tcp",
		  .choices = proto_choices, .help = "L4 protocol of the service."),
	PARAM_OPT(struct service_add_params, preview, P_ENDPOINT, "preview", "ADDR:PORT",
		  .help = "Extra address whose new flows always go to green, whatever the share "
			  "(to test green before it gets traffic). Same family as the VIP."),
	PARAM_OPT(struct service_add_params, affinity, P_ENUM, "affinity", "flow|client",
		  .def = "flow", .choices = affinity_choices,
		  .help = "What decides color and backend of a new flow: the whole flow (client "
			  "address and port), or the client address only (a client sticks to one color)."),
	PARAM_END
};

static void endpoint_text(const struct endpoint *ep, char *buf, size_t len)
{
	format_endpoint(ep->addr, htons(ep->port), ep->family, buf, len);
}

static int validate_add(void *params, struct bgx_err *e)
{
	const struct service_add_params *p = params;
	char vip[BGX_ADDRESS_LEN], prev[BGX_ADDRESS_LEN];

	if (!p->preview.family)
		return 0;
	endpoint_text(&p->vip, vip, sizeof(vip));
	endpoint_text(&p->preview, prev, sizeof(prev));
	if (p->preview.family != p->vip.family)
		return bgx_fail_usage(e, EINVAL, "--preview '%s': must be the same address family as --vip '%s'",
				      prev, vip);
	if (!memcmp(&p->preview, &p->vip, sizeof(p->vip)))
		return bgx_fail_usage(e, EINVAL, "--preview '%s' must differ from --vip", prev);
	return 0;
}

static void add_spec(const struct service_add_params *p, struct bgx_service_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	memcpy(spec->name, p->name, sizeof(spec->name));
	spec->vip = p->vip;
	spec->proto = p->proto == PROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	spec->has_preview = p->preview.family != 0;
	spec->preview = p->preview;
	spec->affinity_client = p->affinity == AFFINITY_CLIENT;
}

static int batch_add(const void *params, struct bgx_desired *model, struct bgx_err *e)
{
	struct bgx_service_spec spec;

	add_spec(params, &spec);
	return bgx_model_service_add(model, &spec, e);
}

static int run_add(const void *params, struct cli *cli)
{
	const struct service_add_params *p = params;
	char vip[BGX_ADDRESS_LEN], prev[BGX_ADDRESS_LEN] = "";
	struct bgx_service_spec spec;
	struct bgx_instance *in;
	int r;

	add_spec(p, &spec);
	if ((r = cli_open(cli, BGX_WRITE, &in)))
		return r;
	r = bgx_service_add(in, &spec, &cli->err);
	bgx_close(in);
	if (r)
		return r;
	endpoint_text(&p->vip, vip, sizeof(vip));
	if (spec.has_preview)
		endpoint_text(&p->preview, prev, sizeof(prev));
	cli_history(cli, "service.add", p->name, NULL,
		    json_pack("{s:s, s:s, s:s*, s:s}", "vip", vip, "proto", proto_name(spec.proto),
			      "preview", spec.has_preview ? prev : NULL,
			      "affinity", spec.affinity_client ? "client" : "flow"), NULL);
	if (cli->globals.json) {
		FILE *f = cli_json_begin(cli);

		fputs("{\"service\":", f);
		json_write_string(f, p->name);
		fputs(",\"vip\":", f);
		json_write_string(f, vip);
		fprintf(f, ",\"proto\":\"%s\",\"preview\":", proto_name(spec.proto));
		if (spec.has_preview)
			json_write_string(f, prev);
		else
			fputs("null", f);
		fprintf(f, ",\"affinity\":\"%s\",\"added\":true}",
			spec.affinity_client ? "client" : "flow");
		return cli_json_end(cli);
	}
	fprintf(cli->out, "service %s added: %s %s%s%s, affinity %s, all new flows to blue\n",
		p->name, vip, proto_name(spec.proto), spec.has_preview ? ", preview " : "", prev,
		spec.affinity_client ? "client" : "flow");
	return 0;
}

struct service_del_params {
	char name[BGXDP_NAME_LEN];
};

static const struct param del_params[] = {
	PARAM_POS(struct service_del_params, name, P_NAME, "NAME", "NAME",
		  "Service name: 1..31 characters of A-Z a-z 0-9 _ . -"),
	PARAM_END
};

/* A deleted service's stored health settings go with it (an agent that
 * still checks its backends drops them at once when it rereads). */
static void forget_health_settings(struct cli *cli, const char *service)
{
	struct bgx_err e = { 0 };
	const char *dir;

	if (cli_state_dir(cli, &dir)) {
		bgx_err_clear(&cli->err);
		return;
	}
	if (health_settings_remove(dir, service, &e))
		fprintf(stderr, "bgxdp: warning: %s\n", e.msg);
	cli_wake_agent(cli);
}

static int batch_del(const void *params, struct bgx_desired *model, struct bgx_err *e)
{
	const struct service_del_params *p = params;

	return bgx_model_service_del(model, p->name, e);
}

static int run_del(const void *params, struct cli *cli)
{
	const struct service_del_params *p = params;
	struct bgx_instance *in;
	int r;

	if ((r = cli_open(cli, BGX_WRITE, &in)))
		return r;
	r = bgx_service_del(in, p->name, &cli->err);
	bgx_close(in);
	if (r)
		return r;
	forget_health_settings(cli, p->name);
	cli_history(cli, "service.del", p->name, json_string(p->name), NULL, NULL);
	if (cli->globals.json) {
		FILE *f = cli_json_begin(cli);

		fputs("{\"service\":", f);
		json_write_string(f, p->name);
		fputs(",\"deleted\":true}", f);
		return cli_json_end(cli);
	}
	fprintf(cli->out, "service %s deleted\n", p->name);
	return 0;
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
	.params = add_params,
	.params_size = sizeof(struct service_add_params),
	.examples =
"  bgxdp service add web --vip 10.0.0.1:80\n"
"  bgxdp service add dns --vip 10.0.0.1:53 --proto udp --affinity client\n"
"  bgxdp service add web6 --vip [2001:db8::1]:443 --preview [2001:db8::1]:8443\n",
	.changes_state = true,
	.validate = validate_add,
	.run = run_add,
	.batch = batch_add,
};

const struct cmd_spec cmd_service_del = {
	.name = "service del",
	.summary = "delete a service",
	.synopsis = "NAME",
	.description =
"  Deletes service NAME: its VIP and preview address, backends and settings.\n"
"  New packets to the VIP pass untouched at once; flow entries idle out.\n",
	.params = del_params,
	.params_size = sizeof(struct service_del_params),
	.examples = "  bgxdp service del web\n",
	.changes_state = true,
	.run = run_del,
	.batch = batch_del,
};
