/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * health_store.h - a service's health-check settings, kept in the state dir
 * (<state_dir>/health/<service>.json) where the agent reads them: written
 * by `bgxdp health` and `apply`, read by `export` and the agent.
 */
#ifndef BGXDP_HEALTH_STORE_H
#define BGXDP_HEALTH_STORE_H

#include "desired.h"

/* No file: h->mode = BGX_HEALTH_UNSET. */
int health_store_read(const char *state_dir, const char *service, struct bgx_desired_health *h,
		      struct bgx_err *e);
/* BGX_HEALTH_UNSET removes the file.  Written atomically (temp + rename). */
int health_store_write(const char *state_dir, const char *service,
		       const struct bgx_desired_health *h, struct bgx_err *e);

/* The services with stored settings, sorted by name: at most `max` names
 * into names[], their count in *n.  A file that is not a service's
 * settings is left out. */
#define HEALTH_STORE_MAX BGXDP_MAX_SERVICES
int health_store_list(const char *state_dir, char (*names)[BGXDP_NAME_LEN], size_t max,
		      size_t *n, struct bgx_err *e);

#endif
