/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_map_list.c - include/bgxdp_maps.h is the one list of the data
 * plane's maps: the pin names `attach` creates, the maps the control plane
 * opens.  The BPF object must define exactly the listed maps: a map the
 * list lacks would be pinned but never opened by the library (nor checked
 * by `upgrade`); a listed map the object lacks could not be opened.
 * (bpf/maps.h checks at build time that every listed name is defined;
 * this checks the other direction too, on the object as it is loaded.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/libbpf.h>
#include "bgxdp.skel.h"
#include "bgxdp_maps.h"
#include "libbgxdp.h"

#define LISTED_NAME(name) #name,
static const char *const listed[] = { BGXDP_MAP_LIST(LISTED_NAME) };
#define NLISTED (sizeof(listed) / sizeof(listed[0]))

static bool is_listed(const char *name)
{
	for (size_t i = 0; i < NLISTED; i++)
		if (!strcmp(listed[i], name))
			return true;
	return false;
}

/* .bss, .rodata and the like: the object's own data, never pinned. */
static bool is_object_data(const struct bpf_map *map)
{
	return bpf_map__name(map)[0] == '.';
}

static struct bgxdp *skel;

static int teardown(void **state)
{
	(void)state;
	bgxdp__destroy(skel);
	skel = NULL;
	return 0;
}

static void test_object_maps_are_listed(void **state)
{
	struct bpf_map *map;
	int n = 0;

	(void)state;
	skel = bgxdp__open();
	assert_non_null(skel);
	bpf_object__for_each_map(map, skel->obj) {
		if (is_object_data(map))
			continue;
		if (!is_listed(bpf_map__name(map)))
			fail_msg("map '%s' of the BPF object is missing from include/bgxdp_maps.h",
				 bpf_map__name(map));
		n++;
	}
	assert_int_equal(n, NLISTED);
}

static void test_listed_maps_are_in_object(void **state)
{
	(void)state;
	skel = bgxdp__open();
	assert_non_null(skel);
	for (size_t i = 0; i < NLISTED; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(skel->obj, listed[i]);

		if (!map || is_object_data(map))
			fail_msg("include/bgxdp_maps.h lists '%s', which the BPF object does not define",
				 listed[i]);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(listed[i], listed[j]))
				fail_msg("include/bgxdp_maps.h lists '%s' twice", listed[i]);
	}
}

/* The library opens a loaded object by the list: every map is found. */
static void test_library_opens_every_map(void **state)
{
	struct bgx_instance *in = NULL;
	struct bgx_err e = { 0 };

	(void)state;
	skel = bgxdp__open_and_load();
	assert_non_null(skel);
	if (bgx_open_object(skel->obj, &in, &e))
		fail_msg("bgx_open_object: %s", e.msg);
	bgx_close(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_object_maps_are_listed, teardown),
		cmocka_unit_test_teardown(test_listed_maps_are_in_object, teardown),
		cmocka_unit_test_teardown(test_library_opens_every_map, teardown),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_map_list: needs root to load the BPF object; skipping\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
