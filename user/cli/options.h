/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * options.h - commands and their options declared as data.
 *
 * One table per command (struct cmd_spec) drives parsing, defaults,
 * validation of enum/integer values, and the --help text, so they cannot
 * disagree.  Global options (--pin-dir, -h/--help) are added to every
 * command by the parser.
 */
#ifndef BGXDP_OPTIONS_H
#define BGXDP_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

enum opt_type {
	OPT_FLAG,       /* no value */
	OPT_STRING,     /* any value, checked by the command */
	OPT_UINT,       /* decimal integer in [min, max] */
	OPT_ENUM,       /* one of choices[] */
};

struct opt_def {
	const char *name;               /* long name, without "--"; NULL ends a table */
	char short_name;                /* 0: none */
	enum opt_type type;
	const char *metavar;            /* value placeholder in help, e.g. "ADDR:PORT" */
	const char *def;                /* default value (as text), NULL: none */
	const char *help;
	bool required;
	const char *const *choices;     /* OPT_ENUM: NULL-terminated */
	unsigned long long min, max;    /* OPT_UINT */
};

struct arg_def {
	const char *name;               /* NULL ends a table */
	const char *help;
};

struct opts;

struct cmd_spec {
	const char *name;               /* "service add" */
	const char *summary;            /* one line, for bgxdp --help */
	const char *synopsis;           /* arguments after the name */
	const char *description;
	const struct arg_def *args;     /* positional arguments, all required */
	const struct opt_def *opts;     /* may be NULL */
	const char *examples;
	const char *exit_status;        /* NULL: the default text */
	int (*run)(const struct opts *o);
};

#define OPTS_MAX 24
#define ARGS_MAX 8

struct opts {
	const struct cmd_spec *spec;
	const struct opt_def *defs[OPTS_MAX];
	const char *val[OPTS_MAX];      /* value given, else default, else NULL */
	bool seen[OPTS_MAX];
	int ndefs;
	const char *pos[ARGS_MAX];
	int npos;
	bool help;
	const char *global_pin_dir;     /* --pin-dir given before the command */
};

extern const struct opt_def global_opts[];

/*
 * Parse argv (the arguments after the command name).  Returns 0, 1 when
 * help was asked for (nothing else is checked then), or -EINVAL with a
 * message recorded (err_msg()).
 */
int opts_parse(const struct cmd_spec *spec, int argc, char **argv, struct opts *o);

const char *opt_str(const struct opts *o, const char *name);      /* NULL if unset */
bool opt_given(const struct opts *o, const char *name);
bool opt_flag(const struct opts *o, const char *name);
unsigned long long opt_uint(const struct opts *o, const char *name);

void opts_print_help(const struct cmd_spec *spec, FILE *f);

#endif
