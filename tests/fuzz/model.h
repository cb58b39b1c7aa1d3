/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * model.h - a userspace reference model of the data plane's decisions.
 *
 * Written from the specification (docs/architecture.md,
 * include/bgxdp.h), not from bpf/: given the same configuration (the same
 * shared structs the maps hold) it says, for one frame, what XDP ingress or
 * tc egress must return, which bytes must come out, which flow entry must
 * exist afterwards and which counters move.  The fuzzer (fuzz_dp.c) runs
 * the real programs with BPF_PROG_TEST_RUN and asserts they agree.
 */
#ifndef BGXDP_FUZZ_MODEL_H
#define BGXDP_FUZZ_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bgxdp.h"

#define MODEL_FRAME_MAX 2048

#define MODEL_MAX_VIPS      (2 * BGXDP_MAX_SERVICES)
#define MODEL_MAX_ENDPOINTS 1024
#define MODEL_BACKENDS      (BGXDP_MAX_SERVICES * BGXDP_COLORS * BGXDP_MAX_BACKENDS)
#define MODEL_RINGS         (BGXDP_MAX_SERVICES * BGXDP_COLORS * 2)
#define MODEL_COLOR_SLOTS   (BGXDP_MAX_SERVICES * BGXDP_COLORS)

/* The whole configuration, as the maps hold it (tests/fuzz/config_read.c). */
struct model_config {
	struct vip_key vip_keys[MODEL_MAX_VIPS];
	struct vip_value vip_values[MODEL_MAX_VIPS];
	int nvips;
	__u64 words[BGXDP_MAX_SERVICES];
	struct backend backends[MODEL_BACKENDS];
	struct maglev_ring rings[MODEL_RINGS];
	struct vip_key endpoint_keys[MODEL_MAX_ENDPOINTS];
	struct backend_service endpoint_values[MODEL_MAX_ENDPOINTS];
	int nendpoints;
	struct svc_meta meta[BGXDP_MAX_SERVICES];
};

/* A flow table of the model: open addressing, cleared as a whole.  Both
 * of the data plane's tables are one of these (`flows` uses only the .flow
 * of a value).  The model's tables never evict: the fuzzer checks at the
 * start that no set of the kernel's half-open table can receive more keys
 * than it has ways (fuzz_dp.c), and its epochs end long before `flows`
 * fills. */
#define MODEL_FLOW_SLOTS (1u << 16)

struct model_flow_table {
	struct flow_key keys[MODEL_FLOW_SLOTS];
	struct halfopen_value values[MODEL_FLOW_SLOTS];
	bool used[MODEL_FLOW_SLOTS];
	__u32 order[MODEL_FLOW_SLOTS];     /* used slots, in insertion order */
	__u32 count;
};

struct halfopen_value *model_table_get(struct model_flow_table *t,
				       const struct flow_key *key);
void model_table_put(struct model_flow_table *t, const struct flow_key *key,
		     const struct halfopen_value *val);
void model_table_delete(struct model_flow_table *t, const struct flow_key *key);
void model_table_clear(struct model_flow_table *t);

struct model {
	const struct model_config *cfg;
	struct model_flow_table flows;     /* established */
	struct model_flow_table halfopen;  /* not proved real yet */
	__u64 passed[PASS_REASONS];
	struct color_counters colors[MODEL_COLOR_SLOTS];
	struct backend_counters backends[MODEL_BACKENDS];
	__u64 connects[MODEL_BACKENDS];    /* handshakes timed per backend */
};

/* What one frame must do. */
struct model_result {
	__u32 retval;                   /* XDP_PASS / TC_ACT_OK */
	size_t out_len;
	bool rewritten;                 /* destination (XDP) or source (tc) */
	int pass_reason;                /* XDP: enum pass_reason, -1 if rewritten */
	/* Frames that reached a flow lookup: the key, and what each table
	 * must hold for it afterwards (clocks not modelled). */
	bool has_key;
	struct flow_key key;
	bool has_flow;                  /* in `flows` */
	struct flow_value flow;
	bool has_halfopen;              /* in `halfopen` */
	struct halfopen_value halfopen;
	__u8 out[MODEL_FRAME_MAX];      /* last: cleared only up to here */
};

void model_init(struct model *m, const struct model_config *cfg);
/* Forget every flow (an epoch ends: the kernel's tables are emptied too). */
void model_clear_flows(struct model *m);
const struct flow_value *model_flow_lookup(const struct model *m,
					   const struct flow_key *key);
const struct halfopen_value *model_halfopen_lookup(const struct model *m,
						   const struct flow_key *key);

void model_xdp(struct model *m, const __u8 *frame, size_t len,
	       struct model_result *res);
void model_tc(struct model *m, const __u8 *frame, size_t len,
	      struct model_result *res);

/* Are two flow entries the same decision (everything but the clock)? */
bool model_flow_equal(const struct flow_value *a, const struct flow_value *b);
/* Two half-open entries: the same flow and the same handshake state. */
bool model_halfopen_equal(const struct halfopen_value *a,
			  const struct halfopen_value *b);

#endif
