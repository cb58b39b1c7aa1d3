/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * health_store.h - each service's health settings, kept in the state dir as
 * <state dir>/health-SERVICE.json ({"service": NAME, "settings": {...}},
 * the settings as health_settings_to_json() writes them), and their
 * conversion to and from the declarative model (desired.h), so `bgxdp
 * health`, `bgxdp apply` and `bgxdp export` store and show the same thing.
 *
 * Depends on: jansson, health.h (settings only: no libcurl), desired.h,
 * state_file.h.  The CLI links this file: it stores what `bgxdp health`
 * asks for, and the agent reads it.
 *
 * The two forms agree: the same defaults (TCP, 1 s, 500 ms, rise 2, fall 2,
 * HTTP 200-399, fastinter max(interval / 2, timeout), downinter = interval),
 * the same bounds, the same limits.  What the declarative model does not
 * carry (jitter, the HTTP Host header) keeps its default: 50 % jitter, the
 * backend's address as Host.
 */
#ifndef BGXDP_HEALTH_STORE_H
#define BGXDP_HEALTH_STORE_H

#include "bgx_err.h"
#include "health.h"

struct bgx_desired_health;              /* desired.h (not included here: its names
					   clash with libbgxdp.h's) */

#define HEALTH_STORE_PREFIX "health-"
#define HEALTH_STORE_SUFFIX ".json"

/* Replace the service's stored settings (validated first). */
int health_store_save(const char *state_dir, const char *service,
		      const struct health_settings *s, struct bgx_err *err);
/* -ENOENT (no message) when the service has none stored; -EINVAL with the
 * reason for a file that is not valid settings of that service. */
int health_store_load(const char *state_dir, const char *service, struct health_settings *s,
		      struct bgx_err *err);
/* A service that has none is not an error. */
int health_store_remove(const char *state_dir, const char *service, struct bgx_err *err);

/* Every service with stored settings, by name; a file that does not load is
 * reported to `bad` (may be NULL) and skipped.  A non-zero return of
 * `visit` stops the walk with it. */
typedef int (*health_store_visit_fn)(const char *service, const struct health_settings *s,
				     void *ctx);
typedef void (*health_store_bad_fn)(const char *service, const struct bgx_err *why, void *ctx);
int health_store_each(const char *state_dir, health_store_visit_fn visit,
		      health_store_bad_fn bad, void *ctx, struct bgx_err *err);

/* The declarative form: mode OFF gives enabled = false, ON the settings;
 * UNSET is -ENOENT (nothing to store). */
int health_settings_from_desired(const struct bgx_desired_health *d,
				 struct health_settings *s, struct bgx_err *err);
void health_settings_to_desired(const struct health_settings *s, struct bgx_desired_health *d);

/* "http /healthz expect 200-399, every 1s, timeout 500ms, rise 2, fall 2"
 * (or "off"): how `bgxdp health` and `bgxdp status` show settings. */
void health_describe(const struct health_settings *s, char *buf, size_t len);

#endif
