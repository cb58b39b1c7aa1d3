// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fleet_sync.c - the flow-sync component's thread (fleet_sync.h): the
 * instance and its flow events, the sockets, the loop.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "fleet_sync_int.h"

#define TICK_MS             100
#define INSTANCE_CHECK_MS   1000

uint64_t fleet_sync_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void fleet_sync_log(struct fleet_sync *fs, bool once, const char *fmt, ...)
{
	char msg[sizeof(fs->last_log)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (once && !strcmp(msg, fs->last_log))
		return;
	snprintf(fs->last_log, sizeof(fs->last_log), "%s", msg);
	fprintf(stderr, "bgxdp: flow sync: %s\n", msg);
}

/* ---- the instance and its flow events ---- */

static ino_t flows_inode(const char *pin_dir)
{
	char path[PATH_MAX + 8];
	struct stat st;

	snprintf(path, sizeof(path), "%s/flows", pin_dir);
	return stat(path, &st) ? 0 : st.st_ino;
}

static void drop_instance(struct fleet_sync *fs)
{
	ring_buffer__free(fs->ring);
	fs->ring = NULL;
	if (fs->events_fd >= 0)
		close(fs->events_fd);
	fs->events_fd = -1;
	bgx_close(fs->in);
	pthread_mutex_lock(&fs->lock);
	fs->in = NULL;
	fs->st.events_up = false;
	pthread_mutex_unlock(&fs->lock);
}

static void open_events(struct fleet_sync *fs)
{
	struct bgx_err e = { 0 };

	if (bgx_flow_events_set(fs->pin_dir, true, NULL, &e) ||
	    (fs->events_fd = bgx_flow_events_fd(fs->in, &e)) < 0) {
		fs->events_fd = -1;
		fleet_sync_log(fs, true, "%s; this host takes its peers' flows but sends none", e.msg);
		return;
	}
	fs->ring = ring_buffer__new(fs->events_fd, fleet_sync_on_event, fs, NULL);
	if (!fs->ring) {
		fleet_sync_log(fs, true, "cannot read the flow events: %s", strerror(errno));
		return;
	}
	pthread_mutex_lock(&fs->lock);
	fs->st.events_up = true;
	pthread_mutex_unlock(&fs->lock);
	fleet_sync_log(fs, false, "sending the flows of %s to the peers", fs->pin_dir);
}

/* Open the instance when it appears, again when it was made anew (a
 * detach and attach), and keep its flow events on. */
static void watch_instance(struct fleet_sync *fs)
{
	uint64_t now = fleet_sync_clock(CLOCK_MONOTONIC);
	struct bgx_err e = { 0 };
	ino_t ino;

	if (now < fs->instance_check_ns)
		return;
	fs->instance_check_ns = now + INSTANCE_CHECK_MS * 1000000ull;
	ino = flows_inode(fs->pin_dir);
	if (fs->in && ino == fs->flows_ino) {
		if (fs->ring && bgx_flow_events_get(fs->in, NULL) == 0)
			bgx_flow_events_set(fs->pin_dir, true, NULL, NULL);
		return;
	}
	if (fs->in) {
		fleet_sync_log(fs, false, "the instance at %s changed; opening it again", fs->pin_dir);
		drop_instance(fs);
	}
	if (!ino || bgx_open(fs->pin_dir, BGX_READ, &fs->in, &e)) {
		fs->in = NULL;
		fleet_sync_log(fs, true, "no instance at %s yet; peers' flows are dropped until "
			       "there is one", fs->pin_dir);
		return;
	}
	fs->flows_ino = ino;
	open_events(fs);
}

/* ---- the loop ---- */

static int poll_timeout(const struct fleet_sync *fs)
{
	int t = flowsync_node_flush_timeout(fs->node);

	return t < 0 || t > TICK_MS ? TICK_MS : t;
}

static void loop_once(struct fleet_sync *fs)
{
	struct pollfd p[3] = {
		{ .fd = flowsync_node_fd(fs->node), .events = POLLIN },
		{ .fd = fs->ring ? ring_buffer__epoll_fd(fs->ring) : -1, .events = POLLIN },
		{ .fd = fs->wake_fd, .events = POLLIN },
	};

	watch_instance(fs);
	if (poll(p, 3, poll_timeout(fs)) < 0 && errno != EINTR)
		fleet_sync_log(fs, true, "poll: %s", strerror(errno));
	if (p[0].revents & POLLIN)
		flowsync_node_receive(fs->node, fleet_sync_deliver, fs);
	if (fs->ring && ring_buffer__consume(fs->ring) < 0)
		fleet_sync_log(fs, true, "reading the flow events: %s", strerror(errno));
	flowsync_node_tick(fs->node);
	fleet_sync_refresh(fs);
	pthread_mutex_lock(&fs->lock);
	flowsync_node_stats(fs->node, &fs->st.tx, &fs->st.rx);
	pthread_mutex_unlock(&fs->lock);
}

static void *thread_main(void *arg)
{
	struct fleet_sync *fs = arg;
	sigset_t stop;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	while (!atomic_load(&fs->stopping))
		loop_once(fs);
	flowsync_node_flush(fs->node);
	return NULL;
}

/* ---- start, stop ---- */

static int open_node(struct fleet_sync *fs, const struct fleet_sync_settings *s,
		     struct bgx_err *e)
{
	struct flowsync_node_config cfg = {
		.listen = s->listen,
		.n_peers = s->n_peers,
		.host_id = fs->host_id,
		.flush_ms = s->flush_ms,
		.limits = s->limits,
	};
	int r;

	if (!s->key_file)
		return bgx_fail_usage(e, EINVAL, "flow sync needs --sync-key FILE");
	if (s->n_peers > FLOWSYNC_MAX_PEERS)
		return bgx_fail_usage(e, E2BIG, "--sync-peer: at most %d", FLOWSYNC_MAX_PEERS);
	for (size_t i = 0; i < s->n_peers; i++)
		cfg.peers[i] = s->peers[i];
	if ((r = flowsync_key_load(s->key_file, &cfg.key, e)))
		return r;
	r = flowsync_node_open(&cfg, &fs->node, e);
	flowsync_key_wipe(&cfg.key);
	return r;
}

int fleet_sync_start(const struct fleet_sync_settings *s, struct fleet_sync **out,
		     struct bgx_err *e)
{
	struct fleet_sync *fs;
	int r;

	*out = NULL;
	if (!s->pin_dir || !s->host || !*s->host)
		return bgx_fail_usage(e, EINVAL, "flow sync: no pin dir or host name");
	if (!(fs = calloc(1, sizeof(*fs))))
		return bgx_fail(e, ENOMEM, "out of memory");
	pthread_mutex_init(&fs->lock, NULL);
	fs->events_fd = fs->wake_fd = -1;
	snprintf(fs->pin_dir, sizeof(fs->pin_dir), "%s", s->pin_dir);
	snprintf(fs->host, sizeof(fs->host), "%s", s->host);
	fs->host_id = flowsync_host_id(fs->host);
	if ((r = open_node(fs, s, e)))
		goto fail;
	if (!(fs->claims = fleet_claims_new(FLEET_CLAIMS_DEFAULT)) ||
	    (fs->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		r = bgx_fail(e, ENOMEM, "flow sync: out of memory");
		goto fail;
	}
	if ((r = -pthread_create(&fs->thread, NULL, thread_main, fs))) {
		bgx_fail(e, r, "flow sync: cannot start its thread: %s", strerror(-r));
		goto fail;
	}
	fs->thread_started = true;
	*out = fs;
	return 0;
fail:
	fleet_sync_stop(fs);
	return r;
}

void fleet_sync_stop(struct fleet_sync *fs)
{
	__u64 one = 1;

	if (!fs)
		return;
	atomic_store(&fs->stopping, true);
	if (fs->thread_started) {
		if (write(fs->wake_fd, &one, sizeof(one)) < 0)
			fleet_sync_log(fs, false, "cannot wake the sync thread: %s", strerror(errno));
		pthread_join(fs->thread, NULL);
	}
	/* nobody reads the events any more: the data plane need not write them */
	if (fs->ring)
		bgx_flow_events_set(fs->pin_dir, false, NULL, NULL);
	drop_instance(fs);
	flowsync_node_close(fs->node);
	fleet_claims_free(fs->claims);
	if (fs->wake_fd >= 0)
		close(fs->wake_fd);
	pthread_mutex_destroy(&fs->lock);
	free(fs);
}
