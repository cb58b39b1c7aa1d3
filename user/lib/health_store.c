// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include "health_store.h"

static int path_of(const char *state_dir, const char *service, char *buf, size_t len,
		   bool make_dir, struct bgx_err *e)
{
	if (snprintf(buf, len, "%s/health", state_dir) >= (int)len)
		return bgx_fail(e, ENAMETOOLONG, "state dir %s: path too long", state_dir);
	if (make_dir && mkdir(buf, 0700) && errno != EEXIST)
		return bgx_fail(e, errno, "cannot create %s: %s", buf, strerror(errno));
	if (snprintf(buf, len, "%s/health/%s.json", state_dir, service) >= (int)len)
		return bgx_fail(e, ENAMETOOLONG, "state dir %s: path too long", state_dir);
	return 0;
}

static json_t *to_json(const struct bgx_desired_health *h)
{
	json_t *o = json_pack("{s:s}", "mode", h->mode == BGX_HEALTH_OFF ? "off" : "on");
	json_t *expect;

	if (h->mode == BGX_HEALTH_OFF)
		return o;
	expect = json_array();
	for (int i = 0; i < h->n_expect; i++)
		json_array_append_new(expect, json_pack("[i,i]", h->expect[i].lo, h->expect[i].hi));
	json_object_update_new(o, json_pack("{s:s,s:s,s:o,s:I,s:I,s:i,s:i,s:i,s:I,s:I,s:b}",
		"check", h->check == BGX_CHECK_HTTP ? "http" : "tcp", "path", h->path,
		"expect", expect, "interval_ms", (json_int_t)h->interval_ms,
		"timeout_ms", (json_int_t)h->timeout_ms, "rise", h->rise, "fall", h->fall,
		"port", h->port, "fastinter_ms", (json_int_t)h->fastinter_ms,
		"downinter_ms", (json_int_t)h->downinter_ms,
		"expire_flows_on_down", h->expire_flows_on_down));
	return o;
}

static int from_json(json_t *o, struct bgx_desired_health *h, const char *path, struct bgx_err *e)
{
	const char *mode = NULL, *check = "tcp", *hpath = "";
	json_int_t interval = 0, timeout = 0, fastinter = 0, downinter = 0;
	int rise = 0, fall = 0, port = 0, expire = 0;
	json_t *expect = NULL, *range;
	size_t i;

	memset(h, 0, sizeof(*h));
	if (json_unpack(o, "{s:s}", "mode", &mode))
		return bgx_fail(e, EINVAL, "%s: not health settings", path);
	h->mode = strcmp(mode, "off") ? BGX_HEALTH_ON : BGX_HEALTH_OFF;
	if (h->mode == BGX_HEALTH_OFF)
		return 0;
	if (json_unpack(o, "{s:s,s:s,s:o,s:I,s:I,s:i,s:i,s:i,s:I,s:I,s:b}", "check", &check,
			"path", &hpath, "expect", &expect, "interval_ms", &interval,
			"timeout_ms", &timeout, "rise", &rise, "fall", &fall, "port", &port,
			"fastinter_ms", &fastinter, "downinter_ms", &downinter,
			"expire_flows_on_down", &expire) || !json_is_array(expect))
		return bgx_fail(e, EINVAL, "%s: malformed health settings", path);
	h->check = strcmp(check, "http") ? BGX_CHECK_TCP : BGX_CHECK_HTTP;
	snprintf(h->path, sizeof(h->path), "%s", hpath);
	json_array_foreach(expect, i, range) {
		int lo, hi;

		if (h->n_expect >= BGX_HEALTH_MAX_RANGES || json_unpack(range, "[i,i]", &lo, &hi))
			return bgx_fail(e, EINVAL, "%s: malformed expect ranges", path);
		h->expect[h->n_expect].lo = (__u16)lo;
		h->expect[h->n_expect++].hi = (__u16)hi;
	}
	h->interval_ms = (__u32)interval;
	h->timeout_ms = (__u32)timeout;
	h->rise = (__u16)rise;
	h->fall = (__u16)fall;
	h->port = (__u16)port;
	h->fastinter_ms = (__u32)fastinter;
	h->downinter_ms = (__u32)downinter;
	h->expire_flows_on_down = expire ? 1 : 0;
	return 0;
}

int health_store_read(const char *state_dir, const char *service, struct bgx_desired_health *h,
		      struct bgx_err *e)
{
	char path[PATH_MAX];
	json_error_t jerr;
	json_t *o;
	int r;

	memset(h, 0, sizeof(*h));
	if ((r = path_of(state_dir, service, path, sizeof(path), false, e)))
		return r;
	if (access(path, F_OK))
		return 0;               /* nothing stored: unset */
	o = json_load_file(path, 0, &jerr);
	if (!o)
		return bgx_fail(e, EINVAL, "%s: %s", path, jerr.text);
	r = from_json(o, h, path, e);
	json_decref(o);
	return r;
}

int health_store_write(const char *state_dir, const char *service,
		       const struct bgx_desired_health *h, struct bgx_err *e)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	json_t *o;
	int r, fd;

	if ((r = path_of(state_dir, service, path, sizeof(path), h->mode != BGX_HEALTH_UNSET, e)))
		return r;
	if (h->mode == BGX_HEALTH_UNSET) {
		if (unlink(path) && errno != ENOENT)
			return bgx_fail(e, errno, "cannot remove %s: %s", path, strerror(errno));
		return 0;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	o = to_json(h);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || json_dumpfd(o, fd, JSON_COMPACT) || fsync(fd)) {
		r = bgx_fail(e, errno ? errno : EIO, "cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		json_decref(o);
		return r;
	}
	close(fd);
	json_decref(o);
	if (rename(tmp, path)) {
		r = bgx_fail(e, errno, "cannot rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return r;
	}
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

int health_store_list(const char *state_dir, char (*names)[BGXDP_NAME_LEN], size_t max,
		      size_t *n, struct bgx_err *e)
{
	char dir_path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	*n = 0;
	if (snprintf(dir_path, sizeof(dir_path), "%s/health", state_dir) >= (int)sizeof(dir_path))
		return bgx_fail(e, ENAMETOOLONG, "state dir %s: path too long", state_dir);
	if (!(dir = opendir(dir_path)))
		return errno == ENOENT ? 0 : bgx_fail(e, errno, "cannot read %s: %s", dir_path,
						       strerror(errno));
	while ((de = readdir(dir)) && *n < max) {
		size_t len = strlen(de->d_name);

		if (len <= 5 || len - 5 >= BGXDP_NAME_LEN || strcmp(de->d_name + len - 5, ".json"))
			continue;
		memcpy(names[*n], de->d_name, len - 5);
		names[*n][len - 5] = 0;
		if (!bgx_parse_name(names[*n], "service", NULL))
			(*n)++;
	}
	closedir(dir);
	qsort(names, *n, sizeof(names[0]), cmp_names);
	return 0;
}
