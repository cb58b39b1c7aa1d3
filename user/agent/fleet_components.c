// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fleet_components.c - the fleet's two agent components started from the
 * agent's options (fleet_components.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fleet_cmd.h"
#include "fleet_components.h"

/* "A:P,B:Q" -> s->peers (pointing into `buf`). */
static int split_peers(char *buf, struct fleet_sync_settings *s, struct bgx_err *e)
{
	char *save = NULL;

	for (char *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		if (s->n_peers == FLOWSYNC_MAX_PEERS)
			return bgx_fail_usage(e, E2BIG, "--sync-peer: at most %d", FLOWSYNC_MAX_PEERS);
		s->peers[s->n_peers++] = p;
	}
	return 0;
}

static int start_sync(struct fleet_components *c, const struct fleet_agent_params *p,
		      const char *host, const char *pin_dir, struct bgx_err *e)
{
	struct fleet_sync_settings s = {
		.pin_dir = pin_dir, .host = host, .listen = p->sync_listen,
		.key_file = p->sync_key, .flush_ms = (unsigned)p->sync_flush_ms,
	};
	char *peers = p->sync_peers ? strdup(p->sync_peers) : NULL;
	int r;

	if (p->sync_peers && !peers)
		return bgx_fail(e, ENOMEM, "out of memory");
	r = peers ? split_peers(peers, &s, e) : 0;
	if (!r)
		r = fleet_sync_start(&s, &c->sync, e);
	free(peers);
	return r;
}

static int start_config(struct fleet_components *c, const struct fleet_agent_params *p,
			const char *host, const char *pin_dir, const char *state_dir,
			struct bgx_err *e)
{
	struct fleet_config_settings s = {
		.fleet = p->etcd.fleet, .host = host, .pin_dir = pin_dir, .state_dir = state_dir,
	};
	char *password;
	int r;

	if (!p->etcd.fleet[0])
		return bgx_fail_usage(e, EINVAL, "--etcd needs --fleet NAME");
	if ((r = fleet_etcd_config(&p->etcd, &s.etcd, &password, e)))
		return r;
	r = fleet_config_start(&s, &c->config, e);
	fleet_password_free(password);
	return r;
}

int fleet_components_start(const struct fleet_agent_params *p, const char *pin_dir,
			   const char *state_dir, struct fleet_components *c, struct bgx_err *e)
{
	bool sync = p->sync_listen || p->sync_peers || p->sync_key;
	char host[FLEET_HOST_LEN];
	int r;

	memset(c, 0, sizeof(*c));
	if (!p->etcd.endpoints && !sync)
		return bgx_fail_usage(e, EINVAL, "nothing to run: give --etcd URL --fleet NAME, "
				      "or --sync-key FILE with --sync-listen/--sync-peer, or both");
	if (p->host_name) {
		if ((r = fleet_host_name_check(p->host_name, "--host-name", e)))
			return r;
		snprintf(host, sizeof(host), "%s", p->host_name);
	} else if ((r = fleet_host_name_default(host, sizeof(host), e))) {
		return r;
	}
	if ((p->etcd.endpoints && (r = start_config(c, p, host, pin_dir, state_dir, e))) ||
	    (sync && (r = start_sync(c, p, host, pin_dir, e)))) {
		fleet_components_stop(c);
		return r;
	}
	return 0;
}

int fleet_components_metrics(struct fleet_components *c, FILE *out)
{
	int r = 0;

	if (c->config)
		r = fleet_config_metrics(c->config, out);
	if (!r && c->sync)
		r = fleet_sync_metrics(c->sync, out);
	return r;
}

void fleet_components_stop(struct fleet_components *c)
{
	fleet_sync_stop(c->sync);
	fleet_config_stop(c->config);
	c->sync = NULL;
	c->config = NULL;
}
