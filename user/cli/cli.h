/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cli.h - what a command's run() gets besides its typed options: the
 * options every command takes, and where its output and error go.
 * A command is parse (params.c) -> one library call -> render.
 */
#ifndef BGXDP_CLI_H
#define BGXDP_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include "bgx_err.h"
#include "params.h"

struct cli_globals {
	const char *pin_dir;            /* --pin-dir, after the command */
	bool verbose;
	bool help;
};

struct cli {
	const struct cmd_spec *spec;
	struct cli_globals globals;
	const char *pin_dir;            /* the one in use: flag, env or default */
	struct bgx_err err;             /* the command's error, printed once */
	FILE *out;
};

#endif
