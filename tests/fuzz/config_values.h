/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * config_values.h - random values for the fuzzer's configurations
 * (config_values.c), used by config.c.  Every value is drawn from `r`, so
 * a seed makes the same ones again.
 */
#ifndef BGXDP_FUZZ_CONFIG_VALUES_H
#define BGXDP_FUZZ_CONFIG_VALUES_H

#include <stdbool.h>
#include "libbgxdp.h"
#include "gen.h"
#include "fuzz_config.h"

/* Backend hosts per family the pools draw from; hosts POOL_HOSTS and up
 * are left to the corrupt service (config.c). */
#define POOL_HOSTS 28

struct endpoint ep_v4(__u8 c, __u8 d, __u16 port);        /* 10.0.c.d */
struct endpoint ep_v6(__u16 last, __u16 port);            /* 2001:db8::last */
/* VIPs, previews: 10.0.0.{1,4,5}, 2001:db8::{1,4}, a00:1:: */
struct endpoint some_vip(struct rng *r, __u8 family);
struct endpoint some_preview(struct rng *r, __u8 family);
/* Backend host h (10.16.x.y / 2001:db8::1xx), port by index. */
struct endpoint backend_ep(__u8 family, __u32 host, __u32 port_index);
/* Mostly one of four hosts, so that services and colors share them. */
struct endpoint some_backend(struct rng *r, __u8 family);
__u16 some_weight(struct rng *r);
__u8 some_state(struct rng *r);
__u32 some_share(struct rng *r);

const struct bgx_service_view *some_service(struct rng *r, const struct bgx_snapshot *s);
const struct bgx_backend_view *some_backend_of(struct rng *r, const struct bgx_service_view *sv);
/* A service's backends and share anew (dozens of new backends if `many`). */
void some_target(struct rng *r, const struct bgx_service_view *sv, bool many,
		 struct bgx_service_target *t, struct fuzz_config_stats *st);
/* A new service (sometimes on another service's VIP, with the other
 * protocol; sometimes a name in use). */
void some_service_spec(struct rng *r, const struct bgx_snapshot *snap,
		       struct fuzz_config_stats *st, struct bgx_service_spec *s);

#endif
