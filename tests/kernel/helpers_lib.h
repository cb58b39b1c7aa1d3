/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * helpers_lib.h - the kernel tests' calls into the control-plane library.
 *
 * Every map write of a test's configuration goes through libbgxdp, so the
 * tests run the same ordering rules as the CLI.  These wrappers only turn a
 * refused call into a failed test (cmocka, with the library's message), and
 * pin a loaded object's maps into a pin dir of the test's own for the tests
 * that open the instance as the CLI does (bgx_open: the pin dir's lock,
 * several writers).
 */
#ifndef BGXDP_HELPERS_LIB_H
#define BGXDP_HELPERS_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include "libbgxdp.h"

struct bpf_object;

/* Run a library call with a fresh error (`e` inside the call); fail the
 * test with the library's message when it is refused. */
#define LIB_OK(call)                                                        \
	do {                                                                \
		struct bgx_err e_ = { 0 };                                  \
		struct bgx_err *e = &e_;                                    \
		if ((call) < 0)                                             \
			fail_msg("%s: %s", #call, e_.msg);                  \
	} while (0)


/* The instance of a BPF object the test loaded itself. */
struct bgx_instance *lib_open_object(struct bpf_object *obj);
/* bgx_open(pin_dir, BGX_WRITE), or the test fails. */
struct bgx_instance *lib_open_pinned(const char *pin_dir);

struct endpoint lib_endpoint(const char *text);
struct endpoint lib_endpoint_of(const struct backend *b);

/* `preview` may be NULL. */
void lib_service_add(struct bgx_instance *in, const char *name, const struct endpoint *vip,
		     const struct endpoint *preview, __u8 proto, bool affinity_client);
void lib_service_del(struct bgx_instance *in, const char *name);
/* The service's id (its index in the per-service maps). */
__u32 lib_service_id(struct bgx_instance *in, const char *name);
void lib_backend_add(struct bgx_instance *in, const char *service, __u32 color,
		     const struct endpoint *ep, __u16 weight);
void lib_backend_del(struct bgx_instance *in, const char *service, __u32 color,
		     const struct endpoint *ep);
void lib_backend_state(struct bgx_instance *in, const char *service, __u32 color,
		       const struct endpoint *ep, __u8 state);
void lib_share(struct bgx_instance *in, const char *service, __u32 green_bp);

/* Pin every map of `obj` into a new pin dir /sys/fs/bpf/<tag>-<pid>
 * (0700), written to pin_dir.  0, or -1 with the reason on stderr. */
int lib_pin_maps(struct bpf_object *obj, const char *tag, char *pin_dir, size_t len);
/* Unpin them and remove the pin dir (if pin_dir is not ""). */
void lib_unpin_maps(struct bpf_object *obj, char *pin_dir);

#endif
