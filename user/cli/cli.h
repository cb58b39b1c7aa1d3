/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cli.h - what a command's run() gets besides its typed options: the
 * options every command takes, and where its output and error go.
 * A command is parse (params.c) -> one library call -> render.
 */
#ifndef BGXDP_CLI_H
#define BGXDP_CLI_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include "bgx_err.h"
#include "params.h"

struct cli_globals {
	const char *pin_dir;            /* --pin-dir, after the command */
	const char *state_dir;          /* --state-dir, after the command */
	bool verbose;
	bool json;                      /* -j/--json: results and errors as JSON */
	bool pretty;                    /* -p/--pretty: JSON indented */
	bool help;
};

struct cli {
	const struct cmd_spec *spec;
	struct cli_globals globals;     /* before and after the command word */
	const char *pin_dir;            /* the one in use: flag, env or default */
	const char *leading_state_dir;  /* --state-dir before the command word */
	char state_dir[PATH_MAX];       /* "" until cli_state_dir() resolved it */
	int argc;                       /* the whole command line, for the history */
	char **argv;
	struct bgx_err err;             /* the command's error, printed once */
	FILE *out;
	/* JSON output being written (cli_json_begin .. cli_json_end) */
	FILE *json;
	char *json_buf;
	size_t json_len;
};

/* A command's JSON result: written compact into the returned stream, then
 * printed by cli_json_end() as one line, or indented with --pretty. */
FILE *cli_json_begin(struct cli *cli);
int cli_json_end(struct cli *cli);

/* `text` as a JSON string literal (quotes, escapes). */
void json_write_string(FILE *f, const char *text);

#endif
