/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fleet_sync.h - the agent's flow-sync component: every host holds every
 * live flow, so a connection keeps its backend when ECMP moves it to
 * another host (a host taken out, a rehash), and replies are rewritten on
 * whichever host they pass.
 *
 * Sending: it turns the data plane's flow events on (SETTINGS_FLOW_EVENTS)
 * and reads its `flow_events` ring buffer: a flow promoted to established
 * goes to every peer as an upsert, one that starts closing (FIN/RST) as a
 * close (flowsync_node: batched UDP datagrams, HMAC with the sync key).
 *
 * Receiving: verified records go into the local flow table through the
 * library (bgx_flow_upsert / bgx_flow_close: service and backend slot
 * resolved here by VIP and backend address).  When this host holds the
 * flow for another backend, the side table of claims (fleet_claims.h)
 * settles it with flowsync_resolve(), the same on every host; a record that
 * is not a fresh creation (a refresh, see below) never displaces a live
 * local entry.
 *
 * Refresh: a peer's copy of a flow sees no packets, so it would idle out
 * there while the connection lives here.  Peers' flows are written as seen
 * FLEET_SYNC_BACKDATE(proto) ago, and every FLEET_SYNC_REFRESH(proto) this
 * host sends again the open flows its own traffic touched within that
 * period (a peer's copy never qualifies: it was backdated further), so a
 * copy lives as long as the connection does, and dies with it.
 *
 * Until this host's instance exists (the fleet's first apply creates it)
 * peers' records are counted as rejected (no_instance); a data plane
 * without flow events is still given peers' flows.  Runs in a thread of
 * its own; start/stop/metrics like fleet_config.h.
 */
#ifndef BGXDP_FLEET_SYNC_H
#define BGXDP_FLEET_SYNC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "bgx_err.h"
#include "flowsync_net.h"

#define FLEET_SYNC_REFRESH_TCP_S   300
#define FLEET_SYNC_REFRESH_UDP_S   10
/* a peer's copy is written as seen this long ago: more than the refresh
 * period (so it is never sent again by the host that holds it) and less
 * than the idle timeout minus the period (so a refresh comes in time) */
#define FLEET_SYNC_BACKDATE_TCP_S  330
#define FLEET_SYNC_BACKDATE_UDP_S  12
/* records at most this old count as creations (may win a conflict) and
 * as lag samples; older ones are refreshes */
#define FLEET_SYNC_FRESH_NS        (2 * FLOWSYNC_RACE_WINDOW_NS)
#define FLEET_SYNC_LAG_SAMPLES     1024

struct fleet_sync_settings {
	const char *pin_dir;
	const char *host;               /* this host's name: its sync host id */
	const char *listen;             /* ADDR:PORT, NULL: send only */
	const char *peers[FLOWSYNC_MAX_PEERS];
	size_t n_peers;
	const char *key_file;
	unsigned flush_ms;              /* 0: FLOWSYNC_DEFAULT_FLUSH_MS */
	struct flowsync_limits limits;
};

struct fleet_sync;

/* Loads the key, opens the sockets, starts the thread (the instance may
 * not exist yet). */
int fleet_sync_start(const struct fleet_sync_settings *s, struct fleet_sync **out,
		     struct bgx_err *e);
/* Stops the thread, turns the flow events off. */
void fleet_sync_stop(struct fleet_sync *fs);

enum fleet_sync_reject {
	FLEET_REJECT_NO_INSTANCE,
	FLEET_REJECT_NO_SERVICE,
	FLEET_REJECT_NO_BACKEND,
	FLEET_REJECT_MALFORMED,
	FLEET_REJECT_CONFLICT,          /* this host's claim on the flow won */
	FLEET_REJECT_WRITE,             /* the map update failed */
	FLEET_REJECTS
};

struct fleet_sync_stats {
	bool events_up;                 /* reading the data plane's flow events */
	uint64_t events[3];             /* [1] established, [2] closing */
	uint64_t events_malformed;
	uint64_t refreshed_out;         /* flows sent again by the refresh */
	uint64_t applied[8];            /* by enum bgx_flow_outcome (< BGX_FLOW_NO_SERVICE) */
	uint64_t rejected[FLEET_REJECTS];
	uint64_t conflicts_remote;      /* a peer's claim won over this host's */
	uint64_t conflicts_local;       /* this host's claim won */
	struct flowsync_tx_stats tx;
	struct flowsync_rx_stats rx;
	uint64_t lag_count;
	double lag_sum_s;
};

void fleet_sync_get_stats(struct fleet_sync *fs, struct fleet_sync_stats *st);

/* Prometheus text: bgxdp_fleet_sync_*. */
int fleet_sync_metrics(struct fleet_sync *fs, FILE *out);

/* The q-quantile (0..1) of the last FLEET_SYNC_LAG_SAMPLES lags in
 * seconds; -1 with no sample. */
double fleet_sync_lag_quantile(struct fleet_sync *fs, double q);

#endif
