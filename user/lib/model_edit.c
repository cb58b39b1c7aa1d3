// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * model_edit.c - what each command does, done to a declarative model
 * instead of the maps: a batch (`bgxdp -b`) runs every line on a copy of
 * the live model first, refusing what the command itself would refuse,
 * and only then applies the result as one change.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include "model_edit.h"

static struct bgx_desired_service *find_service(struct bgx_desired *d, const char *name,
						struct bgx_err *e)
{
	struct bgx_desired_service *found = NULL;
	int n = 0;

	for (__u32 i = 0; i < d->n_services; i++) {
		if (name && strcmp(d->services[i].def.name, name))
			continue;
		found = &d->services[i];
		n++;
	}
	if (!n)
		bgx_fail(e, ENOENT, name ? "no service named '%s' (see 'bgxdp status')"
				       : "no service configured (add one with 'bgxdp service add')",
			 name);
	else if (n > 1)
		bgx_fail(e, EINVAL, "%d services configured: say which one with --service NAME", n);
	return n == 1 ? found : NULL;
}

static bool same_address(const struct endpoint *a, const struct endpoint *b)
{
	return a->family && bgx_endpoint_equal(a, b);
}

int bgx_model_service_add(struct bgx_desired *d, const struct bgx_service_spec *spec,
			  struct bgx_err *e)
{
	struct bgx_desired_service *s;
	char text[BGX_ADDRESS_LEN];

	for (__u32 i = 0; i < d->n_services; i++) {
		const struct bgx_service_def *o = &d->services[i].def;

		if (!strcmp(o->name, spec->name))
			return bgx_fail(e, EEXIST, "service '%s' already exists", spec->name);
		if (o->proto == spec->proto &&
		    (same_address(&o->vip, &spec->vip) || same_address(&o->preview, &spec->vip))) {
			format_endpoint(spec->vip.addr, htons(spec->vip.port), spec->vip.family, text,
					sizeof(text));
			return bgx_fail(e, EEXIST, "--vip %s (%s) is already used by another service",
					text, proto_name(spec->proto));
		}
	}
	if (d->n_services >= BGXDP_MAX_SERVICES)
		return bgx_fail(e, ENOSPC, "all %d service slots are in use (delete one with 'bgxdp service del')",
				BGXDP_MAX_SERVICES);
	s = &d->services[d->n_services++];
	memset(s, 0, sizeof(*s));
	str_copy_field(s->def.name, sizeof(s->def.name), spec->name);
	s->def.vip = spec->vip;
	if (spec->has_preview)
		s->def.preview = spec->preview;
	s->def.proto = spec->proto;
	s->def.affinity_client = spec->affinity_client;
	return 0;
}

int bgx_model_service_del(struct bgx_desired *d, const char *name, struct bgx_err *e)
{
	struct bgx_desired_service *s = find_service(d, name, e);
	size_t i;

	if (!s)
		return -ENOENT;
	i = (size_t)(s - d->services);
	memmove(s, s + 1, (d->n_services - i - 1) * sizeof(*s));
	d->n_services--;
	return 0;
}

static int find_backend(struct bgx_desired_service *s, __u32 color, const struct endpoint *ep)
{
	for (__u32 i = 0; i < s->n_backends[color]; i++)
		if (bgx_endpoint_equal(&s->backends[color][i].ep, ep))
			return (int)i;
	return -1;
}

static __u32 in_rotation(const struct bgx_desired_service *s, __u32 color)
{
	__u32 n = 0;

	for (__u32 i = 0; i < s->n_backends[color]; i++)
		n += s->backends[color][i].state == BACKEND_UP;
	return n;
}

static __u32 color_share(const struct bgx_desired_service *s, __u32 color)
{
	return color == BGXDP_GREEN ? s->green_bp : BGXDP_SHARE_SCALE - s->green_bp;
}

/* The backend of `ref`, or an error as the library would give it. */
static struct bgx_desired_service *backend_of(struct bgx_desired *d,
					       const struct bgx_backend_ref *ref, int *index,
					       char *text, size_t len, struct bgx_err *e)
{
	struct bgx_desired_service *s = find_service(d, ref->service, e);

	format_endpoint(ref->ep.addr, htons(ref->ep.port), ref->ep.family, text, len);
	if (!s)
		return NULL;
	if (ref->ep.family != s->def.vip.family) {
		bgx_fail(e, EINVAL, "%s: address family differs from the VIP of service '%s' (IPv%u)",
			 text, s->def.name, s->def.vip.family);
		return NULL;
	}
	*index = find_backend(s, ref->color, &ref->ep);
	return s;
}

int bgx_model_backend_add(struct bgx_desired *d, const struct bgx_backend_ref *ref, __u16 weight,
			  struct bgx_err *e)
{
	char text[BGX_ADDRESS_LEN];
	struct bgx_desired_backend *b;
	struct bgx_desired_service *s;
	int i;

	if (!(s = backend_of(d, ref, &i, text, sizeof(text), e)))
		return e ? e->code : -EINVAL;
	if (i >= 0)
		return bgx_fail(e, EEXIST, "%s is already a %s backend of service '%s'", text,
				color_name(ref->color), s->def.name);
	if (s->n_backends[ref->color] >= BGXDP_MAX_BACKENDS)
		return bgx_fail(e, ENOSPC, "service '%s' already has %d %s backends (the maximum)",
				s->def.name, BGXDP_MAX_BACKENDS, color_name(ref->color));
	b = &s->backends[ref->color][s->n_backends[ref->color]++];
	memset(b, 0, sizeof(*b));
	b->ep = ref->ep;
	b->weight = weight;
	b->state = BACKEND_UP;
	return 0;
}

/* `state` BACKEND_EMPTY deletes it. */
int bgx_model_backend_set_state(struct bgx_desired *d, const struct bgx_backend_ref *ref,
				__u8 state, struct bgx_err *e)
{
	char text[BGX_ADDRESS_LEN], pct[16];
	struct bgx_desired_service *s;
	int i;

	if (!(s = backend_of(d, ref, &i, text, sizeof(text), e)))
		return e ? e->code : -EINVAL;
	if (i < 0)
		return bgx_fail(e, ENOENT, "%s is not a %s backend of service '%s'", text,
				color_name(ref->color), s->def.name);
	if (s->backends[ref->color][i].state == BACKEND_UP && state != BACKEND_UP &&
	    in_rotation(s, ref->color) == 1 && color_share(s, ref->color)) {
		format_percent_bp(color_share(s, ref->color), pct, sizeof(pct));
		return bgx_fail(e, EBUSY, "%s is the last up %s backend of service '%s' and %s gets %s%% of new flows "
				"(move the traffic first: 'bgxdp set %s --service %s')",
				text, color_name(ref->color), s->def.name, color_name(ref->color), pct,
				color_name(ref->color ^ 1), s->def.name);
	}
	if (state != BACKEND_EMPTY) {
		s->backends[ref->color][i].state = state;
		return 0;
	}
	memmove(&s->backends[ref->color][i], &s->backends[ref->color][i + 1],
		(s->n_backends[ref->color] - (__u32)i - 1) * sizeof(s->backends[0][0]));
	s->n_backends[ref->color]--;
	return 0;
}

int bgx_model_share_set(struct bgx_desired *d, const char *service, __u32 green_bp,
			struct bgx_err *e)
{
	struct bgx_desired_service *s = find_service(d, service, e);
	char pct[16];

	if (!s)
		return e ? e->code : -ENOENT;
	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		__u32 share = c == BGXDP_GREEN ? green_bp : BGXDP_SHARE_SCALE - green_bp;

		if (!share || in_rotation(s, c))
			continue;
		format_percent_bp(share, pct, sizeof(pct));
		return bgx_fail(e, EINVAL, "%s would get %s%% of new flows of service '%s' but has no up backend "
				"(add one with 'bgxdp backend add %s %s ADDR:PORT')",
				color_name(c), pct, s->def.name, s->def.name, color_name(c));
	}
	s->green_bp = green_bp;
	return 0;
}

int bgx_model_attach(struct bgx_desired *d, const char *ifname, __u8 mode, __u32 flows,
		     struct bgx_err *e)
{
	for (__u32 i = 0; i < d->n_ifaces; i++)
		if (!strcmp(d->ifaces[i].name, ifname))
			return bgx_fail(e, EEXIST, "%s is already attached", ifname);
	if (d->n_ifaces >= BGX_MAX_IFACES)
		return bgx_fail(e, ENOSPC, "more than %d attached interfaces", BGX_MAX_IFACES);
	str_copy_field(d->ifaces[d->n_ifaces].name, BGX_IFNAME_LEN, ifname);
	d->ifaces[d->n_ifaces++].mode = mode;
	if (!d->flows)
		d->flows = flows;
	return 0;
}

int bgx_model_detach(struct bgx_desired *d, const char *ifname, struct bgx_err *e)
{
	for (__u32 i = 0; i < d->n_ifaces; i++) {
		if (strcmp(d->ifaces[i].name, ifname))
			continue;
		memmove(&d->ifaces[i], &d->ifaces[i + 1], (d->n_ifaces - i - 1) * sizeof(d->ifaces[0]));
		d->n_ifaces--;
		d->prune = true;        /* an interface missing from the model goes */
		return 0;
	}
	return bgx_fail(e, ENOENT, "%s is not attached", ifname);
}
