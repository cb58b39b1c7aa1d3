// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * wait drained: block until a color's (or, for `backend drain --wait`, a
 * backend's) open flows are gone, so a pipeline can stop the old servers
 * knowing no connection is left on them.  Open flows are the flow entries
 * of connections that saw no FIN or reset yet and have not idled out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "commands.h"

#define POLL_MS 100

struct wait_params {
	__u32 color;
	char service[BGXDP_NAME_LEN];
	__u64 timeout_ms;
};

static const struct param wait_params[] = {
	PARAM_POS(struct wait_params, color, P_COLOR, "blue|green", "color",
		  "The color whose connections must end."),
	PARAM_OPT(struct wait_params, service, P_NAME, "service", "NAME",
		  .help = "The service; may be left out while exactly one service exists."),
	PARAM_OPT(struct wait_params, timeout_ms, P_DURATION, "timeout", "DUR", .min = 1,
		  .max = 7ull * 24 * 3600 * 1000,
		  .help = "Give up after DUR (exit 1). Default: wait as long as it takes."),
	PARAM_END
};

static __u64 mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + (__u64)ts.tv_nsec / 1000000;
}

/* Open flows of the color, or of its backend `ep` (NULL: all of them). */
static int count_open(struct cli *cli, const char *service, __u32 color,
		      const struct endpoint *ep, char *name, size_t len, __u64 *open)
{
	struct bgx_snapshot *snap;
	struct bgx_instance *in;
	const struct bgx_service_view *sv;
	int r;

	if ((r = cli_open(cli, BGX_READ, &in)))
		return r;
	r = bgx_snapshot(in, BGX_SNAP_FLOWS, service, &snap, &cli->err);
	bgx_close(in);
	if (r)
		return r;
	sv = &snap->services[0];
	snprintf(name, len, "%s", sv->name);
	*open = ep ? 0 : sv->colors[color].open_flows;
	for (__u32 b = 0; ep && b < sv->n_backends; b++)
		if (sv->backends[b].color == color && sv->backends[b].ep.port == ep->port &&
		    sv->backends[b].ep.family == ep->family &&
		    !memcmp(sv->backends[b].ep.addr, ep->addr, BGXDP_ADDR_LEN))
			*open = sv->backends[b].open_flows;
	free(snap);
	return 0;
}

static void report(struct cli *cli, const char *what, __u64 open, double secs, bool drained)
{
	FILE *f;

	if (!cli->globals.json) {
		if (drained)
			fprintf(cli->out, "%s: drained (0 open flows) after %.1f s\n", what, secs);
		return;
	}
	f = cli_json_begin(cli);
	fputs("{\"waited_for\":", f);
	json_write_string(f, what);
	fprintf(f, ",\"open_flows\":%llu,\"drained\":%s,\"seconds\":%.3f}",
		(unsigned long long)open, drained ? "true" : "false", secs);
	cli_json_end(cli);
}

int cli_wait_drained(struct cli *cli, const char *service, __u32 color,
		     const struct endpoint *ep, __u64 timeout_ms)
{
	__u64 start = mono_ms(), open = 0, last = ~0ull;
	char name[BGXDP_NAME_LEN], what[BGXDP_NAME_LEN + BGX_ADDRESS_LEN + 16];
	char addr[BGX_ADDRESS_LEN] = "";
	int r;

	if (ep)
		format_endpoint(ep->addr, htons(ep->port), ep->family, addr, sizeof(addr));
	for (;;) {
		if ((r = count_open(cli, service, color, ep, name, sizeof(name), &open)))
			return r;
		snprintf(what, sizeof(what), "%s %s%s%s", name, color_name(color), ep ? " " : "",
			 addr);
		if (!open)
			break;
		if (open != last && !cli->globals.json) {
			fprintf(cli->out, "%s: %llu open flow%s\n", what, (unsigned long long)open,
				open == 1 ? "" : "s");
			fflush(cli->out);
		}
		last = open;
		if (timeout_ms && mono_ms() - start >= timeout_ms) {
			report(cli, what, open, (mono_ms() - start) / 1000.0, false);
			return bgx_fail(&cli->err, ETIMEDOUT, "%s still has %llu open flow%s after %.1f s",
					what, (unsigned long long)open, open == 1 ? "" : "s",
					timeout_ms / 1000.0);
		}
		usleep(POLL_MS * 1000);
	}
	report(cli, what, 0, (mono_ms() - start) / 1000.0, true);
	return 0;
}

static int run_wait_drained(const void *params, struct cli *cli)
{
	const struct wait_params *p = params;

	return cli_wait_drained(cli, p->service[0] ? p->service : NULL, p->color, NULL,
				p->timeout_ms);
}

const struct cmd_spec cmd_wait_drained = {
	.name = "wait drained",
	.summary = "wait until a color has no open connection left",
	.synopsis = "blue|green [--service NAME] [--timeout DUR]",
	.description =
"  Blocks until the color's open flows reach 0, printing their count as it\n"
"  falls: the flow entries of connections that saw no FIN or reset yet and\n"
"  have not idled out (a closing connection is not counted).  After 'bgxdp set\n"
"  green', 'bgxdp wait drained blue' returns once the last connection to blue\n"
"  ended, so its servers can be stopped; it returns within a tenth of a second\n"
"  of it.  A connection whose client vanished without a FIN counts until it\n"
"  idles out (900 s for TCP): use --timeout.  Read-only.  JSON (at the end):\n"
"  waited_for, open_flows, drained, seconds.\n",
	.params = wait_params,
	.params_size = sizeof(struct wait_params),
	.exit_status =
"  0  the color has no open flow.\n"
"  1  --timeout passed first (one line says how many are left), or no such\n"
"     service.\n"
"  2  bad usage; nothing waited for.\n",
	.examples =
"  bgxdp set green && bgxdp wait drained blue --timeout 10m && systemctl stop app-blue\n",
	.run = run_wait_drained,
};
