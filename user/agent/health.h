/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * health.h - active health checks of backends, for `bgxdp agent`.
 *
 * Depends on: libcurl (multi interface, HTTP checks), jansson (settings as
 * JSON), bgx_err.h, values.h (struct endpoint).  Link with -lcurl -ljansson.
 *
 * The agent tells the engine which services have which settings and which
 * backends (targets) exist; the engine checks each target on its own
 * schedule and reports every state change through a callback.  It never
 * touches the data plane itself: taking a backend out of its color's ring
 * is the caller's job, done in the callback or from a snapshot.
 *
 * States and counting (HAProxy's rise/fall):
 *   unchecked  added while the agent runs; not yet judged.  The first passing
 *              check makes it up; `fall` consecutive failures make it down.
 *   up         `fall` consecutive failed checks make it down.
 *   down       `rise` consecutive passing checks make it up.
 *   off        checks are disabled for its service (settings.enabled false).
 *              Turning checks back on makes it up (it was serving while off;
 *              `fall` failures then take it down), so toggling never flaps.
 * A target's initial state is the caller's: a backend already in its ring
 * when the agent (re)starts is added as up, one out of the ring because it
 * was down is added as down, a new one as unchecked.
 *
 * When checks run.  Each target has its own cadence, measured from the start
 * of one check to the start of the next:
 *   interval   while up and settled (no failure counted);
 *   fastinter  while transitioning (up with failures counted, down with
 *              passes counted, unchecked) and while suspected;
 *   downinter  while down and settled.
 * A check that takes longer than the cadence is followed at once by the next.
 * Because timeout < interval and fastinter <= interval, a backend that dies
 * is down within fall x interval + timeout (less when it refuses at once).
 *
 * Jitter: the first check of a target waits hash(service, color, address,
 * port) mod (jitter % of the interval), so many targets added together (an
 * agent start) are spread over that fraction of the interval and keep their
 * phases afterwards.  The same target always gets the same offset.
 *
 * Passive suspicion: health_suspect() on an up target starts a check now (or
 * lets the running one count) and keeps the fastinter cadence until the
 * target is down or has passed `rise` checks in a row since the suspicion.
 *
 * Threads.  One thread (the loop thread) calls health_poll()/health_run();
 * callbacks run on it, without any engine lock held, so they may call any
 * function here.  health_set_service, health_remove_service,
 * health_add_target, health_remove_target, health_sync_targets,
 * health_suspect, health_snapshot, health_get_target and health_stop may be
 * called from any thread at any time; they take the engine's mutex and wake
 * the loop.  health_engine_new and health_engine_free run while no other
 * thread uses the engine (libcurl's global init is done there).
 */
#ifndef BGXDP_HEALTH_H
#define BGXDP_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "bgx_err.h"
#include "values.h"

/* ---- settings (per service) ---------------------------------------------- */

enum health_kind {
	HEALTH_TCP,             /* connect; connected = pass */
	HEALTH_HTTP,            /* GET path; status in `expect` = pass */
};

struct health_code_range {
	uint16_t lo, hi;        /* inclusive, 100..599 */
};

#define HEALTH_MAX_CODE_RANGES 16
#define HEALTH_PATH_LEN        256     /* NUL included */
#define HEALTH_HOST_LEN        256

/* Bounds checked by health_settings_validate(). */
#define HEALTH_INTERVAL_MIN_MS 100
#define HEALTH_INTERVAL_MAX_MS 3600000 /* 1 h */
#define HEALTH_TIMEOUT_MIN_MS  10
#define HEALTH_TIMEOUT_MAX_MS  60000   /* 1 min */
#define HEALTH_COUNT_MAX       100     /* rise, fall: 1..100 */

struct health_settings {
	bool enabled;                   /* false: `health --off`, targets are off */
	enum health_kind kind;
	char path[HEALTH_PATH_LEN];     /* HTTP: starts with '/' */
	char host[HEALTH_HOST_LEN];     /* HTTP Host header; "" = address:port */
	struct health_code_range expect[HEALTH_MAX_CODE_RANGES];
	unsigned n_expect;              /* HTTP: at least one range */
	uint32_t interval_ms;           /* default 1000 */
	uint32_t timeout_ms;            /* default 500, < interval */
	uint32_t fastinter_ms;          /* 0 = max(interval / 2, timeout) */
	uint32_t downinter_ms;          /* 0 = interval */
	uint32_t rise, fall;            /* default 2, 2 */
	uint16_t port;                  /* 0 = the backend's own port */
	uint8_t jitter_pct;             /* 0..100, default 50 */
	bool expire_flows_on_down;      /* carried for the caller; default false */
};

/* TCP, 1 s, 500 ms, rise 2, fall 2, HTTP codes 200-399, jitter 50 %. */
void health_settings_default(struct health_settings *s);
/* 0, or -EINVAL with one line naming the bad field and what is accepted. */
int health_settings_validate(const struct health_settings *s, struct bgx_err *err);
/* "200-399", "200,301-302": replaces s->expect; nothing changed on error. */
int health_parse_expect(const char *text, struct health_settings *s, struct bgx_err *err);
/* The inverse of health_parse_expect ("200-399"). */
void health_format_expect(const struct health_settings *s, char *buf, size_t len);
bool health_code_expected(const struct health_settings *s, long code);
uint32_t health_fastinter_ms(const struct health_settings *s);
/* Settings as stored in the state dir and shown in the history:
 * {"enabled":true,"kind":"http","interval_ms":1000,...,"path":"/","host":"",
 * "expect":"200-399"} (path, host, expect for HTTP only).  NULL: no memory. */
json_t *health_settings_to_json(const struct health_settings *s);
/* The inverse: missing keys keep their defaults; unknown keys, wrong types
 * and settings that do not validate are refused with one line. */
int health_settings_from_json(const json_t *obj, struct health_settings *out,
			      struct bgx_err *err);
uint32_t health_downinter_ms(const struct health_settings *s);

/* ---- targets and their state ------------------------------------------- */

enum health_state {
	HEALTH_UNCHECKED,
	HEALTH_UP,
	HEALTH_DOWN,
	HEALTH_OFF,
};

enum health_result {
	HEALTH_RESULT_NONE,     /* no check finished yet */
	HEALTH_RESULT_OK,
	HEALTH_RESULT_REFUSED,  /* connection refused (RST to the SYN) */
	HEALTH_RESULT_TIMEOUT,  /* no connect / no response within timeout */
	HEALTH_RESULT_BAD_STATUS, /* HTTP status not in the expect list */
	HEALTH_RESULT_ERROR,    /* anything else: unreachable, reset, ... */
	HEALTH_RESULT_COUNT,
};

#define HEALTH_SERVICE_LEN     32      /* BGXDP_NAME_LEN */
#define HEALTH_DETAIL_LEN      128

struct health_target_id {
	char service[HEALTH_SERVICE_LEN];
	uint32_t color;                 /* BGXDP_BLUE / BGXDP_GREEN */
	struct endpoint backend;        /* checked at backend.port or settings.port */
};

struct health_check_result {
	enum health_result result;
	int http_status;                /* HTTP checks that got a response, else 0 */
	uint32_t latency_us;            /* start of the check to its result */
	int64_t at_unix_ms;             /* when it finished */
	char detail[HEALTH_DETAIL_LEN]; /* "HTTP 500 (expected 200-399)", "connect: No route to host" */
};

struct health_target_status {
	struct health_target_id id;
	enum health_state state;
	int64_t since_unix_ms;          /* last state change (or when added) */
	uint32_t passes, fails;         /* consecutive, as counted for rise/fall */
	bool suspected;
	struct health_check_result last;
	uint64_t checks[HEALTH_RESULT_COUNT]; /* finished checks by result */
	bool expire_flows_on_down;      /* from its service's settings */
};

struct health_target_spec {
	struct health_target_id id;
	enum health_state initial;      /* UNCHECKED, UP or DOWN; used if new */
};

const char *health_state_name(enum health_state s);   /* "up", ... */
/* "ok", "refused", "timeout", "bad_status", "error": the `result` label of
 * bgxdp_backend_health_checks_total. */
const char *health_result_name(enum health_result r);
bool health_target_id_equal(const struct health_target_id *a, const struct health_target_id *b);
/* "web green 10.0.0.1:80" */
void health_format_target(const struct health_target_id *id, char *buf, size_t len);

/* ---- the engine ---------------------------------------------------------- */

struct health_engine;

/* Called on the loop thread for every state change, with the target as it is
 * after the change and a reason with the figures ("2 consecutive failed
 * checks (fall 2): connect refused after 0.1 ms"). */
typedef void (*health_transition_fn)(const struct health_target_status *target,
				     enum health_state from, enum health_state to,
				     const char *reason, void *ctx);

struct health_engine_config {
	health_transition_fn on_transition;     /* may be NULL */
	void *ctx;
};

int health_engine_new(const struct health_engine_config *cfg, struct health_engine **out,
		      struct bgx_err *err);
void health_engine_free(struct health_engine *e);

/* Add or change a service's settings (validated first; nothing changed on
 * error).  Changed timing applies from the next check; a changed check
 * (kind, path, host, port, codes) restarts the counts of its targets. */
int health_set_service(struct health_engine *e, const char *service,
		       const struct health_settings *s, struct bgx_err *err);
/* Remove a service and all its targets; -ENOENT if unknown. */
int health_remove_service(struct health_engine *e, const char *service);

/* Add a target of a service set before (-ENOENT otherwise).  Adding one that
 * exists keeps it as it is and returns 0. */
int health_add_target(struct health_engine *e, const struct health_target_spec *spec,
		      struct bgx_err *err);
int health_remove_target(struct health_engine *e, const struct health_target_id *id);
/* The complete list of targets (the agent's resync): adds the new ones with
 * their initial state, keeps the known ones, removes the others.  All specs
 * are checked first; nothing changed on error. */
int health_sync_targets(struct health_engine *e, const struct health_target_spec *specs,
			size_t n, struct bgx_err *err);

/* A passive signal says this target may be failing (see the top). */
int health_suspect(struct health_engine *e, const struct health_target_id *id);

/* One turn of the loop: finish checks that have a result, start the ones
 * that are due, then wait up to max_wait_ms for the next event.  Loop thread
 * only.  0 or -errno. */
int health_poll(struct health_engine *e, int max_wait_ms, struct bgx_err *err);
/* health_poll until health_stop(); 0 or -errno. */
int health_run(struct health_engine *e, struct bgx_err *err);
void health_stop(struct health_engine *e);

struct health_snapshot {
	struct health_target_status *targets;   /* sorted by service, color, backend */
	size_t n;
	uint64_t checks[HEALTH_RESULT_COUNT];   /* all checks since the engine started */
};

int health_snapshot(struct health_engine *e, struct health_snapshot *out, struct bgx_err *err);
void health_snapshot_free(struct health_snapshot *s);
/* One target's status; -ENOENT if unknown. */
int health_get_target(struct health_engine *e, const struct health_target_id *id,
		      struct health_target_status *out);

#endif
