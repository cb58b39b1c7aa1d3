/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * man_parts.h - pieces of a man page built from the command tables
 * (man_parts.c), shared by bgxdp(8) and the command pages (man.c).
 */
#ifndef BGXDP_MAN_PARTS_H
#define BGXDP_MAN_PARTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "params.h"

/* What usage() / a command's --help prints, as a string (caller frees). */
char *capture_usage(void (*fn)(FILE *));
char *capture_help(const struct cmd_spec *c);

/* .TH of page `title` (upper-cased), dated $SOURCE_DATE_EPOCH or today. */
void put_th(FILE *out, const char *title);
/* A quoted macro argument. */
void put_macro_arg(FILE *out, const char *s, size_t len);
/* .SH heading */
void put_section(FILE *out, const char *heading, size_t len);
/* .SY NAME, the marked-up synopsis, .YS */
void put_synopsis(FILE *out, const char *name, const char *args, size_t args_len);
/* Help text of an option or argument: its lines, indentation dropped. */
void put_text_lines(FILE *out, const char *text);
/* .TP lists of options (as --help shows them) and of arguments. */
void put_option(FILE *out, const struct param *d);
void put_options(FILE *out, const struct param *defs);
void put_arguments(FILE *out, const struct cmd_spec *c);
bool has_args(const struct cmd_spec *c);
bool has_opts(const struct cmd_spec *c);

#endif
