/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * flipmap.c - the map side of the flip benchmark (bench/flip.sh), on a
 * live bgxdp instance's pins.
 *
 *   bench-flipmap fill PINDIR N
 *       add N live flows (other clients of the first service's VIP, half
 *       blue, half green) to the pinned `flows` map with
 *       bpf_map_update_batch.
 *   bench-flipmap update PINDIR RUNS
 *       flip the first service's config word RUNS times with
 *       bpf_map_update_elem on the pinned `svc_config`; print the ns of
 *       each update, one per line.
 *   bench-flipmap store PINDIR RUNS
 *       the same through an mmap of `svc_config` (how bgxdp publishes: one
 *       release store), one ns figure per line.
 *
 * A flip toggles the green share between 0 and 100 % and bumps the
 * generation, as `bgxdp set` does; the word found at the start is put back
 * at the end.  `update` and `store` are measurements of the raw store, not
 * control-plane operations: they write the config word directly, on
 * purpose, so that flip.sh can set the cost of the store itself beside
 * the whole `bgxdp set` (which goes through the library: lock, record,
 * publish).  Nothing else in the tree writes configuration that way.
 * Timing is CLOCK_MONOTONIC around the one call or store, so a store's
 * figure is mostly the clock's own cost (printed by `clock`).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp.h"

static int open_pin(const char *dir, const char *name)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		fprintf(stderr, "bench-flipmap: open %s: %s\n", path, strerror(errno));
	return fd;
}

/* The first configured service: its id and metadata. */
static int first_service(const char *dir, __u32 *id, struct svc_meta *meta)
{
	int fd = open_pin(dir, "svc_meta");

	if (fd < 0)
		return -1;
	for (__u32 i = 0; i < BGXDP_MAX_SERVICES; i++) {
		if (bpf_map_lookup_elem(fd, &i, meta) == 0 && meta->in_use) {
			*id = i;
			close(fd);
			return 0;
		}
	}
	close(fd);
	fprintf(stderr, "bench-flipmap: no service in %s\n", dir);
	return -1;
}

static __u64 now_ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (__u64)t.tv_sec * 1000000000ull + (__u64)t.tv_nsec;
}

static __u64 flipped(__u64 word)
{
	__u32 share = cfg_green_share(word) ? 0 : BGXDP_SHARE_SCALE;

	return cfg_next_generation(cfg_with_share(word, share));
}

static int cmd_fill(const char *dir, unsigned long n)
{
	struct flow_key *k = calloc(n, sizeof(*k));
	struct flow_value *v = calloc(n, sizeof(*v));
	struct svc_meta m;
	__u64 now = now_ns(CLOCK_MONOTONIC_COARSE);   /* bpf_ktime_get_coarse_ns */
	__u32 id, count = (__u32)n;
	int fd = -1, r = 1;

	if (!k || !v || first_service(dir, &id, &m) || (fd = open_pin(dir, "flows")) < 0)
		goto out;
	for (unsigned long i = 0; i < n; i++) {
		__u32 host = (__u32)(i / 60000);

		/* clients 100.64.0.0/10, 60000 ports each */
		k[i].client[0] = 100;
		k[i].client[1] = (__u8)(64 | (host >> 16 & 0x3f));
		k[i].client[2] = (__u8)(host >> 8);
		k[i].client[3] = (__u8)host;
		memcpy(k[i].vip, m.vip.addr, BGXDP_ADDR_LEN);
		k[i].client_port = htons((__u16)(1024 + i % 60000));
		k[i].vip_port = m.vip.port;
		k[i].proto = m.vip.proto;
		k[i].family = m.vip.family;
		/* a backend that is not in the table: these flows only take room */
		v[i].backend[0] = 192;
		v[i].backend[1] = 0;
		v[i].backend[2] = 2;
		v[i].backend[3] = (__u8)(1 + (i & 1));
		v[i].backend_port = htons(9);
		v[i].color = (__u8)(i & 1);
		v[i].service_id = (__u16)id;
		v[i].last_seen_ns = now;
	}
	if (bpf_map_update_batch(fd, k, v, &count, NULL)) {
		fprintf(stderr, "bench-flipmap: update_batch: %s (%u of %lu added)\n",
			strerror(errno), count, n);
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(k);
	free(v);
	return r;
}

static int cmd_update(const char *dir, int runs)
{
	struct svc_meta m;
	__u64 word, orig;
	__u32 id;
	int fd;

	if (first_service(dir, &id, &m) || (fd = open_pin(dir, "svc_config")) < 0)
		return 1;
	if (bpf_map_lookup_elem(fd, &id, &orig)) {
		fprintf(stderr, "bench-flipmap: read svc_config: %s\n", strerror(errno));
		return 1;
	}
	word = orig;
	for (int i = 0; i < runs; i++) {
		__u64 a, b;
		int err;

		word = flipped(word);
		a = now_ns(CLOCK_MONOTONIC);
		err = bpf_map_update_elem(fd, &id, &word, BPF_ANY);
		b = now_ns(CLOCK_MONOTONIC);
		if (err) {
			fprintf(stderr, "bench-flipmap: update svc_config: %s\n", strerror(errno));
			return 1;
		}
		printf("%llu\n", (unsigned long long)(b - a));
	}
	bpf_map_update_elem(fd, &id, &orig, BPF_ANY);
	close(fd);
	return 0;
}

static int cmd_store(const char *dir, int runs)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = ((BGXDP_MAX_SERVICES * sizeof(__u64)) + (size_t)page - 1) &
		     ~((size_t)page - 1);
	volatile __u64 *cfg;
	struct svc_meta m;
	__u64 word, orig;
	__u32 id;
	int fd;

	if (first_service(dir, &id, &m) || (fd = open_pin(dir, "svc_config")) < 0)
		return 1;
	cfg = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (cfg == MAP_FAILED) {
		fprintf(stderr, "bench-flipmap: mmap svc_config: %s\n", strerror(errno));
		return 1;
	}
	orig = word = __atomic_load_n(&cfg[id], __ATOMIC_ACQUIRE);
	for (int i = 0; i < runs; i++) {
		__u64 a, b;

		word = flipped(word);
		a = now_ns(CLOCK_MONOTONIC);
		__atomic_store_n(&cfg[id], word, __ATOMIC_RELEASE);
		b = now_ns(CLOCK_MONOTONIC);
		printf("%llu\n", (unsigned long long)(b - a));
	}
	__atomic_store_n(&cfg[id], orig, __ATOMIC_RELEASE);
	munmap((void *)cfg, len);
	close(fd);
	return 0;
}

/* Two back-to-back clock reads: the floor under the figures above. */
static int cmd_clock(int runs)
{
	for (int i = 0; i < runs; i++) {
		__u64 a = now_ns(CLOCK_MONOTONIC), b = now_ns(CLOCK_MONOTONIC);

		printf("%llu\n", (unsigned long long)(b - a));
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "fill"))
		return cmd_fill(argv[2], strtoul(argv[3], NULL, 0));
	if (argc == 4 && !strcmp(argv[1], "update"))
		return cmd_update(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "store"))
		return cmd_store(argv[2], atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "clock"))
		return cmd_clock(atoi(argv[2]));
	fprintf(stderr, "usage: bench-flipmap fill PINDIR N | update PINDIR RUNS | "
		"store PINDIR RUNS | clock RUNS\n");
	return 2;
}
