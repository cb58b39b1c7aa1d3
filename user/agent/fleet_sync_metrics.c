// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fleet_sync_metrics.c - what flow sync did, as Prometheus text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fleet_sync_int.h"

static const char *const reject_names[FLEET_REJECTS] = {
	[FLEET_REJECT_NO_INSTANCE] = "no_instance",
	[FLEET_REJECT_NO_SERVICE] = "no_service",
	[FLEET_REJECT_NO_BACKEND] = "no_backend",
	[FLEET_REJECT_MALFORMED] = "malformed",
	[FLEET_REJECT_CONFLICT] = "conflict_lost",
	[FLEET_REJECT_WRITE] = "write_failed",
};

void fleet_sync_get_stats(struct fleet_sync *fs, struct fleet_sync_stats *st)
{
	pthread_mutex_lock(&fs->lock);
	*st = fs->st;
	pthread_mutex_unlock(&fs->lock);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double fleet_sync_lag_quantile(struct fleet_sync *fs, double q)
{
	double sorted[FLEET_SYNC_LAG_SAMPLES];
	size_t n;

	pthread_mutex_lock(&fs->lock);
	n = fs->st.lag_count < FLEET_SYNC_LAG_SAMPLES ? fs->st.lag_count : FLEET_SYNC_LAG_SAMPLES;
	memcpy(sorted, fs->lag, n * sizeof(double));
	pthread_mutex_unlock(&fs->lock);
	if (!n)
		return -1;
	qsort(sorted, n, sizeof(double), cmp_double);
	return sorted[(size_t)(q * (double)(n - 1) + 0.5)];
}

static void counter(FILE *out, const char *name, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
}

static void flows_out(FILE *out, const struct fleet_sync_stats *st)
{
	counter(out, "bgxdp_fleet_sync_flows_sent_total",
		"Flow records sent to the peers (each once, whatever the number of peers).");
	fprintf(out, "bgxdp_fleet_sync_flows_sent_total %llu\n",
		(unsigned long long)st->tx.records_sent);
	counter(out, "bgxdp_fleet_sync_events_total", "Flow events read from the data plane.");
	fprintf(out, "bgxdp_fleet_sync_events_total{type=\"established\"} %llu\n"
		"bgxdp_fleet_sync_events_total{type=\"closing\"} %llu\n",
		(unsigned long long)st->events[1], (unsigned long long)st->events[2]);
	counter(out, "bgxdp_fleet_sync_refreshed_total",
		"Live flows sent again so the peers' copies do not idle out.");
	fprintf(out, "bgxdp_fleet_sync_refreshed_total %llu\n",
		(unsigned long long)st->refreshed_out);
	counter(out, "bgxdp_fleet_sync_send_errors_total", "Datagrams a peer could not be sent.");
	fprintf(out, "bgxdp_fleet_sync_send_errors_total %llu\n",
		(unsigned long long)st->tx.send_errors);
	fprintf(out, "# HELP bgxdp_fleet_sync_events_up 1 while the data plane's flow events are read.\n"
		"# TYPE bgxdp_fleet_sync_events_up gauge\nbgxdp_fleet_sync_events_up %d\n",
		st->events_up);
}

static void flows_in(FILE *out, const struct fleet_sync_stats *st)
{
	counter(out, "bgxdp_fleet_sync_flows_received_total",
		"Peers' flow records written into the flow table, by what they did.");
	for (int o = BGX_FLOW_INSERTED; o < BGX_FLOW_NO_SERVICE; o++)
		fprintf(out, "bgxdp_fleet_sync_flows_received_total{outcome=\"%s\"} %llu\n",
			bgx_flow_outcome_name(o), (unsigned long long)st->applied[o]);
	counter(out, "bgxdp_fleet_sync_flows_rejected_total",
		"Peers' flow records not written, by reason (datagram: in a datagram that was refused).");
	fprintf(out, "bgxdp_fleet_sync_flows_rejected_total{reason=\"datagram\"} %llu\n",
		(unsigned long long)st->rx.records_rejected);
	for (int r = 0; r < FLEET_REJECTS; r++)
		fprintf(out, "bgxdp_fleet_sync_flows_rejected_total{reason=\"%s\"} %llu\n",
			reject_names[r], (unsigned long long)st->rejected[r]);
	counter(out, "bgxdp_fleet_sync_datagrams_received_total",
		"Sync datagrams received, by verdict (accepted, or why they were refused).");
	for (int v = 0; v < FLOWSYNC_VERDICTS; v++)
		fprintf(out, "bgxdp_fleet_sync_datagrams_received_total{verdict=\"%s\"} %llu\n",
			flowsync_verdict_name(v), (unsigned long long)st->rx.datagrams[v]);
	counter(out, "bgxdp_fleet_sync_datagrams_missed_total",
		"Gaps in the peers' sequences: datagrams lost on the way.");
	fprintf(out, "bgxdp_fleet_sync_datagrams_missed_total %llu\n",
		(unsigned long long)st->rx.datagrams_missed);
	counter(out, "bgxdp_fleet_sync_conflicts_total",
		"Flows two hosts created for different backends, by whose claim won.");
	fprintf(out, "bgxdp_fleet_sync_conflicts_total{winner=\"local\"} %llu\n"
		"bgxdp_fleet_sync_conflicts_total{winner=\"remote\"} %llu\n",
		(unsigned long long)st->conflicts_local, (unsigned long long)st->conflicts_remote);
}

int fleet_sync_metrics(struct fleet_sync *fs, FILE *out)
{
	static const double qs[3] = { 0.5, 0.9, 0.99 };
	struct fleet_sync_stats st;

	fleet_sync_get_stats(fs, &st);
	flows_out(out, &st);
	flows_in(out, &st);
	fprintf(out, "# HELP bgxdp_fleet_sync_lag_seconds From a flow's creation on a peer to "
		"its entry here (last %d new flows).\n# TYPE bgxdp_fleet_sync_lag_seconds summary\n",
		FLEET_SYNC_LAG_SAMPLES);
	for (int i = 0; i < 3; i++) {
		double v = fleet_sync_lag_quantile(fs, qs[i]);

		if (v >= 0)
			fprintf(out, "bgxdp_fleet_sync_lag_seconds{quantile=\"%g\"} %.6f\n", qs[i], v);
	}
	fprintf(out, "bgxdp_fleet_sync_lag_seconds_sum %.6f\nbgxdp_fleet_sync_lag_seconds_count %llu\n",
		st.lag_sum_s, (unsigned long long)st.lag_count);
	return ferror(out) ? -EIO : 0;
}
