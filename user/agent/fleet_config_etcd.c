// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fleet_config_etcd.c - the fleet component and etcd: whether etcd
 * answers, the lease and the host's status records, and the last applied
 * revision kept in the state dir (so a restarted agent, even one that
 * cannot reach etcd, knows what its instance holds).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "fleet_config_int.h"

#define KEEPALIVE_RETRY_MS 1000

/* ---- reachability ---- */

void fleet_etcd_failed(struct fleet_config *fc, const struct bgx_err *e)
{
	bool was_up;

	pthread_mutex_lock(&fc->lock);
	was_up = fc->st.etcd_up || !fc->st.etcd_errors;
	fc->st.etcd_up = false;
	fc->st.etcd_errors++;
	pthread_mutex_unlock(&fc->lock);
	if (was_up)
		fleet_log(fc, false, "etcd unreachable (%s); keeping the live state (revision %lld) "
			  "and retrying", e->msg, (long long)fc->applied.revision);
}

void fleet_etcd_answered(struct fleet_config *fc)
{
	bool was_down;

	pthread_mutex_lock(&fc->lock);
	was_down = !fc->st.etcd_up && fc->st.etcd_errors;
	fc->st.etcd_up = true;
	pthread_mutex_unlock(&fc->lock);
	if (was_down) {
		fleet_log(fc, false, "etcd answers again");
		fc->status_dirty = true;
	}
}

/* ---- the lease ---- */

static void grant(struct fleet_config *fc, uint64_t now)
{
	struct bgx_err e = { 0 };

	if (etcd_lease_grant(fc->client, fc->lease_ttl_s, &fc->lease, &e)) {
		fc->lease = 0;
		fleet_etcd_failed(fc, &e);
		fc->keepalive_due_ns = now + KEEPALIVE_RETRY_MS * 1000000ull;
		return;
	}
	fleet_etcd_answered(fc);
	fc->status_dirty = true;        /* the status key goes under the new lease */
	fc->keepalive_due_ns = now + (uint64_t)fc->lease_ttl_s * 1000000000ull / 3;
}

void fleet_keep_lease(struct fleet_config *fc)
{
	uint64_t now = fleet_now_ns();
	struct bgx_err e = { 0 };
	int r;

	if (now < fc->keepalive_due_ns)
		return;
	if (!fc->lease) {
		grant(fc, now);
		return;
	}
	r = etcd_lease_keepalive(fc->client, fc->lease, NULL, &e);
	if (r == -ENOENT) {
		/* expired while etcd could not be reached: a new one */
		fleet_log(fc, false, "lease %llx expired; granting a new one",
			  (unsigned long long)fc->lease);
		fc->lease = 0;
		grant(fc, now);
		return;
	}
	if (r) {
		fleet_etcd_failed(fc, &e);
		fc->keepalive_due_ns = now + KEEPALIVE_RETRY_MS * 1000000ull;
		return;
	}
	fleet_etcd_answered(fc);
	fc->keepalive_due_ns = now + (uint64_t)fc->lease_ttl_s * 1000000000ull / 3;
}

/* ---- the status records ---- */

void fleet_publish_status(struct fleet_config *fc)
{
	struct fleet_host_status s;
	struct bgx_err e = { 0 };
	char *text;
	int r;

	if (!fc->status_dirty || !fc->lease)
		return;
	if (fc->ops.health) {
		uint32_t backends, up;

		fc->ops.health(fc->ops.ctx, &backends, &up);
		pthread_mutex_lock(&fc->lock);
		fc->status.backends = backends;
		fc->status.backends_up = up;
		pthread_mutex_unlock(&fc->lock);
	}
	pthread_mutex_lock(&fc->lock);
	fc->status.seen = (int64_t)time(NULL);
	s = fc->status;
	pthread_mutex_unlock(&fc->lock);
	text = fleet_status_encode(&s);
	if (!text)
		return;
	r = etcd_put(fc->client, fc->key_host, text, strlen(text), fc->lease, NULL, &e);
	if (!r)
		r = etcd_put(fc->client, fc->key_member, text, strlen(text), 0, NULL, &e);
	free(text);
	if (r == -ENOENT) {             /* the lease is gone: grant one, then publish */
		fc->lease = 0;
		fc->keepalive_due_ns = 0;
		return;
	}
	if (r) {
		fleet_etcd_failed(fc, &e);
		return;
	}
	fleet_etcd_answered(fc);
	fc->status_dirty = false;
}

/* ---- the last applied revision, in the state dir ---- */

static void applied_path(const struct fleet_config *fc, char *buf, size_t len)
{
	snprintf(buf, len, "%s/fleet-%s.json", fc->state_dir, fc->fleet);
}

int fleet_applied_load(struct fleet_config *fc)
{
	char path[PATH_MAX + 64], *buf = NULL;
	struct bgx_err e = { 0 };
	size_t len = 0;
	FILE *f;
	int r;

	applied_path(fc, path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return -errno;
	buf = malloc(4u << 20);
	if (buf)
		len = fread(buf, 1, (4u << 20) - 1, f);
	fclose(f);
	if (!buf)
		return -ENOMEM;
	r = fleet_desired_decode(buf, len, &fc->applied, &e);
	free(buf);
	if (r)
		fleet_log(fc, false, "%s: ignored (%s)", path, e.msg);
	return r;
}

/* temp file, fsync, rename: the file is the old record or the new one */
int fleet_applied_save(struct fleet_config *fc, struct bgx_err *e)
{
	char path[PATH_MAX + 64], tmp[PATH_MAX + 80];
	char *text = fleet_desired_encode(&fc->applied);
	size_t len;
	int fd, r = 0;

	if (!text)
		return bgx_fail(e, ENOMEM, "out of memory");
	applied_path(fc, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	len = strlen(text);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		r = bgx_fail(e, errno, "%s: %s", tmp, strerror(errno));
	else if (write(fd, text, len) != (ssize_t)len || fsync(fd))
		r = bgx_fail(e, errno ? errno : EIO, "%s: %s", tmp, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (!r && rename(tmp, path))
		r = bgx_fail(e, errno, "%s: %s", path, strerror(errno));
	if (r)
		unlink(tmp);
	free(text);
	return r;
}
