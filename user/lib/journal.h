/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * journal.h - the change history: one JSON object per line in
 * <state dir>/history.jsonl, rotated to history.jsonl.1 .. .N, and each
 * entry also to syslog (LOG_DAEMON, one line).
 *
 * Depends on: jansson (entries are built and read as json_t), bgx_err.h.
 * Link with -ljansson.
 *
 * A line holds, in this order: "time" (RFC 3339 UTC with milliseconds),
 * "time_ns" (Unix nanoseconds), "actor" ("cli", "agent", "health",
 * "rollout", "fleet"), "uid" of the process that wrote it (and "sudo_uid"
 * when it ran under sudo), its "pid",
 * "command" (the argv of a CLI action, an array), "service", "what" ("set",
 * "weight", "backend.add", "health.down", "failover.on", "agent.start", ...),
 * "before", "after" (any JSON values), "reason" (text with the figures
 * that caused the change) and "detail" (any JSON value: the figures in
 * full).  Absent fields are left out.
 *
 * Concurrency: CLI processes and the agent append at the same time.  Every
 * append takes an exclusive flock on <state dir>/history.lock, rotates if
 * needed, and writes its line with one write() to a file opened O_APPEND,
 * so lines never interleave and rotation never loses one.  Readers take the
 * lock only to open the files, then read without holding it (a slow reader,
 * such as `bgxdp history | less`, never blocks an append).
 *
 * Bound: the current file is rotated before a line would take it past
 * max_bytes; `keep` rotated files are kept, so the history takes at most
 * (keep + 1) x max_bytes.  One entry is at most min(64 KiB, max_bytes).
 */
#ifndef BGXDP_JOURNAL_H
#define BGXDP_JOURNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>
#include "bgx_err.h"

#define JOURNAL_FILE           "history.jsonl"
#define JOURNAL_LOCK_FILE      "history.lock"
#define JOURNAL_DEFAULT_BYTES  (1u << 20)      /* 1 MiB per file */
#define JOURNAL_DEFAULT_KEEP   3
#define JOURNAL_MIN_BYTES      4096
#define JOURNAL_MAX_BYTES      (1u << 30)
#define JOURNAL_MAX_KEEP       99
#define JOURNAL_MAX_LINE       65536

struct journal_config {
	const char *state_dir;          /* prepared (state_dir_prepare) */
	size_t max_bytes;               /* per file, 4 KiB .. 1 GiB */
	unsigned keep;                  /* rotated files kept, 0 .. 99 */
	bool to_syslog;
};

struct journal {
	char dir[PATH_MAX - 64];       /* room for the file names */
	size_t max_bytes;
	unsigned keep;
	bool to_syslog;
};

/* 1 MiB, keep 3, syslog on. */
void journal_config_default(struct journal_config *cfg, const char *state_dir);
/* Checks the config; touches no file. */
int journal_open(struct journal *j, const struct journal_config *cfg, struct bgx_err *err);

struct journal_entry {
	const char *actor;              /* required: [a-z0-9._-]{1,32} */
	const char *what;               /* required: [a-z0-9._-]{1,64} */
	const char *service;            /* NULL: not about one service */
	json_t *before, *after;         /* borrowed; NULL: left out */
	const char *reason;             /* NULL: left out */
	json_t *detail;                 /* borrowed; NULL: left out.  Figures behind the
					   reason (a rollout's checks, ...) */
	int argc;                       /* the command line of a CLI action */
	char *const *argv;              /* argc 0: left out */
	int64_t time_ns;                /* 0: now (read under the lock) */
};

/* Append one entry (and send it to syslog).  Text that is not UTF-8 is
 * stored with '?' for the bytes that are not ASCII.  Nothing is written on
 * error. */
int journal_append(const struct journal *j, const struct journal_entry *entry,
		   struct bgx_err *err);

/* ---- reading --------------------------------------------------------- */

struct journal_record {
	int64_t time_ns;
	const char *time;               /* RFC 3339 text as stored */
	const char *actor, *what;
	const char *service, *reason;   /* NULL if absent */
	json_t *before, *after, *command; /* borrowed, NULL if absent */
	json_t *object;                 /* the whole entry, borrowed */
	const char *line;               /* the raw JSON line, no newline */
	size_t line_len;
};

struct journal_filter {
	const char *service;            /* NULL: every service (and none) */
	int64_t since_ns;               /* entries at or after; 0: all */
};

struct journal_read_stats {
	size_t entries;                 /* passed to the visitor */
	size_t corrupt;                 /* lines skipped: not a journal entry */
};

/* Fill r from a parsed line (r->line is left NULL); -EINVAL when it is not
 * a journal entry (not an object, no integer time_ns, no actor or what). */
int journal_record_parse(json_t *object, struct journal_record *r);

/* Return 0 to go on, anything else to stop (journal_read returns it). */
typedef int (*journal_visit_fn)(const struct journal_record *r, void *ctx);

/* Every entry matching `filter` (NULL: all), oldest first, across the
 * rotated files.  A line that is not a valid entry is skipped and counted.
 * The record is valid during the call only. */
int journal_read(const struct journal *j, const struct journal_filter *filter,
		 journal_visit_fn visit, void *ctx, struct journal_read_stats *stats,
		 struct bgx_err *err);

/* One line (with '\n'): "TIME  ACTOR  SERVICE  WHAT  BEFORE -> AFTER  REASON",
 * control characters shown as '?'.  For `bgxdp history`; --json prints
 * r->line instead. */
int journal_render_text(const struct journal_record *r, FILE *out);

#endif
