// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * complete.c - what the word under the cursor can be (see complete.h).
 *
 * The words before it are read the way main() and opts_parse() read a
 * command line (global options, command name of one or two words, options
 * with their values, positional arguments), so completion follows the
 * tables: a new command, option or choice completes without a change here.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "complete.h"
#include "man.h"

enum kind {
	K_NONE,
	K_ALTERNATIVES,         /* "a|b|c": the words themselves */
	K_SERVICE,
	K_BACKEND,
	K_IFACE,
	K_IFACE_LIST,           /* DEV[,DEV...] */
	K_FILE,
	K_DIR,
};

/* Options main() takes before a command that are not in global_params. */
static const char *const extra_global_words[] = { "--version", NULL };
/* Verbs whose last argument names a thing that does not exist yet. */
static const char *const creating_verbs[] = { "add", "attach", NULL };

struct comp {
	const struct cli_table *t;
	live_status_fn status_fn;
	json_t *status;                 /* fetched on first use */
	bool status_tried;
	const char *pin_dir;            /* --pin-dir typed, else NULL */
	const struct cmd_spec *spec;
	const char *pos[ARGS_MAX];
	int npos;
	const struct param *seen[40];
	int nseen;
	const char *service;            /* --service typed */
	const char *cur;                /* the word being completed */
	char prefix[256];               /* part of cur kept in front of candidates */
	struct cands out;
	const char *mode;               /* "words", "files" or "dirs" */
};

static json_t *live(struct comp *c)
{
	if (!c->status_tried) {
		c->status_tried = true;
		c->status = c->status_fn(c->pin_dir);
	}
	return c->status;
}

static bool takes_value(const struct param *d)
{
	return d->type != P_FLAG;
}

/* Same rule as opts_parse(): "-1" or "-.5" is a value, not an option. */
static bool looks_like_option(const char *w)
{
	return w[0] == '-' && w[1] && !isdigit((unsigned char)w[1]) && w[1] != '.';
}

static const struct param *find_in(const struct param *defs, const char *w, size_t len, bool is_short)
{
	for (const struct param *d = defs; d && !param_is_end(d); d++) {
		if (d->positional)
			continue;
		if (is_short ? d->short_name == w[0]
			     : strlen(d->name) == len && !strncmp(d->name, w, len))
			return d;
	}
	return NULL;
}

/* The option a word names (--name, --name=value, -x), or NULL. */
static const struct param *find_option(const struct cmd_spec *spec, const char *w)
{
	const struct param *d;
	bool is_short = w[1] != '-';
	const char *name = w + (is_short ? 1 : 2);
	size_t len = strcspn(name, "=");

	if (is_short && len != 1)
		return NULL;
	d = spec ? find_in(spec->params, name, len, is_short) : NULL;
	return d ? d : find_in(global_params, name, len, is_short);
}

static bool has_subcommands(const struct cli_table *t, const char *group)
{
	size_t gl = strlen(group);

	for (size_t i = 0; i < t->ncmds; i++)
		if (!strncmp(t->cmds[i]->name, group, gl) && t->cmds[i]->name[gl] == ' ')
			return true;
	return false;
}

static const struct cmd_spec *find_cmd(const struct cli_table *t, const char *group, const char *sub)
{
	size_t gl = strlen(group);

	for (size_t i = 0; i < t->ncmds; i++) {
		const char *n = t->cmds[i]->name;

		if (!sub && !strcmp(n, group))
			return t->cmds[i];
		if (sub && !strncmp(n, group, gl) && n[gl] == ' ' && !strcmp(n + gl + 1, sub))
			return t->cmds[i];
	}
	return NULL;
}

/* ---- what a name or metavar asks for ------------------------------------- */

static bool all_lower_words(const char *label)
{
	for (const char *p = label; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || strchr("|_-", *p)))
			return false;
	return true;
}

static enum kind label_kind(const char *label)
{
	if (!label)
		return K_NONE;
	if (strchr(label, '|'))
		return all_lower_words(label) ? K_ALTERNATIVES :
		       strstr(label, "FILE") ? K_FILE : K_NONE;
	if (!strncmp(label, "IFACE", 5) || !strncmp(label, "DEV", 3) || !strncmp(label, "INTERFACE", 9))
		return strstr(label, "[,") ? K_IFACE_LIST : K_IFACE;
	if (!strcmp(label, "NAME") || !strcmp(label, "SERVICE"))
		return K_SERVICE;
	if (!strcmp(label, "ADDR:PORT"))
		return K_BACKEND;
	if (!strcmp(label, "FILE") || !strcmp(label, "PATH"))
		return K_FILE;
	if (!strcmp(label, "DIR"))
		return K_DIR;
	return K_NONE;
}

static bool is_creating(const struct cmd_spec *spec)
{
	const char *verb = strrchr(spec->name, ' ');

	verb = verb ? verb + 1 : spec->name;
	for (const char *const *v = creating_verbs; *v; v++)
		if (!strcmp(verb, *v))
			return true;
	return false;
}

static void add_alternatives(struct comp *c, const char *label)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "%s", label);
	for (char *save = NULL, *w = strtok_r(buf, "|", &save); w; w = strtok_r(NULL, "|", &save))
		cands_add(&c->out, w);
}

/* The service and color typed as arguments before the cursor. */
static void typed_service_color(const struct comp *c, const char **service, const char **color)
{
	*service = c->service;
	*color = NULL;
	for (int i = 0; i < c->npos && param_positional(c->spec, i); i++) {
		enum kind k = label_kind(param_positional(c->spec, i)->metavar);

		if (k == K_SERVICE)
			*service = c->pos[i];
		else if (k == K_ALTERNATIVES && (!strcmp(c->pos[i], "blue") || !strcmp(c->pos[i], "green")))
			*color = c->pos[i];
	}
}

static void add_interfaces(struct comp *c, bool attached)
{
	size_t before = c->out.n;

	if (attached && live(c))
		live_interfaces(live(c), &c->out);
	if (!attached || c->out.n == before)
		system_interfaces(&c->out);
}

/* DEV[,DEV...]: an interface already in the list is not offered again. */
static void drop_listed(struct comp *c)
{
	size_t keep = 0;
	char list[sizeof(c->prefix) + 2];

	snprintf(list, sizeof(list), ",%s", c->prefix);
	for (size_t i = 0; i < c->out.n; i++) {
		char item[sizeof(c->prefix) + 2];

		snprintf(item, sizeof(item), ",%s,", c->out.v[i]);
		if (strstr(list, item))
			free(c->out.v[i]);
		else
			c->out.v[keep++] = c->out.v[i];
	}
	c->out.n = keep;
}

/* Candidates for a value of kind k; `fresh`: it names a new thing. */
static void add_kind(struct comp *c, enum kind k, const char *label, bool fresh, bool positional)
{
	const char *service, *color, *comma;

	switch (k) {
	case K_ALTERNATIVES:
		add_alternatives(c, label);
		break;
	case K_SERVICE:
		if (!fresh && live(c))
			live_services(live(c), &c->out);
		break;
	case K_BACKEND:
		if (!fresh && positional && live(c)) {
			typed_service_color(c, &service, &color);
			live_backends(live(c), service, color, &c->out);
		}
		break;
	case K_IFACE:
		add_interfaces(c, !fresh && positional);
		break;
	case K_IFACE_LIST:
		/* complete the last element; keep what is before it */
		comma = strrchr(c->cur + strlen(c->prefix), ',');
		if (comma)
			snprintf(c->prefix, sizeof(c->prefix), "%.*s", (int)(comma + 1 - c->cur), c->cur);
		add_interfaces(c, false);
		drop_listed(c);
		break;
	case K_FILE:
		c->mode = "files";
		break;
	case K_DIR:
		c->mode = "dirs";
		break;
	case K_NONE:
		break;
	}
}

static void add_option_value(struct comp *c, const struct param *d)
{
	if (d->type == P_ENUM) {
		for (const char *const *ch = d->choices; ch && *ch; ch++)
			cands_add(&c->out, *ch);
		return;
	}
	enum kind k = label_kind(d->metavar);

	/* only --service names a service; --fleet NAME and the like do not */
	if (!strcmp(d->name, "service"))
		k = K_SERVICE;
	else if (k == K_SERVICE)
		k = K_NONE;
	add_kind(c, k, d->metavar, false, false);
}

static bool was_seen(const struct comp *c, const struct param *d)
{
	for (int i = 0; i < c->nseen; i++)
		if (c->seen[i] == d)
			return true;
	return false;
}

static void add_options(struct comp *c, const struct param *defs)
{
	char buf[96];

	for (const struct param *d = defs; d && !param_is_end(d); d++) {
		if (d->positional || was_seen(c, d))
			continue;
		snprintf(buf, sizeof(buf), "--%s", d->name);
		cands_add(&c->out, buf);
	}
}

/* ---- the command line ---------------------------------------------------- */

/* Global options and the command name; returns the index after them, or
 * -1 when the cursor is on one of them (candidates added). */
static int read_command(struct comp *c, int n, char **w)
{
	int i = 0;

	while (i < n - 1 && looks_like_option(w[i])) {
		if (!strcmp(w[i], "--pin-dir")) {
			if (i + 1 == n - 1) {
				c->mode = "dirs";
				return -1;
			}
			c->pin_dir = w[i + 1];
			i += 2;
			continue;
		}
		if (!strncmp(w[i], "--pin-dir=", 10))
			c->pin_dir = w[i] + 10;
		i++;
	}
	if (i == n - 1) {
		if (looks_like_option(c->cur)) {
			add_options(c, global_params);
			for (const char *const *g = extra_global_words; *g; g++)
				cands_add(&c->out, *g);
		} else {
			for (size_t k = 0; k < c->t->ncmds; k++) {
				char g[64];

				cmd_group(c->t->cmds[k], g, sizeof(g));
				cands_add(&c->out, g);
			}
		}
		return -1;
	}
	if (has_subcommands(c->t, w[i])) {
		if (i + 1 == n - 1) {
			size_t gl = strlen(w[i]);

			for (size_t k = 0; k < c->t->ncmds; k++)
				if (!strncmp(c->t->cmds[k]->name, w[i], gl) && c->t->cmds[k]->name[gl] == ' ')
					cands_add(&c->out, c->t->cmds[k]->name + gl + 1);
			return -1;
		}
		c->spec = find_cmd(c->t, w[i], w[i + 1]);
		return i + 2;
	}
	c->spec = find_cmd(c->t, w[i], NULL);
	return i + 1;
}

static void note_value(struct comp *c, const struct param *d, const char *v)
{
	if (!strcmp(d->name, "service"))
		c->service = v;
	else if (!strcmp(d->name, "pin-dir"))
		c->pin_dir = v;
}

/* Options and arguments up to the cursor; false when the cursor is on an
 * option's value (candidates added). */
static bool read_arguments(struct comp *c, int from, int n, char **w, bool *only_pos)
{
	for (int i = from; i < n - 1; i++) {
		const struct param *d;
		const char *eq;

		if (*only_pos || !looks_like_option(w[i])) {
			if (c->npos < ARGS_MAX)
				c->pos[c->npos++] = w[i];
			continue;
		}
		if (!strcmp(w[i], "--")) {
			*only_pos = true;
			continue;
		}
		d = find_option(c->spec, w[i]);
		if (!d)
			continue;
		if (c->nseen < 40)
			c->seen[c->nseen++] = d;
		if (!takes_value(d))
			continue;
		eq = strchr(w[i], '=');
		if (eq) {
			note_value(c, d, eq + 1);
		} else if (i + 1 < n - 1) {
			note_value(c, d, w[++i]);
		} else {
			add_option_value(c, d);
			return false;
		}
	}
	return true;
}

static void complete_cursor(struct comp *c, bool only_pos)
{
	int nargs = 0;

	while (param_positional(c->spec, nargs))
		nargs++;
	if (!only_pos && !strncmp(c->cur, "--", 2) && strchr(c->cur, '=')) {
		const struct param *d = find_option(c->spec, c->cur);

		if (d && takes_value(d)) {
			snprintf(c->prefix, sizeof(c->prefix), "%.*s",
				 (int)(strchr(c->cur, '=') + 1 - c->cur), c->cur);
			add_option_value(c, d);
		}
		return;
	}
	if (!only_pos && looks_like_option(c->cur)) {
		add_options(c, c->spec->params);
		add_options(c, global_params);
		return;
	}
	if (c->npos < nargs) {
		const char *label = param_positional(c->spec, c->npos)->metavar;

		add_kind(c, label_kind(label), label,
			 is_creating(c->spec) && c->npos == nargs - 1, true);
		return;
	}
	if (!*c->cur) {
		add_options(c, c->spec->params);
		add_options(c, global_params);
	}
}

static void print_result(const struct comp *c, FILE *out)
{
	size_t pl = strlen(c->prefix), cl = strlen(c->cur);

	fprintf(out, "%s\n", c->mode);
	if (strcmp(c->mode, "words"))
		return;
	for (size_t i = 0; i < c->out.n; i++) {
		const char *w = c->out.v[i];

		/* candidates are printed whole: prefix + word, if they fit cur */
		if (cl <= pl ? true : !strncmp(w, c->cur + pl, cl - pl))
			fprintf(out, "%s%s\n", c->prefix, w);
	}
}

int complete_words(const struct cli_table *t, int nwords, char **words, FILE *out,
		   live_status_fn status)
{
	struct comp c = { .t = t, .status_fn = status, .mode = "words" };
	bool only_pos = false;
	int from;

	c.cur = nwords > 0 ? words[nwords - 1] : "";
	if (nwords > 0) {
		from = read_command(&c, nwords, words);
		if (from >= 0 && c.spec && read_arguments(&c, from, nwords, words, &only_pos))
			complete_cursor(&c, only_pos);
	} else {
		char *empty[] = { "" };

		from = read_command(&c, 1, empty);
	}
	print_result(&c, out);
	cands_free(&c.out);
	json_decref(c.status);
	return ferror(out) ? 1 : 0;
}

int complete_main(const struct cli_table *t, int nwords, char **words, FILE *out)
{
	return complete_words(t, nwords, words, out, live_status_run);
}
