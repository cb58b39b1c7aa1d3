// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * config_read.c - the configuration maps, read back for the model: the
 * model decides from what the maps hold, whoever wrote them.  Hash maps
 * are sorted by key, so the frame generator, which draws addresses from
 * these lists, makes the same frames for the same seed on every run.
 */
#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp.skel.h"
#include "libbgxdp.h"
#include "fuzz_config.h"

static int cmp_vip_key(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct vip_key));
}

/* Every key of a hash map keyed by struct vip_key, sorted; their values
 * looked up in that order.  Returns how many, or -errno. */
static int read_vip_keyed(struct bpf_map *map, struct vip_key *keys, void *values,
			  size_t value_size, int cap)
{
	int fd = bpf_map__fd(map), n = 0;
	struct vip_key key, next, *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (n == cap)
			return -E2BIG;
		keys[n++] = next;
		key = next;
		prev = &key;
	}
	qsort(keys, (size_t)n, sizeof(*keys), cmp_vip_key);
	for (int i = 0; i < n; i++)
		if (bpf_map_lookup_elem(fd, &keys[i], (char *)values + (size_t)i * value_size))
			return -errno;
	return n;
}

static int read_array(struct bpf_map *map, __u32 count, void *values, size_t value_size)
{
	int fd = bpf_map__fd(map);

	for (__u32 i = 0; i < count; i++)
		if (bpf_map_lookup_elem(fd, &i, (char *)values + (size_t)i * value_size))
			return -errno;
	return 0;
}

int fuzz_config_read(struct bgxdp *skel, struct model_config *c)
{
	int n, r;

	memset(c, 0, sizeof(*c));
	n = read_vip_keyed(skel->maps.services, c->vip_keys, c->vip_values,
			   sizeof(c->vip_values[0]), MODEL_MAX_VIPS);
	if (n < 0)
		return n;
	c->nvips = n;
	n = read_vip_keyed(skel->maps.backend_services, c->endpoint_keys, c->endpoint_values,
			   sizeof(c->endpoint_values[0]), MODEL_MAX_ENDPOINTS);
	if (n < 0)
		return n;
	c->nendpoints = n;
	if ((r = read_array(skel->maps.svc_config, BGXDP_MAX_SERVICES, c->words,
			    sizeof(c->words[0]))) ||
	    (r = read_array(skel->maps.svc_meta, BGXDP_MAX_SERVICES, c->meta, sizeof(c->meta[0]))) ||
	    (r = read_array(skel->maps.backends, MODEL_BACKENDS, c->backends,
			    sizeof(c->backends[0]))) ||
	    (r = read_array(skel->maps.maglev_rings, MODEL_RINGS, c->rings, sizeof(c->rings[0]))))
		return r;
	return 0;
}

void fuzz_config_bounds(const struct model_config *c, __u32 *services, __u32 *slots)
{
	*services = *slots = 0;
	for (__u32 s = 0; s < BGXDP_MAX_SERVICES; s++)
		for (__u32 color = 0; color < BGXDP_COLORS; color++)
			for (__u32 slot = 0; slot < BGXDP_MAX_BACKENDS; slot++) {
				if (c->backends[backend_index(s, color, slot)].state == BACKEND_EMPTY)
					continue;
				*services = s + 1 > *services ? s + 1 : *services;
				*slots = slot + 1 > *slots ? slot + 1 : *slots;
			}
	for (__u32 s = 0; s < BGXDP_MAX_SERVICES; s++)
		if (c->meta[s].in_use && s + 1 > *services)
			*services = s + 1;
}

void fuzz_config_show(struct bgx_instance *in, unsigned int round, FILE *f)
{
	struct bgx_snapshot *snap;
	struct bgx_err e = { 0 };

	if (bgx_snapshot(in, BGX_SNAP_CONFIG, NULL, &snap, &e)) {
		fprintf(f, "round %u: %s\n", round, e.msg);
		return;
	}
	fprintf(f, "round %u: %u services\n", round, snap->n_services);
	for (__u32 i = 0; i < snap->n_services; i++) {
		const struct bgx_service_view *sv = &snap->services[i];
		unsigned int n[BGXDP_COLORS][4] = { { 0 } };

		for (__u32 b = 0; b < sv->n_backends; b++)
			n[sv->backends[b].color][sv->backends[b].state & 3]++;
		fprintf(f, "  %u %s %s %s%s%s%s word %#llx: green %u bp; blue %u up %u drain %u down, "
			"ring %u; green %u up %u drain %u down, ring %u\n",
			sv->id, sv->name, sv->proto == IPPROTO_UDP ? "udp" : "tcp", sv->vip,
			sv->preview[0] ? " preview " : "", sv->preview,
			sv->affinity_client ? " affinity client" : "",
			(unsigned long long)sv->word, cfg_green_share(sv->word),
			n[0][BACKEND_UP], n[0][BACKEND_DRAIN], n[0][BACKEND_DOWN],
			cfg_ring_buffer(sv->word, BGXDP_BLUE), n[1][BACKEND_UP], n[1][BACKEND_DRAIN],
			n[1][BACKEND_DOWN], cfg_ring_buffer(sv->word, BGXDP_GREEN));
	}
	free(snap);
}
