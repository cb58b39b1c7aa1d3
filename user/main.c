// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bgxdp - blue-green traffic switcher: command dispatch.
 *
 * Each command is a struct cmd_spec (user/cmd_*.c) listed in cmds[]; its
 * options table drives parsing, defaults and --help (user/options.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "commands.h"
#include "options.h"
#include "util.h"

#ifndef BGXDP_VERSION
#define BGXDP_VERSION "0.1.0"
#endif

static const struct cmd_spec *const cmds[] = {
	&cmd_attach,
	&cmd_detach,
	&cmd_upgrade,
	&cmd_service_add,
	&cmd_service_del,
	&cmd_backend_add,
	&cmd_backend_del,
	&cmd_backend_drain,
	&cmd_backend_up,
	&cmd_backend_down,
	&cmd_set,
	&cmd_weight,
	&cmd_rollback,
	&cmd_status,
	&cmd_stats,
	&cmd_metrics,
	&cmd_serve,
};

static void usage(FILE *f)
{
	fprintf(f,
"NAME\n"
"  bgxdp - switch live L4 traffic between blue and green backends in the kernel\n\n"
"SYNOPSIS\n"
"  bgxdp [--pin-dir DIR] COMMAND [ARGS] [OPTIONS]\n"
"  bgxdp COMMAND --help\n"
"  bgxdp --help | --version\n\n"
"DESCRIPTION\n"
"  An XDP program sends new flows to a service address (VIP) to a blue or green\n"
"  backend, chosen by the service's traffic split and a Maglev ring per color; a\n"
"  tc egress program rewrites the replies.  Programs, links and maps are pinned,\n"
"  so bgxdp exits after each command and the data plane keeps running.\n\n"
"COMMANDS\n");
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(f, "  %-15s %s\n", cmds[i]->name, cmds[i]->summary);
	fprintf(f,
"\nGLOBAL OPTIONS\n"
"  --pin-dir DIR\n"
"      bpffs directory of the instance.  Default: $BGXDP_PIN_DIR if set, else\n"
"      /sys/fs/bpf/bgxdp.  Accepted before the command or among its options.\n"
"  -h, --help\n"
"      Show help (of a command, after its name) and exit.\n"
"  --version\n"
"      Print the version and exit.\n\n"
"ENVIRONMENT\n"
"  BGXDP_PIN_DIR   default pin dir.\n"
"  BGXDP_DEBUG     if set, libbpf's messages are printed to stderr.\n\n"
"EXAMPLES\n"
"  bgxdp attach eth0\n"
"  bgxdp service add web --vip 10.0.0.1:80\n"
"  bgxdp backend add web blue 10.1.0.1:8080\n"
"  bgxdp backend add web green 10.2.0.1:8080\n"
"  bgxdp weight green 10          # canary\n"
"  bgxdp set green                # flip\n"
"  bgxdp rollback                 # back to the split before\n"
"  bgxdp status --json\n\n"
"EXIT STATUS\n"
"  0  done.\n"
"  1  failed; one line 'bgxdp: <what failed>: <why>' on stderr, nothing changed.\n"
"  2  bad usage (unknown option, missing argument); nothing changed.\n");
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!getenv("BGXDP_DEBUG") || (level == LIBBPF_DEBUG && strcmp(getenv("BGXDP_DEBUG"), "2")))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Longest command name made of argv words: "service add" before "service". */
static const struct cmd_spec *find_cmd(int argc, char **argv, int *used)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		const char *n = cmds[i]->name, *sp = strchr(n, ' ');

		if (!sp) {
			if (!strcmp(n, argv[0])) {
				*used = 1;
				return cmds[i];
			}
			continue;
		}
		if (argc >= 2 && strlen(argv[0]) == (size_t)(sp - n) &&
		    !strncmp(n, argv[0], (size_t)(sp - n)) && !strcmp(sp + 1, argv[1])) {
			*used = 2;
			return cmds[i];
		}
	}
	return NULL;
}

static int group_usage(const char *group, const char *bad)
{
	char list[256] = "";
	size_t gl = strlen(group);
	bool any = false;

	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		const char *n = cmds[i]->name;

		if (!strncmp(n, group, gl) && n[gl] == ' ') {
			if (any)
				strncat(list, ", ", sizeof(list) - strlen(list) - 1);
			strncat(list, n + gl + 1, sizeof(list) - strlen(list) - 1);
			any = true;
		}
	}
	if (!any)
		return 0;
	if (bad && (!strcmp(bad, "-h") || !strcmp(bad, "--help"))) {
		printf("Usage: bgxdp %s {%s} ...\nSee 'bgxdp %s SUBCOMMAND --help'.\n",
		       group, list, group);
		exit(0);
	}
	fprintf(stderr, "bgxdp: %s: %s (expected one of: %s)\n", group,
		bad ? "unknown subcommand" : "missing subcommand", list);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *gpin = NULL;
	const struct cmd_spec *spec;
	struct opts o;
	int i = 1, used = 0, r;

	libbpf_set_print(libbpf_print);
	/* global options before the command */
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			printf("bgxdp %s\n", BGXDP_VERSION);
			return 0;
		}
		if (!strcmp(argv[i], "--pin-dir") && i + 1 < argc) {
			gpin = argv[i + 1];
			i += 2;
			continue;
		}
		if (!strncmp(argv[i], "--pin-dir=", 10)) {
			gpin = argv[i] + 10;
			i++;
			continue;
		}
		fprintf(stderr, "bgxdp: unknown option '%s' (see 'bgxdp --help')\n", argv[i]);
		return 2;
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	spec = find_cmd(argc - i, argv + i, &used);
	if (!spec) {
		group_usage(argv[i], i + 1 < argc ? argv[i + 1] : NULL);
		fprintf(stderr, "bgxdp: unknown command '%s' (see 'bgxdp --help')\n", argv[i]);
		return 2;
	}
	memset(&o, 0, sizeof(o));
	o.global_pin_dir = gpin;
	r = opts_parse(spec, argc - i - used, argv + i + used, &o);
	if (r == 1) {
		opts_print_help(spec, stdout);
		return 0;
	}
	if (r) {
		fprintf(stderr, "bgxdp: %s: %s\n", spec->name, err_msg());
		return 2;
	}
	r = spec->run(&o);
	if (r) {
		fprintf(stderr, "bgxdp: %s: %s\n", spec->name,
			err_msg()[0] ? err_msg() : strerror(r < 0 ? -r : r));
		return 1;
	}
	return 0;
}
