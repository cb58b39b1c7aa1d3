// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "values.h"
#include "bgx_err.h"

#define EP_HELP "expected IPV4:PORT or [IPV6]:PORT, e.g. 10.0.0.1:80 or [2001:db8::1]:80"

/* A value as quoted in a message: a 5000-character argument would push the
 * reason out of the message, so long ones show their start and length. */
#define SHOWN_LEN 96

static const char *shown_in(const char *s, char *b)
{
	size_t n = s ? strlen(s) : 0;

	if (n <= 48)
		return s ? s : "";
	snprintf(b, SHOWN_LEN, "%.40s...(%zu characters)", s, n);
	return b;
}

/* shown(s): s as quoted in a message, in a buffer of the calling frame. */
#define shown(s) shown_in((s), (char[SHOWN_LEN]){ 0 })

static bool all_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int bgx_parse_uint(const char *s, const char *label, unsigned long long min,
	       unsigned long long max, unsigned long long *out, struct bgx_err *e)
{
	unsigned long long v = 0;
	size_t n = s ? strlen(s) : 0;

	if (!all_digits(s, n) || n > 19)
		return bgx_fail_usage(e, EINVAL, "%s '%s': not a number (expected an integer %llu..%llu)",
			       label, shown(s), min, max);
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	if (v < min || v > max)
		return bgx_fail_usage(e, ERANGE, "%s '%s': out of range (expected %llu..%llu)",
			       label, shown(s), min, max);
	*out = v;
	return 0;
}

int bgx_parse_port(const char *s, const char *label, __u16 *port, struct bgx_err *e)
{
	unsigned long long v;
	size_t n = s ? strlen(s) : 0;

	if (!all_digits(s, n) || n > 5)
		return bgx_fail_usage(e, EINVAL, "%s: bad port '%s' (expected 1..65535)",
			       label, shown(s));
	bgx_parse_uint(s, label, 0, 99999, &v, e);
	if (v < 1 || v > 65535)
		return bgx_fail_usage(e, ERANGE, "%s: bad port '%s' (expected 1..65535)", label, shown(s));
	*port = (__u16)v;
	return 0;
}

int bgx_parse_endpoint(const char *s, const char *label, struct endpoint *ep, struct bgx_err *e)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port, *colon;
	size_t hlen;

	memset(ep, 0, sizeof(*ep));
	if (!s || !*s)
		return bgx_fail_usage(e, EINVAL, "%s: empty address (" EP_HELP ")", label);
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close)
			return bgx_fail_usage(e, EINVAL, "%s '%s': missing ']' (" EP_HELP ")", label, shown(s));
		if (close[1] != ':')
			return bgx_fail_usage(e, EINVAL, "%s '%s': missing port after ']' (" EP_HELP ")",
				       label, shown(s));
		hlen = (size_t)(close - s - 1);
		if (hlen == 0 || hlen >= sizeof(host))
			return bgx_fail_usage(e, EINVAL, "%s '%s': bad IPv6 address (" EP_HELP ")", label, shown(s));
		memcpy(host, s + 1, hlen);
		host[hlen] = 0;
		port = close + 2;
		if (inet_pton(AF_INET6, host, ep->addr) != 1)
			return bgx_fail_usage(e, EINVAL, "%s '%s': bad IPv6 address '%s' (" EP_HELP ")",
				       label, shown(s), host);
		ep->family = BGXDP_FAMILY_IPV6;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return bgx_fail_usage(e, EINVAL, "%s '%s': missing port (" EP_HELP ")", label, shown(s));
		if (strchr(s, ':') != colon)
			return bgx_fail_usage(e, EINVAL, "%s '%s': IPv6 addresses must be bracketed (" EP_HELP ")",
				       label, shown(s));
		hlen = (size_t)(colon - s);
		if (hlen == 0 || hlen >= sizeof(host))
			return bgx_fail_usage(e, EINVAL, "%s '%s': bad IPv4 address (" EP_HELP ")", label, shown(s));
		memcpy(host, s, hlen);
		host[hlen] = 0;
		port = colon + 1;
		if (inet_pton(AF_INET, host, ep->addr) != 1)
			return bgx_fail_usage(e, EINVAL, "%s '%s': bad IPv4 address '%s' (" EP_HELP ")",
				       label, shown(s), host);
		ep->family = BGXDP_FAMILY_IPV4;
	}
	{
		char plabel[128];

		snprintf(plabel, sizeof(plabel), "%s '%s'", label, shown(s));
		return bgx_parse_port(port, plabel, &ep->port, e);
	}
}

int bgx_parse_color(const char *s, const char *label, __u32 *color, struct bgx_err *e)
{
	if (s && !strcmp(s, "blue")) {
		*color = BGXDP_BLUE;
		return 0;
	}
	if (s && !strcmp(s, "green")) {
		*color = BGXDP_GREEN;
		return 0;
	}
	return bgx_fail_usage(e, EINVAL, "%s: bad color '%s' (expected blue or green)", label, shown(s));
}

int bgx_parse_percent_bp(const char *s, const char *label, __u32 *bp, struct bgx_err *e)
{
	const char *dot;
	size_t ilen, flen;
	unsigned long v = 0;

	if (!s || !*s)
		goto bad;
	dot = strchr(s, '.');
	ilen = dot ? (size_t)(dot - s) : strlen(s);
	flen = dot ? strlen(dot + 1) : 0;
	if (!all_digits(s, ilen) || ilen > 3)
		goto bad;
	if (dot && (flen < 1 || flen > 2 || !all_digits(dot + 1, flen)))
		goto bad;
	for (size_t i = 0; i < ilen; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	v *= 100;
	if (dot) {
		unsigned long f = (unsigned)(dot[1] - '0') * 10;

		if (flen == 2)
			f += (unsigned)(dot[2] - '0');
		v += f;
	}
	if (v > BGXDP_SHARE_SCALE)
		return bgx_fail_usage(e, ERANGE, "%s '%s': out of range (expected 0..100)", label, shown(s));
	*bp = (__u32)v;
	return 0;
bad:
	return bgx_fail_usage(e, EINVAL, "%s '%s': not a percentage (expected 0..100 with at most two decimals, e.g. 10 or 12.5)",
		       label, shown(s));
}

int bgx_parse_name(const char *s, const char *label, struct bgx_err *e)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 1 || n > BGXDP_NAME_LEN - 1)
		return bgx_fail_usage(e, EINVAL, "%s '%s': must be 1..%d characters of [A-Za-z0-9_.-]",
			       label, shown(s), BGXDP_NAME_LEN - 1);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-')) {
			char bad[8];

			/* a control byte would not show in the one-line message */
			if (c > 0x20 && c < 0x7f)
				snprintf(bad, sizeof(bad), "'%c'", c);
			else
				snprintf(bad, sizeof(bad), "0x%02x", (unsigned char)c);
			return bgx_fail_usage(e, EINVAL, "%s '%s': bad character %s (allowed: A-Z a-z 0-9 _ . -)",
					 label, shown(s), bad);
		}
	}
	return 0;
}

int bgx_parse_proto(const char *s, const char *label, __u8 *proto, struct bgx_err *e)
{
	if (s && !strcmp(s, "tcp")) {
		*proto = IPPROTO_TCP;
		return 0;
	}
	if (s && !strcmp(s, "udp")) {
		*proto = IPPROTO_UDP;
		return 0;
	}
	return bgx_fail_usage(e, EINVAL, "%s: bad protocol '%s' (expected tcp or udp)", label, shown(s));
}

const char *color_name(__u32 color)
{
	return color == BGXDP_GREEN ? "green" : "blue";
}

const char *proto_name(__u8 proto)
{
	return proto == IPPROTO_UDP ? "udp" : proto == IPPROTO_TCP ? "tcp" : "?";
}

const char *backend_state_name(__u8 state)
{
	switch (state) {
	case BACKEND_UP: return "up";
	case BACKEND_DRAIN: return "drain";
	case BACKEND_DOWN: return "down";
	default: return "empty";
	}
}

const char *admin_state_name(__u8 state)
{
	return state == BACKEND_DRAIN ? "drain" : state == BACKEND_DOWN ? "maint" : "ready";
}

const char *backend_health_name(__u8 health)
{
	switch (health) {
	case BACKEND_HEALTH_UP: return "up";
	case BACKEND_HEALTH_DOWN: return "down";
	case BACKEND_HEALTH_PENDING: return "unchecked";
	default: return "none";
	}
}

void format_endpoint(const __u8 *addr, __be16 port, __u8 family, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (family == BGXDP_FAMILY_IPV6) {
		inet_ntop(AF_INET6, addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(port));
	} else {
		inet_ntop(AF_INET, addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(port));
	}
}

void endpoint_to_vip_key(const struct endpoint *ep, __u8 proto, struct vip_key *key)
{
	memset(key, 0, sizeof(*key));
	memcpy(key->addr, ep->addr, BGXDP_ADDR_LEN);
	key->port = htons(ep->port);
	key->proto = proto;
	key->family = ep->family;
}

void vip_key_to_endpoint(const struct vip_key *key, struct endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	memcpy(ep->addr, key->addr, BGXDP_ADDR_LEN);
	ep->port = ntohs(key->port);
	ep->family = key->family;
}

void format_percent_bp(__u32 bp, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%02u", bp / 100, bp % 100);
}

/* "250ms", "2s", "1.5s", "1m", "1h": a decimal number (at most 3 decimals)
 * and a unit, whole string, in [min_ms, max_ms]. */
int bgx_parse_duration_ms(const char *s, const char *label, __u64 min_ms, __u64 max_ms,
			  __u64 *out, struct bgx_err *e)
{
	static const struct { const char *unit; __u64 ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	size_t n = s ? strlen(s) : 0, ilen = 0, flen = 0;
	__u64 whole = 0, frac = 0, scale = 1, ms;
	const char *p = s, *unit;

	while (ilen < n && s[ilen] >= '0' && s[ilen] <= '9')
		ilen++;
	p = s + ilen;
	if (ilen && *p == '.') {
		p++;
		while (p[flen] >= '0' && p[flen] <= '9')
			flen++;
		if (!flen)
			goto bad;
	}
	unit = p + flen;
	if (!ilen || ilen > 9 || flen > 3)
		goto bad;
	for (size_t i = 0; i < ilen; i++)
		whole = whole * 10 + (unsigned)(s[i] - '0');
	for (size_t i = 0; i < flen; i++) {
		frac = frac * 10 + (unsigned)(p[i] - '0');
		scale *= 10;
	}
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		if (strcmp(unit, units[u].unit))
			continue;
		ms = whole * units[u].ms + frac * units[u].ms / scale;
		if (frac * units[u].ms % scale)
			return bgx_fail_usage(e, EINVAL, "%s '%s': finer than a millisecond",
					      label, shown(s));
		if (ms < min_ms || ms > max_ms)
			return bgx_fail_usage(e, ERANGE, "%s '%s': out of range (expected %llums..%llums)",
					      label, shown(s), (unsigned long long)min_ms,
					      (unsigned long long)max_ms);
		*out = ms;
		return 0;
	}
bad:
	return bgx_fail_usage(e, EINVAL, "%s '%s': not a duration (expected a number and a unit: ms, s, m or h, e.g. 250ms, 2s, 1.5m)",
			      label, shown(s));
}

socklen_t endpoint_to_sockaddr(const struct endpoint *ep, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ep->family == BGXDP_FAMILY_IPV6) {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(ep->port);
		memcpy(&v6->sin6_addr, ep->addr, 16);
		return sizeof(*v6);
	}
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;

	v4->sin_family = AF_INET;
	v4->sin_port = htons(ep->port);
	memcpy(&v4->sin_addr, ep->addr, 4);
	return sizeof(*v4);
}
