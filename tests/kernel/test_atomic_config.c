/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_atomic_config.c - proof that a packet sees one whole config word,
 * for the library's real publish and ring writer.
 *
 * The data plane is loaded in the test process, its maps pinned in a pin
 * dir of the test's own, and one service (10.0.0.1:80, three blue and three
 * green backends) configured through libbgxdp.  The main thread sends
 * new-flow SYNs through BPF_PROG_TEST_RUN (a fresh client per packet, so
 * every packet reads the config word) while writer threads change the
 * service through the library, each opening the instance as a bgxdp
 * process does (bgx_open(pin_dir, BGX_WRITE): the pin dir's lock):
 *
 * 1. One writer: share changes (bgx_share_set, one store) and, every
 *    RING_EVERY publishes, a bgx_service_update that drains or restores one
 *    backend of each color and moves the share: that word changes its share
 *    and both ring buffers at once, and the two buffers of a color hold
 *    different rings, so a packet decided by a mix of two words lands, for
 *    a fraction of flows, on a backend neither word picks.
 * 2. Two and eight writers, one change per open: share changes and backend
 *    state changes (drain, up: the color's ring rebuilt into its inactive
 *    buffer after a grace period, then published).
 *
 * What was published is learned from the library's step hook: at each
 * "published" step the writer, still holding the lock, reads the word from
 * the map and the ring each color's live buffer holds, and logs them by
 * generation.  Every packet's backend must be the one some word of its
 * window picks with that word's own rings (a ring rewritten while live, or
 * a word paired with another generation's ring, would not); generations
 * must come out gap-free, one per publish; every publish must change only
 * what its operation changes (its share, its color's ring buffer), so no
 * writer built on a stale word and lost another's update; and every
 * backend must end in the state its last change gave it.
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
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp.h"
#include "bgxdp_hash.h"
#include "bgxdp.skel.h"
#include "libbgxdp.h"
#include "helpers_frames.h"
#include "helpers_dp.h"
#include "helpers_lib.h"
#include "helpers_publish.h"

#define RUN_SECONDS   3
#define RING_EVERY    10        /* one writer: a ring-changing update every N publishes */
#define NB            3         /* backends per color; backend 0 always stays up */
#define MAX_WRITERS   8
#define LOG_WAIT_NS   2000000000ull

enum change { CHANGE_SHARE = 1, CHANGE_STATE, CHANGE_UPDATE };

/* What a writer asks, in a log record's change, backend, state, share:
 * CHANGE_SHARE: `share`; CHANGE_STATE: `backend` (color * NB + n) to
 * `state`; CHANGE_UPDATE: `share`, and backend 1 of each color to `state`
 * (the others stay up). */
struct writer {
	pthread_t thread;
	unsigned int seed;
	unsigned long publishes;
	struct pub_rec asked;           /* the change under way */
	bool single;                    /* test 1: shares and updates */
	char failed[BGX_ERR_MSG_LEN];   /* a refused call (checked by the main thread) */
};

static struct bgxdp *skel;
static char pin_dir[64];
static struct pub_log plog;             /* what was published, by generation */
static struct backend backends[BGXDP_COLORS][NB];
static __u32 gen0;                      /* the generation before the writers */
static int stop;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- the log (helpers_publish.h), filled by the step hook ----------------- */

static void log_publish(const char *op, const char *step, void *ctx)
{
	struct writer *w = ctx;

	(void)op;
	if (strcmp(step, "published"))
		return;
	pub_log_record(&plog, &w->asked);
	w->publishes++;
}

/* ---- what a packet must get -------------------------------------------- */

struct probe {
	__u32 lo, hi;                   /* generations live around the packet */
	__u32 color, slot;              /* what it got; NB: no known backend */
	struct flow_key key;
};

/* The backend a rewritten frame was sent to, by address and port. */
static void identify(const uint8_t *out, struct probe *p)
{
	p->color = p->slot = NB;
	for (__u32 c = 0; c < BGXDP_COLORS; c++)
		for (__u32 n = 0; n < NB; n++)
			if (!memcmp(out + 14 + 16, backends[c][n].addr, 4) &&
			    !memcmp(out + 34 + 2, &backends[c][n].port, 2)) {
				p->color = c;
				p->slot = n;
			}
}

/* Packet number n: a fresh client per packet, 10.64.0.0/10 x 256 ports.
 * NULL, or what went wrong (the caller stops the writers first: no cmocka
 * assertion while they run). */
static const char *send_probe(int xdp_fd, uint64_t n, struct probe *p)
{
	struct frame_spec s = { .family = 4, .proto = IPPROTO_TCP, .tcp_flags = 0x02 };
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t len, out_len;
	uint32_t ret;

	set_ipv4(s.src, 10, (uint8_t)(64 | (n >> 24 & 63)), (uint8_t)(n >> 16),
		 (uint8_t)(n >> 8));
	s.sport = (uint16_t)(20000 + (n & 0xff));
	test_vip_addr(4, s.dst);
	s.dport = TEST_VIP_PORT;
	len = build_frame(&s, in);
	p->lo = cfg_generation(pub_log_word(&plog));
	if (run_prog(xdp_fd, in, len, out, &out_len, &ret))
		return "BPF_PROG_TEST_RUN failed";
	p->hi = cfg_generation(pub_log_word(&plog));
	if (!frame_checksums_ok(out, out_len))
		return "a rewritten frame has a wrong checksum";
	identify(out, p);
	memset(&p->key, 0, sizeof(p->key));
	memcpy(p->key.client, s.src, 16);
	memcpy(p->key.vip, s.dst, 16);
	p->key.client_port = htons(s.sport);
	p->key.vip_port = htons(s.dport);
	p->key.proto = IPPROTO_TCP;
	p->key.family = BGXDP_FAMILY_IPV4;
	return NULL;
}

/* The window's records, once their writers have logged them. */
static const char *wait_logged(const struct probe *p)
{
	for (__u32 g = p->lo; g <= p->hi; g++)
		if (!pub_log_wait(&plog, g, LOG_WAIT_NS))
			return "a generation was published but never logged";
	return NULL;
}

/* Does some whole word of the window, with its rings, give what the
 * packet got? */
static bool probe_consistent(const struct probe *p)
{
	for (__u32 g = p->lo; g <= p->hi; g++) {
		__u32 c, sl;

		pub_log_choice(&plog, &p->key, &plog.recs[g], &c, &sl);
		if (c == p->color && sl == p->slot)
			return true;
	}
	return false;
}

/* Across a publish that moved the share and the ring buffers: would a torn
 * read (the share of the word before, the buffers of the word after) have
 * put this flow where neither word does? */
static bool probe_discriminating(const struct probe *p)
{
	const __u64 bufs = CFG_RING_BUFFER(BGXDP_BLUE) | CFG_RING_BUFFER(BGXDP_GREEN);
	const struct pub_rec *a = &plog.recs[p->lo], *b = &plog.recs[p->lo + 1];
	struct pub_rec mix = *b;
	__u32 ca, sa, cb, sb, cm, sm;

	if (p->hi == p->lo)
		return false;
	mix.word = (a->word & ~bufs) | (b->word & bufs);
	pub_log_choice(&plog, &p->key, a, &ca, &sa);
	pub_log_choice(&plog, &p->key, b, &cb, &sb);
	pub_log_choice(&plog, &p->key, &mix, &cm, &sm);
	return (cm != ca || sm != sa) && (cm != cb || sm != sb);
}

/* ---- the writers -------------------------------------------------------- */

static int refused(struct writer *w, int r, const struct bgx_err *e)
{
	if (r < 0 && !w->failed[0])
		snprintf(w->failed, sizeof(w->failed), "%s", e->msg);
	return r;
}

/* Test 1's ring change: backend 1 of each color drained or restored, and a
 * new share, in one publish. */
static int update_rings(struct bgx_instance *in, struct writer *w, bool drained,
			struct bgx_err *e)
{
	static struct bgx_service_target t;
	struct bgx_service_update_result res;

	memset(&t, 0, sizeof(t));
	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		t.n[c] = NB;
		for (__u32 n = 0; n < NB; n++)
			t.backends[c][n] = (struct bgx_backend_spec){
				lib_endpoint_of(&backends[c][n]), 1,
				n == 1 && drained ? BACKEND_DRAIN : BACKEND_UP };
	}
	t.green_bp = w->asked.share;
	w->asked.state = drained ? BACKEND_DRAIN : BACKEND_UP;
	return bgx_service_update(in, "web", &t, &res, e);
}

/* Multi-writer change: backend 1 or 2 of a color drained or brought up. */
static int change_state(struct bgx_instance *in, struct writer *w, struct bgx_err *e)
{
	__u32 c = (__u32)rand_r(&w->seed) % BGXDP_COLORS, n = 1 + (__u32)rand_r(&w->seed) % 2;
	struct bgx_backend_ref ref = { .service = "web", .color = c,
				       .ep = lib_endpoint_of(&backends[c][n]) };

	w->asked.change = CHANGE_STATE;
	w->asked.backend = (__s8)(c * NB + n);
	w->asked.state = rand_r(&w->seed) % 2 ? BACKEND_DRAIN : BACKEND_UP;
	return bgx_backend_set_state(in, &ref, w->asked.state, NULL, e);
}

/* One change under the lock, as one bgxdp command makes it. */
static int one_change(struct writer *w, struct bgx_instance *in, unsigned long n,
		      struct bgx_err *e)
{
	/* One writer: the shares of a stretch stay in one half, the update
	 * that ends it moves to the other, so the words on either side of a
	 * ring change mostly send a flow to different colors. */
	__u32 half = w->single ? (__u32)(n / RING_EVERY % 2) : 0;
	bool ends = w->single && n % RING_EVERY == RING_EVERY - 1;

	memset(&w->asked, 0, sizeof(w->asked));
	w->asked.backend = -1;
	w->asked.share = (__u16)(rand_r(&w->seed) % (BGXDP_SHARE_SCALE + 1));
	if (w->single)
		w->asked.share = (__u16)(((half ^ ends) * BGXDP_SHARE_SCALE / 2) +
					 rand_r(&w->seed) % (BGXDP_SHARE_SCALE / 2));
	if (ends) {
		w->asked.change = CHANGE_UPDATE;
		return update_rings(in, w, half == 0, e);
	}
	if (!w->single && rand_r(&w->seed) % 2)
		return change_state(in, w, e);
	w->asked.change = CHANGE_SHARE;
	return bgx_share_set(in, "web", w->asked.share, NULL, e);
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct bgx_instance *in = NULL;

	for (unsigned long n = 0; !__atomic_load_n(&stop, __ATOMIC_ACQUIRE); n++) {
		struct bgx_err e = { 0 };
		int r;

		/* the single writer keeps its instance (and the lock) open */
		if (!in && refused(w, bgx_open(pin_dir, BGX_WRITE, &in, &e), &e))
			break;
		bgx_set_step_hook(in, log_publish, w);
		r = one_change(w, in, n, &e);
		if (!w->single) {
			bgx_close(in);
			in = NULL;
		}
		if (refused(w, r, &e) || cfg_generation(pub_log_word(&plog)) >= PUB_MAX_GENS - 2)
			break;
		usleep(w->single ? 100 : 50 + (useconds_t)(rand_r(&w->seed) % 100));
	}
	bgx_close(in);
	return NULL;
}

/* ---- checks after a run -------------------------------------------------- */

/* Each publish changed exactly what its change asked, on top of the word
 * before it: the share, or one color's ring buffer, or (an update) the
 * share and both buffers; both colors always keep a backend. */
static void check_publishes(__u32 last)
{
	const __u64 both = CFG_HAS_BACKENDS(BGXDP_BLUE) | CFG_HAS_BACKENDS(BGXDP_GREEN);

	for (__u32 g = gen0 + 1; g <= last; g++) {
		const struct pub_rec *r = &plog.recs[g];
		__u64 prev = plog.recs[g - 1].word, flipped = 0, want;

		if (!r->word)
			fail_msg("generation %u missing: a publish that did not advance it", g);
		if (r->change == CHANGE_STATE)
			flipped = CFG_RING_BUFFER(r->backend / NB);
		else if (r->change == CHANGE_UPDATE)
			flipped = CFG_RING_BUFFER(BGXDP_BLUE) | CFG_RING_BUFFER(BGXDP_GREEN);
		want = cfg_next_generation(prev ^ flipped);
		if (r->change != CHANGE_STATE)
			want = cfg_with_share(want, r->share);
		if (r->word != want || (r->word & both) != both)
			fail_msg("generation %u: word %#llx after %#llx, expected %#llx (change %u): an update was lost",
				 g, (unsigned long long)r->word, (unsigned long long)prev,
				 (unsigned long long)want, r->change);
	}
}

/* Every backend's state is the one its last change asked for. */
static void check_backend_states(__u32 last)
{
	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		for (__u32 n = 0; n < NB; n++) {
			__u8 want = BACKEND_UP;
			__u32 key = backend_index(plog.svc, c, n);
			struct backend b;

			for (__u32 g = gen0 + 1; g <= last; g++)
				if (plog.recs[g].change == CHANGE_STATE &&
				    plog.recs[g].backend == (__s8)(c * NB + n))
					want = plog.recs[g].state;
				else if (plog.recs[g].change == CHANGE_UPDATE)
					want = n == 1 ? plog.recs[g].state : BACKEND_UP;
			assert_int_equal(bpf_map__lookup_elem(skel->maps.backends, &key,
							      sizeof(key), &b, sizeof(b), 0), 0);
			if (b.state != want)
				fail_msg("%s backend %u ends %u, its last change asked for %u",
					 c ? "green" : "blue", n, b.state, want);
		}
	}
}

/* ---- the runs ------------------------------------------------------------ */

static void run(unsigned int nwriters)
{
	static struct writer w[MAX_WRITERS];
	int xdp_fd = bpf_program__fd(skel->progs.xdp_ingress);
	uint64_t packets = 0, bad = 0, discriminating = 0, widest = 0, end;
	const char *err = NULL;
	unsigned long sum = 0;
	__u32 last;

	stop = 0;
	memset(w, 0, sizeof(w));
	for (unsigned int i = 0; i < nwriters; i++) {
		w[i].seed = i * 7 + 1;
		w[i].single = nwriters == 1;
		assert_int_equal(pthread_create(&w[i].thread, NULL, writer_main, &w[i]), 0);
	}
	end = now_ns() + RUN_SECONDS * 1000000000ull;
	while (now_ns() < end) {
		struct probe p;

		if ((err = send_probe(xdp_fd, packets++, &p)) || (err = wait_logged(&p)))
			break;
		if (p.hi - p.lo > widest)
			widest = p.hi - p.lo;
		discriminating += probe_discriminating(&p);
		if (!probe_consistent(&p) && bad++ < 5)
			print_message("%u writer(s), packet %llu: got color %u slot %u, no word of generations %u..%u with its rings picks it\n",
				      nwriters, (unsigned long long)packets, p.color, p.slot, p.lo,
				      p.hi);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < nwriters; i++)
		pthread_join(w[i].thread, NULL);
	if (err)
		fail_msg("%u writer(s), packet %llu: %s", nwriters, (unsigned long long)packets, err);
	for (unsigned int i = 0; i < nwriters; i++) {
		if (w[i].failed[0])
			fail_msg("writer %u: a library call failed: %s", i, w[i].failed);
		sum += w[i].publishes;
	}
	last = cfg_generation(pub_log_word(&plog));
	print_message("%u writer(s): %llu packets, %lu publishes (%lu", nwriters,
		      (unsigned long long)packets, sum, w[0].publishes);
	for (unsigned int i = 1; i < nwriters; i++)
		print_message(" + %lu", w[i].publishes);
	print_message("), generations %u..%u, %d distinct rings, %llu packets a torn share/buffer read would have misplaced, widest window %llu, %llu inconsistent\n",
		      gen0, last, plog.nrings, (unsigned long long)discriminating,
		      (unsigned long long)widest + 1, (unsigned long long)bad);
	assert_int_equal(plog.errors, 0);
	assert_int_equal(plog.duplicates, 0);
	assert_true(packets > 1000);
	for (unsigned int i = 0; i < nwriters; i++)
		assert_true(w[i].publishes > 0);        /* they really contended */
	assert_int_equal(sum, last - gen0);             /* one generation per publish */
	check_publishes(last);
	check_backend_states(last);
	assert_int_equal(bad, 0);
	if (nwriters == 1)
		assert_true(discriminating > 0);
}

static void test_atomic_publish(void **state)
{
	(void)state;
	run(1);
}

static void test_two_writers(void **state)
{
	(void)state;
	run(2);
}

static void test_eight_writers(void **state)
{
	(void)state;
	run(MAX_WRITERS);
}

/* web: 10.0.0.1:80, blue 10.1.0.10-12, green 10.2.0.10-12, all new flows
 * blue; backend n in slot n. */
static void configure(void)
{
	struct endpoint vip = lib_endpoint("10.0.0.1:80");
	struct bgx_instance *in = lib_open_pinned(pin_dir);
	struct pub_rec initial = { .backend = -1 };

	lib_service_add(in, "web", &vip, NULL, IPPROTO_TCP, false);
	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		for (__u32 n = 0; n < NB; n++) {
			struct endpoint ep;
			struct backend got;
			__u32 key;

			test_backend(4, (int)c, (int)n, &backends[c][n]);
			ep = lib_endpoint_of(&backends[c][n]);
			lib_backend_add(in, "web", c, &ep, 1);
			plog.svc = lib_service_id(in, "web");
			key = backend_index(plog.svc, c, n);
			assert_int_equal(bpf_map__lookup_elem(skel->maps.backends, &key, sizeof(key),
							      &got, sizeof(got), 0), 0);
			assert_memory_equal(&got, &backends[c][n], sizeof(got));
		}
	}
	bgx_close(in);
	gen0 = cfg_generation(pub_log_word(&plog));
	pub_log_record(&plog, &initial);
	assert_int_equal(plog.errors, 0);
}

static int setup(void **state)
{
	(void)state;
	skel = bgxdp__open_and_load();
	assert_non_null(skel);
	assert_int_equal(lib_pin_maps(skel->obj, "bgxac", pin_dir, sizeof(pin_dir)), 0);
	assert_int_equal(pub_log_init(&plog, skel), 0);
	configure();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pub_log_free(&plog);
	if (skel) {
		lib_unpin_maps(skel->obj, pin_dir);
		bgxdp__destroy(skel);
	}
	skel = NULL;
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
		fprintf(stderr, "test_atomic_config: needs root (BPF_PROG_TEST_RUN, bpffs); skipping\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
