/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#include <string.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp.skel.h"
#include "bgxdp_hash.h"
#include "helpers_dp.h"
#include "helpers_frames.h"

void test_vip_addr(int family, uint8_t addr[16])
{
	if (family == 4)
		set_ipv4(addr, 10, 0, 0, 1);
	else
		set_ipv6(addr, 1);
}

void test_backend(int family, int color, int slot, struct backend *b)
{
	memset(b, 0, sizeof(*b));
	if (family == 4) {
		set_ipv4(b->addr, 10, 1 + color, 0, 10 + slot);
		b->family = BGXDP_FAMILY_IPV4;
	} else {
		set_ipv6(b->addr, 0x100 * (1 + color) + 10 + slot);
		b->family = BGXDP_FAMILY_IPV6;
	}
	b->port = htons(8000 + 1000 * color + slot);
	b->state = BACKEND_UP;
	b->weight = 1;
}

uint32_t test_ring_backend(uint32_t buffer, uint32_t rs)
{
	return buffer ? (rs + 1) % TEST_BACKENDS : rs % TEST_BACKENDS;
}

uint64_t test_word(uint32_t green_share)
{
	return CFG_CONFIGURED | CFG_HAS_BACKENDS(BGXDP_BLUE) |
	       CFG_HAS_BACKENDS(BGXDP_GREEN) | green_share;
}

int test_set_word(struct bgxdp *skel, uint32_t svc, uint64_t word)
{
	return bpf_map__update_elem(skel->maps.svc_config, &svc, sizeof(svc),
				    &word, sizeof(word), 0);
}

int test_populate(struct bgxdp *skel, uint64_t word)
{
	static struct maglev_ring ring;
	struct vip_filter filter = { .enabled = 1 };
	uint32_t zero = 0;
	int fams[2] = { 4, 6 };

	for (int f = 0; f < 2; f++) {
		uint32_t svc = f == 0 ? SVC4 : SVC6;
		struct vip_value vv = { .service_id = svc };

		for (int p = 0; p < 2; p++) {
			struct vip_key vk = {};

			test_vip_addr(fams[f], vk.addr);
			vk.port = htons(TEST_VIP_PORT);
			vk.proto = p ? IPPROTO_UDP : IPPROTO_TCP;
			vk.family = fams[f];
			if (bpf_map__update_elem(skel->maps.services, &vk,
						 sizeof(vk), &vv, sizeof(vv), 0))
				return -1;
			/* As `service add` does. */
			uint32_t bit = bgxdp_vip_filter_bit(&vk);

			filter.words[bit / 64] |= 1ull << (bit % 64);
		}
		for (uint32_t c = 0; c < BGXDP_COLORS; c++) {
			for (uint32_t s = 0; s < TEST_BACKENDS; s++) {
				struct backend b;
				uint32_t idx = backend_index(svc, c, s);

				test_backend(fams[f], c, s, &b);
				if (bpf_map__update_elem(skel->maps.backends,
							 &idx, 4, &b,
							 sizeof(b), 0))
					return -1;
				/* What `backend add` records for tc egress. */
				for (int p = 0; p < 2; p++) {
					struct vip_key ek = {};
					struct backend_service bs = {
						.vip_port = htons(TEST_VIP_PORT),
						.service_id = (uint16_t)svc,
					};

					memcpy(ek.addr, b.addr, sizeof(ek.addr));
					ek.port = b.port;
					ek.proto = p ? IPPROTO_UDP : IPPROTO_TCP;
					ek.family = b.family;
					test_vip_addr(fams[f], bs.vip);
					if (bpf_map__update_elem(skel->maps.backend_services,
								 &ek, sizeof(ek), &bs,
								 sizeof(bs), 0))
						return -1;
				}
			}
			for (uint32_t buf = 0; buf < 2; buf++) {
				uint32_t idx = ring_index(svc, c, buf);

				for (uint32_t i = 0; i < BGXDP_RING_SIZE; i++)
					ring.slots[i] = test_ring_backend(buf, i);
				if (bpf_map__update_elem(skel->maps.maglev_rings,
							 &idx, 4, &ring,
							 sizeof(ring), 0))
					return -1;
			}
		}
		if (test_set_word(skel, svc, word))
			return -1;
	}
	return bpf_map__update_elem(skel->maps.vip_filter, &zero, sizeof(zero),
				    &filter, sizeof(filter), 0);
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

int test_filter_add(struct bgxdp *skel, const struct vip_key *vk)
{
	struct vip_filter filter;
	uint32_t zero = 0, bit = bgxdp_vip_filter_bit(vk);

	if (bpf_map__lookup_elem(skel->maps.vip_filter, &zero, sizeof(zero),
				 &filter, sizeof(filter), 0))
		return -1;
	filter.words[bit / 64] |= 1ull << (bit % 64);
	return bpf_map__update_elem(skel->maps.vip_filter, &zero, sizeof(zero),
				    &filter, sizeof(filter), 0);
}
