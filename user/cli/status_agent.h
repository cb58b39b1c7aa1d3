/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * status_agent.h - what `bgxdp status` shows of the agent: whether one runs
 * on the state dir, each service's stored health settings, and each
 * backend's last check as the agent last wrote it to
 * <state dir>/agent-status.json (agent_status.h has the format).  Reading
 * never fails the command: what cannot be read is shown as unknown.
 */
#ifndef BGXDP_STATUS_AGENT_H
#define BGXDP_STATUS_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "cli.h"
#include "health.h"

struct status_target {
	char service[HEALTH_SERVICE_LEN];
	uint32_t color;
	char backend[64];
	char state[16];                 /* "up", "down", "unchecked", "off" */
	int64_t since_ms;               /* Unix ms */
	bool suspected;
	char result[16];                /* "ok", "refused", ... ("none": not checked yet) */
	int http_status;
	uint32_t latency_us;
	int64_t at_ms;
	char detail[HEALTH_DETAIL_LEN];
};

struct status_agent {
	char state_dir[4096];
	pid_t pid;                      /* the running agent, 0 if none */
	size_t n;
	struct status_target *targets;
};

void status_agent_load(struct cli *cli, struct status_agent *a);
void status_agent_free(struct status_agent *a);
const struct status_target *status_agent_find(const struct status_agent *a, const char *service,
					      uint32_t color, const char *backend);
/* The service's stored settings: 0, or -ENOENT when it has none. */
int status_agent_settings(const struct status_agent *a, const char *service,
			  struct health_settings *s);

#endif
