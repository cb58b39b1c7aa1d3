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
#include "counters.h"
#include "instance.h"
#include "metrics.h"
#include "values.h"
#include "util.h"

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

static int take_snapshot(const char *pin_dir, struct metrics_snapshot *snap)
{
	struct instance in;
	int err = instance_open(&in, pin_dir, false);

	if (err)
		return err;
	err = metrics_collect(&in, snap);
	instance_close(&in);
	return err;
}

/* Per-second rate of a counter between two snapshots (0 if it went back,
 * as after a service was deleted and re-added). */
static double rate(__u64 now, __u64 before, double seconds)
{
	return now >= before && seconds > 0 ? (now - before) / seconds : 0;
}

static const struct color_snapshot *previous_color(const struct metrics_snapshot *before,
						   const char *service, __u32 color)
{
	for (__u32 s = 0; s < before->service_count; s++)
		if (!strcmp(before->services[s].name, service))
			return &before->services[s].colors[color];
	return NULL;
}

static void print_table(const struct metrics_snapshot *now,
			const struct metrics_snapshot *before, double seconds)
{
	printf("%-16s %-6s %7s %12s %12s %12s %12s %10s %8s %7s\n", "SERVICE", "COLOR",
	       "SHARE%", "PKTS_IN", "PKTS_IN/s", "BYTES_IN/s", "BYTES_OUT/s",
	       "NEWFLOWS/s", "ACTIVE", "RESETS");
	for (__u32 s = 0; s < now->service_count; s++) {
		const struct service_snapshot *service = &now->services[s];

		for (__u32 c = 0; c < BGXDP_COLORS; c++) {
			const struct color_snapshot *cur = &service->colors[c];
			const struct color_snapshot *old = previous_color(before, service->name, c);
			const struct color_counters *o = old ? &old->counters : &cur->counters;

			printf("%-16s %-6s %7.2f %12llu %12.1f %12.1f %12.1f %10.1f %8llu %7llu\n",
			       service->name, color_name(c), cur->share_bp / 100.0,
			       (unsigned long long)cur->counters.packets_to_backend,
			       rate(cur->counters.packets_to_backend, o->packets_to_backend, seconds),
			       rate(cur->counters.bytes_to_backend, o->bytes_to_backend, seconds),
			       rate(cur->counters.bytes_to_client, o->bytes_to_client, seconds),
			       rate(cur->counters.flows_created, o->flows_created, seconds),
			       (unsigned long long)cur->flows_active,
			       (unsigned long long)cur->counters.resets_from_backend);
		}
	}
	if (!now->service_count)
		printf("(no services)\n");
}

static void print_json(const struct metrics_snapshot *now,
		       const struct metrics_snapshot *before, double seconds)
{
	printf("{\"interval_seconds\":%.3f,\"services\":[", seconds);
	for (__u32 s = 0; s < now->service_count; s++) {
		const struct service_snapshot *service = &now->services[s];

		printf("%s{\"name\":", s ? "," : "");
		json_print_string(service->name);
		printf(",\"colors\":{");
		for (__u32 c = 0; c < BGXDP_COLORS; c++) {
			const struct color_snapshot *cur = &service->colors[c];
			const struct color_snapshot *old = previous_color(before, service->name, c);
			const struct color_counters *n = &cur->counters;
			const struct color_counters *o = old ? &old->counters : n;

			printf("%s\"%s\":{\"share_percent\":%.2f,\"flows_active\":%llu,"
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
			       (unsigned long long)cur->flows_active,
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
		printf("}}");
	}
	printf("],\"passed\":{");
	for (int r = 0; r < PASS_REASONS; r++)
		printf("%s\"%s\":%llu", r ? "," : "", pass_reason_name(r),
		       (unsigned long long)now->passed[r]);
	printf("}}\n");
}

static int run_stats(const struct opts *o)
{
	const char *pin_dir = instance_pin_dir(o);
	const char *watch_text = opt_str(o, "watch");
	const char *interval_text = opt_str(o, "interval");
	bool json = opt_flag(o, "json");
	unsigned long long watch = 0, interval_ms = 1000;
	struct metrics_snapshot *snaps = calloc(2, sizeof(*snaps));
	struct metrics_snapshot *before = snaps, *now = snaps ? snaps + 1 : NULL;
	double t_before, t_now;
	int err;

	if (!snaps)
		return err_set(-ENOMEM, "out of memory");
	if ((watch_text && parse_uint(watch_text, "--watch", 1, 3600, &watch)) ||
	    (interval_text && parse_uint(interval_text, "--interval", 0, 60000, &interval_ms))) {
		free(snaps);
		return -EINVAL;
	}
	err = take_snapshot(pin_dir, before);
	t_before = now_seconds();
	if (watch) {
		signal(SIGINT, on_stop_signal);
		signal(SIGTERM, on_stop_signal);
		interval_ms = watch * 1000;
	}
	while (!err) {
		struct metrics_snapshot *swap;

		usleep((useconds_t)(interval_ms * 1000));
		if (stop_watching)
			break;
		err = take_snapshot(pin_dir, now);
		t_now = now_seconds();
		if (err)
			break;
		if (watch && !json)
			fputs("\033[H\033[2J", stdout);   /* refresh in place */
		if (json)
			print_json(now, before, t_now - t_before);
		else
			print_table(now, before, t_now - t_before);
		fflush(stdout);
		if (!watch)
			break;
		swap = before, before = now, now = swap;
		t_before = t_now;
	}
	free(snaps);
	return err;
}

static const struct opt_def stats_opts[] = {
	{ .name = "json", .type = OPT_FLAG,
	  .help = "Print one JSON object per sample (one line each) instead of a table." },
	{ .name = "watch", .type = OPT_STRING, .metavar = "SECS",
	  .help = "Refresh every SECS seconds (1..3600) until Ctrl-C; the table is\n"
		  "      redrawn in place, JSON is printed one line per sample." },
	{ .name = "interval", .type = OPT_STRING, .metavar = "MS", .def = "1000",
	  .help = "Without --watch: milliseconds between the two samples the rates\n"
		  "      are computed from (0..60000)." },
	{ 0 }
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
	.opts = stats_opts,
	.examples =
"  bgxdp stats\n"
"  bgxdp stats --watch 1            # live view during a canary\n"
"  bgxdp stats --json --interval 0  # totals only, for scripts\n",
	.run = run_stats,
};
