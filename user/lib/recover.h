/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * recover.h - finishing what a killed command left half-done.
 *
 * A backend command writes a color's backend slots and then publishes a
 * ring built from them (or, when a backend leaves, the other way round).
 * Killed in between, it leaves the slots and the live ring disagreeing:
 * packets still see the last whole config, but status shows another one,
 * and a repeated command sees "already up" and does nothing.
 */
#ifndef BGXDP_RECOVER_H
#define BGXDP_RECOVER_H

#include "instance.h"

/*
 * With the instance locked: for every service and color whose live ring
 * (and has-backends bit) is not the ring its backend slots build, publish
 * the ring they build.  Returns how many rings were republished, or -errno.
 */
int instance_recover(struct instance *in);

#endif
