// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fleet_view.c - a fleet's records at one etcd revision (fleet_view.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fleet_view.h"

static struct fleet_view_host *host_slot(struct fleet_view *v, const char *name)
{
	for (size_t i = 0; i < v->n_hosts; i++)
		if (!strcmp(v->hosts[i].s.host, name))
			return &v->hosts[i];
	return NULL;
}

/* One hosts/ or members/ record: a leased one wins over the kept one. */
static void take_host(struct fleet_view *v, const struct etcd_kv *kv, bool leased)
{
	struct fleet_host_status s;
	struct fleet_view_host *h;
	const char *name = fleet_key_host(kv->key);

	if (!name || fleet_status_decode(kv->value, kv->value_len, &s, NULL) ||
	    strcmp(s.host, name)) {
		v->n_bad_records++;
		return;
	}
	h = host_slot(v, name);
	if (!h) {
		h = &v->hosts[v->n_hosts++];
		memset(h, 0, sizeof(*h));
	} else if (!leased) {
		return;                 /* the leased record came first */
	}
	h->s = s;
	h->up |= leased;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct fleet_view_host *)a)->s.host,
		      ((const struct fleet_view_host *)b)->s.host);
}

int fleet_view_read(struct etcd_client *c, const char *fleet, struct fleet_view *v,
		    struct bgx_err *e)
{
	char prefix[FLEET_KEY_LEN], desired[FLEET_KEY_LEN], hosts[FLEET_KEY_LEN],
	     members[FLEET_KEY_LEN];
	struct etcd_range range = { 0 };
	int r;

	memset(v, 0, sizeof(*v));
	snprintf(prefix, sizeof(prefix), "%s%s/", FLEET_KEY_ROOT, fleet);
	fleet_key(desired, sizeof(desired), fleet, FLEET_KEY_DESIRED, NULL);
	fleet_key(hosts, sizeof(hosts), fleet, FLEET_KEY_HOSTS, NULL);
	fleet_key(members, sizeof(members), fleet, FLEET_KEY_MEMBERS, NULL);
	if ((r = etcd_get_prefix(c, prefix, &range, e)))
		return r;
	v->revision = range.revision;
	v->hosts = calloc(range.count + 1, sizeof(*v->hosts));
	if (!v->hosts) {
		etcd_range_free(&range);
		return bgx_fail(e, ENOMEM, "out of memory");
	}
	/* leased records first: keys sort "hosts/" before "members/" */
	for (size_t i = 0; i < range.count; i++) {
		const struct etcd_kv *kv = &range.kvs[i];

		if (!strcmp(kv->key, desired)) {
			v->desired_mod_revision = kv->mod_revision;
			v->has_desired = !fleet_desired_decode(kv->value, kv->value_len, &v->desired, e);
			if (!v->has_desired) {
				etcd_range_free(&range);
				return -EINVAL;
			}
		} else if (!strncmp(kv->key, hosts, strlen(hosts))) {
			take_host(v, kv, true);
		} else if (!strncmp(kv->key, members, strlen(members))) {
			take_host(v, kv, false);
		}
	}
	etcd_range_free(&range);
	qsort(v->hosts, v->n_hosts, sizeof(*v->hosts), by_name);
	for (size_t i = 0; i < v->n_hosts; i++) {
		struct fleet_view_host *h = &v->hosts[i];

		h->in_sync = v->has_desired && fleet_host_in_sync(&h->s, h->up, v->desired.revision);
		v->n_stale += !h->in_sync;
	}
	return 0;
}

void fleet_view_free(struct fleet_view *v)
{
	fleet_desired_clear(&v->desired);
	free(v->hosts);
	memset(v, 0, sizeof(*v));
}

int fleet_view_store(struct etcd_client *c, const char *fleet, const struct fleet_view *view,
		     const struct fleet_desired *rec, struct bgx_err *e)
{
	char key[FLEET_KEY_LEN];
	char *json = fleet_desired_encode(rec);
	struct etcd_op op = { .type = ETCD_OP_PUT, .key = key };
	struct etcd_txn_result tr = { 0 };
	struct fleet_view now = { 0 };
	int r;

	if (!json)
		return bgx_fail(e, ENOMEM, "out of memory");
	fleet_key(key, sizeof(key), fleet, FLEET_KEY_DESIRED, NULL);
	op.value = json;
	op.value_len = strlen(json);
	r = etcd_txn_if_mod_revision(c, key, view->desired_mod_revision, &op, 1, &tr, e);
	free(json);
	if (r || tr.succeeded)
		return r;
	/* who won: read again to say so */
	if (fleet_view_read(c, fleet, &now, NULL) || !now.has_desired)
		r = bgx_fail(e, EAGAIN, "fleet %s: the desired state changed while this apply read "
			     "it: nothing written; apply again", fleet);
	else
		r = bgx_fail(e, EAGAIN, "fleet %s: revision %lld was written meanwhile by %s (this "
			     "apply read revision %lld): nothing written; see 'bgxdp fleet status' "
			     "and apply again", fleet, (long long)now.desired.revision, now.desired.by,
			     (long long)(view->has_desired ? view->desired.revision : 0));
	fleet_view_free(&now);
	return r;
}
