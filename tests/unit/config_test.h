/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* config_test.h - helpers of the config tests (header-only). */
#ifndef BGXDP_CONFIG_TEST_H
#define BGXDP_CONFIG_TEST_H

#include <stdio.h>
#include <string.h>
#include "config_yaml.h"

/* tests/unit/config/<name>, next to this file (make runs from the top). */
static inline void data_path(const char *name, char *buf, size_t len)
{
	const char *slash = strrchr(__FILE__, '/');

	snprintf(buf, len, "%.*s/config/%s", slash ? (int)(slash - __FILE__) : 1,
		 slash ? __FILE__ : ".", name);
}

static inline struct bgx_desired *parse_ok(const char *yaml)
{
	struct bgx_desired *d = bgx_desired_new();
	struct bgx_err e = { 0 };

	assert_non_null(d);
	if (bgx_config_parse_buffer(yaml, strlen(yaml), "t.yaml", d, &e))
		fail_msg("refused a good file: %s\n%s", e.msg, yaml);
	return d;
}

/* A service `web` on 10.0.0.1:80; its lines are 2 and 3. */
#define SVC "services:\n  - name: web\n    vip: 10.0.0.1:80\n"

#endif
