// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * flowsync_rx.c - the receiver's checks, cheapest first: size, magic and
 * version, length against the record count, MAC, our own host id, age,
 * the sender's sequence window, its rate, and every record's rules.  Only
 * a datagram that passes all of them changes the sender's state (window,
 * tokens) and reaches the caller.  Any bytes at all are safe to pass in.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "flowsync.h"
#include "flowsync_wire.h"

#define NS_PER_S          1000000000ull
/* A sequence this far ahead of the last one is a restarted sender (its
 * sequence starts at its clock), not that many lost datagrams. */
#define RESTART_JUMP      65536

struct sender_state {
	uint64_t host_id;               /* 0: free slot */
	uint64_t highest;               /* highest sequence accepted */
	uint64_t window;                /* bit i set: sequence highest - i accepted */
	uint64_t tokens;                /* records, in 1e-9 units */
	uint64_t refilled_ns;           /* monotonic */
	uint64_t heard_ns;              /* monotonic, last accepted datagram */
};

struct flowsync_receiver {
	struct flowsync_key key;
	uint64_t self;
	uint64_t rate;                  /* records per second */
	uint64_t burst;                 /* records */
	uint64_t max_age_ns;
	struct sender_state senders[FLOWSYNC_MAX_SENDERS];
	struct flowsync_rx_stats stats;
	struct flowsync_record recs[FLOWSYNC_MAX_RECORDS];
};

static const char *const verdict_names[FLOWSYNC_VERDICTS] = {
	[FLOWSYNC_ACCEPTED] = "accepted",
	[FLOWSYNC_TRUNCATED] = "truncated",
	[FLOWSYNC_OVERSIZED] = "oversized",
	[FLOWSYNC_BAD_MAGIC] = "bad_magic",
	[FLOWSYNC_BAD_HEADER] = "bad_header",
	[FLOWSYNC_BAD_LENGTH] = "bad_length",
	[FLOWSYNC_BAD_MAC] = "bad_mac",
	[FLOWSYNC_FROM_SELF] = "from_self",
	[FLOWSYNC_STALE] = "stale",
	[FLOWSYNC_REPLAYED] = "replayed",
	[FLOWSYNC_TOO_MANY_SENDERS] = "too_many_senders",
	[FLOWSYNC_RATE_LIMITED] = "rate_limited",
	[FLOWSYNC_BAD_RECORD] = "bad_record",
};

const char *flowsync_verdict_name(enum flowsync_verdict v)
{
	return (unsigned)v < FLOWSYNC_VERDICTS ? verdict_names[v] : "unknown";
}

int flowsync_receiver_new(const struct flowsync_key *key, uint64_t self_host_id,
			  const struct flowsync_limits *limits, struct flowsync_receiver **out,
			  struct bgx_err *err)
{
	struct flowsync_receiver *r;

	*out = NULL;
	if (sodium_init() < 0)
		return bgx_fail(err, ENOMEM, "flow sync: cannot initialise libsodium");
	r = calloc(1, sizeof(*r));
	if (!r)
		return bgx_fail(err, ENOMEM, "flow sync: out of memory");
	r->key = *key;
	r->self = self_host_id;
	r->rate = limits && limits->records_per_s ? limits->records_per_s : FLOWSYNC_DEFAULT_RATE;
	r->burst = limits && limits->burst ? limits->burst : FLOWSYNC_DEFAULT_BURST;
	r->max_age_ns = limits && limits->max_age_ns ? limits->max_age_ns
						     : FLOWSYNC_DEFAULT_MAX_AGE_NS;
	*out = r;
	return 0;
}

void flowsync_receiver_free(struct flowsync_receiver *r)
{
	if (!r)
		return;
	sodium_memzero(&r->key, sizeof(r->key));
	free(r);
}

void flowsync_receiver_stats(const struct flowsync_receiver *r, struct flowsync_rx_stats *out)
{
	*out = r->stats;
}

/* ---- the frame --------------------------------------------------------------- */

static enum flowsync_verdict check_frame(const struct flowsync_receiver *r, const uint8_t *p,
					 size_t len, struct flowsync_header *h)
{
	size_t body;

	if (len < FLOWSYNC_MIN_BYTES)
		return FLOWSYNC_TRUNCATED;
	if (len > FLOWSYNC_MAX_BYTES)
		return FLOWSYNC_OVERSIZED;
	if (flowsync_get_u32(p + HDR_MAGIC) != FLOWSYNC_MAGIC)
		return FLOWSYNC_BAD_MAGIC;
	if (p[HDR_VERSION] != FLOWSYNC_VERSION || p[HDR_FLAGS] != 0 ||
	    !flowsync_get_u64(p + HDR_HOST))
		return FLOWSYNC_BAD_HEADER;
	h->count = flowsync_get_u16(p + HDR_COUNT);
	body = FLOWSYNC_HEADER_BYTES + (size_t)h->count * FLOWSYNC_RECORD_BYTES;
	if (h->count > FLOWSYNC_MAX_RECORDS)
		return FLOWSYNC_BAD_LENGTH;
	if (body + FLOWSYNC_MAC_BYTES != len)
		return len < body + FLOWSYNC_MAC_BYTES ? FLOWSYNC_TRUNCATED : FLOWSYNC_BAD_LENGTH;
	if (crypto_auth_verify(p + body, p, body, r->key.bytes))
		return FLOWSYNC_BAD_MAC;
	h->host_id = flowsync_get_u64(p + HDR_HOST);
	h->sequence = flowsync_get_u64(p + HDR_SEQUENCE);
	h->sent_ns = flowsync_get_u64(p + HDR_SENT);
	return FLOWSYNC_ACCEPTED;
}

static bool stale(const struct flowsync_receiver *r, uint64_t sent_ns, uint64_t real_ns)
{
	uint64_t apart = sent_ns > real_ns ? sent_ns - real_ns : real_ns - sent_ns;

	return r->max_age_ns != UINT64_MAX && apart > r->max_age_ns;
}

/* ---- senders ------------------------------------------------------------------- */

/* The sender's slot, or a slot it may take (host_id 0 or long silent);
 * NULL when every slot belongs to a sender heard recently. */
static struct sender_state *sender_slot(struct flowsync_receiver *r, uint64_t host_id,
					uint64_t mono_ns)
{
	struct sender_state *free_slot = NULL;

	for (size_t i = 0; i < FLOWSYNC_MAX_SENDERS; i++) {
		struct sender_state *s = &r->senders[i];
		/* silent for twice the age limit: anything of it that could be
		 * replayed is refused as stale, so its window may go */
		bool idle = r->max_age_ns != UINT64_MAX && mono_ns - s->heard_ns > 2 * r->max_age_ns;

		if (s->host_id == host_id)
			return s;
		if (!free_slot && (!s->host_id || idle))
			free_slot = s;
	}
	return free_slot;
}

static bool replayed(const struct sender_state *s, uint64_t host_id, uint64_t seq)
{
	uint64_t behind;

	if (s->host_id != host_id || seq > s->highest)
		return false;                   /* new sender, or ahead */
	behind = s->highest - seq;
	return behind >= FLOWSYNC_REPLAY_WINDOW || (s->window >> behind) & 1;
}

/* Tokens the sender has now (not stored until the datagram is accepted). */
static uint64_t tokens_now(const struct flowsync_receiver *r, const struct sender_state *s,
			   uint64_t host_id, uint64_t mono_ns)
{
	uint64_t full = r->burst * NS_PER_S, elapsed;

	if (s->host_id != host_id)
		return full;                    /* a new sender starts with a full bucket */
	elapsed = mono_ns - s->refilled_ns;
	if (elapsed >= full / r->rate)          /* also keeps the product below in range */
		return full;
	return s->tokens + elapsed * r->rate > full ? full : s->tokens + elapsed * r->rate;
}

static void note_sequence(struct flowsync_receiver *r, struct sender_state *s, uint64_t seq)
{
	uint64_t ahead;

	if (seq <= s->highest) {                /* a late one, within the window */
		s->window |= 1ull << (s->highest - seq);
		if (r->stats.datagrams_missed)
			r->stats.datagrams_missed--;
		return;
	}
	ahead = seq - s->highest;
	if (ahead > RESTART_JUMP)
		r->stats.sender_restarts++;
	else
		r->stats.datagrams_missed += ahead - 1;
	s->window = ahead >= 64 ? 1 : s->window << ahead | 1;
	s->highest = seq;
}

static void accept_from(struct flowsync_receiver *r, struct sender_state *s,
			const struct flowsync_header *h, uint64_t tokens, uint64_t mono_ns)
{
	if (s->host_id != h->host_id) {
		memset(s, 0, sizeof(*s));
		s->host_id = h->host_id;
		s->highest = h->sequence;
		s->window = 1;
	} else {
		note_sequence(r, s, h->sequence);
	}
	s->tokens = tokens - (uint64_t)h->count * NS_PER_S;
	s->refilled_ns = mono_ns;
	s->heard_ns = mono_ns;
}

/* ---- one datagram ------------------------------------------------------------- */

static enum flowsync_verdict decode_records(struct flowsync_receiver *r, const uint8_t *p,
					    size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct flowsync_record *rec = &r->recs[i];

		if (!flowsync_record_from_wire(p + FLOWSYNC_HEADER_BYTES + i * FLOWSYNC_RECORD_BYTES,
					       rec) ||
		    !flowsync_record_valid(rec))
			return FLOWSYNC_BAD_RECORD;
	}
	return FLOWSYNC_ACCEPTED;
}

static enum flowsync_verdict judge(struct flowsync_receiver *r, const uint8_t *p, size_t len,
				   const struct flowsync_clock *now, struct flowsync_header *h)
{
	enum flowsync_verdict v = check_frame(r, p, len, h);
	struct sender_state *s;
	uint64_t tokens;

	if (v != FLOWSYNC_ACCEPTED)
		return v;
	if (h->host_id == r->self)
		return FLOWSYNC_FROM_SELF;
	if (stale(r, h->sent_ns, now->real_ns))
		return FLOWSYNC_STALE;
	s = sender_slot(r, h->host_id, now->mono_ns);
	if (!s)
		return FLOWSYNC_TOO_MANY_SENDERS;
	if (replayed(s, h->host_id, h->sequence))
		return FLOWSYNC_REPLAYED;
	tokens = tokens_now(r, s, h->host_id, now->mono_ns);
	if ((uint64_t)h->count * NS_PER_S > tokens)
		return FLOWSYNC_RATE_LIMITED;
	v = decode_records(r, p, h->count);
	if (v == FLOWSYNC_ACCEPTED)
		accept_from(r, s, h, tokens, now->mono_ns);
	return v;
}

enum flowsync_verdict flowsync_receive(struct flowsync_receiver *r, const void *datagram,
				       size_t len, const struct flowsync_clock *now,
				       flowsync_deliver_fn fn, void *ctx)
{
	struct flowsync_header h = { 0 };
	enum flowsync_verdict v = judge(r, datagram, len, now, &h);

	r->stats.datagrams[v]++;
	if (v != FLOWSYNC_ACCEPTED) {
		/* the count is only known to match the length from the MAC on */
		if (v >= FLOWSYNC_BAD_MAC)
			r->stats.records_rejected += h.count;
		return v;
	}
	r->stats.records_accepted += h.count;
	if (fn)
		fn(&h, r->recs, h.count, ctx);
	return v;
}
