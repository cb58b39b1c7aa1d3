// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rollout_verbs.c - pause, resume, promote [--full], abort: asked of the
 * running agent; when none runs, done here under the agent's lock (so no
 * agent starts meanwhile), by the same component code an agent runs.  And
 * `rollout start --foreground`: that component, driven from here.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include "agent_rollout.h"
#include "cli_state.h"
#include "requests.h"
#include "rollout_cmd.h"
#include "rollout_opts.h"
#include "state_dir.h"

#define TAKE_MS 10000   /* a running agent takes a request within this */

/* The component of this process, under the agent's lock. */
struct offline {
	struct agent_lock lock;
	struct journal journal;
	struct rollout_component *rc;
};

static int offline_begin(struct cli *cli, struct offline *o)
{
	struct journal_config cfg;
	const char *dir;
	int r;

	o->lock.fd = -1;
	if ((r = cli_state_dir(cli, &dir)) || (r = agent_lock_acquire(dir, &o->lock, &cli->err)))
		return r;
	journal_config_default(&cfg, dir);
	if (!(r = journal_open(&o->journal, &cfg, &cli->err)) &&
	    !(o->rc = rollout_component_new(cli->pin_dir, dir, &o->journal)))
		r = bgx_fail(&cli->err, ENOMEM, "out of memory");
	if (r) {
		agent_lock_release(&o->lock);
		return r;
	}
	promql_global_init();
	rollout_component_load(o->rc);
	return 0;
}

static void offline_end(struct offline *o)
{
	rollout_component_free(o->rc);
	agent_lock_release(&o->lock);
}

static int verb_offline(struct cli *cli, const char *service, const char *command)
{
	struct offline o = { 0 };
	int r;

	if ((r = offline_begin(cli, &o)))
		return r;
	pthread_mutex_lock(&o.rc->lock);
	r = rollout_component_command(o.rc, service, command, cli->argc, cli->argv, &cli->err);
	pthread_mutex_unlock(&o.rc->lock);
	offline_end(&o);
	return r;
}

int rollout_ask_agent(struct cli *cli, json_t *body)
{
	const char *dir;
	char id[REQUEST_ID_LEN];
	json_t *argv = json_array(), *reply;
	int r;

	if (!argv)
		return bgx_fail(&cli->err, ENOMEM, "out of memory");
	for (int i = 0; i < cli->argc; i++)
		json_array_append_new(argv, json_string(cli->argv[i]));
	json_object_set_new(body, "argv", argv);
	if ((r = cli_state_dir(cli, &dir)) || (r = request_submit(dir, body, id, &cli->err)))
		return r;
	cli_wake_agent(cli);
	if ((r = request_wait(dir, id, TAKE_MS, &reply, &cli->err)))
		return r;
	r = request_reply_error(reply, &cli->err);
	json_decref(reply);
	return r;
}

static int verb_online(struct cli *cli, const char *service, const char *command)
{
	json_t *body = json_pack("{s:s, s:s*, s:s}", "kind", "rollout.command",
				 "service", service, "command", command);
	int r;

	if (!body)
		return bgx_fail(&cli->err, ENOMEM, "out of memory");
	r = rollout_ask_agent(cli, body);
	json_decref(body);
	return r;
}

/* What the verb did, from the state it left. */
static int show(struct cli *cli, const char *service)
{
	struct rollout_state *st = calloc(1, sizeof(*st));
	const char *dir;
	int r;

	if (!st)
		return bgx_fail(&cli->err, ENOMEM, "out of memory");
	if (!(r = cli_state_dir(cli, &dir)) && !(r = rollout_load(dir, service, st, &cli->err))) {
		if (cli->globals.json) {
			FILE *f = cli_json_begin(cli);

			fputs("{\"service\":", f);
			json_write_string(f, st->spec.service);
			fprintf(f, ",\"phase\":\"%s\",\"step\":%u,\"green_share_bp\":%u,\"reason\":",
				rollout_phase_name(st->phase), st->step + 1, st->green_share_bp);
			json_write_string(f, st->reason);
			fputs("}", f);
			r = cli_json_end(cli);
		} else {
			fprintf(cli->out, "rollout of %s: %s (%s)\n", st->spec.service,
				rollout_phase_name(st->phase), st->reason);
		}
	}
	free(st);
	return r;
}

/* The only rollout of the state dir, when --service is left out. */
static int which(struct cli *cli, const struct rollout_verb_params *p, char *name)
{
	char names[BGXDP_MAX_SERVICES][BGXDP_NAME_LEN];
	const char *dir;
	size_t n;
	int r;

	if (p->service[0]) {
		snprintf(name, BGXDP_NAME_LEN, "%s", p->service);
		return 0;
	}
	if ((r = cli_state_dir(cli, &dir)) ||
	    (r = rollout_list(dir, names, BGXDP_MAX_SERVICES, &n, &cli->err)))
		return r;
	if (n > 1)
		return bgx_fail(&cli->err, EINVAL, "%zu services have a rollout: say which with "
				"--service NAME", n);
	if (!n)
		return bgx_fail(&cli->err, ENOENT, "no rollout in %s", dir);
	snprintf(name, BGXDP_NAME_LEN, "%s", names[0]);
	return 0;
}

static int verb(const void *params, struct cli *cli, const char *command)
{
	const struct rollout_verb_params *p = params;
	char service[BGXDP_NAME_LEN];
	int r = which(cli, p, service);

	if (r)
		return r;
	r = cli_agent_pid(cli) ? verb_online(cli, service, command)
			       : verb_offline(cli, service, command);
	return r ? r : show(cli, service);
}

int run_rollout_pause(const void *params, struct cli *cli) { return verb(params, cli, "pause"); }
int run_rollout_resume(const void *params, struct cli *cli) { return verb(params, cli, "resume"); }
int run_rollout_abort(const void *params, struct cli *cli) { return verb(params, cli, "abort"); }

int run_rollout_promote(const void *params, struct cli *cli)
{
	const struct rollout_verb_params *p = params;

	return verb(params, cli, p->full ? "promote-full" : "promote");
}

/* ---- --foreground ------------------------------------------------------------ */

static int stop_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int rollout_foreground(struct cli *cli, const struct rollout_spec *spec)
{
	struct offline o = { 0 };
	struct rollout_state *st = calloc(1, sizeof(*st));
	struct pollfd pfd = { .events = POLLIN };
	uint64_t seen = 0;
	int r;

	if (!st)
		return bgx_fail(&cli->err, ENOMEM, "out of memory");
	if ((pfd.fd = stop_signals()) < 0) {
		free(st);
		return bgx_fail(&cli->err, pfd.fd, "cannot take signals: %s", strerror(-pfd.fd));
	}
	if ((r = offline_begin(cli, &o)))
		goto out;
	pthread_mutex_lock(&o.rc->lock);
	r = rollout_component_start_one(o.rc, spec, cli->argc, cli->argv, &cli->err);
	pthread_mutex_unlock(&o.rc->lock);
	while (!r && rollout_component_any_active(o.rc) && poll(&pfd, 1, AGENT_TICK_MS) == 0) {
		rollout_component_tick(o.rc);
		if (!rollout_load(o.rc->state_dir, spec->service, st, NULL))
			rollout_print_new(cli, st, &seen);
	}
	if (!r && !rollout_load(o.rc->state_dir, spec->service, st, &cli->err)) {
		rollout_print_new(cli, st, &seen);
		r = rollout_active(st) ? bgx_fail(&cli->err, EINTR, "stopped: the rollout stays %s at "
						  "its step; an agent resumes it",
						  rollout_phase_name(st->phase))
				       : rollout_result(cli, st);
	}
	offline_end(&o);
out:
	close(pfd.fd);
	free(st);
	return r;
}
