// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fleet_status.c - `bgxdp fleet status`: every host and whether it is in sync. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "fleet_cmd.h"
#include "fleet_view.h"

/* "now" for a host that is up; else how long ago its last record was made. */
static void last_seen(const struct fleet_view_host *h, time_t now, char *buf, size_t len)
{
	long long ago = (long long)now - h->s.seen;

	if (h->up)
		snprintf(buf, len, "now");
	else if (ago < 120)
		snprintf(buf, len, "%llds ago", ago < 0 ? 0 : ago);
	else if (ago < 7200)
		snprintf(buf, len, "%lldm ago", ago / 60);
	else
		snprintf(buf, len, "%lldh ago", ago / 3600);
}

/* What the STATE column says: the host's own state, or why it is stale. */
static const char *state_word(const struct fleet_view_host *h, int64_t desired)
{
	if (!h->up)
		return "down";
	if (h->in_sync)
		return "in-sync";
	if (!strcmp(h->s.state, "applied") && h->s.applied_revision != desired)
		return "behind";
	return h->s.state;
}

static void text(FILE *f, const char *fleet, const struct fleet_view *v)
{
	time_t now = time(NULL);

	if (v->has_desired)
		fprintf(f, "fleet %s: desired revision %lld (digest %.12s), by %s, %llds ago\n",
			fleet, (long long)v->desired.revision, v->desired.digest, v->desired.by,
			(long long)(now - v->desired.at));
	else
		fprintf(f, "fleet %s: no desired state yet ('bgxdp fleet apply' stores one)\n", fleet);
	if (!v->n_hosts) {
		fprintf(f, "no host has reported yet\n");
		return;
	}
	fprintf(f, "%-20s %-8s %-8s %-12s %-10s %-9s %s\n", "HOST", "STATE", "REVISION", "DIGEST",
		"BACKENDS", "SEEN", "AGENT");
	for (size_t i = 0; i < v->n_hosts; i++) {
		const struct fleet_view_host *h = &v->hosts[i];
		char seen[32], backends[24];

		last_seen(h, now, seen, sizeof(seen));
		snprintf(backends, sizeof(backends), "%u/%u up", h->s.backends_up, h->s.backends);
		fprintf(f, "%-20s %-8s %-8lld %-12.12s %-10s %-9s %s\n", h->s.host,
			state_word(h, v->desired.revision), (long long)h->s.applied_revision,
			h->s.digest[0] ? h->s.digest : "-", backends, seen, h->s.version);
		if (h->s.error[0])
			fprintf(f, "  %s: %s\n", h->s.host, h->s.error);
	}
}

static void json_host(FILE *f, const struct fleet_view_host *h, const struct fleet_view *v)
{
	fputs("{\"host\":", f);
	json_write_string(f, h->s.host);
	fprintf(f, ",\"up\":%s,\"state\":", h->up ? "true" : "false");
	json_write_string(f, state_word(h, v->desired.revision));
	fprintf(f, ",\"in_sync\":%s,\"applied_revision\":%lld,\"digest\":\"%s\",\"version\":",
		h->in_sync ? "true" : "false", (long long)h->s.applied_revision, h->s.digest);
	json_write_string(f, h->s.version);
	fprintf(f, ",\"backends\":%u,\"backends_up\":%u,\"last_seen\":%lld,"
		"\"refused_revision\":%lld,\"error\":", h->s.backends, h->s.backends_up,
		(long long)(h->up ? (long long)time(NULL) : h->s.seen), (long long)h->s.refused_revision);
	json_write_string(f, h->s.error);
	fputc('}', f);
}

static int json(struct cli *cli, const char *fleet, const struct fleet_view *v)
{
	FILE *f = cli_json_begin(cli);

	fputs("{\"fleet\":", f);
	json_write_string(f, fleet);
	fputs(",\"desired\":", f);
	if (v->has_desired) {
		fprintf(f, "{\"revision\":%lld,\"digest\":\"%s\",\"by\":",
			(long long)v->desired.revision, v->desired.digest);
		json_write_string(f, v->desired.by);
		fprintf(f, ",\"at\":%lld}", (long long)v->desired.at);
	} else {
		fputs("null", f);
	}
	fprintf(f, ",\"in_sync\":%s,\"stale\":[", v->n_stale || !v->has_desired ? "false" : "true");
	for (size_t i = 0, n = 0; i < v->n_hosts; i++) {
		if (v->hosts[i].in_sync)
			continue;
		if (n++)
			fputc(',', f);
		json_write_string(f, v->hosts[i].s.host);
	}
	fputs("],\"hosts\":[", f);
	for (size_t i = 0; i < v->n_hosts; i++) {
		if (i)
			fputc(',', f);
		json_host(f, &v->hosts[i], v);
	}
	fputs("]}", f);
	return cli_json_end(cli);
}

int run_fleet_status(const void *params, struct cli *cli)
{
	const struct fleet_status_params *p = params;
	struct fleet_view v = { 0 };
	struct etcd_client *c = NULL;
	int r;

	if ((r = fleet_etcd_connect(&p->etcd, &c, &cli->err)) ||
	    (r = fleet_view_read(c, p->etcd.fleet, &v, &cli->err)))
		goto out;
	if (cli->globals.json)
		r = json(cli, p->etcd.fleet, &v);
	else
		text(cli->out, p->etcd.fleet, &v);
	if (r)
		goto out;
	if (!v.has_desired)
		r = bgx_fail(&cli->err, ENOENT, "fleet %s has no desired state", p->etcd.fleet);
	else if (v.n_stale)
		r = bgx_fail(&cli->err, ESTALE, "%zu of %zu hosts are not in sync with revision %lld",
			     v.n_stale, v.n_hosts, (long long)v.desired.revision);
out:
	fleet_view_free(&v);
	etcd_close(c);
	return r;
}
