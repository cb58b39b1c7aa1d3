/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * health_desired.h - a service's health settings as the agent's checks use
 * them (health.h) and as the state dir and the declarative model keep them
 * (health_store.h, desired.h): one store, two forms that agree, so `bgxdp
 * health`, `apply`, `export` and the agent see the same settings.
 *
 * Depends on: health.h (settings only: no libcurl), desired.h,
 * health_store.h.  The CLI links this file.
 *
 * The two forms agree: the same defaults (TCP, 1 s, 500 ms, rise 2, fall 2,
 * HTTP 200-399, fastinter max(interval / 2, timeout), downinter = interval),
 * the same bounds and limits (checked at build time here).  What the
 * declarative model does not carry (jitter, the HTTP Host header) keeps its
 * default: 50 % jitter, the backend's address as Host.
 */
#ifndef BGXDP_HEALTH_DESIRED_H
#define BGXDP_HEALTH_DESIRED_H

#include "bgx_err.h"
#include "desired.h"
#include "health.h"

/* The declarative form: mode OFF gives enabled = false, ON the settings
 * (validated); UNSET is -ENOENT (nothing stored). */
int health_settings_from_desired(const struct bgx_desired_health *d,
				 struct health_settings *s, struct bgx_err *err);
void health_settings_to_desired(const struct health_settings *s, struct bgx_desired_health *d);

/* The service's stored settings: 0, -ENOENT (no message) when it has none,
 * or -EINVAL with the reason for stored settings that do not validate. */
int health_settings_load(const char *state_dir, const char *service, struct health_settings *s,
			 struct bgx_err *err);
/* Store them (validated first), replacing what was stored. */
int health_settings_save(const char *state_dir, const char *service,
			 const struct health_settings *s, struct bgx_err *err);
/* Forget them; a service that has none is not an error. */
int health_settings_remove(const char *state_dir, const char *service, struct bgx_err *err);

/* Every service with stored settings, by name; settings that do not load
 * are reported to `bad` (may be NULL) and skipped.  A non-zero return of
 * `visit` stops the walk with it. */
typedef int (*health_settings_visit_fn)(const char *service, const struct health_settings *s,
					void *ctx);
typedef void (*health_settings_bad_fn)(const char *service, const struct bgx_err *why,
				       void *ctx);
int health_settings_each(const char *state_dir, health_settings_visit_fn visit,
			 health_settings_bad_fn bad, void *ctx, struct bgx_err *err);

/* "http /healthz expect 200-399, every 1s, timeout 500ms, rise 2, fall 2"
 * (or "off"): how `bgxdp health` and `bgxdp status` show settings. */
void health_describe(const struct health_settings *s, char *buf, size_t len);

#endif
