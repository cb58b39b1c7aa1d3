/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * instance.h - the pinned bgxdp instance: pin dir, bpffs, locking, maps,
 * and the service-level operations every command shares (find a service,
 * read a color's backends, rebuild its ring and publish the config word).
 */
#ifndef BGXDP_INSTANCE_H
#define BGXDP_INSTANCE_H

#include <limits.h>
#include <stdbool.h>
#include "bgxdp.h"
#include "options.h"

enum instance_map {
	MAP_SERVICES,
	MAP_SVC_CONFIG,
	MAP_VIP_FILTER,
	MAP_BACKENDS,
	MAP_MAGLEV_RINGS,
	MAP_FLOWS,
	MAP_BACKEND_SERVICES,
	MAP_SETTINGS,
	MAP_TX_PORTS,
	MAP_NEXT_HOPS,
	MAP_COLOR_COUNTERS,
	MAP_BACKEND_COUNTERS,
	MAP_PASSED_COUNTERS,
	MAP_SVC_META,
	MAP_HALFOPEN,
	MAP_FLOW_EVENTS,
	MAP_BACKEND_CONNECT,
	MAP_COUNT
};

extern const char *const instance_map_names[MAP_COUNT];

#define PROG_XDP_PIN  "prog_xdp_ingress"
#define PROG_TC_PIN   "prog_tc_egress"
#define LINK_XDP_PREFIX "link_xdp_"

struct instance {
	char pin_dir[PATH_MAX];
	int dir_fd;                     /* open (and flock-ed if locked) */
	int map_fd[MAP_COUNT];
	volatile __u64 *cfg;            /* mmap of svc_config */
	size_t cfg_len;
};

/* --pin-dir (after or before the command), $BGXDP_PIN_DIR, the default. */
const char *instance_pin_dir(const struct opts *o);

/* Mount bpffs at /sys/fs/bpf when the pin dir is under it and it is not
 * mounted (as bpftool does). */
int instance_ensure_bpffs(const char *pin_dir);

/* Open (and create with mode 0700 if `create`, mounting bpffs first if
 * needed) the pin dir, take the exclusive flock if `lock`.  Sets
 * in->dir_fd.  Says clearly when the dir is not on bpffs, and refuses an
 * untrusted one (security.h). */
int instance_lock_dir(struct instance *in, const char *pin_dir, bool create, bool lock);

/* Does the pin dir hold an instance (the svc_config pin)? */
bool instance_exists(const struct instance *in);

/* Open an existing instance: lock (if asked), open every map, mmap the
 * config words.  No instance -> clear error. */
int instance_open(struct instance *in, const char *pin_dir, bool lock);
/* Open the maps of an instance whose dir is already locked. */
int instance_open_maps(struct instance *in);
void instance_close(struct instance *in);

int instance_path(const struct instance *in, const char *name, char *buf, size_t len);

/* ---- services ---- */

/* name NULL: the only configured service (error if 0 or >1). */
int svc_find(struct instance *in, const char *name, __u32 *id, struct svc_meta *meta);
int svc_meta_read(struct instance *in, __u32 id, struct svc_meta *meta);
int svc_meta_write(struct instance *in, __u32 id, const struct svc_meta *meta);
__u64 svc_word(struct instance *in, __u32 id);
void svc_publish(struct instance *in, __u32 id, __u64 word);

/* All BGXDP_MAX_BACKENDS slots of one color. */
int color_backends_read(struct instance *in, __u32 id, __u32 color, struct backend *bk);
__u32 backends_up(const struct backend *bk);
/* Build `color`'s ring from bk[] into the inactive buffer and return the
 * word that makes it live (not yet published): ring bit flipped, has
 * backends set/cleared, next generation. */
int color_prepare_ring(struct instance *in, __u32 id, __u32 color,
		       const struct backend *bk, __u64 word, __u64 *new_word);

/* Share in basis points a color receives under `word`. */
__u32 word_color_share(__u64 word, __u32 color);

#endif
