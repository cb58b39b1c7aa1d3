/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * layout.h - does this build's map layout match a pinned instance?
 *
 * An upgrade reuses the pinned maps (their entries are the live config and
 * flows), so the new programs must see exactly the layout the old ones
 * wrote: same map set, types, key and value sizes, sizes and flags.  The
 * flow table is the one map whose size is chosen at the first attach, so
 * its max_entries may differ.
 */
#ifndef BGXDP_LAYOUT_H
#define BGXDP_LAYOUT_H

#include <stdbool.h>
#include <bpf/libbpf.h>
#include "bgx_err.h"

/*
 * Compare every map of `obj` (opened, not loaded) with the map pinned under
 * the same name in the directory `dir_fd` (`pin_dir` is its path, for
 * messages), and every map pinned there with the object.  Returns 0 when
 * they all match, else -EINVAL (-errno on a system error) with one message
 * recorded that names the first map that differs and how.
 */
int layout_check(struct bpf_object *obj, int dir_fd, const char *pin_dir, struct bgx_err *e);

#endif
