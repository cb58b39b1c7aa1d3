// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* set / weight / rollback: the traffic split, one atomic word store each. */
#include "cli_state.h"
#include "commands.h"
#include "model_edit.h"
#include "rollout_opts.h"
#include "dispatch.h"

#define SERVICE_OPTION                                                          \
	PARAM_OPT(struct traffic_params, service, P_NAME, "service", "NAME",     \
		  .help = "Service to change; may be left out while exactly one service exists.")

static const struct param set_params[] = {
	PARAM_POS(struct traffic_params, color, P_COLOR, "blue|green", "color",
		  "The color that gets all new flows."),
	SERVICE_OPTION,
	PARAM_OPT(struct traffic_params, verify_ms, P_DURATION, "verify", "DUR", .min = 100,
		  .max = 7ull * 24 * 3600 * 1000,
		  .help = "Flip, then watch the color for DUR with the checks below (as a "
			  "rollout step: the agent judges it) and flip back at once if one "
			  "fails."),
	ANALYSIS_OPTION_PARAMS(struct traffic_params),
	PARAM_END
};

static const struct param weight_params[] = {
	PARAM_POS(struct traffic_params, color, P_COLOR, "blue|green", "color",
		  "The color whose share is set."),
	PARAM_POS(struct traffic_params, percent_bp, P_PERCENT, "PERCENT", "PERCENT",
		  "Its share of new flows: 0..100 with at most two decimals (10, 12.5, 0.01)."),
	SERVICE_OPTION,
	PARAM_END
};

static const struct param rollback_params[] = {
	SERVICE_OPTION,
	PARAM_END
};

static const char *service_or_only(const struct traffic_params *p)
{
	return p->service[0] ? p->service : NULL;
}

static void render(FILE *f, const struct bgx_share_result *res, bool rollback)
{
	char pb[16], pg[16];

	format_percent_bp(BGXDP_SHARE_SCALE - res->green_bp, pb, sizeof(pb));
	format_percent_bp(res->green_bp, pg, sizeof(pg));
	fprintf(f, "%s%s: blue %s%%, green %s%% of new flows (generation %u)\n",
		rollback ? "rolled back " : "", res->service, pb, pg, res->generation);
}

static int render_json(struct cli *cli, const struct bgx_share_result *res, bool rollback)
{
	FILE *f = cli_json_begin(cli);
	__u32 blue = BGXDP_SHARE_SCALE - res->green_bp;

	fputs("{\"service\":", f);
	json_write_string(f, res->service);
	fprintf(f, ",\"share\":{\"blue\":%u.%02u,\"green\":%u.%02u},\"green_share_bp\":%u,"
		"\"generation\":%u,\"rollback\":%s}", blue / 100, blue % 100,
		res->green_bp / 100, res->green_bp % 100, res->green_bp, res->generation,
		rollback ? "true" : "false");
	return cli_json_end(cli);
}

/* "green 10.00 %": what the history shows of a split. */
static json_t *share_text(__u32 green_bp)
{
	char text[32];

	snprintf(text, sizeof(text), "green %u.%02u %%", green_bp / 100, green_bp % 100);
	return json_string(text);
}

/* Green's share, or rollback when `green_bp` is negative. */
static int run_share(struct cli *cli, const struct traffic_params *p, long green_bp)
{
	struct bgx_share_result res;
	struct bgx_instance *in;
	int r;

	if ((r = cli_open(cli, BGX_WRITE, &in)))
		return r;
	if (green_bp < 0)
		r = bgx_share_rollback(in, service_or_only(p), &res, &cli->err);
	else
		r = bgx_share_set(in, service_or_only(p), (__u32)green_bp, &res, &cli->err);
	bgx_close(in);
	if (r)
		return r;
	cli_history(cli, green_bp < 0 ? "rollback" : cli->spec->name, res.service,
		    share_text(res.old_green_bp), share_text(res.green_bp), NULL);
	if (cli->globals.json)
		return render_json(cli, &res, green_bp < 0);
	render(cli->out, &res, green_bp < 0);
	return 0;
}

static int run_set(const void *params, struct cli *cli)
{
	const struct traffic_params *p = params;

	/* a verified flip is a one-step rollout: the agent's program runs it */
	if (p->verify_ms)
		return cli_exec_agent(cli->argc, cli->argv);
	return run_share(cli, p, p->color == BGXDP_GREEN ? BGXDP_SHARE_SCALE : 0);
}

static int run_weight(const void *params, struct cli *cli)
{
	const struct traffic_params *p = params;

	return run_share(cli, p, p->color == BGXDP_GREEN ? p->percent_bp
							 : BGXDP_SHARE_SCALE - p->percent_bp);
}

static int batch_set(const void *params, struct bgx_desired *model, struct bgx_err *e)
{
	const struct traffic_params *p = params;

	return bgx_model_share_set(model, service_or_only(p),
				   p->color == BGXDP_GREEN ? BGXDP_SHARE_SCALE : 0, e);
}

static int batch_weight(const void *params, struct bgx_desired *model, struct bgx_err *e)
{
	const struct traffic_params *p = params;

	return bgx_model_share_set(model, service_or_only(p),
				   p->color == BGXDP_GREEN ? p->percent_bp
							   : BGXDP_SHARE_SCALE - p->percent_bp, e);
}

static int run_rollback(const void *params, struct cli *cli)
{
	return run_share(cli, params, -1);
}

static const char traffic_exit[] =
"  0  done.\n"
"  1  failed (no such service, or a color would get traffic without an up\n"
"     backend); one line 'bgxdp: <what failed>: <why>' on stderr, nothing changed.\n"
"  2  bad usage (unknown option, missing argument, malformed color, percentage\n"
"     or name); nothing changed.\n";

const struct cmd_spec cmd_set = {
	.name = "set",
	.summary = "send all new flows to one color",
	.synopsis = "blue|green [--service NAME] [--verify DUR [CHECKS] [--wait [--timeout DUR]]]",
	.description =
"  Flips the service: every new flow goes to the given color.  Established\n"
"  flows keep their backend until they end or idle out.  The flip is one atomic\n"
"  store of the service's config word: O(1), whatever the number of flows.\n"
"  Refused if the color has no up backend.  The previous split is kept for\n"
"  'bgxdp rollback'.\n"
"  With --verify DUR the agent flips, judges the color for DUR with the same\n"
"  checks as a rollout step ('bgxdp rollout start --help') and flips back at\n"
"  once when one fails; --wait stays until then (exit 0: verified, 1: flipped\n"
"  back).  'bgxdp rollout status' and 'abort' work on it too.\n",
	.params = set_params,
	.params_size = sizeof(struct traffic_params),
	.examples =
"  bgxdp set green                 # the only service: all new flows to green\n"
"  bgxdp set blue --service web\n",
	.exit_status = traffic_exit,
	.changes_state = true,
	.run = run_set,
	.batch = batch_set,
};

const struct cmd_spec cmd_weight = {
	.name = "weight",
	.summary = "give a color a percentage of new flows (canary)",
	.synopsis = "blue|green PERCENT [--service NAME]",
	.description =
"  Sets the share of new flows the color gets, 0..100 % in 0.01 steps; the\n"
"  other color gets the rest.  Monotone: raising green's share only moves\n"
"  flows (or clients, with --affinity client) from blue to green.  Refused if\n"
"  a color would get a share without an up backend.\n",
	.params = weight_params,
	.params_size = sizeof(struct traffic_params),
	.examples =
"  bgxdp weight green 10           # canary: 10 % of new flows to green\n"
"  bgxdp weight green 0.5 --service web\n"
"  bgxdp weight blue 100           # same as 'bgxdp set blue'\n",
	.exit_status = traffic_exit,
	.changes_state = true,
	.run = run_weight,
	.batch = batch_weight,
};

const struct cmd_spec cmd_rollback = {
	.name = "rollback",
	.summary = "go back to the traffic split before the last change",
	.synopsis = "[--service NAME]",
	.description =
"  Restores the blue/green split that was in force before the last 'set',\n"
"  'weight' or 'rollback' (so a second rollback undoes the first).  Rollback is\n"
"  about the traffic split only: backends and their states stay as they are now.\n"
"  Refused if a color would get a share without an up backend.\n",
	.params = rollback_params,
	.params_size = sizeof(struct traffic_params),
	.examples =
"  bgxdp weight green 10 && bgxdp rollback   # back to the split before\n",
	.exit_status = traffic_exit,
	.changes_state = true,
	.run = run_rollback,
};
