// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* stats: counters and rates per service and color, once or refreshed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "commands.h"
#include "prometheus.h"

static volatile sig_atomic_t stop_watching;

static void on_stop_signal(int signal_number)
{
	(void)signal_number;
	stop_watching = 1;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int take_snapshot(struct cli *cli, struct bgx_snapshot **snap)
{
	struct bgx_instance *in;
	int err = cli_open(cli, BGX_READ, &in);

	if (err)
		return err;
	err = bgx_snapshot(in, BGX_SNAP_FLOWS | BGX_SNAP_COUNTERS, NULL, snap, &cli->err);
	bgx_close(in);
	return err;
}

/* Per-second rate of a counter between two snapshots (0 if it went back,
 * as after a service was deleted and re-added). */
static double rate(__u64 now, __u64 before, double seconds)
{
	return now >= before && seconds > 0 ? (now - before) / seconds : 0;
}

static const struct bgx_color_view *previous_color(const struct bgx_snapshot *before,
						    const char *service, __u32 color)
{
	for (__u32 s = 0; s < before->n_services; s++)
		if (!strcmp(before->services[s].name, service))
			return &before->services[s].colors[color];
	return NULL;
}

static void print_table(FILE *f, const struct bgx_snapshot *now,
			const struct bgx_snapshot *before, double seconds)
{
	fprintf(f, "%-16s %-6s %7s %12s %12s %12s %12s %10s %8s %7s\n", "SERVICE", "COLOR",
	       "SHARE%", "PKTS_IN", "PKTS_IN/s", "BYTES_IN/s", "BYTES_OUT/s",
	       "NEWFLOWS/s", "ACTIVE", "RESETS");
	for (__u32 s = 0; s < now->n_services; s++) {
		const struct bgx_service_view *service = &now->services[s];

		for (__u32 c = 0; c < BGXDP_COLORS; c++) {
			const struct bgx_color_view *cur = &service->colors[c];
			const struct bgx_color_view *old = previous_color(before, service->name, c);
			const struct color_counters *o = old ? &old->counters : &cur->counters;

			fprintf(f, "%-16s %-6s %7.2f %12llu %12.1f %12.1f %12.1f %10.1f %8llu %7llu\n",
			       service->name, color_name(c), cur->share_bp / 100.0,
			       (unsigned long long)cur->counters.packets_to_backend,
			       rate(cur->counters.packets_to_backend, o->packets_to_backend, seconds),
			       rate(cur->counters.bytes_to_backend, o->bytes_to_backend, seconds),
			       rate(cur->counters.bytes_to_client, o->bytes_to_client, seconds),
			       rate(cur->counters.flows_created, o->flows_created, seconds),
			       (unsigned long long)cur->live_flows,
			       (unsigned long long)cur->counters.resets_from_backend);
		}
	}
	if (!now->n_services)
		fprintf(f, "(no services)\n");
}

static void print_json(FILE *f, const struct bgx_snapshot *now,
		       const struct bgx_snapshot *before, double seconds)
{
	fprintf(f, "{\"interval_seconds\":%.3f,\"services\":[", seconds);
	for (__u32 s = 0; s < now->n_services; s++) {
		const struct bgx_service_view *service = &now->services[s];

		fprintf(f, "%s{\"name\":", s ? "," : "");
		json_write_string(f, service->name);
		fprintf(f, ",\"colors\":{");
		for (__u32 c = 0; c < BGXDP_COLORS; c++) {
			const struct bgx_color_view *cur = &service->colors[c];
			const struct bgx_color_view *old = previous_color(before, service->name, c);
			const struct color_counters *n = &cur->counters;
			const struct color_counters *o = old ? &old->counters : n;

			fprintf(f, "%s\"%s\":{\"share_percent\":%.2f,\"flows_active\":%llu,"
			       "\"packets_to_backend\":%llu,\"bytes_to_backend\":%llu,"
			       "\"packets_to_client\":%llu,\"bytes_to_client\":%llu,"
			       "\"flows_created\":%llu,\"flows_lost\":%llu,"
			       "\"resets_from_backend\":%llu,"
			       "\"packets_to_backend_per_second\":%.3f,"
			       "\"bytes_to_backend_per_second\":%.3f,"
			       "\"packets_to_client_per_second\":%.3f,"
			       "\"bytes_to_client_per_second\":%.3f,"
			       "\"flows_created_per_second\":%.3f}",
			       c ? "," : "", color_name(c), cur->share_bp / 100.0,
			       (unsigned long long)cur->live_flows,
			       (unsigned long long)n->packets_to_backend,
			       (unsigned long long)n->bytes_to_backend,
			       (unsigned long long)n->packets_to_client,
			       (unsigned long long)n->bytes_to_client,
			       (unsigned long long)n->flows_created,
			       (unsigned long long)n->flows_lost,
			       (unsigned long long)n->resets_from_backend,
			       rate(n->packets_to_backend, o->packets_to_backend, seconds),
			       rate(n->bytes_to_backend, o->bytes_to_backend, seconds),
			       rate(n->packets_to_client, o->packets_to_client, seconds),
			       rate(n->bytes_to_client, o->bytes_to_client, seconds),
			       rate(n->flows_created, o->flows_created, seconds));
		}
		fprintf(f, "}}");
	}
	fprintf(f, "],\"passed\":{");
	for (int r = 0; r < PASS_REASONS; r++)
		fprintf(f, "%s\"%s\":%llu", r ? "," : "", pass_reason_name(r),
			(unsigned long long)now->passed[r]);
	fprintf(f, "}}\n");
}

struct stats_params {
	unsigned long long watch;       /* seconds; 0: once */
	unsigned long long interval_ms;
};

/* Sample, wait, sample, print; with --watch, again until a signal. */
static int run_stats(const void *params, struct cli *cli)
{
	const struct stats_params *p = params;
	struct bgx_snapshot *before = NULL, *now = NULL;
	unsigned long long interval_ms = p->watch ? p->watch * 1000 : p->interval_ms;
	double t_before, t_now;
	int err;

	err = take_snapshot(cli, &before);
	t_before = now_seconds();
	if (p->watch) {
		signal(SIGINT, on_stop_signal);
		signal(SIGTERM, on_stop_signal);
	}
	while (!err) {
		usleep((useconds_t)(interval_ms * 1000));
		if (stop_watching)
			break;
		if ((err = take_snapshot(cli, &now)))
			break;
		t_now = now_seconds();
		if (p->watch && !cli->globals.json)
			fputs("\033[H\033[2J", cli->out);   /* refresh in place */
		if (cli->globals.json) {
			print_json(cli_json_begin(cli), now, before, t_now - t_before);
			err = cli_json_end(cli);
		} else {
			print_table(cli->out, now, before, t_now - t_before);
		}
		fflush(cli->out);
		free(before);
		before = now;
		now = NULL;
		t_before = t_now;
		if (!p->watch)
			break;
	}
	free(before);
	free(now);
	return err;
}

static const struct param stats_params[] = {
	PARAM_OPT(struct stats_params, watch, P_UINT, "watch", "SECS", .min = 1, .max = 3600,
		  .help = "Refresh every SECS seconds (1..3600) until Ctrl-C; the table is\n"
			  "      redrawn in place, JSON is printed one line per sample."),
	PARAM_OPT(struct stats_params, interval_ms, P_UINT, "interval", "MS", .def = "1000",
		  .min = 0, .max = 60000,
		  .help = "Without --watch: milliseconds between the two samples the rates\n"
			  "      are computed from (0..60000)."),
	PARAM_END
};

const struct cmd_spec cmd_stats = {
	.name = "stats",
	.summary = "counters and rates per service and color",
	.synopsis = "[--json] [--watch SECS] [--interval MS]",
	.description =
"  Shows, per service and color: the share of new flows, packets sent to\n"
"  backends and their rate, bytes/s in both directions, new flows/s, live\n"
"  flows and TCP resets from backends.  Rates are computed between two\n"
"  samples: --interval apart (default 1 s), or every --watch SECS.  Reads\n"
"  the pinned per-CPU counters; changes nothing.\n",
	.params = stats_params,
	.params_size = sizeof(struct stats_params),
	.examples =
"  bgxdp stats\n"
"  bgxdp stats --watch 1            # live view during a canary\n"
"  bgxdp stats --json --interval 0  # totals only, for scripts\n",
	.run = run_stats,
};
