// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_fleet_sync.c - the agent's flow-sync component (fleet_sync.h) on a
 * real, pinned instance, fed signed datagrams on its UDP port as peers
 * would send them:
 *
 * - a peer's flow goes into the flow table (with this host's slot), is
 *   counted, and gives a lag sample;
 * - two peers claiming one flow for different backends end on the same
 *   winner whatever order their records arrive in (flowsync_resolve: the
 *   earlier creation within the race window);
 * - a refresh (not a fresh creation) never displaces a live entry for
 *   another backend, but fills an empty place;
 * - a close makes the entry closing; a flow this host cannot place is
 *   refused and counted;
 * - a handshake through the data plane (BPF_PROG_TEST_RUN) makes a flow
 *   event: the component sends the flow to its peer and remembers its own
 *   claim, so a peer's later claim on that flow loses and an earlier one
 *   (within the race window) wins.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp.h"
#include "bgxdp.skel.h"
#include "fleet_sync.h"
#include "helpers_flow.h"
#include "helpers_lib.h"
#include "libbgxdp.h"
#include "peer_flows.h"

#define PEER_X 0x1111
#define PEER_Y 0x2222
#define MS 1000000ull

static struct bgxdp *skel;
static char pin_dir[64], key_path[64], listen_at[32];
static struct bgx_instance *in;
static struct fleet_sync *fs;
static struct flowsync_key key;
static int tx_fd;
static uint64_t sequence[2];

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int pin_instance(void)
{
	struct bgx_service_spec s = { .name = "web", .proto = IPPROTO_TCP };
	static const char *const blue[] = { "10.213.0.11:8080", "10.213.0.12:8080" };
	struct bgx_instance *w = NULL;
	struct bgx_err e = { 0 };

	skel = bgxdp__open();
	if (!skel || bpf_map__set_max_entries(skel->maps.flows, 4096) || bgxdp__load(skel) ||
	    lib_pin_maps(skel->obj, "bgxfs", pin_dir, sizeof(pin_dir)))
		return -1;
	s.vip = lib_endpoint("10.214.0.10:80");
	if (bgx_open(pin_dir, BGX_WRITE, &w, &e) || bgx_service_add(w, &s, &e))
		return -1;
	for (int i = 0; i < 2; i++) {
		struct bgx_backend_ref ref = { .service = "web", .color = BGXDP_BLUE, .ep = lib_endpoint(blue[i]) };
		struct bgx_backend_result res;

		if (bgx_backend_add(w, &ref, 1, &res, &e))
			return -1;
	}
	bgx_close(w);
	return bgx_open(pin_dir, BGX_READ, &in, &e);
}

static int setup(void **state)
{
	struct fleet_sync_settings s = { .pin_dir = pin_dir, .host = "self", .listen = listen_at,
					  .key_file = key_path };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	struct bgx_err e = { 0 };
	FILE *f;
	int fd;

	(void)state;
	if (pin_instance())
		return -1;
	/* a free port, then the key file the component reads */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (bind(fd, (struct sockaddr *)&sa, len) || getsockname(fd, (struct sockaddr *)&sa, &len))
		return -1;
	close(fd);
	snprintf(listen_at, sizeof(listen_at), "127.0.0.1:%u", ntohs(sa.sin_port));
	snprintf(key_path, sizeof(key_path), "/tmp/bgxfs-key-%d", getpid());
	for (size_t i = 0; i < sizeof(key.bytes); i++)
		key.bytes[i] = (uint8_t)(i * 7 + 1);
	f = fopen(key_path, "w");
	if (!f || chmod(key_path, 0600))
		return -1;
	for (size_t i = 0; i < sizeof(key.bytes); i++)
		fprintf(f, "%02x", key.bytes[i]);
	fclose(f);
	s.peers[0] = "127.0.0.1:9";             /* a peer that listens to nobody */
	s.n_peers = 1;
	if (fleet_sync_start(&s, &fs, &e)) {
		fprintf(stderr, "fleet_sync_start: %s\n", e.msg);
		return -1;
	}
	tx_fd = socket(AF_INET, SOCK_DGRAM, 0);
	sequence[0] = sequence[1] = real_ns();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fleet_sync_stop(fs);
	close(tx_fd);
	unlink(key_path);
	bgx_close(in);
	lib_unpin_maps(skel->obj, pin_dir);
	bgxdp__destroy(skel);
	return 0;
}

/* ---- a peer's records ---- */

static struct flowsync_record rec(uint8_t type, uint16_t client_port, const char *backend,
				  uint64_t created_ns)
{
	struct flowsync_record r = { .type = type, .created_ns = created_ns };
	struct endpoint b = lib_endpoint(backend);

	r.key.family = BGXDP_FAMILY_IPV4;
	r.key.proto = IPPROTO_TCP;
	inet_pton(AF_INET, "192.168.9.1", r.key.client);
	inet_pton(AF_INET, "10.214.0.10", r.key.vip);
	r.key.client_port = htons(client_port);
	r.key.vip_port = htons(80);
	memcpy(r.value.backend, b.addr, BGXDP_ADDR_LEN);
	r.value.backend_port = htons(b.port);
	r.value.color = BGXDP_BLUE;
	return r;
}

static void send_from(uint64_t peer, const struct flowsync_record *r)
{
	struct flowsync_header h = { .host_id = peer, .sent_ns = real_ns(), .count = 1 };
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint8_t buf[FLOWSYNC_MAX_BYTES];
	size_t len;

	h.sequence = ++sequence[peer == PEER_Y];
	len = flowsync_encode(&key, &h, r, 1, buf, sizeof(buf));
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	to.sin_port = htons((uint16_t)atoi(strchr(listen_at, ':') + 1));
	assert_int_equal(sendto(tx_fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)len);
}

/* Up to 2 s until the component has taken `n` datagrams in all. */
static void settle(uint64_t n)
{
	struct fleet_sync_stats st;

	for (int i = 0; i < 200; i++) {
		fleet_sync_get_stats(fs, &st);
		if (st.rx.datagrams[FLOWSYNC_ACCEPTED] >= n)
			return;
		usleep(10000);
	}
	fail_msg("the component took %llu datagrams, want %llu",
		 (unsigned long long)st.rx.datagrams[FLOWSYNC_ACCEPTED], (unsigned long long)n);
}

static uint64_t sent;

static void deliver(uint64_t peer, const struct flowsync_record *r)
{
	send_from(peer, r);
	settle(++sent);
}

/* The backend the flow table holds for client port `port` ("" none). */
static const char *backend_of(uint16_t port, uint8_t *state)
{
	static char text[64];
	struct flowsync_record probe = rec(FLOWSYNC_UPSERT, port, "10.213.0.11:8080", 1);
	struct flow_value v;

	if (bgx_flow_get(in, &probe.key, &v, NULL))
		return "";
	format_endpoint(v.backend, v.backend_port, BGXDP_FAMILY_IPV4, text, sizeof(text));
	if (state)
		*state = v.state;
	return text;
}

static void test_peer_flow_in(void **state)
{
	struct flowsync_record r = rec(FLOWSYNC_UPSERT, 1000, "10.213.0.12:8080", real_ns());
	struct fleet_sync_stats st;

	(void)state;
	deliver(PEER_X, &r);
	assert_string_equal(backend_of(1000, NULL), "10.213.0.12:8080");
	fleet_sync_get_stats(fs, &st);
	assert_int_equal(st.applied[BGX_FLOW_INSERTED], 1);
	assert_int_equal(st.lag_count, 1);
	assert_true(fleet_sync_lag_quantile(fs, 0.5) >= 0 && fleet_sync_lag_quantile(fs, 0.5) < 1);
}

static void test_conflict_same_winner_either_order(void **state)
{
	uint64_t t = real_ns();
	struct flowsync_record x1 = rec(FLOWSYNC_UPSERT, 2000, "10.213.0.11:8080", t);
	struct flowsync_record y1 = rec(FLOWSYNC_UPSERT, 2000, "10.213.0.12:8080", t + MS);
	struct flowsync_record x2 = rec(FLOWSYNC_UPSERT, 2001, "10.213.0.11:8080", t);
	struct flowsync_record y2 = rec(FLOWSYNC_UPSERT, 2001, "10.213.0.12:8080", t + MS);
	struct fleet_sync_stats before, after;

	(void)state;
	fleet_sync_get_stats(fs, &before);
	/* the earlier claim first: the later one loses */
	deliver(PEER_X, &x1);
	deliver(PEER_Y, &y1);
	assert_string_equal(backend_of(2000, NULL), "10.213.0.11:8080");
	/* the later claim first: the earlier one replaces it */
	deliver(PEER_Y, &y2);
	assert_string_equal(backend_of(2001, NULL), "10.213.0.12:8080");
	deliver(PEER_X, &x2);
	assert_string_equal(backend_of(2001, NULL), "10.213.0.11:8080");
	fleet_sync_get_stats(fs, &after);
	assert_int_equal(after.rejected[FLEET_REJECT_CONFLICT] - before.rejected[FLEET_REJECT_CONFLICT], 1);
	assert_int_equal(after.conflicts_local - before.conflicts_local, 1);
	assert_int_equal(after.conflicts_remote - before.conflicts_remote, 1);
}

static void test_refresh_never_displaces(void **state)
{
	struct flowsync_record live = rec(FLOWSYNC_UPSERT, 3000, "10.213.0.11:8080", real_ns());
	struct flowsync_record stale = rec(FLOWSYNC_UPSERT, 3000, "10.213.0.12:8080", 1);
	struct flowsync_record lone = rec(FLOWSYNC_UPSERT, 3001, "10.213.0.12:8080", 1);

	(void)state;
	deliver(PEER_X, &live);
	deliver(PEER_Y, &stale);
	assert_string_equal(backend_of(3000, NULL), "10.213.0.11:8080");
	deliver(PEER_Y, &lone);                 /* nothing there: it goes in */
	assert_string_equal(backend_of(3001, NULL), "10.213.0.12:8080");
}

static void test_close_and_refusal(void **state)
{
	struct flowsync_record open_r = rec(FLOWSYNC_UPSERT, 4000, "10.213.0.11:8080", real_ns());
	struct flowsync_record close_r = rec(FLOWSYNC_CLOSE, 4000, "10.213.0.11:8080", real_ns());
	struct flowsync_record nowhere = rec(FLOWSYNC_UPSERT, 4001, "10.213.0.99:8080", real_ns());
	struct fleet_sync_stats st;
	uint8_t s = FLOW_OPEN;

	(void)state;
	deliver(PEER_X, &open_r);
	deliver(PEER_X, &close_r);
	assert_string_equal(backend_of(4000, &s), "10.213.0.11:8080");
	assert_int_equal(s, FLOW_CLOSING);
	deliver(PEER_X, &nowhere);
	assert_string_equal(backend_of(4001, NULL), "");
	fleet_sync_get_stats(fs, &st);
	assert_int_equal(st.rejected[FLEET_REJECT_NO_BACKEND], 1);
}

/* The handshake of client port `port` through the data plane; its
 * backend (what the SYN picked) in `picked`. */
static void handshake(uint16_t port, struct backend *picked)
{
	struct frame_spec c = { .family = 4, .proto = IPPROTO_TCP, .tcp_flags = TCP_SYN,
				.payload_len = 11, .sport = port, .dport = 80 };
	struct halfopen_value ho;
	struct flow_key k;

	set_ipv4(c.src, 192, 168, 9, 1);
	set_ipv4(c.dst, 10, 214, 0, 10);
	assert_int_equal(test_send(bpf_program__fd(skel->progs.xdp_ingress), &c, NULL, NULL), 0);
	test_flow_key(&c, &k);
	assert_int_equal(test_halfopen_get(skel, &k, &ho), 0);
	memset(picked, 0, sizeof(*picked));
	memcpy(picked->addr, ho.flow.backend, BGXDP_ADDR_LEN);
	picked->port = ho.flow.backend_port;
	picked->family = BGXDP_FAMILY_IPV4;
	picked->state = BACKEND_UP;
	assert_int_equal(test_handshake(skel, bpf_program__fd(skel->progs.xdp_ingress),
					bpf_program__fd(skel->progs.tc_egress), &c, picked, 1000), 0);
}

/* Up to 2 s until the component has read `n` established events in all. */
static void events_read(uint64_t n)
{
	struct fleet_sync_stats st;

	for (int i = 0; i < 200; i++) {
		fleet_sync_get_stats(fs, &st);
		if (st.events[FLOW_EVENT_ESTABLISHED] >= n)
			return;
		usleep(10000);
	}
	fail_msg("%llu established events read, want %llu",
		 (unsigned long long)st.events[FLOW_EVENT_ESTABLISHED], (unsigned long long)n);
}

static const char *other_than(const struct backend *b)
{
	struct endpoint e11 = lib_endpoint("10.213.0.11:8080");

	return memcmp(b->addr, e11.addr, 4) ? "10.213.0.11:8080" : "10.213.0.12:8080";
}

static void test_local_claim_settles(void **state)
{
	struct fleet_sync_stats before, after;
	struct backend mine, mine2;
	char mine_text[64];
	uint64_t t;

	(void)state;
	fleet_sync_get_stats(fs, &before);
	if (!before.events_up) {
		print_message("skipped: the data plane has no flow events\n");
		skip();
	}
	/* a peer claims the flow after this host made it: this host's claim wins */
	handshake(5000, &mine);
	t = real_ns();
	events_read(before.events[FLOW_EVENT_ESTABLISHED] + 1);
	{
		struct flowsync_record later = rec(FLOWSYNC_UPSERT, 5000, other_than(&mine), t + MS);

		deliver(PEER_X, &later);
	}
	format_endpoint(mine.addr, mine.port, BGXDP_FAMILY_IPV4, mine_text, sizeof(mine_text));
	assert_string_equal(backend_of(5000, NULL), mine_text);
	/* a peer claims it earlier (the same connection raced): the peer's wins */
	handshake(5001, &mine2);
	t = real_ns();
	events_read(before.events[FLOW_EVENT_ESTABLISHED] + 2);
	{
		struct flowsync_record earlier = rec(FLOWSYNC_UPSERT, 5001, other_than(&mine2),
						     t - 100 * MS);

		deliver(PEER_X, &earlier);
		assert_string_equal(backend_of(5001, NULL), other_than(&mine2));
	}
	fleet_sync_get_stats(fs, &after);
	assert_int_equal(after.conflicts_local - before.conflicts_local, 1);
	assert_int_equal(after.conflicts_remote - before.conflicts_remote, 1);
	assert_true(after.tx.records_sent >= before.tx.records_sent + 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peer_flow_in),
		cmocka_unit_test(test_conflict_same_winner_either_order),
		cmocka_unit_test(test_refresh_never_displaces),
		cmocka_unit_test(test_close_and_refusal),
		cmocka_unit_test(test_local_claim_settles),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
