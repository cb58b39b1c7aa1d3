/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * helpers_flow.h - flows in the kernel tests: keys of test frames, the
 * backend's reply to a client frame, reading both flow tables, and a whole
 * TCP handshake through XDP and tc.
 */
#ifndef BGXDP_HELPERS_FLOW_H
#define BGXDP_HELPERS_FLOW_H

#include <stdbool.h>
#include <stdint.h>
#include "bgxdp.h"
#include "helpers_frames.h"

struct bgxdp;

#define TCP_SYN 0x02
#define TCP_ACK 0x10
#define TCP_FIN 0x01
#define TCP_RST 0x04

/* A client -> VIP frame of the test services (helpers_dp.h): client
 * 192.168.1.2 / 2001:db8::c1, a SYN for TCP, 11 bytes of payload. */
struct frame_spec test_client(int family, int proto, uint16_t sport);
/* The backend (and its color and slot) a new flow of `s` gets under the
 * live configuration: its service's config word read from the map, the
 * Maglev ring computed (maglev_build) from the color's backend slots. */
void test_expected_backend(struct bgxdp *skel, const struct frame_spec *s,
			   struct backend *b, uint32_t *color, uint32_t *slot);
/* A client port, from s->sport on, whose new flow gets another backend
 * under the live ring buffer of its color than under the inactive one:
 * a flow that shows which buffer the data plane read (the two must hold
 * different rings, built by real operations). */
uint16_t test_port_telling_buffers(struct bgxdp *skel, const struct frame_spec *s);

/* The flow key the data plane makes of a client -> VIP frame. */
void test_flow_key(const struct frame_spec *client, struct flow_key *key);
/* The backend's reply to a client frame: from b to the client. */
struct frame_spec test_reply(const struct frame_spec *client,
			     const struct backend *b, uint8_t tcp_flags);

/* The entry of `key` in `flows` / `halfopen`: 0, or -1 if there is none. */
int test_flows_get(struct bgxdp *skel, const struct flow_key *key,
		   struct flow_value *out);
int test_halfopen_get(struct bgxdp *skel, const struct flow_key *key,
		      struct halfopen_value *out);
/* Write a half-open entry of `key` as the data plane would (its way). */
int test_halfopen_put(struct bgxdp *skel, const struct flow_key *key,
		      const struct halfopen_value *val);
/* Empty the half-open table. */
int test_halfopen_clear(struct bgxdp *skel);

/* Run one frame through a program; the output is checked only for the
 * verdict (XDP_PASS / TC_ACT_OK).  Returns 0 or -1. */
int test_send(int prog_fd, const struct frame_spec *s, uint8_t *out,
	      size_t *out_len);

/* SYN (XDP), SYN-ACK with sequence `isn` (tc), ACK of it (XDP): the flow
 * of `client` (its tcp_flags ignored), whose backend is `b`, established.
 * `isn` must not be 0 (a frame_spec's seq 0 means the default).  Returns 0
 * if it ended in `flows`. */
int test_handshake(struct bgxdp *skel, int xdp_fd, int tc_fd,
		   const struct frame_spec *client, const struct backend *b,
		   uint32_t isn);

/* cmocka assertions: XDP rewrites client frame `s` exactly to backend `b`
 * (checksums right); tc rewrites the reply `r` to `client` back to its
 * VIP; the key of `s` has an entry in `flows` / `halfopen` (copied to v if
 * not NULL). */
void test_expect_to(int xdp_fd, const struct frame_spec *s, const struct backend *b);
void test_expect_reply(int tc_fd, const struct frame_spec *r,
		       const struct frame_spec *client);
bool test_in_flows(struct bgxdp *skel, const struct frame_spec *s, struct flow_value *v);
bool test_in_halfopen(struct bgxdp *skel, const struct frame_spec *s,
		      struct halfopen_value *v);

/* CLOCK_MONOTONIC in ns, the clock of bpf_ktime_get[_coarse]_ns(). */
uint64_t test_now_ns(void);

#endif
