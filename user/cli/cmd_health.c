// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * health: a service's active health checks.  The settings are stored in the
 * state dir (health_store.h) and the agent runs them; this command does
 * not check anything itself, so it is as quick as any other.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cli_state.h"
#include "commands.h"
#include "health_desired.h"

struct health_params {
	char service[BGXDP_NAME_LEN];
	bool tcp;
	const char *http;               /* the path */
	const char *expect;
	__u64 interval_ms, timeout_ms, fastinter_ms, downinter_ms;
	unsigned long long rise, fall, port;
	bool expire_flows;
	bool off;
};

static const struct param health_params[] = {
	PARAM_POS(struct health_params, service, P_NAME, "NAME", "NAME", "Service name."),
	PARAM_OPT(struct health_params, tcp, P_FLAG, "tcp", NULL,
		  .help = "Check by opening a TCP connection (the default): connected = pass."),
	PARAM_OPT(struct health_params, http, P_STRING, "http", "PATH",
		  .help = "Check with an HTTP GET of PATH (starts with /): a status in --expect = pass."),
	PARAM_OPT(struct health_params, expect, P_STRING, "expect", "CODES",
		  .help = "With --http: the statuses that pass, codes and ranges like 200-399,404. "
			  "Default: 200-399."),
	PARAM_OPT(struct health_params, interval_ms, P_DURATION, "interval", "DUR", .def = "1s",
		  .min = HEALTH_INTERVAL_MIN_MS, .max = HEALTH_INTERVAL_MAX_MS,
		  .help = "Time between two checks of a backend that is up (100ms to 1h)."),
	PARAM_OPT(struct health_params, timeout_ms, P_DURATION, "timeout", "DUR", .def = "500ms",
		  .min = HEALTH_TIMEOUT_MIN_MS, .max = HEALTH_TIMEOUT_MAX_MS,
		  .help = "A check without an answer by then fails (10ms to 1m, shorter than the "
			  "interval)."),
	PARAM_OPT(struct health_params, rise, P_UINT, "rise", "N", .def = "2", .min = 1,
		  .max = HEALTH_COUNT_MAX,
		  .help = "Passing checks in a row that bring a backend that is down back (1..100)."),
	PARAM_OPT(struct health_params, fall, P_UINT, "fall", "N", .def = "2", .min = 1,
		  .max = HEALTH_COUNT_MAX,
		  .help = "Failed checks in a row that take a backend out of its ring (1..100)."),
	PARAM_OPT(struct health_params, port, P_UINT, "port", "PORT", .min = 1, .max = 65535,
		  .help = "Check this port instead of each backend's own."),
	PARAM_OPT(struct health_params, fastinter_ms, P_DURATION, "fastinter", "DUR",
		  .min = HEALTH_INTERVAL_MIN_MS, .max = HEALTH_INTERVAL_MAX_MS,
		  .help = "Time between checks while a backend changes state or is suspected from "
			  "the traffic. Default: half the interval, at least the timeout."),
	PARAM_OPT(struct health_params, downinter_ms, P_DURATION, "downinter", "DUR",
		  .min = HEALTH_INTERVAL_MIN_MS, .max = HEALTH_INTERVAL_MAX_MS,
		  .help = "Time between checks of a backend that is down. Default: the interval."),
	PARAM_OPT(struct health_params, expire_flows, P_FLAG, "expire-flows", NULL,
		  .help = "Also end the established flows of a backend that goes down (default: "
			  "they are left alone)."),
	PARAM_OPT(struct health_params, off, P_FLAG, "off", NULL,
		  .help = "Stop checking the service: every backend is judged by its admin state only."),
	PARAM_END
};

/* Options that make no sense together, and --expect without --http. */
static int validate(void *params, struct bgx_err *e)
{
	const struct health_params *p = params;

	if (p->tcp && p->http)
		return bgx_fail_usage(e, EINVAL, "--tcp and --http: choose one kind of check");
	if (p->expect && !p->http)
		return bgx_fail_usage(e, EINVAL, "--expect needs --http PATH (a TCP check has no status)");
	if (p->off && (p->tcp || p->http || p->port || p->fastinter_ms || p->downinter_ms ||
		       p->expire_flows))
		return bgx_fail_usage(e, EINVAL, "--off takes no other check option");
	return 0;
}

static int settings_of(const struct health_params *p, struct health_settings *s,
		       struct bgx_err *e)
{
	health_settings_default(s);
	s->enabled = !p->off;
	s->interval_ms = (uint32_t)p->interval_ms;
	s->timeout_ms = (uint32_t)p->timeout_ms;
	s->fastinter_ms = (uint32_t)p->fastinter_ms;
	s->downinter_ms = (uint32_t)p->downinter_ms;
	s->rise = (uint32_t)p->rise;
	s->fall = (uint32_t)p->fall;
	s->port = (uint16_t)p->port;
	s->expire_flows_on_down = p->expire_flows;
	if (p->http) {
		s->kind = HEALTH_HTTP;
		if (strlen(p->http) >= sizeof(s->path))
			return bgx_fail_usage(e, EINVAL, "--http: path longer than %zu characters",
					      sizeof(s->path) - 1);
		snprintf(s->path, sizeof(s->path), "%s", p->http);
		if (p->expect && health_parse_expect(p->expect, s, e))
			return -EINVAL;
	}
	if (health_settings_validate(s, e))
		return e->usage ? -EINVAL : e->code;
	return 0;
}

/* --off: health no longer counts, at once and whether an agent runs or not. */
static int clear_health(struct cli *cli, const char *service)
{
	struct bgx_snapshot *snap;
	struct bgx_instance *in;
	int r;

	if ((r = cli_open(cli, BGX_WRITE, &in)))
		return r;
	if (!(r = bgx_snapshot(in, BGX_SNAP_CONFIG, service, &snap, &cli->err))) {
		for (__u32 b = 0; !r && b < snap->services[0].n_backends; b++) {
			const struct bgx_backend_view *v = &snap->services[0].backends[b];
			struct bgx_backend_ref ref = { .service = service, .color = v->color,
						       .ep = v->ep };

			if (v->health != BACKEND_HEALTH_NONE)
				r = bgx_backend_set_health(in, &ref, BACKEND_HEALTH_NONE, NULL,
							   &cli->err);
		}
		free(snap);
	}
	bgx_close(in);
	return r;
}

/* The service must exist (a typo would store settings nobody uses). */
static int service_exists(struct cli *cli, const char *service)
{
	struct bgx_snapshot *snap;
	struct bgx_instance *in;
	int r;

	if ((r = cli_open(cli, BGX_READ, &in)))
		return r;
	r = bgx_snapshot(in, BGX_SNAP_CONFIG, service, &snap, &cli->err);
	bgx_close(in);
	if (!r)
		free(snap);
	return r;
}

static int render(struct cli *cli, const char *service, const struct health_settings *s,
		  pid_t agent)
{
	char what[HEALTH_PATH_LEN + 320];

	if (cli->globals.json) {
		FILE *f = cli_json_begin(cli);
		json_t *settings = health_settings_to_json(s);
		char *text = settings ? json_dumps(settings, JSON_COMPACT) : NULL;

		fputs("{\"service\":", f);
		json_write_string(f, service);
		fprintf(f, ",\"settings\":%s,\"agent_pid\":", text ? text : "null");
		if (agent)
			fprintf(f, "%d}", (int)agent);
		else
			fputs("null}", f);
		free(text);
		json_decref(settings);
		return cli_json_end(cli);
	}
	health_describe(s, what, sizeof(what));
	fprintf(cli->out, "health checks of %s: %s\n", service, what);
	if (!s->enabled)
		fprintf(cli->out, "backends of %s are judged by their admin state only\n", service);
	else if (agent)
		fprintf(cli->out, "the agent (pid %d) applies them now\n", (int)agent);
	else
		fprintf(cli->out, "stored; checks start when the agent runs ('bgxdp agent')\n");
	return 0;
}

static int run_health(const void *params, struct cli *cli)
{
	const struct health_params *p = params;
	struct health_settings s, old;
	struct bgx_err e = { 0 };
	const char *dir;
	bool had_old;
	int r;

	if ((r = settings_of(p, &s, &cli->err)) || (r = service_exists(cli, p->service)) ||
	    (r = cli_state_dir(cli, &dir)))
		return r;
	had_old = !health_settings_load(dir, p->service, &old, &e);
	if ((r = health_settings_save(dir, p->service, &s, &cli->err)))
		return r;
	if (!s.enabled && (r = clear_health(cli, p->service)))
		return r;
	cli_history(cli, "health", p->service, had_old ? health_settings_to_json(&old) : NULL,
		    health_settings_to_json(&s), NULL);
	return render(cli, p->service, &s, cli_wake_agent(cli));
}

const struct cmd_spec cmd_health = {
	.name = "health",
	.summary = "set a service's active health checks (the agent runs them)",
	.synopsis = "NAME [--tcp | --http PATH [--expect CODES]] [--interval DUR] [--timeout DUR] "
		    "[--rise N] [--fall N] [--port PORT] [--fastinter DUR] [--downinter DUR] "
		    "[--expire-flows] | NAME --off",
	.description =
"  Stores the service's health-check settings in the state dir; the agent\n"
"  ('bgxdp agent') checks every backend of the service from then on, from the\n"
"  host bgxdp runs on to each backend's address and port (or --port).  Options\n"
"  left out take their defaults: each call sets the whole check.\n"
"  A backend that fails --fall checks in a row leaves its color's Maglev ring\n"
"  for new flows (the other backends keep their ring slots); after --rise\n"
"  passes it comes back.  Established flows are left alone unless\n"
"  --expire-flows.  A backend added while the agent checks its service enters\n"
"  the ring after its first passing check.  When every backend of a color\n"
"  fails while the other color serves, the color's new flows go to the other\n"
"  color (failover: status, the metric bgxdp_color_failover and the history\n"
"  say so); when health would leave both colors without a backend, it is\n"
"  ignored for the service (fail open: a broken checker never black-holes a\n"
"  service).  Admin states win: a drained or maintained backend stays out\n"
"  whatever its checks say.  The traffic the data plane sees also counts: a\n"
"  backend whose SYNs go unanswered or are answered with a reset is checked\n"
"  again at once, at the fast interval.  Checks are spread over half the\n"
"  interval so they do not fire in lockstep.  --off stops the checks and\n"
"  puts every backend the checks had taken out back in its ring at once.\n"
"  Durations: 500ms, 2s, 1.5s, 1m.  JSON keys: service, settings{enabled,\n"
"  kind, interval_ms, timeout_ms, fastinter_ms, downinter_ms, rise, fall, port,\n"
"  jitter_pct, expire_flows_on_down, path, host, expect}, agent_pid (null when\n"
"  no agent runs).\n",
	.params = health_params,
	.params_size = sizeof(struct health_params),
	.validate = validate,
	.changes_state = true,
	.examples =
"  bgxdp health web                                  # TCP, every 1s, rise 2, fall 2\n"
"  bgxdp health web --http /healthz --expect 200-299 --interval 2s\n"
"  bgxdp health web --off\n",
	.run = run_health,
};
