/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * desired.h - the declarative state of one bgxdp instance: what a config
 * file (`bgxdp apply -f`, the fleet's etcd key) asks for and what `bgxdp
 * export` reports, as one typed value.
 *
 * Everything is fixed-size, bounded by the data plane's own limits
 * (BGXDP_MAX_SERVICES services, BGXDP_MAX_BACKENDS backends per color), so a
 * model is one allocation (about 250 KiB: allocate it, do not put it on a
 * small stack) and can be copied with memcpy.  All values are already
 * validated: the parser (config_yaml.h) checks every value once, at the
 * edge, and bgx_desired_validate() checks the rules across nodes.
 *
 * Every node remembers where it came from (struct bgx_src_pos, 1-based line
 * and column; 0:0 for a model built from the live instance), so a later
 * refusal, e.g. by the library, can name the place in the file with
 * bgx_desired_fail_at().  Positions never take part in comparisons.
 *
 * Absent top-level keys leave that part of the instance alone: no `flows`
 * means the default size when the instance is created; no `fast_path` means
 * the fast-path set is not managed; interfaces not listed stay attached
 * unless `prune: true`.  Services are always the whole set: a service not in
 * the file is deleted.
 */
#ifndef BGXDP_DESIRED_H
#define BGXDP_DESIRED_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "bgxdp.h"
#include "bgx_err.h"
#include "values.h"
#include "libbgxdp.h"   /* enum bgx_xdp_mode */

#define BGX_MAX_IFACES          BGXDP_MAX_TX_PORTS  /* attached interfaces, fast-path devices */
#define BGX_IFNAME_LEN          16                  /* IFNAMSIZ, NUL included */
#define BGX_HEALTH_PATH_LEN     256                 /* HTTP check path, NUL included */
#define BGX_HEALTH_MAX_RANGES   16                  /* expect: "200-399,404" ranges */
#define BGX_SOURCE_LEN          256                 /* file name shown in messages */
#define BGX_WEIGHT_MIN          1
#define BGX_WEIGHT_MAX          1000
#define BGX_FLOWS_MIN           1024                /* as `attach --flows` */
#define BGX_FLOWS_MAX           67108864

/* Where a node starts in its file: 1-based; line 0 = not from a file. */
struct bgx_src_pos {
	__u32 line;
	__u32 col;
};

struct bgx_desired_iface {
	char name[BGX_IFNAME_LEN];
	__u8 mode;                      /* enum bgx_xdp_mode */
	struct bgx_src_pos pos;         /* the name */
	struct bgx_src_pos pos_mode;
};

struct bgx_desired_fast_path {
	char name[BGX_IFNAME_LEN];
	struct bgx_src_pos pos;
};

enum bgx_health_mode {
	BGX_HEALTH_UNSET = 0,           /* no `health` key: no settings stored (agent default) */
	BGX_HEALTH_OFF,                 /* `health: off`: checks disabled */
	BGX_HEALTH_ON,                  /* `health: {...}` */
};

enum bgx_check_kind {
	BGX_CHECK_TCP = 0,              /* connect */
	BGX_CHECK_HTTP,                 /* GET path, status in expect */
};

struct bgx_code_range {
	__u16 lo, hi;                   /* HTTP status codes, 100 <= lo <= hi <= 599 */
};

/* Health settings of a service; with mode ON every field is filled (the
 * defaults come from bgx_health_fill_defaults, the one place they live). */
struct bgx_desired_health {
	__u8  mode;                     /* enum bgx_health_mode */
	__u8  check;                    /* enum bgx_check_kind */
	__u8  expire_flows_on_down;     /* established flows of a backend that goes down end */
	__u8  n_expect;                 /* HTTP only */
	__u16 rise, fall;               /* passes to come up, failures to go down */
	__u16 port;                     /* 0: the backend's own port */
	__u32 interval_ms, timeout_ms;
	__u32 fastinter_ms;             /* 0: max(interval / 2, timeout); at most the interval
					   (while a backend changes state or is suspected) */
	__u32 downinter_ms;             /* 0: as interval (while a backend is down) */
	struct bgx_code_range expect[BGX_HEALTH_MAX_RANGES];   /* sorted, merged */
	char  path[BGX_HEALTH_PATH_LEN];                       /* HTTP only */
	struct bgx_src_pos pos, pos_check, pos_path, pos_expect, pos_interval, pos_timeout,
			   pos_rise, pos_fall, pos_port, pos_fastinter, pos_downinter, pos_expire;
};

/* Health defaults: TCP, every 1 s, 500 ms timeout, rise 2, fall 2; HTTP
 * checks GET / and expect 200-399.  The agent's own form of the settings
 * (user/agent/health.h) has the same defaults and bounds, and
 * user/agent/health_store.h converts between the two. */
#define BGX_HEALTH_DEFAULT_INTERVAL_MS  1000
#define BGX_HEALTH_DEFAULT_TIMEOUT_MS   500
#define BGX_HEALTH_DEFAULT_RISE         2
#define BGX_HEALTH_DEFAULT_FALL         2
/* Accepted ranges (durations in ms). */
#define BGX_HEALTH_INTERVAL_MIN_MS      100
#define BGX_HEALTH_INTERVAL_MAX_MS      3600000
#define BGX_HEALTH_TIMEOUT_MIN_MS       10
#define BGX_HEALTH_TIMEOUT_MAX_MS       60000
#define BGX_HEALTH_COUNT_MAX            100     /* rise, fall: 1..100 */
#define BGX_HEALTH_CODE_MIN             100
#define BGX_HEALTH_CODE_MAX             599

struct bgx_desired_backend {
	struct endpoint ep;
	__u16 weight;                   /* BGX_WEIGHT_MIN..MAX */
	__u8  state;                    /* BACKEND_UP (ready), BACKEND_DRAIN, BACKEND_DOWN (maint) */
	struct bgx_src_pos pos;         /* the address */
	struct bgx_src_pos pos_weight, pos_state;
};

/* What identifies a service in the data plane: a change to any of these
 * cannot be made in place (the service is deleted and added again). */
struct bgx_service_def {
	char name[BGXDP_NAME_LEN];
	struct endpoint vip;
	struct endpoint preview;        /* family 0: no preview address */
	__u8 proto;                     /* IPPROTO_TCP / IPPROTO_UDP */
	__u8 affinity_client;           /* 1: by client address, 0: by flow */
};

struct bgx_desired_service {
	struct bgx_service_def def;
	__u32 green_bp;                 /* green share, basis points 0..10000 */
	struct bgx_desired_health health;
	__u32 n_backends[BGXDP_COLORS];
	struct bgx_desired_backend backends[BGXDP_COLORS][BGXDP_MAX_BACKENDS];
	struct bgx_src_pos pos, pos_name, pos_vip, pos_proto, pos_preview, pos_affinity, pos_share;
};

struct bgx_desired {
	char  source[BGX_SOURCE_LEN];   /* "bgxdp.yaml", "<stdin>", ...: for messages */
	__u32 flows;                    /* flow table size at creation; 0: not given */
	bool  prune;                    /* detach attached interfaces not listed */
	bool  fast_path_set;            /* `fast_path` given: the set is managed */
	__u32 n_fast_path;
	struct bgx_desired_fast_path fast_path[BGX_MAX_IFACES];
	__u32 n_ifaces;
	struct bgx_desired_iface ifaces[BGX_MAX_IFACES];
	__u32 n_services;
	struct bgx_desired_service services[BGXDP_MAX_SERVICES];
	struct bgx_src_pos pos_flows, pos_prune, pos_fast_path, pos_interfaces, pos_services;
};

/* A zeroed, empty model (calloc); NULL when out of memory. */
struct bgx_desired *bgx_desired_new(void);
void bgx_desired_free(struct bgx_desired *d);
void bgx_desired_init(struct bgx_desired *d);

/* Fill the unset fields of ON settings with the defaults (above). */
void bgx_health_fill_defaults(struct bgx_desired_health *h);
/* Expected codes sorted, and overlapping or touching ranges merged (the
 * canonical form). */
void bgx_health_canonicalize(struct bgx_desired_health *h);

/* The canonical order: interfaces and fast-path devices by name, services
 * by name, backends by address (IPv4 before IPv6, then bytes, then port),
 * expect ranges ascending.  Emit, equal and plan rely on it; the parser
 * returns canonical models, a model built from the live instance must go
 * through this. */
void bgx_desired_canonicalize(struct bgx_desired *d);

/* Same state (positions and source ignored); both canonical. */
bool bgx_desired_equal(const struct bgx_desired *a, const struct bgx_desired *b);
bool bgx_service_def_equal(const struct bgx_service_def *a, const struct bgx_service_def *b);
bool bgx_health_equal(const struct bgx_desired_health *a, const struct bgx_desired_health *b);
bool bgx_endpoint_equal(const struct endpoint *a, const struct endpoint *b);
int  bgx_endpoint_cmp(const struct endpoint *a, const struct endpoint *b);

/* The rules across nodes (and every value's range, for models not made by
 * the parser): unique service names, VIP and preview addresses unique
 * (per protocol), preview and backends of the VIP's family, a backend
 * address once per color and in one service per protocol (it may serve
 * both colors of its service), limits, health consistency, interface names
 * unique, `prune` only with interfaces listed.  The first violation is
 * reported at its node, as bgx_desired_fail_at() does. */
int bgx_desired_validate(const struct bgx_desired *d, struct bgx_err *e);

/* Record "SOURCE:LINE:COL: message" (or "SOURCE: message" when pos is 0:0)
 * as a usage error in `e`; returns -|code|. */
int bgx_desired_fail_at(const struct bgx_desired *d, struct bgx_src_pos pos, struct bgx_err *e,
			int code, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

const struct bgx_desired_service *bgx_desired_find_service(const struct bgx_desired *d,
							    const char *name);
const struct bgx_desired_backend *bgx_desired_find_backend(const struct bgx_desired_service *s,
							    __u32 color, const struct endpoint *ep);

/* A Linux interface name: 1..15 printable characters, not "." or "..",
 * no '/', ':' or space; 0 or a usage error naming `label`. */
int bgx_ifname_check(const char *s, const char *label, struct bgx_err *e);

/* Words of the file format. */
const char *bgx_xdp_mode_name(__u8 mode);          /* native|generic|auto */
const char *bgx_admin_state_name(__u8 state);      /* ready|drain|maint */
const char *bgx_check_name(__u8 check);            /* tcp|http */
/* "200-399,404" */
void bgx_expect_format(const struct bgx_desired_health *h, char *buf, size_t len);
/* Whole percent or up to two decimals, shortest form: "10", "12.5", "0.01". */
void bgx_percent_format(__u32 bp, char *buf, size_t len);
/* Largest unit that is exact: "1h", "2m", "1s", "1500ms". */
void bgx_duration_format(__u32 ms, char *buf, size_t len);

#endif
