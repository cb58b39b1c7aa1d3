/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* upgrade.h - the upgrade of an instance whose pin dir is locked already. */
#ifndef BGXDP_UPGRADE_H
#define BGXDP_UPGRADE_H

#include "instance.h"

/* All or nothing: on a failure every interface is put back on its old
 * programs. */
int upgrade_locked(const struct bgx_instance *in, bool check_only,
		   struct bgx_upgrade_result *res, struct bgx_err *e);

#endif
