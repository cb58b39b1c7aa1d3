// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_dp.c - differential fuzzing of the data plane.
 *
 * Every generated frame goes through the real program (xdp_ingress or
 * tc_egress, BPF_PROG_TEST_RUN) and through the reference model
 * (model.c); verdict, output length and output bytes must be equal.
 * After each frame the flow entries for its key must be the model's.
 * Every epoch (EPOCH_FRAMES frames or one second, far below any idle
 * timeout, so the clock never matters) the pass-reason, color and backend
 * counters are compared, the whole flow tables are compared and emptied on
 * both sides (dp_check.c).
 *
 * The configuration is made by the control-plane library (config.c): a
 * random one built at the start, changed every ROUND_EPOCHS epochs by a
 * random sequence of operations, and read back from the maps for the
 * model.  Between two rounds the configuration maps must stay
 * byte-identical: no packet can change configuration.
 *
 *   fuzz_dp [--seed N] [--frames N] [--seconds S] [--crash-dir DIR] [--show-config 1]
 *   fuzz_dp --replay FILE [--seed N]   one saved frame on a fresh state, under
 *                                      the configuration of its seed and round
 *
 * Exit 0 when every frame agreed, 1 on any mismatch (seed, round, frame,
 * both outputs printed; the frame saved in the crash dir), 2 on bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp_hash.h"
#include "bgxdp.skel.h"
#include "libbgxdp.h"
#include "dp.h"

#define EPOCH_FRAMES   2048
#define EPOCH_NS       1000000000ull
#define ROUND_EPOCHS   4
/* The configuration's random stream: the seed's, apart from the frames'. */
#define CONFIG_STREAM  0x636f6e666967ull

struct fuzz F;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
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

/* The pass reason, frame by frame: the model's reason's counter must move
 * by exactly one (a different reason shows at the epoch's full counter
 * comparison too). */
static bool pass_reason_counted(const struct gen_frame *g, const struct model_result *mr,
				const uint8_t *kout, size_t klen, uint32_t kret)
{
	__u64 k;

	if (percpu_sum(F.skel->maps.passed_counters, (__u32)mr->pass_reason, 8, &k) &&
	    k != F.kernel_passed[mr->pass_reason] + 1) {
		char msg[128];
		int kernel_reason = -1;

		/* Which reason did the kernel count instead? */
		for (__u32 r = 0; r < PASS_REASONS; r++) {
			__u64 v;

			if (!percpu_sum(F.skel->maps.passed_counters, r, 8, &v))
				continue;
			if (v != F.kernel_passed[r] && r != (__u32)mr->pass_reason)
				kernel_reason = (int)r;
			F.kernel_passed[r] = v;
		}
		snprintf(msg, sizeof(msg), "pass reason: model %s, kernel %s",
			 reason_names[mr->pass_reason],
			 kernel_reason < 0 ? "none" : reason_names[kernel_reason]);
		report(g, msg, kout, klen, kret, mr);
		return false;
	}
	F.kernel_passed[mr->pass_reason] = k;
	return true;
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
	if (xdp && mr.pass_reason >= 0 && !pass_reason_counted(g, &mr, kout, klen, kret))
		return;
	if (mr.has_key)
		check_tables(g, &mr, kout, klen, kret);
}

/* ---- configurations ---------------------------------------------------------- */

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
	return most > HALFOPEN_WAYS ? -ENOSPC : 0;
}

/* Configuration round F.round: through the library, then read back for the
 * model, whose counters take the kernel's (the control plane zeroes a new
 * service's; the data plane's counting was compared just before).  A
 * configuration whose possible half-open flows could crowd one set is
 * changed again (deterministically: a seed and a round make the same). */
static int configure(struct rng *cr)
{
	int err = 0;

	for (int tries = 0; tries < 8; tries++) {
		if ((err = fuzz_config_round(F.in, F.skel, cr, F.round, &F.cfg_stats)))
			return err;
		if ((err = fuzz_config_read(F.skel, F.cfg))) {
			fprintf(stderr, "fuzz_dp: cannot read the configuration back: %s\n",
				strerror(-err));
			return err;
		}
		if (!(err = check_halfopen_room(F.cfg)))
			break;
	}
	if (err) {
		fprintf(stderr, "fuzz_dp: round %u: possible half-open flows crowd one set of %d ways (the kernel would evict, the model does not)\n",
			F.round, HALFOPEN_WAYS);
		return err;
	}
	fuzz_config_bounds(F.cfg, &F.svc_bound, &F.slot_bound);
	counters_take_kernel();
	if (F.show_config)
		fuzz_config_show(F.in, F.round, stdout);
	return 0;
}

/* An epoch ends: counters and tables compared, tables emptied; every
 * ROUND_EPOCHS epochs the configuration changes. */
static int end_epoch(struct rng *cr)
{
	int err;

	check_counters(false);
	check_and_clear_flows();
	if (++F.epochs % ROUND_EPOCHS)
		return 0;
	check_config_unchanged(F.config_before);
	free_config_snapshot(F.config_before);
	F.round++;
	if ((err = configure(cr)) || (err = snapshot_config(F.config_before)))
		return err;
	return 0;
}

/* ---- main ------------------------------------------------------------------- */

struct options {
	uint64_t max_frames, seconds;
	const char *replay;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: fuzz_dp [--seed N] [--frames N] [--seconds S] [--crash-dir DIR] [--show-config 1]\n"
		   "       fuzz_dp --replay FILE.bin [--seed N]   (xdp or tc, seed and round from the file name)\n");
}

/* 0, 1 (help printed) or -1 (bad usage). */
static int parse_args(int argc, char **argv, struct options *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 1;
		}
		if (!v)
			return -1;
		i++;
		if (!strcmp(a, "--seed"))
			F.seed = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--frames"))
			o->max_frames = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--seconds"))
			o->seconds = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--crash-dir"))
			F.crash_dir = v;
		else if (!strcmp(a, "--replay"))
			o->replay = v;
		else if (!strcmp(a, "--show-config"))
			F.show_config = !!strtoul(v, NULL, 0);
		else
			return -1;
	}
	if (!o->max_frames && !o->seconds)
		o->max_frames = 200000;
	return 0;
}

static int load(void)
{
	struct bgx_err e = { 0 };

	F.cfg = calloc(1, sizeof(*F.cfg));
	F.model = calloc(1, sizeof(*F.model));
	if (!F.cfg || !F.model)
		return -ENOMEM;
	F.ncpus = libbpf_num_possible_cpus();
	F.skel = bgxdp__open_and_load();
	if (!F.skel) {
		fprintf(stderr, "fuzz_dp: cannot load the data plane (root needed): %s\n",
			strerror(errno));
		return -errno;
	}
	F.xdp_fd = bpf_program__fd(F.skel->progs.xdp_ingress);
	F.tc_fd = bpf_program__fd(F.skel->progs.tc_egress);
	if (bgx_open_object(F.skel->obj, &F.in, &e)) {
		fprintf(stderr, "fuzz_dp: %s\n", e.msg);
		return e.code;
	}
	model_init(F.model, F.cfg);
	return 0;
}

static void unload(void)
{
	free_config_snapshot(F.config_before);
	bgx_close(F.in);
	bgxdp__destroy(F.skel);
	free(F.cfg);
	free(F.model);
}

/* A saved frame, on a fresh data plane under the configuration of the
 * seed and round in its file name (seed<S>-round<R>-...; else --seed and
 * round 0). */
static int replay(const char *path)
{
	const char *s = strstr(path, "seed"), *rd = strstr(path, "-round");
	struct rng cr;
	struct gen_frame g;
	unsigned int round = 0;
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
	if (s)
		sscanf(s, "seed%" SCNu64, &F.seed);
	if (rd)
		sscanf(rd, "-round%u", &round);
	cr.s = F.seed ^ CONFIG_STREAM;
	for (F.round = 0; F.round <= round; F.round++)
		if (configure(&cr))
			return 1;
	F.round = round;
	F.crash_dir = NULL;
	run_frame(&g);
	check_counters(false);
	printf("%s: %s\n", path, F.failures ? "FAIL" : "PASS (kernel and model agree)");
	return F.failures ? 1 : 0;
}

static void print_summary(uint64_t t0)
{
	double secs = (now_ns() - t0) / 1e9;
	uint64_t total = F.frames[0] + F.frames[1];
	const struct fuzz_config_stats *cs = &F.cfg_stats;

	printf("fuzz_dp: seed %" PRIu64 ": %" PRIu64 " frames in %.1f s (%.0f frames/s): "
	       "xdp %" PRIu64 " (%" PRIu64 " rewritten), tc %" PRIu64 " (%" PRIu64 " rewritten)\n",
	       F.seed, total, secs, total / (secs > 0 ? secs : 1), F.frames[0], F.rewritten[0],
	       F.frames[1], F.rewritten[1]);
	printf("fuzz_dp: %u configurations made by the control plane: %lu operations (%lu refused), "
	       "%lu writers killed mid-change, %lu with corrupt maps planted, %lu services given dozens of backends\n",
	       F.round + 1, cs->ops, cs->refused, cs->kills, cs->planted, cs->many);
	printf("fuzz_dp: %" PRIu64 " short frames with an IP ethertype skipped for tc (BPF_PROG_TEST_RUN refuses them)\n",
	       F.tc_untestable);
	printf("fuzz_dp: xdp passed: not_ip %" PRIu64 ", not_vip %" PRIu64 ", fragment %" PRIu64
	       ", malformed %" PRIu64 ", unsupported %" PRIu64 ", no_backend %" PRIu64 "\n",
	       F.reasons[PASS_NOT_IP], F.reasons[PASS_NOT_VIP], F.reasons[PASS_FRAGMENT],
	       F.reasons[PASS_MALFORMED], F.reasons[PASS_UNSUPPORTED], F.reasons[PASS_NO_BACKEND]);
	printf("fuzz_dp: %" PRIu64 " established and %" PRIu64 " half-open entries compared over %" PRIu64 " epochs, "
	       "%" PRIu64 " rewritten frames checksum-verified from scratch, config maps unchanged by traffic: %s\n",
	       F.flows_checked, F.halfopen_checked, F.epochs, F.csum_checked,
	       F.failures ? "see above" : "yes");
}

/* Frames until the limit; epochs and configuration rounds between them. */
static int run(const struct options *o)
{
	static struct gen_frame g;
	struct rng rng = { F.seed }, cr = { F.seed ^ CONFIG_STREAM };
	uint64_t t0, epoch_t0, next_progress;
	int err;

	if ((err = configure(&cr)) || (err = snapshot_config(F.config_before)))
		return err;
	printf("fuzz_dp: seed %" PRIu64 ", %s %" PRIu64 "%s\n", F.seed,
	       o->max_frames ? "frames" : "seconds", o->max_frames ? o->max_frames : o->seconds,
	       o->max_frames && o->seconds ? " (or the time limit)" : "");
	fflush(stdout);
	t0 = epoch_t0 = now_ns();
	next_progress = t0 + 10 * 1000000000ull;
	for (F.frame_no = 0; ; F.frame_no++) {
		/* Read every frame (vDSO, cheap): a run descheduled for
		 * seconds must still end its epoch long before any idle
		 * timeout could expire a flow. */
		uint64_t t = now_ns();

		if ((o->max_frames && F.frames[0] + F.frames[1] >= o->max_frames) ||
		    (o->seconds && t - t0 >= o->seconds * 1000000000ull) ||
		    F.failures >= MAX_REPORTS)
			break;
		if (F.frame_no % EPOCH_FRAMES == EPOCH_FRAMES - 1 || t - epoch_t0 > EPOCH_NS) {
			if ((err = end_epoch(&cr)))
				return err;
			epoch_t0 = now_ns();
		}
		if (t > next_progress) {
			printf("fuzz_dp: %" PRIu64 " frames, %.0f frames/s\n",
			       F.frames[0] + F.frames[1],
			       (F.frames[0] + F.frames[1]) / ((t - t0) / 1e9));
			fflush(stdout);
			next_progress = t + 10 * 1000000000ull;
		}
		gen_next(&rng, F.cfg, F.model, &g);
		run_frame(&g);
	}
	check_counters(true);
	check_and_clear_flows();
	check_config_unchanged(F.config_before);
	print_summary(t0);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	int r;

	F.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	F.crash_dir = "build/fuzz/crashes";
	r = parse_args(argc, argv, &o);
	if (r) {
		if (r < 0)
			usage(stderr);
		return r < 0 ? 2 : 0;
	}
	if (load()) {
		unload();
		return 1;
	}
	if (o.replay) {
		r = replay(o.replay);
		unload();
		return r;
	}
	r = run(&o);
	unload();
	if (r || F.failures) {
		printf("FAIL fuzz_dp: %s; reproduce with --seed %" PRIu64 "\n",
		       r ? strerror(-r) : "kernel and model differ (see above)", F.seed);
		return 1;
	}
	printf("PASS fuzz_dp: kernel and model agree on every frame\n");
	return 0;
}
