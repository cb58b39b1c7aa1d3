/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fleet_view.h - a fleet as etcd holds it at one revision: the desired
 * state and every host (members/, with up = its leased hosts/ key exists),
 * read with one range request so the picture is consistent.
 */
#ifndef BGXDP_FLEET_VIEW_H
#define BGXDP_FLEET_VIEW_H

#include "etcd.h"
#include "fleet_store.h"

struct fleet_view_host {
	struct fleet_host_status s;     /* the leased record when up, else the kept one */
	bool up;                        /* its agent holds a lease: running, reaching etcd */
	bool in_sync;
};

struct fleet_view {
	bool has_desired;
	struct fleet_desired desired;
	int64_t desired_mod_revision;   /* etcd's, for a guarded write (0: no key) */
	int64_t revision;               /* the store revision read */
	size_t n_hosts;                 /* sorted by name */
	struct fleet_view_host *hosts;
	size_t n_stale;
	size_t n_bad_records;           /* keys that are no record (ignored) */
};

int fleet_view_read(struct etcd_client *c, const char *fleet, struct fleet_view *v,
		    struct bgx_err *e);
void fleet_view_free(struct fleet_view *v);

/* Write `rec` as the desired state if and only if the desired key is still
 * as `view` read it (one guarded transaction): of two writers that read
 * the same revision, one wins and the other gets -EAGAIN naming the
 * revision written meanwhile and by whom; nothing of it is written. */
int fleet_view_store(struct etcd_client *c, const char *fleet, const struct fleet_view *view,
		     const struct fleet_desired *rec, struct bgx_err *e);

#endif
