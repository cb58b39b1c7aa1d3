/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fleet_claims.h - the side table of flow sync: for recent flows, who
 * created them where (struct flowsync_claim: creating host, when, which
 * backend), so two hosts that both created one flow settle on the same
 * backend with flowsync_resolve().  The flow table itself has no room for
 * this (its entries are the data plane's, 32 bytes each).
 *
 * Bounded: a set-associative table of `capacity` claims (4 ways per set,
 * keyed SipHash of the flow key with a random key, so peers cannot aim
 * many flows at one set); a new claim takes its key's way, else an empty
 * one, else the oldest of the set.  Claims are needed only while two
 * creations of one flow can race (FLOWSYNC_RACE_WINDOW_NS): a forgotten
 * claim is treated as "no local claim", and a flow created longer ago than
 * the window loses to a newer one anyway (rule 3), so forgetting the oldest
 * never changes an outcome as long as a claim lives longer than the window
 * (capacity / new flows per second > 5 s: 65536 claims last 6.5 s at 10,000
 * new flows a second).
 *
 * One thread uses a table (the sync thread); no lock.
 */
#ifndef BGXDP_FLEET_CLAIMS_H
#define BGXDP_FLEET_CLAIMS_H

#include <stdbool.h>
#include <stddef.h>
#include "bgxdp.h"
#include "flowsync.h"

#define FLEET_CLAIMS_DEFAULT 65536

/* A claim, and the color of its backend (what it takes to write the
 * claim's entry back into the flow table). */
struct fleet_claim {
	struct flowsync_claim claim;
	uint8_t color;
};

struct fleet_claims;

/* capacity rounded up to a power of two, at least 4; NULL when out of memory. */
struct fleet_claims *fleet_claims_new(size_t capacity);
void fleet_claims_free(struct fleet_claims *c);

/* The claim on `key`, if one is remembered. */
bool fleet_claims_get(const struct fleet_claims *c, const struct flow_key *key,
		      struct fleet_claim *out);
/* Remember (or replace) the claim on `key`; `now_ns` orders the ways for
 * replacement (any monotonic clock). */
void fleet_claims_put(struct fleet_claims *c, const struct flow_key *key,
		      const struct fleet_claim *claim, uint64_t now_ns);

size_t fleet_claims_capacity(const struct fleet_claims *c);

#endif
