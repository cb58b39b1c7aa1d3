// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rollout start / status / pause / resume / promote / abort: a progressive
 * rollout that the agent drives.  The tables are here with every other
 * command's; the agent's program runs them (user/agent/rollout_cmd.c): they
 * talk to the agent and read its state, none is on the path of a flip.
 */
#include "commands.h"
#include "rollout_opts.h"

const char *const rollout_on_failure_choices[] = { "abort", "pause", NULL };

static const struct param start_params[] = {
	PARAM_POS(struct rollout_start_params, color, P_COLOR, "blue|green", "color",
		  "The color whose share rises (the new version)."),
	PARAM_OPT(struct rollout_start_params, service, P_NAME, "service", "NAME",
		  .help = "Service to roll out; may be left out while exactly one exists."),
	PARAM_OPT(struct rollout_start_params, steps, P_STRING, "steps", "P1,P2,...,100",
		  .required = true,
		  .help = "The color's share at each step, percent, strictly rising, ending at 100."),
	PARAM_OPT(struct rollout_start_params, interval_ms, P_DURATION, "interval", "DUR",
		  .required = true, .min = 100, .max = 7ull * 24 * 3600 * 1000,
		  .help = "How long each step is held and judged (at least the health-check "
			  "interval)."),
	PARAM_OPT(struct rollout_start_params, pause_at, P_STRING, "pause-at", "P[,P...]",
		  .help = "Steps that wait for 'bgxdp rollout promote' once they passed."),
	PARAM_OPT(struct rollout_start_params, foreground, P_FLAG, "foreground", NULL,
		  .help = "No agent runs: drive the rollout from this process until it ends "
			  "(it takes the agent's lock meanwhile)."),
	ANALYSIS_OPTION_PARAMS(struct rollout_start_params),
	PARAM_END
};

static const struct param service_param[] = {
	PARAM_OPT(struct rollout_verb_params, service, P_NAME, "service", "NAME",
		  .help = "The service; may be left out while exactly one has a rollout."),
	PARAM_END
};

static const struct param status_params[] = {
	PARAM_OPT(struct rollout_verb_params, service, P_NAME, "service", "NAME",
		  .help = "Only this service's rollout."),
	PARAM_OPT(struct rollout_verb_params, watch, P_FLAG, "watch", NULL,
		  .help = "Stay and print each decision until the rollout ends: exit 0 when it "
			  "reached 100 %, 1 when it was aborted."),
	PARAM_OPT(struct rollout_verb_params, wait_timeout_ms, P_DURATION, "timeout", "DUR",
		  .min = 1, .max = 7ull * 24 * 3600 * 1000,
		  .help = "With --watch: give up after DUR (exit 1; the rollout goes on)."),
	PARAM_END
};

static const struct param promote_params[] = {
	PARAM_OPT(struct rollout_verb_params, service, P_NAME, "service", "NAME",
		  .help = "The service; may be left out while exactly one has a rollout."),
	PARAM_OPT(struct rollout_verb_params, full, P_FLAG, "full", NULL,
		  .help = "Straight to 100 %: the rollout ends, succeeded."),
	PARAM_END
};

static const char rollout_exit[] =
"  0  done (with --wait or --watch: the rollout reached 100 %).\n"
"  1  refused, or (with --wait or --watch) the rollout was aborted or the wait\n"
"     timed out; one line 'bgxdp: <what failed>: <why>' on stderr.\n"
"  2  bad usage (unknown option, malformed steps, duration, number, URL, a\n"
"     --query without --max or --min); nothing changed.\n";

const struct cmd_spec cmd_rollout_start = {
	.name = "rollout start",
	.summary = "raise a share in judged steps",
	.synopsis = "blue|green [--service NAME] --steps 1,5,25,50,100 --interval DUR [--pause-at P] "
		    "[--on-failure abort|pause] [--min-samples N] [--max-failure-ratio R] "
		    "[--max-error-ratio-vs-stable Kx] [--max-connect-p99 DUR] [--min-healthy N] "
		    "[--prometheus URL (--query EXPR (--max V | --min V))...] [--wait [--timeout DUR]] "
		    "[--foreground]",
	.description =
"  Asks the agent to raise the color's share of new flows through the steps.\n"
"  Each step is held for the interval and judged on that window, the rising\n"
"  color against its limits and, with --max-error-ratio-vs-stable, against\n"
"  the stable color over the same seconds: connection failures (SYNs without\n"
"  a SYN-ACK, resets from its backends) per new flow, the handshake p99, its\n"
"  healthy backends, and PromQL queries for what only the application knows.\n"
"  A failed check aborts at once (back to the split before the rollout, one\n"
"  publish) or pauses (--on-failure pause); a step without enough new flows\n"
"  (--min-samples) is inconclusive, never passed: it is extended, then the\n"
"  rollout pauses.  --pause-at steps wait for 'bgxdp rollout promote'.  Every\n"
"  decision goes to the history with its figures.  The state is kept in the\n"
"  state dir: a restarted agent resumes the rollout, or holds it (paused)\n"
"  when the share was changed meanwhile.  Refused without a running agent\n"
"  (unless --foreground), while the service has a rollout, when the color has\n"
"  no healthy backend, for steps not strictly rising or not ending at 100, an\n"
"  interval below the health-check interval, a Prometheus URL that is not\n"
"  http(s), or a query the server cannot parse.\n",
	.params = start_params,
	.params_size = sizeof(struct rollout_start_params),
	.exit_status = rollout_exit,
	.changes_state = true,
	.in_agent = true,
	.examples =
"  bgxdp rollout start green --steps 10,50,100 --interval 1m --wait\n"
"  bgxdp rollout start green --steps 1,5,25,50,100 --interval 2m --pause-at 50 \\\n"
"      --max-error-ratio-vs-stable 2x --prometheus http://127.0.0.1:9090 \\\n"
"      --query 'sum(rate(http_requests_total{code=~\"5..\",color=\"green\"}[1m]))' --max 0.5\n",
};

const struct cmd_spec cmd_rollout_status = {
	.name = "rollout status",
	.summary = "show a rollout and its decisions",
	.synopsis = "[--service NAME] [--watch [--timeout DUR]] [--json]",
	.description =
"  Shows each service's rollout as the agent keeps it in the state dir: its\n"
"  phase (running, paused, succeeded, aborted), step and share, the checks of\n"
"  the last analysis (value, limit, verdict) and the last decisions.  With\n"
"  --watch it stays and prints each new decision until the rollout ends.\n"
"  JSON keys: rollouts[] (each the state as stored: spec, phase, step,\n"
"  green_share_bp, last_analysis, log, ...).\n",
	.params = status_params,
	.params_size = sizeof(struct rollout_verb_params),
	.exit_status = rollout_exit,
	.in_agent = true,
	.examples =
"  bgxdp rollout status\n"
"  bgxdp rollout status --watch --timeout 30m\n",
};

#define VERB(name_, summary_, description_, params_)                           \
	{                                                                       \
		.name = name_, .summary = summary_, .synopsis = "[--service NAME]", \
		.description = description_, .params = params_,                  \
		.examples = "  bgxdp " name_ "\n  bgxdp " name_ " --service web\n", \
		.params_size = sizeof(struct rollout_verb_params),               \
		.exit_status = rollout_exit, .changes_state = true, .in_agent = true, \
	}

const struct cmd_spec cmd_rollout_pause = VERB("rollout pause",
	"hold a rollout at its step",
	"  The rollout stays at its share; checks still run and a failure still aborts\n"
	"  (unless --on-failure pause).  'bgxdp rollout resume' goes on.\n",
	service_param);

const struct cmd_spec cmd_rollout_resume = VERB("rollout resume",
	"go on with a paused rollout",
	"  A rollout paused by 'rollout pause', an inconclusive step or a failure\n"
	"  (--on-failure pause) goes on: its step starts over.  A step waiting at a\n"
	"  --pause-at gate needs 'rollout promote'.\n",
	service_param);

const struct cmd_spec cmd_rollout_promote = {
	.name = "rollout promote",
	.summary = "go to the next step now",
	.synopsis = "[--service NAME] [--full]",
	.description =
"  The next step's share is published now, without waiting for the interval\n"
"  (a --pause-at gate opens); after the last step the rollout succeeds.\n"
"  --full publishes 100 % at once and ends the rollout, succeeded.\n",
	.params = promote_params,
	.params_size = sizeof(struct rollout_verb_params),
	.examples =
"  bgxdp rollout promote                 # a --pause-at gate opens\n"
"  bgxdp rollout promote --full --service web\n",
	.exit_status = rollout_exit,
	.changes_state = true,
	.in_agent = true,
};

const struct cmd_spec cmd_rollout_abort = VERB("rollout abort",
	"back to the split before it",
	"  Publishes the share from before the rollout (one store, no analysis\n"
	"  first) and ends it, aborted.\n",
	service_param);
