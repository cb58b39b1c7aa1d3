// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rollout_cmd.c - `rollout start` and `set --verify`: the spec from the
 * typed options (checked here, so a bad value is a usage error before
 * anything is asked), then the request to the running agent, or the
 * rollout driven from this process (--foreground), then --wait.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cli_state.h"
#include "commands.h"
#include "rollout_cmd.h"
#include "rollout_json.h"
#include "rollout_opts.h"


int rollout_service(struct cli *cli, const char *given, char name[BGXDP_NAME_LEN])
{
	struct bgx_snapshot *snap;
	struct bgx_instance *in;
	int r;

	if ((r = cli_open(cli, BGX_READ, &in)))
		return r;
	r = bgx_snapshot(in, BGX_SNAP_CONFIG, given && *given ? given : NULL, &snap, &cli->err);
	bgx_close(in);
	if (r)
		return r;
	if (snap->n_services == 1)
		snprintf(name, BGXDP_NAME_LEN, "%s", snap->services[0].name);
	else
		r = bgx_fail(&cli->err, EINVAL, "%u services configured: say which one with "
				   "--service NAME", snap->n_services);
	free(snap);
	return r;
}

/* --query EXPR --max V | --min V, in order. */
static int spec_queries(const struct param_seq *seq, struct rollout_spec *s, struct bgx_err *e)
{
	for (int i = 0; i < seq->n; i++) {
		const char *opt = seq->items[i].option, *expr = seq->items[i].text;
		double limit;
		int r;

		if (strcmp(opt, "query"))
			return bgx_fail_usage(e, EINVAL, "--%s %s: no --query before it", opt, expr);
		if (i + 1 == seq->n || !strcmp(seq->items[i + 1].option, "query"))
			return bgx_fail_usage(e, EINVAL, "--query '%.60s' needs --max V or --min V after it",
					      expr);
		i++;
		if ((r = rollout_parse_number(seq->items[i].text, seq->items[i].option, &limit, e)) ||
		    (r = rollout_add_query(s, NULL, expr, strcmp(seq->items[i].option, "max") ?
					   CHECK_MIN : CHECK_MAX, limit, e)))
			return r;
	}
	return 0;
}

/* The checks of a step, from the options shared by start and verify. */
static int spec_analysis(const struct analysis_opts *o, struct rollout_spec *s, struct bgx_err *e)
{
	struct analysis_config *a = &s->analysis;
	int r;

	s->on_failure = o->on_failure ? ROLLOUT_ON_FAILURE_PAUSE : ROLLOUT_ON_FAILURE_ABORT;
	s->max_extensions = (uint32_t)o->max_extensions;
	a->min_samples = o->min_samples;
	a->min_healthy = (uint32_t)o->min_healthy;
	a->max_query_errors = (uint32_t)o->max_query_errors;
	s->promql_timeout_ms = (unsigned)o->query_timeout_ms;
	if ((r = rollout_parse_number(o->max_failure_ratio, "--max-failure-ratio",
				      &a->max_failure_ratio, e)))
		return r;
	if (o->max_connect_p99_ms) {
		a->connect_p99_on = true;
		a->max_connect_p99_s = o->max_connect_p99_ms / 1000.0;
	}
	if (o->max_error_ratio_vs_stable) {
		a->vs_stable_on = true;
		if ((r = rollout_parse_multiple(o->max_error_ratio_vs_stable,
						"--max-error-ratio-vs-stable", &a->max_ratio_vs_stable, e)))
			return r;
	}
	if (o->prometheus && strlen(o->prometheus) >= sizeof(s->prometheus_url))
		return bgx_fail_usage(e, EINVAL, "--prometheus: URL longer than %zu characters",
				      sizeof(s->prometheus_url) - 1);
	if (o->prometheus)
		snprintf(s->prometheus_url, sizeof(s->prometheus_url), "%s", o->prometheus);
	return spec_queries(&o->queries, s, e);
}

static int start_spec(struct cli *cli, const struct rollout_start_params *p, struct rollout_spec *s)
{
	int r;

	rollout_spec_defaults(s);
	s->rising_color = p->color;
	s->interval_ms = p->interval_ms;
	if ((r = rollout_service(cli, p->service, s->service)) ||
	    (r = rollout_parse_steps(p->steps, s, &cli->err)) ||
	    (p->pause_at && (r = rollout_parse_pause_at(p->pause_at, s, &cli->err))) ||
	    (r = spec_analysis(&p->a, s, &cli->err)))
		return r;
	return rollout_spec_validate(s, 0, &cli->err);
}

static int no_agent(struct cli *cli, const char *what)
{
	char dir[4096] = "";

	cli_state_dir_peek(cli, dir, sizeof(dir));
	return bgx_fail(&cli->err, ESRCH, "no agent runs on state dir %s: start one ('bgxdp agent', or "
			"systemctl start bgxdp), or drive this %s from here with --foreground", dir,
			what);
}

static void announce(struct cli *cli, const struct rollout_spec *s)
{
	char steps[ROLLOUT_MAX_STEPS * 10] = "";

	if (cli->globals.json)
		return;
	for (unsigned i = 0; i < s->n_steps; i++)
		snprintf(steps + strlen(steps), sizeof(steps) - strlen(steps), "%s%u.%02u%%%s",
			 i ? ", " : "", s->steps_bp[i] / 100, s->steps_bp[i] % 100,
			 s->gate[i] ? " (gate)" : "");
	if (s->verify)
		fprintf(cli->out, "%s: %s gets every new flow, verified for %llu ms by the agent\n",
			s->service, color_name(s->rising_color), (unsigned long long)s->interval_ms);
	else
		fprintf(cli->out, "rollout of %s on %s started: %s, each held %llu ms\n",
			color_name(s->rising_color), s->service, steps,
			(unsigned long long)s->interval_ms);
	fflush(cli->out);
}

/* Start the rollout of `s` (through the agent or from here), then wait. */
static int launch(struct cli *cli, const struct rollout_spec *s, bool foreground,
		  const struct analysis_opts *a)
{
	json_t *body;
	int r;

	if (foreground)
		return rollout_foreground(cli, s);
	if (!cli_agent_pid(cli))
		return no_agent(cli, s->verify ? "verification" : "rollout");
	body = json_pack("{s:s, s:o}", "kind", "rollout.start", "spec", rj_spec(s));
	if (!body)
		return bgx_fail(&cli->err, ENOMEM, "out of memory");
	r = rollout_ask_agent(cli, body);
	json_decref(body);
	if (r)
		return r;
	announce(cli, s);
	return a->wait ? rollout_watch(cli, s->service, a->wait_timeout_ms) : 0;
}

int run_rollout_start(const void *params, struct cli *cli)
{
	const struct rollout_start_params *p = params;
	struct rollout_spec *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return bgx_fail(&cli->err, ENOMEM, "out of memory");
	if (!(r = start_spec(cli, p, s)))
		r = launch(cli, s, p->foreground, &p->a);
	free(s);
	return r;
}

/* `set COLOR --verify DUR`: a one-step rollout to 100 %. */
int run_set_verify(const void *params, struct cli *cli)
{
	const struct traffic_params *p = params;
	struct rollout_spec *s;
	int r;

	if (!p->verify_ms)
		return cmd_set.run(params, cli);
	if (!(s = calloc(1, sizeof(*s))))
		return bgx_fail(&cli->err, ENOMEM, "out of memory");
	rollout_spec_defaults(s);
	s->rising_color = p->color;
	rollout_spec_verify(s, p->verify_ms);
	if (!(r = rollout_service(cli, p->service, s->service)) &&
	    !(r = spec_analysis(&p->a, s, &cli->err)) &&
	    !(r = rollout_spec_validate(s, 0, &cli->err)))
		r = launch(cli, s, false, &p->a);
	free(s);
	return r;
}
