// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fleet_config.c - the fleet component's thread: read the desired state,
 * watch it, apply each new revision whole or not at all (fleet_config.h).
 * Lease, status and etcd's reachability: fleet_config_etcd.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "fleet_config_int.h"
#include "state_dir.h"
#include "values.h"

#define POLL_MS          200     /* the loop's tick while the watch is quiet */
#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS   4000

uint64_t fleet_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void fleet_log(struct fleet_config *fc, bool once, const char *fmt, ...)
{
	char msg[BGX_ERR_MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (once && !strcmp(msg, fc->last_log))
		return;
	snprintf(fc->last_log, sizeof(fc->last_log), "%s", msg);
	fprintf(stderr, "bgxdp: fleet %s: %s\n", fc->fleet, msg);
}

void fleet_journal(struct fleet_config *fc, const char *what, int64_t before, int64_t after,
		   const char *reason)
{
	struct journal_entry entry = { .actor = "fleet", .what = what, .reason = reason };
	struct bgx_err e = { 0 };

	if (!fc->journal_ok)
		return;
	entry.before = json_integer(before);
	entry.after = json_integer(after);
	if (journal_append(&fc->journal, &entry, &e))
		fleet_log(fc, true, "cannot write the change history: %s", e.msg);
	json_decref(entry.before);
	json_decref(entry.after);
}

/* ---- what the watch hands over ---- */

/* The newest record of the desired key in a batch becomes `pending`. */
static void on_watch(const struct etcd_watch_batch *batch, void *ctx)
{
	struct fleet_config *fc = ctx;
	const struct etcd_event *last = NULL;
	struct bgx_err e = { 0 };
	bool seen = false;

	for (size_t i = 0; i < batch->n_events; i++) {
		if (strcmp(batch->events[i].kv.key, fc->key_desired))
			continue;
		seen = true;
		last = &batch->events[i];
	}
	if (!seen) {
		if (batch->snapshot)
			fleet_log(fc, true, "the desired state is gone from etcd; keeping revision %lld",
				  (long long)fc->applied.revision);
		return;
	}
	if (last->type == ETCD_EVENT_DELETE) {
		fleet_log(fc, true, "the desired state was deleted from etcd; keeping revision %lld",
			  (long long)fc->applied.revision);
		return;
	}
	fleet_desired_clear(&fc->pending);
	if (fleet_desired_decode(last->kv.value, last->kv.value_len, &fc->pending, &e))
		fleet_log(fc, true, "%s: ignored (%s)", fc->key_desired, e.msg);
}

/* First read of the desired state, then a watch from just after it. */
static void read_and_watch(struct fleet_config *fc)
{
	struct etcd_range range = { 0 };
	struct etcd_watch_batch batch = { .snapshot = true };
	struct etcd_event ev = { .type = ETCD_EVENT_PUT };
	struct bgx_err e = { 0 };

	if (etcd_get(fc->client, fc->key_desired, &range, &e) ||
	    etcd_watch_open(fc->client, fc->key_desired, range.revision + 1, on_watch, fc,
			    &fc->watch, &e)) {
		fleet_etcd_failed(fc, &e);
		etcd_range_free(&range);
		fc->watch_retry_ns = fleet_now_ns() + (uint64_t)fc->backoff_ms * 1000000ull;
		fc->backoff_ms = fc->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : fc->backoff_ms * 2;
		return;
	}
	fleet_etcd_answered(fc);
	fc->backoff_ms = BACKOFF_FIRST_MS;
	if (range.count) {
		ev.kv = range.kvs[0];
		batch.events = &ev;
		batch.n_events = 1;
		on_watch(&batch, fc);
	} else {
		fleet_log(fc, true, "no desired state in etcd yet ('bgxdp fleet apply' writes it)");
	}
	etcd_range_free(&range);
}

/* ---- applying ---- */

static bool same_record(const struct fleet_desired *a, const struct fleet_desired *b)
{
	return a->revision == b->revision && !strcmp(a->digest, b->digest);
}

static void set_state(struct fleet_config *fc, const char *state, const char *error)
{
	pthread_mutex_lock(&fc->lock);
	snprintf(fc->status.state, sizeof(fc->status.state), "%s", state);
	snprintf(fc->st.state, sizeof(fc->st.state), "%s", state);
	snprintf(fc->status.error, sizeof(fc->status.error), "%s", error ? error : "");
	fc->status.applied_revision = fc->st.applied_revision = fc->applied.revision;
	snprintf(fc->status.digest, sizeof(fc->status.digest), "%s", fc->applied.digest);
	fc->st.in_sync = fc->applied.revision && fc->applied.revision == fc->st.desired_revision &&
			 !strcmp(state, "applied");
	pthread_mutex_unlock(&fc->lock);
	fc->status_dirty = true;
}

/* A revision that could not be applied: the instance goes back to the
 * last applied one (a no-op when the refusal came before any change). */
static void refuse(struct fleet_config *fc, struct fleet_desired *rec, const struct bgx_err *e)
{
	struct bgx_err restore = { 0 };

	fleet_log(fc, true, "revision %lld refused, keeping revision %lld: %s",
		  (long long)rec->revision, (long long)fc->applied.revision, e->msg);
	if (fc->applied.config &&
	    fc->ops.apply(fc->ops.ctx, fc->applied.config, fc->applied.config_len,
			  "the last applied revision", &restore))
		fleet_log(fc, false, "restoring revision %lld failed too: %s",
			  (long long)fc->applied.revision, restore.msg);
	if (rec != &fc->refused) {      /* a retry is not a new refusal */
		pthread_mutex_lock(&fc->lock);
		fc->status.refused_revision = rec->revision;
		fc->st.failures++;
		pthread_mutex_unlock(&fc->lock);
		fleet_journal(fc, "fleet.refused", fc->applied.revision, rec->revision, e->msg);
	}
	set_state(fc, "refused", e->msg);
	if (rec != &fc->refused) {
		fleet_desired_clear(&fc->refused);
		fc->refused = *rec;
		memset(rec, 0, sizeof(*rec));
	}
}

static void apply_record(struct fleet_config *fc, struct fleet_desired *rec)
{
	char source[96], why[256];
	struct bgx_err e = { 0 };
	uint64_t t0 = fleet_now_ns();
	int64_t before = fc->applied.revision;

	snprintf(source, sizeof(source), "fleet %s revision %lld", fc->fleet,
		 (long long)rec->revision);
	if (fc->ops.apply(fc->ops.ctx, rec->config, rec->config_len, source, &e)) {
		refuse(fc, rec, &e);
		return;
	}
	fleet_desired_clear(&fc->applied);
	fc->applied = *rec;
	memset(rec, 0, sizeof(*rec));
	fleet_desired_clear(&fc->refused);
	if (fleet_applied_save(fc, &e))
		fleet_log(fc, false, "cannot remember the applied revision: %s", e.msg);
	pthread_mutex_lock(&fc->lock);
	fc->st.applies++;
	pthread_mutex_unlock(&fc->lock);
	set_state(fc, "applied", NULL);
	snprintf(why, sizeof(why), "fleet %s revision %lld (digest %.12s) by %s", fc->fleet,
		 (long long)fc->applied.revision, fc->applied.digest, fc->applied.by);
	if (before != fc->applied.revision)
		fleet_journal(fc, "fleet.apply", before, fc->applied.revision, why);
	fleet_log(fc, false, "applied revision %lld (digest %.12s, by %s) in %.1f ms",
		  (long long)fc->applied.revision, fc->applied.digest, fc->applied.by,
		  (double)(fleet_now_ns() - t0) / 1e6);
}

static void apply_pending(struct fleet_config *fc)
{
	if (!fc->pending.revision)
		return;
	pthread_mutex_lock(&fc->lock);
	fc->st.desired_revision = fc->pending.revision;
	pthread_mutex_unlock(&fc->lock);
	if (!fc->force_apply && same_record(&fc->pending, &fc->applied)) {
		fleet_desired_clear(&fc->pending);
		set_state(fc, fc->status.state[0] ? fc->status.state : "applied", fc->status.error);
		return;
	}
	fc->force_apply = false;
	apply_record(fc, &fc->pending);
	fleet_desired_clear(&fc->pending);
}

/* At each heartbeat: retry a refused revision (the host may have been
 * fixed), or look for changes made outside the fleet. */
static void recheck(struct fleet_config *fc)
{
	struct bgx_err e = { 0 };
	char why[FLEET_ERROR_LEN];
	int n;

	if (fc->refused.revision && fc->refused.revision == fc->st.desired_revision) {
		apply_record(fc, &fc->refused);
		return;
	}
	if (!fc->applied.config || !fc->ops.drift)
		return;
	n = fc->ops.drift(fc->ops.ctx, fc->applied.config, fc->applied.config_len, &e);
	if (n > 0) {
		snprintf(why, sizeof(why), "%d change%s made outside the fleet since revision %lld",
			 n, n == 1 ? "" : "s", (long long)fc->applied.revision);
		if (strcmp(fc->status.state, "drifted") || strcmp(fc->status.error, why)) {
			fleet_log(fc, true, "%s", why);
			fleet_journal(fc, "fleet.drift", fc->applied.revision, fc->applied.revision, why);
		}
		set_state(fc, "drifted", why);
	} else if (n == 0 && !strcmp(fc->status.state, "drifted")) {
		set_state(fc, "applied", NULL);
	}
}

/* ---- the thread ---- */

static void tick(struct fleet_config *fc)
{
	struct bgx_err e = { 0 };
	uint64_t now;

	if (!fc->watch && fleet_now_ns() >= fc->watch_retry_ns)
		read_and_watch(fc);
	if (fc->watch) {
		if (etcd_watch_poll(fc->watch, POLL_MS, &e) < 0)
			fleet_etcd_failed(fc, &e);
		else
			fleet_etcd_answered(fc);
	} else {
		struct timespec ts = { 0, POLL_MS * 1000000L };

		nanosleep(&ts, NULL);
	}
	apply_pending(fc);
	now = fleet_now_ns();
	if (now >= fc->heartbeat_due_ns) {
		recheck(fc);
		fc->status_dirty = true;
		fc->heartbeat_due_ns = now + (uint64_t)fc->heartbeat_ms * 1000000ull;
	}
	fleet_keep_lease(fc);
	fleet_publish_status(fc);
}

static void *thread_main(void *arg)
{
	struct fleet_config *fc = arg;
	sigset_t stop;

	/* the agent's main thread takes SIGTERM/SIGINT/SIGHUP */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	while (!atomic_load(&fc->stopping))
		tick(fc);
	return NULL;
}

/* ---- start, stop, state ---- */

static int copy_settings(struct fleet_config *fc, const struct fleet_config_settings *s,
			 struct bgx_err *e)
{
	const char *src[7] = { s->etcd.endpoints, s->etcd.ca_file, s->etcd.cert_file,
			       s->etcd.key_file, s->etcd.user, s->etcd.password };
	const char **dst[7] = { &fc->etcd.endpoints, &fc->etcd.ca_file, &fc->etcd.cert_file,
				&fc->etcd.key_file, &fc->etcd.user, &fc->etcd.password };

	for (int i = 0; i < 6; i++) {
		if (src[i] && !(fc->etcd_strings[i] = strdup(src[i])))
			return bgx_fail(e, ENOMEM, "out of memory");
		*dst[i] = fc->etcd_strings[i];
	}
	fc->etcd.timeout_ms = s->etcd.timeout_ms ? s->etcd.timeout_ms : FLEET_ETCD_TIMEOUT_MS;
	snprintf(fc->fleet, sizeof(fc->fleet), "%s", s->fleet);
	snprintf(fc->host, sizeof(fc->host), "%s", s->host);
	snprintf(fc->pin_dir, sizeof(fc->pin_dir), "%s", s->pin_dir ? s->pin_dir : "");
	snprintf(fc->state_dir, sizeof(fc->state_dir), "%s", s->state_dir ? s->state_dir : "");
	fc->lease_ttl_s = s->lease_ttl_s ? s->lease_ttl_s : FLEET_LEASE_TTL_S;
	fc->heartbeat_ms = s->heartbeat_ms ? s->heartbeat_ms : FLEET_HEARTBEAT_MS;
	fc->host_ctx.pin_dir = fc->pin_dir;
	fc->host_ctx.state_dir = fc->state_dir;
	if (s->ops)
		fc->ops = *s->ops;
	else
		fleet_host_ops_init(&fc->ops, &fc->host_ctx);
	return 0;
}

static int check_settings(const struct fleet_config_settings *s, struct bgx_err *e)
{
	int r;

	if (!s->fleet || bgx_parse_name(s->fleet, "--fleet", e))
		return s->fleet ? -EINVAL : bgx_fail_usage(e, EINVAL, "--fleet: missing");
	if (!s->host || (r = fleet_host_name_check(s->host, "--host-name", e)))
		return s->host ? r : bgx_fail_usage(e, EINVAL, "--host-name: missing");
	if (!s->state_dir || !*s->state_dir)
		return bgx_fail_usage(e, EINVAL, "fleet: no state dir");
	return 0;
}

static void init_status(struct fleet_config *fc)
{
	snprintf(fc->status.host, sizeof(fc->status.host), "%s", fc->host);
	snprintf(fc->status.version, sizeof(fc->status.version), "%s", BGXDP_VERSION);
	fc->status.started = (int64_t)time(NULL);
	fc->force_apply = true;
	fc->backoff_ms = BACKOFF_FIRST_MS;
	fc->status_dirty = true;
	set_state(fc, fc->applied.revision ? "applied" : "waiting", NULL);
}

int fleet_config_start(const struct fleet_config_settings *s, struct fleet_config **out,
		       struct bgx_err *e)
{
	struct fleet_config *fc;
	int r;

	*out = NULL;
	if ((r = check_settings(s, e)))
		return r;
	fc = calloc(1, sizeof(*fc));
	if (!fc)
		return bgx_fail(e, ENOMEM, "out of memory");
	pthread_mutex_init(&fc->lock, NULL);
	if ((r = copy_settings(fc, s, e)) ||
	    (r = fleet_key(fc->key_desired, FLEET_KEY_LEN, fc->fleet, FLEET_KEY_DESIRED, NULL)) ||
	    (r = fleet_key(fc->key_host, FLEET_KEY_LEN, fc->fleet, FLEET_KEY_HOSTS, fc->host)) ||
	    (r = fleet_key(fc->key_member, FLEET_KEY_LEN, fc->fleet, FLEET_KEY_MEMBERS, fc->host)) ||
	    (r = state_dir_prepare(fc->state_dir, e)) ||
	    (r = etcd_open(&fc->etcd, &fc->client, e)))
		goto fail;
	if (fleet_applied_load(fc))
		fleet_log(fc, false, "no applied revision remembered in %s", fc->state_dir);
	{
		struct journal_config jc;

		journal_config_default(&jc, fc->state_dir);
		fc->journal_ok = !journal_open(&fc->journal, &jc, NULL);
	}
	init_status(fc);
	if ((r = -pthread_create(&fc->thread, NULL, thread_main, fc))) {
		bgx_fail(e, r, "fleet: cannot start its thread: %s", strerror(-r));
		goto fail;
	}
	fc->thread_started = true;
	*out = fc;
	return 0;
fail:
	if (r == -ENAMETOOLONG)
		bgx_fail(e, r, "fleet '%s', host '%s': names too long for a key", s->fleet, s->host);
	fleet_config_stop(fc);
	return r;
}

void fleet_config_stop(struct fleet_config *fc)
{
	if (!fc)
		return;
	atomic_store(&fc->stopping, true);
	if (fc->thread_started) {
		if (fc->watch)
			etcd_watch_interrupt(fc->watch);
		pthread_join(fc->thread, NULL);
	}
	/* the lease goes with us: `fleet status` sees the host down at once */
	if (fc->lease && fc->client)
		etcd_lease_revoke(fc->client, fc->lease, NULL);
	etcd_watch_close(fc->watch);
	etcd_close(fc->client);
	fleet_desired_clear(&fc->applied);
	fleet_desired_clear(&fc->pending);
	fleet_desired_clear(&fc->refused);
	for (int i = 0; i < 7; i++)
		free(fc->etcd_strings[i]);
	pthread_mutex_destroy(&fc->lock);
	free(fc);
}

void fleet_config_get_state(struct fleet_config *fc, struct fleet_config_state *st)
{
	pthread_mutex_lock(&fc->lock);
	*st = fc->st;
	pthread_mutex_unlock(&fc->lock);
}

int fleet_config_metrics(struct fleet_config *fc, FILE *out)
{
	struct fleet_config_state st;

	fleet_config_get_state(fc, &st);
	fprintf(out,
		"# HELP bgxdp_fleet_applied_revision Fleet revision applied to this instance (0: none).\n"
		"# TYPE bgxdp_fleet_applied_revision gauge\n"
		"bgxdp_fleet_applied_revision{fleet=\"%s\"} %lld\n"
		"# HELP bgxdp_fleet_desired_revision Newest fleet revision seen in etcd.\n"
		"# TYPE bgxdp_fleet_desired_revision gauge\n"
		"bgxdp_fleet_desired_revision{fleet=\"%s\"} %lld\n"
		"# HELP bgxdp_fleet_in_sync 1 when the applied revision is the desired one and the instance is as it says.\n"
		"# TYPE bgxdp_fleet_in_sync gauge\n"
		"bgxdp_fleet_in_sync{fleet=\"%s\"} %d\n"
		"# HELP bgxdp_fleet_etcd_up 1 when etcd answered the agent's last call.\n"
		"# TYPE bgxdp_fleet_etcd_up gauge\n"
		"bgxdp_fleet_etcd_up{fleet=\"%s\"} %d\n"
		"# HELP bgxdp_fleet_applies_total Fleet revisions applied.\n"
		"# TYPE bgxdp_fleet_applies_total counter\n"
		"bgxdp_fleet_applies_total{fleet=\"%s\"} %llu\n"
		"# HELP bgxdp_fleet_apply_failures_total Fleet revisions refused or failed (the last applied one was kept).\n"
		"# TYPE bgxdp_fleet_apply_failures_total counter\n"
		"bgxdp_fleet_apply_failures_total{fleet=\"%s\"} %llu\n"
		"# HELP bgxdp_fleet_etcd_errors_total Calls to etcd that got no answer.\n"
		"# TYPE bgxdp_fleet_etcd_errors_total counter\n"
		"bgxdp_fleet_etcd_errors_total{fleet=\"%s\"} %llu\n",
		fc->fleet, (long long)st.applied_revision, fc->fleet, (long long)st.desired_revision,
		fc->fleet, st.in_sync, fc->fleet, st.etcd_up, fc->fleet,
		(unsigned long long)st.applies, fc->fleet, (unsigned long long)st.failures, fc->fleet,
		(unsigned long long)st.etcd_errors);
	return ferror(out) ? -EIO : 0;
}
