/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * libbgxdp.h - the control plane: the public header of libbgxdp.a's core,
 * the instance and its map operations.
 *
 * Everything that touches bgxdp's pins and maps is in libbgxdp.a, and every
 * front end (the CLI, the agent), test and benchmark goes through it.  The
 * parts built on this core keep headers of their own: the declarative
 * config and export/apply (export.h), peers' flows (peer_flows.h), the
 * history (journal.h) and the state dir (state_dir.h).  Each
 * operation carries its ordering rule inside (the VIP filter before the VIP,
 * a backend's slot before the ring that points at it, unpublish before
 * delete, a grace period before a ring buffer is rewritten) and ends with at
 * most one publish of the service's config word, so the data plane only
 * ever sees a whole old or a whole new config.  A writer killed between two
 * steps leaves nothing a packet can trip on; the next writer's open finishes
 * the job (bgx_recover).
 *
 * Conventions: functions return 0 (or a count) on success and a negative
 * errno on failure, filling the caller's struct bgx_err (bgx_err.h) with one
 * line.  Results come back in typed structs that the caller renders (text,
 * JSON, Prometheus); the library never prints.
 */
#ifndef BGXDP_LIBBGXDP_H
#define BGXDP_LIBBGXDP_H

#include <limits.h>
#include <stdbool.h>
#include <net/if.h>
#include <linux/types.h>
#include "bgxdp.h"
#include "bgx_err.h"
#include "values.h"

struct bpf_object;
struct bgx_instance;

/* ---- instances ------------------------------------------------------- */

enum bgx_access {
	BGX_READ,       /* no lock: readers never wait for writers */
	BGX_WRITE,      /* exclusive flock on the pin dir; recovers a killed writer */
};

/* The pin dir to use: `flag` (--pin-dir) if set, else $BGXDP_PIN_DIR, else
 * the default. */
const char *bgx_pin_dir_choose(const char *flag);

/* Open the instance pinned in `pin_dir`.  No instance there, a pin dir that
 * is not on bpffs or that others could write: a clear error. */
int bgx_open(const char *pin_dir, enum bgx_access access, struct bgx_instance **out,
	     struct bgx_err *e);

/* Use the maps of a BPF object the caller loaded itself (tests, bench): no
 * pins, no lock; writes are allowed.  The object must outlive the handle. */
int bgx_open_object(struct bpf_object *obj, struct bgx_instance **out, struct bgx_err *e);

void bgx_close(struct bgx_instance *in);
const char *bgx_instance_pin_dir(const struct bgx_instance *in);

/* Called between the steps of every operation (op "backend.add", step
 * "slot-written", ...): tests inject a kill there. */
typedef void (*bgx_step_fn)(const char *op, const char *step, void *ctx);
void bgx_set_step_hook(struct bgx_instance *in, bgx_step_fn fn, void *ctx);

/* ---- attach, detach, upgrade (by pin dir: attach may create it) ------- */

enum bgx_xdp_mode { BGX_XDP_AUTO, BGX_XDP_NATIVE, BGX_XDP_GENERIC };

struct bgx_attach_spec {
	char ifname[IF_NAMESIZE];
	enum bgx_xdp_mode mode;
	__u32 flows;                    /* flow table size, if this creates it */
	__u32 fast_path[BGXDP_MAX_TX_PORTS]; /* ifindexes; n_fast_path of them */
	int n_fast_path;
	bool replace;                   /* swap in this build's programs */
};

struct bgx_upgrade_iface {
	char name[IF_NAMESIZE];
	__u32 old_xdp_id, old_tc_id;
};

struct bgx_upgrade_result {
	__u32 old_xdp_id, new_xdp_id, old_tc_id, new_tc_id;
	int n_ifaces;
	struct bgx_upgrade_iface ifaces[BGXDP_MAX_TX_PORTS];
};

struct bgx_attach_result {
	__u32 ifindex;
	bool created;                   /* this attach created the instance */
	bool replaced;                  /* --replace: `upgrade` says what */
	struct bgx_upgrade_result upgrade;
};

int bgx_attach(const char *pin_dir, const struct bgx_attach_spec *spec,
	       struct bgx_attach_result *res, struct bgx_err *e);

struct bgx_detach_result {
	int remaining;                  /* interfaces still attached */
	bool removed;                   /* last one: the instance is gone */
};

int bgx_detach(const char *pin_dir, const char *ifname, struct bgx_detach_result *res,
	       struct bgx_err *e);

/* Attach IFACE's XDP program again in another mode (the tc filter and the
 * instance stay; XDP is off the interface for the moment between). */
int bgx_attach_mode(const char *pin_dir, const char *ifname, enum bgx_xdp_mode mode,
		    struct bgx_err *e);

/* The fast path's devices become exactly these (none: fast path off). */
int bgx_fast_path_set(const char *pin_dir, const __u32 *ifindex, int n, struct bgx_err *e);

/* Load this build's programs over the pinned maps and swap them in on every
 * attached interface; with `check_only`, only compare the map layouts. */
int bgx_upgrade(const char *pin_dir, bool check_only, struct bgx_upgrade_result *res,
		struct bgx_err *e);

/* ---- services -------------------------------------------------------- */

struct bgx_service_spec {
	char name[BGXDP_NAME_LEN];
	struct endpoint vip;
	__u8 proto;                     /* IPPROTO_TCP or IPPROTO_UDP */
	bool has_preview;
	struct endpoint preview;
	bool affinity_client;
};

int bgx_service_add(struct bgx_instance *in, const struct bgx_service_spec *spec,
		    struct bgx_err *e);
int bgx_service_del(struct bgx_instance *in, const char *name, struct bgx_err *e);

/* ---- backends -------------------------------------------------------- */

/* A backend as the operator names it. */
struct bgx_backend_ref {
	const char *service;            /* NULL: the only service */
	__u32 color;                    /* BGXDP_BLUE or BGXDP_GREEN */
	struct endpoint ep;
};

struct bgx_backend_result {
	char service[BGXDP_NAME_LEN];
	__u8 old_state, new_state;      /* BACKEND_* */
	__u8 old_health, new_health;    /* BACKEND_HEALTH_* */
	__u16 weight;
	bool changed;                   /* false: it was in that state already */
	__u32 in_ring;                  /* backends of the color in the ring after */
	bool fails_open;                /* after it, health is ignored for the service */
};

int bgx_backend_add(struct bgx_instance *in, const struct bgx_backend_ref *ref, __u16 weight,
		    struct bgx_backend_result *res, struct bgx_err *e);
/* The same, for a service whose backends the agent checks: the backend is
 * added with health BACKEND_HEALTH_PENDING and enters its ring only once
 * the agent has seen it pass a check (bgx_backend_set_health). */
int bgx_backend_add_checked(struct bgx_instance *in, const struct bgx_backend_ref *ref,
			    __u16 weight, struct bgx_backend_result *res, struct bgx_err *e);
int bgx_backend_del(struct bgx_instance *in, const struct bgx_backend_ref *ref,
		    struct bgx_backend_result *res, struct bgx_err *e);
/* Admin state: BACKEND_UP, BACKEND_DRAIN or BACKEND_DOWN. */
int bgx_backend_set_state(struct bgx_instance *in, const struct bgx_backend_ref *ref,
			  __u8 state, struct bgx_backend_result *res, struct bgx_err *e);
/* Health as the agent judged it: BACKEND_HEALTH_NONE, _UP, _DOWN or
 * _PENDING.  The same ordering rules and kill points as the admin state;
 * it may change the rings of both colors at once (fail open, below), and
 * publishes them with one store.  Never refused for being the last backend
 * of a color: health reports a fact, the fail-open rule keeps the service
 * served. */
int bgx_backend_set_health(struct bgx_instance *in, const struct bgx_backend_ref *ref,
			   __u8 health, struct bgx_backend_result *res, struct bgx_err *e);

/* End the established flows of a backend (`health --expire-flows`, when it
 * goes down): their next packets are picked again, so a TCP connection that
 * still lives is reset by the backend it lands on.  Returns how many flow
 * entries went, or -errno. */
int bgx_backend_expire_flows(struct bgx_instance *in, const struct bgx_backend_ref *ref,
			     struct bgx_err *e);

/* ---- which backends take new flows (pure: no maps) --------------------- */

/*
 * A backend takes new flows (is placed in its color's Maglev ring) when its
 * admin state is up (BACKEND_UP: not drain, not down) and its health is not
 * BACKEND_HEALTH_DOWN or _PENDING.  Except: when health would leave BOTH
 * colors of a service without any backend while some backend is admin up,
 * health is ignored for that service (it "fails open"): a broken checker,
 * or a network that cuts the checks, never black-holes a service.  The ring
 * builder of every operation and the recovery of a killed writer both go
 * through these, so they always agree.  `blue`, `green` and `bk` are a
 * color's BGXDP_MAX_BACKENDS slots.
 */
bool bgx_health_fails_open(const struct backend *blue, const struct backend *green);
bool bgx_backend_takes_flows(const struct backend *b, bool fail_open);
/* out[] = bk[] as the ring builder sees it: health cleared when the
 * service fails open (BGXDP_MAX_BACKENDS slots each). */
void bgx_ring_members(const struct backend *bk, bool fail_open, struct backend *out);

/* ---- a whole service at once (apply, batch) --------------------------- */

struct bgx_backend_spec {
	struct endpoint ep;
	__u16 weight;                   /* 1..1000 */
	__u8 state;                     /* BACKEND_UP, BACKEND_DRAIN or BACKEND_DOWN */
	/* The health a backend this adds starts with (BACKEND_HEALTH_NONE, or
	 * _PENDING when the agent checks the service): a backend that is
	 * there already keeps the health the agent gave it. */
	__u8 health;
};

/* Everything a service's traffic decision is made of. */
struct bgx_service_target {
	__u32 n[BGXDP_COLORS];
	struct bgx_backend_spec backends[BGXDP_COLORS][BGXDP_MAX_BACKENDS];
	__u32 green_bp;
};

struct bgx_service_update_result {
	bool changed;                   /* false: it was so already, nothing published */
	__u32 green_bp;
	__u32 generation;
};

/* Bring the service's backends (added, changed, removed) and split to
 * `target` with one publish of its config word (update.c says how a kill
 * midway is recovered). */
int bgx_service_update(struct bgx_instance *in, const char *name,
		       const struct bgx_service_target *target,
		       struct bgx_service_update_result *res, struct bgx_err *e);

/* ---- the traffic split ----------------------------------------------- */

struct bgx_share_result {
	char service[BGXDP_NAME_LEN];
	__u32 green_bp;                 /* green's share now, basis points */
	__u32 old_green_bp;             /* green's share before */
	__u32 generation;
};

/* Green gets `green_bp` of new flows (blue the rest): set and weight. */
int bgx_share_set(struct bgx_instance *in, const char *service, __u32 green_bp,
		  struct bgx_share_result *res, struct bgx_err *e);
/* Back to the split before the last change. */
int bgx_share_rollback(struct bgx_instance *in, const char *service,
		       struct bgx_share_result *res, struct bgx_err *e);

/* ---- repair and clean-up --------------------------------------------- */

enum bgx_recover_flags {
	BGX_RECOVER_FULL = 1 << 0,      /* check every ring, marked or not */
};

/* Finish what a killed writer left half-done (BGX_WRITE opens do this):
 * returns how many changes were finished or undone. */
int bgx_recover(struct bgx_instance *in, unsigned int flags, struct bgx_err *e);

/* ---- snapshots: what every renderer reads ---------------------------- */

#define BGX_ADDRESS_LEN 64              /* "[IPv6]:port" */

struct bgx_backend_view {
	char address[BGX_ADDRESS_LEN];
	struct endpoint ep;
	__u8 color;
	__u8 state;                     /* BACKEND_* (admin state) */
	__u8 health;                    /* BACKEND_HEALTH_* */
	bool takes_flows;               /* in its color's ring (admin, health, fail open) */
	__u16 weight;
	__u32 slot;
	__u64 live_flows;               /* BGX_SNAP_FLOWS: entries not idled out */
	__u64 open_flows;               /* BGX_SNAP_FLOWS: of those, not closing (no FIN/RST yet) */
	struct backend_counters counters;       /* BGX_SNAP_COUNTERS */
	struct backend_connect connect;         /* BGX_SNAP_COUNTERS: handshake times */
};

struct bgx_color_view {
	__u32 share_bp;
	__u32 admin_up;                 /* backends whose admin state is up */
	__u32 in_ring;                  /* backends that take new flows */
	/* Failover: the color has a share and admin-up backends, but health
	 * took every one of them out while the other color serves, so the
	 * data plane sends the color's new flows to the other color. */
	bool failover;
	__u64 live_flows;               /* BGX_SNAP_FLOWS */
	__u64 open_flows;               /* BGX_SNAP_FLOWS: not closing */
	struct color_counters counters; /* BGX_SNAP_COUNTERS, summed over CPUs */
};

struct bgx_service_view {
	__u32 id;
	char name[BGXDP_NAME_LEN];
	char vip[BGX_ADDRESS_LEN];
	char preview[BGX_ADDRESS_LEN];  /* "" if none */
	__u8 proto;
	bool affinity_client;
	__u64 word;                     /* the live config word */
	__u32 generation;
	__u64 changes;
	__u64 last_change_unix_ns;
	bool fails_open;                /* health ignored: it would leave no backend */
	struct bgx_color_view colors[BGXDP_COLORS];
	__u32 n_backends;               /* blue first, then green, by slot */
	struct bgx_backend_view backends[BGXDP_COLORS * BGXDP_MAX_BACKENDS];
};

struct bgx_iface_view {
	char name[IF_NAMESIZE + 8];
	__u32 ifindex;                  /* 0: the interface is gone */
};

struct bgx_snapshot {
	char pin_dir[PATH_MAX];
	int n_ifaces;
	struct bgx_iface_view ifaces[BGXDP_MAX_TX_PORTS];
	__u32 n_services;
	struct bgx_service_view services[BGXDP_MAX_SERVICES];
	__u64 passed[PASS_REASONS];     /* BGX_SNAP_COUNTERS */
};

enum bgx_snapshot_part {
	BGX_SNAP_CONFIG = 0,            /* always: interfaces, services, backends */
	BGX_SNAP_FLOWS = 1 << 0,        /* live flows per color and backend (walks the flow table) */
	BGX_SNAP_COUNTERS = 1 << 1,     /* per-CPU counters, summed */
};

/* Take a snapshot (heap: it is large) of every service, or of one (`only`,
 * NULL for all).  Free it with free(). */
int bgx_snapshot(struct bgx_instance *in, unsigned int parts, const char *only,
		 struct bgx_snapshot **out, struct bgx_err *e);

/* Share of new flows `color` gets under config word `word`, basis points. */
__u32 bgx_word_color_share(__u64 word, __u32 color);

#endif /* BGXDP_LIBBGXDP_H */
