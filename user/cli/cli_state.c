// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cli_state.c - the state dir from the command's side: history, agent. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "cli_state.h"
#include "journal.h"
#include "state_dir.h"

int cli_state_dir(struct cli *cli, const char **dir)
{
	const char *flag = cli->globals.state_dir ? cli->globals.state_dir : cli->leading_state_dir;
	int r;

	if (!cli->state_dir[0]) {
		if (flag && !*flag)
			return bgx_fail_usage(&cli->err, EINVAL, "--state-dir: empty directory name");
		if ((r = state_dir_resolve(flag, cli->state_dir, sizeof(cli->state_dir), &cli->err)) ||
		    (r = state_dir_prepare(cli->state_dir, &cli->err))) {
			cli->state_dir[0] = 0;
			return r;
		}
	}
	*dir = cli->state_dir;
	return 0;
}

int cli_state_dir_peek(struct cli *cli, char *buf, size_t len)
{
	const char *flag = cli->globals.state_dir ? cli->globals.state_dir : cli->leading_state_dir;

	if (cli->state_dir[0]) {
		snprintf(buf, len, "%s", cli->state_dir);
		return 0;
	}
	return state_dir_resolve(flag && *flag ? flag : NULL, buf, len, NULL);
}

pid_t cli_agent_pid(struct cli *cli)
{
	struct bgx_err e = { 0 };
	char dir[PATH_MAX];
	pid_t pid = 0;

	if (cli_state_dir_peek(cli, dir, sizeof(dir)) || agent_lock_holder(dir, &pid, &e) != 1)
		return 0;
	return pid;
}

pid_t cli_wake_agent(struct cli *cli)
{
	pid_t pid = cli_agent_pid(cli);

	if (pid > 0 && kill(pid, SIGUSR1))
		return 0;
	return pid;
}

static void warn_once(const char *what, const struct bgx_err *e)
{
	static bool warned;

	if (warned)
		return;
	warned = true;
	fprintf(stderr, "bgxdp: warning: %s was done, but the history could not be written: %s\n",
		what, e->msg[0] ? e->msg : strerror(-e->code));
}

void cli_history(struct cli *cli, const char *what, const char *service, json_t *before,
		 json_t *after, const char *reason)
{
	struct journal_config cfg;
	struct journal j;
	struct bgx_err e = { 0 };
	const char *dir;
	struct journal_entry entry = {
		.actor = "cli", .what = what, .service = service, .before = before,
		.after = after, .reason = reason, .argc = cli->argc, .argv = cli->argv,
	};
	int r = cli_state_dir(cli, &dir);

	if (r) {
		e = cli->err;
		bgx_err_clear(&cli->err);
	} else {
		journal_config_default(&cfg, dir);
		r = journal_open(&j, &cfg, &e) ?: journal_append(&j, &entry, &e);
	}
	if (r)
		warn_once(cli->spec ? cli->spec->name : what, &e);
	json_decref(before);
	json_decref(after);
}
