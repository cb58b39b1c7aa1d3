/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fleet_store.h - what a fleet keeps in etcd: the key of each record and
 * its JSON.  Pure (no etcd, no kernel): `fleet apply`, `fleet status` and
 * the agent's fleet component all read and write through it.
 *
 * Keys, under /bgxdp/fleet/NAME/:
 *
 *   desired          the desired state, one record (struct fleet_desired):
 *                    {"revision": N, "digest": SHA-256 hex, "config": the
 *                    canonical YAML (config_yaml.h), "by": "user@host",
 *                    "at": unix seconds}.  `fleet apply` writes revision
 *                    N + 1 in a transaction guarded by the key's etcd
 *                    mod_revision as read, so of two applies racing one
 *                    wins and the other is told.  One key: a watcher sees
 *                    a whole revision or none.
 *   hosts/HOST       a host's status (struct fleet_host_status) under the
 *                    agent's lease: present while the agent runs and
 *                    reaches etcd, gone a lease TTL after it stops.
 *   members/HOST     the same record without a lease: the last thing a
 *                    host said, kept after it went away, so `fleet
 *                    status` still lists a host that is down (remove a
 *                    host for good with `etcdctl del` of this key).
 */
#ifndef BGXDP_FLEET_STORE_H
#define BGXDP_FLEET_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bgx_err.h"

#define FLEET_KEY_ROOT      "/bgxdp/fleet/"
#define FLEET_NAME_LEN      32              /* [A-Za-z0-9_.-], NUL included */
#define FLEET_HOST_LEN      64              /* [A-Za-z0-9_.-], NUL included */
#define FLEET_KEY_LEN       (sizeof(FLEET_KEY_ROOT) + FLEET_NAME_LEN + 16 + FLEET_HOST_LEN)
#define FLEET_DIGEST_LEN    65              /* SHA-256 hex, NUL included */
#define FLEET_BY_LEN        128
#define FLEET_VERSION_LEN   64
#define FLEET_STATE_LEN     16
#define FLEET_ERROR_LEN     512

enum fleet_key_kind {
	FLEET_KEY_DESIRED,
	FLEET_KEY_HOSTS,                /* prefix, or one host's key */
	FLEET_KEY_MEMBERS,
};

/* The key (host given) or the prefix (host NULL, for HOSTS and MEMBERS);
 * -ENAMETOOLONG when it does not fit. */
int fleet_key(char *buf, size_t len, const char *fleet, enum fleet_key_kind kind,
	      const char *host);
/* The host name at the end of a HOSTS or MEMBERS key, or NULL. */
const char *fleet_key_host(const char *key);

/* A host name as the fleet uses it: 1..63 of [A-Za-z0-9_.-]; a usage error
 * naming `label` otherwise. */
int fleet_host_name_check(const char *name, const char *label, struct bgx_err *e);
/* This machine's host name (gethostname), checked. */
int fleet_host_name_default(char *buf, size_t len, struct bgx_err *e);

/* ---- the desired state --------------------------------------------------- */

struct fleet_desired {
	int64_t revision;               /* 1, 2, ...: +1 per `fleet apply` */
	char digest[FLEET_DIGEST_LEN];
	char *config;                   /* the canonical YAML, malloc-ed, NUL-terminated */
	size_t config_len;
	char by[FLEET_BY_LEN];          /* who applied it: "user@host" */
	int64_t at;                     /* when, unix seconds */
};

/* JSON text, malloc-ed; NULL when out of memory. */
char *fleet_desired_encode(const struct fleet_desired *d);
/* Any bytes: a record that is not one (a hand-made key) is refused with
 * one line; on success d->config is the caller's to free. */
int fleet_desired_decode(const void *buf, size_t len, struct fleet_desired *d,
			 struct bgx_err *e);
void fleet_desired_clear(struct fleet_desired *d);

/* ---- a host's status ----------------------------------------------------- */

/* What a host says about itself.  state: "applied" (the instance is at
 * applied_revision), "refused" (the newest revision was refused: error
 * says why; the instance stays at applied_revision), "drifted" (the live
 * state was changed outside the fleet since applied_revision), "waiting"
 * (nothing applied yet). */
struct fleet_host_status {
	char host[FLEET_HOST_LEN];
	char state[FLEET_STATE_LEN];
	int64_t applied_revision;       /* 0: none */
	char digest[FLEET_DIGEST_LEN];  /* of that revision's config ("" none) */
	int64_t refused_revision;       /* the last one refused (0: none) */
	char error[FLEET_ERROR_LEN];    /* why ("" none) */
	char version[FLEET_VERSION_LEN];/* the agent's */
	uint32_t backends;              /* backends in the instance */
	uint32_t backends_up;           /* of them, taking new flows */
	int64_t started;                /* agent start, unix seconds */
	int64_t seen;                   /* this record, unix seconds */
};

char *fleet_status_encode(const struct fleet_host_status *s);
int fleet_status_decode(const void *buf, size_t len, struct fleet_host_status *s,
			struct bgx_err *e);

/* In sync with the desired revision: alive, at that revision, and not
 * refusing or drifted. */
bool fleet_host_in_sync(const struct fleet_host_status *s, bool alive, int64_t desired_revision);

#endif
