// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include "util.h"

static char msg[ERR_MSG_LEN];
static bool msg_is_usage;

/* Messages quote what the user typed: a newline or escape sequence in an
 * argument must not break the one-line contract or drive the terminal. */
static void make_printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			*s = '?';
}

static int vset(int err, int replace, bool usage, const char *fmt, va_list ap)
{
	if (replace || !msg[0]) {
		vsnprintf(msg, sizeof(msg), fmt, ap);
		make_printable(msg);
		msg_is_usage = usage;
	}
	return err > 0 ? -err : (err ? err : -1);
}

int err_set(int err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vset(err, 0, false, fmt, ap);
	va_end(ap);
	return r;
}

int err_usage(int err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vset(err, 0, true, fmt, ap);
	va_end(ap);
	return r;
}

int err_replace(int err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vset(err, 1, false, fmt, ap);
	va_end(ap);
	return r;
}

const char *err_msg(void)
{
	return msg;
}

bool err_is_usage(void)
{
	return msg[0] && msg_is_usage;
}

void err_clear(void)
{
	msg[0] = 0;
	msg_is_usage = false;
}

void json_print_string(const char *text)
{
	putchar('"');
	for (; *text; text++) {
		unsigned char c = (unsigned char)*text;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}
