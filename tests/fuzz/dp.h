/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * dp.h - the data-plane fuzzer's state, shared by fuzz_dp.c (frames,
 * rounds, main) and dp_check.c (what is compared with the model, and how a
 * difference is reported).
 */
#ifndef BGXDP_FUZZ_DP_H
#define BGXDP_FUZZ_DP_H

#include <stdbool.h>
#include <stdint.h>
#include "model.h"
#include "gen.h"
#include "fuzz_config.h"

#define MAX_REPORTS    10
#define CONFIG_MAPS    8

struct bgxdp;
struct bgx_instance;

struct map_snapshot {
	const char *name;
	size_t rec_size, count;
	uint8_t *recs;          /* key + value, sorted */
};

struct fuzz {
	struct bgxdp *skel;
	struct bgx_instance *in;        /* the control plane over skel's maps */
	int xdp_fd, tc_fd;
	struct model_config *cfg;
	struct model *model;
	uint64_t seed;
	uint64_t frame_no;
	unsigned int round;             /* configuration round (fuzz_config_round) */
	__u32 svc_bound, slot_bound;    /* services, backend slots in use */
	const char *crash_dir;
	bool show_config;               /* print each round's services */
	int failures;
	int ncpus;
	/* what the run covered */
	uint64_t frames[2], rewritten[2], reasons[PASS_REASONS];
	uint64_t flows_checked, halfopen_checked, epochs, csum_checked, tc_untestable;
	__u64 kernel_passed[PASS_REASONS];   /* last read, per reason */
	struct fuzz_config_stats cfg_stats;
	struct map_snapshot config_before[CONFIG_MAPS];
};

extern struct fuzz F;

extern const char *const reason_names[PASS_REASONS];

/* ---- reporting (dp_check.c) ---- */
void report(const struct gen_frame *g, const char *what, const uint8_t *kout, size_t klen,
	    uint32_t kret, const struct model_result *mr);
void fail_plain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- comparisons (dp_check.c) ---- */
bool percpu_sum(struct bpf_map *map, __u32 idx, size_t size, __u64 *out);
/* Counters of the services and slots in use (all: every one). */
void check_counters(bool all);
/* Both flow tables against the model's, then all emptied. */
void check_and_clear_flows(void);
/* After a frame that reached a flow lookup: its key's entries. */
void check_tables(const struct gen_frame *g, const struct model_result *mr,
		  const uint8_t *kout, size_t klen, uint32_t kret);
/* The configuration maps as they are now / unchanged since then. */
int snapshot_config(struct map_snapshot snaps[CONFIG_MAPS]);
void check_config_unchanged(struct map_snapshot before[CONFIG_MAPS]);
void free_config_snapshot(struct map_snapshot snaps[CONFIG_MAPS]);
/* The model's counters take the kernel's: after the control plane zeroed
 * a new service's (the data plane's counting was compared just before). */
void counters_take_kernel(void);

#endif
