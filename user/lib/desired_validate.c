// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * desired_validate.c - the rules across the nodes of a desired state, and
 * "FILE:LINE:COL: reason" messages.
 *
 * Nodes are checked in file order (services, then each color's backends
 * as listed), and each is compared with the ones before it, so a duplicate
 * is reported at its second occurrence, pointing back at the first.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "desired.h"

int bgx_desired_fail_at(const struct bgx_desired *d, struct bgx_src_pos pos, struct bgx_err *e,
			int code, const char *fmt, ...)
{
	char msg[BGX_ERR_MSG_LEN];
	const char *src = d && d->source[0] ? d->source : "config";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (pos.line)
		return bgx_fail_usage(e, code, "%s:%u:%u: %s", src, pos.line, pos.col, msg);
	return bgx_fail_usage(e, code, "%s: %s", src, msg);
}

int bgx_ifname_check(const char *s, const char *label, struct bgx_err *e)
{
	size_t n = strlen(s);

	if (n < 1 || n >= BGX_IFNAME_LEN || !strcmp(s, ".") || !strcmp(s, ".."))
		return bgx_fail_usage(e, EINVAL, "%s '%.40s': not an interface name (1..%d characters, not . or ..)",
				      label, s, BGX_IFNAME_LEN - 1);
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '/' || s[i] == ':')
			return bgx_fail_usage(e, EINVAL, "%s '%s': not an interface name (no '/', ':', space or control character)",
					      label, s);
	return 0;
}

/* " (first at LINE:COL)" when the earlier node has a position. */
static const char *first_at(struct bgx_src_pos p, char *buf, size_t len)
{
	if (p.line)
		snprintf(buf, len, " (first at %u:%u)", p.line, p.col);
	else
		buf[0] = 0;
	return buf;
}

#define FIRST_AT(p) first_at((p), (char[40]){ 0 }, 40)

static void ep_text(const struct endpoint *ep, char *buf)
{
	format_endpoint(ep->addr, htons(ep->port), ep->family, buf, ENDPOINT_STRLEN);
}

static bool endpoint_valid(const struct endpoint *ep)
{
	return (ep->family == BGXDP_FAMILY_IPV4 || ep->family == BGXDP_FAMILY_IPV6) && ep->port;
}

static int check_instance(const struct bgx_desired *d, struct bgx_err *e)
{
	if (d->flows && (d->flows < BGX_FLOWS_MIN || d->flows > BGX_FLOWS_MAX))
		return bgx_desired_fail_at(d, d->pos_flows, e, ERANGE, "flows %u: out of range (expected %u..%u)",
					   d->flows, BGX_FLOWS_MIN, BGX_FLOWS_MAX);
	if (d->n_ifaces > BGX_MAX_IFACES || d->n_fast_path > BGX_MAX_IFACES)
		return bgx_desired_fail_at(d, d->pos_interfaces, e, E2BIG, "at most %d interfaces",
					   BGX_MAX_IFACES);
	if (d->prune && !d->n_ifaces)
		return bgx_desired_fail_at(d, d->pos_prune, e, EINVAL,
					   "prune: true with no interfaces listed would detach every interface and remove the instance (use bgxdp detach for that)");
	for (__u32 i = 0; i < d->n_ifaces; i++) {
		const struct bgx_desired_iface *f = &d->ifaces[i];
		struct bgx_err ve = { 0 };

		if (bgx_ifname_check(f->name, "interface", &ve))
			return bgx_desired_fail_at(d, f->pos, e, ve.code, "%s", ve.msg);
		if (f->mode > BGX_XDP_GENERIC)
			return bgx_desired_fail_at(d, f->pos_mode, e, EINVAL, "interface %s: bad mode", f->name);
		for (__u32 j = 0; j < i; j++)
			if (!strcmp(d->ifaces[j].name, f->name))
				return bgx_desired_fail_at(d, f->pos, e, EEXIST, "interface %s listed twice%s",
							   f->name, FIRST_AT(d->ifaces[j].pos));
	}
	for (__u32 i = 0; i < d->n_fast_path; i++) {
		const struct bgx_desired_fast_path *f = &d->fast_path[i];
		struct bgx_err ve = { 0 };

		if (bgx_ifname_check(f->name, "fast_path", &ve))
			return bgx_desired_fail_at(d, f->pos, e, ve.code, "%s", ve.msg);
		for (__u32 j = 0; j < i; j++)
			if (!strcmp(d->fast_path[j].name, f->name))
				return bgx_desired_fail_at(d, f->pos, e, EEXIST, "fast_path %s listed twice%s",
							   f->name, FIRST_AT(d->fast_path[j].pos));
	}
	return 0;
}

static int check_health(const struct bgx_desired *d, const struct bgx_desired_health *h,
			struct bgx_err *e)
{
	char a[16], b[16];

	if (h->mode > BGX_HEALTH_ON)
		return bgx_desired_fail_at(d, h->pos, e, EINVAL, "health: bad mode");
	if (h->mode != BGX_HEALTH_ON)
		return 0;
	if (h->check > BGX_CHECK_HTTP)
		return bgx_desired_fail_at(d, h->pos_check, e, EINVAL, "check: expected tcp or http");
	if (h->interval_ms < BGX_HEALTH_INTERVAL_MIN_MS || h->interval_ms > BGX_HEALTH_INTERVAL_MAX_MS ||
	    (h->downinter_ms && (h->downinter_ms < BGX_HEALTH_INTERVAL_MIN_MS ||
				 h->downinter_ms > BGX_HEALTH_INTERVAL_MAX_MS)))
		return bgx_desired_fail_at(d, h->pos_interval, e, ERANGE, "health intervals: out of range");
	if (h->fastinter_ms && (h->fastinter_ms < BGX_HEALTH_INTERVAL_MIN_MS ||
				h->fastinter_ms > h->interval_ms)) {
		bgx_duration_format(h->interval_ms, b, sizeof(b));
		return bgx_desired_fail_at(d, h->pos_fastinter.line ? h->pos_fastinter : h->pos_interval,
					   e, ERANGE, "fastinter: out of range (100ms up to the interval, %s)", b);
	}
	if (h->timeout_ms < BGX_HEALTH_TIMEOUT_MIN_MS || h->timeout_ms > BGX_HEALTH_TIMEOUT_MAX_MS)
		return bgx_desired_fail_at(d, h->pos_timeout, e, ERANGE, "timeout: out of range");
	if (h->timeout_ms >= h->interval_ms) {
		bgx_duration_format(h->timeout_ms, a, sizeof(a));
		bgx_duration_format(h->interval_ms, b, sizeof(b));
		return bgx_desired_fail_at(d, h->pos_timeout.line ? h->pos_timeout : h->pos_interval, e,
					   EINVAL, "timeout %s is %s interval %s (a check must end before the next one starts)",
					   a, h->timeout_ms > h->interval_ms ? "longer than" : "as long as", b);
	}
	if (!h->rise || h->rise > BGX_HEALTH_COUNT_MAX || !h->fall || h->fall > BGX_HEALTH_COUNT_MAX)
		return bgx_desired_fail_at(d, h->rise && h->rise <= BGX_HEALTH_COUNT_MAX ? h->pos_fall
											 : h->pos_rise,
					   e, ERANGE, "rise and fall: expected 1..%d", BGX_HEALTH_COUNT_MAX);
	if (h->check == BGX_CHECK_TCP && h->path[0])
		return bgx_desired_fail_at(d, h->pos_path, e, EINVAL, "path: only for check: http (this check is tcp)");
	if (h->check == BGX_CHECK_TCP && h->n_expect)
		return bgx_desired_fail_at(d, h->pos_expect, e, EINVAL, "expect: only for check: http (this check is tcp)");
	if (h->check == BGX_CHECK_HTTP && (h->path[0] != '/' || !h->n_expect ||
					   h->n_expect > BGX_HEALTH_MAX_RANGES))
		return bgx_desired_fail_at(d, h->pos, e, EINVAL, "http check: needs a path starting with / and expect codes");
	for (__u8 i = 0; i < h->n_expect; i++)
		if (h->expect[i].lo < BGX_HEALTH_CODE_MIN || h->expect[i].hi > BGX_HEALTH_CODE_MAX ||
		    h->expect[i].lo > h->expect[i].hi)
			return bgx_desired_fail_at(d, h->pos_expect, e, ERANGE, "expect: codes %d..%d",
						   BGX_HEALTH_CODE_MIN, BGX_HEALTH_CODE_MAX);
	return 0;
}

/* An address clients reach (VIP or preview) used by an earlier service, or
 * the service's own VIP as its preview. */
static int check_address_free(const struct bgx_desired *d, __u32 si, const struct endpoint *ep,
			      struct bgx_src_pos pos, const char *what, struct bgx_err *e)
{
	const struct bgx_desired_service *s = &d->services[si];
	char t[ENDPOINT_STRLEN];

	ep_text(ep, t);
	if (ep == &s->def.preview && bgx_endpoint_equal(ep, &s->def.vip))
		return bgx_desired_fail_at(d, pos, e, EEXIST, "preview %s: the same as the service's vip", t);
	for (__u32 j = 0; j < si; j++) {
		const struct bgx_desired_service *o = &d->services[j];

		if (o->def.proto != s->def.proto)
			continue;
		if (bgx_endpoint_equal(ep, &o->def.vip))
			return bgx_desired_fail_at(d, pos, e, EEXIST, "%s %s %s: already the vip of service '%s'%s",
						   what, t, proto_name(s->def.proto), o->def.name,
						   FIRST_AT(o->pos_vip));
		if (o->def.preview.family && bgx_endpoint_equal(ep, &o->def.preview))
			return bgx_desired_fail_at(d, pos, e, EEXIST, "%s %s %s: already the preview of service '%s'%s",
						   what, t, proto_name(s->def.proto), o->def.name,
						   FIRST_AT(o->pos_preview));
	}
	return 0;
}

/* Where `ep` is a backend of an earlier service with the same protocol. */
static const struct bgx_desired_backend *backend_elsewhere(const struct bgx_desired *d, __u32 si,
							  const struct endpoint *ep, __u32 *owner)
{
	for (__u32 j = 0; j < si; j++) {
		const struct bgx_desired_service *o = &d->services[j];

		if (o->def.proto != d->services[si].def.proto)
			continue;
		for (__u32 c = 0; c < BGXDP_COLORS; c++) {
			const struct bgx_desired_backend *b = bgx_desired_find_backend(o, c, ep);

			if (b) {
				*owner = j;
				return b;
			}
		}
	}
	return NULL;
}

static int check_backend(const struct bgx_desired *d, __u32 si, __u32 c, __u32 i, struct bgx_err *e)
{
	const struct bgx_desired_service *s = &d->services[si];
	const struct bgx_desired_backend *b = &s->backends[c][i], *other;
	char t[ENDPOINT_STRLEN], v[ENDPOINT_STRLEN];
	__u32 owner;

	ep_text(&b->ep, t);
	if (!endpoint_valid(&b->ep))
		return bgx_desired_fail_at(d, b->pos, e, EINVAL, "%s backend: bad address", color_name(c));
	if (b->ep.family != s->def.vip.family) {
		ep_text(&s->def.vip, v);
		return bgx_desired_fail_at(d, b->pos, e, EAFNOSUPPORT,
					   "%s backend %s is IPv%u but the vip %s is IPv%u (a service and its backends are of one family)",
					   color_name(c), t, b->ep.family, v, s->def.vip.family);
	}
	if (b->weight < BGX_WEIGHT_MIN || b->weight > BGX_WEIGHT_MAX)
		return bgx_desired_fail_at(d, b->pos_weight, e, ERANGE, "weight %u: expected %d..%d",
					   b->weight, BGX_WEIGHT_MIN, BGX_WEIGHT_MAX);
	if (b->state != BACKEND_UP && b->state != BACKEND_DRAIN && b->state != BACKEND_DOWN)
		return bgx_desired_fail_at(d, b->pos_state, e, EINVAL, "state: expected ready, drain or maint");
	for (__u32 j = 0; j < i; j++)
		if (bgx_endpoint_equal(&s->backends[c][j].ep, &b->ep))
			return bgx_desired_fail_at(d, b->pos, e, EEXIST, "%s backend %s listed twice in service '%s'%s",
						   color_name(c), t, s->def.name,
						   FIRST_AT(s->backends[c][j].pos));
	other = backend_elsewhere(d, si, &b->ep, &owner);
	if (other)
		return bgx_desired_fail_at(d, b->pos, e, EADDRINUSE,
					   "backend %s is a backend of service '%s' already%s; an address and port serves one service (per protocol)",
					   t, d->services[owner].def.name, FIRST_AT(other->pos));
	return 0;
}

static int check_service(const struct bgx_desired *d, __u32 si, struct bgx_err *e)
{
	const struct bgx_desired_service *s = &d->services[si];
	struct bgx_err ve = { 0 };
	char t[ENDPOINT_STRLEN], v[ENDPOINT_STRLEN];
	int r;

	if (bgx_parse_name(s->def.name, "name", &ve))
		return bgx_desired_fail_at(d, s->pos_name, e, ve.code, "%s", ve.msg);
	for (__u32 j = 0; j < si; j++)
		if (!strcmp(d->services[j].def.name, s->def.name))
			return bgx_desired_fail_at(d, s->pos_name, e, EEXIST, "service '%s' listed twice%s",
						   s->def.name, FIRST_AT(d->services[j].pos_name));
	if (!endpoint_valid(&s->def.vip))
		return bgx_desired_fail_at(d, s->pos_vip, e, EINVAL, "service '%s': bad vip", s->def.name);
	if (s->def.proto != IPPROTO_TCP && s->def.proto != IPPROTO_UDP)
		return bgx_desired_fail_at(d, s->pos_proto, e, EINVAL, "proto: expected tcp or udp");
	if (s->def.affinity_client > 1)
		return bgx_desired_fail_at(d, s->pos_affinity, e, EINVAL, "affinity: expected flow or client");
	if (s->green_bp > BGXDP_SHARE_SCALE)
		return bgx_desired_fail_at(d, s->pos_share, e, ERANGE, "share: out of range (expected 0..100)");
	if ((r = check_address_free(d, si, &s->def.vip, s->pos_vip, "vip", e)))
		return r;
	if (s->def.preview.family) {
		ep_text(&s->def.preview, t);
		ep_text(&s->def.vip, v);
		if (!endpoint_valid(&s->def.preview))
			return bgx_desired_fail_at(d, s->pos_preview, e, EINVAL, "bad preview address");
		if (s->def.preview.family != s->def.vip.family)
			return bgx_desired_fail_at(d, s->pos_preview, e, EAFNOSUPPORT,
						   "preview %s is IPv%u but the vip %s is IPv%u (a service's addresses are of one family)",
						   t, s->def.preview.family, v, s->def.vip.family);
		if ((r = check_address_free(d, si, &s->def.preview, s->pos_preview, "preview", e)))
			return r;
	}
	if ((r = check_health(d, &s->health, e)))
		return r;
	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		if (s->n_backends[c] > BGXDP_MAX_BACKENDS)
			return bgx_desired_fail_at(d, s->pos, e, E2BIG, "service '%s': more than %d %s backends",
						   s->def.name, BGXDP_MAX_BACKENDS, color_name(c));
		for (__u32 i = 0; i < s->n_backends[c]; i++)
			if ((r = check_backend(d, si, c, i, e)))
				return r;
	}
	return 0;
}

int bgx_desired_validate(const struct bgx_desired *d, struct bgx_err *e)
{
	int r;

	if ((r = check_instance(d, e)))
		return r;
	if (d->n_services > BGXDP_MAX_SERVICES)
		return bgx_desired_fail_at(d, d->pos_services, e, E2BIG, "at most %d services",
					   BGXDP_MAX_SERVICES);
	for (__u32 i = 0; i < d->n_services; i++)
		if ((r = check_service(d, i, e)))
			return r;
	return 0;
}
