// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* options.c: the data-driven option parser. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "commands.h"
#include "options.h"
#include "util.h"

static const char *const modes[] = { "a", "b", NULL };

static const struct opt_def defs[] = {
	{ .name = "vip", .type = OPT_STRING, .metavar = "ADDR:PORT", .required = true, .help = "v" },
	{ .name = "mode", .type = OPT_ENUM, .def = "a", .choices = modes, .help = "m" },
	{ .name = "count", .type = OPT_UINT, .def = "7", .min = 1, .max = 10, .help = "c" },
	{ .name = "json", .type = OPT_FLAG, .help = "j" },
	{ 0 }
};

static const struct arg_def args[] = { { "NAME", "n" }, { 0 } };

static int dummy(const struct opts *o) { (void)o; return 0; }

static const struct cmd_spec spec = {
	.name = "thing add", .summary = "s", .synopsis = "NAME --vip ADDR:PORT",
	.description = "d\n", .args = args, .opts = defs, .run = dummy,
};

static int parse(struct opts *o, int argc, const char **argv)
{
	memset(o, 0, sizeof(*o));
	err_clear();
	return opts_parse(&spec, argc, (char **)argv, o);
}

static void expect_error(int argc, const char **argv, const char *needle)
{
	struct opts o;
	int r = parse(&o, argc, argv);

	assert_true(r < 0);
	if (!strstr(err_msg(), needle))
		fail_msg("message '%s' lacks '%s'", err_msg(), needle);
}

static void test_defaults(void **state)
{
	const char *argv[] = { "x", "--vip", "1.2.3.4:5" };
	struct opts o;

	(void)state;
	assert_int_equal(parse(&o, 3, argv), 0);
	assert_string_equal(o.pos[0], "x");
	assert_int_equal(o.npos, 1);
	assert_string_equal(opt_str(&o, "vip"), "1.2.3.4:5");
	assert_string_equal(opt_str(&o, "mode"), "a");
	assert_int_equal(opt_uint(&o, "count"), 7);
	assert_false(opt_flag(&o, "json"));
	assert_false(opt_given(&o, "mode"));
	assert_null(opt_str(&o, "pin-dir"));
}

static void test_values(void **state)
{
	const char *argv[] = { "--mode", "b", "--count=10", "x", "--json", "--vip=1:2",
			       "--pin-dir", "/p" };
	struct opts o;

	(void)state;
	assert_int_equal(parse(&o, 8, argv), 0);
	assert_string_equal(opt_str(&o, "mode"), "b");
	assert_int_equal(opt_uint(&o, "count"), 10);
	assert_true(opt_flag(&o, "json"));
	assert_string_equal(opt_str(&o, "vip"), "1:2");
	assert_string_equal(opt_str(&o, "pin-dir"), "/p");
	assert_string_equal(o.pos[0], "x");
}

static void test_errors(void **state)
{
	const char *unknown[] = { "x", "--vip", "a", "--nope" };
	const char *missing_val[] = { "x", "--vip" };
	const char *missing_val2[] = { "x", "--vip", "--json" };
	const char *dup[] = { "x", "--vip", "a", "--vip", "b" };
	const char *required[] = { "x" };
	const char *no_pos[] = { "--vip", "a" };
	const char *extra_pos[] = { "x", "y", "--vip", "a" };
	const char *bad_enum[] = { "x", "--vip", "a", "--mode", "c" };
	const char *bad_uint[] = { "x", "--vip", "a", "--count", "11" };
	const char *bad_uint2[] = { "x", "--vip", "a", "--count", "abc" };
	const char *flag_val[] = { "x", "--vip", "a", "--json=1" };
	const char *short_unknown[] = { "x", "--vip", "a", "-z" };

	(void)state;
	expect_error(4, unknown, "unknown option '--nope'");
	expect_error(2, missing_val, "--vip needs a value");
	expect_error(3, missing_val2, "--vip needs a value");
	expect_error(5, dup, "more than once");
	expect_error(1, required, "missing required option --vip");
	expect_error(2, no_pos, "missing argument NAME");
	expect_error(4, extra_pos, "unexpected argument 'y'");
	expect_error(5, bad_enum, "expected a or b");
	expect_error(5, bad_uint, "out of range");
	expect_error(5, bad_uint2, "not a number");
	expect_error(4, flag_val, "takes no value");
	expect_error(4, short_unknown, "unknown option '-z'");
}

/* "-1" is a (bad) value for the command to refuse, not an option */
static void test_negative_positional(void **state)
{
	const char *argv[] = { "-1", "--vip", "a" };
	struct opts o;

	(void)state;
	assert_int_equal(parse(&o, 3, argv), 0);
	assert_string_equal(o.pos[0], "-1");
}

static void test_help(void **state)
{
	const char *h1[] = { "-h" };
	const char *h2[] = { "--bogus-later-ignored", "--help" };
	const char *h3[] = { "--help" };
	struct opts o;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(parse(&o, 1, h1), 1);       /* required ones not checked */
	assert_int_equal(parse(&o, 1, h3), 1);
	assert_true(parse(&o, 2, h2) < 0);           /* unknown option still refused */
	f = open_memstream(&buf, &len);
	opts_print_help(&spec, f);
	fclose(f);
	assert_non_null(strstr(buf, "SYNOPSIS"));
	assert_non_null(strstr(buf, "--count"));
	assert_non_null(strstr(buf, "Default: 7."));
	assert_non_null(strstr(buf, "Required."));
	assert_non_null(strstr(buf, "--pin-dir"));
	assert_non_null(strstr(buf, "EXIT STATUS"));
	free(buf);
}

/* Every real command has a complete help text and a consistent table. */
static void test_real_specs(void **state)
{
	const struct cmd_spec *all[] = {
		&cmd_attach, &cmd_detach, &cmd_upgrade, &cmd_service_add, &cmd_service_del,
		&cmd_backend_add, &cmd_backend_del, &cmd_backend_drain, &cmd_backend_up,
		&cmd_backend_down, &cmd_set, &cmd_weight, &cmd_rollback, &cmd_status,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const struct cmd_spec *s = all[i];

		assert_non_null(s->name);
		assert_non_null(s->summary);
		assert_non_null(s->synopsis);
		assert_non_null(s->description);
		assert_non_null(s->examples);
		assert_non_null(s->run);
		for (const struct opt_def *d = s->opts; d && d->name; d++) {
			assert_non_null(d->help);
			if (d->def && d->type == OPT_ENUM) {
				bool ok = false;

				for (const char *const *c = d->choices; *c; c++)
					ok |= !strcmp(*c, d->def);
				assert_true(ok);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_negative_positional),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_real_specs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
