/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* export.h - the live state as a declarative model; applying a model. */
#ifndef BGXDP_EXPORT_H
#define BGXDP_EXPORT_H

#include "desired.h"
#include "libbgxdp.h"
#include "plan.h"

/* The live state of `in` (and the health settings stored in `state_dir`,
 * NULL: none) as a model: exporting it and applying the result is a no-op. */
int bgx_export(struct bgx_instance *in, const char *state_dir, struct bgx_desired *d,
	       struct bgx_err *e);

/* The live model of the instance at `pin_dir`, or an empty one when there
 * is no instance there yet (apply creates it). */
int bgx_export_pin_dir(const char *pin_dir, const char *state_dir, struct bgx_desired *d,
		       struct bgx_err *e);

struct bgx_apply_result {
	size_t steps;                   /* steps of the plan carried out */
	size_t services_published;      /* services whose word was published */
};

/* What bgx_apply refuses whatever the host: a color that gets a share
 * with no backend in rotation (at its FILE:LINE:COL).  `fleet apply` checks
 * it before a revision goes to every host. */
int bgx_apply_check(const struct bgx_desired *desired, struct bgx_err *e);

/* Carry out `plan` (from bgx_plan_build(live, desired)) on the instance at
 * `pin_dir`.  Everything the plan needs is checked first (interfaces exist,
 * every color that gets a share has a backend in rotation, ...): a refusal
 * changes nothing and names the file position.  Each service's backends
 * and split are published with one config word (bgx_service_update). */
int bgx_apply(const char *pin_dir, const char *state_dir, const struct bgx_desired *desired,
	      const struct bgx_plan *plan, struct bgx_apply_result *res, struct bgx_err *e);

#endif
