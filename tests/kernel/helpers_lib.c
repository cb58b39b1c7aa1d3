/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <bpf/libbpf.h>
#include "helpers_lib.h"

struct bgx_instance *lib_open_object(struct bpf_object *obj)
{
	struct bgx_instance *in = NULL;

	LIB_OK(bgx_open_object(obj, &in, e));
	return in;
}

struct bgx_instance *lib_open_pinned(const char *pin_dir)
{
	struct bgx_instance *in = NULL;

	LIB_OK(bgx_open(pin_dir, BGX_WRITE, &in, e));
	return in;
}

struct endpoint lib_endpoint(const char *text)
{
	struct endpoint ep;

	LIB_OK(bgx_parse_endpoint(text, "test", &ep, e));
	return ep;
}

struct endpoint lib_endpoint_of(const struct backend *b)
{
	struct endpoint ep = { .port = ntohs(b->port), .family = b->family };

	memcpy(ep.addr, b->addr, sizeof(ep.addr));
	return ep;
}

void lib_service_add(struct bgx_instance *in, const char *name, const struct endpoint *vip,
		     const struct endpoint *preview, __u8 proto, bool affinity_client)
{
	struct bgx_service_spec s = { .vip = *vip, .proto = proto,
				      .affinity_client = affinity_client };

	snprintf(s.name, sizeof(s.name), "%s", name);
	if (preview) {
		s.has_preview = true;
		s.preview = *preview;
	}
	LIB_OK(bgx_service_add(in, &s, e));
}

void lib_service_del(struct bgx_instance *in, const char *name)
{
	LIB_OK(bgx_service_del(in, name, e));
}

__u32 lib_service_id(struct bgx_instance *in, const char *name)
{
	struct bgx_snapshot *snap = NULL;
	__u32 id;

	LIB_OK(bgx_snapshot(in, BGX_SNAP_CONFIG, name, &snap, e));
	assert_int_equal(snap->n_services, 1);
	id = snap->services[0].id;
	free(snap);
	return id;
}

void lib_backend_add(struct bgx_instance *in, const char *service, __u32 color,
		     const struct endpoint *ep, __u16 weight)
{
	struct bgx_backend_ref ref = { .service = service, .color = color, .ep = *ep };

	LIB_OK(bgx_backend_add(in, &ref, weight, NULL, e));
}

void lib_backend_del(struct bgx_instance *in, const char *service, __u32 color,
		     const struct endpoint *ep)
{
	struct bgx_backend_ref ref = { .service = service, .color = color, .ep = *ep };

	LIB_OK(bgx_backend_del(in, &ref, NULL, e));
}

void lib_backend_state(struct bgx_instance *in, const char *service, __u32 color,
		       const struct endpoint *ep, __u8 state)
{
	struct bgx_backend_ref ref = { .service = service, .color = color, .ep = *ep };

	LIB_OK(bgx_backend_set_state(in, &ref, state, NULL, e));
}

void lib_share(struct bgx_instance *in, const char *service, __u32 green_bp)
{
	LIB_OK(bgx_share_set(in, service, green_bp, NULL, e));
}

int lib_pin_maps(struct bpf_object *obj, const char *tag, char *pin_dir, size_t len)
{
	struct bpf_map *map;

	snprintf(pin_dir, len, "/sys/fs/bpf/%s-%d", tag, getpid());
	if (mkdir(pin_dir, 0700)) {
		fprintf(stderr, "cannot create pin dir %s: %s\n", pin_dir, strerror(errno));
		pin_dir[0] = 0;
		return -1;
	}
	bpf_object__for_each_map(map, obj) {
		char path[256];

		/* .bss, .rodata: the object's own, never pinned by attach */
		if (bpf_map__name(map)[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir, bpf_map__name(map));
		if (bpf_map__pin(map, path)) {
			fprintf(stderr, "cannot pin %s: %s\n", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

void lib_unpin_maps(struct bpf_object *obj, char *pin_dir)
{
	if (obj)
		bpf_object__unpin_maps(obj, NULL);
	if (pin_dir[0])
		rmdir(pin_dir);
	pin_dir[0] = 0;
}
