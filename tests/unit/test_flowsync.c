// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_flowsync.c - flow-sync messages: round trip, and everything a
 * receiver must refuse (wrong key, replays, truncated, oversized, garbage,
 * bad records, a sender over its rate) without delivering anything or
 * changing state.  The key file and the conflict rule:
 * test_flowsync_rules.c; sockets: test_flowsync_net.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>
#include <sodium.h>
#include "flowsync.h"

#define SECOND 1000000000ull
#define NOW_REAL (1700000000ull * SECOND)
#define HOST_A 0xa1
#define HOST_B 0xb2

static const struct flowsync_key key = { .bytes = "0123456789abcdef0123456789abcdef" };
static const struct flowsync_key other_key = { .bytes = "0123456789abcdef0123456789abcdeX" };

/* A valid record, different for each i; IPv6 for odd i. */
static struct flowsync_record record(unsigned i)
{
	struct flowsync_record r = { .type = FLOWSYNC_UPSERT, .created_ns = NOW_REAL - i };
	bool v6 = i & 1;

	r.key.family = v6 ? BGXDP_FAMILY_IPV6 : BGXDP_FAMILY_IPV4;
	r.key.proto = i % 3 ? IPPROTO_TCP : IPPROTO_UDP;
	if (v6) {
		inet_pton(AF_INET6, "2001:db8::7", r.key.client);
		inet_pton(AF_INET6, "2001:db8:1::10", r.key.vip);
		inet_pton(AF_INET6, "2001:db8:2::11", r.value.backend);
	} else {
		inet_pton(AF_INET, "192.0.2.7", r.key.client);
		inet_pton(AF_INET, "198.51.100.10", r.key.vip);
		inet_pton(AF_INET, "203.0.113.11", r.value.backend);
	}
	r.key.client[3] = (uint8_t)i;
	r.key.client_port = htons((uint16_t)(1024 + i));
	r.key.vip_port = htons(80);
	r.value.backend_port = htons(8080);
	r.value.color = i & 1 ? BGXDP_GREEN : BGXDP_BLUE;
	r.value.state = i % 5 == 4 ? FLOW_CLOSING : FLOW_OPEN;
	r.value.service_id = (uint16_t)(i % BGXDP_MAX_SERVICES);
	r.value.backend_slot = (uint16_t)(i % BGXDP_MAX_BACKENDS);
	if (i % 7 == 6)
		r.type = FLOWSYNC_CLOSE;
	return r;
}

struct sink {
	size_t calls;
	size_t n;
	struct flowsync_header last;
	struct flowsync_record recs[FLOWSYNC_MAX_RECORDS * 4];
};

static void deliver(const struct flowsync_header *from, const struct flowsync_record *recs,
		    size_t n, void *ctx)
{
	struct sink *s = ctx;

	s->calls++;
	s->last = *from;
	for (size_t i = 0; i < n && s->n < sizeof(s->recs) / sizeof(s->recs[0]); i++)
		s->recs[s->n++] = recs[i];
}

/* Tests move the monotonic clock (rates, idle senders); the real clock
 * stays where the datagrams say they were sent. */
static struct flowsync_clock now_at(uint64_t mono)
{
	return (struct flowsync_clock){ .mono_ns = mono, .real_ns = NOW_REAL };
}

/* A datagram from `host` with sequence `seq` and n records from `first`. */
static size_t datagram(uint8_t *buf, const struct flowsync_key *k, uint64_t host, uint64_t seq,
		       unsigned first, size_t n)
{
	struct flowsync_record recs[FLOWSYNC_MAX_RECORDS];
	struct flowsync_header h = { .host_id = host, .sequence = seq, .sent_ns = NOW_REAL };

	for (size_t i = 0; i < n; i++)
		recs[i] = record(first + (unsigned)i);
	return flowsync_encode(k, &h, recs, n, buf, FLOWSYNC_MAX_BYTES);
}

static struct flowsync_receiver *receiver(uint32_t rate, uint32_t burst)
{
	struct flowsync_limits lim = { .records_per_s = rate, .burst = burst };
	struct flowsync_receiver *r;

	assert_int_equal(flowsync_receiver_new(&key, HOST_B, &lim, &r, NULL), 0);
	return r;
}

static enum flowsync_verdict feed(struct flowsync_receiver *r, const uint8_t *buf, size_t len,
				  uint64_t mono, struct sink *s)
{
	struct flowsync_clock now = now_at(mono);

	return flowsync_receive(r, buf, len, &now, deliver, s);
}

/* ---- round trip ---------------------------------------------------------------- */

static void test_round_trip(void **state)
{
	uint8_t buf[FLOWSYNC_MAX_BYTES];
	struct flowsync_receiver *r = receiver(0, 0);
	struct flowsync_rx_stats st;
	struct sink *s = calloc(1, sizeof(*s));

	(void)state;
	for (size_t n = 0; n <= FLOWSYNC_MAX_RECORDS; n += n < 17 ? 1 : 37) {
		size_t len = datagram(buf, &key, HOST_A, 100 + n, (unsigned)n, n), before = s->n;

		assert_int_equal(len, FLOWSYNC_MIN_BYTES + n * FLOWSYNC_RECORD_BYTES);
		assert_int_equal(feed(r, buf, len, n * SECOND, s), FLOWSYNC_ACCEPTED);
		assert_int_equal(s->last.host_id, HOST_A);
		assert_int_equal(s->last.sequence, 100 + n);
		assert_int_equal(s->last.sent_ns, NOW_REAL);
		assert_int_equal(s->n - before, n);
		for (size_t i = 0; i < n; i++) {
			struct flowsync_record want = record((unsigned)(n + i));

			assert_memory_equal(&s->recs[before + i], &want, sizeof(want));
		}
	}
	flowsync_receiver_stats(r, &st);
	assert_int_equal(st.records_accepted, s->n);
	assert_int_equal(st.datagrams[FLOWSYNC_ACCEPTED], s->calls);
	assert_int_equal(st.records_rejected, 0);
	flowsync_receiver_free(r);
	free(s);
}

static void test_sizes(void **state)
{
	(void)state;
	assert_int_equal(flowsync_records_per_datagram(FLOWSYNC_DEFAULT_DATAGRAM), 16);
	assert_int_equal(flowsync_records_per_datagram(1500 - 48), 19);
	assert_int_equal(flowsync_records_per_datagram(9000 - 48), FLOWSYNC_MAX_RECORDS);
	assert_int_equal(flowsync_records_per_datagram(FLOWSYNC_MIN_BYTES + 71), 0);
	assert_int_equal(flowsync_records_per_datagram(FLOWSYNC_MIN_BYTES + 72), 1);
	uint8_t small[100];
	struct flowsync_record rec = record(1);
	struct flowsync_header h = { .host_id = 1 };
	assert_int_equal(flowsync_encode(&key, &h, &rec, 1, small, sizeof(small)), 0);
}

/* ---- refused --------------------------------------------------------------------- */

static void test_wrong_key(void **state)
{
	uint8_t buf[FLOWSYNC_MAX_BYTES];
	struct flowsync_receiver *r = receiver(0, 0);
	struct flowsync_rx_stats st;
	struct sink s = { 0 };
	size_t len = datagram(buf, &other_key, HOST_A, 1, 0, 5);

	(void)state;
	assert_int_equal(feed(r, buf, len, 0, &s), FLOWSYNC_BAD_MAC);
	assert_int_equal(s.calls, 0);
	/* the right key with the same sequence still gets in: the forgery
	 * changed nothing */
	len = datagram(buf, &key, HOST_A, 1, 0, 5);
	assert_int_equal(feed(r, buf, len, 0, &s), FLOWSYNC_ACCEPTED);
	flowsync_receiver_stats(r, &st);
	assert_int_equal(st.datagrams[FLOWSYNC_BAD_MAC], 1);
	assert_int_equal(st.records_rejected, 5);
	flowsync_receiver_free(r);
}

static void test_replay_and_reorder(void **state)
{
	uint8_t buf[FLOWSYNC_MAX_BYTES];
	struct flowsync_receiver *r = receiver(0, 0);
	struct flowsync_rx_stats st;
	struct sink s = { 0 };
	size_t len;

	(void)state;
	len = datagram(buf, &key, HOST_A, 1000, 0, 2);
	assert_int_equal(feed(r, buf, len, 0, &s), FLOWSYNC_ACCEPTED);
	assert_int_equal(feed(r, buf, len, 1, &s), FLOWSYNC_REPLAYED);        /* duplicate */
	/* 1002 before 1001: both get in, once */
	len = datagram(buf, &key, HOST_A, 1002, 0, 1);
	assert_int_equal(feed(r, buf, len, 2, &s), FLOWSYNC_ACCEPTED);
	len = datagram(buf, &key, HOST_A, 1001, 0, 1);
	assert_int_equal(feed(r, buf, len, 3, &s), FLOWSYNC_ACCEPTED);
	assert_int_equal(feed(r, buf, len, 4, &s), FLOWSYNC_REPLAYED);
	/* the window: 63 behind the highest is still in, 64 behind is not */
	len = datagram(buf, &key, HOST_A, 1100, 0, 1);
	assert_int_equal(feed(r, buf, len, 5, &s), FLOWSYNC_ACCEPTED);
	len = datagram(buf, &key, HOST_A, 1100 - 63, 0, 1);
	assert_int_equal(feed(r, buf, len, 6, &s), FLOWSYNC_ACCEPTED);
	len = datagram(buf, &key, HOST_A, 1100 - 64, 0, 1);
	assert_int_equal(feed(r, buf, len, 7, &s), FLOWSYNC_REPLAYED);
	len = datagram(buf, &key, HOST_A, 1000, 0, 2);
	assert_int_equal(feed(r, buf, len, 8, &s), FLOWSYNC_REPLAYED);
	assert_int_equal(s.calls, 5);
	flowsync_receiver_stats(r, &st);
	assert_int_equal(st.datagrams[FLOWSYNC_REPLAYED], 4);
	/* 1003..1099 skipped, 1037 came late */
	assert_int_equal(st.datagrams_missed, 97 - 1);
	/* a restarted sender (its sequence jumps to its clock) is welcome */
	len = datagram(buf, &key, HOST_A, 1100 + 5 * SECOND, 0, 1);
	assert_int_equal(feed(r, buf, len, 9, &s), FLOWSYNC_ACCEPTED);
	flowsync_receiver_stats(r, &st);
	assert_int_equal(st.sender_restarts, 1);
	flowsync_receiver_free(r);
}

static void test_truncated_and_oversized(void **state)
{
	uint8_t buf[FLOWSYNC_MAX_BYTES + 100] = { 0 };
	struct flowsync_receiver *r = receiver(0, 0);
	struct flowsync_rx_stats st;
	struct sink s = { 0 };
	size_t len = datagram(buf, &key, HOST_A, 7, 0, 3);

	(void)state;
	for (size_t cut = 0; cut < len; cut++) {
		enum flowsync_verdict v = feed(r, buf, cut, 0, &s);

		assert_int_equal(v, FLOWSYNC_TRUNCATED);
	}
	assert_int_equal(feed(r, buf, len + 1, 0, &s), FLOWSYNC_BAD_LENGTH);
	assert_int_equal(feed(r, buf, FLOWSYNC_MAX_BYTES + 1, 0, &s), FLOWSYNC_OVERSIZED);
	assert_int_equal(feed(r, buf, sizeof(buf), 0, &s), FLOWSYNC_OVERSIZED);
	/* a header claiming more records than a datagram may hold */
	buf[6] = 0;
	buf[7] = FLOWSYNC_MAX_RECORDS + 1;
	assert_int_equal(feed(r, buf, FLOWSYNC_MAX_BYTES, 0, &s), FLOWSYNC_BAD_LENGTH);
	assert_int_equal(s.calls, 0);
	/* and the real one still gets in */
	len = datagram(buf, &key, HOST_A, 7, 0, 3);
	assert_int_equal(feed(r, buf, len, 0, &s), FLOWSYNC_ACCEPTED);
	flowsync_receiver_stats(r, &st);
	assert_int_equal(st.datagrams[FLOWSYNC_TRUNCATED], len);
	assert_int_equal(st.datagrams[FLOWSYNC_OVERSIZED], 2);
	flowsync_receiver_free(r);
}

static void test_garbage(void **state)
{
	uint8_t buf[FLOWSYNC_MAX_BYTES + 1], good[FLOWSYNC_MAX_BYTES];
	struct flowsync_receiver *r = receiver(0, 0);
	struct flowsync_rx_stats st;
	struct sink s = { 0 };
	size_t len = datagram(good, &key, HOST_A, 9, 0, 4);
	uint64_t total = 0;

	(void)state;
	srandom(42);
	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)random() % sizeof(buf);

		for (size_t j = 0; j < n; j++)
			buf[j] = (uint8_t)random();
		if (i % 2) {            /* a plausible header: get past the cheap checks */
			memcpy(buf, good, 8);
			buf[6] = 0;
			buf[7] = (uint8_t)(random() % 5);
			n = FLOWSYNC_MIN_BYTES + buf[7] * (size_t)FLOWSYNC_RECORD_BYTES;
		}
		assert_int_not_equal(feed(r, buf, n, (uint64_t)i, &s), FLOWSYNC_ACCEPTED);
		total++;
	}
	/* every single bit flipped in a good datagram */
	for (size_t byte = 0; byte < len; byte++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(buf, good, len);
			buf[byte] ^= (uint8_t)(1 << bit);
			assert_int_not_equal(feed(r, buf, len, 0, &s), FLOWSYNC_ACCEPTED);
			total++;
		}
	}
	assert_int_equal(s.calls, 0);
	flowsync_receiver_stats(r, &st);
	assert_int_equal(st.datagrams[FLOWSYNC_ACCEPTED], 0);
	uint64_t counted = 0;
	for (int v = 0; v < FLOWSYNC_VERDICTS; v++)
		counted += st.datagrams[v];
	assert_int_equal(counted, total);
	assert_true(st.datagrams[FLOWSYNC_BAD_MAC] > 10000);
	assert_int_equal(feed(r, good, len, 0, &s), FLOWSYNC_ACCEPTED);
	flowsync_receiver_free(r);
}

static void test_header_checks(void **state)
{
	uint8_t buf[FLOWSYNC_MAX_BYTES];
	struct flowsync_receiver *r = receiver(0, 0);
	struct flowsync_header h = { .host_id = HOST_A, .sequence = 5, .sent_ns = NOW_REAL };
	struct sink s = { 0 };
	size_t len;

	(void)state;
	len = datagram(buf, &key, HOST_A, 1, 0, 1);
	buf[0] ^= 1;
	assert_int_equal(feed(r, buf, len, 0, &s), FLOWSYNC_BAD_MAGIC);
	len = datagram(buf, &key, HOST_A, 1, 0, 1);
	buf[4] = 2;
	assert_int_equal(feed(r, buf, len, 0, &s), FLOWSYNC_BAD_HEADER);
	len = datagram(buf, &key, HOST_A, 1, 0, 1);
	buf[5] = 1;
	assert_int_equal(feed(r, buf, len, 0, &s), FLOWSYNC_BAD_HEADER);
	len = datagram(buf, &key, 0, 1, 0, 1);
	assert_int_equal(feed(r, buf, len, 0, &s), FLOWSYNC_BAD_HEADER);
	len = datagram(buf, &key, HOST_B, 1, 0, 1);     /* the receiver's own id */
	assert_int_equal(feed(r, buf, len, 0, &s), FLOWSYNC_FROM_SELF);
	/* sent more than a minute before (or after) our clock */
	h.sent_ns = NOW_REAL - 61 * SECOND;
	len = flowsync_encode(&key, &h, NULL, 0, buf, sizeof(buf));
	assert_int_equal(feed(r, buf, len, 0, &s), FLOWSYNC_STALE);
	h.sent_ns = NOW_REAL + 61 * SECOND;
	len = flowsync_encode(&key, &h, NULL, 0, buf, sizeof(buf));
	assert_int_equal(feed(r, buf, len, 0, &s), FLOWSYNC_STALE);
	h.sent_ns = NOW_REAL - 59 * SECOND;
	len = flowsync_encode(&key, &h, NULL, 0, buf, sizeof(buf));
	assert_int_equal(feed(r, buf, len, 0, &s), FLOWSYNC_ACCEPTED);  /* a heartbeat */
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.n, 0);
	flowsync_receiver_free(r);

	/* without the age check (clocks not synchronised) */
	struct flowsync_limits lim = { .max_age_ns = UINT64_MAX };
	assert_int_equal(flowsync_receiver_new(&key, HOST_B, &lim, &r, NULL), 0);
	h.sent_ns = 1;
	len = flowsync_encode(&key, &h, NULL, 0, buf, sizeof(buf));
	assert_int_equal(feed(r, buf, len, 0, &s), FLOWSYNC_ACCEPTED);
	flowsync_receiver_free(r);
}

/* Each way a record can break its rules, alone among good records. */
static void test_bad_records(void **state)
{
	uint8_t buf[FLOWSYNC_MAX_BYTES];
	struct flowsync_receiver *r = receiver(0, 0);
	struct flowsync_header h = { .host_id = HOST_A, .sent_ns = NOW_REAL };
	struct flowsync_record recs[3];
	struct flowsync_rx_stats st;
	struct sink s = { 0 };
	size_t len;

	(void)state;
	for (int c = 0; c < 13; c++) {
		struct flowsync_record *bad = &recs[1];

		recs[0] = record(0);
		recs[1] = record(2);
		recs[2] = record(3);
		switch (c) {
		case 0: bad->type = 3; break;
		case 1: bad->key.family = 5; break;
		case 2: bad->key.proto = IPPROTO_ICMP; break;
		case 3: bad->value.color = 2; break;
		case 4: bad->value.state = 2; break;
		case 5: bad->value.service_id = BGXDP_MAX_SERVICES; break;
		case 6: bad->value.backend_slot = BGXDP_MAX_BACKENDS; break;
		case 7: bad->key.client_port = 0; break;
		case 8: bad->key.vip_port = 0; break;
		case 9: bad->value.backend_port = 0; break;
		case 10: bad->key.vip[15] = 1; break;   /* IPv4 with bytes after the 4th */
		case 11: bad->created_ns = 0; break;
		case 12: bad->value.backend[4] = 1; break;
		}
		assert_false(flowsync_record_valid(bad));
		h.sequence = 50;        /* the same each time: a refusal changes nothing */
		len = flowsync_encode(&key, &h, recs, 3, buf, sizeof(buf));
		assert_int_equal(feed(r, buf, len, 0, &s), FLOWSYNC_BAD_RECORD);
	}
	/* the byte that must be zero, set on the wire and signed again, as a
	 * key holder with a bug would */
	recs[1] = record(2);
	len = flowsync_encode(&key, &h, recs, 3, buf, sizeof(buf));
	uint8_t again[FLOWSYNC_MAX_BYTES];
	memcpy(again, buf, len);
	again[FLOWSYNC_HEADER_BYTES + FLOWSYNC_RECORD_BYTES + 5] = 1;
	crypto_auth(again + len - FLOWSYNC_MAC_BYTES, again, len - FLOWSYNC_MAC_BYTES, key.bytes);
	assert_int_equal(feed(r, again, len, 0, &s), FLOWSYNC_BAD_RECORD);
	assert_int_equal(s.calls, 0);
	flowsync_receiver_stats(r, &st);
	assert_int_equal(st.datagrams[FLOWSYNC_BAD_RECORD], 14);
	assert_int_equal(st.records_rejected, 14 * 3);
	len = flowsync_encode(&key, &h, (struct flowsync_record[]){ record(0), record(2), record(3) },
			      3, buf, sizeof(buf));
	assert_int_equal(feed(r, buf, len, 0, &s), FLOWSYNC_ACCEPTED);
	flowsync_receiver_free(r);
}

static void test_rate_bound(void **state)
{
	uint8_t buf[FLOWSYNC_MAX_BYTES];
	struct flowsync_receiver *r = receiver(100, 50);  /* 100 records/s, 50 at once */
	struct flowsync_rx_stats st;
	struct sink s = { 0 };
	uint64_t seq = 1;
	size_t len;

	(void)state;
	for (int i = 0; i < 5; i++) {
		len = datagram(buf, &key, HOST_A, seq++, 0, 10);
		assert_int_equal(feed(r, buf, len, 0, &s), FLOWSYNC_ACCEPTED);
	}
	len = datagram(buf, &key, HOST_A, seq, 0, 10);
	assert_int_equal(feed(r, buf, len, 0, &s), FLOWSYNC_RATE_LIMITED);
	/* 50 ms later: 5 records' worth, still not 10 */
	assert_int_equal(feed(r, buf, len, SECOND / 20, &s), FLOWSYNC_RATE_LIMITED);
	/* 100 ms later: 10; the same datagram (its sequence was not used up) */
	assert_int_equal(feed(r, buf, len, SECOND / 10, &s), FLOWSYNC_ACCEPTED);
	/* another sender has its own bucket */
	len = datagram(buf, &key, HOST_A + 1, 1, 0, 10);
	assert_int_equal(feed(r, buf, len, SECOND / 10, &s), FLOWSYNC_ACCEPTED);
	/* a long pause refills up to the burst, not beyond */
	for (int i = 0; i < 6; i++) {
		len = datagram(buf, &key, HOST_A, ++seq, 0, 10);
		assert_int_equal(feed(r, buf, len, 100 * SECOND, &s),
				 i < 5 ? FLOWSYNC_ACCEPTED : FLOWSYNC_RATE_LIMITED);
	}
	flowsync_receiver_stats(r, &st);
	assert_int_equal(st.datagrams[FLOWSYNC_RATE_LIMITED], 3);
	assert_int_equal(st.records_accepted, 120);
	flowsync_receiver_free(r);
}

static void test_too_many_senders(void **state)
{
	uint8_t buf[FLOWSYNC_MAX_BYTES];
	struct flowsync_receiver *r = receiver(0, 0);
	struct sink s = { 0 };
	size_t len;

	(void)state;
	for (uint64_t host = 1; host <= FLOWSYNC_MAX_SENDERS; host++) {
		len = datagram(buf, &key, 1000 + host, 1, 0, 1);
		assert_int_equal(feed(r, buf, len, SECOND, &s), FLOWSYNC_ACCEPTED);
	}
	len = datagram(buf, &key, 5000, 1, 0, 1);
	assert_int_equal(feed(r, buf, len, SECOND, &s), FLOWSYNC_TOO_MANY_SENDERS);
	/* senders silent for twice the age limit make room */
	assert_int_equal(feed(r, buf, len, SECOND + 2 * FLOWSYNC_DEFAULT_MAX_AGE_NS + 1, &s),
			 FLOWSYNC_ACCEPTED);
	flowsync_receiver_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_replay_and_reorder),
		cmocka_unit_test(test_truncated_and_oversized),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_header_checks),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_rate_bound),
		cmocka_unit_test(test_too_many_senders),
	};

	return cmocka_run_group_tests_name("flow sync", tests, NULL, NULL);
}
