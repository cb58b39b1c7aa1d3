// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_flowsync_net.c - flow sync over real UDP sockets on loopback (IPv4
 * and IPv6): batching into full datagrams, the flush timer, delivery in
 * order, and hostile datagrams (wrong key, garbage, oversized, replayed)
 * sent to a node's port: refused and counted, nothing delivered.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "flowsync_net.h"

static const struct flowsync_key key = { .bytes = "0123456789abcdef0123456789abcdef" };

static struct flowsync_record record(unsigned i)
{
	struct flowsync_record r = { .type = FLOWSYNC_UPSERT, .created_ns = 1 + i };

	r.key.family = BGXDP_FAMILY_IPV4;
	r.key.proto = IPPROTO_TCP;
	inet_pton(AF_INET, "192.0.2.7", r.key.client);
	inet_pton(AF_INET, "198.51.100.10", r.key.vip);
	inet_pton(AF_INET, "203.0.113.11", r.value.backend);
	r.key.client_port = htons((uint16_t)(1024 + i));
	r.key.vip_port = htons(80);
	r.value.backend_port = htons(8080);
	return r;
}

/* A UDP port free on `addr` right now. */
static int free_port(int family, const char *addr)
{
	struct sockaddr_storage sa = { .ss_family = (sa_family_t)family };
	socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	int fd = socket(family, SOCK_DGRAM, 0), port;

	if (family == AF_INET)
		inet_pton(AF_INET, addr, &((struct sockaddr_in *)&sa)->sin_addr);
	else
		inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&sa)->sin6_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&sa)->sin_port
				       : ((struct sockaddr_in6 *)&sa)->sin6_port);
	close(fd);
	return port;
}

/*
 * Long enough that "not due yet" holds on a slow, sanitized, loaded CI machine
 * (50 ms did not), short enough to keep the test quick.
 */
#define FLUSH_MS 1000

struct sink {
	size_t calls;
	size_t n;
	struct flowsync_record recs[256];
};

static void deliver(const struct flowsync_header *from, const struct flowsync_record *recs,
		    size_t n, void *ctx)
{
	struct sink *s = ctx;

	(void)from;
	s->calls++;
	for (size_t i = 0; i < n && s->n < 256; i++)
		s->recs[s->n++] = recs[i];
}

/* Receive on `n` until `want` records came or 2 s passed. */
static void receive_until(struct flowsync_node *n, struct sink *s, size_t want)
{
	struct pollfd p = { .fd = flowsync_node_fd(n), .events = POLLIN };

	for (int i = 0; i < 200 && s->n < want; i++) {
		poll(&p, 1, 10);
		flowsync_node_receive(n, deliver, s);
	}
}

static struct flowsync_node *node(const char *listen, const char *peer, uint64_t host,
				  const struct flowsync_key *k)
{
	struct flowsync_node_config cfg = { .listen = listen, .key = *k, .host_id = host,
					    .flush_ms = FLUSH_MS };
	struct flowsync_node *n;
	struct bgx_err e = { 0 };

	if (peer) {
		cfg.peers[0] = peer;
		cfg.n_peers = 1;
	}
	if (flowsync_node_open(&cfg, &n, &e))
		fail_msg("%s", e.msg);
	return n;
}

static void exchange(int family)
{
	const char *lo = family == AF_INET ? "127.0.0.1" : "::1";
	const char *fmt = family == AF_INET ? "%s:%d" : "[%s]:%d";
	char a_addr[64], b_addr[64];
	struct flowsync_node *a, *b;
	struct flowsync_tx_stats tx;
	struct flowsync_rx_stats rx;
	struct sink *s = calloc(1, sizeof(*s));

	snprintf(a_addr, sizeof(a_addr), fmt, lo, free_port(family, lo));
	snprintf(b_addr, sizeof(b_addr), fmt, lo, free_port(family, lo));
	a = node(a_addr, b_addr, 0xa, &key);
	b = node(b_addr, a_addr, 0xb, &key);

	/* 40 records: the first after a quiet period goes at once, alone; two
	 * full datagrams of 16 go when full; 7 wait for the timer */
	for (unsigned i = 0; i < 40; i++) {
		struct flowsync_record rec = record(i);

		assert_int_equal(flowsync_node_queue(a, &rec, NULL), 0);
	}
	flowsync_node_stats(a, &tx, NULL);
	assert_int_equal(tx.datagrams_sent, 3);
	assert_int_equal(tx.records_sent, 33);
	int due = flowsync_node_flush_timeout(a);
	assert_true(due > 0 && due <= FLUSH_MS);
	assert_int_equal(flowsync_node_tick(a), 0);     /* not due yet */
	receive_until(b, s, 33);
	assert_int_equal(s->n, 33);
	usleep((useconds_t)due * 1000 + 1000);
	assert_int_equal(flowsync_node_flush_timeout(a), 0);
	assert_int_equal(flowsync_node_tick(a), 1);
	assert_int_equal(flowsync_node_flush_timeout(a), -1);
	receive_until(b, s, 40);
	assert_int_equal(s->n, 40);
	assert_int_equal(s->calls, 4);
	for (unsigned i = 0; i < 40; i++) {
		struct flowsync_record want = record(i);

		assert_memory_equal(&s->recs[i], &want, sizeof(want));
	}
	flowsync_node_stats(b, NULL, &rx);
	assert_int_equal(rx.datagrams[FLOWSYNC_ACCEPTED], 4);
	assert_int_equal(rx.records_accepted, 40);
	assert_int_equal(rx.datagrams_missed, 0);

	/* and back: B sends to A */
	memset(s, 0, sizeof(*s));
	struct flowsync_record rec = record(7);
	assert_int_equal(flowsync_node_queue(b, &rec, NULL), 0);
	assert_int_equal(flowsync_node_flush(b), 0);    /* quiet node: it went at once */
	receive_until(a, s, 1);
	assert_int_equal(s->n, 1);
	flowsync_node_close(a);
	flowsync_node_close(b);
	free(s);
}

static void test_exchange_ipv4(void **state)
{
	(void)state;
	exchange(AF_INET);
}

static void test_exchange_ipv6(void **state)
{
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int usable = fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa));

	(void)state;
	if (fd >= 0)
		close(fd);
	if (!usable) {
		print_message("skipped: no IPv6 loopback (::1) on this machine\n");
		skip();
	}
	exchange(AF_INET6);
}

/* Raw datagrams to a node's port, as anyone on the network could send. */
static void send_raw(const char *to, const void *buf, size_t len)
{
	struct sockaddr_storage sa;
	socklen_t sl;
	int fd;

	assert_int_equal(flowsync_parse_endpoint(to, "to", &sa, &sl, NULL), 0);
	fd = socket(sa.ss_family, SOCK_DGRAM, 0);
	assert_int_equal(sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sl), (ssize_t)len);
	close(fd);
}

static void test_hostile_datagrams(void **state)
{
	static const struct flowsync_key wrong = { .bytes = "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX" };
	char b_addr[64];
	struct flowsync_node *b;
	struct flowsync_rx_stats rx;
	struct sink s = { 0 };
	uint8_t buf[FLOWSYNC_MAX_BYTES + 500];
	struct flowsync_record recs[3] = { record(0), record(1), record(2) };
	struct flowsync_header h = { .host_id = 0xa, .sequence = 77 };
	struct timespec ts;
	size_t len;

	(void)state;
	clock_gettime(CLOCK_REALTIME, &ts);
	h.sent_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	snprintf(b_addr, sizeof(b_addr), "127.0.0.1:%d", free_port(AF_INET, "127.0.0.1"));
	b = node(b_addr, NULL, 0xb, &key);

	len = flowsync_encode(&wrong, &h, recs, 3, buf, sizeof(buf));
	send_raw(b_addr, buf, len);                             /* wrong key */
	memset(buf, 0x5a, sizeof(buf));
	send_raw(b_addr, buf, 100);                             /* garbage */
	send_raw(b_addr, buf, sizeof(buf));                     /* oversized */
	send_raw(b_addr, buf, 3);                               /* truncated */
	len = flowsync_encode(&key, &h, recs, 3, buf, sizeof(buf));
	send_raw(b_addr, buf, len);                             /* good */
	send_raw(b_addr, buf, len);                             /* replayed */
	for (int i = 0; i < 100; i++) {
		struct pollfd p = { .fd = flowsync_node_fd(b), .events = POLLIN };

		poll(&p, 1, 10);
		flowsync_node_receive(b, deliver, &s);
		flowsync_node_stats(b, NULL, &rx);
		uint64_t total = 0;
		for (int v = 0; v < FLOWSYNC_VERDICTS; v++)
			total += rx.datagrams[v];
		if (total == 6)
			break;
	}
	assert_int_equal(rx.datagrams[FLOWSYNC_BAD_MAC], 1);
	assert_int_equal(rx.datagrams[FLOWSYNC_BAD_MAGIC], 1);
	assert_int_equal(rx.datagrams[FLOWSYNC_OVERSIZED], 1);
	assert_int_equal(rx.datagrams[FLOWSYNC_TRUNCATED], 1);
	assert_int_equal(rx.datagrams[FLOWSYNC_REPLAYED], 1);
	assert_int_equal(rx.datagrams[FLOWSYNC_ACCEPTED], 1);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.n, 3);
	flowsync_node_close(b);
}

static void test_config_refused(void **state)
{
	static const char *const bad[] = {
		"", "1.2.3.4", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:x", "host:80",
		"::1:80", "[::1]", "[::1]80", "[1.2.3.4]:80", "[::g]:80", ":80", "1.2.3.4:+80",
	};
	struct flowsync_node_config cfg = { .key = key, .host_id = 1 };
	struct flowsync_node *n;
	struct bgx_err e = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.listen = bad[i];
		bgx_err_clear(&e);
		assert_true(flowsync_node_open(&cfg, &n, &e) < 0);
		assert_non_null(strstr(e.msg, "--sync-listen"));
		cfg.listen = NULL;
		cfg.peers[0] = bad[i];
		cfg.n_peers = 1;
		bgx_err_clear(&e);
		assert_true(flowsync_node_open(&cfg, &n, &e) < 0);
		assert_non_null(strstr(e.msg, "--sync-peer"));
		assert_non_null(strstr(e.msg, "ADDR:PORT"));
		cfg.n_peers = 0;
	}
	bgx_err_clear(&e);
	assert_int_equal(flowsync_node_open(&cfg, &n, &e), -EINVAL);  /* neither */
	cfg.listen = "127.0.0.1:9";
	cfg.datagram_bytes = 100;
	assert_int_equal(flowsync_node_open(&cfg, &n, NULL), -ERANGE);
	cfg.datagram_bytes = FLOWSYNC_MAX_BYTES + 1;
	assert_int_equal(flowsync_node_open(&cfg, &n, NULL), -ERANGE);
	cfg.datagram_bytes = 0;
	cfg.host_id = 0;
	assert_int_equal(flowsync_node_open(&cfg, &n, NULL), -EINVAL);

	/* a node refuses to queue a record its peers would refuse */
	cfg.host_id = 1;
	cfg.listen = NULL;
	cfg.peers[0] = "127.0.0.1:9";
	cfg.n_peers = 1;
	assert_int_equal(flowsync_node_open(&cfg, &n, &e), 0);
	struct flowsync_record bad_rec = record(1);
	bad_rec.value.color = 7;
	assert_int_equal(flowsync_node_queue(n, &bad_rec, NULL), -EINVAL);
	assert_int_equal(flowsync_node_flush_timeout(n), -1);
	struct flowsync_tx_stats tx;
	flowsync_node_stats(n, &tx, NULL);
	assert_int_equal(tx.records_refused, 1);
	assert_int_equal(flowsync_node_fd(n), -1);
	flowsync_node_close(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exchange_ipv4),
		cmocka_unit_test(test_exchange_ipv6),
		cmocka_unit_test(test_hostile_datagrams),
		cmocka_unit_test(test_config_refused),
	};

	return cmocka_run_group_tests_name("flow sync over UDP", tests, NULL, NULL);
}
