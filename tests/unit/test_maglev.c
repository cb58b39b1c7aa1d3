// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* maglev.c: balance, minimal disruption, weights, determinism. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "maglev.h"

static void make_backends(struct backend *b, unsigned n, unsigned base)
{
	memset(b, 0, sizeof(*b) * BGXDP_MAX_BACKENDS);
	for (unsigned i = 0; i < n; i++) {
		b[i].addr[0] = 10;
		b[i].addr[1] = 1;
		b[i].addr[2] = (__u8)((base + i) >> 8);
		b[i].addr[3] = (__u8)(base + i);
		b[i].port = htons(8080);
		b[i].family = BGXDP_FAMILY_IPV4;
		b[i].state = BACKEND_UP;
		b[i].weight = 1;
	}
}

static void counts(const struct maglev_ring *r, unsigned *c)
{
	memset(c, 0, sizeof(unsigned) * BGXDP_MAX_BACKENDS);
	for (unsigned i = 0; i < BGXDP_RING_SIZE; i++) {
		assert_true(r->slots[i] < BGXDP_MAX_BACKENDS);
		c[r->slots[i]]++;
	}
}

static void check_balance(unsigned n)
{
	struct backend b[BGXDP_MAX_BACKENDS];
	struct maglev_ring *r = calloc(1, sizeof(*r));
	unsigned c[BGXDP_MAX_BACKENDS];
	double fair = (double)BGXDP_RING_SIZE / n;

	make_backends(b, n, 1);
	assert_int_equal(maglev_build(b, BGXDP_MAX_BACKENDS, r), (int)n);
	counts(r, c);
	for (unsigned i = 0; i < n; i++) {
		double dev = ((double)c[i] - fair) / fair;

		if (dev > 0.01 || dev < -0.01)
			fail_msg("n=%u backend %u has %u slots, fair %.1f", n, i, c[i], fair);
	}
	for (unsigned i = n; i < BGXDP_MAX_BACKENDS; i++)
		assert_int_equal(c[i], 0);
	free(r);
}

static void test_balance(void **state)
{
	(void)state;
	check_balance(1);
	check_balance(3);
	check_balance(10);
	check_balance(100);
	check_balance(128);
}

static void check_disruption(unsigned n, unsigned removed)
{
	struct backend b[BGXDP_MAX_BACKENDS];
	struct maglev_ring *r1 = calloc(1, sizeof(*r1)), *r2 = calloc(1, sizeof(*r2));
	unsigned moved = 0;
	double limit = (double)BGXDP_RING_SIZE * (1.0 / n + 0.01);

	make_backends(b, n, 1);
	maglev_build(b, BGXDP_MAX_BACKENDS, r1);
	b[removed].state = BACKEND_DRAIN;
	assert_int_equal(maglev_build(b, BGXDP_MAX_BACKENDS, r2), (int)n - 1);
	for (unsigned i = 0; i < BGXDP_RING_SIZE; i++) {
		assert_int_not_equal(r2->slots[i], removed);
		moved += r1->slots[i] != r2->slots[i];
	}
	free(r1);
	free(r2);
	print_message("n=%u: removing one backend moved %u of %u slots (limit %.0f)\n",
		      n, moved, BGXDP_RING_SIZE, limit);
	if (moved > limit)
		fail_msg("n=%u: removing one moved %u slots (limit %.0f)", n, moved, limit);
}

static void test_disruption(void **state)
{
	(void)state;
	check_disruption(3, 1);
	check_disruption(10, 0);
	check_disruption(10, 9);
	check_disruption(100, 42);
}

static void test_weights(void **state)
{
	struct backend b[BGXDP_MAX_BACKENDS];
	struct maglev_ring *r = calloc(1, sizeof(*r));
	unsigned c[BGXDP_MAX_BACKENDS];
	double ratio;

	(void)state;
	make_backends(b, 2, 1);
	b[1].weight = 2;
	maglev_build(b, BGXDP_MAX_BACKENDS, r);
	counts(r, c);
	ratio = (double)c[1] / c[0];
	assert_true(ratio > 1.98 && ratio < 2.02);
	/* extreme weights: every up backend still gets slots */
	make_backends(b, 3, 1);
	b[0].weight = 1000;
	b[1].weight = 1;
	b[2].weight = 500;
	maglev_build(b, BGXDP_MAX_BACKENDS, r);
	counts(r, c);
	assert_true(c[1] >= 8 && c[1] <= 9);
	assert_true(abs((int)c[0] - 2 * (int)c[2]) <= 2);
	free(r);
}

static void test_deterministic(void **state)
{
	struct backend b[BGXDP_MAX_BACKENDS], s[BGXDP_MAX_BACKENDS];
	struct maglev_ring *r1 = calloc(1, sizeof(*r1)), *r2 = calloc(1, sizeof(*r2));

	(void)state;
	make_backends(b, 10, 1);
	maglev_build(b, BGXDP_MAX_BACKENDS, r1);
	maglev_build(b, BGXDP_MAX_BACKENDS, r2);
	assert_memory_equal(r1, r2, sizeof(*r1));
	/* same backends in other slots (another host's history): same addresses */
	memset(s, 0, sizeof(s));
	for (unsigned i = 0; i < 10; i++)
		s[20 + (i * 7) % 10] = b[i];
	maglev_build(s, BGXDP_MAX_BACKENDS, r2);
	for (unsigned i = 0; i < BGXDP_RING_SIZE; i++)
		assert_memory_equal(&b[r1->slots[i]], &s[r2->slots[i]], sizeof(struct backend));
	free(r1);
	free(r2);
}

static void test_empty(void **state)
{
	struct backend b[BGXDP_MAX_BACKENDS];
	struct maglev_ring *r = malloc(sizeof(*r));

	(void)state;
	memset(r, 0xff, sizeof(*r));
	make_backends(b, 3, 1);
	for (int i = 0; i < 3; i++)
		b[i].state = i ? BACKEND_DOWN : BACKEND_DRAIN;
	assert_int_equal(maglev_build(b, BGXDP_MAX_BACKENDS, r), 0);
	for (unsigned i = 0; i < BGXDP_RING_SIZE; i++)
		assert_int_equal(r->slots[i], 0);
	assert_int_equal(maglev_build(NULL, 0, r), 0);
	assert_true(maglev_build(b, 3, NULL) < 0);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_balance),
		cmocka_unit_test(test_disruption),
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
