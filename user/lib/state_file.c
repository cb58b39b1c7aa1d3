// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* state_file.c - whole-file JSON writes and reads in the state dir. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "state_file.h"

int state_file_path(const char *dir, const char *name, char *buf, size_t len,
		    struct bgx_err *err)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len)
		return bgx_fail(err, ENAMETOOLONG, "%s/%s: path too long", dir, name);
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir_of(const char *path)
{
	char copy[PATH_MAX];
	int fd, r = 0;

	snprintf(copy, sizeof(copy), "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		r = -errno;
	close(fd);
	return r;
}

static int replace(const char *path, const json_t *value, bool durable, struct bgx_err *err)
{
	char tmp[PATH_MAX];
	char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
	int fd, r;

	if (!text)
		return bgx_fail(err, ENOMEM, "out of memory");
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp)) {
		free(text);
		return bgx_fail(err, ENAMETOOLONG, "%s: path too long", path);
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = bgx_fail(err, errno, "cannot write %s: %s", tmp, strerror(errno));
		free(text);
		return r;
	}
	r = write_all(fd, text, strlen(text));
	if (!r)
		r = write_all(fd, "\n", 1);
	if (!r && durable && fsync(fd))
		r = -errno;
	if (close(fd) && !r)
		r = -errno;
	if (!r && rename(tmp, path))
		r = -errno;
	free(text);
	if (r) {
		unlink(tmp);
		return bgx_fail(err, r, "cannot write %s: %s", path, strerror(-r));
	}
	r = durable ? fsync_dir_of(path) : 0;
	return r ? bgx_fail(err, r, "cannot sync the directory of %s: %s", path, strerror(-r)) : 0;
}

int state_file_save(const char *path, const json_t *value, struct bgx_err *err)
{
	return replace(path, value, true, err);
}

int state_file_write(const char *path, const json_t *value, struct bgx_err *err)
{
	return replace(path, value, false, err);
}

int state_file_load(const char *path, json_t **out, struct bgx_err *err)
{
	json_error_t jerr;
	struct stat st;
	FILE *f;
	int r = 0;

	*out = NULL;
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return -ENOENT;
		return bgx_fail(err, errno, "cannot read %s: %s", path, strerror(errno));
	}
	if (fstat(fileno(f), &st) || st.st_size > STATE_FILE_MAX_BYTES)
		r = bgx_fail(err, EFBIG, "%s: not a bgxdp state file (over %u bytes)", path,
			     STATE_FILE_MAX_BYTES);
	else if (!(*out = json_loadf(f, JSON_DECODE_ANY, &jerr)))
		r = bgx_fail(err, EINVAL, "%s: not JSON (line %d: %s)", path, jerr.line, jerr.text);
	fclose(f);
	return r;
}

int state_file_remove(const char *path, struct bgx_err *err)
{
	if (unlink(path) && errno != ENOENT)
		return bgx_fail(err, errno, "cannot remove %s: %s", path, strerror(errno));
	return 0;
}
