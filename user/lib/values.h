/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * values.h - the values an operator writes (on the command line or in a
 * config file): addresses, ports, colors, percentages, names, durations.
 * Every parser is strict (whole string, no sign/space/garbage), returns 0
 * or -EINVAL/-ERANGE, and on error fills `e` with a usage error naming
 * `label` (the argument, e.g. "--vip"), the value (long ones shortened)
 * and what is accepted.
 */
#ifndef BGXDP_VALUES_H
#define BGXDP_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <sys/socket.h>
#include "bgxdp.h"
#include "bgx_err.h"

struct endpoint {
	__u8  addr[BGXDP_ADDR_LEN];    /* IPv4 in bytes 0..3, rest zero */
	__u16 port;                    /* host byte order, 1..65535 */
	__u8  family;                  /* BGXDP_FAMILY_IPV4 / _IPV6 */
};

/* "10.0.0.1:80", "[2001:db8::1]:80" (IPv6 must be bracketed). */
int bgx_parse_endpoint(const char *s, const char *label, struct endpoint *ep, struct bgx_err *e);
int bgx_parse_port(const char *s, const char *label, __u16 *port, struct bgx_err *e);
/* "blue" or "green" -> BGXDP_BLUE / BGXDP_GREEN */
int bgx_parse_color(const char *s, const char *label, __u32 *color, struct bgx_err *e);
/* "0".."100" with at most two decimals -> basis points 0..10000 */
int bgx_parse_percent_bp(const char *s, const char *label, __u32 *bp, struct bgx_err *e);
/* [A-Za-z0-9_.-]{1,31} */
int bgx_parse_name(const char *s, const char *label, struct bgx_err *e);
/* decimal integer in [min, max] */
int bgx_parse_uint(const char *s, const char *label, unsigned long long min,
		   unsigned long long max, unsigned long long *out, struct bgx_err *e);
/* "tcp" / "udp" -> IPPROTO_* */
int bgx_parse_proto(const char *s, const char *label, __u8 *proto, struct bgx_err *e);
/* "250ms", "2s", "1.5s", "1m", "1h" -> milliseconds in [min_ms, max_ms]. */
int bgx_parse_duration_ms(const char *s, const char *label, __u64 min_ms, __u64 max_ms,
			  __u64 *out, struct bgx_err *e);

const char *color_name(__u32 color);
const char *proto_name(__u8 proto);
const char *backend_state_name(__u8 state);
/* The admin state as the operator says it: "ready", "drain", "maint". */
const char *admin_state_name(__u8 state);
/* BACKEND_HEALTH_*: "none", "up", "down", "unchecked" (pending). */
const char *backend_health_name(__u8 health);

/* "10.0.0.1:80" / "[2001:db8::1]:80"; port in network byte order. */
void format_endpoint(const __u8 *addr, __be16 port, __u8 family,
		     char *buf, size_t len);
#define ENDPOINT_STRLEN 64

void endpoint_to_vip_key(const struct endpoint *ep, __u8 proto,
			 struct vip_key *key);
void vip_key_to_endpoint(const struct vip_key *key, struct endpoint *ep);
/* The socket address of an endpoint (to bind or connect); its length. */
socklen_t endpoint_to_sockaddr(const struct endpoint *ep, struct sockaddr_storage *ss);
/* "12.34" for 1234 basis points */
void format_percent_bp(__u32 bp, char *buf, size_t len);

#endif
