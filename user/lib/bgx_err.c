// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <string.h>
#include "bgx_err.h"

/* Messages quote what the user typed: a newline or escape sequence in an
 * argument must not break the one-line contract or drive the terminal. */
static void make_printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			*s = '?';
}

static int negative(int code)
{
	return code > 0 ? -code : (code ? code : -1);
}

int bgx_vfail(struct bgx_err *e, int code, bool usage, const char *fmt, va_list ap)
{
	if (e && !e->code) {
		e->code = negative(code);
		e->usage = usage;
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		make_printable(e->msg);
	}
	return negative(code);
}

int bgx_fail(struct bgx_err *e, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = bgx_vfail(e, code, false, fmt, ap);
	va_end(ap);
	return r;
}

int bgx_fail_usage(struct bgx_err *e, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = bgx_vfail(e, code, true, fmt, ap);
	va_end(ap);
	return r;
}

void bgx_err_clear(struct bgx_err *e)
{
	if (e)
		memset(e, 0, sizeof(*e));
}

/* The sink is set once by the front end before any thread starts. */
static bgx_log_fn log_fn;
static enum bgx_log_level log_max = BGX_LOG_WARN;
static void *log_ctx;

void bgx_log_set(bgx_log_fn fn, enum bgx_log_level max_level, void *ctx)
{
	log_fn = fn;
	log_max = max_level;
	log_ctx = ctx;
}

bool bgx_log_enabled(enum bgx_log_level level)
{
	return log_fn && level <= log_max;
}

void bgx_log(enum bgx_log_level level, const char *fmt, ...)
{
	char line[BGX_ERR_MSG_LEN];
	va_list ap;

	if (!bgx_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	make_printable(line);
	log_fn(level, line, log_ctx);
}
