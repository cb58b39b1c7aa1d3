/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_atomic_config.c - proof that a packet sees one whole config word.
 *
 * A sender thread runs new-flow SYNs (every packet a new client addr/port,
 * so every packet takes the miss path and reads the config word) through
 * BPF_PROG_TEST_RUN while a publisher thread stores thousands of words
 * into the mmap-ed svc_config with cfg_publish().  Consecutive words differ
 * in the green share AND in both ring buffers, and the two ring buffers of
 * a color hold different layouts, so a packet decided by a mix of two
 * words lands, for a good fraction of flows, on a backend neither word
 * picks.  Each packet's backend (read from its rewritten dst addr/port)
 * must equal the userspace choice under one of the words that could have
 * been live while it ran.
 *
 * Then the same with 2 and with 8 writer threads that publish the way the
 * CLI does: each takes the pin dir's exclusive flock (its own open of the
 * directory, as each bgxdp process has), reads the live word, writes both
 * colors' inactive ring buffers with a layout unique to the next
 * generation, publishes the word of that generation and unlocks.  Every
 * packet must match a word of its window with that word's own ring layout
 * (a ring rewritten while live, or a word paired with another generation's
 * ring, would not), and the generations must come out gap-free, one per
 * publish: no writer lost another's update.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/file.h>
#include <fcntl.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp.h"
#include "bgxdp_hash.h"
#include "config_word.h"
#include "bgxdp.skel.h"
#include "helpers_frames.h"
#include "helpers_dp.h"

#define RUN_SECONDS   3
#define MAX_WORDS     (1 << 20)
#define RING_SWITCH_EVERY 100

static struct bgxdp *skel;
static volatile __u64 *config;       /* mmap of svc_config */
static uint64_t *word_log;              /* every word published, in order */
static uint64_t published;              /* word_log[0..published) are out */
static int stop;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Alternate: low share + buffers 0/0, high share + buffers 1/1. */
static uint64_t make_word(uint64_t n, unsigned int *seed)
{
	uint64_t w = test_word(0) | (n << CFG_GEN_SHIFT);

	if (n & 1)
		return w | (5000 + rand_r(seed) % 5001) |
		       CFG_RING_BUFFER(BGXDP_BLUE) | CFG_RING_BUFFER(BGXDP_GREEN);
	return w | (rand_r(seed) % 5000);
}

/* Rewrite a ring buffer with the layout it must hold (the CLI's order:
 * inactive buffer first, then the word that makes it live). */
static void write_ring(uint32_t color, uint32_t buffer)
{
	static struct maglev_ring ring;
	uint32_t idx = ring_index(SVC4, color, buffer);

	for (uint32_t i = 0; i < BGXDP_RING_SIZE; i++)
		ring.slots[i] = test_ring_backend(buffer, i);
	bpf_map__update_elem(skel->maps.maglev_rings, &idx, 4, &ring,
			     sizeof(ring), 0);
}

static void *publisher(void *arg)
{
	unsigned int seed = 42;
	uint64_t n;

	(void)arg;
	for (n = 1; n < MAX_WORDS && !__atomic_load_n(&stop, __ATOMIC_ACQUIRE); n++) {
		uint64_t w = make_word(n, &seed);

		if (n % RING_SWITCH_EVERY == 0) {
			/* the buffers about to become live are inactive now */
			write_ring(BGXDP_BLUE, cfg_ring_buffer(w, BGXDP_BLUE));
			write_ring(BGXDP_GREEN, cfg_ring_buffer(w, BGXDP_GREEN));
		}
		/* Log first, then make it visible to packets, then count it:
		 * while published == n the map holds word n or word n + 1. */
		__atomic_store_n(&word_log[n], w, __ATOMIC_RELEASE);
		cfg_publish(&config[SVC4], w);
		__atomic_store_n(&published, n, __ATOMIC_RELEASE);
		/* Let each word live for a few packets, so each packet's window
		 * of possible words stays one or two wide. */
		usleep(100);
	}
	return NULL;
}

/* Backend (color, slot) a flow gets under `word`. */
static void choice(const struct flow_key *k, uint64_t word, uint32_t *color,
		   uint32_t *slot)
{
	uint32_t c = bgxdp_pick_color(k, word);

	*color = c;
	*slot = test_ring_backend(cfg_ring_buffer(word, c),
				  bgxdp_pick_ring_slot(k, word));
}

/* One packet of a fresh client sent while words are being published: the
 * window of words that may have been live, and what the packet got. */
struct probe {
	uint64_t lo, hi;                /* word_log[lo..hi] */
	uint32_t got_color, got_slot;   /* 99: no known backend */
	struct flow_key key;
};

typedef void (*choice_fn)(const struct flow_key *k, uint64_t word, uint32_t *color,
			  uint32_t *slot);

/* Packet number n: a fresh client per packet, 10.64.0.0/10 x 256 ports. */
static void send_probe(int xdp_fd, uint64_t n, struct probe *p)
{
	struct frame_spec s = { .family = 4, .proto = IPPROTO_TCP,
				.tcp_flags = 0x02, .payload_len = 0 };
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t len, out_len;
	uint32_t ret;

	set_ipv4(s.src, 10, 64 | (n >> 24 & 63), n >> 16 & 0xff, n >> 8 & 0xff);
	s.sport = (uint16_t)(20000 + (n & 0xff));
	test_vip_addr(4, s.dst);
	s.dport = TEST_VIP_PORT;
	len = build_frame(&s, in);

	p->lo = __atomic_load_n(&published, __ATOMIC_ACQUIRE);
	assert_int_equal(run_prog(xdp_fd, in, len, out, &out_len, &ret), 0);
	p->hi = __atomic_load_n(&published, __ATOMIC_ACQUIRE);
	/* the word after `hi` may already be in the map */
	if (p->hi + 1 < MAX_WORDS && __atomic_load_n(&word_log[p->hi + 1], __ATOMIC_ACQUIRE))
		p->hi++;

	p->got_color = p->got_slot = 99;
	for (uint32_t c = 0; c < BGXDP_COLORS; c++)
		for (uint32_t sl = 0; sl < TEST_BACKENDS; sl++) {
			struct backend b;

			test_backend(4, c, sl, &b);
			if (!memcmp(out + 14 + 16, b.addr, 4) && !memcmp(out + 34 + 2, &b.port, 2)) {
				p->got_color = c;
				p->got_slot = sl;
			}
		}
	assert_true(frame_checksums_ok(out, out_len));

	memset(&p->key, 0, sizeof(p->key));
	memcpy(p->key.client, s.src, 16);
	memcpy(p->key.vip, s.dst, 16);
	p->key.client_port = htons(s.sport);
	p->key.vip_port = htons(s.dport);
	p->key.proto = IPPROTO_TCP;
	p->key.family = BGXDP_FAMILY_IPV4;
}

/* Does some whole word of the probe's window give what the packet got? */
static bool probe_consistent(const struct probe *p, choice_fn choice)
{
	for (uint64_t i = p->lo; i <= p->hi; i++) {
		uint64_t w = __atomic_load_n(&word_log[i], __ATOMIC_ACQUIRE);
		uint32_t c, sl;

		if (!w)
			continue;
		choice(&p->key, w, &c, &sl);
		if (c == p->got_color && sl == p->got_slot)
			return true;
	}
	return false;
}

static void test_atomic_publish(void **state)
{
	uint64_t packets = 0, discriminating = 0, bad = 0, max_window = 0;
	uint64_t narrow = 0;     /* packets whose window held <= 2 words */
	int xdp_fd = bpf_program__fd(skel->progs.xdp_ingress);
	pthread_t pub;
	uint64_t end;

	(void)state;
	word_log[0] = test_word(0);
	cfg_publish(&config[SVC4], word_log[0]);
	published = 0;
	assert_int_equal(pthread_create(&pub, NULL, publisher, NULL), 0);

	end = now_ns() + RUN_SECONDS * 1000000000ull;
	while (now_ns() < end) {
		struct probe p;
		uint64_t lo, hi;

		send_probe(xdp_fd, packets++, &p);
		lo = p.lo;
		hi = p.hi;
		if (hi - lo > max_window)
			max_window = hi - lo;
		if (hi - lo <= 1)
			narrow++;
		/* Would a torn read (share of one word, ring buffers of its
		 * neighbour) have put this flow where neither word does? */
		if (hi > lo) {
			const uint64_t bufs = CFG_RING_BUFFER(BGXDP_BLUE) |
					      CFG_RING_BUFFER(BGXDP_GREEN);
			uint64_t a = __atomic_load_n(&word_log[lo], __ATOMIC_ACQUIRE);
			uint64_t b = __atomic_load_n(&word_log[lo + 1], __ATOMIC_ACQUIRE);
			uint64_t mix = (a & ~bufs) | (b & bufs);
			uint32_t ca, sa, cb, sb, cm, sm;

			choice(&p.key, a, &ca, &sa);
			choice(&p.key, b, &cb, &sb);
			choice(&p.key, mix, &cm, &sm);
			if ((cm != ca || sm != sa) && (cm != cb || sm != sb))
				discriminating++;
		}
		if (!probe_consistent(&p, choice)) {
			if (bad < 5)
				print_message("packet %llu: got color %u slot %u, "
					      "no word in [%llu..%llu] picks it\n",
					      (unsigned long long)packets, p.got_color,
					      p.got_slot, (unsigned long long)lo,
					      (unsigned long long)hi);
			bad++;
		}
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(pub, NULL);

	print_message("atomic config: %llu packets, %llu words published, "
		      "%llu packets a torn share/buffer read would have misplaced "
		      "(seen across a publish), "
		      "%llu packets with a window of <= 2 words (widest %llu), "
		      "%llu inconsistent\n",
		      (unsigned long long)packets,
		      (unsigned long long)published,
		      (unsigned long long)discriminating,
		      (unsigned long long)narrow,
		      (unsigned long long)max_window + 1,
		      (unsigned long long)bad);
	assert_true(packets > 1000);
	assert_true(published > 1000);
	assert_true(discriminating > 0);
	assert_int_equal(bad, 0);
}


/* ---- 2 and 8 writers, serialized as the CLI is ---------------------------- */

static char lock_dir[] = "/tmp/bgxdp-atomic-XXXXXX";
static uint64_t publishes[8];           /* per writer */

/* Backend slot of ring slot `rs` in the ring published with generation
 * `gen` for `color`: differs between generations for about half the slots. */
static uint32_t gen_ring_backend(uint64_t gen, uint32_t color, uint32_t rs)
{
	return (uint32_t)(((rs * 2654435761u) ^ (uint32_t)(gen * 40503u + color * 7919u)) >> 13) %
	       TEST_BACKENDS;
}

static void gen_choice(const struct flow_key *k, uint64_t word, uint32_t *color,
		       uint32_t *slot)
{
	*color = bgxdp_pick_color(k, word);
	*slot = gen_ring_backend(cfg_generation(word), *color, bgxdp_pick_ring_slot(k, word));
}

static void write_gen_ring(uint64_t gen, uint32_t color, uint32_t buffer)
{
	static __thread struct maglev_ring ring;
	uint32_t idx = ring_index(SVC4, color, buffer);

	for (uint32_t i = 0; i < BGXDP_RING_SIZE; i++)
		ring.slots[i] = gen_ring_backend(gen, color, i);
	bpf_map__update_elem(skel->maps.maglev_rings, &idx, 4, &ring, sizeof(ring), 0);
}

static void *locked_writer(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	unsigned int seed = (unsigned int)id * 7 + 1;
	int fd = open(lock_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		uint64_t cur, gen, w;

		if (flock(fd, LOCK_EX))
			break;
		cur = cfg_read(&config[SVC4]);
		gen = cfg_generation(cur) + 1;
		if (gen >= MAX_WORDS) {
			flock(fd, LOCK_UN);
			break;
		}
		/* share and both buffers change every time */
		w = (test_word(0) | (gen << CFG_GEN_SHIFT) | (rand_r(&seed) % 10001)) |
		    ((cur & (CFG_RING_BUFFER(BGXDP_BLUE) | CFG_RING_BUFFER(BGXDP_GREEN))) ^
		     (CFG_RING_BUFFER(BGXDP_BLUE) | CFG_RING_BUFFER(BGXDP_GREEN)));
		/* As color_prepare_ring(): no packet of the word before
		 * `cur` may still read the buffers about to be rewritten. */
		cfg_wait_for_readers();
		write_gen_ring(gen, BGXDP_BLUE, cfg_ring_buffer(w, BGXDP_BLUE));
		write_gen_ring(gen, BGXDP_GREEN, cfg_ring_buffer(w, BGXDP_GREEN));
		__atomic_store_n(&word_log[gen], w, __ATOMIC_RELEASE);
		cfg_publish(&config[SVC4], w);
		__atomic_store_n(&published, gen, __ATOMIC_RELEASE);
		publishes[id]++;
		flock(fd, LOCK_UN);
		usleep(50 + rand_r(&seed) % 100);
	}
	close(fd);
	return NULL;
}

static void run_writers(unsigned int writers)
{
	uint64_t packets = 0, bad = 0, sum = 0, gaps = 0;
	int xdp_fd = bpf_program__fd(skel->progs.xdp_ingress);
	pthread_t th[8];
	uint64_t end;

	/* generation 0: both buffers 0, written with layout 0 */
	memset(word_log, 0, MAX_WORDS * sizeof(*word_log));
	word_log[0] = test_word(0);
	write_gen_ring(0, BGXDP_BLUE, 0);
	write_gen_ring(0, BGXDP_GREEN, 0);
	cfg_publish(&config[SVC4], word_log[0]);
	published = 0;
	stop = 0;
	memset(publishes, 0, sizeof(publishes));
	assert_non_null(mkdtemp(lock_dir));
	for (uintptr_t i = 0; i < writers; i++)
		assert_int_equal(pthread_create(&th[i], NULL, locked_writer, (void *)i), 0);

	end = now_ns() + RUN_SECONDS * 1000000000ull;
	while (now_ns() < end) {
		struct probe p;

		send_probe(xdp_fd, packets++, &p);
		if (!probe_consistent(&p, gen_choice)) {
			if (bad < 5)
				print_message("%u writers, packet %llu: got color %u slot %u, no word "
					      "of generations %llu..%llu with its ring picks it\n",
					      writers, (unsigned long long)packets, p.got_color,
					      p.got_slot, (unsigned long long)p.lo,
					      (unsigned long long)p.hi);
			bad++;
		}
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < writers; i++)
		pthread_join(th[i], NULL);
	rmdir(lock_dir);
	memcpy(lock_dir + strlen(lock_dir) - 6, "XXXXXX", 6);

	for (unsigned int i = 0; i < writers; i++)
		sum += publishes[i];
	for (uint64_t g = 1; g <= published; g++)
		gaps += cfg_generation(word_log[g]) != g;
	print_message("%u writers: %llu packets, %llu publishes (%llu", writers,
		      (unsigned long long)packets, (unsigned long long)sum,
		      (unsigned long long)publishes[0]);
	for (unsigned int i = 1; i < writers; i++)
		print_message(" + %llu", (unsigned long long)publishes[i]);
	print_message("), last generation %llu, %llu generations missing, %llu packets "
		      "inconsistent\n", (unsigned long long)published,
		      (unsigned long long)gaps, (unsigned long long)bad);
	assert_true(packets > 1000);
	for (unsigned int i = 0; i < writers; i++)
		assert_true(publishes[i] > 0);             /* they really contended */
	assert_int_equal(sum, published);                /* one generation per publish */
	assert_int_equal(cfg_generation(cfg_read(&config[SVC4])), published);
	assert_int_equal(gaps, 0);
	assert_int_equal(bad, 0);
}

static void test_two_writers(void **state)
{
	(void)state;
	run_writers(2);
}

static void test_eight_writers(void **state)
{
	(void)state;
	run_writers(8);
}

static int setup(void **state)
{
	size_t size = (BGXDP_MAX_SERVICES * sizeof(uint64_t) + 4095) & ~4095ul;
	void *p;

	(void)state;
	skel = bgxdp__open_and_load();
	if (!skel)
		return -1;
	if (test_populate(skel, test_word(0)))
		return -1;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 bpf_map__fd(skel->maps.svc_config), 0);
	if (p == MAP_FAILED)
		return -1;
	config = p;
	word_log = calloc(MAX_WORDS, sizeof(*word_log));
	return word_log ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	munmap((void *)config, 4096);
	free(word_log);
	bgxdp__destroy(skel);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_atomic_publish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eight_writers, setup, teardown),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_atomic_config: needs root for BPF_PROG_TEST_RUN; skipping\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
