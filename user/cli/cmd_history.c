// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* history: every change, by whom, and why (journal.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli_state.h"
#include "commands.h"
#include "journal.h"

struct history_params {
	char service[BGXDP_NAME_LEN];   /* "": every service */
	__u64 since_ms;                 /* 0: everything kept */
};

static const struct param history_params[] = {
	PARAM_OPT(struct history_params, service, P_NAME, "service", "NAME",
		  .help = "Only the changes of this service."),
	PARAM_OPT(struct history_params, since_ms, P_DURATION, "since", "DUR", .min = 1,
		  .max = 10ull * 365 * 24 * 3600 * 1000,
		  .help = "Only the changes of the last DUR (30s, 10m, 2h, 7d as 168h)."),
	PARAM_END
};

struct history_out {
	struct cli *cli;
	FILE *f;
	size_t n;
};

static int print_text(const struct journal_record *r, void *ctx)
{
	struct history_out *o = ctx;

	o->n++;
	return journal_render_text(r, o->f);
}

static int print_json(const struct journal_record *r, void *ctx)
{
	struct history_out *o = ctx;

	fputs(o->n++ ? "," : "", o->f);
	fwrite(r->line, 1, r->line_len, o->f);
	return 0;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int run_history(const void *params, struct cli *cli)
{
	const struct history_params *p = params;
	struct journal_filter filter = { .service = p->service[0] ? p->service : NULL };
	struct history_out o = { .cli = cli, .f = cli->out };
	struct journal_read_stats stats = { 0 };
	struct journal_config cfg;
	struct journal j;
	const char *dir;
	int r;

	if (p->since_ms)
		filter.since_ns = now_ns() - (int64_t)p->since_ms * 1000000;
	if ((r = cli_state_dir(cli, &dir)))
		return r;
	journal_config_default(&cfg, dir);
	if ((r = journal_open(&j, &cfg, &cli->err)))
		return r;
	if (cli->globals.json) {
		o.f = cli_json_begin(cli);
		fputs("{\"state_dir\":", o.f);
		json_write_string(o.f, dir);
		fputs(",\"entries\":[", o.f);
	}
	r = journal_read(&j, &filter, cli->globals.json ? print_json : print_text, &o, &stats,
			 &cli->err);
	if (cli->globals.json) {
		fprintf(o.f, "],\"skipped\":%zu}", stats.corrupt);
		return r ? r : cli_json_end(cli);
	}
	if (r)
		return r;
	if (!o.n)
		fprintf(cli->out, "no changes recorded%s%s%s in %s\n", filter.service ? " for " : "",
			filter.service ? filter.service : "", p->since_ms ? " in that time" : "", dir);
	if (stats.corrupt)
		fprintf(stderr, "bgxdp: warning: %zu line%s of the history %s not an entry: skipped\n",
			stats.corrupt, stats.corrupt == 1 ? "" : "s", stats.corrupt == 1 ? "is" : "are");
	return 0;
}

const struct cmd_spec cmd_history = {
	.name = "history",
	.summary = "show the changes made: commands, health transitions, failovers, rollouts",
	.synopsis = "[--service NAME] [--since DUR] [--json]",
	.description =
"  Lists, oldest first, every change recorded in the state dir's journal:\n"
"  state-changing commands (with the user and the command line), health\n"
"  transitions, color failovers, agent starts and stops, rollout decisions.\n"
"  One line per change: time (UTC), actor (cli, agent, health, rollout),\n"
"  service, what, before -> after, and the reason with the figures that\n"
"  caused it.  The journal survives agent restarts and 'detach'; it is\n"
"  rotated at 1 MiB (three old files kept) and each entry also goes to\n"
"  syslog.  JSON keys: state_dir, entries[] (each as stored: time, time_ns,\n"
"  actor, uid, sudo_uid, pid, command, service, what, before, after, reason,\n"
"  detail; absent fields left out), skipped (lines that were not entries).\n",
	.params = history_params,
	.params_size = sizeof(struct history_params),
	.examples =
"  bgxdp history --since 1h\n"
"  bgxdp history --service web --json | jq '.entries[] | select(.actor == \"health\")'\n",
	.run = run_history,
};
