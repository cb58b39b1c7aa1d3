// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * journal.c - appending to the change history (the format, locking and
 * rotation rules are in journal.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include "journal.h"

void journal_config_default(struct journal_config *cfg, const char *state_dir)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->state_dir = state_dir;
	cfg->max_bytes = JOURNAL_DEFAULT_BYTES;
	cfg->keep = JOURNAL_DEFAULT_KEEP;
	cfg->to_syslog = true;
}

int journal_open(struct journal *j, const struct journal_config *cfg, struct bgx_err *err)
{
	memset(j, 0, sizeof(*j));
	if (!cfg->state_dir || cfg->state_dir[0] != '/')
		return bgx_fail_usage(err, EINVAL, "history: state dir must be an absolute path");
	if (strlen(cfg->state_dir) + sizeof(JOURNAL_FILE) + 8 >= sizeof(j->dir))
		return bgx_fail_usage(err, ENAMETOOLONG, "history: state dir path too long");
	if (cfg->max_bytes < JOURNAL_MIN_BYTES || cfg->max_bytes > JOURNAL_MAX_BYTES)
		return bgx_fail_usage(err, EINVAL, "history: file size limit %zu bytes is out of range "
				      "(accepted: 4 KiB to 1 GiB)", cfg->max_bytes);
	if (cfg->keep > JOURNAL_MAX_KEEP)
		return bgx_fail_usage(err, EINVAL, "history: %u rotated files is out of range "
				      "(accepted: 0 to %u)", cfg->keep, JOURNAL_MAX_KEEP);
	snprintf(j->dir, sizeof(j->dir), "%s", cfg->state_dir);
	j->max_bytes = cfg->max_bytes;
	j->keep = cfg->keep;
	j->to_syslog = cfg->to_syslog;
	return 0;
}

static bool is_word(const char *s, size_t max)
{
	size_t len = s ? strnlen(s, max + 1) : 0;

	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* A JSON string of s; bytes that are not valid UTF-8 make it ASCII with '?'. */
static json_t *text(const char *s)
{
	json_t *v = json_string(s);
	char *ascii;

	if (v)
		return v;
	ascii = strdup(s);
	if (!ascii)
		return NULL;
	for (char *p = ascii; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	v = json_string(ascii);
	free(ascii);
	return v;
}

static int put(json_t *obj, const char *key, json_t *value)
{
	return value ? json_object_set_new(obj, key, value) : -1;
}

static json_t *command_line(const struct journal_entry *e)
{
	json_t *argv = json_array();

	for (int i = 0; argv && i < e->argc; i++)
		if (json_array_append_new(argv, text(e->argv[i] ? e->argv[i] : ""))) {
			json_decref(argv);
			return NULL;
		}
	return argv;
}

/* Everything but the time, which is set under the lock (placeholders keep
 * "time" and "time_ns" first in the line). */
static json_t *build(const struct journal_entry *e)
{
	json_t *obj = json_object();
	const char *sudo = getenv("SUDO_UID");      /* who ran `sudo bgxdp ...` */
	int bad = !obj;

	bad = bad || put(obj, "time", json_string("")) || put(obj, "time_ns", json_integer(0));
	bad = bad || put(obj, "actor", json_string(e->actor));
	bad = bad || put(obj, "uid", json_integer(getuid()));
	if (sudo && sudo[0] && strlen(sudo) < 10 && strspn(sudo, "0123456789") == strlen(sudo))
		bad = bad || put(obj, "sudo_uid", json_integer(atoll(sudo)));
	bad = bad || put(obj, "pid", json_integer(getpid()));
	if (e->argc > 0)
		bad = bad || put(obj, "command", command_line(e));
	if (e->service)
		bad = bad || put(obj, "service", text(e->service));
	bad = bad || put(obj, "what", json_string(e->what));
	if (e->before)
		bad = bad || json_object_set(obj, "before", e->before);
	if (e->after)
		bad = bad || json_object_set(obj, "after", e->after);
	if (e->reason)
		bad = bad || put(obj, "reason", text(e->reason));
	if (e->detail)
		bad = bad || json_object_set(obj, "detail", e->detail);
	if (bad) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void rfc3339(int64_t ns, char *buf, size_t len)
{
	time_t secs = (time_t)(ns / 1000000000);
	struct tm tm;
	char day[32];

	gmtime_r(&secs, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", day, (int)(ns % 1000000000 / 1000000));
}

static void path_of(const struct journal *j, unsigned generation, char *buf, size_t len)
{
	if (generation)
		snprintf(buf, len, "%s/%s.%u", j->dir, JOURNAL_FILE, generation);
	else
		snprintf(buf, len, "%s/%s", j->dir, JOURNAL_FILE);
}

/* history.jsonl -> .1 -> .2 ... -> .keep (the oldest is replaced). */
static int rotate(const struct journal *j, struct bgx_err *err)
{
	char from[PATH_MAX], to[PATH_MAX];

	path_of(j, 0, from, sizeof(from));
	if (j->keep == 0)
		return unlink(from) && errno != ENOENT
			? bgx_fail(err, errno, "history: cannot remove %s: %s", from, strerror(errno))
			: 0;
	for (unsigned g = j->keep; g > 0; g--) {
		path_of(j, g - 1, from, sizeof(from));
		path_of(j, g, to, sizeof(to));
		if (rename(from, to) && errno != ENOENT)
			return bgx_fail(err, errno, "history: cannot rotate %s: %s", from,
					strerror(errno));
	}
	return 0;
}

/* Open the current file for appending, rotating first if `need` more bytes
 * would take it past the limit.  Returns the fd; *size is its size. */
static int open_current(const struct journal *j, size_t need, off_t *size, struct bgx_err *err)
{
	char path[PATH_MAX];
	struct stat st;
	int fd, r;

	path_of(j, 0, path, sizeof(path));
	for (int attempt = 0; attempt < 2; attempt++) {
		fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return bgx_fail(err, errno, "history: cannot open %s: %s", path, strerror(errno));
		if (fstat(fd, &st)) {
			r = bgx_fail(err, errno, "history: %s: %s", path, strerror(errno));
			close(fd);
			return r;
		}
		if (st.st_size == 0 || (size_t)st.st_size + need <= j->max_bytes || attempt) {
			*size = st.st_size;
			return fd;
		}
		close(fd);
		r = rotate(j, err);
		if (r)
			return r;
	}
	return bgx_fail(err, EIO, "history: cannot open %s", path);
}

/* One write() of the whole line; a short one (disk full) is cut off again
 * so the file never holds half a line. */
static int write_line(int fd, off_t size, const char *line, size_t len, struct bgx_err *err)
{
	char last = '\n';
	ssize_t n;

	if (size > 0 && pread(fd, &last, 1, size - 1) == 1 && last != '\n') {
		/* A writer died mid-line before: end that line first. */
		if (write(fd, "\n", 1) != 1)
			return bgx_fail(err, errno ? errno : EIO, "history: write: %s", strerror(errno));
		size++;
	}
	n = write(fd, line, len);
	if (n == (ssize_t)len)
		return 0;
	int e = n < 0 ? errno : ENOSPC;

	if (ftruncate(fd, size)) {
		/* nothing more to undo with */
	}
	return bgx_fail(err, e, "history: cannot append: %s", strerror(e));
}

static void to_syslog(json_t *obj, const char *line)
{
	struct journal_record r;
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	if (journal_record_parse(obj, &r))
		return;
	r.line = line;
	out = open_memstream(&text, &len);
	if (!out)
		return;
	journal_render_text(&r, out);
	fclose(out);
	if (len && text[len - 1] == '\n')
		text[len - 1] = '\0';
	syslog(LOG_DAEMON | LOG_INFO, "history: %s", text);
	free(text);
}

/* Under the lock: time, dump, rotate if needed, write. */
static int append_locked(const struct journal *j, const struct journal_entry *e, json_t *obj,
			 char **line_out, struct bgx_err *err)
{
	size_t max_line = j->max_bytes < JOURNAL_MAX_LINE ? j->max_bytes : JOURNAL_MAX_LINE;
	int64_t ns = e->time_ns ? e->time_ns : now_ns();
	char when[40], *line;
	size_t len;
	off_t size = 0;
	int fd, r;

	rfc3339(ns, when, sizeof(when));
	json_object_set_new(obj, "time", json_string(when));
	json_object_set_new(obj, "time_ns", json_integer(ns));
	line = json_dumps(obj, JSON_COMPACT);
	if (!line)
		return bgx_fail(err, ENOMEM, "history: cannot encode the entry");
	len = strlen(line);
	if (len + 1 > max_line) {
		free(line);
		return bgx_fail(err, E2BIG, "history: entry of %zu bytes is too long (at most %zu)",
				len + 1, max_line);
	}
	line[len] = '\n';               /* json_dumps leaves room: replace the NUL */
	fd = open_current(j, len + 1, &size, err);
	r = fd < 0 ? fd : write_line(fd, size, line, len + 1, err);
	if (fd >= 0)
		close(fd);
	line[len] = '\0';
	*line_out = line;
	return r;
}

int journal_append(const struct journal *j, const struct journal_entry *e, struct bgx_err *err)
{
	char lock_path[PATH_MAX], *line = NULL;
	json_t *obj;
	int lock_fd, r;

	if (!is_word(e->actor, 32))
		return bgx_fail_usage(err, EINVAL, "history: actor '%.40s' is not accepted "
				      "([a-z0-9._-], 1 to 32 characters)", e->actor ? e->actor : "");
	if (!is_word(e->what, 64))
		return bgx_fail_usage(err, EINVAL, "history: what '%.70s' is not accepted "
				      "([a-z0-9._-], 1 to 64 characters)", e->what ? e->what : "");
	if (e->time_ns < 0)
		return bgx_fail_usage(err, EINVAL, "history: time %lld ns is before 1970",
				      (long long)e->time_ns);
	obj = build(e);
	if (!obj)
		return bgx_fail(err, ENOMEM, "history: cannot build the entry");
	snprintf(lock_path, sizeof(lock_path), "%s/%s", j->dir, JOURNAL_LOCK_FILE);
	lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock_fd < 0) {
		r = bgx_fail(err, errno, "history: cannot open %s: %s", lock_path, strerror(errno));
		json_decref(obj);
		return r;
	}
	while ((r = flock(lock_fd, LOCK_EX)) && errno == EINTR)
		;
	r = r ? bgx_fail(err, errno, "history: cannot lock %s: %s", lock_path, strerror(errno))
	      : append_locked(j, e, obj, &line, err);
	close(lock_fd);                 /* releases the lock */
	if (!r && j->to_syslog)
		to_syslog(obj, line);
	free(line);
	json_decref(obj);
	return r;
}
