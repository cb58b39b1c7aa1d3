/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * bgx_err.h - errors and log messages of the control-plane library.
 *
 * Every library call that can fail returns a negative errno and, when the
 * caller passes one, fills a caller-owned struct bgx_err with that code and
 * one line saying what failed and why.  The first message recorded in a
 * struct wins: the low-level cause is kept, a caller's more generic wrapper
 * is dropped.  Nothing is global, so calls are reentrant and threads (the
 * agent's) each keep their own error.  Library code never prints errors; the
 * front end prints the message once, as "bgxdp: <command>: <message>".
 *
 * Log messages (what bgxdp did, step by step) go through bgx_log() to a
 * sink the front end installs; by default nothing is printed.
 */
#ifndef BGXDP_BGX_ERR_H
#define BGXDP_BGX_ERR_H

#include <stdbool.h>
#include <stdarg.h>

#define BGX_ERR_MSG_LEN 512

struct bgx_err {
	int code;               /* negative errno; 0: no error recorded */
	bool usage;             /* the input itself was malformed (CLI exit 2) */
	char msg[BGX_ERR_MSG_LEN];
};

/* Record "fmt..." with `code` (sign ignored) unless `e` already holds an
 * error or is NULL; return -|code| (-1 if code is 0). */
int bgx_fail(struct bgx_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same for input that is wrong in itself (a malformed value). */
int bgx_fail_usage(struct bgx_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int bgx_vfail(struct bgx_err *e, int code, bool usage, const char *fmt, va_list ap);
void bgx_err_clear(struct bgx_err *e);

enum bgx_log_level {
	BGX_LOG_ERROR,
	BGX_LOG_WARN,
	BGX_LOG_INFO,           /* what changed: one line per step of an operation */
	BGX_LOG_DEBUG,          /* every map read and write */
};

typedef void (*bgx_log_fn)(enum bgx_log_level level, const char *msg, void *ctx);

/* Messages at `max_level` and above in importance go to `fn`. */
void bgx_log_set(bgx_log_fn fn, enum bgx_log_level max_level, void *ctx);
bool bgx_log_enabled(enum bgx_log_level level);
void bgx_log(enum bgx_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
