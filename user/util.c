// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "util.h"

static char msg[ERR_MSG_LEN];

static int vset(int err, int replace, const char *fmt, va_list ap)
{
	if (replace || !msg[0])
		vsnprintf(msg, sizeof(msg), fmt, ap);
	return err > 0 ? -err : (err ? err : -1);
}

int err_set(int err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vset(err, 0, fmt, ap);
	va_end(ap);
	return r;
}

int err_replace(int err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vset(err, 1, fmt, ap);
	va_end(ap);
	return r;
}

const char *err_msg(void)
{
	return msg;
}

void err_clear(void)
{
	msg[0] = 0;
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
