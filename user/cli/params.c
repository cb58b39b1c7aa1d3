// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* params.c - the data-driven parser of command lines (see params.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "params.h"

const struct param global_params[] = {
	PARAM_OPT(struct cli_globals, pin_dir, P_STRING, "pin-dir", "DIR",
		  .help = "bpffs directory of the bgxdp instance. Default: $BGXDP_PIN_DIR if set, else /sys/fs/bpf/bgxdp."),
	PARAM_OPT(struct cli_globals, verbose, P_FLAG, "verbose", NULL, .short_name = 'v',
		  .help = "Say what bgxdp does, step by step, on stderr."),
	PARAM_OPT(struct cli_globals, json, P_FLAG, "json", NULL, .short_name = 'j',
		  .help = "Print the result as one JSON object (stable keys), and an error as "
			  "{\"error\": ..., \"command\": ...} on stderr."),
	PARAM_OPT(struct cli_globals, pretty, P_FLAG, "pretty", NULL, .short_name = 'p',
		  .help = "With --json: indent the JSON."),
	PARAM_OPT(struct cli_globals, help, P_FLAG, "help", NULL, .short_name = 'h',
		  .help = "Show this help and exit."),
	PARAM_END
};

/* ---- values ---- */

static int parse_enum(const struct param *p, const char *text, const char *label, int *out,
		      struct bgx_err *e)
{
	char list[160] = "";

	for (int i = 0; p->choices[i]; i++) {
		if (!strcmp(p->choices[i], text)) {
			*out = i;
			return 0;
		}
	}
	for (const char *const *c = p->choices; *c; c++) {
		strncat(list, *c, sizeof(list) - strlen(list) - 1);
		if (c[1])
			strncat(list, c[2] ? ", " : " or ", sizeof(list) - strlen(list) - 1);
	}
	return bgx_fail_usage(e, EINVAL, "%s: bad value '%s' (expected %s)", label, text, list);
}

static int parse_iface(const char *text, char *out, struct bgx_err *e)
{
	if (strlen(text) >= IF_NAMESIZE || !if_nametoindex(text))
		return bgx_fail(e, ENODEV, "no interface named '%s'", text);
	memcpy(out, text, strlen(text) + 1);
	return 0;
}

/* "eth1,eth2" -> ifindexes; every name is checked before anything changes. */
static int parse_iface_list(const char *text, struct iface_list *list, struct bgx_err *e)
{
	char buf[BGXDP_MAX_TX_PORTS * (IF_NAMESIZE + 1)];
	char *save = NULL;

	memset(list, 0, sizeof(*list));
	list->text = text;
	if (strlen(text) >= sizeof(buf))
		return bgx_fail(e, EINVAL, "--fast-path: list too long (at most %d interfaces)",
				BGXDP_MAX_TX_PORTS);
	memcpy(buf, text, strlen(text) + 1);
	for (char *dev = strtok_r(buf, ",", &save); dev; dev = strtok_r(NULL, ",", &save)) {
		unsigned int ifindex;

		if (strlen(dev) >= IF_NAMESIZE || !(ifindex = if_nametoindex(dev)))
			return bgx_fail(e, ENODEV, "--fast-path: no interface named '%s'", dev);
		if (list->n == BGXDP_MAX_TX_PORTS)
			return bgx_fail(e, EINVAL, "--fast-path: at most %d interfaces",
					BGXDP_MAX_TX_PORTS);
		list->ifindex[list->n++] = ifindex;
	}
	if (!list->n)
		return bgx_fail(e, EINVAL, "--fast-path: expected DEV[,DEV...], got '%s'", text);
	return 0;
}

int param_parse_value(const struct param *p, const char *text, const char *label, void *field,
		      struct bgx_err *e)
{
	switch (p->type) {
	case P_FLAG:
		*(bool *)field = true;
		return 0;
	case P_STRING:
		*(const char **)field = text;
		return 0;
	case P_UINT:
		return bgx_parse_uint(text, label, p->min, p->max, field, e);
	case P_ENUM:
		return parse_enum(p, text, label, field, e);
	case P_NAME: {
		int r = bgx_parse_name(text, label, e);

		if (r)
			return r;
		memcpy(field, text, strlen(text) + 1);
		return 0;
	}
	case P_ENDPOINT:
		return bgx_parse_endpoint(text, label, field, e);
	case P_COLOR:
		return bgx_parse_color(text, label, field, e);
	case P_PERCENT:
		return bgx_parse_percent_bp(text, label, field, e);
	case P_DURATION:
		return bgx_parse_duration_ms(text, label, p->min, p->max, field, e);
	case P_IFACE:
		return parse_iface(text, field, e);
	case P_IFLIST:
		return parse_iface_list(text, field, e);
	}
	return bgx_fail(e, EINVAL, "%s: unknown parameter type", label);
}

/* ---- the command line ---- */

/* Every parameter of a parse: the command's, then the global ones. */
#define PARSE_MAX 40

struct parse {
	const struct cmd_spec *spec;
	const struct param *defs[PARSE_MAX];
	void *base[PARSE_MAX];          /* the struct each parameter fills */
	const char *text[PARSE_MAX];    /* the value given */
	bool seen[PARSE_MAX];
	int n, npos, nargs;
	const char *pos[ARGS_MAX];
	bool help;
};

static void *field_of(const struct parse *ps, int i)
{
	return (char *)ps->base[i] + ps->defs[i]->offset;
}

static int add_table(struct parse *ps, const struct param *table, void *base, struct bgx_err *e)
{
	for (; table && !param_is_end(table); table++) {
		if (ps->n >= PARSE_MAX)
			return bgx_fail_usage(e, E2BIG, "too many parameters in the command table");
		ps->defs[ps->n] = table;
		ps->base[ps->n] = base;
		ps->nargs += table->positional;
		ps->n++;
	}
	return 0;
}

/* Defaults first: a given value overwrites them. */
static int apply_defaults(struct parse *ps, struct bgx_err *e)
{
	int r;

	for (int i = 0; i < ps->n; i++) {
		const struct param *p = ps->defs[i];
		char label[64];

		if (!p->def)
			continue;
		snprintf(label, sizeof(label), "--%s", p->name);
		if ((r = param_parse_value(p, p->def, label, field_of(ps, i), e)))
			return r;
	}
	return 0;
}

static int find_option(const struct parse *ps, const char *arg)
{
	if (arg[1] == '-') {
		const char *name = arg + 2, *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);

		for (int i = 0; i < ps->n; i++)
			if (ps->defs[i]->name && strlen(ps->defs[i]->name) == len &&
			    !strncmp(ps->defs[i]->name, name, len))
				return i;
		return -1;
	}
	for (int i = 0; arg[2] == 0 && i < ps->n; i++)
		if (ps->defs[i]->short_name && ps->defs[i]->short_name == arg[1])
			return i;
	return -1;
}

/* "-1", "-.5": a (bad) value, that the command reports as such. */
static bool looks_like_value(const char *a)
{
	return a[0] != '-' || !a[1] || (a[1] >= '0' && a[1] <= '9') || a[1] == '.';
}

static int take_option(struct parse *ps, int argc, char **argv, int *i, struct bgx_err *e)
{
	const char *a = argv[*i], *eq = a[1] == '-' ? strchr(a + 2, '=') : NULL;
	int idx = find_option(ps, a);
	const struct param *p;

	if (idx < 0)
		return bgx_fail_usage(e, EINVAL, "unknown option '%s' (see 'bgxdp %s --help')", a,
				      ps->spec->name);
	p = ps->defs[idx];
	if (ps->seen[idx])
		return bgx_fail_usage(e, EINVAL, "option --%s given more than once", p->name);
	ps->seen[idx] = true;
	if (p->type == P_FLAG) {
		if (eq)
			return bgx_fail_usage(e, EINVAL, "option --%s takes no value", p->name);
		ps->help |= !strcmp(p->name, "help");
		/* at once: --json shapes the error of a later mistake too */
		*(bool *)field_of(ps, idx) = true;
		return 0;
	}
	if (eq) {
		ps->text[idx] = eq + 1;
		return 0;
	}
	if (*i + 1 >= argc || !strncmp(argv[*i + 1], "--", 2))
		return bgx_fail_usage(e, EINVAL, "option --%s needs a value (%s)", p->name,
				      p->metavar ? p->metavar : "VALUE");
	ps->text[idx] = argv[++*i];
	return 0;
}

/* Words into positionals and options, nothing checked beyond the shape. */
static int split_words(struct parse *ps, int argc, char **argv, struct bgx_err *e)
{
	bool only_positionals = false;
	int r;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (only_positionals || looks_like_value(a)) {
			if (ps->npos >= ARGS_MAX || ps->npos >= ps->nargs)
				return bgx_fail_usage(e, EINVAL, "unexpected argument '%s' (usage: bgxdp %s%s%s)",
						      a, ps->spec->name, ps->spec->synopsis[0] ? " " : "",
						      ps->spec->synopsis);
			ps->pos[ps->npos++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_positionals = true;
			continue;
		}
		if ((r = take_option(ps, argc, argv, &i, e)))
			return r;
	}
	return 0;
}

static const struct param *positional(const struct parse *ps, int n, int *index)
{
	for (int i = 0; i < ps->n; i++)
		if (ps->defs[i]->positional && n-- == 0) {
			*index = i;
			return ps->defs[i];
		}
	return NULL;
}

/* Typed values, in the order the command line's mistakes are reported:
 * required options and the options whose type is a number or a choice,
 * missing arguments, the arguments, then the other options given. */
static int check_and_convert(struct parse *ps, struct bgx_err *e)
{
	char label[64];
	int idx, r;

	for (int i = 0; i < ps->n; i++) {
		const struct param *p = ps->defs[i];

		if (p->positional)
			continue;
		if (p->required && !ps->seen[i])
			return bgx_fail_usage(e, EINVAL, "missing required option --%s %s", p->name,
					      p->metavar ? p->metavar : "VALUE");
		snprintf(label, sizeof(label), "--%s", p->name);
		if (ps->seen[i] && (p->type == P_UINT || p->type == P_ENUM || p->type == P_FLAG) &&
		    (r = param_parse_value(p, ps->text[i], label, field_of(ps, i), e)))
			return r;
	}
	if (ps->npos < ps->nargs)
		return bgx_fail_usage(e, EINVAL, "missing argument %s (usage: bgxdp %s %s)",
				      positional(ps, ps->npos, &idx)->metavar, ps->spec->name,
				      ps->spec->synopsis);
	for (int n = 0; n < ps->npos; n++) {
		const struct param *p = positional(ps, n, &idx);

		if ((r = param_parse_value(p, ps->pos[n], p->label, field_of(ps, idx), e)))
			return r;
	}
	for (int i = 0; i < ps->n; i++) {
		const struct param *p = ps->defs[i];

		if (p->positional || !ps->seen[i] || p->type == P_UINT || p->type == P_ENUM ||
		    p->type == P_FLAG)
			continue;
		snprintf(label, sizeof(label), "--%s", p->name);
		if ((r = param_parse_value(p, ps->text[i], label, field_of(ps, i), e)))
			return r;
	}
	return 0;
}

int params_parse(const struct cmd_spec *spec, int argc, char **argv, void *params,
		 void *globals, struct bgx_err *e)
{
	struct parse ps = { .spec = spec };
	int r;

	memset(params, 0, spec->params_size);
	if ((r = add_table(&ps, spec->params, params, e)) ||
	    (r = add_table(&ps, global_params, globals, e)) ||
	    (r = apply_defaults(&ps, e)) || (r = split_words(&ps, argc, argv, e)))
		return r;
	if (ps.help)
		return 1;
	if ((r = check_and_convert(&ps, e)))
		return r;
	return spec->validate ? spec->validate(params, e) : 0;
}

/* ---- help ---- */

static void print_param(const struct param *p, FILE *f)
{
	char head[96];
	int n = 0;

	if (p->short_name)
		n = snprintf(head, sizeof(head), "-%c, ", p->short_name);
	snprintf(head + n, sizeof(head) - (size_t)n, "--%s%s%s", p->name,
		 p->type == P_FLAG ? "" : " ",
		 p->type == P_FLAG ? "" : (p->metavar ? p->metavar : "VALUE"));
	fprintf(f, "  %s\n      %s", head, p->help);
	if (p->required)
		fprintf(f, " Required.");
	else if (p->def)
		fprintf(f, " Default: %s.", p->def);
	fprintf(f, "\n");
}

static bool has_positionals(const struct param *p)
{
	for (; p && !param_is_end(p); p++)
		if (p->positional)
			return true;
	return false;
}

void params_print_help(const struct cmd_spec *spec, FILE *f)
{
	const struct param *p;

	fprintf(f, "NAME\n  bgxdp %s - %s\n\n", spec->name, spec->summary);
	fprintf(f, "SYNOPSIS\n  bgxdp %s %s\n\n", spec->name, spec->synopsis);
	fprintf(f, "DESCRIPTION\n%s\n", spec->description);
	if (has_positionals(spec->params)) {
		fprintf(f, "ARGUMENTS\n");
		for (p = spec->params; !param_is_end(p); p++)
			if (p->positional)
				fprintf(f, "  %s\n      %s\n", p->metavar, p->help);
		fprintf(f, "\n");
	}
	fprintf(f, "OPTIONS\n");
	for (p = spec->params; p && !param_is_end(p); p++)
		if (!p->positional)
			print_param(p, f);
	for (p = global_params; !param_is_end(p); p++)
		print_param(p, f);
	if (spec->examples)
		fprintf(f, "\nEXAMPLES\n%s", spec->examples);
	fprintf(f, "\nEXIT STATUS\n%s",
		spec->exit_status ? spec->exit_status :
		"  0  done.\n"
		"  1  failed; one line 'bgxdp: <what failed>: <why>' on stderr, nothing changed.\n"
		"  2  bad usage (unknown or repeated option, missing or extra argument, a\n"
		"     malformed or out-of-range value); nothing changed.\n");
}

const struct param *param_positional(const struct cmd_spec *spec, int n)
{
	for (const struct param *p = spec->params; p && !param_is_end(p); p++)
		if (p->positional && n-- == 0)
			return p;
	return NULL;
}
