// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_flowsync.c - flowsync_receive, the flow-sync receiver: any bytes a
 * peer (or anyone) can send.  The first byte picks how the rest is used:
 *   even: the rest is one datagram as it is, received at the time it says
 *         it was sent (almost all refused at or before the MAC: size,
 *         magic, header, length, MAC);
 *   odd:  the rest is a series of datagrams, each `1 + 8 + 32 + n*72`
 *         bytes of input: a selector byte (n = records, 0..3; and a clock
 *         step), the receiver's clock offset, then header and records with
 *         magic, version, flags and count fixed up and the MAC computed
 *         with the key, so the checks after the MAC (own host id, age,
 *         replay window, rate, every record rule) see arbitrary content.
 * Invariants: the verdict is a known one; every datagram is counted once
 * under its verdict; records reach the callback only for ACCEPTED, each
 * obeys flowsync_record_valid(), and encoding them again with the header
 * gives back the datagram byte for byte; the count of accepted records
 * matches what the callback saw.
 */
#include <string.h>
#include <sodium.h>
#include "flowsync.h"
#include "flowsync_wire.h"
#include "fuzz_util.h"

#define SECOND 1000000000ull

static const struct flowsync_key key = { .bytes = "fuzz-key-fuzz-key-fuzz-key-fuzz!" };

struct seen {
	const uint8_t *datagram;
	size_t len;
	size_t records;
	size_t calls;
};

static void check_delivery(const struct flowsync_header *h, const struct flowsync_record *recs,
			   size_t n, void *ctx)
{
	static uint8_t again[FLOWSYNC_MAX_BYTES];
	struct seen *s = ctx;
	size_t len;

	CHECK(n == h->count, "callback with %zu records, header says %u", n, h->count);
	for (size_t i = 0; i < n; i++)
		CHECK(flowsync_record_valid(&recs[i]), "record %zu delivered breaks the rules", i);
	len = flowsync_encode(&key, h, recs, n, again, sizeof(again));
	CHECK(len == s->len && !memcmp(again, s->datagram, len),
	      "accepted datagram of %zu bytes does not encode back to itself", s->len);
	s->records += n;
	s->calls++;
}

static uint64_t counted(const struct flowsync_receiver *r)
{
	struct flowsync_rx_stats st;
	uint64_t total = 0;

	flowsync_receiver_stats(r, &st);
	for (int v = 0; v < FLOWSYNC_VERDICTS; v++)
		total += st.datagrams[v];
	return total;
}

static void feed(struct flowsync_receiver *r, const uint8_t *d, size_t len,
		 const struct flowsync_clock *now, uint64_t *fed, struct seen *s)
{
	size_t calls = s->calls;
	enum flowsync_verdict v;

	s->datagram = d;
	s->len = len;
	v = flowsync_receive(r, d, len, now, check_delivery, s);
	(*fed)++;
	CHECK((unsigned)v < FLOWSYNC_VERDICTS, "verdict %d", (int)v);
	CHECK((v == FLOWSYNC_ACCEPTED) == (s->calls == calls + 1),
	      "verdict %s but %zu callbacks", flowsync_verdict_name(v), s->calls - calls);
	CHECK(counted(r) == *fed, "%llu datagrams counted, %llu fed",
	      (unsigned long long)counted(r), (unsigned long long)*fed);
}

/* One signed datagram from the input; returns the input bytes used. */
static size_t signed_datagram(const uint8_t *d, size_t size, uint8_t *out, size_t *len,
			      struct flowsync_clock *now)
{
	size_t n = d[0] & 3, body = FLOWSYNC_HEADER_BYTES + n * FLOWSYNC_RECORD_BYTES;
	size_t used = 1 + 8 + body;
	uint64_t offset = 0, sent;

	memset(out, 0, body);
	for (size_t i = 0; i < 8 && 1 + i < size; i++)
		offset = offset << 8 | d[1 + i];
	if (size > 9)
		memcpy(out, d + 9, size - 9 < body ? size - 9 : body);
	flowsync_put_u32(out + HDR_MAGIC, FLOWSYNC_MAGIC);
	out[HDR_VERSION] = FLOWSYNC_VERSION;
	out[HDR_FLAGS] = 0;
	flowsync_put_u16(out + HDR_COUNT, (uint16_t)n);
	crypto_auth(out + body, out, body, key.bytes);
	*len = body + FLOWSYNC_MAC_BYTES;
	/* the clock: a step forward (refills the rate bucket), and the real
	 * time within +-128 s of the send time, so age goes both ways */
	sent = flowsync_get_u64(out + HDR_SENT);
	now->mono_ns += (uint64_t)(d[0] >> 2) * (SECOND / 16);
	now->real_ns = sent + ((offset & 0xff) - 128) * SECOND;
	return used < size ? used : size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[FLOWSYNC_MAX_BYTES];
	struct flowsync_limits lim = { .records_per_s = 20, .burst = 6 };
	struct flowsync_clock now = { .mono_ns = SECOND, .real_ns = 1 };
	struct flowsync_receiver *r;
	struct seen s = { 0 };
	uint64_t fed = 0;
	size_t len;

	if (!size)
		return 0;
	/* a small bucket, so the rate check decides now and then */
	if (flowsync_receiver_new(&key, 0x5e1f, &lim, &r, NULL))
		abort();
	if (!(data[0] & 1)) {
		/* our clock at the datagram's send time: a good one gets in */
		if (size - 1 >= FLOWSYNC_HEADER_BYTES)
			now.real_ns = flowsync_get_u64(data + 1 + HDR_SENT);
		feed(r, data + 1, size - 1, &now, &fed, &s);
	} else {
		for (size_t at = 1; at < size && fed < 64;) {
			at += signed_datagram(data + at, size - at, buf, &len, &now);
			feed(r, buf, len, &now, &fed, &s);
		}
	}
	struct flowsync_rx_stats st;
	flowsync_receiver_stats(r, &st);
	CHECK(st.records_accepted == s.records, "%llu records counted accepted, %zu delivered",
	      (unsigned long long)st.records_accepted, s.records);
	flowsync_receiver_free(r);
	return 0;
}
