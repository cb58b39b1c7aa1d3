// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_dp.c - differential fuzzing of the data plane.
 *
 * Every generated frame goes through the real program (xdp_ingress or
 * tc_egress, BPF_PROG_TEST_RUN) and through the reference model
 * (model.c); verdict, output length and output bytes must be equal.
 * After each XDP frame the flow entry for its key must be the model's.
 * Every epoch (EPOCH_FRAMES frames or one second, far below any idle
 * timeout, so the clock never matters) the pass-reason, color and backend
 * counters are compared, the whole flow table is compared and emptied on
 * both sides.  At the end the configuration maps must be byte-identical
 * to what was written before the first frame: no packet can change
 * configuration.
 *
 *   fuzz_dp [--seed N] [--frames N] [--seconds S] [--crash-dir DIR]
 *   fuzz_dp --replay FILE [--seed N]   one saved frame on a fresh state
 *
 * Exit 0 when every frame agreed, 1 on any mismatch (seed, frame, both
 * outputs printed; the frame saved in the crash dir), 2 on bad usage.
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp_hash.h"
#include "bgxdp.skel.h"
#include "model.h"
#include "gen.h"
#include "fuzz_config.h"

#define EPOCH_FRAMES   2048
#define EPOCH_NS       1000000000ull
#define MAX_REPORTS    10

struct map_snapshot {
	const char *name;
	size_t rec_size, count;
	uint8_t *recs;          /* key + value, sorted */
};

static struct fuzz {
	struct bgxdp *skel;
	int xdp_fd, tc_fd;
	struct model_config *cfg;
	struct model *model;
	uint64_t seed;
	uint64_t frame_no;
	const char *crash_dir;
	int failures;
	int ncpus;
	/* what the run covered */
	uint64_t frames[2], rewritten[2], reasons[PASS_REASONS];
	uint64_t flows_checked, halfopen_checked, epochs, csum_checked, tc_untestable;
	__u64 kernel_passed[PASS_REASONS];   /* last read, per reason */
} F;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

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
	snprintf(path, sizeof(path), "%s/seed%" PRIu64 "-frame%" PRIu64 "-%s.bin",
		 F.crash_dir, F.seed, F.frame_no, g->target == GEN_XDP ? "xdp" : "tc");
	f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(g->buf, 1, g->len, f);
	fclose(f);
	fprintf(stderr, "  saved: %s (replay: fuzz_dp --replay %s)\n", path, path);
}

/* One failure: what differed, the frame, both sides' outputs. */
static void report(const struct gen_frame *g, const char *what,
		   const uint8_t *kout, size_t klen, uint32_t kret,
		   const struct model_result *mr)
{
	F.failures++;
	if (F.failures > MAX_REPORTS)
		return;
	fprintf(stderr, "FAIL seed=%" PRIu64 " frame=%" PRIu64 " [%s]: %s\n",
		F.seed, F.frame_no, g->what, what);
	hexdump("input", g->buf, g->len);
	if (kout) {
		fprintf(stderr, "  kernel retval %u, model retval %u, model pass reason %d\n",
			kret, mr->retval, mr->pass_reason);
		hexdump("kernel output", kout, klen);
		hexdump("model output", mr->out, mr->out_len);
	}
	save_frame(g);
}

static void fail_plain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail_plain(const char *fmt, ...)
{
	va_list ap;

	F.failures++;
	if (F.failures > MAX_REPORTS)
		return;
	fprintf(stderr, "FAIL seed=%" PRIu64 " after frame %" PRIu64 ": ", F.seed, F.frame_no);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

/* ---- maps ----------------------------------------------------------------- */

static int write_config(const struct model_config *c)
{
	struct bgxdp *s = F.skel;
	/* The VIP filter as `service add` keeps it: the model ignores it, so
	 * any VIP it wrongly rules out shows up as a mismatch. */
	struct vip_filter filter = { .enabled = 1 };
	__u32 zero = 0;

	for (int i = 0; i < c->nvips; i++) {
		__u32 bit = bgxdp_vip_filter_bit(&c->vip_keys[i]);

		filter.words[bit / 64] |= 1ull << (bit % 64);
		if (bpf_map__update_elem(s->maps.services, &c->vip_keys[i], sizeof(struct vip_key),
					 &c->vip_values[i], sizeof(struct vip_value), 0))
			return -errno;
	}
	if (bpf_map__update_elem(s->maps.vip_filter, &zero, 4, &filter, sizeof(filter), 0))
		return -errno;
	for (__u32 i = 0; i < BGXDP_MAX_SERVICES; i++) {
		if (bpf_map__update_elem(s->maps.svc_config, &i, 4, &c->words[i], 8, 0) ||
		    bpf_map__update_elem(s->maps.svc_meta, &i, 4, &c->meta[i],
					 sizeof(c->meta[i]), 0))
			return -errno;
	}
	for (__u32 i = 0; i < MODEL_BACKENDS; i++)
		if (c->backends[i].state != BACKEND_EMPTY &&
		    bpf_map__update_elem(s->maps.backends, &i, 4, &c->backends[i],
					 sizeof(struct backend), 0))
			return -errno;
	for (__u32 i = 0; i < MODEL_RINGS; i++)
		if (bpf_map__update_elem(s->maps.maglev_rings, &i, 4, &c->rings[i],
					 sizeof(struct maglev_ring), 0))
			return -errno;
	for (int i = 0; i < c->nendpoints; i++)
		if (bpf_map__update_elem(s->maps.backend_services, &c->endpoint_keys[i],
					 sizeof(struct vip_key), &c->endpoint_values[i],
					 sizeof(struct backend_service), 0))
			return -errno;
	return 0;
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

#define CONFIG_MAPS 8

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

static int snapshot_config(struct map_snapshot snaps[CONFIG_MAPS])
{
	struct bpf_map *maps[CONFIG_MAPS];
	int r;

	config_maps(maps);
	for (int i = 0; i < CONFIG_MAPS; i++)
		if ((r = snapshot(maps[i], &snaps[i])))
			return r;
	return 0;
}

static void check_config_unchanged(struct map_snapshot before[CONFIG_MAPS])
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
static bool percpu_sum(struct bpf_map *map, __u32 idx, size_t size, __u64 *out)
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

static const char *const reason_names[PASS_REASONS] = {
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

static void check_counters(bool all_backends)
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

		if (!all_backends && (svc >= FUZZ_SERVICES || slot >= FUZZ_BACKEND_SLOTS))
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
static void check_and_clear_flows(void)
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

/* ---- one frame -------------------------------------------------------------- */

static int run_prog(int fd, const uint8_t *in, size_t len, uint8_t *out,
		    size_t *out_len, uint32_t *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in,
		.data_size_in = (__u32)len,
		.data_out = out,
		.data_size_out = MODEL_FRAME_MAX,
		.repeat = 1,
	);

	if (bpf_prog_test_run_opts(fd, &opts))
		return -errno;
	*out_len = opts.data_size_out;
	*retval = opts.retval;
	return 0;
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
static void check_tables(const struct gen_frame *g, const struct model_result *mr,
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

static void run_frame(const struct gen_frame *g)
{
	static uint8_t kout[MODEL_FRAME_MAX];
	static struct model_result mr;
	bool xdp = g->target == GEN_XDP;
	size_t klen = 0;
	uint32_t kret = 0;
	int err;

	err = run_prog(xdp ? F.xdp_fd : F.tc_fd, g->buf, g->len, kout, &klen, &kret);
	/* BPF_PROG_TEST_RUN builds an skb only around a whole IP header
	 * (eth_type_trans saw IPv4/IPv6): shorter frames cannot be run
	 * through tc here.  They are still run through XDP. */
	if (!xdp && err == -EINVAL && g->len < 14 + 40) {
		F.tc_untestable++;
		return;
	}
	if (xdp)
		model_xdp(F.model, g->buf, g->len, &mr);
	else
		model_tc(F.model, g->buf, g->len, &mr);
	F.frames[!xdp]++;
	F.rewritten[!xdp] += mr.rewritten;
	if (xdp && mr.pass_reason >= 0)
		F.reasons[mr.pass_reason]++;
	if (err) {
		char msg[96];

		snprintf(msg, sizeof(msg), "BPF_PROG_TEST_RUN failed: %s", strerror(-err));
		report(g, msg, NULL, 0, 0, &mr);
		return;
	}
	if (kret != mr.retval || klen != mr.out_len || memcmp(kout, mr.out, klen)) {
		report(g, kret != mr.retval ? "verdict differs" :
			  klen != mr.out_len ? "output length differs" : "output bytes differ",
		       kout, klen, kret, &mr);
		return;
	}
	if (!mr.rewritten && memcmp(kout, g->buf, g->len)) {
		report(g, "a frame that is not ours was modified", kout, klen, kret, &mr);
		return;
	}
	if (mr.rewritten && g->checksums_valid) {
		F.csum_checked++;
		if (!frame_checksums_valid(kout, klen)) {
			report(g, "rewritten frame has a wrong checksum", kout, klen, kret, &mr);
			return;
		}
	}
	/* The pass reason, frame by frame: the model's reason's counter
	 * must move by exactly one (a different reason shows at the epoch's
	 * full counter comparison too). */
	if (xdp && mr.pass_reason >= 0) {
		__u64 k;

		if (percpu_sum(F.skel->maps.passed_counters, (__u32)mr.pass_reason, 8, &k) &&
		    k != F.kernel_passed[mr.pass_reason] + 1) {
			char msg[128];
			int kernel_reason = -1;

			/* Which reason did the kernel count instead? */
			for (__u32 r = 0; r < PASS_REASONS; r++) {
				__u64 v;

				if (!percpu_sum(F.skel->maps.passed_counters, r, 8, &v))
					continue;
				if (v != F.kernel_passed[r] && r != (__u32)mr.pass_reason)
					kernel_reason = (int)r;
				F.kernel_passed[r] = v;
			}
			snprintf(msg, sizeof(msg), "pass reason: model %s, kernel %s",
				 reason_names[mr.pass_reason],
				 kernel_reason < 0 ? "none" : reason_names[kernel_reason]);
			report(g, msg, kout, klen, kret, &mr);
			return;
		}
		F.kernel_passed[mr.pass_reason] = k;
	}
	if (mr.has_key)
		check_tables(g, &mr, kout, klen, kret);
}

/*
 * The model's half-open table never evicts; the kernel's evicts when more
 * keys than HALFOPEN_WAYS land in one set.  Every key a frame can give a
 * half-open entry is a VIP of the configuration with a generator client
 * address and port (gen.h): none of its sets may receive more than
 * HALFOPEN_WAYS of them, or the two would part ways by design.
 */
static int check_halfopen_room(const struct model_config *cfg)
{
	__u32 sets = bpf_map__max_entries(F.skel->maps.halfopen), most = 0;
	__u8 *used = calloc(sets, 1);

	if (!used)
		return -ENOMEM;
	for (int v = 0; v < cfg->nvips; v++)
	for (int c = 0; c < GEN_CLIENTS; c++)
	for (int p = 0; p < GEN_CLIENT_PORTS; p++) {
		const struct vip_key *vk = &cfg->vip_keys[v];
		struct flow_key k = { .proto = vk->proto, .family = vk->family,
				      .vip_port = vk->port };
		__u32 set;

		gen_client(vk->family, c, p, k.client, &k.client_port);
		memcpy(k.vip, vk->addr, 16);
		set = bgxdp_halfopen_set(bgxdp_halfopen_hash(&k), sets);
		if (++used[set] > most)
			most = used[set];
	}
	free(used);
	if (most > HALFOPEN_WAYS) {
		fprintf(stderr, "fuzz_dp: %u possible half-open flows share one set of %d ways: "
			"the kernel would evict, the model does not; change the configuration\n",
			most, HALFOPEN_WAYS);
		return -ENOSPC;
	}
	return 0;
}

/* ---- main ------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f, "usage: fuzz_dp [--seed N] [--frames N] [--seconds S] [--crash-dir DIR]\n"
		   "       fuzz_dp --replay FILE.bin   (xdp or tc from the file name)\n");
}

static int replay(const char *path)
{
	struct gen_frame g;
	FILE *f = fopen(path, "rb");

	if (!f) {
		fprintf(stderr, "fuzz_dp: cannot open %s: %s\n", path, strerror(errno));
		return 2;
	}
	memset(&g, 0, sizeof(g));
	g.len = fread(g.buf, 1, sizeof(g.buf), f);
	fclose(f);
	g.target = strstr(path, "-tc") ? GEN_TC : GEN_XDP;
	snprintf(g.what, sizeof(g.what), "replay %s", path);
	F.seed = 0;
	F.crash_dir = NULL;
	run_frame(&g);
	check_counters(false);
	printf("%s: %s\n", path, F.failures ? "FAIL" : "PASS (kernel and model agree)");
	return F.failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	static struct gen_frame g;
	struct map_snapshot before[CONFIG_MAPS];
	uint64_t max_frames = 0, seconds = 0, t0, epoch_t0, next_progress;
	const char *replay_path = NULL;
	struct rng rng;
	int err;

	F.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	F.crash_dir = "build/fuzz/crashes";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!v) {
			usage(stderr);
			return 2;
		}
		i++;
		if (!strcmp(a, "--seed"))
			F.seed = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--frames"))
			max_frames = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--seconds"))
			seconds = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--crash-dir"))
			F.crash_dir = v;
		else if (!strcmp(a, "--replay"))
			replay_path = v;
		else {
			usage(stderr);
			return 2;
		}
	}
	if (!max_frames && !seconds)
		max_frames = 200000;

	F.cfg = calloc(1, sizeof(*F.cfg));
	F.model = calloc(1, sizeof(*F.model));
	if (!F.cfg || !F.model)
		return 1;
	F.ncpus = libbpf_num_possible_cpus();
	F.skel = bgxdp__open_and_load();
	if (!F.skel) {
		fprintf(stderr, "fuzz_dp: cannot load the data plane (root needed): %s\n",
			strerror(errno));
		return 1;
	}
	F.xdp_fd = bpf_program__fd(F.skel->progs.xdp_ingress);
	F.tc_fd = bpf_program__fd(F.skel->progs.tc_egress);
	fuzz_config_build(F.cfg);
	if ((err = write_config(F.cfg))) {
		fprintf(stderr, "fuzz_dp: cannot write the configuration: %s\n", strerror(-err));
		return 1;
	}
	model_init(F.model, F.cfg);
	if ((err = check_halfopen_room(F.cfg))) {
		bgxdp__destroy(F.skel);
		return 1;
	}
	if (replay_path) {
		err = replay(replay_path);
		bgxdp__destroy(F.skel);
		return err;
	}
	if ((err = snapshot_config(before))) {
		fprintf(stderr, "fuzz_dp: cannot read the configuration maps: %s\n", strerror(-err));
		return 1;
	}

	printf("fuzz_dp: seed %" PRIu64 ", %s %" PRIu64 "%s\n", F.seed,
	       max_frames ? "frames" : "seconds", max_frames ? max_frames : seconds,
	       max_frames && seconds ? " (or the time limit)" : "");
	fflush(stdout);
	rng.s = F.seed;
	t0 = epoch_t0 = now_ns();
	next_progress = t0 + 10 * 1000000000ull;
	for (F.frame_no = 0; ; F.frame_no++) {
		/* Read every frame (vDSO, cheap): a run descheduled for
		 * seconds must still end its epoch long before any idle
		 * timeout could expire a flow. */
		uint64_t t = now_ns();

		if (max_frames && F.frames[0] + F.frames[1] >= max_frames)
			break;
		if (seconds && t - t0 >= seconds * 1000000000ull)
			break;
		if (F.frame_no % EPOCH_FRAMES == EPOCH_FRAMES - 1 ||
		    t - epoch_t0 > EPOCH_NS) {
			check_counters(false);
			check_and_clear_flows();
			F.epochs++;
			epoch_t0 = now_ns();
		}
		if (t > next_progress) {
			printf("fuzz_dp: %" PRIu64 " frames, %.0f frames/s\n",
			       F.frames[0] + F.frames[1],
			       (F.frames[0] + F.frames[1]) / ((t - t0) / 1e9));
			fflush(stdout);
			next_progress = t + 10 * 1000000000ull;
		}
		if (F.failures >= MAX_REPORTS)
			break;
		gen_next(&rng, F.cfg, F.model, &g);
		run_frame(&g);
	}
	check_counters(true);
	check_and_clear_flows();
	check_config_unchanged(before);
	{
		double secs = (now_ns() - t0) / 1e9;
		uint64_t total = F.frames[0] + F.frames[1];

		printf("fuzz_dp: seed %" PRIu64 ": %" PRIu64 " frames in %.1f s (%.0f frames/s): "
		       "xdp %" PRIu64 " (%" PRIu64 " rewritten), tc %" PRIu64 " (%" PRIu64 " rewritten)\n",
		       F.seed, total, secs, total / (secs > 0 ? secs : 1), F.frames[0], F.rewritten[0],
		       F.frames[1], F.rewritten[1]);
		printf("fuzz_dp: %" PRIu64 " short frames with an IP ethertype skipped for tc (BPF_PROG_TEST_RUN refuses them)\n",
		       F.tc_untestable);
		printf("fuzz_dp: xdp passed: not_ip %" PRIu64 ", not_vip %" PRIu64 ", fragment %" PRIu64
		       ", malformed %" PRIu64 ", unsupported %" PRIu64 ", no_backend %" PRIu64 "\n",
		       F.reasons[PASS_NOT_IP], F.reasons[PASS_NOT_VIP], F.reasons[PASS_FRAGMENT],
		       F.reasons[PASS_MALFORMED], F.reasons[PASS_UNSUPPORTED], F.reasons[PASS_NO_BACKEND]);
		printf("fuzz_dp: %" PRIu64 " established and %" PRIu64 " half-open entries compared over %" PRIu64 " epochs, "
		       "%" PRIu64 " rewritten frames checksum-verified from scratch, config maps unchanged: %s\n",
		       F.flows_checked, F.halfopen_checked, F.epochs, F.csum_checked,
		       F.failures ? "see above" : "yes");
	}
	for (int i = 0; i < CONFIG_MAPS; i++)
		free(before[i].recs);
	bgxdp__destroy(F.skel);
	if (F.failures) {
		printf("FAIL fuzz_dp: %d mismatch(es); reproduce with --seed %" PRIu64 "\n",
		       F.failures, F.seed);
		return 1;
	}
	printf("PASS fuzz_dp: kernel and model agree on every frame\n");
	return 0;
}
