/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * flowsync.h - flow sync between the hosts of a fleet: the message format,
 * its authentication, the receiver's checks, and the rule that settles two
 * hosts claiming one flow for different backends.  Sockets: flowsync_net.h.
 *
 * Every host sends the flows its data plane creates and closes to its
 * peers and inserts what they send into its own flow table, so a
 * connection survives moving to another host (ECMP rehash, a host taken
 * out) and replies are rewritten on whichever host they pass.
 *
 * Wire format, version 1.  One UDP datagram = header + N records + MAC.
 * Integers are big-endian (network order); addresses and ports are the
 * bytes of struct flow_key / flow_value (addresses 16 bytes, IPv4 in the
 * first 4 and zeros after).
 *
 *   header (32 bytes)
 *     0  u32  magic 0x42475853 ("BGXS")
 *     4  u8   version (1)
 *     5  u8   flags (0; anything else is refused)
 *     6  u16  record count N (0: a heartbeat)
 *     8  u64  sender host id (not 0)
 *    16  u64  sequence (per sender, +1 per datagram; starts at the sender's
 *             CLOCK_REALTIME in ns, so a restarted sender is ahead)
 *    24  u64  sent at, CLOCK_REALTIME ns
 *   record (72 bytes) x N
 *     0  u8   type: 1 upsert (a live flow), 2 close (FIN/RST seen)
 *     1  u8   family (4, 6)
 *     2  u8   proto (6 TCP, 17 UDP)
 *     3  u8   color (0 blue, 1 green)
 *     4  u8   state (0 open, 1 closing)
 *     5  u8   0
 *     6  u16  service id (< BGXDP_MAX_SERVICES)
 *     8  u16  backend slot (< BGXDP_MAX_BACKENDS)
 *    10  u16  client port      \
 *    12  u16  VIP port          } as in struct flow_key / flow_value
 *    14  u16  backend port     /
 *    16  16B  client address
 *    32  16B  VIP address
 *    48  16B  backend address
 *    64  u64  flow created at, CLOCK_REALTIME ns on the host that created it
 *   MAC (32 bytes): HMAC-SHA-512-256 (libsodium crypto_auth) of everything
 *   before it, keyed with the fleet's 32-byte sync key.
 *
 * Why a MAC and not an AEAD: what must not happen is a forged or replayed
 * flow entry; the records are not secret from anyone on the sync network
 * (the same addresses cross it in the client traffic itself).  crypto_auth
 * needs no nonce, so nothing can go wrong with nonce reuse across restarts,
 * and replays are caught by the sequence and the send time.
 *
 * Size: 16 records (1216 bytes) fit the default datagram of 1232 bytes,
 * which crosses any IPv6 path (minimum MTU 1280) unfragmented; up to 120
 * records (8704 bytes) for jumbo frames.
 */
#ifndef BGXDP_FLOWSYNC_H
#define BGXDP_FLOWSYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bgxdp.h"
#include "bgx_err.h"

#define FLOWSYNC_MAGIC           0x42475853u
#define FLOWSYNC_VERSION         1
#define FLOWSYNC_HEADER_BYTES    32
#define FLOWSYNC_RECORD_BYTES    72
#define FLOWSYNC_MAC_BYTES       32
#define FLOWSYNC_KEY_BYTES       32
#define FLOWSYNC_MAX_RECORDS     120
#define FLOWSYNC_MAX_BYTES       (FLOWSYNC_HEADER_BYTES + FLOWSYNC_MAX_RECORDS * \
				  FLOWSYNC_RECORD_BYTES + FLOWSYNC_MAC_BYTES)
#define FLOWSYNC_MIN_BYTES       (FLOWSYNC_HEADER_BYTES + FLOWSYNC_MAC_BYTES)
#define FLOWSYNC_DEFAULT_DATAGRAM 1232
#define FLOWSYNC_REPLAY_WINDOW   64      /* sequences remembered per sender */
#define FLOWSYNC_MAX_SENDERS     64
#define FLOWSYNC_DEFAULT_RATE    100000  /* records per second per sender */
#define FLOWSYNC_DEFAULT_BURST   20000
#define FLOWSYNC_DEFAULT_MAX_AGE_NS (60ull * 1000000000ull)

enum flowsync_type {
	FLOWSYNC_UPSERT = 1,
	FLOWSYNC_CLOSE = 2,
};

/* One flow, as a peer needs it.  value.last_seen_ns is not carried (0 on
 * receipt: the receiver stamps its own clock). */
struct flowsync_record {
	uint8_t type;                   /* FLOWSYNC_* */
	struct flow_key key;
	struct flow_value value;
	uint64_t created_ns;            /* CLOCK_REALTIME on the origin host */
};

/* The record's own rules (family, protocol, color, state, ports, service
 * and slot ranges, IPv4 padding); the receiver refuses a datagram with one
 * bad record, so a sender checks each record before queueing it. */
bool flowsync_record_valid(const struct flowsync_record *rec);

/* ---- the sync key ------------------------------------------------------- */

struct flowsync_key {
	uint8_t bytes[FLOWSYNC_KEY_BYTES];
};

/*
 * The key file holds the 32 key bytes as 64 hex digits (one line; a final
 * newline is allowed), so it can be made with `openssl rand -hex 32` or
 * flowsync_key_generate() and copied through configuration tools as text.
 * Refused: not a regular file (symlinks included), any permission for group
 * or others (it must be 0600 or 0400), owned by another user than us or
 * root, or not exactly 64 hex digits.
 */
int flowsync_key_load(const char *path, struct flowsync_key *key, struct bgx_err *err);
/* A new random key in a new file (mode 0600; an existing file is kept). */
int flowsync_key_generate(const char *path, struct bgx_err *err);
void flowsync_key_wipe(struct flowsync_key *key);

/* A host id from a stable name (the host name): never 0. */
uint64_t flowsync_host_id(const char *name);

/* ---- encoding ------------------------------------------------------------ */

struct flowsync_header {
	uint64_t host_id;
	uint64_t sequence;
	uint64_t sent_ns;               /* CLOCK_REALTIME */
	uint16_t count;
};

/* Records that fit a datagram of `bytes` (at most FLOWSYNC_MAX_RECORDS). */
size_t flowsync_records_per_datagram(size_t bytes);

/* Write header + records + MAC to out; returns the length, or 0 when
 * out_len is too small or n is over FLOWSYNC_MAX_RECORDS. */
size_t flowsync_encode(const struct flowsync_key *key, const struct flowsync_header *h,
		       const struct flowsync_record *recs, size_t n, uint8_t *out, size_t out_len);

/* ---- receiving ------------------------------------------------------------- */

/* What became of a datagram.  The checks run in this order, cheapest
 * first; the first that fails decides. */
enum flowsync_verdict {
	FLOWSYNC_ACCEPTED = 0,
	FLOWSYNC_TRUNCATED,             /* shorter than header + MAC */
	FLOWSYNC_OVERSIZED,             /* longer than FLOWSYNC_MAX_BYTES */
	FLOWSYNC_BAD_MAGIC,
	FLOWSYNC_BAD_HEADER,            /* version, flags, or host id 0 */
	FLOWSYNC_BAD_LENGTH,            /* length does not match the record count */
	FLOWSYNC_BAD_MAC,               /* wrong key, or altered */
	FLOWSYNC_FROM_SELF,             /* our own host id: a loop in the peer list */
	FLOWSYNC_STALE,                 /* sent longer ago than max_age (or ahead) */
	FLOWSYNC_REPLAYED,              /* sequence seen, or below the window */
	FLOWSYNC_TOO_MANY_SENDERS,      /* FLOWSYNC_MAX_SENDERS active already */
	FLOWSYNC_RATE_LIMITED,          /* the sender's token bucket is empty */
	FLOWSYNC_BAD_RECORD,            /* a record breaks its rules */
	FLOWSYNC_VERDICTS
};

/* "accepted", "truncated", ... (metric label values). */
const char *flowsync_verdict_name(enum flowsync_verdict v);

struct flowsync_limits {
	uint32_t records_per_s;         /* per sender; 0: FLOWSYNC_DEFAULT_RATE */
	uint32_t burst;                 /* bucket size; 0: FLOWSYNC_DEFAULT_BURST */
	/* A datagram sent more than this before (or after) our clock says now
	 * is refused: replays of old traffic to a receiver that restarted (and
	 * so forgot the sequences) fail here.  0: FLOWSYNC_DEFAULT_MAX_AGE_NS;
	 * UINT64_MAX: no check (hosts without synchronised clocks). */
	uint64_t max_age_ns;
};

struct flowsync_rx_stats {
	uint64_t datagrams[FLOWSYNC_VERDICTS];  /* by verdict */
	uint64_t records_accepted;
	uint64_t records_rejected;      /* in datagrams that were refused */
	uint64_t datagrams_missed;      /* sequence gaps (lost or still to come) */
	uint64_t sender_restarts;       /* sequence jumped far ahead */
};

/* The receiving clocks: monotonic for rates, real time for message age. */
struct flowsync_clock {
	uint64_t mono_ns;
	uint64_t real_ns;
};

struct flowsync_receiver;

int flowsync_receiver_new(const struct flowsync_key *key, uint64_t self_host_id,
			  const struct flowsync_limits *limits, struct flowsync_receiver **out,
			  struct bgx_err *err);
void flowsync_receiver_free(struct flowsync_receiver *r);

/* Called once per accepted datagram with all its records (n may be 0). */
typedef void (*flowsync_deliver_fn)(const struct flowsync_header *from,
				    const struct flowsync_record *recs, size_t n, void *ctx);

/* Check one datagram (any bytes at all) and, when it passes every check,
 * hand its records to fn.  Nothing of a refused datagram reaches fn or
 * changes the sender's state; every outcome is counted. */
enum flowsync_verdict flowsync_receive(struct flowsync_receiver *r, const void *datagram,
				       size_t len, const struct flowsync_clock *now,
				       flowsync_deliver_fn fn, void *ctx);

void flowsync_receiver_stats(const struct flowsync_receiver *r, struct flowsync_rx_stats *out);

/* ---- two hosts, one flow, two backends ------------------------------------------ */

/* What a host knows about who created a flow entry it holds. */
struct flowsync_claim {
	uint64_t created_ns;            /* CLOCK_REALTIME on the creating host */
	uint64_t host_id;               /* the creating host */
	uint8_t state;                  /* FLOW_OPEN, FLOW_CLOSING */
	uint8_t backend[BGXDP_ADDR_LEN];
	uint16_t backend_port;          /* network order, as in flow_value */
};

enum flowsync_resolution {
	FLOWSYNC_SAME_BACKEND,          /* no conflict */
	FLOWSYNC_KEEP_LOCAL,
	FLOWSYNC_TAKE_REMOTE,
};

/* Below this, two creations of one flow on two hosts are the same
 * connection racing through ECMP (SYN retransmits come at 1 s and 3 s). */
#define FLOWSYNC_RACE_WINDOW_NS  (5ull * 1000000000ull)

/*
 * The rule, a pure function of the two claims, so every host that holds
 * both picks the same backend (swap local and remote: the same claim wins):
 * 1. Same backend address and port: nothing to settle.
 * 2. One claim closing, the other open and created later: the open one (a
 *    new connection on a 5-tuple that was closing).
 * 3. Created more than race_window_ns apart: the later one (the 5-tuple
 *    was reused after the earlier connection ended or idled out).
 * 4. Otherwise the same connection raced to two hosts: the earlier
 *    creation wins (it saw the first SYN, its backend answered first);
 *    equal times: the lower host id; then the lower backend (address,
 *    port) so even two identical claims from one host are ordered.
 * Clocks that disagree by less than the window keep rule 4 right; clocks
 * off by more change who wins but never whether the hosts agree.
 */
enum flowsync_resolution flowsync_resolve(const struct flowsync_claim *local,
					  const struct flowsync_claim *remote,
					  uint64_t race_window_ns);

#endif
