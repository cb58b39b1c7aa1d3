// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fleet_apply.c - `bgxdp fleet apply`: check a file as `apply -f` does,
 * store its canonical text as the fleet's next revision in one guarded
 * transaction, and (--wait) follow the hosts until every one that is up
 * has applied it.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "config_yaml.h"
#include "export.h"
#include "fleet_cmd.h"
#include "fleet_view.h"

struct applied {
	int64_t revision, previous;
	char digest[BGX_DIGEST_HEX_LEN];
	bool stored;                    /* a new revision was written */
	bool waited;
	double seconds;                 /* from the write to every host in sync */
	size_t hosts_up, down;
	char down_names[256];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The file, checked as `apply -f` checks it, in its canonical form. */
static int canonical(const char *file, char **text, size_t *len, char digest[BGX_DIGEST_HEX_LEN],
		     struct bgx_err *e)
{
	struct bgx_desired *d = bgx_desired_new();
	int r;

	if (!d)
		return bgx_fail(e, ENOMEM, "out of memory");
	r = bgx_config_parse_file(file, d, e);
	if (!r)
		r = bgx_apply_check(d, e);
	if (!r)
		r = bgx_config_emit(d, text, len, e);
	if (!r)
		r = bgx_config_digest(d, digest, e);
	bgx_desired_free(d);
	return r;
}

static void who_am_i(char *buf, size_t len)
{
	struct passwd *pw = getpwuid(geteuid());
	char host[64] = "?";

	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = 0;
	snprintf(buf, len, "%s@%s", pw ? pw->pw_name : "?", host);
}

/* ---- --wait ---- */

static void on_change(const struct etcd_watch_batch *batch, void *ctx)
{
	(void)batch;
	(void)ctx;
}

/* 1 when every host that is up runs `revision`, 0 not yet, -errno when one
 * refused it. */
static int judge(const struct fleet_view *v, int64_t revision, struct applied *a,
		 struct bgx_err *e)
{
	size_t in_sync = 0;

	a->hosts_up = a->down = 0;
	a->down_names[0] = 0;
	for (size_t i = 0; i < v->n_hosts; i++) {
		const struct fleet_view_host *h = &v->hosts[i];

		if (!h->up) {
			size_t l = strlen(a->down_names);

			snprintf(a->down_names + l, sizeof(a->down_names) - l, "%s%s", l ? ", " : "",
				 h->s.host);
			a->down++;
			continue;
		}
		a->hosts_up++;
		if (h->s.refused_revision == revision && h->s.applied_revision != revision)
			return bgx_fail(e, EINVAL, "host %s refused revision %lld: %s", h->s.host,
					(long long)revision, h->s.error);
		in_sync += fleet_host_in_sync(&h->s, true, revision);
	}
	return a->hosts_up && in_sync == a->hosts_up;    /* none up yet: wait for one */
}

static int wait_in_sync(struct etcd_client *c, const char *fleet, int64_t revision,
			int64_t from, double t0, __u64 wait_ms, struct applied *a, struct bgx_err *e)
{
	char prefix[FLEET_KEY_LEN];
	struct etcd_watch *w = NULL;
	double deadline = t0 + (double)wait_ms / 1000.0;
	int r;

	snprintf(prefix, sizeof(prefix), "%s%s/", FLEET_KEY_ROOT, fleet);
	if ((r = etcd_watch_open(c, prefix, from + 1, on_change, NULL, &w, e)))
		return r;
	for (;;) {
		struct fleet_view v;
		double now;

		if ((r = fleet_view_read(c, fleet, &v, e)))
			break;
		r = judge(&v, revision, a, e);
		fleet_view_free(&v);
		now = now_s();
		if (r) {
			a->seconds = now - t0;
			break;
		}
		if (now >= deadline) {
			r = a->hosts_up ?
			    bgx_fail(e, ETIMEDOUT, "revision %lld: not every host that is up applied "
				     "it within %.1f s (see 'bgxdp fleet status')", (long long)revision,
				     (double)wait_ms / 1000.0) :
			    bgx_fail(e, ETIMEDOUT, "revision %lld: no host of the fleet came up within "
				     "%.1f s to apply it", (long long)revision, (double)wait_ms / 1000.0);
			break;
		}
		etcd_watch_poll(w, (int)((deadline - now) * 1000) + 1, NULL);
	}
	etcd_watch_close(w);
	a->waited = r > 0;
	return r < 0 ? r : 0;
}

/* ---- output ---- */

static int render(struct cli *cli, const char *fleet, const struct applied *a, bool dry_run)
{
	if (cli->globals.json) {
		FILE *f = cli_json_begin(cli);

		fprintf(f, "{\"fleet\":");
		json_write_string(f, fleet);
		fprintf(f, ",\"revision\":%lld,\"previous_revision\":%lld,\"digest\":\"%s\","
			"\"stored\":%s,\"dry_run\":%s", (long long)a->revision, (long long)a->previous,
			a->digest, a->stored ? "true" : "false", dry_run ? "true" : "false");
		if (a->waited)
			fprintf(f, ",\"wait\":{\"seconds\":%.6f,\"hosts_up\":%zu,\"hosts_down\":%zu}",
				a->seconds, a->hosts_up, a->down);
		fputc('}', f);
		return cli_json_end(cli);
	}
	if (dry_run)
		fprintf(cli->out, "fleet %s: the file is valid; it %s revision %lld (digest %.12s)\n",
			fleet, a->stored ? "would become" : "is", (long long)a->revision, a->digest);
	else if (a->stored)
		fprintf(cli->out, "fleet %s: revision %lld stored (digest %.12s, after revision %lld)\n",
			fleet, (long long)a->revision, a->digest, (long long)a->previous);
	else
		fprintf(cli->out, "fleet %s: revision %lld has this config already (digest %.12s): "
			"nothing stored\n", fleet, (long long)a->revision, a->digest);
	if (a->waited)
		fprintf(cli->out, "fleet %s: revision %lld applied by all %zu hosts up in %.3f s%s%s%s\n",
			fleet, (long long)a->revision, a->hosts_up, a->seconds,
			a->down ? " (down, to apply it when back: " : "", a->down_names,
			a->down ? ")" : "");
	return 0;
}

int run_fleet_apply(const void *params, struct cli *cli)
{
	const struct fleet_apply_params *p = params;
	struct fleet_desired rec = { 0 };
	struct fleet_view view = { 0 };
	struct etcd_client *c = NULL;
	struct applied a = { 0 };
	double t0;
	int r;

	if ((r = canonical(p->file, &rec.config, &rec.config_len, a.digest, &cli->err)) ||
	    (r = fleet_etcd_connect(&p->etcd, &c, &cli->err)) ||
	    (r = fleet_view_read(c, p->etcd.fleet, &view, &cli->err)))
		goto out;
	a.previous = view.has_desired ? view.desired.revision : 0;
	a.stored = !view.has_desired || strcmp(view.desired.digest, a.digest);
	a.revision = a.stored ? a.previous + 1 : a.previous;
	if (a.stored && !p->dry_run) {
		rec.revision = a.revision;
		snprintf(rec.digest, sizeof(rec.digest), "%s", a.digest);
		who_am_i(rec.by, sizeof(rec.by));
		rec.at = (int64_t)time(NULL);
		if ((r = fleet_view_store(c, p->etcd.fleet, &view, &rec, &cli->err)))
			goto out;
	}
	t0 = now_s();
	if (p->wait_ms && !p->dry_run &&
	    (r = wait_in_sync(c, p->etcd.fleet, a.revision, view.revision, t0, p->wait_ms, &a,
			      &cli->err))) {
		render(cli, p->etcd.fleet, &a, false);
		goto out;
	}
	r = render(cli, p->etcd.fleet, &a, p->dry_run);
out:
	fleet_desired_clear(&rec);
	fleet_view_free(&view);
	etcd_close(c);
	return r;
}
