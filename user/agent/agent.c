// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * agent.c - the agent's main loop: the state dir and its lock, the
 * components, /metrics, signals and the service manager (agent.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include "agent.h"
#include "agent_commands.h"
#include "cli_state.h"
#include "commands.h"
#include "fleet_params.h"
#include "http_server.h"
#include "sd_notify.h"
#include "state_dir.h"

/* The fleet first: a mistake in its options (a key file, an address) stops
 * the agent before anything else has started or said anything. */
static const struct agent_component *const components[] = {
	&agent_fleet_component,
	&agent_health_component,
	&agent_rollout_component,
};
#define N_COMPONENTS (sizeof(components) / sizeof(components[0]))

struct agent_run {
	struct agent agent;
	void *state[N_COMPONENTS];
	size_t started;
	char listen[BGX_ADDRESS_LEN];
};

uint64_t agent_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t agent_unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void agent_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "bgxdp: agent: %s\n", line);
}

void agent_history(struct agent *a, const struct journal_entry *entry)
{
	struct bgx_err e = { 0 };

	if (journal_append(&a->journal, entry, &e))
		agent_log("history not written (%s %s): %s", entry->actor, entry->what, e.msg);
}

void agent_wake(struct agent *a)
{
	uint64_t one = 1;

	if (write(a->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		agent_log("cannot wake the main loop: %s", strerror(errno));
}

static void notify(const char *state)
{
	struct bgx_err e = { 0 };

	if (bgx_sd_notify(state, &e) < 0)
		agent_log("cannot notify the service manager: %s", e.msg);
}

/* The instance comes from the fleet's desired state: none yet is no error. */
static bool follows_fleet(const struct agent *a)
{
	return a->fleet && a->fleet->etcd.endpoints;
}

/* /metrics: the instance's exposition, then each component's families.
 * Several server threads at once: each has its own error. */
static int render_metrics(FILE *out, void *context)
{
	struct agent_run *run = context;
	struct bgx_err e = { 0 };
	int r = render_instance(out, run->agent.pin_dir, &e);

	if (r == -ENOENT && follows_fleet(&run->agent))
		r = 0;
	if (r) {
		agent_log("scrape failed: %s", e.msg);
		return r;
	}
	for (size_t i = 0; i < run->started && !r; i++)
		if (components[i]->metrics)
			r = components[i]->metrics(&run->agent, run->state[i], out);
	return r;
}

static void record(struct agent *a, const char *what, const char *reason)
{
	struct journal_entry entry = { .actor = "agent", .what = what, .reason = reason };

	agent_history(a, &entry);
}

static void stop_components(struct agent_run *run)
{
	while (run->started) {
		run->started--;
		if (components[run->started]->stop)
			components[run->started]->stop(&run->agent, run->state[run->started]);
	}
}

static int start_components(struct agent_run *run, struct bgx_err *e)
{
	for (size_t i = 0; i < N_COMPONENTS; i++) {
		int r = components[i]->start ? components[i]->start(&run->agent, &run->state[i], e) : 0;

		if (r) {
			stop_components(run);
			return r;
		}
		run->started = i + 1;
	}
	return 0;
}

static void each_component(struct agent_run *run, bool reload, uint64_t now)
{
	for (size_t i = 0; i < run->started; i++) {
		if (reload && components[i]->reload)
			components[i]->reload(&run->agent, run->state[i]);
		if (!reload && components[i]->tick)
			components[i]->tick(&run->agent, run->state[i], now);
	}
}

/* Wait for a signal, a wake-up or the tick; false once asked to stop. */
static bool loop_once(struct agent_run *run, int sig_fd, uint64_t *next_tick)
{
	struct pollfd fds[2] = { { .fd = sig_fd, .events = POLLIN },
				 { .fd = run->agent.wake_fd, .events = POLLIN } };
	uint64_t now = agent_mono_ms();
	int wait = *next_tick > now ? (int)(*next_tick - now) : 0;
	struct signalfd_siginfo si;
	uint64_t count;

	if (poll(fds, 2, wait) < 0 && errno != EINTR)
		agent_log("poll: %s", strerror(errno));
	if (fds[0].revents & POLLIN && read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			return false;
		if (si.ssi_signo == SIGHUP)
			notify("RELOADING=1");
		each_component(run, true, 0);
		if (si.ssi_signo == SIGHUP)
			notify("READY=1");
	}
	if (fds[1].revents & POLLIN && read(run->agent.wake_fd, &count, sizeof(count)) > 0)
		*next_tick = 0;
	now = agent_mono_ms();
	if (now >= *next_tick) {
		each_component(run, false, now);
		*next_tick = now + AGENT_TICK_MS;
	}
	return true;
}

/* The state dir, its lock (one agent per state dir) and the history. */
static int agent_prepare(struct agent_run *run, struct cli *cli,
			 const struct agent_fleet_params *fleet, struct agent_lock *lock)
{
	struct journal_config cfg;
	const char *dir;
	struct bgx_instance *in;
	int r;

	run->agent.pin_dir = cli->pin_dir;
	run->agent.pid = getpid();
	run->agent.fleet = fleet;
	if ((r = cli_state_dir(cli, &dir)))
		return r;
	snprintf(run->agent.state_dir, sizeof(run->agent.state_dir), "%s", dir);
	if ((r = agent_lock_acquire(dir, lock, &cli->err)))
		return r;
	journal_config_default(&cfg, dir);
	if ((r = journal_open(&run->agent.journal, &cfg, &cli->err))) {
		agent_lock_release(lock);
		return r;
	}
	/* fail now on a wrong pin dir rather than check nothing forever; a
	 * host of a fleet gets its instance from the fleet's first revision */
	if (follows_fleet(&run->agent))
		return 0;
	if ((r = cli_open(cli, BGX_READ, &in))) {
		agent_lock_release(lock);
		return r;
	}
	bgx_close(in);
	return 0;
}

/* Signals are taken by the main loop only: blocked before any thread. */
static int take_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -EINVAL;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static int serve(struct agent_run *run, const struct endpoint *listen, struct bgx_err *e)
{
	struct http_routes routes = { .render_metrics = render_metrics, .context = run };
	struct sockaddr_storage address;
	struct http_server *server;
	uint64_t next_tick = 0;
	char status[256];
	int sig_fd = take_signals(), r;

	if (sig_fd < 0)
		return bgx_fail(e, sig_fd, "cannot take signals: %s", strerror(-sig_fd));
	endpoint_to_sockaddr(listen, &address);
	if ((r = start_components(run, e)))
		goto out;
	if ((r = http_server_start((struct sockaddr *)&address, &routes, &server))) {
		stop_components(run);
		r = bgx_fail(e, r, "cannot listen on %s: %s", run->listen, strerror(-r));
		goto out;
	}
	printf("bgxdp: agent (pid %d): serving http://%s/metrics, pin dir %s, state dir %s%s%s%s; "
	       "SIGTERM stops\n", (int)run->agent.pid, run->listen, run->agent.pin_dir,
	       run->agent.state_dir, follows_fleet(&run->agent) ? ", fleet " : "",
	       follows_fleet(&run->agent) ? run->agent.fleet->etcd.fleet : "",
	       run->agent.fleet->sync_key ? ", flow sync" : "");
	fflush(stdout);
	snprintf(status, sizeof(status), "READY=1\nSTATUS=serving http://%s/metrics", run->listen);
	notify(status);
	record(&run->agent, "agent.start", run->listen);
	while (loop_once(run, sig_fd, &next_tick))
		;
	notify("STOPPING=1");
	http_server_stop(server);
	stop_components(run);
	record(&run->agent, "agent.stop", "SIGTERM or SIGINT");
out:
	close(sig_fd);
	return r;
}

int run_agent(const void *params, struct cli *cli)
{
	const struct agent_params *p = params;
	struct agent_run run = { 0 };
	struct agent_lock lock = { .fd = -1 };
	int r;

	format_endpoint(p->listen.addr, htons(p->listen.port), p->listen.family, run.listen,
			sizeof(run.listen));
	if ((r = agent_prepare(&run, cli, &p->fleet, &lock)))
		return r;
	run.agent.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (run.agent.wake_fd < 0)
		r = bgx_fail(&cli->err, errno, "eventfd: %s", strerror(errno));
	else
		r = serve(&run, &p->listen, &cli->err);
	if (run.agent.wake_fd >= 0)
		close(run.agent.wake_fd);
	agent_lock_release(&lock);
	return r;
}
