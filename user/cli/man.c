// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * man.c - man pages from the command tables, and the hidden commands.
 *
 * bgxdp(8) is the --help text of bgxdp itself (the usage() of main.c),
 * section by section, with the command list rendered from the table; one
 * page per command group (the first word of a command's name:
 * bgxdp-service(8) for "service add" and "service del", bgxdp-attach(8) for
 * "attach") renders each command's table entry: synopsis, description,
 * arguments, options, examples, and the exit status its --help prints.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "complete.h"
#include "man.h"
#include "man_parts.h"
#include "roff.h"

#define GROUP_LEN 64
#define PAGE_PREFIX "bgxdp-"
#define PAGE_PREFIX_ROFF "bgxdp\\-"

/* Man-only: where things live (--help names them where they are used). */
static const char files_text[] =
"  /sys/fs/bpf/bgxdp/\n"
"      Pins of the default instance: maps, programs and links (see --pin-dir\n"
"      and BGXDP_PIN_DIR).  Root-only.\n"
"  /etc/bgxdp/bgxdp.yaml\n"
"      The desired state that bgxdp.service applies at boot ('bgxdp apply -f')\n"
"      and that 'bgxdp save' writes.\n"
"  /var/lib/bgxdp/\n"
"      State dir of the agent and the CLI: history, rollout state, stored\n"
"      settings (--state-dir, BGXDP_STATE_DIR).\n";

static const char *const see_also_tools[] = { "bpftool", "ip-link", "tc", NULL };

void cmd_group(const struct cmd_spec *c, char *buf, size_t len)
{
	size_t n = strcspn(c->name, " ");

	snprintf(buf, len, "%.*s", (int)n, c->name);
}

static bool in_group(const struct cmd_spec *c, const char *group)
{
	char g[GROUP_LEN];

	cmd_group(c, g, sizeof(g));
	return !strcmp(g, group);
}

/* Is cmds[i] the first command of its group (groups in table order)? */
static bool first_of_group(const struct cli_table *t, size_t i)
{
	char g[GROUP_LEN];

	cmd_group(t->cmds[i], g, sizeof(g));
	for (size_t k = 0; k < i; k++)
		if (in_group(t->cmds[k], g))
			return false;
	return true;
}

/* ---- bgxdp(8) ------------------------------------------------------------ */

static void main_name(FILE *out, const char *body, size_t len)
{
	const char *dash;

	while (len && *body == ' ') {
		body++;
		len--;
	}
	dash = memmem(body, len, " - ", 3);
	if (!dash) {
		roff_line(out, body, len, false);
		return;
	}
	fprintf(out, "%.*s \\- ", (int)(dash - body), body);
	roff_line(out, dash + 3, len - (size_t)(dash - body) - 3, false);
}

static void main_synopsis(FILE *out, const char *body, size_t len)
{
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(body + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - body) : len, a = i, w;
		char name[64];

		while (a < end && body[a] == ' ')
			a++;
		w = a + strcspn(body + a, " \n");
		if (w > end)
			w = end;
		if (a < end) {
			snprintf(name, sizeof(name), "%.*s", (int)(w - a), body + a);
			while (w < end && body[w] == ' ')
				w++;
			put_synopsis(out, name, body + w, end - w);
		}
		i = end + 1;
	}
}

static void main_commands(const struct cli_table *t, FILE *out)
{
	char g[GROUP_LEN];

	for (size_t i = 0; i < t->ncmds; i++) {
		cmd_group(t->cmds[i], g, sizeof(g));
		fputs(".TP\n\\fB", out);
		roff_markup(out, t->cmds[i]->name, strlen(t->cmds[i]->name));
		fputs("\\fR\n", out);
		roff_line(out, t->cmds[i]->summary, strlen(t->cmds[i]->summary), false);
		fprintf(out, "(\\fB\\%%" PAGE_PREFIX_ROFF "%s\\fR(8))\n", g);
	}
}

static void main_see_also(const struct cli_table *t, FILE *out)
{
	char g[GROUP_LEN];

	fputs(".SH \"SEE ALSO\"\n", out);
	for (size_t i = 0; i < t->ncmds; i++) {
		if (!first_of_group(t, i))
			continue;
		cmd_group(t->cmds[i], g, sizeof(g));
		fprintf(out, ".BR " PAGE_PREFIX_ROFF "%s (8),\n", g);
	}
	for (const char *const *s = see_also_tools; *s; s++) {
		fputs(".BR ", out);
		roff_markup(out, *s, strlen(*s));
		fprintf(out, " (8)%s\n", s[1] ? "," : "");
	}
}

static bool heading_is(const char *h, size_t len, const char *name)
{
	return len == strlen(name) && !strncmp(h, name, len);
}

static int render_main(const struct cli_table *t, FILE *out)
{
	char *text = capture_usage(t->usage);
	const char *h, *body;
	size_t pos = 0, hl, bl;
	bool files_done = false;

	if (!text)
		return -ENOMEM;
	put_th(out, "bgxdp");
	while (help_next_section(text, &pos, &h, &hl, &body, &bl)) {
		if (!files_done && (heading_is(h, hl, "EXAMPLES") || heading_is(h, hl, "EXIT STATUS"))) {
			fputs(".SH FILES\n", out);
			roff_block(out, files_text, strlen(files_text), ROFF_PROSE);
			files_done = true;
		}
		put_section(out, h, hl);
		if (heading_is(h, hl, "NAME"))
			main_name(out, body, bl);
		else if (heading_is(h, hl, "SYNOPSIS"))
			main_synopsis(out, body, bl);
		else if (heading_is(h, hl, "COMMANDS"))
			main_commands(t, out);
		else
			roff_block(out, body, bl,
				   heading_is(h, hl, "EXAMPLES") ? ROFF_EXAMPLES : ROFF_PROSE);
	}
	if (!files_done) {
		fputs(".SH FILES\n", out);
		roff_block(out, files_text, strlen(files_text), ROFF_PROSE);
	}
	main_see_also(t, out);
	free(text);
	return 0;
}

/* ---- one page per command group ------------------------------------------ */

static size_t group_cmds(const struct cli_table *t, const char *group,
			 const struct cmd_spec **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < t->ncmds && n < max; i++)
		if (in_group(t->cmds[i], group))
			out[n++] = t->cmds[i];
	return n;
}

/* NAME: the summaries of the group's commands, joined. */
static void group_name_line(FILE *out, const char *group, const struct cmd_spec **c, size_t n)
{
	char *line = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&line, &len);

	if (!f)
		return;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? "; " : "", c[i]->summary);
	fclose(f);
	/* the name and the dash on a line of their own: the rest may wrap */
	fprintf(out, ".SH NAME\n" PAGE_PREFIX_ROFF "%s \\-\n", group);
	roff_line(out, line, len, false);
	free(line);
}

/* One command inside a group page: its own subsection. */
static void group_command(FILE *out, const struct cmd_spec *c)
{
	char title[GROUP_LEN * 2];

	snprintf(title, sizeof(title), "bgxdp %s", c->name);
	fputs(".SS ", out);
	put_macro_arg(out, title, strlen(title));
	fputc('\n', out);
	roff_block(out, c->description, strlen(c->description), ROFF_PROSE);
	if (has_args(c)) {
		fputs(".PP\nArguments:\n", out);
		put_arguments(out, c);
	}
	if (has_opts(c)) {
		fputs(".PP\nOptions:\n", out);
		put_options(out, c->params);
	}
}

/*
 * EXIT STATUS as each command's --help prints it.  Commands whose text is
 * the same share one list; with several different texts, each list is
 * headed by the commands it belongs to.
 */
static void group_exit_status(FILE *out, const struct cmd_spec **c, size_t n)
{
	char *help[n];
	const char *body[n];
	size_t len[n], cls[n], nclasses = 0;

	for (size_t i = 0; i < n; i++) {
		help[i] = capture_help(c[i]);
		body[i] = help[i] ? help_section(help[i], "EXIT STATUS", &len[i]) : NULL;
		if (!body[i])
			len[i] = 0;
		cls[i] = i;
		for (size_t k = 0; k < i; k++)
			if (len[k] == len[i] && (!len[i] || !memcmp(body[k], body[i], len[i]))) {
				cls[i] = cls[k];
				break;
			}
		nclasses += cls[i] == i;
	}
	fputs(".SH \"EXIT STATUS\"\n", out);
	for (size_t i = 0, shown = 0; i < n; i++) {
		if (cls[i] != i || !body[i])
			continue;
		if (nclasses > 1) {
			fputs(shown ? ".PP\n" : "", out);
			for (size_t k = i; k < n; k++)
				if (cls[k] == i)
					fprintf(out, "%s\\fBbgxdp %s\\fR", k == i ? "" : ", ", c[k]->name);
			fputs(":\n", out);
		}
		roff_block(out, body[i], len[i], ROFF_PROSE);
		shown++;
	}
	for (size_t i = 0; i < n; i++)
		free(help[i]);
}

static void group_examples(FILE *out, const struct cmd_spec **c, size_t n)
{
	char *all = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&all, &len);

	if (!f)
		return;
	for (size_t i = 0; i < n; i++)
		if (c[i]->examples)
			fputs(c[i]->examples, f);
	fclose(f);
	if (len) {
		fputs(".SH EXAMPLES\n", out);
		roff_block(out, all, len, ROFF_EXAMPLES);
	}
	free(all);
}

static int render_group(const struct cli_table *t, const char *group, FILE *out)
{
	const struct cmd_spec *c[t->ncmds ? t->ncmds : 1];
	size_t n = group_cmds(t, group, c, t->ncmds);
	char title[GROUP_LEN + sizeof(PAGE_PREFIX)];

	if (!n)
		return -ENOENT;
	snprintf(title, sizeof(title), PAGE_PREFIX "%s", group);
	put_th(out, title);
	group_name_line(out, group, c, n);
	fputs(".SH SYNOPSIS\n", out);
	for (size_t i = 0; i < n; i++) {
		char name[GROUP_LEN * 2];

		snprintf(name, sizeof(name), "bgxdp %s", c[i]->name);
		put_synopsis(out, name, c[i]->synopsis, strlen(c[i]->synopsis));
	}
	fputs(".SH DESCRIPTION\n", out);
	if (n == 1) {
		roff_block(out, c[0]->description, strlen(c[0]->description), ROFF_PROSE);
		if (has_args(c[0])) {
			fputs(".SH ARGUMENTS\n", out);
			put_arguments(out, c[0]);
		}
		if (has_opts(c[0])) {
			fputs(".SH OPTIONS\n", out);
			put_options(out, c[0]->params);
		}
	} else {
		fprintf(out, "The \\fB%s\\fR commands of \\fBbgxdp\\fR(8).\n", group);
		for (size_t i = 0; i < n; i++)
			group_command(out, c[i]);
	}
	fputs(".SH \"GLOBAL OPTIONS\"\n", out);
	put_options(out, global_params);
	group_examples(out, c, n);
	group_exit_status(out, c, n);
	fputs(".SH \"SEE ALSO\"\n.BR bgxdp (8)\n", out);
	return 0;
}

/* ---- pages --------------------------------------------------------------- */

int man_render(const struct cli_table *t, const char *page, FILE *out)
{
	if (!strcmp(page, "bgxdp"))
		return render_main(t, out);
	if (!strncmp(page, PAGE_PREFIX, strlen(PAGE_PREFIX)))
		page += strlen(PAGE_PREFIX);
	return render_group(t, page, out);
}

void man_list(const struct cli_table *t, FILE *out)
{
	char g[GROUP_LEN];

	fputs("bgxdp\n", out);
	for (size_t i = 0; i < t->ncmds; i++) {
		if (!first_of_group(t, i))
			continue;
		cmd_group(t->cmds[i], g, sizeof(g));
		fprintf(out, PAGE_PREFIX "%s\n", g);
	}
}

static int man_main(const struct cli_table *t, int argc, char **argv)
{
	int r;

	if (argc != 2) {
		fprintf(stderr, "bgxdp: __man: usage: bgxdp __man --list | PAGE\n");
		return 2;
	}
	if (!strcmp(argv[1], "--list")) {
		man_list(t, stdout);
	} else if ((r = man_render(t, argv[1], stdout))) {
		fprintf(stderr, "bgxdp: __man: %s '%s' (see 'bgxdp __man --list')\n",
			r == -ENOENT ? "unknown page" : "cannot render page", argv[1]);
		return r == -ENOENT ? 2 : 1;
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "bgxdp: __man: cannot write the page: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

bool cli_hidden_command(const char *word)
{
	return !strcmp(word, "__man") || !strcmp(word, "__complete");
}

int cli_hidden_run(const struct cli_table *t, int argc, char **argv)
{
	if (!strcmp(argv[0], "__man"))
		return man_main(t, argc, argv);
	return complete_main(t, argc - 1, argv + 1, stdout);
}
