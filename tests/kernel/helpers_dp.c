/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp.skel.h"
#include "helpers_dp.h"
#include "helpers_frames.h"
#include "helpers_lib.h"

static const int families[2] = { 4, 6 };
static const int protos[2] = { IPPROTO_TCP, IPPROTO_UDP };

const char *test_svc_name(int family, int proto)
{
	if (family == 4)
		return proto == IPPROTO_UDP ? "web4u" : "web4";
	return proto == IPPROTO_UDP ? "web6u" : "web6";
}

__u32 test_svc(const struct test_dp *dp, int family, int proto)
{
	return dp->svc[family == 6][proto == IPPROTO_UDP];
}

void test_share(struct test_dp *dp, int family, int proto, __u32 green_bp)
{
	lib_share(dp->in, test_svc_name(family, proto), green_bp);
}

void test_share_all(struct test_dp *dp, __u32 green_bp)
{
	for (int f = 0; f < 2; f++)
		for (int p = 0; p < 2; p++)
			test_share(dp, families[f], protos[p], green_bp);
}

void test_vip_addr(int family, uint8_t addr[16])
{
	if (family == 4)
		set_ipv4(addr, 10, 0, 0, 1);
	else
		set_ipv6(addr, 1);
}

void test_backend(int family, int color, int n, struct backend *b)
{
	memset(b, 0, sizeof(*b));
	if (family == 4) {
		set_ipv4(b->addr, 10, (uint8_t)(1 + color), 0, (uint8_t)(10 + n));
		b->family = BGXDP_FAMILY_IPV4;
	} else {
		set_ipv6(b->addr, (uint16_t)(0x100 * (1 + color) + 10 + n));
		b->family = BGXDP_FAMILY_IPV6;
	}
	b->port = htons((uint16_t)(8000 + 1000 * color + n));
	b->state = BACKEND_UP;
	b->weight = 1;
}

static struct endpoint vip_endpoint(int family, uint16_t port)
{
	struct endpoint ep = { .port = port, .family = (__u8)family };

	test_vip_addr(family, ep.addr);
	return ep;
}

/* The expectations of every test name backends by (color, n): the
 * library must have put backend n in slot n. */
static void check_slots(struct test_dp *dp, int family, __u32 id)
{
	for (int c = 0; c < BGXDP_COLORS; c++) {
		for (int n = 0; n < TEST_BACKENDS; n++) {
			__u32 key = backend_index(id, (__u32)c, (__u32)n);
			struct backend want, got;

			test_backend(family, c, n, &want);
			assert_int_equal(bpf_map__lookup_elem(dp->skel->maps.backends, &key,
							      sizeof(key), &got, sizeof(got), 0), 0);
			assert_memory_equal(&got, &want, sizeof(want));
		}
	}
}

static void add_service(struct test_dp *dp, int family, int proto)
{
	const char *name = test_svc_name(family, proto);
	struct endpoint vip = vip_endpoint(family, TEST_VIP_PORT);
	struct endpoint preview = vip_endpoint(family, TEST_PREVIEW_PORT);
	bool has_preview = family == 4 && proto == IPPROTO_TCP;
	__u32 id;

	lib_service_add(dp->in, name, &vip, has_preview ? &preview : NULL, (__u8)proto, false);
	for (int c = 0; c < BGXDP_COLORS; c++) {
		for (int n = 0; n < TEST_BACKENDS; n++) {
			struct backend b;
			struct endpoint ep;

			test_backend(family, c, n, &b);
			ep = lib_endpoint_of(&b);
			lib_backend_add(dp->in, name, (__u32)c, &ep, 1);
		}
	}
	id = lib_service_id(dp->in, name);
	dp->svc[family == 6][proto == IPPROTO_UDP] = id;
	check_slots(dp, family, id);
}

void test_dp_up(struct test_dp *dp)
{
	memset(dp, 0, sizeof(*dp));
	dp->skel = bgxdp__open_and_load();
	assert_non_null(dp->skel);
	dp->xdp_fd = bpf_program__fd(dp->skel->progs.xdp_ingress);
	dp->tc_fd = bpf_program__fd(dp->skel->progs.tc_egress);
	dp->in = lib_open_object(dp->skel->obj);
	for (int f = 0; f < 2; f++)
		for (int p = 0; p < 2; p++)
			add_service(dp, families[f], protos[p]);
}

void test_dp_down(struct test_dp *dp)
{
	bgx_close(dp->in);
	bgxdp__destroy(dp->skel);
	memset(dp, 0, sizeof(*dp));
}

int run_prog(int prog_fd, const uint8_t *in, size_t len, uint8_t *out,
	     size_t *out_len, uint32_t *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in,
		.data_size_in = (uint32_t)len,
		.data_out = out,
		.data_size_out = FRAME_MAX,
		.repeat = 1,
	);
	int err = bpf_prog_test_run_opts(prog_fd, &opts);

	if (err)
		return err;
	*out_len = opts.data_size_out;
	*retval = opts.retval;
	return 0;
}

static void *percpu_lookup(struct bpf_map *map, uint32_t idx, size_t size,
			   int *ncpus)
{
	int n = libbpf_num_possible_cpus();
	void *vals = calloc(n, size);

	*ncpus = n;
	if (bpf_map__lookup_elem(map, &idx, 4, vals, n * size, 0)) {
		free(vals);
		return NULL;
	}
	return vals;
}

/* out[f] = sum over the n CPUs of field f of a per-CPU value of u64s
 * (all zero if the lookup failed). */
static void sum_fields(uint64_t *out, const uint64_t *percpu, int n, size_t fields)
{
	memset(out, 0, fields * sizeof(*out));
	for (int i = 0; percpu && i < n; i++)
		for (size_t f = 0; f < fields; f++)
			out[f] += percpu[(size_t)i * fields + f];
}

void sum_connect(struct bgxdp *skel, uint32_t idx, struct backend_connect *out)
{
	int n;
	struct backend_connect *v = percpu_lookup(skel->maps.backend_connect, idx,
						  sizeof(*v), &n);

	sum_fields((uint64_t *)out, (const uint64_t *)v, n, sizeof(*out) / 8);
	free(v);
}

uint64_t sum_passed(struct bgxdp *skel, uint32_t reason)
{
	int n;
	uint64_t *v = percpu_lookup(skel->maps.passed_counters, reason, 8, &n);
	uint64_t sum = 0;

	for (int i = 0; v && i < n; i++)
		sum += v[i];
	free(v);
	return sum;
}

void sum_color(struct bgxdp *skel, uint32_t idx, struct color_counters *out)
{
	int n;
	struct color_counters *v = percpu_lookup(skel->maps.color_counters, idx,
						 sizeof(*v), &n);

	sum_fields((uint64_t *)out, (const uint64_t *)v, n, sizeof(*out) / 8);
	free(v);
}

void sum_backend(struct bgxdp *skel, uint32_t idx, struct backend_counters *out)
{
	int n;
	struct backend_counters *v = percpu_lookup(skel->maps.backend_counters,
						   idx, sizeof(*v), &n);

	sum_fields((uint64_t *)out, (const uint64_t *)v, n, sizeof(*out) / 8);
	free(v);
}
