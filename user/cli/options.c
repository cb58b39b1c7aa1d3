// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "options.h"
#include "values.h"
#include "util.h"

const struct opt_def global_opts[] = {
	{ .name = "pin-dir", .type = OPT_STRING, .metavar = "DIR",
	  .help = "bpffs directory of the bgxdp instance. Default: $BGXDP_PIN_DIR if set, else /sys/fs/bpf/bgxdp." },
	{ .name = "help", .short_name = 'h', .type = OPT_FLAG,
	  .help = "Show this help and exit." },
	{ 0 }
};

static int add_defs(struct opts *o, const struct opt_def *defs)
{
	for (; defs && defs->name; defs++) {
		if (o->ndefs >= OPTS_MAX)
			return err_set(E2BIG, "too many options in the command table");
		o->defs[o->ndefs] = defs;
		o->val[o->ndefs] = defs->def;
		o->ndefs++;
	}
	return 0;
}

static int find_long(const struct opts *o, const char *name, size_t len)
{
	for (int i = 0; i < o->ndefs; i++)
		if (strlen(o->defs[i]->name) == len && !strncmp(o->defs[i]->name, name, len))
			return i;
	return -1;
}

static int find_short(const struct opts *o, char c)
{
	for (int i = 0; i < o->ndefs; i++)
		if (o->defs[i]->short_name && o->defs[i]->short_name == c)
			return i;
	return -1;
}

static int check_value(const struct opt_def *d, const char *v)
{
	char label[64];

	snprintf(label, sizeof(label), "--%s", d->name);
	if (d->type == OPT_UINT) {
		unsigned long long x;

		return parse_uint(v, label, d->min, d->max, &x);
	}
	if (d->type == OPT_ENUM) {
		char list[160] = "";

		for (const char *const *c = d->choices; *c; c++)
			if (!strcmp(*c, v))
				return 0;
		for (const char *const *c = d->choices; *c; c++) {
			strncat(list, *c, sizeof(list) - strlen(list) - 1);
			if (c[1])
				strncat(list, c[2] ? ", " : " or ",
					sizeof(list) - strlen(list) - 1);
		}
		return err_set(EINVAL, "%s: bad value '%s' (expected %s)", label, v, list);
	}
	return 0;
}

int opts_parse(const struct cmd_spec *spec, int argc, char **argv, struct opts *o)
{
	const char *gpin = o->global_pin_dir;
	bool only_pos = false;
	int nargs = 0, r;

	memset(o, 0, sizeof(*o));
	o->spec = spec;
	o->global_pin_dir = gpin;
	if ((r = add_defs(o, spec->opts)) || (r = add_defs(o, global_opts)))
		return r;
	for (const struct arg_def *a = spec->args; a && a->name; a++)
		nargs++;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		int idx;

		/* "-1", "-.5": a (bad) value, let the command say why */
		if (only_pos || a[0] != '-' || !a[1] ||
		    (a[1] >= '0' && a[1] <= '9') || a[1] == '.') {
			if (o->npos >= ARGS_MAX || o->npos >= nargs)
				return err_set(EINVAL, "unexpected argument '%s' (usage: bgxdp %s%s%s)",
					       a, spec->name, spec->synopsis[0] ? " " : "",
					       spec->synopsis);
			o->pos[o->npos++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_pos = true;
			continue;
		}
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);

			idx = find_long(o, a + 2, len);
			if (eq)
				v = eq + 1;
		} else {
			idx = a[2] ? -1 : find_short(o, a[1]);
		}
		if (idx < 0)
			return err_set(EINVAL, "unknown option '%s' (see 'bgxdp %s --help')",
				       a, spec->name);
		const struct opt_def *d = o->defs[idx];

		if (o->seen[idx])
			return err_set(EINVAL, "option --%s given more than once", d->name);
		o->seen[idx] = true;
		if (d->type == OPT_FLAG) {
			if (v)
				return err_set(EINVAL, "option --%s takes no value", d->name);
			o->val[idx] = "1";
			if (!strcmp(d->name, "help"))
				o->help = true;
			continue;
		}
		if (!v) {
			if (i + 1 >= argc || !strncmp(argv[i + 1], "--", 2))
				return err_set(EINVAL, "option --%s needs a value (%s)",
					       d->name, d->metavar ? d->metavar : "VALUE");
			v = argv[++i];
		}
		o->val[idx] = v;
	}
	if (o->help)
		return 1;
	for (int i = 0; i < o->ndefs; i++) {
		if (o->defs[i]->required && !o->seen[i])
			return err_set(EINVAL, "missing required option --%s %s",
				       o->defs[i]->name,
				       o->defs[i]->metavar ? o->defs[i]->metavar : "VALUE");
		if (o->seen[i] && (r = check_value(o->defs[i], o->val[i])))
			return r;
	}
	if (o->npos < nargs)
		return err_set(EINVAL, "missing argument %s (usage: bgxdp %s %s)",
			       spec->args[o->npos].name, spec->name, spec->synopsis);
	return 0;
}

static int find_name(const struct opts *o, const char *name)
{
	return find_long(o, name, strlen(name));
}

const char *opt_str(const struct opts *o, const char *name)
{
	int i = find_name(o, name);

	return i < 0 ? NULL : o->val[i];
}

bool opt_given(const struct opts *o, const char *name)
{
	int i = find_name(o, name);

	return i >= 0 && o->seen[i];
}

bool opt_flag(const struct opts *o, const char *name)
{
	return opt_given(o, name);
}

unsigned long long opt_uint(const struct opts *o, const char *name)
{
	const char *v = opt_str(o, name);

	return v ? strtoull(v, NULL, 10) : 0;
}

static void print_opt(const struct opt_def *d, FILE *f)
{
	char head[96];
	int n = 0;

	if (d->short_name)
		n = snprintf(head, sizeof(head), "-%c, ", d->short_name);
	snprintf(head + n, sizeof(head) - (size_t)n, "--%s%s%s", d->name,
		 d->type == OPT_FLAG ? "" : " ",
		 d->type == OPT_FLAG ? "" : (d->metavar ? d->metavar : "VALUE"));
	fprintf(f, "  %s\n      %s", head, d->help);
	if (d->required)
		fprintf(f, " Required.");
	else if (d->def)
		fprintf(f, " Default: %s.", d->def);
	fprintf(f, "\n");
}

void opts_print_help(const struct cmd_spec *spec, FILE *f)
{
	fprintf(f, "NAME\n  bgxdp %s - %s\n\n", spec->name, spec->summary);
	fprintf(f, "SYNOPSIS\n  bgxdp %s %s\n\n", spec->name, spec->synopsis);
	fprintf(f, "DESCRIPTION\n%s\n", spec->description);
	if (spec->args && spec->args->name) {
		fprintf(f, "ARGUMENTS\n");
		for (const struct arg_def *a = spec->args; a->name; a++)
			fprintf(f, "  %s\n      %s\n", a->name, a->help);
		fprintf(f, "\n");
	}
	fprintf(f, "OPTIONS\n");
	for (const struct opt_def *d = spec->opts; d && d->name; d++)
		print_opt(d, f);
	for (const struct opt_def *d = global_opts; d->name; d++)
		print_opt(d, f);
	if (spec->examples)
		fprintf(f, "\nEXAMPLES\n%s", spec->examples);
	fprintf(f, "\nEXIT STATUS\n%s",
		spec->exit_status ? spec->exit_status :
		"  0  done.\n"
		"  1  failed; one line 'bgxdp: <what failed>: <why>' on stderr, nothing changed.\n"
		"  2  bad usage (unknown or repeated option, missing or extra argument, a\n"
		"     malformed or out-of-range value); nothing changed.\n");
}
