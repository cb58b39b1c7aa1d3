// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dispatch.c - from argv to a command's run(): leading global options, the
 * command word(s), typed parameters (params.c), the capability check, and
 * the one error line.  Shared by the two front ends: `bgxdp` runs the
 * commands that touch the instance once and exits; the agent's commands
 * (serve, agent, fleet) live in `bgxdp-agent`, which `bgxdp` runs for
 * them, so a flip never loads the agent's libraries (HTTP, TLS, etcd).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "commands.h"
#include "batch.h"
#include "dispatch.h"
#include "man.h"
#include "security.h"

#define cmds cli_commands

static void usage(FILE *f)
{
	fprintf(f,
"NAME\n"
"  bgxdp - switch live L4 traffic between blue and green backends in the kernel\n\n"
"SYNOPSIS\n"
"  bgxdp [--pin-dir DIR] [-j [-p]] [-v] COMMAND [ARGS] [OPTIONS]\n"
"  bgxdp [--pin-dir DIR] [-j [-p]] [-v] -b FILE|-\n"
"  bgxdp COMMAND --help\n"
"  bgxdp --help | --version\n\n"
"DESCRIPTION\n"
"  An XDP program sends new flows to a service address (VIP) to a blue or green\n"
"  backend, chosen by the service's traffic split and a Maglev ring per color; a\n"
"  tc egress program rewrites the replies.  Programs, links and maps are pinned,\n"
"  so bgxdp exits after each command and the data plane keeps running.\n\n"
"COMMANDS\n");
	for (size_t i = 0; i < cli_command_count; i++)
		fprintf(f, "  %-15s %s\n", cmds[i]->name, cmds[i]->summary);
	fprintf(f,
"\nGLOBAL OPTIONS\n"
"  --pin-dir DIR\n"
"      bpffs directory of the instance.  Default: $BGXDP_PIN_DIR if set, else\n"
"      /sys/fs/bpf/bgxdp.  Accepted before the command or among its options.\n"
"  -j, --json\n"
"      Print the result as one JSON object (stable keys; each command's help\n"
"      names them), and an error as {\"error\": ..., \"command\": ..., \"exit\": N}\n"
"      on stderr.  Exit codes are the same.\n"
"  -p, --pretty\n"
"      With --json, indent the JSON.\n"
"  -b, --batch FILE|-\n"
"      Run the commands of FILE (one a line, '#' comments, shell quoting):\n"
"      every line is checked first, against the state the lines before it\n"
"      leave, and then all of them are applied as one change, or none is.\n"
"      attach, detach, service, backend, set and weight can be in a batch.\n"
"  -v, --verbose\n"
"      Say what bgxdp does, step by step, on stderr (map writes, publishes,\n"
"      recoveries).  Accepted before the command or among its options.\n"
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
"  BGXDP_DEBUG     if set, every step and map write is printed to stderr, and\n"
"                  libbpf's warnings; BGXDP_DEBUG=2 adds libbpf's debug messages.\n\n"
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
	for (size_t i = 0; i < cli_command_count; i++) {
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

	for (size_t i = 0; i < cli_command_count; i++) {
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
	fprintf(stderr, "bgxdp: %s: %s%s%s%s (expected one of: %s)\n", group,
		bad ? "unknown subcommand" : "missing subcommand",
		bad ? " '" : "", bad ? bad : "", bad ? "'" : "", list);
	exit(2);
}

/* The one error line, and the exit status: 2 for a wrong command line. */
/* Options accepted before the command word. */
struct leading {
	const char *pin_dir;
	const char *batch;              /* -b FILE|- */
	bool verbose, json, pretty;
};

/* The one error line, and the exit status: 2 for a wrong command line.
 * With --json, the line is a JSON object. */
static int fail(const char *command, const struct bgx_err *e, bool json)
{
	const char *msg = e->msg[0] ? e->msg : strerror(-e->code);
	int status = e->usage ? 2 : 1;

	if (json) {
		fputs("{\"error\":", stderr);
		json_write_string(stderr, msg);
		fputs(",\"command\":", stderr);
		if (command)
			json_write_string(stderr, command);
		else
			fputs("null", stderr);
		fprintf(stderr, ",\"exit\":%d}\n", status);
	} else if (command) {
		fprintf(stderr, "bgxdp: %s: %s\n", command, msg);
	} else {
		fprintf(stderr, "bgxdp: %s\n", msg);
	}
	return status;
}

/* An option that takes a value: its value, or NULL with the error set. */
static const char *option_value(int argc, char **argv, int i, const char *metavar,
				struct bgx_err *e)
{
	if (i + 1 < argc)
		return argv[i + 1];
	bgx_fail_usage(e, EINVAL, "option %s needs a value (%s)", argv[i], metavar);
	return NULL;
}

/* argv[i], an option before the command word: how many words it takes (1
 * or 2), or 0 when it ends the run (help or version printed: *status 0;
 * an error: e set). */
static int leading_option(int argc, char **argv, int i, struct leading *lead, int *status,
			  struct bgx_err *e)
{
	const char *a = argv[i];

	if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
		usage(stdout);
		return *status = 0;
	}
	if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
		if (lead->json)
			printf("{\"version\":\"%s\"}\n", BGXDP_VERSION);
		else
			printf("bgxdp %s\n", BGXDP_VERSION);
		return *status = 0;
	}
	if (!strcmp(a, "--json") || !strcmp(a, "--pretty") || !strcmp(a, "--verbose") ||
	    (a[1] && strspn(a + 1, "jpv") == strlen(a + 1))) {
		/* -j, -p, -v, and their bundles: -jp */
		lead->json |= !strcmp(a, "--json") || (a[1] != '-' && strchr(a + 1, 'j'));
		lead->pretty |= !strcmp(a, "--pretty") || (a[1] != '-' && strchr(a + 1, 'p'));
		lead->verbose |= !strcmp(a, "--verbose") || (a[1] != '-' && strchr(a + 1, 'v'));
		return 1;
	}
	if (!strcmp(a, "--pin-dir") || !strcmp(a, "-b") || !strcmp(a, "--batch")) {
		const char *v = option_value(argc, argv, i, a[2] == 'p' ? "DIR" : "FILE|-", e);

		if (!v)
			return *status = 2, 0;
		*(a[2] == 'p' ? &lead->pin_dir : &lead->batch) = v;
		return 2;
	}
	if (!strncmp(a, "--pin-dir=", 10)) {
		lead->pin_dir = a + 10;
		return 1;
	}
	bgx_fail_usage(e, EINVAL, "unknown option '%s' (see 'bgxdp --help')", a);
	return *status = 2, 0;
}

/* Global options before the command: --pin-dir, -b, -j, -p, -v, --help,
 * --version.  Returns the index of the command word, or -1 when done (exit
 * code in *status). */
static int parse_leading(int argc, char **argv, struct leading *lead, int *status)
{
	struct bgx_err e = { 0 };
	int i = 1, used;

	while (i < argc && argv[i][0] == '-') {
		if (!(used = leading_option(argc, argv, i, lead, status, &e))) {
			if (e.code)
				*status = fail(NULL, &e, lead->json);
			return -1;
		}
		i += used;
	}
	if (lead->batch && i < argc)
		bgx_fail_usage(&e, EINVAL, "-b runs the commands of a file: no command after it ('%s')",
			       argv[i]);
	else if (i >= argc && !lead->batch)
		bgx_fail_usage(&e, EINVAL, "missing command (see 'bgxdp --help')");
	if (e.code) {
		*status = fail(NULL, &e, lead->json);
		return -1;
	}
	return i;
}

/* The pin dir in use: non-empty and absolute (a relative one would name a
 * different instance in every cwd). */
static int choose_pin_dir(struct cli *cli, const char *leading)
{
	const char *flag = cli->globals.pin_dir ? cli->globals.pin_dir : leading;


	if (flag && !*flag)
		return bgx_fail_usage(&cli->err, EINVAL, "--pin-dir: empty directory name");
	cli->pin_dir = bgx_pin_dir_choose(flag);
	if (cli->pin_dir[0] != '/')
		return bgx_fail_usage(&cli->err, EINVAL, "pin dir '%s' is not an absolute path (--pin-dir or $%s)",
				      cli->pin_dir, BGXDP_PIN_DIR_ENV);
	return 0;
}

static void log_to_stderr(enum bgx_log_level level, const char *msg, void *ctx)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };

	(void)ctx;
	fprintf(stderr, "bgxdp: %s: %s\n", names[level], msg);
}

/* Warnings always; -v: what changed, step by step; BGXDP_DEBUG: every map
 * write too. */
static void set_log_level(bool verbose)
{
	enum bgx_log_level level = BGX_LOG_WARN;

	if (verbose)
		level = BGX_LOG_INFO;
	if (getenv("BGXDP_DEBUG"))
		level = BGX_LOG_DEBUG;
	bgx_log_set(log_to_stderr, level, NULL);
}

static int run_command(const struct cli_role *role, const struct cmd_spec *spec, int argc,
		       char **argv, const struct leading *lead)
{
	int (*run)(const void *params, struct cli *cli) = spec->run;
	struct cli cli = { .spec = spec, .out = stdout };
	void *params = calloc(1, spec->params_size ? spec->params_size : 1);
	int r;

	if (!params) {
		bgx_fail(&cli.err, ENOMEM, "out of memory");
		return fail(spec->name, &cli.err, cli.globals.json);
	}
	r = params_parse(spec, argc, argv, params, &cli.globals, &cli.err);
	cli.globals.verbose |= lead->verbose;
	cli.globals.json |= lead->json;
	cli.globals.pretty |= lead->pretty;
	set_log_level(cli.globals.verbose);
	if (r == 1) {
		params_print_help(spec, stdout);
		free(params);
		return 0;
	}
	if (r) {
		free(params);
		return fail(spec->name, &cli.err, cli.globals.json);
	}
	if (!run && role->find_run)
		run = role->find_run(spec);
	if (!run) {
		bgx_fail(&cli.err, ENOTSUP, "this program does not run '%s'", spec->name);
		return fail(spec->name, &cli.err, cli.globals.json);
	}
	if ((r = choose_pin_dir(&cli, lead->pin_dir)) ||
	    (spec->changes_state && (r = security_check_caps(&cli.err))) ||
	    (r = run(params, &cli))) {
		free(params);
		if (!cli.err.code)
			bgx_fail(&cli.err, r, "%s", strerror(r < 0 ? -r : r));
		return fail(spec->name, &cli.err, cli.globals.json);
	}
	free(params);
	return 0;
}

/* bgxdp -b FILE|-: the batch is one command, named "batch" in errors. */
static int run_batch(const struct leading *lead)
{
	struct cli cli = { .out = stdout };
	int r;

	cli.globals.json = lead->json;
	cli.globals.pretty = lead->pretty;
	set_log_level(lead->verbose);
	if ((r = choose_pin_dir(&cli, lead->pin_dir)) || (r = security_check_caps(&cli.err)) ||
	    (r = cli_batch(&cli, lead->batch)))
		return fail("batch", &cli.err, lead->json);
	return 0;
}

/* `bgxdp-agent` next to this program (`bgxdp-san-agent` next to
 * `bgxdp-san`), or $BGXDP_AGENT. */
static int agent_program(char *path, size_t len)
{
	const char *env = getenv("BGXDP_AGENT");
	ssize_t n;

	if (env && *env) {
		snprintf(path, len, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", path, len - sizeof("-agent"));
	if (n < 0)
		return -errno;
	path[n] = 0;
	strcat(path, "-agent");
	return 0;
}

/* The agent's commands run in the agent's program, with the same words. */
int cli_exec_agent(int argc, char **argv)
{
	char path[PATH_MAX];
	struct bgx_err e = { 0 };
	int r = agent_program(path, sizeof(path));

	(void)argc;
	if (!r) {
		execv(path, argv);
		r = -errno;
	}
	bgx_fail(&e, r, "cannot run the agent program %s: %s (it is installed next to bgxdp; "
		 "BGXDP_AGENT=PATH names another)", path, strerror(-r));
	return fail(NULL, &e, false);
}

int cli_main(int argc, char **argv, const struct cli_role *role)
{
	struct leading lead = { 0 };
	const struct cmd_spec *spec;
	int i, used = 0, status = 0;

	/* Pins and directories bgxdp creates are root-only whatever the
	 * caller's umask (bpffs gives a pin 0600 & ~umask, mkdir 0700 & ~umask). */
	umask(077);
	libbpf_set_print(libbpf_print);
	set_log_level(false);
	/* `bgxdp __man`, `bgxdp __complete`: not in --help (man.h) */
	if (argc > 1 && cli_hidden_command(argv[1]))
		return cli_hidden_run(&(struct cli_table){ cli_commands, cli_command_count, usage },
				      argc - 1, argv + 1);
	if ((i = parse_leading(argc, argv, &lead, &status)) < 0)
		return status;
	if (lead.batch)
		return run_batch(&lead);
	spec = find_cmd(argc - i, argv + i, &used);
	if (!spec) {
		struct bgx_err e = { 0 };

		group_usage(argv[i], i + 1 < argc ? argv[i + 1] : NULL);
		bgx_fail_usage(&e, EINVAL, "unknown command '%s' (see 'bgxdp --help')", argv[i]);
		return fail(NULL, &e, lead.json);
	}
	if (spec->in_agent && role->exec_agent)
		return cli_exec_agent(argc, argv);
	return run_command(role, spec, argc - i - used, argv + i + used, &lead);
}
