/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * rollout_opts.h - the typed parameters of `rollout start`, the rollout
 * verbs and `set --verify`: declared here with every other command's (the
 * tables are in cmd_rollout.c and cmd_traffic.c), run by the agent's
 * program (user/agent/rollout_cmd.c), which turns them into a rollout spec
 * (user/agent/rollout.h).
 */
#ifndef BGXDP_ROLLOUT_OPTS_H
#define BGXDP_ROLLOUT_OPTS_H

#include <stdbool.h>
#include "params.h"

/* What a rollout step is judged on, and how the command waits. */
struct analysis_opts {
	int on_failure;                         /* 0 abort, 1 pause */
	unsigned long long max_extensions;
	unsigned long long min_samples;
	const char *max_failure_ratio;          /* a number 0..1 */
	__u64 max_connect_p99_ms;               /* 0: off */
	unsigned long long min_healthy;
	const char *max_error_ratio_vs_stable;  /* "2x"; NULL: off */
	const char *prometheus;                 /* URL; NULL: no PromQL checks */
	struct param_seq queries;               /* --query EXPR --max V | --min V, in order */
	__u64 query_timeout_ms;
	unsigned long long max_query_errors;
	bool wait;                              /* block until it ends: exit 0 done, 1 aborted */
	__u64 wait_timeout_ms;                  /* --timeout: 0 waits as long as it takes */
};

struct rollout_start_params {
	__u32 color;
	char service[BGXDP_NAME_LEN];
	const char *steps;
	__u64 interval_ms;
	const char *pause_at;
	bool foreground;
	struct analysis_opts a;
};

/* set / weight / rollback (cmd_traffic.c); set --verify runs in the agent's
 * program. */
struct traffic_params {
	__u32 color;
	__u32 percent_bp;               /* weight only */
	char service[BGXDP_NAME_LEN];   /* "": the only service */
	__u64 verify_ms;                /* set --verify DUR; 0: a plain flip */
	struct analysis_opts a;         /* set --verify */
};

struct rollout_verb_params {
	char service[BGXDP_NAME_LEN];
	bool full;                              /* promote --full */
	bool watch;                             /* status --watch */
	__u64 wait_timeout_ms;                  /* status --watch --timeout */
};

/* The analysis options, for a table whose struct `st` has them in `a`. */
#define ANALYSIS_OPTION_PARAMS(st)                                                     \
	PARAM_OPT(st, a.on_failure, P_ENUM, "on-failure", "abort|pause", .def = "abort",  \
		  .choices = rollout_on_failure_choices,                                \
		  .help = "What a failed check does: abort (back to the split before, one " \
			  "publish) or pause (hold the share, wait for resume or abort)."),  \
	PARAM_OPT(st, a.min_samples, P_UINT, "min-samples", "N", .def = "100", .min = 1, \
		  .max = 1000000000,                                                     \
		  .help = "New flows of the rising color a step needs before its checks "    \
			  "count; with fewer, the step is inconclusive: extended, then paused."), \
	PARAM_OPT(st, a.max_extensions, P_UINT, "max-extensions", "N", .def = "3",       \
		  .max = 1000,                                                           \
		  .help = "Times an inconclusive step is held one more interval before the " \
			  "rollout pauses."),                                            \
	PARAM_OPT(st, a.max_failure_ratio, P_STRING, "max-failure-ratio", "R",          \
		  .def = "0.05",                                                         \
		  .help = "Most failed connections per new flow of the rising color (SYNs "  \
			  "without SYN-ACK and resets from its backends), 0 to 1."),     \
	PARAM_OPT(st, a.max_error_ratio_vs_stable, P_STRING, "max-error-ratio-vs-stable", \
		  "Kx",                                                                  \
		  .help = "Also compare with the stable color over the same window: a "      \
			  "rising color that fails no more than K times as often is not "   \
			  "blamed (the failure-ratio check is inconclusive, not failed)."), \
	PARAM_OPT(st, a.max_connect_p99_ms, P_DURATION, "max-connect-p99", "DUR",       \
		  .min = 1, .max = 60000,                                                \
		  .help = "Most 99th-percentile handshake time of the rising color's "       \
			  "backends (SYN forwarded to SYN-ACK seen). Off by default."),  \
	PARAM_OPT(st, a.min_healthy, P_UINT, "min-healthy", "N", .def = "1",            \
		  .max = BGXDP_MAX_BACKENDS,                                             \
		  .help = "Fewest rising backends passing their health checks (0: all in "  \
			  "rotation)."),                                                 \
	PARAM_OPT(st, a.prometheus, P_STRING, "prometheus", "URL",                      \
		  .help = "Prometheus server (http:// or https://) the --query checks ask."), \
	PARAM_OPT(st, a.queries, P_SEQ, "query", "EXPR",                                \
		  .help = "A PromQL check, followed by its --max V or --min V; repeatable. " \
			  "The query must give one number (one series, or a scalar)."),   \
	PARAM_OPT(st, a.queries, P_SEQ, "max", "V",                                     \
		  .help = "The --query before it passes while its value is at most V."),  \
	PARAM_OPT(st, a.queries, P_SEQ, "min", "V",                                     \
		  .help = "The --query before it passes while its value is at least V."), \
	PARAM_OPT(st, a.query_timeout_ms, P_DURATION, "query-timeout", "DUR", .def = "2s", \
		  .min = 1, .max = 600000,                                               \
		  .help = "How long a PromQL query may take."),                          \
	PARAM_OPT(st, a.max_query_errors, P_UINT, "max-query-errors", "N", .def = "3",   \
		  .max = 1000,                                                           \
		  .help = "PromQL errors or empty answers in a row that are inconclusive; "  \
			  "one more fails the check."),                                  \
	PARAM_OPT(st, a.wait, P_FLAG, "wait", NULL,                                      \
		  .help = "Stay until it ends, printing each decision: exit 0 when it "      \
			  "reached 100 %, 1 when it was aborted."),                      \
	PARAM_OPT(st, a.wait_timeout_ms, P_DURATION, "timeout", "DUR", .min = 1,          \
		  .max = 7ull * 24 * 3600 * 1000,                                        \
		  .help = "With --wait: give up waiting after DUR (exit 1; the rollout "     \
			  "goes on).")

extern const char *const rollout_on_failure_choices[];

#endif
