// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * health_targets.c - what the engine checks: services with their settings,
 * targets with their state, and snapshots of them.  Every public function
 * here may be called from any thread: it takes the engine's lock, and only
 * the loop thread touches a check in flight (a target removed or changed
 * while its check runs is flagged, and the loop cancels that check).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "health_internal.h"

int64_t hc_unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void hc_status(const struct hc_target *t, struct health_target_status *out)
{
	memset(out, 0, sizeof(*out));
	out->id = t->id;
	out->state = t->fsm.state;
	out->since_unix_ms = t->since_unix_ms;
	out->passes = t->fsm.passes;
	out->fails = t->fsm.fails;
	out->suspected = t->fsm.suspected;
	out->last = t->last;
	memcpy(out->checks, t->checks, sizeof(out->checks));
	out->expire_flows_on_down = t->settings.expire_flows_on_down;
}

void hc_queue_transition(struct health_engine *e, struct hc_target *t,
			 enum health_state from, const char *fmt, ...)
{
	struct hc_transition *tr;
	va_list ap;

	if (e->n_pending == e->cap_pending) {
		size_t cap = e->cap_pending ? 2 * e->cap_pending : 16;
		struct hc_transition *grown = realloc(e->pending, cap * sizeof(*grown));

		if (!grown)
			return;         /* the state changed anyway; only the call is lost */
		e->pending = grown;
		e->cap_pending = cap;
	}
	tr = &e->pending[e->n_pending++];
	hc_status(t, &tr->target);
	tr->from = from;
	tr->to = t->fsm.state;
	va_start(ap, fmt);
	vsnprintf(tr->reason, sizeof(tr->reason), fmt, ap);
	va_end(ap);
}

void hc_free_target(struct health_engine *e, size_t index)
{
	free(e->targets[index]);
	e->targets[index] = e->targets[--e->n_targets];
}

static bool grow(void **array, size_t *cap, size_t n, size_t size)
{
	void *grown;
	size_t want = *cap ? 2 * *cap : 16;

	if (n < *cap)
		return true;
	grown = realloc(*array, want * size);
	if (!grown)
		return false;
	*array = grown;
	*cap = want;
	return true;
}

static struct hc_service *find_service(struct health_engine *e, const char *name, size_t *index)
{
	for (size_t i = 0; i < e->n_services; i++)
		if (!strncmp(e->services[i]->name, name, HEALTH_SERVICE_LEN)) {
			if (index)
				*index = i;
			return e->services[i];
		}
	return NULL;
}

static struct hc_target *find_target(struct health_engine *e, const struct health_target_id *id)
{
	for (size_t i = 0; i < e->n_targets; i++)
		if (!e->targets[i]->removed && health_target_id_equal(&e->targets[i]->id, id))
			return e->targets[i];
	return NULL;
}

static void remove_target_at(struct health_engine *e, size_t index)
{
	struct hc_target *t = e->targets[index];

	if (t->probe) {
		t->removed = true;      /* the loop cancels its check, then frees it */
		t->cancel_probe = true;
	} else {
		hc_free_target(e, index);
	}
}

/* What a check does changed: old results say nothing about the new one. */
static bool check_changed(const struct health_settings *a, const struct health_settings *b)
{
	if (a->kind != b->kind || a->port != b->port)
		return true;
	if (a->kind != HEALTH_HTTP)
		return false;
	return strcmp(a->path, b->path) || strcmp(a->host, b->host) || a->n_expect != b->n_expect ||
	       memcmp(a->expect, b->expect, sizeof(a->expect[0]) * a->n_expect);
}

static void apply_settings(struct health_engine *e, struct hc_target *t,
			   const struct health_settings *s, uint64_t now)
{
	enum health_state from = t->fsm.state;
	bool restart = check_changed(&t->settings, s);

	if (t->settings.enabled != s->enabled) {
		health_fsm_set_enabled(&t->fsm, s->enabled);
		t->since_unix_ms = hc_unix_ms();
		t->settings = *s;
		if (s->enabled)
			hc_queue_transition(e, t, from, "health checks turned on: up until %u "
					    "failed checks in a row", s->fall);
		else
			hc_queue_transition(e, t, from, "health checks turned off");
		restart = true;
	} else if (restart) {
		t->fsm.passes = t->fsm.fails = 0;
	}
	t->settings = *s;
	if (restart) {
		t->cancel_probe = t->probe != NULL;
		t->due_ms = now + health_first_check_delay_ms(&t->id, s);
	} else if (!t->probe && t->started_ms) {
		uint64_t due = health_fsm_next_due(&t->fsm, s, t->started_ms, now);

		if (due < t->due_ms)
			t->due_ms = due;
	}
}

int health_set_service(struct health_engine *e, const char *service,
		       const struct health_settings *s, struct bgx_err *err)
{
	struct hc_service *svc;
	uint64_t now = health_now_ms();
	int r = health_settings_validate(s, err);

	if (r)
		return r;
	if (!service[0] || strlen(service) >= HEALTH_SERVICE_LEN)
		return bgx_fail_usage(err, EINVAL, "health checks: service name '%.40s' is not "
				      "accepted (1 to %d characters)", service, HEALTH_SERVICE_LEN - 1);
	pthread_mutex_lock(&e->lock);
	svc = find_service(e, service, NULL);
	if (!svc) {
		svc = calloc(1, sizeof(*svc));
		if (!svc || !grow((void **)&e->services, &e->cap_services, e->n_services,
				  sizeof(*e->services))) {
			pthread_mutex_unlock(&e->lock);
			free(svc);
			return bgx_fail(err, ENOMEM, "health checks: out of memory");
		}
		snprintf(svc->name, sizeof(svc->name), "%s", service);
		e->services[e->n_services++] = svc;
	}
	svc->settings = *s;
	for (size_t i = 0; i < e->n_targets; i++) {
		struct hc_target *t = e->targets[i];

		if (!t->removed && !strncmp(t->id.service, service, HEALTH_SERVICE_LEN))
			apply_settings(e, t, s, now);
	}
	pthread_mutex_unlock(&e->lock);
	health_prober_wakeup(&e->prober);
	return 0;
}

int health_remove_service(struct health_engine *e, const char *service)
{
	size_t index;
	struct hc_service *svc;

	pthread_mutex_lock(&e->lock);
	svc = find_service(e, service, &index);
	if (!svc) {
		pthread_mutex_unlock(&e->lock);
		return -ENOENT;
	}
	for (size_t i = e->n_targets; i-- > 0;)
		if (!e->targets[i]->removed &&
		    !strncmp(e->targets[i]->id.service, service, HEALTH_SERVICE_LEN))
			remove_target_at(e, i);
	free(svc);
	e->services[index] = e->services[--e->n_services];
	pthread_mutex_unlock(&e->lock);
	health_prober_wakeup(&e->prober);
	return 0;
}

/* Under the lock: everything add_locked() relies on. */
static int check_spec(struct health_engine *e, const struct health_target_spec *spec,
		      struct bgx_err *err)
{
	const struct health_target_id *id = &spec->id;
	char name[64];
	struct hc_service *svc = find_service(e, id->service, NULL);

	health_format_target(id, name, sizeof(name));
	if (!svc)
		return bgx_fail(err, ENOENT, "health checks: target %s: no settings for service "
				"'%.31s'", name, id->service);
	if (id->color != BGXDP_BLUE && id->color != BGXDP_GREEN)
		return bgx_fail_usage(err, EINVAL, "health checks: target %s: color %u is not "
				      "accepted (blue or green)", name, id->color);
	if (id->backend.family != BGXDP_FAMILY_IPV4 && id->backend.family != BGXDP_FAMILY_IPV6)
		return bgx_fail_usage(err, EINVAL, "health checks: target %s: address family %u is "
				      "not accepted (IPv4 or IPv6)", name, id->backend.family);
	if (!id->backend.port && !svc->settings.port)
		return bgx_fail_usage(err, EINVAL, "health checks: target %s: port 0 and no port "
				      "override", name);
	if (spec->initial != HEALTH_UNCHECKED && spec->initial != HEALTH_UP &&
	    spec->initial != HEALTH_DOWN)
		return bgx_fail_usage(err, EINVAL, "health checks: target %s: initial state %d is "
				      "not accepted (unchecked, up or down)", name, (int)spec->initial);
	return 0;
}

static int add_locked(struct health_engine *e, const struct health_target_spec *spec,
		      uint64_t now)
{
	const struct hc_service *svc = find_service(e, spec->id.service, NULL);
	struct hc_target *t;

	if (find_target(e, &spec->id))
		return 0;
	if (!grow((void **)&e->targets, &e->cap_targets, e->n_targets, sizeof(*e->targets)))
		return -ENOMEM;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->id = spec->id;
	t->settings = svc->settings;
	health_fsm_init(&t->fsm, svc->settings.enabled ? spec->initial : HEALTH_OFF);
	t->since_unix_ms = hc_unix_ms();
	t->due_ms = now + health_first_check_delay_ms(&t->id, &t->settings);
	e->targets[e->n_targets++] = t;
	return 0;
}

int health_add_target(struct health_engine *e, const struct health_target_spec *spec,
		      struct bgx_err *err)
{
	int r;

	pthread_mutex_lock(&e->lock);
	r = check_spec(e, spec, err);
	if (!r && add_locked(e, spec, health_now_ms()))
		r = bgx_fail(err, ENOMEM, "health checks: out of memory");
	pthread_mutex_unlock(&e->lock);
	health_prober_wakeup(&e->prober);
	return r;
}

int health_remove_target(struct health_engine *e, const struct health_target_id *id)
{
	int r = -ENOENT;

	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < e->n_targets; i++)
		if (!e->targets[i]->removed && health_target_id_equal(&e->targets[i]->id, id)) {
			remove_target_at(e, i);
			r = 0;
			break;
		}
	pthread_mutex_unlock(&e->lock);
	return r;
}

static bool listed(const struct health_target_spec *specs, size_t n,
		   const struct health_target_id *id)
{
	for (size_t i = 0; i < n; i++)
		if (health_target_id_equal(&specs[i].id, id))
			return true;
	return false;
}

int health_sync_targets(struct health_engine *e, const struct health_target_spec *specs,
			size_t n, struct bgx_err *err)
{
	uint64_t now = health_now_ms();
	int r = 0;

	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < n && !r; i++)
		r = check_spec(e, &specs[i], err);
	/* Room for every new one first, so the change is whole or nothing. */
	if (!r && e->n_targets + n > e->cap_targets) {
		size_t cap = e->n_targets + n;
		struct hc_target **grown = realloc(e->targets, cap * sizeof(*grown));

		if (grown) {
			e->targets = grown;
			e->cap_targets = cap;
		} else {
			r = bgx_fail(err, ENOMEM, "health checks: out of memory");
		}
	}
	if (!r) {
		for (size_t i = e->n_targets; i-- > 0;)
			if (!e->targets[i]->removed && !listed(specs, n, &e->targets[i]->id))
				remove_target_at(e, i);
		for (size_t i = 0; i < n && !r; i++)
			if (add_locked(e, &specs[i], now))
				r = bgx_fail(err, ENOMEM, "health checks: out of memory");
	}
	pthread_mutex_unlock(&e->lock);
	health_prober_wakeup(&e->prober);
	return r;
}

int health_suspect(struct health_engine *e, const struct health_target_id *id)
{
	struct hc_target *t;
	int r = 0;

	pthread_mutex_lock(&e->lock);
	t = find_target(e, id);
	if (!t)
		r = -ENOENT;
	else if (health_fsm_suspect(&t->fsm) && !t->probe)
		t->due_ms = health_now_ms();    /* a running check counts as "now" */
	pthread_mutex_unlock(&e->lock);
	if (!r)
		health_prober_wakeup(&e->prober);
	return r;
}

static int compare_status(const void *pa, const void *pb)
{
	const struct health_target_id *a = &((const struct health_target_status *)pa)->id;
	const struct health_target_id *b = &((const struct health_target_status *)pb)->id;
	int c = strncmp(a->service, b->service, HEALTH_SERVICE_LEN);

	if (c)
		return c;
	if (a->color != b->color)
		return a->color < b->color ? -1 : 1;
	if (a->backend.family != b->backend.family)
		return a->backend.family < b->backend.family ? -1 : 1;
	c = memcmp(a->backend.addr, b->backend.addr, sizeof(a->backend.addr));
	if (c)
		return c;
	return (int)a->backend.port - (int)b->backend.port;
}

int health_snapshot(struct health_engine *e, struct health_snapshot *out, struct bgx_err *err)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&e->lock);
	out->targets = calloc(e->n_targets ? e->n_targets : 1, sizeof(*out->targets));
	if (!out->targets) {
		pthread_mutex_unlock(&e->lock);
		return bgx_fail(err, ENOMEM, "health checks: out of memory");
	}
	for (size_t i = 0; i < e->n_targets; i++)
		if (!e->targets[i]->removed)
			hc_status(e->targets[i], &out->targets[out->n++]);
	memcpy(out->checks, e->checks, sizeof(out->checks));
	pthread_mutex_unlock(&e->lock);
	qsort(out->targets, out->n, sizeof(*out->targets), compare_status);
	return 0;
}

void health_snapshot_free(struct health_snapshot *s)
{
	free(s->targets);
	memset(s, 0, sizeof(*s));
}

int health_get_target(struct health_engine *e, const struct health_target_id *id,
		      struct health_target_status *out)
{
	struct hc_target *t;

	pthread_mutex_lock(&e->lock);
	t = find_target(e, id);
	if (t)
		hc_status(t, out);
	pthread_mutex_unlock(&e->lock);
	return t ? 0 : -ENOENT;
}
