// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include "state_dir.h"

int state_dir_resolve(const char *flag_value, char *out, size_t len, struct bgx_err *err)
{
	const char *env = getenv(STATE_DIR_ENV);
	const char *path = flag_value ? flag_value : env && env[0] ? env : STATE_DIR_DEFAULT;
	const char *source = flag_value ? "--state-dir" : env && env[0] ? STATE_DIR_ENV : "default";

	if (path[0] != '/')
		return bgx_fail_usage(err, EINVAL, "state dir '%.200s' (%s) must be an absolute path",
				      path, source);
	if (strlen(path) >= len || strlen(path) >= PATH_MAX - 32)
		return bgx_fail_usage(err, ENAMETOOLONG, "state dir '%.60s...' (%s): path too long",
				      path, source);
	snprintf(out, len, "%s", path);
	return 0;
}

/* mkdir -p with mode 0700 for what it creates. */
static int make_dirs(const char *path, struct bgx_err *err)
{
	char part[PATH_MAX];
	size_t len = strlen(path);

	snprintf(part, sizeof(part), "%s", path);
	for (size_t i = 1; i <= len; i++) {
		if (part[i] != '/' && part[i] != '\0')
			continue;
		char saved = part[i];

		part[i] = '\0';
		if (mkdir(part, 0700) == 0)
			chmod(part, 0700);      /* whatever the umask */
		else if (errno != EEXIST)
			return bgx_fail(err, errno, "state dir %s: cannot create %s: %s", path, part,
					strerror(errno));
		part[i] = saved;
	}
	return 0;
}

static int check_one(const char *state_dir, const char *dir, bool ancestor, struct bgx_err *err)
{
	struct stat st;
	uid_t me = geteuid();

	if (stat(dir, &st))
		return bgx_fail(err, errno, "state dir %s: %s: %s", state_dir, dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return bgx_fail(err, ENOTDIR, "state dir %s: %s is not a directory", state_dir, dir);
	if (st.st_uid != 0 && st.st_uid != me)
		return bgx_fail(err, EPERM, "unsafe state dir %s: %s is owned by uid %u, not by root "
				"or you (fix: 'chown root %s' or use another --state-dir)",
				state_dir, dir, (unsigned)st.st_uid, dir);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(ancestor && (st.st_mode & S_ISVTX)))
		return bgx_fail(err, EPERM, "unsafe state dir %s: %s is writable by group or others "
				"(mode %04o; fix: 'chmod go-w %s' or use another --state-dir)",
				state_dir, dir, (unsigned)(st.st_mode & 07777), dir);
	return 0;
}

int state_dir_prepare(const char *path, struct bgx_err *err)
{
	char real[PATH_MAX], *slash;
	int r;

	if (path[0] != '/')
		return bgx_fail_usage(err, EINVAL, "state dir '%.200s' must be an absolute path", path);
	r = make_dirs(path, err);
	if (r)
		return r;
	if (!realpath(path, real))
		return bgx_fail(err, errno, "state dir %s: %s", path, strerror(errno));
	r = check_one(path, real, false, err);
	while (!r && (slash = strrchr(real, '/')) && slash != real) {
		*slash = '\0';
		r = check_one(path, real, true, err);
	}
	if (!r)
		r = check_one(path, "/", true, err);
	return r;
}

static int open_lock(const char *state_dir, int flags, struct bgx_err *err)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", state_dir, AGENT_LOCK_FILE) >= (int)sizeof(path))
		return bgx_fail(err, ENAMETOOLONG, "state dir %.60s...: path too long", state_dir);
	fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return bgx_fail(err, errno, "cannot open %s: %s", path, strerror(errno));
	return fd;
}

/* The pid the holder wrote; 0 if unreadable.  The holder writes it right
 * after it takes the lock, so a reader may look in between: retry briefly. */
static pid_t read_holder(int fd)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		char buf[32];
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		long pid;

		if (n > 0) {
			buf[n] = '\0';
			pid = strtol(buf, NULL, 10);
			if (pid > 0 && pid <= INT_MAX)
				return (pid_t)pid;
		}
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	return 0;
}

int agent_lock_acquire(const char *state_dir, struct agent_lock *lock, struct bgx_err *err)
{
	char pid[32];
	int fd, n;

	lock->fd = -1;
	fd = open_lock(state_dir, O_RDWR | O_CREAT, err);
	if (fd < 0)
		return fd;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int e = errno;
		pid_t holder = e == EWOULDBLOCK ? read_holder(fd) : 0;

		close(fd);
		if (e != EWOULDBLOCK)
			return bgx_fail(err, e, "cannot lock %s/%s: %s", state_dir, AGENT_LOCK_FILE,
					strerror(e));
		if (holder)
			return bgx_fail(err, EBUSY, "another bgxdp agent runs on state dir %s "
					"(%s held by pid %d)", state_dir, AGENT_LOCK_FILE, (int)holder);
		return bgx_fail(err, EBUSY, "another bgxdp agent runs on state dir %s (%s held by "
				"a process that did not write its pid)", state_dir, AGENT_LOCK_FILE);
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)n, 0) != n) {
		int e = errno;

		close(fd);
		return bgx_fail(err, e, "cannot write %s/%s: %s", state_dir, AGENT_LOCK_FILE,
				strerror(e));
	}
	lock->fd = fd;
	return 0;
}

void agent_lock_release(struct agent_lock *lock)
{
	if (lock->fd < 0)
		return;
	/* Empty first: a pid left behind would name a process that no longer
	 * holds anything. */
	if (ftruncate(lock->fd, 0)) {
		/* the lock goes with close() all the same */
	}
	close(lock->fd);
	lock->fd = -1;
}

int agent_lock_holder(const char *state_dir, pid_t *pid, struct bgx_err *err)
{
	int fd, held = 0;

	*pid = 0;
	fd = open_lock(state_dir, O_RDONLY, NULL);
	if (fd == -ENOENT)
		return 0;               /* no agent ever ran here */
	if (fd < 0)
		return bgx_fail(err, -fd, "cannot open %s/%s: %s", state_dir, AGENT_LOCK_FILE,
				strerror(-fd));
	if (flock(fd, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK) {
		held = 1;
		*pid = read_holder(fd);
	}
	close(fd);
	return held;
}
