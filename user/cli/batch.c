// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * batch.c - `bgxdp -b FILE|-`: many commands as one change.
 *
 * One command a line, words as a shell would split them (single and double
 * quotes, backslash escapes), '#' to the end of a line a comment, blank
 * lines ignored.  Every line is parsed first; then every line is run, in
 * order, on a copy of the live state (export.h): a line the command itself
 * would refuse refuses the whole batch, and nothing changes.  Only then is
 * the difference applied, as `apply` would (each service published once).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "batch.h"
#include "commands.h"
#include "export.h"
#include "state_dir.h"

#define BATCH_MAX_LINES 4096
#define BATCH_MAX_WORDS 64

struct batch_line {
	unsigned int number;
	const struct cmd_spec *spec;
	void *params;
	char *words[BATCH_MAX_WORDS];   /* point into `text` */
	int nwords;
	char *text;
};

struct batch {
	const char *source;
	struct batch_line lines[BATCH_MAX_LINES];
	int n;
};

/* Split `s` in place into words; false on an unclosed quote. */
static bool split_words(char *s, char **words, int *n, int max)
{
	char *out = s;

	*n = 0;
	while (*s) {
		char quote = 0;

		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (!*s || *s == '#')
			break;
		if (*n >= max)
			return false;
		words[(*n)++] = out;
		for (; *s && (quote || (*s != ' ' && *s != '\t' && *s != '\r')); s++) {
			if (!quote && (*s == '\'' || *s == '"'))
				quote = *s;
			else if (quote && *s == quote)
				quote = 0;
			else if (*s == '\\' && s[1] && quote != '\'')
				*out++ = *++s;
			else
				*out++ = *s;
		}
		if (quote)
			return false;
		if (*s)
			s++;
		*out++ = 0;
	}
	return true;
}

static const struct cmd_spec *find_spec(char **w, int n, int *used)
{
	for (size_t i = 0; i < cli_command_count; i++) {
		const char *name = cli_commands[i]->name, *sp = strchr(name, ' ');

		if (!sp && !strcmp(name, w[0])) {
			*used = 1;
			return cli_commands[i];
		}
		if (sp && n >= 2 && strlen(w[0]) == (size_t)(sp - name) &&
		    !strncmp(name, w[0], (size_t)(sp - name)) && !strcmp(sp + 1, w[1])) {
			*used = 2;
			return cli_commands[i];
		}
	}
	return NULL;
}

/* "FILE:LINE: command: why", a usage error when the line is malformed. */
static int line_fail(const struct batch *b, const struct batch_line *l, const struct bgx_err *why,
		     struct bgx_err *e)
{
	int (*fail)(struct bgx_err *, int, const char *, ...) = why->usage ? bgx_fail_usage : bgx_fail;

	return fail(e, why->code ? why->code : -EINVAL, "%s:%u: %s%s%s", b->source, l->number,
		    l->spec ? l->spec->name : "", l->spec ? ": " : "", why->msg);
}

/* One line into its command and typed parameters. */
static int parse_line(struct batch *b, struct batch_line *l, struct bgx_err *e)
{
	struct cli_globals globals = { 0 };
	struct bgx_err why = { 0 };
	int used = 0, r;

	if (!split_words(l->text, l->words, &l->nwords, BATCH_MAX_WORDS)) {
		bgx_fail_usage(&why, EINVAL, "unclosed quote or more than %d words", BATCH_MAX_WORDS);
		return line_fail(b, l, &why, e);
	}
	if (!l->nwords)
		return 0;
	if (!(l->spec = find_spec(l->words, l->nwords, &used))) {
		bgx_fail_usage(&why, EINVAL, "unknown command '%s'", l->words[0]);
		return line_fail(b, l, &why, e);
	}
	if (!l->spec->batch) {
		bgx_fail_usage(&why, EINVAL, "cannot run in a batch (a batch holds attach, detach, service, backend, set and weight)");
		return line_fail(b, l, &why, e);
	}
	if (!(l->params = calloc(1, l->spec->params_size + 1)))
		return bgx_fail(e, ENOMEM, "out of memory");
	r = params_parse(l->spec, l->nwords - used, l->words + used, l->params, &globals, &why);
	if (r == 1)
		bgx_fail_usage(&why, EINVAL, "--help cannot run in a batch");
	if (r || globals.pin_dir) {
		if (!r)
			bgx_fail_usage(&why, EINVAL, "--pin-dir cannot differ between lines: give it to bgxdp -b");
		return line_fail(b, l, &why, e);
	}
	return 0;
}

static int read_lines(struct batch *b, FILE *f, struct bgx_err *e)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned int number = 0;
	int r = 0;

	while (!r && getline(&line, &cap, f) >= 0) {
		struct batch_line *l;

		number++;
		line[strcspn(line, "\n")] = 0;
		if (b->n >= BATCH_MAX_LINES) {
			r = bgx_fail_usage(e, E2BIG, "%s: more than %d lines", b->source, BATCH_MAX_LINES);
			break;
		}
		l = &b->lines[b->n++];
		l->number = number;
		if (!(l->text = strdup(line)))
			r = bgx_fail(e, ENOMEM, "out of memory");
		else
			r = parse_line(b, l, e);
	}
	free(line);
	return r;
}

/* Every line on a copy of the live model; the first refusal stops all. */
static int run_on_model(struct batch *b, struct bgx_desired *model, struct bgx_err *e)
{
	for (int i = 0; i < b->n; i++) {
		struct batch_line *l = &b->lines[i];
		struct bgx_err why = { 0 };

		if (l->spec && l->spec->batch(l->params, model, &why))
			return line_fail(b, l, &why, e);
	}
	return 0;
}

static void batch_free(struct batch *b)
{
	for (int i = 0; i < b->n; i++) {
		free(b->lines[i].text);
		free(b->lines[i].params);
	}
	free(b);
}

static int load(struct batch *b, const char *path, struct bgx_err *e)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	int r;

	b->source = strcmp(path, "-") ? path : "<stdin>";
	if (!f)
		return bgx_fail(e, errno, "cannot open %s: %s", path, strerror(errno));
	r = read_lines(b, f, e);
	if (f != stdin)
		fclose(f);
	return r;
}

static void render(struct cli *cli, const struct batch *b, const struct bgx_plan *plan,
		   const struct bgx_apply_result *res)
{
	int commands = 0;

	for (int i = 0; i < b->n; i++)
		commands += b->lines[i].spec != NULL;
	if (cli->globals.json) {
		fprintf(cli_json_begin(cli), "{\"commands\":%d,\"steps\":%zu,\"published_services\":%zu}",
			commands, plan->n_steps, res->services_published);
		cli_json_end(cli);
		return;
	}
	fprintf(cli->out, "batch: %d commands, %zu changes applied; %zu services published\n",
		commands, plan->n_steps, res->services_published);
}

int cli_batch(struct cli *cli, const char *path)
{
	struct batch *b = calloc(1, sizeof(*b));
	struct bgx_desired *live = bgx_desired_new(), *model = bgx_desired_new();
	struct bgx_apply_result res = { 0 };
	struct bgx_plan plan = { 0 };
	char state_dir[PATH_MAX];
	int r;

	if (!b || !live || !model) {
		r = bgx_fail(&cli->err, ENOMEM, "out of memory");
		goto out;
	}
	if ((r = load(b, path, &cli->err)) ||
	    (r = state_dir_resolve(NULL, state_dir, sizeof(state_dir), &cli->err)) ||
	    (r = bgx_export_pin_dir(cli->pin_dir, state_dir, live, &cli->err)))
		goto out;
	memcpy(model, live, sizeof(*model));
	if ((r = run_on_model(b, model, &cli->err)) ||
	    (r = bgx_plan_build(live, model, &plan, &cli->err)) ||
	    (!bgx_plan_empty(&plan) &&
	     (r = bgx_apply(cli->pin_dir, state_dir, model, &plan, &res, &cli->err))))
		goto out;
	render(cli, b, &plan, &res);
out:
	bgx_plan_free(&plan);
	bgx_desired_free(live);
	bgx_desired_free(model);
	if (b)
		batch_free(b);
	return r;
}
