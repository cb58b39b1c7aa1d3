// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * roff.c - help text to man(7) roff (see roff.h).
 *
 * Why the escaping matters: roff reads a line that starts with '.' or '\''
 * as a macro, a backslash as an escape, and renders a bare '-' as a
 * typographic hyphen that cannot be pasted into a shell.  Help text is full
 * of all three ('bgxdp upgrade', --pin-dir, <pin-dir>/link_xdp_IFACE).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "roff.h"

#define MAX_TAG_LEN 24  /* a "TAG  text" list tag: an exit code, a variable */
#define ROFF_LINE_MAX 79

struct text_line {
	const char *s;          /* after the indentation */
	size_t len;             /* without trailing blanks */
	int indent;             /* -1: blank line */
};

/* ---- characters ---------------------------------------------------------- */

static bool is_word_char(char c)
{
	return isalnum((unsigned char)c);
}

/* Is the whitespace-delimited word around s[i] something a reader types
 * (an option, a path, a KEY=value), where '-' must stay a minus sign? */
static bool word_is_code(const char *s, size_t len, size_t i)
{
	size_t a = i, b = i;

	while (a > 0 && !isspace((unsigned char)s[a - 1]))
		a--;
	while (b < len && !isspace((unsigned char)s[b]))
		b++;
	while (a < b && strchr("'\"([<", s[a]))
		a++;
	if (a < b && s[a] == '-')
		return true;
	for (size_t k = a; k < b; k++)
		if (strchr("/=_<>@", s[k]))
			return true;
	return false;
}

/* A UTF-8 sequence at s[i] as \[uXXXX]; returns the bytes it used. */
static size_t put_utf8(FILE *out, const unsigned char *s, size_t len, size_t i)
{
	unsigned int cp, n;

	if ((s[i] & 0xE0) == 0xC0) {
		cp = s[i] & 0x1F;
		n = 2;
	} else if ((s[i] & 0xF0) == 0xE0) {
		cp = s[i] & 0x0F;
		n = 3;
	} else if ((s[i] & 0xF8) == 0xF0) {
		cp = s[i] & 0x07;
		n = 4;
	} else {
		fputc('?', out);
		return 1;
	}
	if (i + n > len) {
		fputc('?', out);
		return 1;
	}
	for (unsigned int k = 1; k < n; k++) {
		if ((s[i + k] & 0xC0) != 0x80) {
			fputc('?', out);
			return 1;
		}
		cp = (cp << 6) | (s[i + k] & 0x3F);
	}
	fprintf(out, "\\[u%04X]", cp);
	return n;
}

/* s[0..len) escaped, no line-start handling.  With `guard`, words a
 * reader types get "\%" in front: roff must not hyphenate them. */
static void put_escaped(FILE *out, const char *s, size_t len, bool literal, bool guard)
{
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];

		if (guard && !isspace(c) && (i == 0 || isspace((unsigned char)s[i - 1])) &&
		    word_is_code(s, len, i))
			fputs("\\%", out);

		if (c >= 0x80) {
			i += put_utf8(out, (const unsigned char *)s, len, i);
			continue;
		}
		if (c == '\\')
			fputs("\\e", out);
		else if (c == '-' && (literal || !(i > 0 && is_word_char(s[i - 1]) &&
						   i + 1 < len && is_word_char(s[i + 1]) &&
						   !word_is_code(s, len, i))))
			fputs("\\-", out);
		else if (c == '.' && literal && (i + 1 == len || strchr(" ])", s[i + 1])))
			fputs(".\\&", out);      /* "DEV...]" ends no sentence */
		else if (c == '\t' || c < 0x20)
			fputc(' ', out);
		else
			fputc(c, out);
		i++;
	}
}

/* One output line; a line roff would read as a macro gets "\&" first. */
static void put_control_safe(FILE *out, const char *s, size_t len)
{
	if (len && (s[0] == '.' || s[0] == '\''))
		fputs("\\&", out);
	fwrite(s, 1, len, out);
	fputc('\n', out);
}

/*
 * Escaped text `esc` as output lines.  Fill-mode text is re-filled by roff,
 * so it is free to break: lines are kept within ROFF_LINE_MAX bytes
 * (mandoc's style limit) at spaces.  Literal text is kept as typed.
 */
static void put_wrapped(FILE *out, const char *esc, size_t n, bool wrap)
{
	size_t a = 0;

	while (wrap && n - a > ROFF_LINE_MAX) {
		size_t brk = a + ROFF_LINE_MAX, next;

		while (brk > a && esc[brk] != ' ')
			brk--;
		if (brk == a)   /* one long word: break after it */
			for (brk = a + ROFF_LINE_MAX; brk < n && esc[brk] != ' '; brk++)
				;
		if (brk >= n)
			break;
		for (next = brk; next < n && esc[next] == ' '; next++)
			;
		while (brk > a && esc[brk - 1] == ' ')
			brk--;
		put_control_safe(out, esc + a, brk - a);
		a = next;
	}
	put_control_safe(out, esc + a, n - a);
}

void roff_line(FILE *out, const char *s, size_t len, bool literal)
{
	char *esc = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&esc, &n);

	if (!f)
		return;
	put_escaped(f, s, len, literal, !literal);
	fclose(f);
	put_wrapped(out, esc, n, !literal);
	free(esc);
}

/* ---- markup -------------------------------------------------------------- */

/* Length of an option word (-x, --name) at s[i], or 0. */
static size_t option_len(const char *s, size_t len, size_t i)
{
	size_t j = i;

	if (s[i] != '-' || (i > 0 && !strchr(" [|(,", s[i - 1])) || i + 1 >= len ||
	    !(s[i + 1] == '-' || isalnum((unsigned char)s[i + 1])))
		return 0;
	while (j < len && (isalnum((unsigned char)s[j]) || s[j] == '-'))
		j++;
	return j - i;
}

/* Length of a placeholder (IFACE, ADDR:PORT, N) at s[i], or 0. */
static size_t placeholder_len(const char *s, size_t len, size_t i)
{
	size_t j = i;

	if (!isupper((unsigned char)s[i]) || (i > 0 && isalnum((unsigned char)s[i - 1])))
		return 0;
	while (j < len && (isupper((unsigned char)s[j]) || isdigit((unsigned char)s[j]) ||
			   s[j] == '_' || (s[j] == ':' && j + 1 < len && isupper((unsigned char)s[j + 1]))))
		j++;
	if (j < len && islower((unsigned char)s[j]))
		return 0;       /* a word like "IPv6" */
	return j - i;
}

void roff_markup(FILE *out, const char *s, size_t len)
{
	size_t plain = 0, i = 0;

	if (len && (s[0] == '.' || s[0] == '\''))
		fputs("\\&", out);
	while (i < len) {
		size_t n = 0;
		const char *font = "\\fB";

		/* "\%" where a word starts: inside a word it would be a
		 * hyphenation point, before it forbids hyphenating the word */
		if (!isspace((unsigned char)s[i]) && (i == 0 || isspace((unsigned char)s[i - 1]))) {
			put_escaped(out, s + plain, i - plain, true, false);
			fputs("\\%", out);
			plain = i;
		}
		n = option_len(s, len, i);
		if (!n) {
			n = placeholder_len(s, len, i);
			font = "\\fI";
		}
		if (!n) {
			i++;
			continue;
		}
		put_escaped(out, s + plain, i - plain, true, false);
		fputs(font, out);
		put_escaped(out, s + i, n, true, false);
		fputs("\\fR", out);
		i += n;
		plain = i;
	}
	put_escaped(out, s + plain, len - plain, true, false);
}

void roff_markup_line(FILE *out, const char *s, size_t len)
{
	char *esc = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&esc, &n);

	if (!f)
		return;
	roff_markup(f, s, len);
	fclose(f);
	put_wrapped(out, esc, n, true);
	free(esc);
}

/* ---- section bodies ------------------------------------------------------ */

static size_t split_lines(const char *body, size_t len, struct text_line **out)
{
	size_t n = 0, cap = 16;
	struct text_line *l = malloc(cap * sizeof(*l));

	for (size_t i = 0; l && i < len;) {
		const char *nl = memchr(body + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - body) : len, a = i, b = end;

		while (a < b && body[a] == ' ')
			a++;
		while (b > a && isspace((unsigned char)body[b - 1]))
			b--;
		if (n == cap) {
			struct text_line *m = realloc(l, 2 * cap * sizeof(*l));

			if (!m)
				break;
			l = m;
			cap *= 2;
		}
		l[n].s = body + a;
		l[n].len = b - a;
		l[n].indent = a == b ? -1 : (int)(a - i);
		n++;
		i = end + 1;
	}
	*out = l;
	return l ? n : 0;
}

/* "TAG  text": a short tag that does not end a sentence, two spaces, text. */
static bool tag_split(const struct text_line *l, size_t *tag_len, size_t *text_at)
{
	size_t t = 0, k;

	while (t < l->len && l->s[t] != ' ')
		t++;
	if (t == 0 || t > MAX_TAG_LEN || strchr(".,;:)", l->s[t - 1]))
		return false;
	for (k = t; k < l->len && l->s[k] == ' '; k++)
		;
	if (k - t < 2 || k >= l->len)
		return false;
	*tag_len = t;
	*text_at = k;
	return true;
}

static bool is_tag_list(const struct text_line *l, size_t a, size_t b, int base)
{
	size_t t, x;

	if (l[a].indent != base || !tag_split(&l[a], &t, &x))
		return false;
	for (size_t i = a + 1; i < b; i++)
		if (!(l[i].indent > base || tag_split(&l[i], &t, &x)))
			return false;
	return true;
}

/* Every line at `base` (a tag) is followed by deeper lines (its text). */
static bool is_def_list(const struct text_line *l, size_t a, size_t b, int base)
{
	if (l[a].indent != base || a + 1 >= b)
		return false;
	for (size_t i = a; i < b; i++) {
		if (l[i].indent < base)
			return false;
		if (l[i].indent == base && (i + 1 >= b || l[i + 1].indent <= base))
			return false;
	}
	return true;
}

static void emit_tag_list(FILE *out, const struct text_line *l, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++) {
		size_t t, x;

		if (l[i].indent > l[a].indent || !tag_split(&l[i], &t, &x)) {
			roff_line(out, l[i].s, l[i].len, false);
			continue;
		}
		fputs(".TP\n\\fB", out);
		put_escaped(out, l[i].s, t, true, true);
		fputs("\\fR\n", out);
		roff_line(out, l[i].s + x, l[i].len - x, false);
	}
}

static void emit_def_list(FILE *out, const struct text_line *l, size_t a, size_t b, int base)
{
	for (size_t i = a; i < b; i++) {
		if (l[i].indent == base) {
			fputs(".TP\n", out);
			roff_markup_line(out, l[i].s, l[i].len);
		} else {
			roff_line(out, l[i].s, l[i].len, false);
		}
	}
}

/* Lines a..b-1 as typed, indentation beyond `base` kept. */
static void emit_literal(FILE *out, const struct text_line *l, size_t a, size_t b, int base)
{
	fputs(".EX\n", out);
	for (size_t i = a; i < b; i++) {
		if (l[i].indent > base)
			fprintf(out, "%*s", l[i].indent - base, "");
		roff_line(out, l[i].s, l[i].indent < 0 ? 0 : l[i].len, true);
	}
	fputs(".EE\n", out);
}

/* Prose; a run of deeper lines inside it is code, shown as typed. */
static void emit_prose(FILE *out, const struct text_line *l, size_t a, size_t b, int base)
{
	for (size_t i = a; i < b;) {
		size_t j = i;

		if (l[i].indent <= base) {
			roff_line(out, l[i].s, l[i].len, false);
			i++;
			continue;
		}
		while (j < b && l[j].indent > base)
			j++;
		fputs(".RS 4\n", out);
		emit_literal(out, l, i, j, l[i].indent);
		fputs(".RE\n", out);
		i = j;
	}
}

void roff_block(FILE *out, const char *body, size_t len, enum roff_block_kind kind)
{
	struct text_line *l;
	size_t n = split_lines(body, len, &l), a = 0, first = 1;
	int base = -1;

	for (size_t i = 0; i < n; i++)
		if (l[i].indent >= 0 && (base < 0 || l[i].indent < base))
			base = l[i].indent;
	while (n && l[n - 1].indent < 0)
		n--;
	while (a < n && l[a].indent < 0)
		a++;
	if (kind == ROFF_EXAMPLES) {
		if (a < n)
			emit_literal(out, l, a, n, base);
		free(l);
		return;
	}
	while (a < n) {
		size_t b = a;

		while (b < n && l[b].indent >= 0)
			b++;
		if (is_tag_list(l, a, b, base)) {
			emit_tag_list(out, l, a, b);
		} else if (is_def_list(l, a, b, base)) {
			emit_def_list(out, l, a, b, base);
		} else {
			if (!first)
				fputs(".PP\n", out);
			emit_prose(out, l, a, b, base);
		}
		first = 0;
		for (a = b; a < n && l[a].indent < 0; a++)
			;
	}
	free(l);
}

/* ---- sections of a help text --------------------------------------------- */

static bool is_heading(const char *line)
{
	return *line && *line != ' ' && *line != '\n';
}

bool help_next_section(const char *text, size_t *pos, const char **heading,
		       size_t *heading_len, const char **body, size_t *body_len)
{
	const char *p = text + *pos, *nl, *end;

	while (*p && !is_heading(p)) {
		nl = strchr(p, '\n');
		p = nl ? nl + 1 : p + strlen(p);
	}
	if (!*p)
		return false;
	nl = strchr(p, '\n');
	*heading = p;
	*heading_len = nl ? (size_t)(nl - p) : strlen(p);
	*body = nl ? nl + 1 : p + strlen(p);
	end = *body;
	while (*end && !is_heading(end)) {
		nl = strchr(end, '\n');
		end = nl ? nl + 1 : end + strlen(end);
	}
	*pos = (size_t)(end - text);
	while (end > *body && isspace((unsigned char)end[-1]))
		end--;
	*body_len = (size_t)(end - *body);
	return true;
}

const char *help_section(const char *text, const char *heading, size_t *len)
{
	const char *h, *body;
	size_t pos = 0, hl;

	while (help_next_section(text, &pos, &h, &hl, &body, len))
		if (hl == strlen(heading) && !strncmp(h, heading, hl))
			return body;
	return NULL;
}
