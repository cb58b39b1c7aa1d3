// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_fleet_config.c - the agent's fleet component against a real etcd,
 * with stand-in host operations (no kernel): each revision reaches the
 * host whole and its status says so; a refused revision leaves the last
 * one applied (and is retried once the host is fixed); two writers of one
 * revision: one wins, the other is told; a lease revoked under the agent is
 * granted again; etcd stopped and started: the agent says so, keeps its
 * state and catches up; a restarted agent remembers what it applied and
 * applies what changed meanwhile; drift is reported; the decisions are in
 * the change history.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "etcd.h"
#include "etcd_server.h"
#include "fleet_config.h"
#include "fleet_view.h"

#define FLEET   "t"
#define HOST    "lb1"
#define DIGEST  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* ---- the stand-in host ---- */

struct fake_host {
	pthread_mutex_t lock;
	char applied[256];              /* the text applied last */
	int applies;
	bool refuse;                    /* refuse texts with "REFUSE" in them */
	int drift;                      /* what drift() says */
};

static int fake_apply(void *ctx, const char *text, size_t len, const char *source,
		      struct bgx_err *e)
{
	struct fake_host *h = ctx;
	int r = 0;

	pthread_mutex_lock(&h->lock);
	if (h->refuse && strstr(text, "REFUSE"))
		r = bgx_fail(e, ENODEV, "%s:1:1: no interface named 'f9'", source);
	else
		snprintf(h->applied, sizeof(h->applied), "%.*s", (int)len, text);
	h->applies += !r;
	pthread_mutex_unlock(&h->lock);
	return r;
}

static int fake_drift(void *ctx, const char *text, size_t len, struct bgx_err *e)
{
	struct fake_host *h = ctx;
	int n;

	(void)text, (void)len, (void)e;
	pthread_mutex_lock(&h->lock);
	n = h->drift;
	pthread_mutex_unlock(&h->lock);
	return n;
}

static void fake_health(void *ctx, uint32_t *backends, uint32_t *up)
{
	(void)ctx;
	*backends = 4;
	*up = 3;
}

static struct fake_host host = { .lock = PTHREAD_MUTEX_INITIALIZER };
static const struct fleet_host_ops ops = { fake_apply, fake_drift, fake_health, &host };

static bool host_applied(const char *text)
{
	bool yes;

	pthread_mutex_lock(&host.lock);
	yes = !strcmp(host.applied, text);
	pthread_mutex_unlock(&host.lock);
	return yes;
}

/* ---- fixture ---- */

struct fixture {
	struct etcd_server server;
	struct etcd_client *c;
	char state_dir[300];
	int64_t revision;               /* the last one stored */
};

static struct fixture fx;

static int group_setup(void **state)
{
	if (etcd_server_start(&fx.server, false, 0)) {
		fprintf(stderr, "cannot start etcd (is etcd-server installed?)\n");
		return -1;
	}
	fx.c = etcd_server_client(&fx.server, 2000);
	snprintf(fx.state_dir, sizeof(fx.state_dir), "%s/state", fx.server.dir);
	*state = &fx;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	etcd_close(fx.c);
	etcd_server_destroy(&fx.server);
	return 0;
}

static struct fleet_config *start_agent(void)
{
	struct fleet_config_settings s = {
		.etcd = { .endpoints = fx.server.url, .timeout_ms = 500 },
		.fleet = FLEET, .host = HOST, .state_dir = fx.state_dir,
		.lease_ttl_s = 2, .heartbeat_ms = 200, .ops = &ops,
	};
	struct fleet_config *fc = NULL;
	struct bgx_err e = { 0 };

	if (fleet_config_start(&s, &fc, &e))
		fail_msg("fleet_config_start: %s", e.msg);
	return fc;
}

/* Store `text` as the next revision. */
static int64_t store(const char *text)
{
	struct fleet_view v;
	struct fleet_desired d = { .digest = DIGEST, .by = "test@here", .at = 1 };
	struct bgx_err e = { 0 };

	if (fleet_view_read(fx.c, FLEET, &v, &e))
		fail_msg("read: %s", e.msg);
	d.revision = (v.has_desired ? v.desired.revision : 0) + 1;
	d.config = (char *)text;
	d.config_len = strlen(text);
	/* digests must differ between revisions only for `fleet apply`; the
	 * component compares revision and digest */
	d.digest[0] = (char)('a' + d.revision % 6);
	if (fleet_view_store(fx.c, FLEET, &v, &d, &e))
		fail_msg("store: %s", e.msg);
	fleet_view_free(&v);
	fx.revision = d.revision;
	return d.revision;
}

/* Up to 5 s for the host's record in etcd to say `state` at `revision`. */
static bool wait_status(const char *state, int64_t revision, bool up)
{
	for (int i = 0; i < 250; i++) {
		struct fleet_view v;
		bool ok = false;

		if (!fleet_view_read(fx.c, FLEET, &v, NULL)) {
			ok = v.n_hosts == 1 && v.hosts[0].up == up &&
			     !strcmp(v.hosts[0].s.state, state) &&
			     v.hosts[0].s.applied_revision == revision;
			fleet_view_free(&v);
		}
		if (ok)
			return true;
		usleep(20000);
	}
	return false;
}

static bool wait_etcd_up(struct fleet_config *fc, bool up)
{
	for (int i = 0; i < 250; i++) {
		struct fleet_config_state st;

		fleet_config_get_state(fc, &st);
		if (st.etcd_up == up)
			return true;
		usleep(20000);
	}
	return false;
}

static void expect_metric(struct fleet_config *fc, const char *line)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_int_equal(fleet_config_metrics(fc, f), 0);
	fclose(f);
	if (!strstr(text, line))
		fail_msg("no '%s' in:\n%s", line, text);
	free(text);
}

/* ---- tests ---- */

static void test_revisions_reach_the_host(void **state)
{
	struct fleet_config *fc = start_agent();
	struct fleet_view v;

	(void)state;
	store("services: []\n# one\n");
	assert_true(wait_status("applied", fx.revision, true));
	assert_true(host_applied("services: []\n# one\n"));
	store("services: []\n# two\n");
	assert_true(wait_status("applied", fx.revision, true));
	assert_true(host_applied("services: []\n# two\n"));
	assert_int_equal(fleet_view_read(fx.c, FLEET, &v, NULL), 0);
	assert_true(v.hosts[0].in_sync);
	assert_true(v.hosts[0].s.version[0]);        /* the agent's BGXDP_VERSION */
	assert_int_equal(v.hosts[0].s.backends, 4);
	assert_int_equal(v.hosts[0].s.backends_up, 3);
	fleet_view_free(&v);
	expect_metric(fc, "bgxdp_fleet_applied_revision{fleet=\"t\"} 2\n");
	expect_metric(fc, "bgxdp_fleet_in_sync{fleet=\"t\"} 1\n");
	expect_metric(fc, "bgxdp_fleet_etcd_up{fleet=\"t\"} 1\n");
	/* stopping revokes the lease: the host is down at once, its record kept */
	fleet_config_stop(fc);
	assert_true(wait_status("applied", fx.revision, false));
}

static void test_refused_revision_keeps_the_last(void **state)
{
	struct fleet_config *fc = start_agent();
	int64_t good = fx.revision;

	(void)state;
	assert_true(wait_status("applied", good, true));
	pthread_mutex_lock(&host.lock);
	host.refuse = true;
	pthread_mutex_unlock(&host.lock);
	store("services: []\n# REFUSE\n");
	assert_true(wait_status("refused", good, true));
	assert_true(host_applied("services: []\n# two\n"));    /* the last one, applied again */
	{
		struct fleet_view v;

		assert_int_equal(fleet_view_read(fx.c, FLEET, &v, NULL), 0);
		assert_int_equal(v.hosts[0].s.refused_revision, fx.revision);
		assert_non_null(strstr(v.hosts[0].s.error, "no interface named 'f9'"));
		assert_false(v.hosts[0].in_sync);
		fleet_view_free(&v);
	}
	expect_metric(fc, "bgxdp_fleet_apply_failures_total{fleet=\"t\"} 1\n");
	expect_metric(fc, "bgxdp_fleet_in_sync{fleet=\"t\"} 0\n");
	/* the host is fixed: the next heartbeat applies it */
	pthread_mutex_lock(&host.lock);
	host.refuse = false;
	pthread_mutex_unlock(&host.lock);
	assert_true(wait_status("applied", fx.revision, true));
	assert_true(host_applied("services: []\n# REFUSE\n"));
	fleet_config_stop(fc);
}

static void test_two_writers_one_wins(void **state)
{
	struct fleet_view a, b;
	struct fleet_desired d = { .digest = DIGEST, .config = "services: []\n", .by = "alice@x" };
	struct bgx_err e = { 0 };

	(void)state;
	d.config_len = strlen(d.config);
	assert_int_equal(fleet_view_read(fx.c, FLEET, &a, NULL), 0);
	assert_int_equal(fleet_view_read(fx.c, FLEET, &b, NULL), 0);
	d.revision = a.desired.revision + 1;
	assert_int_equal(fleet_view_store(fx.c, FLEET, &a, &d, NULL), 0);
	snprintf(d.by, sizeof(d.by), "bob@y");
	assert_int_equal(fleet_view_store(fx.c, FLEET, &b, &d, &e), -EAGAIN);
	assert_non_null(strstr(e.msg, "written meanwhile by alice@x"));
	assert_non_null(strstr(e.msg, "nothing written"));
	fleet_view_free(&a);
	fleet_view_free(&b);
	assert_int_equal(fleet_view_read(fx.c, FLEET, &a, NULL), 0);
	assert_string_equal(a.desired.by, "alice@x");
	fx.revision = a.desired.revision;
	fleet_view_free(&a);
}

static int64_t host_lease(void)
{
	char key[FLEET_KEY_LEN];
	struct etcd_range r = { 0 };
	int64_t lease = 0;

	fleet_key(key, sizeof(key), FLEET, FLEET_KEY_HOSTS, HOST);
	if (!etcd_get(fx.c, key, &r, NULL) && r.count)
		lease = r.kvs[0].lease;
	etcd_range_free(&r);
	return lease;
}

static void test_lease_granted_again(void **state)
{
	struct fleet_config *fc = start_agent();
	int64_t lease;

	(void)state;
	assert_true(wait_status("applied", fx.revision, true));
	lease = host_lease();
	assert_true(lease != 0);
	assert_int_equal(etcd_lease_revoke(fx.c, lease, NULL), 0);
	/* gone with its lease, then back under a new one */
	assert_true(wait_status("applied", fx.revision, true));
	for (int i = 0; i < 250 && (host_lease() == lease || !host_lease()); i++)
		usleep(20000);
	assert_true(host_lease() && host_lease() != lease);
	fleet_config_stop(fc);
}

static void test_etcd_outage(void **state)
{
	struct fleet_config *fc = start_agent();
	int64_t before;

	(void)state;
	assert_true(wait_status("applied", fx.revision, true));
	before = fx.revision;
	etcd_server_stop(&fx.server);
	assert_true(wait_etcd_up(fc, false));
	expect_metric(fc, "bgxdp_fleet_etcd_up{fleet=\"t\"} 0\n");
	expect_metric(fc, "bgxdp_fleet_applied_revision{fleet=\"t\"} ");
	assert_int_equal(etcd_server_restart(&fx.server), 0);
	assert_true(wait_etcd_up(fc, true));
	store("services: []\n# after the outage\n");
	assert_true(wait_status("applied", before + 1, true));
	assert_true(host_applied("services: []\n# after the outage\n"));
	fleet_config_stop(fc);
}

static void test_restart_catches_up(void **state)
{
	struct fleet_config *fc;
	int applies;

	(void)state;
	store("services: []\n# while the agent was down\n");
	pthread_mutex_lock(&host.lock);
	applies = host.applies;
	pthread_mutex_unlock(&host.lock);
	fc = start_agent();
	assert_true(wait_status("applied", fx.revision, true));
	assert_true(host_applied("services: []\n# while the agent was down\n"));
	pthread_mutex_lock(&host.lock);
	assert_true(host.applies > applies);
	pthread_mutex_unlock(&host.lock);
	fleet_config_stop(fc);
}

/* The change history of the state dir names the fleet's decisions. */
static void test_decisions_in_history(void **state)
{
	char path[400], *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/history.jsonl", fx.state_dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(getdelim(&text, &len, 0, f) > 0, 1);
	fclose(f);
	assert_non_null(strstr(text, "\"actor\":\"fleet\""));
	assert_non_null(strstr(text, "\"what\":\"fleet.apply\""));
	assert_non_null(strstr(text, "\"what\":\"fleet.refused\""));
	assert_non_null(strstr(text, "no interface named 'f9'"));
	free(text);
}

static void test_drift_reported(void **state)
{
	struct fleet_config *fc = start_agent();

	(void)state;
	assert_true(wait_status("applied", fx.revision, true));
	pthread_mutex_lock(&host.lock);
	host.drift = 2;
	pthread_mutex_unlock(&host.lock);
	assert_true(wait_status("drifted", fx.revision, true));
	expect_metric(fc, "bgxdp_fleet_in_sync{fleet=\"t\"} 0\n");
	pthread_mutex_lock(&host.lock);
	host.drift = 0;
	pthread_mutex_unlock(&host.lock);
	assert_true(wait_status("applied", fx.revision, true));
	fleet_config_stop(fc);
}

int main(void)
{
	/* in order: each starts from the revision the one before left */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_revisions_reach_the_host),
		cmocka_unit_test(test_refused_revision_keeps_the_last),
		cmocka_unit_test(test_two_writers_one_wins),
		cmocka_unit_test(test_lease_granted_again),
		cmocka_unit_test(test_etcd_outage),
		cmocka_unit_test(test_restart_catches_up),
		cmocka_unit_test(test_drift_reported),
		cmocka_unit_test(test_decisions_in_history),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
