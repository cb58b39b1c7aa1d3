// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_endpoint.c - parse_endpoint (--vip, --preview, backend addresses,
 * --listen).  Invariants: the result is 0 or a negative errno with a
 * message; an accepted endpoint has a family, a port in 1..65535, IPv4
 * bytes 4..15 zero, brackets exactly for IPv6; it formats to a string that
 * parses back to the same endpoint and formats to the same string again;
 * its vip_key carries the same address, port (network order) and family.
 */
#include <errno.h>
#include <arpa/inet.h>
#include "values.h"
#include "fuzz_util.h"

static struct bgx_err fuzz_err;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size);
	char text[ENDPOINT_STRLEN], again[ENDPOINT_STRLEN];
	struct endpoint ep, ep2;
	struct vip_key key;
	int r;

	bgx_err_clear(&fuzz_err);
	r = bgx_parse_endpoint(s, "--vip", &ep, &fuzz_err);
	if (r) {
		CHECK(r == -EINVAL || r == -ERANGE, "'%s' -> %d", s, r);
		CHECK(fuzz_err.msg[0] && strstr(fuzz_err.msg, "--vip"), "'%s': no message naming the option", s);
		free(s);
		return 0;
	}
	CHECK(ep.family == BGXDP_FAMILY_IPV4 || ep.family == BGXDP_FAMILY_IPV6, "'%s'", s);
	CHECK(ep.port >= 1, "'%s': port 0 accepted", s);
	CHECK((s[0] == '[') == (ep.family == BGXDP_FAMILY_IPV6), "'%s': brackets vs family", s);
	if (ep.family == BGXDP_FAMILY_IPV4)
		for (int i = 4; i < BGXDP_ADDR_LEN; i++)
			CHECK(ep.addr[i] == 0, "'%s': IPv4 byte %d set", s, i);

	format_endpoint(ep.addr, htons(ep.port), ep.family, text, sizeof(text));
	bgx_err_clear(&fuzz_err);
	CHECK(bgx_parse_endpoint(text, "--vip", &ep2, &fuzz_err) == 0, "'%s' formats to '%s' which does not parse: %s",
	      s, text, fuzz_err.msg);
	CHECK(!memcmp(ep.addr, ep2.addr, sizeof(ep.addr)) && ep.port == ep2.port &&
	      ep.family == ep2.family, "'%s' -> '%s' parses to another endpoint", s, text);
	format_endpoint(ep2.addr, htons(ep2.port), ep2.family, again, sizeof(again));
	CHECK(!strcmp(text, again), "'%s' formats as '%s' then '%s'", s, text, again);

	endpoint_to_vip_key(&ep, IPPROTO_UDP, &key);
	CHECK(!memcmp(key.addr, ep.addr, BGXDP_ADDR_LEN) && key.port == htons(ep.port) &&
	      key.family == ep.family && key.proto == IPPROTO_UDP, "'%s': vip_key differs", s);
	free(s);
	return 0;
}
