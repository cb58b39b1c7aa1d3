// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* requests.c - requests to the agent and its answers, in the state dir. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "requests.h"
#include "state_file.h"

#define STALE_REPLY_S          60
#define MAX_PENDING            64

static int dir_of(const char *state_dir, char *buf, size_t len, bool create, struct bgx_err *e)
{
	if (snprintf(buf, len, "%s/%s", state_dir, REQUESTS_DIR) >= (int)len)
		return bgx_fail(e, ENAMETOOLONG, "state dir %s: path too long", state_dir);
	if (create && mkdir(buf, 0700) && errno != EEXIST)
		return bgx_fail(e, errno, "cannot create %s: %s", buf, strerror(errno));
	return 0;
}

static int file_of(const char *state_dir, const char *id, const char *suffix, char *buf,
		   size_t len, struct bgx_err *e)
{
	if (snprintf(buf, len, "%s/%s/%s%s", state_dir, REQUESTS_DIR, id, suffix) >= (int)len)
		return bgx_fail(e, ENAMETOOLONG, "state dir %s: path too long", state_dir);
	return 0;
}

int request_submit(const char *state_dir, const json_t *body, char id[REQUEST_ID_LEN],
		   struct bgx_err *e)
{
	char path[PATH_MAX];
	struct timespec ts;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(id, REQUEST_ID_LEN, "%019lld-%d",
		 (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec, (int)getpid());
	if ((r = dir_of(state_dir, path, sizeof(path), true, e)) ||
	    (r = file_of(state_dir, id, ".json", path, sizeof(path), e)))
		return r;
	return state_file_save(path, body, e);
}

/* The answer, if written: 1 (and *reply), 0 if not yet, -errno. */
static int reply_ready(const char *rep, json_t **reply, struct bgx_err *e)
{
	int r = state_file_load(rep, reply, e);

	if (r == -ENOENT)
		return 0;
	state_file_remove(rep, NULL);
	return r ? r : 1;
}

int request_wait(const char *state_dir, const char *id, int timeout_ms, json_t **reply,
		 struct bgx_err *e)
{
	char req[PATH_MAX], rep[PATH_MAX];
	int r, waited;

	*reply = NULL;
	if ((r = file_of(state_dir, id, ".json", req, sizeof(req), e)) ||
	    (r = file_of(state_dir, id, ".reply.json", rep, sizeof(rep), e)))
		return r;
	for (waited = 0; waited <= timeout_ms; waited += 20) {
		if ((r = reply_ready(rep, reply, e)))
			return r < 0 ? r : 0;
		usleep(20 * 1000);
	}
	/* Withdraw it; if it is gone already, the agent took it: its answer
	 * comes, bounded by what the agent does with a request. */
	if (!unlink(req))
		return bgx_fail(e, ETIMEDOUT, "the agent did not take the request within %d ms",
				timeout_ms);
	for (waited = 0; waited <= REQUEST_ANSWER_MS; waited += 20) {
		if ((r = reply_ready(rep, reply, e)))
			return r < 0 ? r : 0;
		usleep(20 * 1000);
	}
	return bgx_fail(e, ETIMEDOUT, "the agent took the request but did not answer within %d s",
			REQUEST_ANSWER_MS / 1000);
}

int request_reply_error(const json_t *reply, struct bgx_err *e)
{
	const char *msg = json_string_value(json_object_get(reply, "error"));
	json_t *code = json_object_get(reply, "code");
	int c = json_is_integer(code) ? (int)json_integer_value(code) : EINVAL;

	if (json_is_true(json_object_get(reply, "ok")))
		return 0;
	if (json_is_true(json_object_get(reply, "usage")))
		return bgx_fail_usage(e, c, "%s", msg ? msg : "refused by the agent");
	return bgx_fail(e, c, "%s", msg ? msg : "refused by the agent");
}

/* ---- agent side --------------------------------------------------------- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A request file's id ("<id>.json", not a reply nor a temp file). */
static bool request_id(const char *file, char *id, size_t len)
{
	size_t n = strlen(file);

	if (n <= 5 || n - 5 >= len || strcmp(file + n - 5, ".json") || strstr(file, ".reply.") ||
	    strstr(file, ".tmp.") || file[0] == '.')
		return false;
	memcpy(id, file, n - 5);
	id[n - 5] = 0;
	return true;
}

/* Replies nobody collected for a minute: their asker is gone. */
static void drop_stale(const char *dir, const char *file)
{
	char path[PATH_MAX];
	struct stat st;

	if (!strstr(file, ".reply.json") ||
	    snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return;
	if (!stat(path, &st) && time(NULL) - st.st_mtime > STALE_REPLY_S)
		unlink(path);
}

static int pending(const char *dir, char **ids, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char id[REQUEST_ID_LEN];

	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		drop_stale(dir, de->d_name);
		if (*n < MAX_PENDING && request_id(de->d_name, id, sizeof(id)) &&
		    (ids[*n] = strdup(id)))
			(*n)++;
	}
	closedir(d);
	qsort(ids, *n, sizeof(*ids), cmp_names);
	return 0;
}

/* Taken by renaming it (a command that gave up unlinks the request
 * first, and then it is not done), answered, then forgotten. */
static void answer_one(const char *state_dir, const char *id, request_handle_fn handle, void *ctx)
{
	char req[PATH_MAX], taken[PATH_MAX], rep[PATH_MAX];
	struct bgx_err e = { 0 };
	json_t *body = NULL, *reply = json_object();
	int r;

	if (!reply || file_of(state_dir, id, ".json", req, sizeof(req), NULL) ||
	    file_of(state_dir, id, ".taken", taken, sizeof(taken), NULL) ||
	    file_of(state_dir, id, ".reply.json", rep, sizeof(rep), NULL) || rename(req, taken)) {
		json_decref(reply);             /* withdrawn meanwhile */
		return;
	}
	r = state_file_load(taken, &body, &e);
	if (!r)
		r = handle(id, body, reply, ctx, &e);
	json_object_set_new(reply, "ok", json_boolean(!r));
	if (r) {
		json_object_set_new(reply, "error", json_string(e.msg[0] ? e.msg : strerror(-r)));
		json_object_set_new(reply, "usage", json_boolean(e.usage));
		json_object_set_new(reply, "code", json_integer(r < 0 ? -r : r));
	}
	state_file_save(rep, reply, NULL);
	state_file_remove(taken, NULL);
	json_decref(body);
	json_decref(reply);
}

int requests_serve(const char *state_dir, request_handle_fn handle, void *ctx,
		   struct bgx_err *e)
{
	char dir[PATH_MAX], *ids[MAX_PENDING];
	size_t n;
	int r;

	if ((r = dir_of(state_dir, dir, sizeof(dir), false, e)))
		return r;
	if ((r = pending(dir, ids, &n)))
		return bgx_fail(e, r, "cannot read %s: %s", dir, strerror(-r));
	for (size_t i = 0; i < n; i++) {
		answer_one(state_dir, ids[i], handle, ctx);
		free(ids[i]);
	}
	return 0;
}
