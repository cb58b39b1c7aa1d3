// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fleet_sync_flows.c - flow sync's flows: the data plane's events out to
 * the peers, the peers' records into the flow table (with the conflict
 * rule), and the refresh that keeps peers' copies of live flows alive
 * (fleet_sync.h).
 */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include "fleet_sync_int.h"

#define NS_PER_S 1000000000ull

static struct fleet_claim claim_of(const struct flowsync_record *rec, uint64_t host_id)
{
	struct fleet_claim c = {
		.claim = { .created_ns = rec->created_ns, .host_id = host_id,
			   .state = rec->value.state, .backend_port = rec->value.backend_port },
		.color = rec->value.color,
	};

	memcpy(c.claim.backend, rec->value.backend, BGXDP_ADDR_LEN);
	return c;
}

static bool same_backend(const struct flowsync_claim *c, const struct flow_value *v)
{
	return c->backend_port == v->backend_port && !memcmp(c->backend, v->backend, BGXDP_ADDR_LEN);
}

static __u64 backdate_ns(__u8 proto)
{
	return (proto == IPPROTO_UDP ? FLEET_SYNC_BACKDATE_UDP_S : FLEET_SYNC_BACKDATE_TCP_S) * NS_PER_S;
}

static void count_reject(struct fleet_sync *fs, enum fleet_sync_reject why)
{
	pthread_mutex_lock(&fs->lock);
	fs->st.rejected[why]++;
	pthread_mutex_unlock(&fs->lock);
}

/* Write a flow (the peer's, or a claim that won) into the table. */
static int write_flow(struct fleet_sync *fs, const struct flowsync_record *rec,
		      enum bgx_flow_outcome *outcome)
{
	static const enum fleet_sync_reject refusal[BGX_FLOW_OUTCOMES] = {
		[BGX_FLOW_NO_SERVICE] = FLEET_REJECT_NO_SERVICE,
		[BGX_FLOW_NO_BACKEND] = FLEET_REJECT_NO_BACKEND,
		[BGX_FLOW_MALFORMED] = FLEET_REJECT_MALFORMED,
	};
	struct bgx_peer_flow pf = { .key = rec->key, .value = rec->value };
	struct bgx_flow_result res = { 0 };
	struct bgx_err e = { 0 };
	int r = rec->type == FLOWSYNC_CLOSE ? bgx_flow_close(fs->in, &pf, &res, &e)
					    : bgx_flow_upsert(fs->in, &pf, backdate_ns(rec->key.proto),
							      &res, &e);

	*outcome = res.outcome;
	if (r) {
		count_reject(fs, res.outcome >= BGX_FLOW_NO_SERVICE ? refusal[res.outcome]
								    : FLEET_REJECT_WRITE);
		if (res.outcome < BGX_FLOW_NO_SERVICE)
			fleet_sync_log(fs, true, "%s", e.msg);
		return r;
	}
	pthread_mutex_lock(&fs->lock);
	fs->st.applied[res.outcome]++;
	pthread_mutex_unlock(&fs->lock);
	return 0;
}

static void note_lag(struct fleet_sync *fs, uint64_t created_ns, uint64_t now_real)
{
	double lag = now_real > created_ns ? (double)(now_real - created_ns) / 1e9 : 0;

	pthread_mutex_lock(&fs->lock);
	fs->lag[fs->lag_next++ % FLEET_SYNC_LAG_SAMPLES] = lag;
	fs->st.lag_count++;
	fs->st.lag_sum_s += lag;
	pthread_mutex_unlock(&fs->lock);
}

/* Does the peer's record go in?  Only a fresh creation may displace this
 * host's live entry for another backend, and then only by the rule. */
static bool remote_wins(struct fleet_sync *fs, const struct flowsync_record *rec,
			const struct fleet_claim *remote, bool fresh)
{
	struct fleet_claim local;
	struct flow_value have;

	if (bgx_flow_get(fs->in, &rec->key, &have, NULL) || same_backend(&remote->claim, &have))
		return true;                    /* nothing here, or the same backend */
	if (!fresh)
		return false;                   /* a refresh never displaces */
	/* no claim remembered for the entry here: it is older than any that
	 * is, so the fresh creation is the later one (rule 3) */
	if (!fleet_claims_get(fs->claims, &rec->key, &local) || !same_backend(&local.claim, &have))
		return true;
	return flowsync_resolve(&local.claim, &remote->claim, FLOWSYNC_RACE_WINDOW_NS) !=
	       FLOWSYNC_KEEP_LOCAL;
}

static void take_record(struct fleet_sync *fs, const struct flowsync_header *from,
			const struct flowsync_record *rec, uint64_t now_real)
{
	struct fleet_claim remote = claim_of(rec, from->host_id);
	bool fresh = now_real < rec->created_ns + FLEET_SYNC_FRESH_NS;
	enum bgx_flow_outcome outcome;

	if (!fs->in) {
		count_reject(fs, FLEET_REJECT_NO_INSTANCE);
		return;
	}
	if (rec->type == FLOWSYNC_UPSERT && !remote_wins(fs, rec, &remote, fresh)) {
		count_reject(fs, FLEET_REJECT_CONFLICT);
		pthread_mutex_lock(&fs->lock);
		fs->st.conflicts_local += fresh;
		pthread_mutex_unlock(&fs->lock);
		return;
	}
	if (write_flow(fs, rec, &outcome))
		return;
	if (rec->type != FLOWSYNC_UPSERT)
		return;
	if (outcome == BGX_FLOW_REPLACED) {
		pthread_mutex_lock(&fs->lock);
		fs->st.conflicts_remote++;
		pthread_mutex_unlock(&fs->lock);
	}
	if (fresh) {
		fleet_claims_put(fs->claims, &rec->key, &remote, fleet_sync_clock(CLOCK_MONOTONIC));
		if (outcome == BGX_FLOW_INSERTED || outcome == BGX_FLOW_REPLACED)
			note_lag(fs, rec->created_ns, now_real);
	}
}

void fleet_sync_deliver(const struct flowsync_header *from, const struct flowsync_record *recs,
			size_t n, void *ctx)
{
	uint64_t now_real = fleet_sync_clock(CLOCK_REALTIME);

	for (size_t i = 0; i < n; i++)
		take_record(ctx, from, &recs[i], now_real);
}

/* ---- this host's flows, out ---- */

static void send_record(struct fleet_sync *fs, const struct flowsync_record *rec)
{
	struct bgx_err e = { 0 };

	if (flowsync_node_queue(fs->node, rec, &e))
		fleet_sync_log(fs, true, "%s", e.msg);
}

/* The data plane promoted a flow that a peer claimed too: settle it here
 * as the peer will (the record goes out either way, so every host holds
 * both claims). */
static void settle_local(struct fleet_sync *fs, const struct flowsync_record *rec)
{
	struct fleet_claim local = claim_of(rec, fs->host_id), other;
	uint64_t now = fleet_sync_clock(CLOCK_MONOTONIC);
	struct flowsync_record winner;
	enum bgx_flow_outcome outcome;

	if (fleet_claims_get(fs->claims, &rec->key, &other) && other.claim.host_id != fs->host_id &&
	    !same_backend(&other.claim, &rec->value) &&
	    flowsync_resolve(&local.claim, &other.claim, FLOWSYNC_RACE_WINDOW_NS) ==
		    FLOWSYNC_TAKE_REMOTE) {
		winner = *rec;
		memcpy(winner.value.backend, other.claim.backend, BGXDP_ADDR_LEN);
		winner.value.backend_port = other.claim.backend_port;
		winner.value.color = other.color;
		winner.value.state = other.claim.state;
		if (fs->in && !write_flow(fs, &winner, &outcome)) {
			pthread_mutex_lock(&fs->lock);
			fs->st.conflicts_remote++;
			pthread_mutex_unlock(&fs->lock);
		}
		return;
	}
	fleet_claims_put(fs->claims, &rec->key, &local, now);
}

int fleet_sync_on_event(void *ctx, void *data, size_t size)
{
	struct fleet_sync *fs = ctx;
	const struct flow_event *ev = data;
	struct flowsync_record rec = { 0 };
	uint64_t age;

	if (size < sizeof(*ev) || (ev->type != FLOW_EVENT_ESTABLISHED &&
				    ev->type != FLOW_EVENT_CLOSING)) {
		pthread_mutex_lock(&fs->lock);
		fs->st.events_malformed++;
		pthread_mutex_unlock(&fs->lock);
		return 0;
	}
	rec.type = ev->type == FLOW_EVENT_ESTABLISHED ? FLOWSYNC_UPSERT : FLOWSYNC_CLOSE;
	rec.key = ev->key;
	rec.value = ev->value;
	rec.value.last_seen_ns = 0;
	/* when the data plane stamped it, in real time: a flow's claim */
	age = bgx_flow_clock() - ev->value.last_seen_ns;
	rec.created_ns = fleet_sync_clock(CLOCK_REALTIME) - ((int64_t)age > 0 ? age : 0);
	pthread_mutex_lock(&fs->lock);
	fs->st.events[ev->type]++;
	pthread_mutex_unlock(&fs->lock);
	if (rec.type == FLOWSYNC_UPSERT)
		settle_local(fs, &rec);
	send_record(fs, &rec);
	return 0;
}

/* ---- refresh ---- */

struct refresh {
	struct fleet_sync *fs;
	__u8 proto;
	uint64_t now_real, now_mono;
	uint64_t sent;
};

static int refresh_one(const struct flow_key *key, const struct flow_value *value, void *ctx)
{
	struct refresh *rf = ctx;
	struct flowsync_record rec = { .type = FLOWSYNC_UPSERT, .key = *key, .value = *value };
	struct fleet_claim claim;

	if (key->proto != rf->proto)
		return 0;
	rec.value.last_seen_ns = 0;
	/* the creation time when still known; else "long ago": a refresh */
	rec.created_ns = fleet_claims_get(rf->fs->claims, key, &claim) &&
			 same_backend(&claim.claim, value) ? claim.claim.created_ns : 1;
	send_record(rf->fs, &rec);
	rf->sent++;
	return 0;
}

void fleet_sync_refresh(struct fleet_sync *fs)
{
	static const __u8 protos[2] = { IPPROTO_TCP, IPPROTO_UDP };
	static const uint64_t period_s[2] = { FLEET_SYNC_REFRESH_TCP_S, FLEET_SYNC_REFRESH_UDP_S };
	uint64_t now = fleet_sync_clock(CLOCK_MONOTONIC);

	for (int i = 0; i < 2; i++) {
		struct refresh rf = { .fs = fs, .proto = protos[i] };
		struct bgx_err e = { 0 };

		if (!fs->refresh_due_ns[i]) {   /* the first one a period after start */
			fs->refresh_due_ns[i] = now + period_s[i] * NS_PER_S;
			continue;
		}
		if (now < fs->refresh_due_ns[i] || !fs->in)
			continue;
		fs->refresh_due_ns[i] = now + period_s[i] * NS_PER_S;
		if (bgx_flow_for_each_seen(fs->in, bgx_flow_clock() - period_s[i] * NS_PER_S,
					   refresh_one, &rf, &e))
			fleet_sync_log(fs, true, "refresh: %s", e.msg);
		pthread_mutex_lock(&fs->lock);
		fs->st.refreshed_out += rf.sent;
		pthread_mutex_unlock(&fs->lock);
	}
}
