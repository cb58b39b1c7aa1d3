/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * helpers_publish.h - a log of what the control plane published for one
 * service, by generation: the config word and, per color, the Maglev ring
 * its live buffer held right after the store.  Writers fill it from the
 * library's step hook (at "published", while they still hold the pin
 * dir's lock), so the test learns what went out without a copy of the
 * writer.  test_atomic_config.c checks every packet against it.
 */
#ifndef BGXDP_HELPERS_PUBLISH_H
#define BGXDP_HELPERS_PUBLISH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include "bgxdp.h"

#define PUB_MAX_GENS   (1 << 20)
#define PUB_MAX_RINGS  64

struct bgxdp;

/* One publish.  `change`, `backend`, `state` and `share` say what the
 * writer asked for (the test's own meaning), copied from its request. */
struct pub_rec {
	__u64 word;                     /* 0: not logged (yet) */
	__u8 ring[BGXDP_COLORS];        /* index into the log's rings */
	__u8 change;
	__s8 backend;
	__u8 state;
	__u16 share;
};

struct pub_log {
	struct bgxdp *skel;
	__u32 svc;
	const volatile __u64 *config;   /* read-only mmap of svc_config */
	size_t config_len;
	struct pub_rec *recs;           /* [PUB_MAX_GENS], by generation */
	struct maglev_ring *rings;      /* every distinct live ring seen */
	int nrings;
	pthread_mutex_t lock;           /* rings, nrings */
	unsigned long duplicates;       /* a generation published twice */
	unsigned long errors;           /* not logged: a map read failed, or full */
};

int pub_log_init(struct pub_log *l, struct bgxdp *skel);
void pub_log_free(struct pub_log *l);
/* The service's live word, read as a packet reads it. */
__u64 pub_log_word(const struct pub_log *l);
/* Log the live word and rings with what was asked (`asked->word` is
 * ignored); the record's word is stored last, marking it whole. */
void pub_log_record(struct pub_log *l, const struct pub_rec *asked);
/* The record of generation `gen`, once its writer has logged it; NULL
 * after `wait_ns` without it. */
const struct pub_rec *pub_log_wait(const struct pub_log *l, __u32 gen, __u64 wait_ns);
/* The backend (color, slot) the record's word picks for `k` with the
 * record's rings (no fallback: the test keeps a backend in each color). */
void pub_log_choice(const struct pub_log *l, const struct flow_key *k,
		    const struct pub_rec *rec, __u32 *color, __u32 *slot);

#endif
