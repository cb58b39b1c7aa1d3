// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_check.c - what the data-plane fuzzer compares between the kernel and
 * the model, and how a difference is reported: per frame the flow entries
 * of its key; per epoch every counter and both whole flow tables; per
 * configuration round the configuration maps (no packet may change them).
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp_hash.h"
#include "bgxdp.skel.h"
#include "dp.h"

/* ---- reporting ------------------------------------------------------------ */

static void hexdump(const char *label, const uint8_t *p, size_t len)
{
	fprintf(stderr, "  %s (%zu bytes):", label, len);
	for (size_t i = 0; i < len; i++)
		fprintf(stderr, "%s%02x", i % 32 ? (i % 2 ? "" : " ") : "\n    ", p[i]);
	fprintf(stderr, "\n");
}

static void save_frame(const struct gen_frame *g)
{
	char path[512];
	FILE *f;

	if (!F.crash_dir)
		return;
	mkdir(F.crash_dir, 0755);
	snprintf(path, sizeof(path), "%s/seed%" PRIu64 "-round%u-frame%" PRIu64 "-%s.bin",
		 F.crash_dir, F.seed, F.round, F.frame_no, g->target == GEN_XDP ? "xdp" : "tc");
	f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(g->buf, 1, g->len, f);
	fclose(f);
	fprintf(stderr, "  saved: %s (replay: fuzz_dp --replay %s)\n", path, path);
}

/* One failure: what differed, the frame, both sides' outputs. */
void report(const struct gen_frame *g, const char *what,
		   const uint8_t *kout, size_t klen, uint32_t kret,
		   const struct model_result *mr)
{
	F.failures++;
	if (F.failures > MAX_REPORTS)
		return;
	fprintf(stderr, "FAIL seed=%" PRIu64 " round=%u frame=%" PRIu64 " [%s]: %s\n",
		F.seed, F.round, F.frame_no, g->what, what);
	hexdump("input", g->buf, g->len);
	if (kout) {
		fprintf(stderr, "  kernel retval %u, model retval %u, model pass reason %d\n",
			kret, mr->retval, mr->pass_reason);
		hexdump("kernel output", kout, klen);
		hexdump("model output", mr->out, mr->out_len);
	}
	save_frame(g);
}

void fail_plain(const char *fmt, ...)
{
	va_list ap;

	F.failures++;
	if (F.failures > MAX_REPORTS)
		return;
	fprintf(stderr, "FAIL seed=%" PRIu64 " round=%u after frame %" PRIu64 ": ", F.seed,
		F.round, F.frame_no);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

static size_t snap_rec_size;

static int cmp_rec(const void *a, const void *b)
{
	return memcmp(a, b, snap_rec_size);
}

/* Every entry of a map, sorted, so two snapshots compare with memcmp. */
static int snapshot(struct bpf_map *map, struct map_snapshot *out)
{
	size_t ks = bpf_map__key_size(map), vs = bpf_map__value_size(map);
	size_t cap = bpf_map__max_entries(map);
	int fd = bpf_map__fd(map);
	uint8_t *key = malloc(ks), *next = malloc(ks);
	int r = 0;
	bool first = true;

	out->name = bpf_map__name(map);
	out->rec_size = ks + vs;
	out->count = 0;
	out->recs = malloc(cap * (ks + vs));
	if (!key || !next || !out->recs) {
		r = -ENOMEM;
		goto done;
	}
	while (!bpf_map_get_next_key(fd, first ? NULL : key, next)) {
		uint8_t *rec = out->recs + out->count * out->rec_size;

		first = false;
		memcpy(key, next, ks);
		if (out->count >= cap) {
			r = -E2BIG;
			break;
		}
		memcpy(rec, key, ks);
		if (bpf_map_lookup_elem(fd, key, rec + ks)) {
			r = -errno;
			break;
		}
		out->count++;
	}
	snap_rec_size = out->rec_size;
	qsort(out->recs, out->count, out->rec_size, cmp_rec);
done:
	free(key);
	free(next);
	return r;
}

static void config_maps(struct bpf_map *maps[CONFIG_MAPS])
{
	maps[0] = F.skel->maps.services;
	maps[1] = F.skel->maps.svc_config;
	maps[2] = F.skel->maps.backends;
	maps[3] = F.skel->maps.maglev_rings;
	maps[4] = F.skel->maps.backend_services;
	maps[5] = F.skel->maps.settings;
	maps[6] = F.skel->maps.svc_meta;
	maps[7] = F.skel->maps.vip_filter;
}

int snapshot_config(struct map_snapshot snaps[CONFIG_MAPS])
{
	struct bpf_map *maps[CONFIG_MAPS];
	int r;

	config_maps(maps);
	for (int i = 0; i < CONFIG_MAPS; i++)
		if ((r = snapshot(maps[i], &snaps[i])))
			return r;
	return 0;
}

void free_config_snapshot(struct map_snapshot snaps[CONFIG_MAPS])
{
	for (int i = 0; i < CONFIG_MAPS; i++) {
		free(snaps[i].recs);
		snaps[i].recs = NULL;
	}
}

void check_config_unchanged(struct map_snapshot before[CONFIG_MAPS])
{
	struct map_snapshot after[CONFIG_MAPS];

	if (snapshot_config(after)) {
		fail_plain("cannot read the configuration maps back");
		return;
	}
	for (int i = 0; i < CONFIG_MAPS; i++) {
		if (after[i].count != before[i].count ||
		    memcmp(after[i].recs, before[i].recs, before[i].count * before[i].rec_size))
			fail_plain("configuration map %s changed under traffic (%zu entries before, %zu after)",
				   before[i].name, before[i].count, after[i].count);
		free(after[i].recs);
	}
}

static void *percpu_read(struct bpf_map *map, __u32 idx, size_t size)
{
	void *v = calloc((size_t)F.ncpus, size);

	if (v && bpf_map__lookup_elem(map, &idx, 4, v, (size_t)F.ncpus * size, 0)) {
		free(v);
		return NULL;
	}
	return v;
}

/* Sum a per-CPU array entry of u64 fields. */
bool percpu_sum(struct bpf_map *map, __u32 idx, size_t size, __u64 *out)
{
	__u64 *v = percpu_read(map, idx, size);
	size_t words = size / 8;

	if (!v)
		return false;
	memset(out, 0, size);
	for (int c = 0; c < F.ncpus; c++)
		for (size_t w = 0; w < words; w++)
			out[w] += v[(size_t)c * words + w];
	free(v);
	return true;
}

const char *const reason_names[PASS_REASONS] = {
	"not_ip", "not_vip", "fragment", "malformed", "unsupported", "no_backend",
};

/* The handshake histogram of a backend: the model counts handshakes, not
 * their times, so the kernel's count and the sum of its buckets must both
 * be the model's. */
static void check_connects(__u32 i, __u32 svc, __u32 color, __u32 slot)
{
	struct backend_connect k;
	__u64 in_buckets = 0;

	if (!percpu_sum(F.skel->maps.backend_connect, i, sizeof(k), (__u64 *)&k)) {
		fail_plain("cannot read backend_connect[%u]", i);
		return;
	}
	for (int b = 0; b < BGXDP_CONNECT_BUCKETS; b++)
		in_buckets += k.buckets[b];
	if (k.count != F.model->connects[i] || in_buckets != k.count)
		fail_plain("backend_connect[svc %u color %u slot %u]: kernel count %llu, %llu in buckets; model %llu",
			   svc, color, slot, (unsigned long long)k.count,
			   (unsigned long long)in_buckets,
			   (unsigned long long)F.model->connects[i]);
}

void check_counters(bool all_backends)
{
	struct model *m = F.model;

	for (__u32 r = 0; r < PASS_REASONS; r++) {
		__u64 k;

		if (!percpu_sum(F.skel->maps.passed_counters, r, 8, &k))
			fail_plain("cannot read passed_counters[%u]", r);
		F.kernel_passed[r] = k;
		if (k != m->passed[r])
			fail_plain("passed_counters[%s]: kernel %llu, model %llu", reason_names[r],
				   (unsigned long long)k, (unsigned long long)m->passed[r]);
	}
	for (__u32 i = 0; i < MODEL_COLOR_SLOTS; i++) {
		struct color_counters k;

		if (!percpu_sum(F.skel->maps.color_counters, i, sizeof(k), (__u64 *)&k))
			fail_plain("cannot read color_counters[%u]", i);
		else if (memcmp(&k, &m->colors[i], sizeof(k)))
			fail_plain("color_counters[svc %u %s] differ (promoted %llu/%llu, evicted %llu/%llu, syns %llu/%llu, synacks %llu/%llu): "
				   "kernel to_backend %llu/%llu B new %llu lost %llu to_client %llu/%llu B resets %llu; "
				   "model %llu/%llu B new %llu lost %llu to_client %llu/%llu B resets %llu",
				   i / 2, i % 2 ? "green" : "blue",
				   (unsigned long long)k.flows_promoted,
				   (unsigned long long)m->colors[i].flows_promoted,
				   (unsigned long long)k.halfopen_evicted,
				   (unsigned long long)m->colors[i].halfopen_evicted,
				   (unsigned long long)k.syns_to_backend,
				   (unsigned long long)m->colors[i].syns_to_backend,
				   (unsigned long long)k.synacks_from_backend,
				   (unsigned long long)m->colors[i].synacks_from_backend,
				   (unsigned long long)k.packets_to_backend, (unsigned long long)k.bytes_to_backend,
				   (unsigned long long)k.flows_created, (unsigned long long)k.flows_lost,
				   (unsigned long long)k.packets_to_client, (unsigned long long)k.bytes_to_client,
				   (unsigned long long)k.resets_from_backend,
				   (unsigned long long)m->colors[i].packets_to_backend,
				   (unsigned long long)m->colors[i].bytes_to_backend,
				   (unsigned long long)m->colors[i].flows_created,
				   (unsigned long long)m->colors[i].flows_lost,
				   (unsigned long long)m->colors[i].packets_to_client,
				   (unsigned long long)m->colors[i].bytes_to_client,
				   (unsigned long long)m->colors[i].resets_from_backend);
	}
	for (__u32 svc = 0; svc < BGXDP_MAX_SERVICES; svc++)
	for (__u32 color = 0; color < BGXDP_COLORS; color++)
	for (__u32 slot = 0; slot < BGXDP_MAX_BACKENDS; slot++) {
		__u32 i = backend_index(svc, color, slot);
		struct backend_counters k;

		if (!all_backends && (svc >= F.svc_bound || slot >= F.slot_bound))
			continue;
		if (!percpu_sum(F.skel->maps.backend_counters, i, sizeof(k), (__u64 *)&k))
			fail_plain("cannot read backend_counters[%u]", i);
		else if (memcmp(&k, &m->backends[i], sizeof(k)))
			fail_plain("backend_counters[svc %u color %u slot %u]: kernel %llu pkts %llu B syn %llu synack %llu rst %llu, "
				   "model %llu pkts %llu B syn %llu synack %llu rst %llu",
				   svc, color, slot, (unsigned long long)k.packets,
				   (unsigned long long)k.bytes, (unsigned long long)k.syns,
				   (unsigned long long)k.synacks, (unsigned long long)k.resets,
				   (unsigned long long)m->backends[i].packets,
				   (unsigned long long)m->backends[i].bytes,
				   (unsigned long long)m->backends[i].syns,
				   (unsigned long long)m->backends[i].synacks,
				   (unsigned long long)m->backends[i].resets);
		check_connects(i, svc, color, slot);
	}
}

/* The whole half-open table against the model's, then emptied (the
 * model's is emptied by the caller). */
static void check_and_clear_halfopen(void)
{
	static const struct halfopen_set empty;
	int fd = bpf_map__fd(F.skel->maps.halfopen);
	__u32 nsets = bpf_map__max_entries(F.skel->maps.halfopen), n = 0;

	for (__u32 i = 0; i < nsets; i++) {
		struct halfopen_set set;

		if (bpf_map_lookup_elem(fd, &i, &set)) {
			fail_plain("cannot read half-open set %u", i);
			return;
		}
		for (int w = 0; w < HALFOPEN_WAYS; w++) {
			const struct halfopen_value *mv;

			if (!set.tags[w])
				continue;
			n++;
			mv = model_halfopen_lookup(F.model, &set.ways[w].key);
			if (!mv || !model_halfopen_equal(&set.ways[w].value, mv))
				fail_plain("half-open entry (set %u way %d) %s the model's", i, w,
					   mv ? "differs from" : "is not in");
		}
		if ((set.tags[0] | set.tags[1] | set.tags[2] | set.tags[3]) &&
		    bpf_map_update_elem(fd, &i, &empty, BPF_ANY))
			fail_plain("cannot empty half-open set %u", i);
	}
	if (n != F.model->halfopen.count)
		fail_plain("half-open table holds %u entries, model %u", n, F.model->halfopen.count);
	F.halfopen_checked += n;
}

/* The whole flow table against the model's, then both emptied. */
void check_and_clear_flows(void)
{
	int fd = bpf_map__fd(F.skel->maps.flows);
	static struct flow_key keys[MODEL_FLOW_SLOTS];
	struct flow_key key, next;
	size_t n = 0;
	bool first = true;

	while (n < MODEL_FLOW_SLOTS &&
	       !bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		first = false;
		key = next;
		keys[n++] = key;
	}
	if (n != F.model->flows.count)
		fail_plain("flow table holds %zu entries, model %u", n, F.model->flows.count);
	for (size_t i = 0; i < n; i++) {
		struct flow_value kv;
		const struct flow_value *mv = model_flow_lookup(F.model, &keys[i]);

		if (bpf_map_lookup_elem(fd, &keys[i], &kv))
			continue;
		if (!mv || !model_flow_equal(&kv, mv))
			fail_plain("flow entry (entry %zu of %zu) %s the model's", i, n,
				   mv ? "differs from" : "is not in");
		bpf_map_delete_elem(fd, &keys[i]);
	}
	F.flows_checked += n;
	check_and_clear_halfopen();
	model_clear_flows(F.model);
}

/* The kernel's half-open entry of `key`: 0, or -1 if there is none. */
static int kernel_halfopen(const struct flow_key *key, struct halfopen_value *out)
{
	__u32 tag = bgxdp_halfopen_hash(key);
	__u32 index = bgxdp_halfopen_set(tag, bpf_map__max_entries(F.skel->maps.halfopen));
	struct halfopen_set set;

	if (bpf_map_lookup_elem(bpf_map__fd(F.skel->maps.halfopen), &index, &set))
		return -1;
	for (int w = 0; w < HALFOPEN_WAYS; w++)
		if (set.tags[w] == tag && !memcmp(&set.ways[w].key, key, sizeof(*key))) {
			*out = set.ways[w].value;
			return 0;
		}
	return -1;
}

/* After a frame that reached a flow lookup: both tables hold for its key
 * exactly what the model's hold. */
void check_tables(const struct gen_frame *g, const struct model_result *mr,
			 const uint8_t *kout, size_t klen, uint32_t kret)
{
	struct halfopen_value kh;
	struct flow_value kv;
	int r = bpf_map_lookup_elem(bpf_map__fd(F.skel->maps.flows), &mr->key, &kv);

	if (mr->has_flow && r)
		report(g, "no flow entry, the model has one", kout, klen, kret, mr);
	else if (mr->has_flow && !model_flow_equal(&kv, &mr->flow))
		report(g, "flow entry differs from the model's", kout, klen, kret, mr);
	else if (!mr->has_flow && !r)
		report(g, "flow entry the model does not have", kout, klen, kret, mr);
	r = kernel_halfopen(&mr->key, &kh);
	if (mr->has_halfopen && r)
		report(g, "no half-open entry, the model has one", kout, klen, kret, mr);
	else if (mr->has_halfopen && !model_halfopen_equal(&kh, &mr->halfopen))
		report(g, "half-open entry differs from the model's", kout, klen, kret, mr);
	else if (!mr->has_halfopen && !r)
		report(g, "half-open entry the model does not have", kout, klen, kret, mr);
}

void counters_take_kernel(void)
{
	struct model *m = F.model;

	for (__u32 i = 0; i < MODEL_COLOR_SLOTS; i++)
		if (!percpu_sum(F.skel->maps.color_counters, i, sizeof(m->colors[i]),
				(__u64 *)&m->colors[i]))
			fail_plain("cannot read color_counters[%u]", i);
	for (__u32 i = 0; i < MODEL_BACKENDS; i++)
		if (!percpu_sum(F.skel->maps.backend_counters, i, sizeof(m->backends[i]),
				(__u64 *)&m->backends[i]))
			fail_plain("cannot read backend_counters[%u]", i);
}
