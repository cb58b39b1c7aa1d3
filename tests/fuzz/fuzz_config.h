/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fuzz_config.h - the configurations the data-plane fuzzer runs under:
 * made by the control-plane library (config.c), read back from the maps
 * for the model (config_read.c).
 */
#ifndef BGXDP_FUZZ_CONFIG_H
#define BGXDP_FUZZ_CONFIG_H

#include <stdio.h>
#include "model.h"
#include "gen.h"

struct bgxdp;
struct bgx_instance;

struct fuzz_config_stats {
	unsigned long ops;              /* operations run */
	unsigned long refused;          /* of which the library refused */
	unsigned long kills;            /* writers killed between two steps */
	unsigned long planted;          /* rounds with corrupt maps planted */
	unsigned long many;             /* services given dozens of backends */
	unsigned long names;            /* services named so far (s1, s2, ...) */
};

/* Round 0 builds a configuration from nothing, each later round changes
 * it; every round draws from `r` only, so a seed and a round number make
 * the same configuration again.  0, or a negative errno if the library
 * failed in a way no refusal explains (the message on stderr). */
int fuzz_config_round(struct bgx_instance *in, struct bgxdp *skel, struct rng *r,
		      unsigned int round, struct fuzz_config_stats *st);

/* The configuration maps as the model needs them (sorted, so the frame
 * generator draws the same addresses on every run).  0 or -errno. */
int fuzz_config_read(struct bgxdp *skel, struct model_config *c);

/* Services and backend slots in use (max id + 1, max slot + 1): the
 * counters compared at every epoch. */
void fuzz_config_bounds(const struct model_config *c, __u32 *services, __u32 *slots);

/* One line per service (--show-config). */
void fuzz_config_show(struct bgx_instance *in, unsigned int round, FILE *f);

#endif
