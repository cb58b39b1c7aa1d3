// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "values.h"
#include "util.h"

#define EP_HELP "expected IPV4:PORT or [IPV6]:PORT, e.g. 10.0.0.1:80 or [2001:db8::1]:80"

/* A value as quoted in a message: a 5000-character argument would push the
 * reason out of the message, so long ones show their start and length. */
static const char *shown(const char *s)
{
	static char buf[2][96];
	static int next;
	char *b = buf[next ^= 1];
	size_t n = s ? strlen(s) : 0;

	if (n <= 48)
		return s ? s : "";
	snprintf(b, sizeof(buf[0]), "%.40s...(%zu characters)", s, n);
	return b;
}

static bool all_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int parse_uint(const char *s, const char *label, unsigned long long min,
	       unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t n = s ? strlen(s) : 0;

	if (!all_digits(s, n) || n > 19)
		return err_usage(EINVAL, "%s '%s': not a number (expected an integer %llu..%llu)",
			       label, shown(s), min, max);
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	if (v < min || v > max)
		return err_usage(ERANGE, "%s '%s': out of range (expected %llu..%llu)",
			       label, shown(s), min, max);
	*out = v;
	return 0;
}

int parse_port(const char *s, const char *label, __u16 *port)
{
	unsigned long long v;
	size_t n = s ? strlen(s) : 0;

	if (!all_digits(s, n) || n > 5)
		return err_usage(EINVAL, "%s: bad port '%s' (expected 1..65535)",
			       label, shown(s));
	parse_uint(s, label, 0, 99999, &v);
	if (v < 1 || v > 65535)
		return err_usage(ERANGE, "%s: bad port '%s' (expected 1..65535)", label, shown(s));
	*port = (__u16)v;
	return 0;
}

int parse_endpoint(const char *s, const char *label, struct endpoint *ep)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port, *colon;
	size_t hlen;

	memset(ep, 0, sizeof(*ep));
	if (!s || !*s)
		return err_usage(EINVAL, "%s: empty address (" EP_HELP ")", label);
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close)
			return err_usage(EINVAL, "%s '%s': missing ']' (" EP_HELP ")", label, shown(s));
		if (close[1] != ':')
			return err_usage(EINVAL, "%s '%s': missing port after ']' (" EP_HELP ")",
				       label, shown(s));
		hlen = (size_t)(close - s - 1);
		if (hlen == 0 || hlen >= sizeof(host))
			return err_usage(EINVAL, "%s '%s': bad IPv6 address (" EP_HELP ")", label, shown(s));
		memcpy(host, s + 1, hlen);
		host[hlen] = 0;
		port = close + 2;
		if (inet_pton(AF_INET6, host, ep->addr) != 1)
			return err_usage(EINVAL, "%s '%s': bad IPv6 address '%s' (" EP_HELP ")",
				       label, shown(s), host);
		ep->family = BGXDP_FAMILY_IPV6;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return err_usage(EINVAL, "%s '%s': missing port (" EP_HELP ")", label, shown(s));
		if (strchr(s, ':') != colon)
			return err_usage(EINVAL, "%s '%s': IPv6 addresses must be bracketed (" EP_HELP ")",
				       label, shown(s));
		hlen = (size_t)(colon - s);
		if (hlen == 0 || hlen >= sizeof(host))
			return err_usage(EINVAL, "%s '%s': bad IPv4 address (" EP_HELP ")", label, shown(s));
		memcpy(host, s, hlen);
		host[hlen] = 0;
		port = colon + 1;
		if (inet_pton(AF_INET, host, ep->addr) != 1)
			return err_usage(EINVAL, "%s '%s': bad IPv4 address '%s' (" EP_HELP ")",
				       label, shown(s), host);
		ep->family = BGXDP_FAMILY_IPV4;
	}
	{
		char plabel[128];

		snprintf(plabel, sizeof(plabel), "%s '%s'", label, shown(s));
		return parse_port(port, plabel, &ep->port);
	}
}

int parse_color(const char *s, const char *label, __u32 *color)
{
	if (s && !strcmp(s, "blue")) {
		*color = BGXDP_BLUE;
		return 0;
	}
	if (s && !strcmp(s, "green")) {
		*color = BGXDP_GREEN;
		return 0;
	}
	return err_usage(EINVAL, "%s: bad color '%s' (expected blue or green)", label, shown(s));
}

int parse_percent_bp(const char *s, const char *label, __u32 *bp)
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
		return err_usage(ERANGE, "%s '%s': out of range (expected 0..100)", label, shown(s));
	*bp = (__u32)v;
	return 0;
bad:
	return err_usage(EINVAL, "%s '%s': not a percentage (expected 0..100 with at most two decimals, e.g. 10 or 12.5)",
		       label, shown(s));
}

int parse_name(const char *s, const char *label)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 1 || n > BGXDP_NAME_LEN - 1)
		return err_usage(EINVAL, "%s '%s': must be 1..%d characters of [A-Za-z0-9_.-]",
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
			return err_usage(EINVAL, "%s '%s': bad character %s (allowed: A-Z a-z 0-9 _ . -)",
					 label, shown(s), bad);
		}
	}
	return 0;
}

int parse_proto(const char *s, const char *label, __u8 *proto)
{
	if (s && !strcmp(s, "tcp")) {
		*proto = IPPROTO_TCP;
		return 0;
	}
	if (s && !strcmp(s, "udp")) {
		*proto = IPPROTO_UDP;
		return 0;
	}
	return err_usage(EINVAL, "%s: bad protocol '%s' (expected tcp or udp)", label, shown(s));
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

void format_percent_bp(__u32 bp, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%02u", bp / 100, bp % 100);
}
