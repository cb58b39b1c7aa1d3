/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * roff.h - help text (as --help prints it) to man(7) roff.
 *
 * The command tables hold plain text meant for a terminal: sections of lines
 * indented by two spaces, lists whose items are "TAG  text" or a tag line
 * followed by deeper-indented text, and examples.  These functions turn such
 * text into roff that mandoc and groff accept without a warning, escaping
 * everything roff would otherwise read as markup.
 */
#ifndef BGXDP_ROFF_H
#define BGXDP_ROFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * One roff text line (newline added): backslashes, hyphens that a reader
 * types as minus signs, non-ASCII characters and a leading '.' or '\'' are
 * escaped.  `literal`: every '-' is a minus sign (commands, examples).
 */
void roff_line(FILE *out, const char *s, size_t len, bool literal);

/*
 * Inline markup for synopses and list tags, no newline: options (--name,
 * -x) in bold, placeholders (IFACE, ADDR:PORT, N) in italics, the rest
 * roman.  Escaped as roff_line() does.
 */
void roff_markup(FILE *out, const char *s, size_t len);

/* The same as whole output lines (newline added, long ones wrapped). */
void roff_markup_line(FILE *out, const char *s, size_t len);

/* How roff_block() renders a section body. */
enum roff_block_kind {
	ROFF_PROSE,     /* paragraphs, "TAG  text" lists, tag-line lists, code */
	ROFF_EXAMPLES,  /* shown as typed: one example block */
};

/*
 * A section body of a help text (lines indented by at least two spaces,
 * blank lines between paragraphs), as roff.  Emits no .SH/.SS and no
 * paragraph macro before the first paragraph: the caller opens the section.
 */
void roff_block(FILE *out, const char *body, size_t len, enum roff_block_kind kind);

/*
 * The body of section `heading` in a help text (headings are lines that
 * start in column 0), up to the next heading, trailing blank lines dropped.
 * Returns NULL when there is no such section.
 */
const char *help_section(const char *text, const char *heading, size_t *len);

/*
 * Next section of a help text at or after *pos: heading and body.  Returns
 * false at the end.  Text before the first heading is skipped.
 */
bool help_next_section(const char *text, size_t *pos, const char **heading,
		       size_t *heading_len, const char **body, size_t *body_len);

#endif
