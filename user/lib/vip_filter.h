/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * vip_filter.h - the data plane's summary of the services map (struct
 * vip_filter in bgxdp.h).  The filter must always be a superset of the services map: a VIP
 * missing from it would see its packets pass untouched.
 */
#ifndef BGXDP_VIP_FILTER_H
#define BGXDP_VIP_FILTER_H
#include "instance.h"

/* Mark `key` as a possible VIP.  Call before inserting it into services. */
int vip_filter_add(struct instance *in, const struct vip_key *key);
/* Recompute the filter from the services map.  Call after deleting. */
int vip_filter_rebuild(struct instance *in);

#endif
