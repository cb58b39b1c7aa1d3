/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* fuzz_util.h - small helpers shared by the libFuzzer harnesses. */
#ifndef BGXDP_FUZZ_UTIL_H
#define BGXDP_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An invariant of the parser under test: on failure libFuzzer keeps the
 * input as a crash artifact. */
#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "invariant failed: %s: ", #cond);  \
			fprintf(stderr, __VA_ARGS__);                      \
			fprintf(stderr, "\n");                             \
			abort();                                           \
		}                                                          \
	} while (0)

/* The input as a C string (an embedded NUL ends it, as in argv). */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}

static inline int fuzz_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

#endif
