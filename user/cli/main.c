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
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "commands.h"
#include "instance.h"
#include "man.h"
#include "options.h"
#include "security.h"
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
"PRIVILEGES AND PIN DIR\n"
"  Commands that change state (attach, detach, service, backend, set, weight,\n"
"  rollback) need CAP_BPF (or CAP_SYS_ADMIN) and CAP_NET_ADMIN: without them\n"
"  bgxdp says so and changes nothing.  status, stats, metrics and serve change\n"
"  nothing and need no capability, only access to the pins, which are root-only:\n"
"  pins are created 0600 and the pin dir 0700, whatever the umask.\n"
"  bgxdp refuses a pin dir that is, or lies under, a directory writable by group\n"
"  or others (an ancestor with the sticky bit, like /sys/fs/bpf, is fine) or\n"
"  owned by a user other than root or the caller: whoever can write there could\n"
"  swap the maps.  The error names the directory and the fix.  The attach that\n"
"  creates an instance needs an empty pin dir of its own, not inside another\n"
"  instance's: the last detach removes everything in it.\n\n"
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
"  2  bad usage: unknown or repeated option, missing or extra argument, or a\n"
"     malformed or out-of-range value (address, port, color, percentage, name,\n"
"     number); one line on stderr, nothing changed.\n");
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
	err_set(EINVAL, "%s: %s%s%s%s (expected one of: %s)", group,
		bad ? "unknown subcommand" : "missing subcommand",
		bad ? " '" : "", bad ? bad : "", bad ? "'" : "", list);
	fprintf(stderr, "bgxdp: %s\n", err_msg());
	exit(2);
}

/* The one error line, and the exit status: 2 for a wrong command line. */
static int fail(const char *command)
{
	if (command)
		fprintf(stderr, "bgxdp: %s: %s\n", command, err_msg());
	else
		fprintf(stderr, "bgxdp: %s\n", err_msg());
	return err_is_usage() ? 2 : 1;
}

int main(int argc, char **argv)
{
	const char *gpin = NULL;
	const struct cmd_spec *spec;
	struct opts o;
	int i = 1, used = 0, r;

	/* Pins and directories bgxdp creates are root-only whatever the
	 * caller's umask (bpffs gives a pin 0600 & ~umask, mkdir 0700 & ~umask). */
	umask(077);
	libbpf_set_print(libbpf_print);
	/* `bgxdp __man`, `bgxdp __complete`: not in --help (user/cli/man.h) */
	if (argc > 1 && cli_hidden_command(argv[1]))
		return cli_hidden_run(&(struct cli_table){ cmds, ARRAY_SIZE(cmds), usage },
				      argc - 1, argv + 1);
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
		if (!strcmp(argv[i], "--pin-dir")) {
			if (i + 1 >= argc) {
				err_usage(EINVAL, "option --pin-dir needs a value (DIR)");
				return fail(NULL);
			}
			gpin = argv[i + 1];
			i += 2;
			continue;
		}
		if (!strncmp(argv[i], "--pin-dir=", 10)) {
			gpin = argv[i] + 10;
			i++;
			continue;
		}
		err_usage(EINVAL, "unknown option '%s' (see 'bgxdp --help')", argv[i]);
		return fail(NULL);
	}
	if (i >= argc) {
		err_usage(EINVAL, "missing command (see 'bgxdp --help')");
		return fail(NULL);
	}
	spec = find_cmd(argc - i, argv + i, &used);
	if (!spec) {
		group_usage(argv[i], i + 1 < argc ? argv[i + 1] : NULL);
		err_usage(EINVAL, "unknown command '%s' (see 'bgxdp --help')", argv[i]);
		return fail(NULL);
	}
	memset(&o, 0, sizeof(o));
	o.global_pin_dir = gpin;
	r = opts_parse(spec, argc - i - used, argv + i + used, &o);
	if (r == 1) {
		opts_print_help(spec, stdout);
		return 0;
	}
	if (r) {
		if (!err_msg()[0])
			err_usage(EINVAL, "bad usage (see 'bgxdp %s --help')", spec->name);
		fprintf(stderr, "bgxdp: %s: %s\n", spec->name, err_msg());
		return 2;
	}
	if ((gpin && !*gpin) || (opt_given(&o, "pin-dir") && !*opt_str(&o, "pin-dir"))) {
		err_usage(EINVAL, "--pin-dir: empty directory name");
		return fail(spec->name);
	}
	/* A relative pin dir would name a different instance in every cwd. */
	if (instance_pin_dir(&o)[0] != '/') {
		err_usage(EINVAL, "pin dir '%s' is not an absolute path (--pin-dir or $%s)",
			  instance_pin_dir(&o), BGXDP_PIN_DIR_ENV);
		return fail(spec->name);
	}
	if (security_check_caps(spec->name))
		return fail(spec->name);
	r = spec->run(&o);
	if (r) {
		if (!err_msg()[0])
			err_set(r, "%s", strerror(r < 0 ? -r : r));
		return fail(spec->name);
	}
	return 0;
}
