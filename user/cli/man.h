/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * man.h - hidden commands that read the command tables: man pages
 * (`bgxdp __man`) and shell completion (`bgxdp __complete`).
 *
 * Both take the same table main() dispatches on, so a command added there
 * gets its man page, its line in bgxdp(8) and its completion with no other
 * change.  They are not listed by --help: they are for `make man` and
 * contrib/bash-completion/bgxdp, not for people.
 *
 *   bgxdp __man --list        page names, one a line (bgxdp, bgxdp-attach, ...)
 *   bgxdp __man PAGE          the page as man(7) roff on stdout
 *   bgxdp __complete WORD...  candidates for the last WORD (see complete.h)
 */
#ifndef BGXDP_MAN_H
#define BGXDP_MAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "params.h"

struct cli_table {
	const struct cmd_spec *const *cmds;     /* in the order of bgxdp --help */
	size_t ncmds;
	void (*usage)(FILE *f);                 /* bgxdp --help: bgxdp(8)'s text */
};

/* Is `word` (argv[1]) one of the hidden commands? */
bool cli_hidden_command(const char *word);

/* Run it: argv[0] is the hidden command's name.  Returns the exit status. */
int cli_hidden_run(const struct cli_table *t, int argc, char **argv);

/* The man page PAGE ("bgxdp", "bgxdp-service" or "service") to `out`.
 * Returns 0, or -ENOENT for an unknown page. */
int man_render(const struct cli_table *t, const char *page, FILE *out);

/* The names of all pages, one a line. */
void man_list(const struct cli_table *t, FILE *out);

/* The command group of a command: its first word ("service" of "service add"),
 * written to buf (NUL-terminated, truncated to len). */
void cmd_group(const struct cmd_spec *c, char *buf, size_t len);

#endif
