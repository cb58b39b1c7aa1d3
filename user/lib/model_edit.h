/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * model_edit.h - the state-changing commands, done to a declarative model
 * (desired.h) with the refusals and messages of the library operations.
 * A batch runs its lines on a copy of the live model, then applies it.
 */
#ifndef BGXDP_MODEL_EDIT_H
#define BGXDP_MODEL_EDIT_H

#include <string.h>
#include "desired.h"
#include "libbgxdp.h"

static inline void str_copy_field(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

int bgx_model_service_add(struct bgx_desired *d, const struct bgx_service_spec *spec,
			  struct bgx_err *e);
int bgx_model_service_del(struct bgx_desired *d, const char *name, struct bgx_err *e);
int bgx_model_backend_add(struct bgx_desired *d, const struct bgx_backend_ref *ref, __u16 weight,
			  struct bgx_err *e);
/* BACKEND_UP, _DRAIN, _DOWN, or BACKEND_EMPTY to delete it. */
int bgx_model_backend_set_state(struct bgx_desired *d, const struct bgx_backend_ref *ref,
				__u8 state, struct bgx_err *e);
int bgx_model_share_set(struct bgx_desired *d, const char *service, __u32 green_bp,
			struct bgx_err *e);
int bgx_model_attach(struct bgx_desired *d, const char *ifname, __u8 mode, __u32 flows,
		     struct bgx_err *e);
int bgx_model_detach(struct bgx_desired *d, const char *ifname, struct bgx_err *e);

#endif
