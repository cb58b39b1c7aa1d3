/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * complete.h - shell completion from the command tables.
 *
 *   bgxdp __complete WORD... CUR
 *
 * WORDs are what was typed after "bgxdp" before the word being completed,
 * CUR that word (may be empty).  Prints what to complete on the first line,
 * then the candidates, one a line:
 *   words   candidates follow, each a whole word starting with CUR
 *   files   the shell completes a file name (the part of CUR after '=')
 *   dirs    the shell completes a directory name
 *
 * What a position takes comes from the tables: commands and subcommands
 * from the command names, options from each command's options and the
 * global ones, values of enum options from their choices, positional
 * arguments and option values from their names and metavars:
 *   a|b|c                 the words a, b, c (colors: blue|green)
 *   NAME, SERVICE         live service names
 *   ADDR:PORT             live backends of the service and color typed
 *                         before it (an argument, not an option value)
 *   IFACE, DEV            interfaces (live attached ones, except for a
 *                         command that attaches); DEV[,DEV...] a list
 *   FILE, PATH / DIR      files / directories
 * The last argument of a command named "... add" is a new thing: no
 * candidates.  Live names come from `bgxdp status --json` of the instance
 * the words name (--pin-dir, else $BGXDP_PIN_DIR, else the default), run
 * as a child; when it cannot be read (no instance, not root) there are none.
 */
#ifndef BGXDP_COMPLETE_H
#define BGXDP_COMPLETE_H

#include <stdio.h>
#include <jansson.h>

struct cli_table;

/* `bgxdp status --json` of an instance, parsed; NULL if it cannot be read. */
typedef json_t *(*live_status_fn)(const char *pin_dir);

/* Prints the candidates for words[nwords - 1]; returns the exit status. */
int complete_main(const struct cli_table *t, int nwords, char **words, FILE *out);

/* The same with another source of live state (tests). */
int complete_words(const struct cli_table *t, int nwords, char **words, FILE *out,
		   live_status_fn status);

/* ---- live names (complete_live.c) ---------------------------------------- */

/* A list of candidate words. */
struct cands {
	char **v;
	size_t n, cap;
};

void cands_add(struct cands *c, const char *word);
void cands_free(struct cands *c);

/* Runs this binary's `status --json` (pin_dir: NULL for the default). */
json_t *live_status_run(const char *pin_dir);

void live_services(json_t *status, struct cands *c);
void live_interfaces(json_t *status, struct cands *c);
/* Backends of `service` (NULL: the only service), of `color` (NULL: both). */
void live_backends(json_t *status, const char *service, const char *color, struct cands *c);
/* Every interface of this network namespace. */
void system_interfaces(struct cands *c);

#endif
