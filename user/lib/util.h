/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * util.h - the one error line a command prints, and small helpers.
 *
 * Functions return a negative errno and record what failed and why with
 * err_set(); main() prints "bgxdp: <msg>" exactly once.  The first message
 * recorded wins, so a low-level failure is not overwritten by a caller's
 * more generic one (callers use err_set only when nothing is recorded).
 */
#ifndef BGXDP_UTIL_H
#define BGXDP_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#define ERR_MSG_LEN 512

/* Record "fmt..." (first one wins) and return -err (err > 0 or < 0). */
int err_set(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like err_set, for a command line that is wrong in itself (a malformed or
 * out-of-range value): the command exits 2 instead of 1. */
int err_usage(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like err_set but always replaces a previous message. */
int err_replace(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *err_msg(void);      /* "" when nothing was recorded; control characters shown as '?' */
bool err_is_usage(void);        /* the recorded message came from err_usage */
void err_clear(void);

/* `text` as a JSON string literal (quotes, escapes) on stdout. */
void json_print_string(const char *text);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
