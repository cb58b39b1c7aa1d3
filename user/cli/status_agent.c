// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* status_agent.c - the agent's side of `bgxdp status` (status_agent.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "agent_status.h"
#include "cli_state.h"
#include "health_desired.h"
#include "state_dir.h"
#include "state_file.h"
#include "status_agent.h"

static void copy_string(json_t *obj, const char *key, char *dst, size_t len)
{
	const char *v = json_string_value(json_object_get(obj, key));

	snprintf(dst, len, "%s", v ? v : "");
}

static int64_t int_of(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static void read_target(json_t *o, struct status_target *t)
{
	json_t *last = json_object_get(o, "last");
	char color[16];

	memset(t, 0, sizeof(*t));
	copy_string(o, "service", t->service, sizeof(t->service));
	copy_string(o, "color", color, sizeof(color));
	t->color = !strcmp(color, "green") ? BGXDP_GREEN : BGXDP_BLUE;
	copy_string(o, "backend", t->backend, sizeof(t->backend));
	copy_string(o, "state", t->state, sizeof(t->state));
	t->since_ms = int_of(o, "since_ms");
	t->suspected = json_is_true(json_object_get(o, "suspected"));
	copy_string(last, "result", t->result, sizeof(t->result));
	t->http_status = (int)int_of(last, "http_status");
	t->latency_us = (uint32_t)int_of(last, "latency_us");
	t->at_ms = int_of(last, "at_ms");
	copy_string(last, "detail", t->detail, sizeof(t->detail));
}

static void read_targets(struct status_agent *a)
{
	char path[4200];
	json_t *doc, *targets;
	size_t i;

	if (state_file_path(a->state_dir, AGENT_STATUS_FILE, path, sizeof(path), NULL) ||
	    state_file_load(path, &doc, NULL))
		return;
	targets = json_object_get(doc, "targets");
	if (json_is_array(targets) && json_array_size(targets) &&
	    (a->targets = calloc(json_array_size(targets), sizeof(*a->targets)))) {
		json_t *o;

		json_array_foreach(targets, i, o)
			if (json_is_object(o))
				read_target(o, &a->targets[a->n++]);
	}
	json_decref(doc);
}

void status_agent_load(struct cli *cli, struct status_agent *a)
{
	struct bgx_err e = { 0 };

	memset(a, 0, sizeof(*a));
	if (cli_state_dir_peek(cli, a->state_dir, sizeof(a->state_dir)))
		return;
	if (agent_lock_holder(a->state_dir, &a->pid, &e) != 1)
		a->pid = 0;
	/* what a stopped agent wrote is shown too: the last thing it saw */
	read_targets(a);
}

void status_agent_free(struct status_agent *a)
{
	free(a->targets);
	a->targets = NULL;
	a->n = 0;
}

const struct status_target *status_agent_find(const struct status_agent *a, const char *service,
					      uint32_t color, const char *backend)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->targets[i].color == color && !strcmp(a->targets[i].service, service) &&
		    !strcmp(a->targets[i].backend, backend))
			return &a->targets[i];
	return NULL;
}

int status_agent_settings(const struct status_agent *a, const char *service,
			  struct health_settings *s)
{
	struct bgx_err e = { 0 };

	if (!a->state_dir[0])
		return -ENOENT;
	return health_settings_load(a->state_dir, service, s, &e) ? -ENOENT : 0;
}
