// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * journal_read.c - reading the change history back, oldest first across
 * the rotated files, and the one-line text form of an entry.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include "journal.h"

static const char *string_field(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int journal_record_parse(json_t *obj, struct journal_record *r)
{
	json_t *ns;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(obj))
		return -EINVAL;
	ns = json_object_get(obj, "time_ns");
	r->actor = string_field(obj, "actor");
	r->what = string_field(obj, "what");
	if (!json_is_integer(ns) || !r->actor || !r->what)
		return -EINVAL;
	r->time_ns = json_integer_value(ns);
	r->time = string_field(obj, "time");
	r->service = string_field(obj, "service");
	r->reason = string_field(obj, "reason");
	r->before = json_object_get(obj, "before");
	r->after = json_object_get(obj, "after");
	r->command = json_object_get(obj, "command");
	r->object = obj;
	return 0;
}

#define MAX_FILES (JOURNAL_MAX_KEEP + 1)

/* Open every file of the history, oldest first, while holding the lock
 * shared (no rotation in between); reading them needs no lock afterwards. */
static int open_all(const struct journal *j, FILE **files, size_t *n, struct bgx_err *err)
{
	char path[PATH_MAX];
	int lock_fd, generations = 0;

	snprintf(path, sizeof(path), "%s/%s", j->dir, JOURNAL_LOCK_FILE);
	lock_fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (lock_fd >= 0)
		while (flock(lock_fd, LOCK_SH) && errno == EINTR)
			;
	/* Rotated files are .1 (newest) up to the first one missing. */
	while (generations < JOURNAL_MAX_KEEP) {
		snprintf(path, sizeof(path), "%s/%s.%d", j->dir, JOURNAL_FILE, generations + 1);
		if (access(path, F_OK))
			break;
		generations++;
	}
	*n = 0;
	for (int g = generations; g >= 0; g--) {
		if (g)
			snprintf(path, sizeof(path), "%s/%s.%d", j->dir, JOURNAL_FILE, g);
		else
			snprintf(path, sizeof(path), "%s/%s", j->dir, JOURNAL_FILE);
		files[*n] = fopen(path, "re");
		if (files[*n])
			(*n)++;
		else if (errno != ENOENT) {
			int e = errno;

			while (*n)
				fclose(files[--(*n)]);
			if (lock_fd >= 0)
				close(lock_fd);
			return bgx_fail(err, e, "history: cannot read %s: %s", path, strerror(e));
		}
	}
	if (lock_fd >= 0)
		close(lock_fd);
	return 0;
}

static bool matches(const struct journal_record *r, const struct journal_filter *f)
{
	if (!f)
		return true;
	if (f->service && (!r->service || strcmp(f->service, r->service)))
		return false;
	return r->time_ns >= f->since_ns;
}

/* One line: 0 to go on, or what the visitor returned. */
static int visit_line(char *line, size_t len, const struct journal_filter *f,
		      journal_visit_fn visit, void *ctx, struct journal_read_stats *stats)
{
	struct journal_record r;
	json_t *obj;
	int stop = 0;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	if (!len)
		return 0;
	obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	if (!obj || journal_record_parse(obj, &r)) {
		stats->corrupt++;
	} else if (matches(&r, f)) {
		r.line = line;
		r.line_len = len;
		stats->entries++;
		stop = visit(&r, ctx);
	}
	json_decref(obj);
	return stop;
}

int journal_read(const struct journal *j, const struct journal_filter *filter,
		 journal_visit_fn visit, void *ctx, struct journal_read_stats *stats,
		 struct bgx_err *err)
{
	struct journal_read_stats local;
	FILE *files[MAX_FILES];
	char *line = NULL;
	size_t n = 0, cap = 0;
	ssize_t len;
	int r;

	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	r = open_all(j, files, &n, err);
	if (r)
		return r;
	for (size_t i = 0; i < n; i++) {
		while (!r && (len = getline(&line, &cap, files[i])) >= 0)
			r = visit_line(line, (size_t)len, filter, visit, ctx, stats);
		fclose(files[i]);
	}
	free(line);
	return r;
}

/* Text with control characters as '?' (a history line must stay one line
 * and must not drive the terminal). */
static void put_text(const char *s, FILE *out)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

static void put_value(json_t *v, FILE *out)
{
	char *dumped;

	if (!v) {
		fputc('-', out);
		return;
	}
	if (json_is_string(v)) {
		put_text(json_string_value(v), out);
		return;
	}
	dumped = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	put_text(dumped ? dumped : "?", out);
	free(dumped);
}

static void put_padded(const char *s, int width, FILE *out)
{
	int len = (int)strlen(s);

	put_text(s, out);
	for (; len < width; len++)
		fputc(' ', out);
}

int journal_render_text(const struct journal_record *r, FILE *out)
{
	put_padded(r->time ? r->time : "?", 24, out);
	fputs("  ", out);
	put_padded(r->actor, 7, out);
	fputs("  ", out);
	put_padded(r->service ? r->service : "-", 12, out);
	fputs("  ", out);
	put_padded(r->what, 14, out);
	if (r->before || r->after) {
		fputs("  ", out);
		put_value(r->before, out);
		fputs(" -> ", out);
		put_value(r->after, out);
	}
	if (r->reason) {
		fputs("  ", out);
		put_text(r->reason, out);
	}
	fputc('\n', out);
	return ferror(out) ? -EIO : 0;
}
