// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_agent.c - the commands the agent's program runs (bgxdp-agent): their
 * help and parameters live here with every other command's, their run()
 * in user/agent/.
 */
#include <errno.h>
#include <string.h>
#include "agent_commands.h"
#include "commands.h"

static const struct param serve_params[] = {
	PARAM_OPT(struct serve_params, listen, P_ENDPOINT, "listen", "ADDR:PORT",
		  .def = DEFAULT_LISTEN,
		  .help = "Address to listen on; IPv6 as [::1]:9477.  Loopback by default:\n"
			  "      the endpoint is read-only but says a lot about your traffic."),
	PARAM_END
};

const struct cmd_spec cmd_serve = {
	.name = "serve",
	.summary = "serve /metrics over HTTP for Prometheus",
	.synopsis = "[--listen ADDR:PORT]",
	.description =
"  Runs until SIGTERM or SIGINT, answering GET /metrics with the same text as\n"
"  'bgxdp metrics' (read fresh from the pinned maps on every scrape) and GET /\n"
"  with a link to it; other paths get 404, other methods 405.  Nothing it\n"
"  serves changes state.  The data plane does not depend on it: starting,\n"
"  stopping or killing it never affects traffic.  (9477, not 9435: that port\n"
"  belongs to ebpf_exporter.)\n",
	.params = serve_params,
	.params_size = sizeof(struct serve_params),
	.in_agent = true,
	.examples =
"  bgxdp serve &\n"
"  curl -s http://127.0.0.1:9477/metrics\n"
"  bgxdp serve --listen [::1]:9477\n",
};

static const struct param agent_params[] = {
	PARAM_OPT(struct agent_params, listen, P_ENDPOINT, "listen", "ADDR:PORT",
		  .def = DEFAULT_LISTEN,
		  .help = "Address of /metrics; IPv6 as [::1]:9477.  Loopback by default."),
	FLEET_ETCD_PARAMS(struct agent_params, fleet.etcd, false),
	AGENT_FLEET_SYNC_PARAMS(struct agent_params, fleet),
	PARAM_END
};

/* "--sync-peer A:P --sync-peer B:P" or "A:P,B:P": true when one is given. */
static bool has_sync_peer(const struct agent_fleet_params *f)
{
	for (int i = 0; i < f->sync_peers.n; i++)
		if (f->sync_peers.items[i].text[strspn(f->sync_peers.items[i].text, ",")])
			return true;
	return false;
}

/* Fleet options that need others, checked before anything starts. */
static int validate_agent(void *params, struct bgx_err *e)
{
	const struct agent_fleet_params *f = &((struct agent_params *)params)->fleet;
	const struct fleet_etcd_params *etcd = &f->etcd;
	bool sync = f->sync_listen || f->sync_peers.n || f->sync_key;
	const char *etcd_only = etcd->ca_file ? "--etcd-ca" : etcd->cert_file ? "--etcd-cert" :
				etcd->key_file ? "--etcd-key" : etcd->user ? "--etcd-user" :
				etcd->password_file ? "--etcd-password-file" : NULL;

	if (etcd->fleet[0] && !etcd->endpoints)
		return bgx_fail_usage(e, EINVAL, "--fleet needs --etcd URL (the fleet's etcd)");
	if (etcd->endpoints && !etcd->fleet[0])
		return bgx_fail_usage(e, EINVAL, "--etcd needs --fleet NAME (the fleet to follow)");
	if (etcd_only && !etcd->endpoints)
		return bgx_fail_usage(e, EINVAL, "%s needs --etcd URL --fleet NAME", etcd_only);
	if (f->sync_peers.n && !has_sync_peer(f))
		return bgx_fail_usage(e, EINVAL, "--sync-peer: empty; expected ADDR:PORT[,ADDR:PORT...]");
	if ((f->sync_listen || f->sync_peers.n) && !f->sync_key)
		return bgx_fail_usage(e, EINVAL, "%s needs --sync-key FILE (flow sync is authenticated)",
				      f->sync_listen ? "--sync-listen" : "--sync-peer");
	if (f->sync_key && !f->sync_listen && !f->sync_peers.n)
		return bgx_fail_usage(e, EINVAL, "--sync-key needs --sync-listen ADDR:PORT or "
				      "--sync-peer ADDR:PORT (whom to sync flows with)");
	if (f->host_name && !etcd->endpoints && !sync)
		return bgx_fail_usage(e, EINVAL, "--host-name needs --etcd URL --fleet NAME or flow "
				      "sync (--sync-key FILE)");
	return 0;
}

const struct cmd_spec cmd_agent = {
	.name = "agent",
	.summary = "run the agent: /metrics, health checks, rollouts, the fleet",
	.synopsis = "[--listen ADDR:PORT] [--state-dir DIR] [--etcd URL[,URL...] --fleet NAME "
		    "[ETCD OPTIONS]] [--sync-key FILE [--sync-listen ADDR:PORT] [--sync-peer ADDR:PORT]...] "
		    "[--host-name NAME]",
	.description =
"  The one long-running process of an instance.  It serves /metrics (what\n"
"  'bgxdp metrics' prints, plus the agent's own families: health checks,\n"
"  rollouts, the fleet), runs the health checks 'bgxdp health' stored, and\n"
"  drives the rollouts 'bgxdp rollout start' asks for.  The data plane never\n"
"  depends on it: if the agent stops or dies, traffic keeps its last state (a\n"
"  backend taken out by its checks stays out), and a restarted agent picks up\n"
"  where things are, from the data plane and the state dir (--state-dir,\n"
"  $BGXDP_STATE_DIR, default /var/lib/bgxdp: health settings, rollout state,\n"
"  history).  One agent per state dir: a second one is refused and told which\n"
"  pid holds it.  SIGTERM or SIGINT stop it cleanly; SIGHUP rereads the stored\n"
"  settings (SIGUSR1 too, without telling systemd: the CLI sends it after a\n"
"  change; the agent also rereads every second on its own).  Under systemd\n"
"  (Type=notify) it reports READY=1 once /metrics is served and checks run,\n"
"  RELOADING=1 around a SIGHUP and STOPPING=1.  Health transitions, failovers,\n"
"  its start and stop and rollout decisions go to the history.\n"
"\n"
"  A host of a fleet (several bgxdp hosts behind ECMP or VRRP) runs the same\n"
"  agent with more options.  With --etcd and --fleet it follows the fleet's\n"
"  desired state in etcd: it applies each revision 'bgxdp fleet apply' stored,\n"
"  whole, the way 'bgxdp apply -f' does (attaching the interfaces it names, so\n"
"  the host needs no instance beforehand), and publishes, under a lease, its\n"
"  host name (--host-name), the revision it applied, its config digest, its\n"
"  version and its backends in rotation, for 'bgxdp fleet status'.  When etcd\n"
"  cannot be reached the host keeps the revision it has (bgxdp_fleet_etcd_up\n"
"  says so) and catches up once etcd answers; a revision it cannot apply is\n"
"  refused whole.  With --sync-key and --sync-listen or --sync-peer it syncs\n"
"  flows: the new and closing flows of this host go to every peer, in\n"
"  authenticated batches (the shared key, a sequence against replays), and\n"
"  the peers' flows go into this host's flow table, so that a connection\n"
"  moved to this host keeps its backend; a datagram with a wrong key, a\n"
"  replayed, cut or malformed one is counted and dropped.  Their metrics\n"
"  (bgxdp_fleet_*, bgxdp_fleet_sync_*) are on the same /metrics.  Both run in\n"
"  threads of their own: SIGHUP leaves them as they are (they follow etcd and\n"
"  their peers all the time) and SIGTERM stops them with the rest.\n",
	.params = agent_params,
	.params_size = sizeof(struct agent_params),
	.validate = validate_agent,
	.in_agent = true,
	.examples =
"  bgxdp agent &\n"
"  BGXDP_STATE_DIR=/var/lib/bgxdp-test bgxdp agent --listen 127.0.0.1:9478\n"
"  bgxdp agent --etcd http://10.0.0.5:2379 --fleet web\n"
"  bgxdp agent --etcd https://etcd1:2379,https://etcd2:2379 --etcd-ca ca.crt \\\n"
"      --fleet web --sync-key /etc/bgxdp/sync.key --sync-listen 10.0.0.11:9480 \\\n"
"      --sync-peer 10.0.0.12:9480 --sync-peer 10.0.0.13:9480\n",
};
