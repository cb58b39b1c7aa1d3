/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * instance.h - inside the library: the open instance and the primitives
 * every operation is made of (service lookup, config word, a color's
 * backend slots).  Not for front ends: they use libbgxdp.h.
 */
#ifndef BGXDP_INSTANCE_H
#define BGXDP_INSTANCE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include "bgxdp_maps.h"
#include "libbgxdp.h"

#define BGX_MAP_ENUM(name) MAP_##name,
enum bgx_map {
	BGXDP_MAP_LIST(BGX_MAP_ENUM)
	MAP_COUNT
};

extern const char *const bgx_map_names[MAP_COUNT];

#define PROG_XDP_PIN    "prog_xdp_ingress"
#define PROG_TC_PIN     "prog_tc_egress"
#define LINK_XDP_PREFIX "link_xdp_"

struct bgx_instance {
	char pin_dir[PATH_MAX];         /* "" when opened from an object */
	int dir_fd;                     /* -1 when opened from an object */
	bool writable;                  /* locked (pins) or a private object */
	int map_fd[MAP_COUNT];          /* -1: not opened yet (see map_fd()) */
	bool own_map_fds;               /* close them (not an object's) */
	volatile __u64 *cfg;            /* mmap of svc_config */
	size_t cfg_len;
	bgx_step_fn step_fn;
	void *step_ctx;
};

/* ---- opening (instance.c) ---- */

/* Open a pinned map on first use: a command opens only the maps it
 * touches (a flip: svc_meta and svc_config).  -errno when it cannot. */
int instance_open_map(struct bgx_instance *in, enum bgx_map map);

static inline int map_fd(struct bgx_instance *in, enum bgx_map map)
{
	return in->map_fd[map] >= 0 ? in->map_fd[map] : instance_open_map(in, map);
}

/* Open the pin dir (creating it 0700 if `create`, mounting bpffs first when
 * it is under /sys/fs/bpf), lock it if `lock`.  Fills in->pin_dir/dir_fd. */
int instance_lock_dir(struct bgx_instance *in, const char *pin_dir, bool create, bool lock,
		      struct bgx_err *e);
/* Does the locked dir hold an instance (its svc_config pin)? */
bool instance_exists(const struct bgx_instance *in);
int instance_open_maps(struct bgx_instance *in, struct bgx_err *e);
/* Release everything; the struct itself is the caller's. */
void instance_release(struct bgx_instance *in);
int instance_path(const struct bgx_instance *in, const char *name, char *buf, size_t len);
int instance_must_write(const struct bgx_instance *in, struct bgx_err *e);

/* Copy a string into a fixed-size field, cut to fit, always terminated. */
static inline void str_copy(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

/* A kill point between two steps of an operation (tests). */
static inline void instance_step(const struct bgx_instance *in, const char *op,
				 const char *step)
{
	if (in->step_fn)
		in->step_fn(op, step, in->step_ctx);
}

/* ---- services (service.c) ---- */

/* name NULL: the only configured service (error if 0 or more than 1). */
int svc_find(struct bgx_instance *in, const char *name, __u32 *id, struct svc_meta *meta,
	     struct bgx_err *e);
int svc_meta_read(struct bgx_instance *in, __u32 id, struct svc_meta *meta, struct bgx_err *e);
int svc_meta_write(struct bgx_instance *in, __u32 id, const struct svc_meta *meta,
		   struct bgx_err *e);
__u64 svc_word(const struct bgx_instance *in, __u32 id);
void svc_publish(struct bgx_instance *in, __u32 id, __u64 word);

/* ---- a color's backends and ring (ring.c) ---- */

int color_backends_read(struct bgx_instance *in, __u32 id, __u32 color, struct backend *bk,
			struct bgx_err *e);
/* Build `color`'s ring from bk[] (its ring members: bgx_ring_members, so
 * the fail-open rule is the caller's) into its inactive buffer now (the caller
 * has waited for readers) and return `word` with that buffer live and the
 * has-backends bit right; the generation is the caller's to advance. */
int color_write_ring(struct bgx_instance *in, __u32 id, __u32 color, const struct backend *bk,
		     __u64 word, __u64 *new_word, struct bgx_err *e);
/* Build `color`'s ring from bk[] into the inactive buffer (after a grace
 * period for packets still reading it) and return the word that makes it
 * live: ring bit flipped, has-backends bit set or cleared, next generation.
 * Nothing is published. */
int color_prepare_ring(struct bgx_instance *in, __u32 id, __u32 color,
		       const struct backend *bk, __u64 word, __u64 *new_word, struct bgx_err *e);

/* ---- the VIP filter (vip_filter.c) ---- */

/* Mark `key` as a possible VIP: before it goes into the services map. */
int vip_filter_add(struct bgx_instance *in, const struct vip_key *key, struct bgx_err *e);
/* Recompute the filter from the services map: after a VIP is deleted. */
int vip_filter_rebuild(struct bgx_instance *in, struct bgx_err *e);

/* ---- backend endpoints for tc egress (endpoints.c) ---- */

/* Record that `be` serves service `id`.  EADDRINUSE if another service
 * still lists the endpoint; `text` names it in that message. */
int endpoint_claim(struct bgx_instance *in, __u32 id, const struct svc_meta *meta,
		   const struct backend *be, const char *text, struct bgx_err *e);
int endpoint_release_service(struct bgx_instance *in, __u32 id, struct bgx_err *e);

#endif /* BGXDP_INSTANCE_H */
