// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* test_params.c: the data-driven parser into typed option structs. */
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
#include "params.h"

static const char *const modes[] = { "a", "b", NULL };

struct thing_params {
	char name[BGXDP_NAME_LEN];
	struct endpoint vip;
	int mode;
	unsigned long long count;
	bool json;
	__u64 interval_ms;
	__u32 share_bp;
};

static const struct param table[] = {
	PARAM_POS(struct thing_params, name, P_NAME, "NAME", "NAME", "n"),
	PARAM_OPT(struct thing_params, vip, P_ENDPOINT, "vip", "ADDR:PORT", .required = true,
		  .help = "v"),
	PARAM_OPT(struct thing_params, mode, P_ENUM, "mode", NULL, .def = "a", .choices = modes,
		  .help = "m"),
	PARAM_OPT(struct thing_params, count, P_UINT, "count", NULL, .def = "7", .min = 1,
		  .max = 10, .help = "c"),
	PARAM_OPT(struct thing_params, json, P_FLAG, "json", NULL, .help = "j"),
	PARAM_OPT(struct thing_params, interval_ms, P_DURATION, "interval", "DUR", .def = "1s",
		  .min = 100, .max = 60000, .help = "i"),
	PARAM_OPT(struct thing_params, share_bp, P_PERCENT, "share", "PERCENT", .help = "s"),
	PARAM_END
};

static int dummy(const void *p, struct cli *cli) { (void)p; (void)cli; return 0; }

static const struct cmd_spec spec = {
	.name = "thing add", .summary = "s", .synopsis = "NAME --vip ADDR:PORT",
	.description = "d\n", .params = table, .params_size = sizeof(struct thing_params),
	.run = dummy,
};

static struct thing_params got;
static struct cli_globals globals;
static struct bgx_err e;

static int parse(int argc, const char **argv)
{
	memset(&globals, 0, sizeof(globals));
	bgx_err_clear(&e);
	return params_parse(&spec, argc, (char **)argv, &got, &globals, &e);
}

static void expect_error(int argc, const char **argv, const char *needle)
{
	int r = parse(argc, argv);

	assert_true(r < 0);
	assert_true(e.usage);
	if (!strstr(e.msg, needle))
		fail_msg("message '%s' lacks '%s'", e.msg, needle);
}

static void test_defaults(void **state)
{
	const char *argv[] = { "x", "--vip", "1.2.3.4:5" };

	(void)state;
	assert_int_equal(parse(3, argv), 0);
	assert_string_equal(got.name, "x");
	assert_int_equal(got.vip.family, BGXDP_FAMILY_IPV4);
	assert_int_equal(got.vip.port, 5);
	assert_int_equal(got.mode, 0);
	assert_int_equal(got.count, 7);
	assert_int_equal(got.interval_ms, 1000);
	assert_false(got.json);
	assert_null(globals.pin_dir);
}

static void test_values(void **state)
{
	const char *argv[] = { "--mode", "b", "--count=10", "x", "--json", "--vip=[::1]:2",
			       "--pin-dir", "/p", "--interval", "250ms", "--share", "12.5" };

	(void)state;
	assert_int_equal(parse(12, argv), 0);
	assert_int_equal(got.mode, 1);
	assert_int_equal(got.count, 10);
	assert_true(got.json);
	assert_int_equal(got.vip.family, BGXDP_FAMILY_IPV6);
	assert_string_equal(globals.pin_dir, "/p");
	assert_string_equal(got.name, "x");
	assert_int_equal(got.interval_ms, 250);
	assert_int_equal(got.share_bp, 1250);
}

static void test_errors(void **state)
{
	const char *unknown[] = { "x", "--vip", "1.1.1.1:1", "--nope" };
	const char *missing_val[] = { "x", "--vip" };
	const char *missing_val2[] = { "x", "--vip", "--json" };
	const char *dup[] = { "x", "--vip", "a", "--vip", "b" };
	const char *required[] = { "x" };
	const char *no_pos[] = { "--vip", "1.1.1.1:1" };
	const char *extra_pos[] = { "x", "y", "--vip", "a" };
	const char *bad_enum[] = { "x", "--vip", "1.1.1.1:1", "--mode", "c" };
	const char *bad_uint[] = { "x", "--vip", "1.1.1.1:1", "--count", "11" };
	const char *bad_uint2[] = { "x", "--vip", "1.1.1.1:1", "--count", "abc" };
	const char *flag_val[] = { "x", "--vip", "1.1.1.1:1", "--json=1" };
	const char *short_unknown[] = { "x", "--vip", "1.1.1.1:1", "-z" };
	const char *bad_vip[] = { "x", "--vip", "1.1.1.1" };
	const char *bad_name[] = { "x y", "--vip", "1.1.1.1:1" };
	const char *bad_dur[] = { "x", "--vip", "1.1.1.1:1", "--interval", "5" };
	const char *short_dur[] = { "x", "--vip", "1.1.1.1:1", "--interval", "5ms" };
	const char *bad_share[] = { "x", "--vip", "1.1.1.1:1", "--share", "101" };

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
	expect_error(3, bad_vip, "--vip '1.1.1.1': missing port");
	expect_error(3, bad_name, "NAME 'x y'");
	expect_error(5, bad_dur, "--interval '5': not a duration");
	expect_error(5, short_dur, "--interval '5ms': out of range");
	expect_error(5, bad_share, "--share '101'");
}

/* "-1" is a value (here a valid name), not an option; "--count -1" is a
 * value of --count that its type refuses. */
static void test_negative_positional(void **state)
{
	const char *argv[] = { "-1", "--vip", "1.1.1.1:1" };
	const char *count[] = { "x", "--vip", "1.1.1.1:1", "--count", "-1" };

	(void)state;
	assert_int_equal(parse(3, argv), 0);
	assert_string_equal(got.name, "-1");
	expect_error(5, count, "--count '-1': not a number");
}

static void test_help(void **state)
{
	const char *h1[] = { "-h" };
	const char *h2[] = { "--bogus-later-ignored", "--help" };
	const char *h3[] = { "--help" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(parse(1, h1), 1);       /* required ones not checked */
	assert_int_equal(parse(1, h3), 1);
	assert_true(parse(2, h2) < 0);           /* unknown option still refused */
	f = open_memstream(&buf, &len);
	params_print_help(&spec, f);
	fclose(f);
	assert_non_null(strstr(buf, "SYNOPSIS"));
	assert_non_null(strstr(buf, "ARGUMENTS\n  NAME\n      n\n"));
	assert_non_null(strstr(buf, "--count"));
	assert_non_null(strstr(buf, "Default: 7."));
	assert_non_null(strstr(buf, "Required."));
	assert_non_null(strstr(buf, "--pin-dir"));
	assert_non_null(strstr(buf, "EXIT STATUS"));
	free(buf);
}

/* Every real command: a complete help text, defaults that parse, and a
 * table whose enum defaults are among their choices. */
static void test_real_specs(void **state)
{
	(void)state;
	for (size_t i = 0; i < cli_command_count; i++) {
		const struct cmd_spec *s = cli_commands[i];
		const char *help[] = { "--help" };
		void *p = calloc(1, s->params_size ? s->params_size : 1);

		assert_non_null(s->name);
		assert_non_null(s->summary);
		assert_non_null(s->synopsis);
		assert_non_null(s->description);
		assert_non_null(s->examples);
		assert_true(s->run != NULL || s->in_agent);
		for (const struct param *d = s->params; d && !param_is_end(d); d++) {
			assert_non_null(d->help);
			assert_true(d->positional ? d->metavar && d->label : d->name != NULL);
			assert_true(d->offset < s->params_size);
		}
		/* defaults are parsed before the words: a bad one fails here */
		assert_int_equal(params_parse(s, 1, (char **)help, p, &globals, &e), 1);
		free(p);
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
