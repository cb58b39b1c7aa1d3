// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * peer_flows.c - peers' flows into this host's flow table, and the switch
 * and ring buffer of the data plane's flow events (peer_flows.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "config_word.h"
#include "flow_table.h"
#include "instance.h"
#include "peer_flows.h"

static const char *const outcome_names[BGX_FLOW_OUTCOMES] = {
	[BGX_FLOW_INSERTED] = "inserted",
	[BGX_FLOW_REFRESHED] = "refreshed",
	[BGX_FLOW_REPLACED] = "replaced",
	[BGX_FLOW_UNCHANGED] = "unchanged",
	[BGX_FLOW_OTHER_BACKEND] = "other_backend",
	[BGX_FLOW_NO_SERVICE] = "no_service",
	[BGX_FLOW_NO_BACKEND] = "no_backend",
	[BGX_FLOW_MALFORMED] = "malformed",
};

const char *bgx_flow_outcome_name(enum bgx_flow_outcome o)
{
	return (unsigned)o < BGX_FLOW_OUTCOMES ? outcome_names[o] : "unknown";
}

/* The data plane stamps last_seen with bpf_ktime_get_coarse_ns(). */
__u64 bgx_flow_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static int refuse(struct bgx_flow_result *res, enum bgx_flow_outcome why, int code,
		  struct bgx_err *e, const char *what)
{
	res->outcome = why;
	return bgx_fail(e, code, "peer flow: %s", what);
}

static bool flow_well_formed(const struct bgx_peer_flow *f)
{
	const struct flow_key *k = &f->key;

	return (k->family == BGXDP_FAMILY_IPV4 || k->family == BGXDP_FAMILY_IPV6) &&
	       (k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP) &&
	       f->value.color < BGXDP_COLORS &&
	       (f->value.state == FLOW_OPEN || f->value.state == FLOW_CLOSING);
}

/* This host's service of the flow's VIP (a preview address counts). */
static int resolve_service(struct bgx_instance *in, const struct flow_key *k, __u32 *id,
			   struct bgx_flow_result *res, struct bgx_err *e)
{
	struct vip_key vk = { .port = k->vip_port, .proto = k->proto, .family = k->family };
	struct vip_value vv;
	int fd = map_fd(in, MAP_services);

	memcpy(vk.addr, k->vip, BGXDP_ADDR_LEN);
	if (fd < 0)
		return bgx_fail(e, fd, "cannot open map services: %s", strerror(-fd));
	if (bpf_map_lookup_elem(fd, &vk, &vv)) {
		if (errno != ENOENT)
			return bgx_fail(e, errno, "cannot read map services: %s", strerror(errno));
		return refuse(res, BGX_FLOW_NO_SERVICE, ENOENT, e, "the VIP is no service here");
	}
	if (vv.service_id >= BGXDP_MAX_SERVICES || !(svc_word(in, vv.service_id) & CFG_CONFIGURED))
		return refuse(res, BGX_FLOW_NO_SERVICE, ENOENT, e, "the VIP's service is not live here");
	*id = vv.service_id;
	return 0;
}

static bool slot_holds(const struct backend *b, const struct flow_key *k,
		       const struct flow_value *v)
{
	return b->state != BACKEND_EMPTY && b->family == k->family && b->port == v->backend_port &&
	       !memcmp(b->addr, v->backend, BGXDP_ADDR_LEN);
}

/* The backend's slot in the color: the peer's slot first (hosts that
 * applied the same config usually agree on it), else every slot. */
static int resolve_slot(struct bgx_instance *in, __u32 id, const struct bgx_peer_flow *f,
			__u32 *slot, struct bgx_flow_result *res, struct bgx_err *e)
{
	int fd = map_fd(in, MAP_backends);
	struct backend b;

	if (fd < 0)
		return bgx_fail(e, fd, "cannot open map backends: %s", strerror(-fd));
	for (__u32 i = 0; i <= BGXDP_MAX_BACKENDS; i++) {
		/* i == 0: the hint; then every slot in order */
		__u32 s = i == 0 ? f->value.backend_slot : i - 1;
		__u32 key = backend_index(id, f->value.color, s);

		if (s >= BGXDP_MAX_BACKENDS || (i > 0 && s == f->value.backend_slot))
			continue;
		if (bpf_map_lookup_elem(fd, &key, &b))
			return bgx_fail(e, errno, "cannot read backends[%u]: %s", key, strerror(errno));
		if (slot_holds(&b, &f->key, &f->value)) {
			*slot = s;
			return 0;
		}
	}
	return refuse(res, BGX_FLOW_NO_BACKEND, ENOENT, e,
		      "the backend is not in that color of the service here");
}

/* What this host writes for the peer's flow, and how it compares with the
 * entry there now (if any). */
static int local_entry(struct bgx_instance *in, const struct bgx_peer_flow *f,
		       struct flow_value *want, struct bgx_flow_result *res, struct bgx_err *e)
{
	__u32 id = 0, slot = 0;
	int r;

	memset(res, 0, sizeof(*res));
	if (!flow_well_formed(f))
		return refuse(res, BGX_FLOW_MALFORMED, EINVAL, e,
			      "family, protocol, color or state out of range");
	if ((r = resolve_service(in, &f->key, &id, res, e)) ||
	    (r = resolve_slot(in, id, f, &slot, res, e)))
		return r;
	*want = f->value;
	want->service_id = (__u16)id;
	want->backend_slot = (__u16)slot;
	res->service_id = id;
	res->backend_slot = slot;
	return 0;
}

static bool same_backend(const struct flow_value *a, const struct flow_value *b)
{
	return a->backend_port == b->backend_port && !memcmp(a->backend, b->backend, BGXDP_ADDR_LEN);
}

static int write_entry(struct bgx_instance *in, const struct flow_key *k,
		       const struct flow_value *v, struct bgx_err *e)
{
	int fd = map_fd(in, MAP_flows);

	if (fd < 0)
		return bgx_fail(e, fd, "cannot open map flows: %s", strerror(-fd));
	if (bpf_map_update_elem(fd, k, v, BPF_ANY))
		return bgx_fail(e, errno, "cannot write map flows: %s", strerror(errno));
	return 0;
}

int bgx_flow_get(struct bgx_instance *in, const struct flow_key *key, struct flow_value *value,
		 struct bgx_err *e)
{
	int fd = map_fd(in, MAP_flows);

	if (fd < 0)
		return bgx_fail(e, fd, "cannot open map flows: %s", strerror(-fd));
	if (bpf_map_lookup_elem(fd, key, value))
		return errno == ENOENT ? -ENOENT
				       : bgx_fail(e, errno, "cannot read map flows: %s", strerror(errno));
	return 0;
}

/* Merge `want` into the entry there now; *write says whether to write. */
static enum bgx_flow_outcome merge(const struct flow_value *have, bool found,
				   struct flow_value *want, bool *write)
{
	*write = true;
	if (!found)
		return BGX_FLOW_INSERTED;
	if (!same_backend(have, want))
		return BGX_FLOW_REPLACED;
	/* same backend: never older, never back from closing to open */
	if (have->state == FLOW_CLOSING)
		want->state = FLOW_CLOSING;
	if ((__s64)(have->last_seen_ns - want->last_seen_ns) >= 0) {
		want->last_seen_ns = have->last_seen_ns;
		if (want->state == have->state && have->service_id == want->service_id &&
		    have->backend_slot == want->backend_slot && have->color == want->color) {
			*write = false;
			return BGX_FLOW_UNCHANGED;
		}
	}
	return BGX_FLOW_REFRESHED;
}

int bgx_flow_upsert(struct bgx_instance *in, const struct bgx_peer_flow *f, __u64 idle_ns,
		    struct bgx_flow_result *res, struct bgx_err *e)
{
	struct flow_value want, have;
	bool found, write;
	int r;

	if ((r = local_entry(in, f, &want, res, e)))
		return r;
	want.last_seen_ns = bgx_flow_clock() - idle_ns;
	r = bgx_flow_get(in, &f->key, &have, e);
	if (r && r != -ENOENT)
		return r;
	found = r == 0;
	res->outcome = merge(&have, found, &want, &write);
	return write ? write_entry(in, &f->key, &want, e) : 0;
}

int bgx_flow_close(struct bgx_instance *in, const struct bgx_peer_flow *f,
		   struct bgx_flow_result *res, struct bgx_err *e)
{
	struct bgx_peer_flow closing = *f;
	struct flow_value want, have;
	bool found, write;
	int r;

	closing.value.state = FLOW_CLOSING;
	if ((r = local_entry(in, &closing, &want, res, e)))
		return r;
	want.last_seen_ns = bgx_flow_clock();
	r = bgx_flow_get(in, &f->key, &have, e);
	if (r && r != -ENOENT)
		return r;
	found = r == 0;
	if (found && !same_backend(&have, &want)) {
		res->outcome = BGX_FLOW_OTHER_BACKEND;
		return 0;
	}
	/* a close restarts the short closing timeout once, from now */
	if (found && have.state == FLOW_CLOSING) {
		res->outcome = BGX_FLOW_UNCHANGED;
		return 0;
	}
	res->outcome = merge(&have, found, &want, &write);
	return write ? write_entry(in, &f->key, &want, e) : 0;
}

struct seen_walk {
	__u64 since;
	bgx_flow_visit_fn fn;
	void *ctx;
};

static int visit_if_seen(const struct flow_key *key, const struct flow_value *value, void *ctx)
{
	struct seen_walk *w = ctx;

	if (value->state != FLOW_OPEN || (__s64)(value->last_seen_ns - w->since) < 0)
		return 0;
	return w->fn(key, value, w->ctx);
}

int bgx_flow_for_each_seen(struct bgx_instance *in, __u64 since, bgx_flow_visit_fn fn,
			   void *ctx, struct bgx_err *e)
{
	struct seen_walk w = { .since = since, .fn = fn, .ctx = ctx };

	/* no restart hook: visiting a flow twice only sends it twice */
	return flows_for_each(in, visit_if_seen, NULL, &w, e);
}

/* ---- flow events ---------------------------------------------------------- */

int bgx_flow_events_get(struct bgx_instance *in, struct bgx_err *e)
{
	struct instance_settings set;
	__u32 zero = 0;
	int fd = map_fd(in, MAP_settings);

	if (fd < 0 || bpf_map_lookup_elem(fd, &zero, &set))
		return bgx_fail(e, fd < 0 ? fd : -errno, "cannot read the settings map: %s",
				strerror(fd < 0 ? -fd : errno));
	return (set.flags & SETTINGS_FLOW_EVENTS) ? 1 : 0;
}

int bgx_flow_events_set(const char *pin_dir, bool on, bool *was, struct bgx_err *e)
{
	struct instance_settings set;
	struct bgx_instance in;
	__u32 zero = 0;
	int fd = -1, r;

	if ((r = instance_lock_dir(&in, pin_dir, false, true, e)))
		goto out;
	if (!instance_exists(&in)) {
		r = bgx_fail(e, ENOENT, "no bgxdp instance at %s (run 'bgxdp attach IFACE' first)",
			     pin_dir);
		goto out;
	}
	if ((fd = instance_open_map(&in, MAP_settings)) < 0) {
		r = bgx_fail(e, fd, "cannot open the settings map: %s", strerror(-fd));
		goto out;
	}
	if (bpf_map_lookup_elem(fd, &zero, &set)) {
		r = bgx_fail(e, errno, "cannot read the settings map: %s", strerror(errno));
		goto out;
	}
	if (was)
		*was = set.flags & SETTINGS_FLOW_EVENTS;
	set.flags = on ? set.flags | SETTINGS_FLOW_EVENTS : set.flags & ~SETTINGS_FLOW_EVENTS;
	if (bpf_map_update_elem(fd, &zero, &set, BPF_ANY))
		r = bgx_fail(e, errno, "cannot write the settings map: %s", strerror(errno));
	else
		bgx_log(BGX_LOG_INFO, "flow events %s on %s", on ? "on" : "off", pin_dir);
out:
	in.own_map_fds = true;  /* the settings fd was opened here */
	instance_release(&in);
	return r;
}

int bgx_flow_events_fd(struct bgx_instance *in, struct bgx_err *e)
{
	int fd = map_fd(in, MAP_flow_events);

	if (fd == -ENOENT)
		return bgx_fail(e, ENOENT, "flow events: %s has none (its data plane predates flow "
				"sync: 'bgxdp upgrade' loads one that has them)", in->pin_dir);
	if (fd < 0)
		return bgx_fail(e, fd, "flow events: cannot open the flow_events map: %s",
				strerror(-fd));
	fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return bgx_fail(e, errno, "flow events: %s", strerror(errno));
	return fd;
}
