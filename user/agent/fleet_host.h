/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fleet_host.h - what the fleet component does to this host's instance,
 * through the control-plane library: apply a revision as `bgxdp apply -f`
 * does, tell whether the live state drifted from it, count the backends in
 * rotation.
 */
#ifndef BGXDP_FLEET_HOST_H
#define BGXDP_FLEET_HOST_H

#include "fleet_config.h"

struct fleet_host {
	const char *pin_dir;
	const char *state_dir;
};

/* ops with ctx = host (which must outlive them). */
void fleet_host_ops_init(struct fleet_host_ops *ops, struct fleet_host *host);

/* Parse `text` (named `source`), plan from the live state and apply: 0 when
 * the instance is then as the text says.  *steps (may be NULL): steps
 * carried out. */
int fleet_host_apply(const struct fleet_host *h, const char *text, size_t len,
		     const char *source, size_t *steps, struct bgx_err *e);

#endif
