/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * endpoints.h - the `backend_services` map: which service a backend
 * endpoint (address, port, proto) serves, so tc egress can find a reply's
 * flow.  An endpoint serves one service; entries of deleted backends stay
 * while their established flows may still send replies, and are reclaimed
 * when another service takes the endpoint or the service is deleted.
 */
#ifndef BGXDP_ENDPOINTS_H
#define BGXDP_ENDPOINTS_H
#include "instance.h"

/* Record that `be` serves service `id`.  Fails (EADDRINUSE) if another
 * service still lists the endpoint among its backends; `text` is the
 * endpoint as the user wrote it, for that message. */
int endpoint_claim(struct instance *in, __u32 id, const struct svc_meta *meta,
		   const struct backend *be, const char *text);
/* Forget every endpoint of service `id` (service del). */
int endpoint_release_service(struct instance *in, __u32 id);

#endif
