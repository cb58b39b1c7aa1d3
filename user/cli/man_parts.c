// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* man_parts.c - pieces of a man page (see man_parts.h). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "man_parts.h"
#include "roff.h"

#ifndef BGXDP_VERSION
#define BGXDP_VERSION "0.1.0"
#endif

/* Text a function prints, as a string (caller frees; NULL on ENOMEM). */
char *capture_usage(void (*fn)(FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fn(f);
	fclose(f);
	return buf;
}

char *capture_help(const struct cmd_spec *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	params_print_help(c, f);
	fclose(f);
	return buf;
}

/* Build date: $SOURCE_DATE_EPOCH (reproducible builds), else now. */
static void page_date(char *buf, size_t len)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	time_t when = sde && *sde ? (time_t)strtoll(sde, NULL, 10) : time(NULL);
	struct tm tm;

	if (!gmtime_r(&when, &tm) || !strftime(buf, len, "%Y-%m-%d", &tm))
		snprintf(buf, len, "1970-01-01");
}

void put_th(FILE *out, const char *title)
{
	char date[32];

	page_date(date, sizeof(date));
	fputs(".TH ", out);
	for (const char *p = title; *p; p++) {
		if (*p == '-')
			fputs("\\-", out);
		else
			fputc(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p, out);
	}
	/* the manual's name follows from section 8 */
	fprintf(out, " 8 %s \"bgxdp %s\"\n", date, BGXDP_VERSION);
}

/* A macro argument, quoted: '"' and '\\' cannot appear in it as such. */
void put_macro_arg(FILE *out, const char *s, size_t len)
{
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"')
			fputs("\\(dq", out);
		else if (s[i] == '\\')
			fputs("\\e", out);
		else if (s[i] == '-')
			fputs("\\-", out);
		else
			fputc(s[i], out);
	}
	fputc('"', out);
}

void put_section(FILE *out, const char *heading, size_t len)
{
	fputs(".SH ", out);
	if (memchr(heading, ' ', len))
		put_macro_arg(out, heading, len);
	else
		fwrite(heading, 1, len, out);
	fputc('\n', out);
}

/* A command's name (bold) and its synopsis, in a .SY block (wraps with a
 * hanging indent, never justified). */
void put_synopsis(FILE *out, const char *name, const char *args, size_t args_len)
{
	fputs(".SY ", out);
	put_macro_arg(out, name, strlen(name));
	fputc('\n', out);
	if (args_len)
		roff_markup_line(out, args, args_len);
	fputs(".YS\n", out);
}

void put_text_lines(FILE *out, const char *text)
{
	while (*text) {
		size_t n = strcspn(text, "\n");
		const char *s = text;

		while (n && *s == ' ') {
			s++;
			n--;
		}
		if (n)
			roff_line(out, s, n, false);
		text = s + n + (s[n] == '\n');
	}
}

void put_option(FILE *out, const struct param *d)
{
	char head[160], extra[200] = "";
	int n = 0;

	if (d->short_name)
		n = snprintf(head, sizeof(head), "-%c, ", d->short_name);
	snprintf(head + n, sizeof(head) - (size_t)n, "--%s%s%s", d->name,
		 d->type == P_FLAG ? "" : " ",
		 d->type == P_FLAG ? "" : (d->metavar ? d->metavar : "VALUE"));
	fputs(".TP\n", out);
	roff_markup_line(out, head, strlen(head));
	put_text_lines(out, d->help ? d->help : "");
	/* the same additions as --help */
	if (d->required)
		snprintf(extra, sizeof(extra), "Required.");
	else if (d->def)
		snprintf(extra, sizeof(extra), "Default: %s.", d->def);
	if (*extra)
		roff_line(out, extra, strlen(extra), false);
}

void put_arguments(FILE *out, const struct cmd_spec *c)
{
	const struct param *a;

	for (int i = 0; (a = param_positional(c, i)); i++) {
		fputs(".TP\n", out);
		roff_markup_line(out, a->metavar, strlen(a->metavar));
		put_text_lines(out, a->help ? a->help : "");
	}
}

bool has_args(const struct cmd_spec *c)
{
	return param_positional(c, 0) != NULL;
}

bool has_opts(const struct cmd_spec *c)
{
	for (const struct param *d = c->params; d && !param_is_end(d); d++)
		if (!d->positional)
			return true;
	return false;
}

void put_options(FILE *out, const struct param *defs)
{
	for (const struct param *d = defs; d && !param_is_end(d); d++)
		if (!d->positional)
			put_option(out, d);
}
