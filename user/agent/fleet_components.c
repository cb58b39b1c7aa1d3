// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fleet_components.c - the fleet's two agent components started from the
 * agent's options (fleet_components.h), and the one component of `bgxdp
 * agent` (agent.h) that runs them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent.h"
#include "fleet_cmd.h"
#include "fleet_components.h"

/* Every --sync-peer, each "A:P" or "A:P,B:Q", into s->peers (pointing
 * into `buf`, the values joined). */
static int split_peers(const struct param_seq *given, char *buf, struct fleet_sync_settings *s,
		       struct bgx_err *e)
{
	char *save = NULL;

	buf[0] = 0;
	for (int i = 0; i < given->n; i++)
		strcat(strcat(buf, ","), given->items[i].text);
	for (char *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		if (s->n_peers == FLOWSYNC_MAX_PEERS)
			return bgx_fail_usage(e, E2BIG, "--sync-peer: at most %d peers",
					      FLOWSYNC_MAX_PEERS);
		s->peers[s->n_peers++] = p;
	}
	return 0;
}

static int start_sync(struct fleet_components *c, const struct agent_fleet_params *p,
		      const char *host, const char *pin_dir, struct bgx_err *e)
{
	struct fleet_sync_settings s = {
		.pin_dir = pin_dir, .host = host, .listen = p->sync_listen,
		.key_file = p->sync_key, .flush_ms = (unsigned)p->sync_flush_ms,
	};
	size_t len = 1;
	char *peers;
	int r;

	for (int i = 0; i < p->sync_peers.n; i++)
		len += strlen(p->sync_peers.items[i].text) + 1;
	if (!(peers = malloc(len)))
		return bgx_fail(e, ENOMEM, "out of memory");
	r = split_peers(&p->sync_peers, peers, &s, e);
	if (!r)
		r = fleet_sync_start(&s, &c->sync, e);
	free(peers);
	return r;
}

static int start_config(struct fleet_components *c, const struct agent_fleet_params *p,
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

bool fleet_components_wanted(const struct agent_fleet_params *p)
{
	return p->etcd.endpoints || p->sync_key;
}

int fleet_components_start(const struct agent_fleet_params *p, const char *pin_dir,
			   const char *state_dir, struct fleet_components *c, struct bgx_err *e)
{
	bool sync = p->sync_key;
	char host[FLEET_HOST_LEN];
	int r;

	memset(c, 0, sizeof(*c));
	if (!fleet_components_wanted(p))
		return bgx_fail_usage(e, EINVAL, "nothing to run: give --etcd URL --fleet NAME, "
				      "or --sync-key FILE with --sync-listen/--sync-peer, or both");
	if (p->host_name) {
		if ((r = fleet_host_name_check(p->host_name, "--host-name", e)))
			return r;
		snprintf(host, sizeof(host), "%s", p->host_name);
	} else if ((r = fleet_host_name_default(host, sizeof(host), e))) {
		return r;
	}
	/* sync first: it says nothing until it runs, the config component
	 * logs what it remembers as soon as it starts */
	if ((sync && (r = start_sync(c, p, host, pin_dir, e))) ||
	    (p->etcd.endpoints && (r = start_config(c, p, host, pin_dir, state_dir, e)))) {
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

/* ---- the agent's component ---------------------------------------------- */

/* Nothing runs (and *state stays NULL) when no fleet option was given. */
static int fleet_component_start(struct agent *a, void **state, struct bgx_err *e)
{
	struct fleet_components *c;
	int r;

	*state = NULL;
	if (!a->fleet || !fleet_components_wanted(a->fleet))
		return 0;
	if (!(c = calloc(1, sizeof(*c))))
		return bgx_fail(e, ENOMEM, "out of memory");
	if ((r = fleet_components_start(a->fleet, a->pin_dir, a->state_dir, c, e))) {
		free(c);
		return r;
	}
	*state = c;
	return 0;
}

static int fleet_component_metrics(struct agent *a, void *state, FILE *out)
{
	(void)a;
	return state ? fleet_components_metrics(state, out) : 0;
}

static void fleet_component_stop(struct agent *a, void *state)
{
	(void)a;
	if (state)
		fleet_components_stop(state);
	free(state);
}

/* No tick and no reload: the config component follows etcd's watch and
 * flow sync its socket and the data plane's events, each in its own
 * thread, all the time. */
const struct agent_component agent_fleet_component = {
	.name = "fleet",
	.start = fleet_component_start,
	.metrics = fleet_component_metrics,
	.stop = fleet_component_stop,
};
