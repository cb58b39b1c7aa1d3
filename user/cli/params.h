/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * params.h - commands, their arguments and options, declared as data.
 *
 * Each command is a struct cmd_spec: its help text and one table of
 * parameters (positional arguments in order, then options).  Every
 * parameter names a field of the command's own options struct and a type;
 * the parser fills that struct with typed values (an endpoint, a color, a
 * share in basis points, a duration in ms, ...), each value parsed and
 * checked once, here at the edge.  The same table drives --help and the
 * man pages, so they cannot disagree with what is parsed.
 *
 * Declaring a table (the PARAM_* macros check the field's size against the
 * type at build time):
 *
 *   struct set_params { __u32 color; char service[BGXDP_NAME_LEN]; };
 *   static const struct param set_table[] = {
 *       PARAM_POS(struct set_params, color, P_COLOR, "blue|green", "color",
 *                 "The color that gets all new flows."),
 *       PARAM_OPT(struct set_params, service, P_NAME, "service", "NAME",
 *                 .help = "Service to change."),
 *       PARAM_END
 *   };
 */
#ifndef BGXDP_PARAMS_H
#define BGXDP_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <net/if.h>
#include <linux/types.h>
#include "bgxdp.h"
#include "bgx_err.h"
#include "values.h"

enum param_type {
	P_FLAG,         /* bool: given or not */
	P_STRING,       /* const char *: the text as given (checked by the command) */
	P_UINT,         /* unsigned long long in [min, max] */
	P_ENUM,         /* int: index into choices[] */
	P_NAME,         /* char[BGXDP_NAME_LEN]: a service name */
	P_ENDPOINT,     /* struct endpoint: ADDR:PORT or [ADDR6]:PORT */
	P_COLOR,        /* __u32: BGXDP_BLUE or BGXDP_GREEN */
	P_PERCENT,      /* __u32: basis points 0..10000 */
	P_DURATION,     /* __u64: milliseconds in [min, max] */
	P_IFACE,        /* char[IF_NAMESIZE]: an existing interface */
	P_IFLIST,       /* struct iface_list: existing interfaces, comma-separated */
	P_SEQ,          /* struct param_seq: every occurrence, in order, of the options
			   that share the field (may repeat: --query Q --max V ...) */
};

#define PARAM_SEQ_MAX 24

/* --query 'A' --max 5 --query 'B' --min 1: what was given, in order; the
 * command pairs them up. */
struct param_seq {
	int n;
	struct {
		const char *option;     /* "query", "max", ... */
		const char *text;
	} items[PARAM_SEQ_MAX];
};

/* --fast-path eth1,eth2 */
struct iface_list {
	const char *text;               /* as given */
	int n;
	__u32 ifindex[BGXDP_MAX_TX_PORTS];
};

struct param {
	const char *name;               /* option: long name; positional: NULL */
	char short_name;
	enum param_type type;
	bool positional;
	size_t offset;                  /* of the field in the options struct */
	const char *metavar;            /* "ADDR:PORT"; a positional's name in help */
	const char *label;              /* positional: names it in error messages */
	const char *def;                /* default, as text (parsed like a value) */
	const char *help;
	bool required;
	const char *const *choices;     /* P_ENUM, NULL-terminated */
	unsigned long long min, max;    /* P_UINT, P_DURATION (ms) */
};

/* Field size of each type, checked at build time by the macros below. */
#define PARAM_SIZE_P_FLAG     sizeof(bool)
#define PARAM_SIZE_P_STRING   sizeof(const char *)
#define PARAM_SIZE_P_UINT     sizeof(unsigned long long)
#define PARAM_SIZE_P_ENUM     sizeof(int)
#define PARAM_SIZE_P_NAME     BGXDP_NAME_LEN
#define PARAM_SIZE_P_ENDPOINT sizeof(struct endpoint)
#define PARAM_SIZE_P_COLOR    sizeof(__u32)
#define PARAM_SIZE_P_PERCENT  sizeof(__u32)
#define PARAM_SIZE_P_DURATION sizeof(__u64)
#define PARAM_SIZE_P_IFACE    IF_NAMESIZE
#define PARAM_SIZE_P_IFLIST   sizeof(struct iface_list)
#define PARAM_SIZE_P_SEQ      sizeof(struct param_seq)

/* offsetof(), plus 0, or a build error when the field's size does not fit
 * the type. */
#define PARAM_FIELD(st, field, type)                                            \
	(offsetof(st, field) +                                                  \
	 0 * sizeof(char[sizeof(((st *)0)->field) == PARAM_SIZE_##type ? 1 : -1]))

#define PARAM_POS(st, field, type_, metavar_, label_, help_)                   \
	{ .type = type_, .positional = true, .offset = PARAM_FIELD(st, field, type_), \
	  .metavar = metavar_, .label = label_, .help = help_ }

#define PARAM_OPT(st, field, type_, name_, metavar_, ...)                      \
	{ .name = name_, .type = type_, .offset = PARAM_FIELD(st, field, type_),  \
	  .metavar = metavar_, __VA_ARGS__ }

#define PARAM_END { .type = P_FLAG, .name = NULL, .positional = false, .offset = 0 }

static inline bool param_is_end(const struct param *p)
{
	return !p->name && !p->positional;
}

struct cli;
struct bgx_desired;

struct cmd_spec {
	const char *name;               /* "service add" */
	const char *summary;            /* one line, for bgxdp --help */
	const char *synopsis;           /* arguments after the name */
	const char *description;
	const struct param *params;     /* positionals, then options; may be NULL */
	size_t params_size;             /* size of the command's options struct */
	const char *examples;
	const char *exit_status;        /* NULL: the default text */
	bool changes_state;             /* needs CAP_BPF and CAP_NET_ADMIN */
	bool in_agent;                  /* run by the agent's program (run is NULL) */
	/* Checks across values (e.g. --preview of the VIP's family); may be NULL. */
	int (*validate)(void *params, struct bgx_err *e);
	int (*run)(const void *params, struct cli *cli);
	/* What the command does to a declarative model (user/lib/desired.h),
	 * for a batch (`bgxdp -b`); NULL: it cannot run in a batch. */
	int (*batch)(const void *params, struct bgx_desired *model, struct bgx_err *e);
};

/* Options every command takes (struct cli_globals, see cli.h). */
extern const struct param global_params[];

#define ARGS_MAX 8

/*
 * Parse argv (the words after the command name) into `params` (the
 * command's struct, params_size bytes, zeroed and given its defaults here)
 * and `globals`.  Returns 0, 1 when help was asked for (nothing else is
 * checked then), or a negative errno with the error in `e`: e->usage is
 * set for every mistake of the command line itself.
 */
int params_parse(const struct cmd_spec *spec, int argc, char **argv, void *params,
		 void *globals, struct bgx_err *e);

/* One value of type `p->type` into `field`; `label` names it in errors. */
int param_parse_value(const struct param *p, const char *text, const char *label, void *field,
		      struct bgx_err *e);

void params_print_help(const struct cmd_spec *spec, FILE *f);

/* The n-th positional argument of a command (0-based), or NULL. */
const struct param *param_positional(const struct cmd_spec *spec, int n);

#endif
