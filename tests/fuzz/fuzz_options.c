// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_options.c - params_parse over the real command tables (user/cli/cmd_*.c).
 *
 * Input: byte 0 picks the command, the rest split on NUL is its argv.
 * Invariants: the result is 0, 1 (help: "-h"/"--help" was given before any
 * "--") or a negative errno with a message; on 0 every required option
 * appears in argv and every typed field holds a value its type accepts (a
 * number within its range, a choice index within the choices, a share of
 * at most 100 %, a valid name, an endpoint of a known family with a port);
 * parsing the same argv twice gives byte-identical structs.
 */
#include <errno.h>
#include "commands.h"
#include "params.h"
#include "values.h"
#include "fuzz_util.h"

#define MAX_ARGS 32

static bool help_requested(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	}
	return false;
}

/* Is option `d` given (--name, --name=VALUE or its short form -X)? */
static bool option_in_argv(const struct param *d, int argc, char **argv)
{
	size_t n = strlen(d->name);

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		if (!strncmp(argv[i], "--", 2) && !strncmp(argv[i] + 2, d->name, n) &&
		    (argv[i][2 + n] == 0 || argv[i][2 + n] == '='))
			return true;
		if (d->short_name && argv[i][0] == '-' && argv[i][1] == d->short_name &&
		    !argv[i][2])
			return true;
	}
	return false;
}

static void check_field(const struct cmd_spec *spec, const struct param *d, const void *field)
{
	const char *what = d->name ? d->name : d->metavar;
	struct bgx_err e = { 0 };

	switch (d->type) {
	case P_UINT: {
		unsigned long long v = *(const unsigned long long *)field;

		/* an optional number without a default stays 0 */
		CHECK((v >= d->min && v <= d->max) || (v == 0 && !d->def && !d->required),
		      "%s %s: %llu outside %llu..%llu", spec->name, what, v, d->min, d->max);
		break;
	}
	case P_ENUM: {
		int v = *(const int *)field, n = 0;

		while (d->choices[n])
			n++;
		CHECK(v >= 0 && v < n, "%s %s: choice %d of %d", spec->name, what, v, n);
		break;
	}
	case P_PERCENT:
		CHECK(*(const __u32 *)field <= BGXDP_SHARE_SCALE, "%s %s: share %u", spec->name, what,
		      *(const __u32 *)field);
		break;
	case P_COLOR:
		CHECK(*(const __u32 *)field <= BGXDP_GREEN, "%s %s: color", spec->name, what);
		break;
	case P_NAME:
		CHECK(!((const char *)field)[0] || !bgx_parse_name(field, "x", &e),
		      "%s %s: name '%s' kept", spec->name, what, (const char *)field);
		break;
	case P_ENDPOINT: {
		const struct endpoint *ep = field;

		CHECK(ep->family == 0 ? ep->port == 0 :
		      (ep->family == BGXDP_FAMILY_IPV4 || ep->family == BGXDP_FAMILY_IPV6) && ep->port,
		      "%s %s: endpoint family %u port %u", spec->name, what, ep->family, ep->port);
		break;
	}
	default:
		break;
	}
}

static void check_success(const struct cmd_spec *spec, int argc, char **argv, const void *params)
{
	for (const struct param *d = spec->params; d && !param_is_end(d); d++) {
		if (d->required)
			CHECK(option_in_argv(d, argc, argv), "%s: required --%s missing",
			      spec->name, d->name);
		check_field(spec, d, (const char *)params + d->offset);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct cmd_spec *spec;
	char *buf, *argv[MAX_ARGS];
	struct cli_globals g1 = { 0 }, g2 = { 0 };
	struct bgx_err e1 = { 0 }, e2 = { 0 };
	void *p1, *p2;
	int argc = 0, r, r2;

	if (size < 1)
		return 0;
	spec = cli_commands[data[0] % cli_command_count];
	buf = fuzz_cstring(data + 1, size - 1);
	for (size_t i = 0, start = 0; i <= size - 1 && argc < MAX_ARGS; i++) {
		if (i == size - 1 || buf[i] == 0) {
			if (i > start || i < size - 1)
				argv[argc++] = buf + start;
			start = i + 1;
		}
	}
	p1 = calloc(1, spec->params_size + 1);
	p2 = calloc(1, spec->params_size + 1);
	CHECK(p1 && p2, "out of memory");
	r = params_parse(spec, argc, argv, p1, &g1, &e1);
	if (r < 0) {
		CHECK(e1.code == r && e1.msg[0], "%s: failed (%d) without its message", spec->name, r);
	} else if (r == 1) {
		CHECK(help_requested(argc, argv), "%s: help without -h/--help", spec->name);
	} else {
		CHECK(r == 0, "%s: returned %d", spec->name, r);
		check_success(spec, argc, argv, p1);
	}
	r2 = params_parse(spec, argc, argv, p2, &g2, &e2);
	CHECK(r2 == r && !memcmp(p1, p2, spec->params_size) && !memcmp(&g1, &g2, sizeof(g1)) &&
	      !strcmp(e1.msg, e2.msg), "%s: a second parse differs", spec->name);
	free(p1);
	free(p2);
	free(buf);
	return 0;
}
