/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pindir.h - the one walker of an instance's pin dir: maps (named as in
 * include/bgxdp_maps.h), the two program pins, and one XDP link pin per
 * attached interface (link_xdp_IFACE).
 */
#ifndef BGXDP_PINDIR_H
#define BGXDP_PINDIR_H

#include <stdbool.h>
#include <linux/types.h>
#include "bgx_err.h"

/* Called for every entry but "." and ".."; non-zero stops the walk and is
 * returned. */
typedef int (*pindir_visit_fn)(int dir_fd, const char *name, void *ctx);

int pindir_for_each(int dir_fd, pindir_visit_fn visit, void *ctx);

/* Entries (all, or XDP link pins only). */
int pindir_count(int dir_fd, bool links_only);
/* Remove every entry; the first error is returned (-errno). */
int pindir_remove_all(int dir_fd);

bool pindir_is_link(const char *name);
bool pindir_is_prog_or_link(const char *name);

/* The XDP links pinned in the dir: interface name and ifindex (0 when the
 * interface is gone).  Returns how many (at most `max`). */
struct pindir_link {
	char ifname[24];
	__u32 ifindex;
	__u32 prog_id;
};
int pindir_links(int dir_fd, const char *pin_dir, struct pindir_link *links, int max);

#endif
