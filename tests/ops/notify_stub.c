// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notify_stub.c - stands in for `bgxdp agent` in the systemd unit test
 * until the agent exists: it talks to systemd through the same
 * bgx_sd_notify() the agent will use (READY=1 at start, RELOADING=1 then
 * READY=1 on SIGHUP, STOPPING=1 on SIGTERM) and otherwise does nothing.
 */
#include <signal.h>
#include <stdio.h>
#include "sd_notify.h"

static int notify(const char *state)
{
	struct bgx_err e = { 0 };

	if (bgx_sd_notify(state, &e) < 0) {
		fprintf(stderr, "notify_stub: %s\n", e.msg);
		return 1;
	}
	return 0;
}

int main(void)
{
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (notify("READY=1\nSTATUS=notify stub serving"))
		return 1;
	while (!sigwait(&set, &sig)) {
		if (sig != SIGHUP)
			return notify("STOPPING=1");
		if (notify("RELOADING=1") || notify("READY=1\nSTATUS=notify stub reloaded"))
			return 1;
	}
	return 1;
}
