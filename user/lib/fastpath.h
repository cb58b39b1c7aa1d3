/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fastpath.h - the instance's fast path: the `settings` flag and the
 * interfaces of the `tx_ports` devmap the XDP program may redirect to.
 */
#ifndef BGXDP_FASTPATH_H
#define BGXDP_FASTPATH_H

#include <stdbool.h>
#include "instance.h"

struct fast_path {
	int n;
	__u32 ifindex[BGXDP_MAX_TX_PORTS];
	bool added[BGXDP_MAX_TX_PORTS]; /* not in tx_ports before this change */
	struct instance_settings old;
	int settings_fd, tx_fd;
};

/* Devices first, then the flag: the program never sees the flag set with
 * an empty devmap.  On failure nothing stays changed. */
int fast_path_enable(const struct bgx_instance *in, const __u32 *ifindex, int n,
		     struct fast_path *fp, struct bgx_err *e);
/* Undo fast_path_enable (the operation failed after it). */
void fast_path_undo(struct fast_path *fp);
void fast_path_close(struct fast_path *fp);

#endif
