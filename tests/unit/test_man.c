// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* man.c, roff.c, complete.c: man pages and completion from command tables. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "complete.h"
#include "man.h"
#include "params.h"
#include "roff.h"

/* ---- a small command table with text that roff would misread ------------ */

static const char *const modes[] = { "fast", "slow", NULL };

struct thing_params {
	char name[BGXDP_NAME_LEN];
	__u32 color;
	struct endpoint vip, backend;
	int mode;
	bool json;
	const char *service, *file, *dev, *fleet, *iface;
};

static const struct param add_params[] = {
	PARAM_POS(struct thing_params, name, P_NAME, "NAME", "NAME", "New name."),
	PARAM_OPT(struct thing_params, vip, P_ENDPOINT, "vip", "ADDR:PORT", .required = true,
		  .help = "Service address.\n      Second line of help."),
	PARAM_OPT(struct thing_params, mode, P_ENUM, "mode", "fast|slow", .short_name = 'm',
		  .def = "fast", .choices = modes, .help = "How; see 'bgxdp thing del'."),
	PARAM_OPT(struct thing_params, json, P_FLAG, "quiet", NULL, .help = "Say nothing."),
	PARAM_END
};

static const struct param del_params[] = {
	PARAM_POS(struct thing_params, name, P_NAME, "NAME", "NAME", "Name."),
	PARAM_POS(struct thing_params, color, P_COLOR, "blue|green", "color", "Color."),
	PARAM_POS(struct thing_params, backend, P_ENDPOINT, "ADDR:PORT", "ADDR:PORT", "Backend."),
	PARAM_OPT(struct thing_params, service, P_STRING, "service", "NAME", .help = "Service."),
	PARAM_OPT(struct thing_params, file, P_STRING, "file", "FILE", .help = "A file."),
	PARAM_OPT(struct thing_params, dev, P_STRING, "dev", "DEV[,DEV...]", .help = "Devices."),
	PARAM_OPT(struct thing_params, fleet, P_STRING, "fleet", "NAME", .help = "Not a service."),
	PARAM_END
};

static const struct param solo_params[] = {
	PARAM_POS(struct thing_params, iface, P_STRING, "IFACE", "IFACE", "i"),
	PARAM_END
};

static int run_nothing(const void *p, struct cli *cli) { (void)p; (void)cli; return 0; }

static const struct cmd_spec thing_add = {
	.name = "thing add", .summary = "add a thing", .synopsis = "NAME --vip ADDR:PORT [-m fast|slow]",
	.description =
"  First paragraph: a line of prose, and\n"
"  .a line that starts with a dot, 'a quote' and a back\\slash.\n"
"\n"
"  'quoted start of a paragraph; blue-green stays a hyphen, --vip does not.\n"
"      code line kept as typed\n"
"  Back to prose: per 1 \xc2\xb5s.\n",
	.params = add_params, .params_size = sizeof(struct thing_params),
	.examples = "  bgxdp thing add web --vip 10.0.0.1:80\n  .hidden example\n",
	.run = run_nothing,
};

static const struct cmd_spec thing_del = {
	.name = "thing del", .summary = "delete a thing", .synopsis = "NAME blue|green ADDR:PORT",
	.description = "  Deletes it.\n", .params = del_params, .params_size = sizeof(struct thing_params),
	.exit_status = "  0  gone.\n  1  still there; one line\n     on stderr.\n",
	.run = run_nothing,
};

static const struct cmd_spec solo = {
	.name = "solo", .summary = "one command alone", .synopsis = "IFACE",
	.description = "  Does one thing.\n", .params = solo_params,
	.params_size = sizeof(struct thing_params),
	.run = run_nothing,
};

static void fake_usage(FILE *f)
{
	fputs("NAME\n  bgxdp - a test tool\n\nSYNOPSIS\n  bgxdp [--pin-dir DIR] COMMAND\n\n"
	      "DESCRIPTION\n  It tests.\n\nCOMMANDS\n  (from the table)\n\n"
	      "ENVIRONMENT\n  BGXDP_PIN_DIR   default pin dir.\n\n"
	      "EXIT STATUS\n  0  done.\n", f);
}

static const struct cmd_spec *const cmds[] = { &thing_add, &solo, &thing_del };
static const struct cli_table table = { cmds, 3, fake_usage };

static char *render(const char *page)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(man_render(&table, page, f), 0);
	fclose(f);
	return buf;
}

static char *roff_of(void (*fn)(FILE *, const char *), const char *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, arg);
	fclose(f);
	return buf;
}

static void line_fill(FILE *f, const char *s) { roff_line(f, s, strlen(s), false); }
static void line_literal(FILE *f, const char *s) { roff_line(f, s, strlen(s), true); }

static void expect_contains(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("'%s' not found in:\n%s", needle, text);
}

/* Every line of a page that starts with '.' or '\'' is a macro we emit. */
static void expect_only_known_macros(const char *page)
{
	static const char *const known[] = { ".TH ", ".SH ", ".SS ", ".TP", ".PP", ".EX", ".EE",
					     ".RS ", ".RE", ".SY ", ".YS", ".BR ", NULL };

	for (const char *l = page; *l; l = strchr(l, '\n') + 1) {
		bool ok = *l != '.' && *l != '\'';

		for (const char *const *k = known; !ok && *k; k++)
			ok = !strncmp(l, *k, strlen(*k));
		if (!ok)
			fail_msg("unexpected control line: %.*s", (int)strcspn(l, "\n"), l);
		if (*l != '.' && strcspn(l, "\n") > 80)   /* mandoc's limit for text */
			fail_msg("line longer than 80 bytes: %.*s", (int)strcspn(l, "\n"), l);
		if (!strchr(l, '\n'))
			break;
	}
}

/* ---- roff ---------------------------------------------------------------- */

static void test_escapes(void **state)
{
	char *s;

	(void)state;
	s = roff_of(line_fill, ".starts with a dot");
	assert_string_equal(s, "\\&.starts with a dot\n");
	free(s);
	s = roff_of(line_fill, "'quoted'");
	assert_string_equal(s, "\\&'quoted'\n");
	free(s);
	s = roff_of(line_fill, "a \\ b");
	assert_string_equal(s, "a \\e b\n");
	free(s);
	s = roff_of(line_fill, "blue-green and --pin-dir and /a/b-c");
	assert_string_equal(s, "blue-green and \\%\\-\\-pin\\-dir and \\%/a/b\\-c\n");
	free(s);
	s = roff_of(line_literal, "x-y");
	assert_string_equal(s, "x\\-y\n");
	free(s);
	s = roff_of(line_fill, "1 \xc2\xb5s");
	assert_string_equal(s, "1 \\[u00B5]s\n");
	free(s);
}

static void test_long_lines_wrap(void **state)
{
	char text[400] = "", *s;

	(void)state;
	for (int i = 0; i < 40; i++)
		strcat(text, i == 20 ? ".dot " : "word ");
	s = roff_of(line_fill, text);
	expect_only_known_macros(s);
	free(s);
}

static void test_tag_and_def_lists(void **state)
{
	const char *exits = "  0  done.\n  1  failed; one\n     line.\n";
	const char *defs = "  --pin-dir DIR\n      Where.\n  -h, --help\n      Help.\n";
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	roff_block(f, exits, strlen(exits), ROFF_PROSE);
	roff_block(f, defs, strlen(defs), ROFF_PROSE);
	fclose(f);
	expect_contains(buf, ".TP\n\\fB0\\fR\ndone.\n.TP\n\\fB1\\fR\nfailed; one\nline.\n");
	expect_contains(buf, ".TP\n\\%\\fB\\-\\-pin\\-dir\\fR \\%\\fIDIR\\fR\nWhere.\n.TP\n"
			"\\%\\fB\\-h\\fR, \\%\\fB\\-\\-help\\fR\nHelp.\n");
	free(buf);
}

static void test_help_sections(void **state)
{
	const char *text = "NAME\n  x - y\n\nSYNOPSIS\n  x\n\n\nEXIT STATUS\n  0  ok.\n\n";
	size_t len;
	const char *b;

	(void)state;
	b = help_section(text, "EXIT STATUS", &len);
	assert_non_null(b);
	assert_int_equal(len, strlen("  0  ok."));
	b = help_section(text, "SYNOPSIS", &len);
	assert_int_equal(len, strlen("  x"));
	assert_null(help_section(text, "OPTIONS", &len));
}

/* ---- pages --------------------------------------------------------------- */

static void test_page_list(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	man_list(&table, f);
	fclose(f);
	assert_string_equal(buf, "bgxdp\nbgxdp-thing\nbgxdp-solo\n");
	free(buf);
}

static void test_group_page(void **state)
{
	char *p = render("bgxdp-thing");

	(void)state;
	expect_only_known_macros(p);
	expect_contains(p, ".TH BGXDP\\-THING 8 ");
	expect_contains(p, "add a thing; delete a thing");
	expect_contains(p, ".SS \"bgxdp thing add\"");
	expect_contains(p, ".SS \"bgxdp thing del\"");
	/* every option, the required/default notes, the global options */
	expect_contains(p, "\\fB\\-\\-vip\\fR \\%\\fIADDR:PORT\\fR\nService address.\nSecond line of help.\nRequired.");
	expect_contains(p, "\\fB\\-m\\fR, \\%\\fB\\-\\-mode\\fR");
	expect_contains(p, "Default: fast.");
	expect_contains(p, "\\fB\\-\\-quiet\\fR");
	expect_contains(p, "\\fB\\-\\-pin\\-dir\\fR");
	/* escapes in the description, code kept as typed */
	expect_contains(p, "\\&.a line that starts with a dot");
	expect_contains(p, "back\\eslash");
	expect_contains(p, "\\&'quoted start");
	expect_contains(p, "blue-green stays");
	expect_contains(p, ".EX\ncode line kept as typed\n.EE");
	expect_contains(p, "\\[u00B5]s");
	/* examples of both commands, exit status of each (they differ) */
	expect_contains(p, ".EX\nbgxdp thing add web \\-\\-vip 10.0.0.1:80\n\\&.hidden example\n");
	expect_contains(p, "\\fBbgxdp thing del\\fR:\n.TP\n\\fB0\\fR\ngone.");
	free(p);
	assert_int_equal(man_render(&table, "nothing", stdout), -ENOENT);
}

static void test_main_page(void **state)
{
	char *p = render("bgxdp");

	(void)state;
	expect_only_known_macros(p);
	expect_contains(p, ".SH NAME\nbgxdp \\- a test tool\n");
	expect_contains(p, ".SY \"bgxdp\"\n\\%[\\fB\\-\\-pin\\-dir\\fR \\%\\fIDIR\\fR] \\%\\fICOMMAND\\fR\n.YS");
	/* each command, with its page */
	expect_contains(p, "\\fB\\%thing \\%add\\fR\nadd a thing\n(\\fB\\%bgxdp\\-thing\\fR(8))");
	expect_contains(p, "\\fB\\%solo\\fR\none command alone\n(\\fB\\%bgxdp\\-solo\\fR(8))");
	expect_contains(p, ".TP\n\\fB\\%BGXDP_PIN_DIR\\fR\ndefault pin dir.");
	expect_contains(p, ".SH FILES\n");
	expect_contains(p, ".BR bgxdp\\-solo (8),");
	free(p);
}

/* ---- completion ---------------------------------------------------------- */

static char seen_pin_dir[64];   /* the pin dir status was asked for; "-": none */

static json_t *fake_status(const char *pin_dir)
{
	snprintf(seen_pin_dir, sizeof(seen_pin_dir), "%s", pin_dir ? pin_dir : "-");
	return json_loads("{\"interfaces\":[{\"name\":\"eth7\"}],\"services\":["
			  "{\"name\":\"web\",\"backends\":{\"blue\":[{\"address\":\"10.0.0.1:80\"}],"
			  "\"green\":[{\"address\":\"10.0.1.1:80\"}]}},"
			  "{\"name\":\"api\",\"backends\":{\"blue\":[],\"green\":[]}}]}", 0, NULL);
}

/* Candidates for words (space-separated; a trailing space: empty cursor). */
static char *complete(const char *line)
{
	char *words[16], *copy = strdup(line), *buf = NULL, *save = NULL;
	size_t len = 0;
	int n = 0;
	FILE *f = open_memstream(&buf, &len);

	for (char *w = strtok_r(copy, " ", &save); w && n < 15; w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	if (!*line || line[strlen(line) - 1] == ' ')
		words[n++] = "";
	assert_int_equal(complete_words(&table, n, words, f, fake_status), 0);
	fclose(f);
	free(copy);
	return buf;
}

static void expect_completion(const char *line, const char *want)
{
	char *got = complete(line);

	if (strcmp(got, want))
		fail_msg("completing '%s': want\n%s\ngot\n%s", line, want, got);
	free(got);
}

static void test_complete_tables(void **state)
{
	(void)state;
	expect_completion("", "words\nthing\nsolo\n");
	expect_completion("th", "words\nthing\n");
	expect_completion("thing ", "words\nadd\ndel\n");
	expect_completion("--", "words\n--pin-dir\n--state-dir\n--verbose\n--json\n--pretty\n--help\n--version\n");
	expect_completion("thing add web --", "words\n--vip\n--mode\n--quiet\n--pin-dir\n--state-dir\n--verbose\n--json\n--pretty\n--help\n");
	/* an option given once is not offered again */
	expect_completion("thing add web --quiet --", "words\n--vip\n--mode\n--pin-dir\n--state-dir\n--verbose\n--json\n--pretty\n--help\n");
	expect_completion("thing add web --mode ", "words\nfast\nslow\n");
	expect_completion("thing add web -m s", "words\nslow\n");
	expect_completion("thing add web --mode=f", "words\n--mode=fast\n");
	/* the new name of an "add" is not completed; after it, options */
	expect_completion("thing add ", "words\n");
	expect_completion("thing add web ", "words\n--vip\n--mode\n--quiet\n--pin-dir\n--state-dir\n--verbose\n--json\n--pretty\n--help\n");
	expect_completion("thing del web ", "words\nblue\ngreen\n");
	expect_completion("thing del web blue 1.2.3.4:5 --file ", "files\n");
	expect_completion("--pin-dir ", "dirs\n");
	expect_completion("nosuch ", "words\n");
}

static void test_complete_live(void **state)
{
	(void)state;
	expect_completion("thing del ", "words\nweb\napi\n");
	assert_string_equal(seen_pin_dir, "-");
	expect_completion("--pin-dir /p thing del w", "words\nweb\n");
	assert_string_equal(seen_pin_dir, "/p");
	expect_completion("thing del web blue ", "words\n10.0.0.1:80\n");
	expect_completion("thing del web green 10", "words\n10.0.1.1:80\n");
	expect_completion("thing del x y --service ", "words\nweb\napi\n");
	expect_completion("thing del x y --fleet ", "words\n");
	expect_completion("thing del x y --pin-dir=/q --service=a", "words\n--service=api\n");
	assert_string_equal(seen_pin_dir, "/q");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_long_lines_wrap),
		cmocka_unit_test(test_tag_and_def_lists),
		cmocka_unit_test(test_help_sections),
		cmocka_unit_test(test_page_list),
		cmocka_unit_test(test_group_page),
		cmocka_unit_test(test_main_page),
		cmocka_unit_test(test_complete_tables),
		cmocka_unit_test(test_complete_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
