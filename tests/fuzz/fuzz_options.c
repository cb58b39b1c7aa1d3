// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_options.c - opts_parse over the real command tables (user/cmd_*.c).
 *
 * Input: byte 0 picks the command, the rest split on NUL is its argv.
 * Invariants: the result is 0, 1 (help: "-h"/"--help" was given before any
 * "--") or -EINVAL/-ERANGE with a message; on 0 every positional argument
 * was filled from argv in order, every required option was given, every
 * given value is accepted by its type (UINT in range, ENUM among the
 * choices, FLAG "1"), every option not given holds its default, the
 * accessors agree with the table, the global --pin-dir given before the
 * command is kept; parsing the same argv twice gives the same result.
 */
#include <errno.h>
#include "commands.h"
#include "options.h"
#include "values.h"
#include "util.h"
#include "fuzz_util.h"

static const struct cmd_spec *const cmds[] = {
	&cmd_attach, &cmd_detach, &cmd_service_add, &cmd_service_del,
	&cmd_backend_add, &cmd_backend_del, &cmd_backend_drain, &cmd_backend_up,
	&cmd_backend_down, &cmd_set, &cmd_weight, &cmd_rollback, &cmd_status,
	&cmd_stats, &cmd_metrics, &cmd_serve,
};

#define MAX_ARGS 32

static int count_defs(const struct opt_def *d)
{
	int n = 0;

	for (; d && d->name; d++)
		n++;
	return n;
}

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

static void check_success(const struct cmd_spec *spec, int argc, char **argv,
			  const struct opts *o)
{
	int nargs = 0, next = 0;

	for (const struct arg_def *a = spec->args; a && a->name; a++)
		nargs++;
	CHECK(o->npos == nargs, "%s: %d positionals, %d expected", spec->name, o->npos, nargs);
	/* Positionals are argv entries, in argv order. */
	for (int p = 0; p < o->npos; p++) {
		while (next < argc && argv[next] != o->pos[p])
			next++;
		CHECK(next < argc, "%s: positional %d is not an argv entry in order", spec->name, p);
		next++;
	}
	CHECK(o->ndefs == count_defs(spec->opts) + count_defs(global_opts),
	      "%s: %d option definitions", spec->name, o->ndefs);
	CHECK(!o->help, "%s: help set on success", spec->name);
	for (int i = 0; i < o->ndefs; i++) {
		const struct opt_def *d = o->defs[i];
		const char *v = o->val[i];

		CHECK(opt_str(o, d->name) == v && opt_given(o, d->name) == o->seen[i],
		      "%s --%s: accessors disagree", spec->name, d->name);
		if (d->required)
			CHECK(o->seen[i], "%s: required --%s missing", spec->name, d->name);
		if (!o->seen[i]) {
			CHECK(v == d->def, "%s --%s: not given but not the default", spec->name, d->name);
			continue;
		}
		CHECK(v != NULL, "%s --%s: given without a value", spec->name, d->name);
		switch (d->type) {
		case OPT_FLAG:
			CHECK(!strcmp(v, "1") && opt_flag(o, d->name), "%s --%s", spec->name, d->name);
			break;
		case OPT_UINT: {
			unsigned long long x;

			CHECK(parse_uint(v, "x", d->min, d->max, &x) == 0 && opt_uint(o, d->name) == x,
			      "%s --%s '%s': accepted but not in %llu..%llu", spec->name, d->name, v,
			      d->min, d->max);
			break;
		}
		case OPT_ENUM: {
			bool found = false;

			for (const char *const *c = d->choices; *c; c++)
				found |= !strcmp(*c, v);
			CHECK(found, "%s --%s '%s': not a choice", spec->name, d->name, v);
			break;
		}
		case OPT_STRING:
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct cmd_spec *spec;
	char *buf, *argv[MAX_ARGS];
	struct opts o, o2;
	int argc = 0, r, r2;

	if (size < 1)
		return 0;
	spec = cmds[data[0] % (sizeof(cmds) / sizeof(cmds[0]))];
	buf = fuzz_cstring(data + 1, size - 1);
	for (size_t i = 0, start = 0; i <= size - 1 && argc < MAX_ARGS; i++) {
		if (i == size - 1 || buf[i] == 0) {
			if (i > start || i < size - 1)
				argv[argc++] = buf + start;
			start = i + 1;
		}
	}

	memset(&o, 0, sizeof(o));
	o.global_pin_dir = "/sys/fs/bpf/fuzz";
	err_clear();
	r = opts_parse(spec, argc, argv, &o);
	CHECK(o.global_pin_dir && !strcmp(o.global_pin_dir, "/sys/fs/bpf/fuzz"),
	      "%s: global --pin-dir lost", spec->name);
	if (r < 0) {
		CHECK(r == -EINVAL || r == -ERANGE, "%s: returned %d", spec->name, r);
		CHECK(err_msg()[0], "%s: failed without a message", spec->name);
	} else if (r == 1) {
		CHECK(o.help && help_requested(argc, argv), "%s: help without -h/--help", spec->name);
	} else {
		CHECK(r == 0, "%s: returned %d", spec->name, r);
		check_success(spec, argc, argv, &o);
	}

	memset(&o2, 0, sizeof(o2));
	o2.global_pin_dir = "/sys/fs/bpf/fuzz";
	r2 = opts_parse(spec, argc, argv, &o2);
	CHECK(r2 == r && !memcmp(&o, &o2, sizeof(o)), "%s: a second parse differs", spec->name);
	free(buf);
	return 0;
}
