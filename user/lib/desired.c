// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* desired.c - the declarative model: life cycle, defaults, canonical order,
 * comparison and the words of the file format.  Validation across nodes is
 * in desired_validate.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "desired.h"

struct bgx_desired *bgx_desired_new(void)
{
	return calloc(1, sizeof(struct bgx_desired));
}

void bgx_desired_free(struct bgx_desired *d)
{
	free(d);
}

void bgx_desired_init(struct bgx_desired *d)
{
	memset(d, 0, sizeof(*d));
}

void bgx_health_fill_defaults(struct bgx_desired_health *h)
{
	if (h->mode != BGX_HEALTH_ON)
		return;
	if (!h->interval_ms)
		h->interval_ms = BGX_HEALTH_DEFAULT_INTERVAL_MS;
	if (!h->timeout_ms)
		h->timeout_ms = BGX_HEALTH_DEFAULT_TIMEOUT_MS;
	if (!h->rise)
		h->rise = BGX_HEALTH_DEFAULT_RISE;
	if (!h->fall)
		h->fall = BGX_HEALTH_DEFAULT_FALL;
	if (h->check != BGX_CHECK_HTTP)
		return;
	if (!h->path[0])
		snprintf(h->path, sizeof(h->path), "/");
	if (!h->n_expect) {
		h->expect[0] = (struct bgx_code_range){ 200, 399 };
		h->n_expect = 1;
	}
}

/* ---- canonical order ---------------------------------------------------- */

int bgx_endpoint_cmp(const struct endpoint *a, const struct endpoint *b)
{
	int r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if ((r = memcmp(a->addr, b->addr, BGXDP_ADDR_LEN)))
		return r;
	return a->port < b->port ? -1 : a->port > b->port;
}

bool bgx_endpoint_equal(const struct endpoint *a, const struct endpoint *b)
{
	return bgx_endpoint_cmp(a, b) == 0;
}

static int cmp_backend(const void *a, const void *b)
{
	return bgx_endpoint_cmp(&((const struct bgx_desired_backend *)a)->ep,
				&((const struct bgx_desired_backend *)b)->ep);
}

static int cmp_service(const void *a, const void *b)
{
	return strcmp(((const struct bgx_desired_service *)a)->def.name,
		      ((const struct bgx_desired_service *)b)->def.name);
}

/* Interfaces and fast-path devices both start with their name. */
static int cmp_iface(const void *a, const void *b)
{
	return strncmp(((const struct bgx_desired_iface *)a)->name,
		       ((const struct bgx_desired_iface *)b)->name, BGX_IFNAME_LEN);
}

static int cmp_fast_path(const void *a, const void *b)
{
	return strncmp(((const struct bgx_desired_fast_path *)a)->name,
		       ((const struct bgx_desired_fast_path *)b)->name, BGX_IFNAME_LEN);
}

static int cmp_range(const void *a, const void *b)
{
	const struct bgx_code_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

/* Sorted, and overlapping or touching ranges merged: 200-299,300-399 is
 * 200-399, so one set of codes has one form. */
void bgx_health_canonicalize(struct bgx_desired_health *h)
{
	__u8 n = 0;

	if (h->n_expect > BGX_HEALTH_MAX_RANGES)
		return;         /* validate refuses it */
	qsort(h->expect, h->n_expect, sizeof(h->expect[0]), cmp_range);
	for (__u8 i = 0; i < h->n_expect; i++) {
		if (n && h->expect[i].lo <= h->expect[n - 1].hi + 1) {
			if (h->expect[i].hi > h->expect[n - 1].hi)
				h->expect[n - 1].hi = h->expect[i].hi;
			continue;
		}
		h->expect[n++] = h->expect[i];
	}
	for (__u8 i = n; i < h->n_expect; i++)
		h->expect[i] = (struct bgx_code_range){ 0, 0 };
	h->n_expect = n;
}

void bgx_desired_canonicalize(struct bgx_desired *d)
{
	if (d->n_ifaces <= BGX_MAX_IFACES)
		qsort(d->ifaces, d->n_ifaces, sizeof(d->ifaces[0]), cmp_iface);
	if (d->n_fast_path <= BGX_MAX_IFACES)
		qsort(d->fast_path, d->n_fast_path, sizeof(d->fast_path[0]), cmp_fast_path);
	if (d->n_services > BGXDP_MAX_SERVICES)
		return;
	qsort(d->services, d->n_services, sizeof(d->services[0]), cmp_service);
	for (__u32 i = 0; i < d->n_services; i++) {
		struct bgx_desired_service *s = &d->services[i];

		for (__u32 c = 0; c < BGXDP_COLORS; c++)
			if (s->n_backends[c] <= BGXDP_MAX_BACKENDS)
				qsort(s->backends[c], s->n_backends[c], sizeof(s->backends[c][0]),
				      cmp_backend);
		bgx_health_canonicalize(&s->health);
	}
}

/* ---- comparison (positions ignored) --------------------------------------- */

bool bgx_service_def_equal(const struct bgx_service_def *a, const struct bgx_service_def *b)
{
	return !strcmp(a->name, b->name) && bgx_endpoint_equal(&a->vip, &b->vip) &&
	       bgx_endpoint_equal(&a->preview, &b->preview) && a->proto == b->proto &&
	       a->affinity_client == b->affinity_client;
}

bool bgx_health_equal(const struct bgx_desired_health *a, const struct bgx_desired_health *b)
{
	if (a->mode != b->mode)
		return false;
	if (a->mode != BGX_HEALTH_ON)
		return true;
	if (a->check != b->check || a->expire_flows_on_down != b->expire_flows_on_down ||
	    a->rise != b->rise || a->fall != b->fall || a->port != b->port ||
	    a->interval_ms != b->interval_ms || a->timeout_ms != b->timeout_ms ||
	    a->fastinter_ms != b->fastinter_ms || a->downinter_ms != b->downinter_ms ||
	    a->n_expect != b->n_expect || strcmp(a->path, b->path))
		return false;
	for (__u8 i = 0; i < a->n_expect && i < BGX_HEALTH_MAX_RANGES; i++)
		if (a->expect[i].lo != b->expect[i].lo || a->expect[i].hi != b->expect[i].hi)
			return false;
	return true;
}

static bool backend_equal(const struct bgx_desired_backend *a, const struct bgx_desired_backend *b)
{
	return bgx_endpoint_equal(&a->ep, &b->ep) && a->weight == b->weight && a->state == b->state;
}

static bool service_equal(const struct bgx_desired_service *a, const struct bgx_desired_service *b)
{
	if (!bgx_service_def_equal(&a->def, &b->def) || a->green_bp != b->green_bp ||
	    !bgx_health_equal(&a->health, &b->health))
		return false;
	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		if (a->n_backends[c] != b->n_backends[c] || a->n_backends[c] > BGXDP_MAX_BACKENDS)
			return false;
		for (__u32 i = 0; i < a->n_backends[c]; i++)
			if (!backend_equal(&a->backends[c][i], &b->backends[c][i]))
				return false;
	}
	return true;
}

bool bgx_desired_equal(const struct bgx_desired *a, const struct bgx_desired *b)
{
	if (a->flows != b->flows || a->prune != b->prune || a->fast_path_set != b->fast_path_set ||
	    a->n_fast_path != b->n_fast_path || a->n_ifaces != b->n_ifaces ||
	    a->n_services != b->n_services || a->n_fast_path > BGX_MAX_IFACES ||
	    a->n_ifaces > BGX_MAX_IFACES || a->n_services > BGXDP_MAX_SERVICES)
		return false;
	for (__u32 i = 0; i < a->n_fast_path; i++)
		if (strcmp(a->fast_path[i].name, b->fast_path[i].name))
			return false;
	for (__u32 i = 0; i < a->n_ifaces; i++)
		if (strcmp(a->ifaces[i].name, b->ifaces[i].name) || a->ifaces[i].mode != b->ifaces[i].mode)
			return false;
	for (__u32 i = 0; i < a->n_services; i++)
		if (!service_equal(&a->services[i], &b->services[i]))
			return false;
	return true;
}

const struct bgx_desired_service *bgx_desired_find_service(const struct bgx_desired *d,
							    const char *name)
{
	for (__u32 i = 0; i < d->n_services && i < BGXDP_MAX_SERVICES; i++)
		if (!strcmp(d->services[i].def.name, name))
			return &d->services[i];
	return NULL;
}

const struct bgx_desired_backend *bgx_desired_find_backend(const struct bgx_desired_service *s,
							    __u32 color, const struct endpoint *ep)
{
	for (__u32 i = 0; i < s->n_backends[color] && i < BGXDP_MAX_BACKENDS; i++)
		if (bgx_endpoint_equal(&s->backends[color][i].ep, ep))
			return &s->backends[color][i];
	return NULL;
}

/* ---- words and formats ------------------------------------------------------ */

const char *bgx_xdp_mode_name(__u8 mode)
{
	return mode == BGX_XDP_NATIVE ? "native" : mode == BGX_XDP_GENERIC ? "generic" : "auto";
}

const char *bgx_admin_state_name(__u8 state)
{
	return admin_state_name(state);
}

const char *bgx_check_name(__u8 check)
{
	return check == BGX_CHECK_HTTP ? "http" : "tcp";
}

void bgx_expect_format(const struct bgx_desired_health *h, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (__u8 i = 0; i < h->n_expect && i < BGX_HEALTH_MAX_RANGES && off < len; i++) {
		const struct bgx_code_range *r = &h->expect[i];
		int n = r->lo == r->hi ? snprintf(buf + off, len - off, "%s%u", i ? "," : "", r->lo)
				       : snprintf(buf + off, len - off, "%s%u-%u", i ? "," : "",
						  r->lo, r->hi);

		if (n < 0)
			break;
		off += (size_t)n;
	}
}

void bgx_percent_format(__u32 bp, char *buf, size_t len)
{
	__u32 whole = bp / 100, frac = bp % 100;

	if (!frac)
		snprintf(buf, len, "%u", whole);
	else if (frac % 10 == 0)
		snprintf(buf, len, "%u.%u", whole, frac / 10);
	else
		snprintf(buf, len, "%u.%02u", whole, frac);
}

void bgx_duration_format(__u32 ms, char *buf, size_t len)
{
	if (ms && ms % 3600000 == 0)
		snprintf(buf, len, "%uh", ms / 3600000);
	else if (ms && ms % 60000 == 0)
		snprintf(buf, len, "%um", ms / 60000);
	else if (ms && ms % 1000 == 0)
		snprintf(buf, len, "%us", ms / 1000);
	else
		snprintf(buf, len, "%ums", ms);
}
