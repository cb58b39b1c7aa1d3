/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * peer_flows.h - flows another host of a fleet created, written into this
 * host's flow table (fleet sync), and the data plane's flow events that
 * tell this host's agent which flows to send to the others.
 *
 * A peer names a flow by what is the same on every host: the client, the
 * VIP (address, port, protocol), the color and the backend's address and
 * port.  Service ids and backend slots are this host's own: they are
 * resolved here from the VIP (the `services` map) and the backend address
 * (the service's slots of that color).  A flow whose VIP is no service
 * here, or whose backend is not in that color of it, is refused and
 * nothing is written: the hosts' configs differ, and a guessed backend
 * would be worse than none.
 *
 * No lock: the data plane inserts flows itself all the time, so writing an
 * entry needs no writer's lock and works on a handle opened BGX_READ (the
 * agent's sync thread never waits for an apply).  Each write is one map
 * update of one entry: a packet sees the entry before or after it.
 */
#ifndef BGXDP_PEER_FLOWS_H
#define BGXDP_PEER_FLOWS_H

#include <stdbool.h>
#include <linux/types.h>
#include "bgxdp.h"
#include "libbgxdp.h"

/* What a peer says about one flow.  value.service_id, value.backend_slot
 * and value.last_seen_ns are the peer's and are ignored. */
struct bgx_peer_flow {
	struct flow_key key;
	struct flow_value value;        /* backend, backend_port, color, state */
};

enum bgx_flow_outcome {
	BGX_FLOW_INSERTED,              /* there was no entry */
	BGX_FLOW_REFRESHED,             /* same backend: state and last_seen brought forward */
	BGX_FLOW_REPLACED,              /* another backend's entry was overwritten */
	BGX_FLOW_UNCHANGED,             /* the entry was as fresh already */
	BGX_FLOW_OTHER_BACKEND,         /* close of a flow this host holds for another backend: left */
	BGX_FLOW_NO_SERVICE,            /* refused: the VIP is no (live) service here */
	BGX_FLOW_NO_BACKEND,            /* refused: the backend is not in that color here */
	BGX_FLOW_MALFORMED,             /* refused: family, protocol, color or state out of range */
	BGX_FLOW_OUTCOMES
};

/* "inserted", "no_service", ... (metric label values). */
const char *bgx_flow_outcome_name(enum bgx_flow_outcome o);

struct bgx_flow_result {
	enum bgx_flow_outcome outcome;
	__u32 service_id;               /* this host's, when resolved */
	__u32 backend_slot;
};

/*
 * Insert or refresh the peer's flow: the entry gets this host's service id
 * and backend slot, and last_seen = this host's clock minus `idle_ns` (0:
 * now).  An entry for the same backend is only ever made fresher (its
 * last_seen never goes back, a closing entry stays closing); an entry for
 * another backend is replaced (the caller has settled the conflict, see
 * flowsync_resolve).  A refusal (NO_SERVICE, NO_BACKEND, MALFORMED) returns
 * -ENOENT or -EINVAL with the reason in `e` and res->outcome, and writes
 * nothing.
 */
int bgx_flow_upsert(struct bgx_instance *in, const struct bgx_peer_flow *f, __u64 idle_ns,
		    struct bgx_flow_result *res, struct bgx_err *e);

/*
 * The peer saw the flow start closing (FIN or RST): an entry for the same
 * backend becomes closing (it idles out FLOW_TCP_CLOSING_NS after now); an
 * absent one is inserted closing, so the last packets of the connection
 * still reach its backend here; an entry for another backend is left
 * (OTHER_BACKEND: this host holds another connection on that 5-tuple).
 */
int bgx_flow_close(struct bgx_instance *in, const struct bgx_peer_flow *f,
		   struct bgx_flow_result *res, struct bgx_err *e);

/* This host's entry for `key`: 0, or -ENOENT when there is none. */
int bgx_flow_get(struct bgx_instance *in, const struct flow_key *key, struct flow_value *value,
		 struct bgx_err *e);

/* The data plane's clock, the one of flow_value.last_seen_ns. */
__u64 bgx_flow_clock(void);

/* Called for each flow; a non-zero return stops the walk with it. */
typedef int (*bgx_flow_visit_fn)(const struct flow_key *key, const struct flow_value *value,
				 void *ctx);

/* Visit every open (not closing) flow seen at or after `since`
 * (bgx_flow_clock()): what this host's traffic keeps alive.  The table
 * changes meanwhile: a snapshot of nothing in particular. */
int bgx_flow_for_each_seen(struct bgx_instance *in, __u64 since, bgx_flow_visit_fn fn,
			   void *ctx, struct bgx_err *e);

/* ---- flow events --------------------------------------------------------- */

/* Turn the data plane's flow events on or off (the SETTINGS_FLOW_EVENTS
 * flag, under the pin dir's lock like the fast path's flag); *was (may be
 * NULL) says whether they were on. */
int bgx_flow_events_set(const char *pin_dir, bool on, bool *was, struct bgx_err *e);

/* Whether they are on now (0 or 1), or -errno. */
int bgx_flow_events_get(struct bgx_instance *in, struct bgx_err *e);

/* A new fd of the `flow_events` ring buffer (struct flow_event records, the
 * caller closes it); -ENOENT, with the fix in `e`, when this instance's
 * data plane has none (pinned by a build without flow events: `bgxdp
 * upgrade` loads one that has them). */
int bgx_flow_events_fd(struct bgx_instance *in, struct bgx_err *e);

#endif
