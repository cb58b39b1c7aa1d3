// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* bgxdp_hash.h: share -> color bucket maths, monotone canary, affinity. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "bgxdp_hash.h"

#define NFLOWS 100000

static void flow(struct flow_key *k, __u32 i)
{
	memset(k, 0, sizeof(*k));
	k->client[0] = 192;
	k->client[1] = 168;
	k->client[2] = (__u8)(i >> 16);
	k->client[3] = (__u8)(i >> 8);
	k->client_port = htons((__u16)(1024 + (i & 0xff) * 211));
	k->vip[0] = 10;
	k->vip[3] = 1;
	k->vip_port = htons(80);
	k->proto = IPPROTO_TCP;
	k->family = BGXDP_FAMILY_IPV4;
}

static __u64 word(__u32 share, bool client)
{
	return CFG_CONFIGURED | (client ? CFG_AFFINITY_CLIENT : 0) | share;
}

static void test_share_fraction(void **state)
{
	static const __u32 shares[] = { 1000, 1, 5000, 9000 };
	struct flow_key k;

	(void)state;
	for (size_t s = 0; s < sizeof(shares) / sizeof(shares[0]); s++) {
		unsigned green = 0;

		for (__u32 i = 0; i < NFLOWS; i++) {
			flow(&k, i);
			green += bgxdp_pick_color(&k, word(shares[s], false)) == BGXDP_GREEN;
		}
		double frac = (double)green / NFLOWS, want = shares[s] / 10000.0;

		if (frac < want - 0.005 || frac > want + 0.005)
			fail_msg("share %u: %.4f green", shares[s], frac);
	}
	for (__u32 i = 0; i < 1000; i++) {
		flow(&k, i);
		assert_int_equal(bgxdp_pick_color(&k, word(0, false)), BGXDP_BLUE);
		assert_int_equal(bgxdp_pick_color(&k, word(10000, false)), BGXDP_GREEN);
	}
}

static void test_monotone(void **state)
{
	struct flow_key k;

	(void)state;
	for (__u32 i = 0; i < NFLOWS; i += 7) {
		__u32 prev = BGXDP_BLUE;

		flow(&k, i);
		for (__u32 share = 0; share <= 10000; share += 250) {
			__u32 c = bgxdp_pick_color(&k, word(share, false));

			if (prev == BGXDP_GREEN && c != BGXDP_GREEN)
				fail_msg("flow %u moved green->blue at share %u", i, share);
			prev = c;
		}
	}
}

static void test_client_affinity(void **state)
{
	struct flow_key k;
	unsigned green = 0;

	(void)state;
	for (__u32 c = 0; c < 2000; c++) {
		__u32 first;

		flow(&k, c << 8);
		first = bgxdp_pick_color(&k, word(3000, true));
		green += first == BGXDP_GREEN;
		for (__u32 p = 1; p < 50; p++) {
			k.client_port = htons((__u16)(10000 + p * 17));
			assert_int_equal(bgxdp_pick_color(&k, word(3000, true)), first);
			assert_int_equal(bgxdp_pick_ring_slot(&k, word(3000, true)),
					 bgxdp_pick_ring_slot(&k, word(3000, true)));
		}
	}
	assert_true(green > 2000 * 0.25 && green < 2000 * 0.35);
}

static void test_ring_slot_independent(void **state)
{
	/* Among green flows at 10 %, ring slots spread over the whole ring. */
	struct flow_key k;
	unsigned low = 0, n = 0;

	(void)state;
	for (__u32 i = 0; i < NFLOWS; i++) {
		flow(&k, i);
		if (bgxdp_pick_color(&k, word(1000, false)) != BGXDP_GREEN)
			continue;
		n++;
		low += bgxdp_pick_ring_slot(&k, word(1000, false)) < BGXDP_RING_SIZE / 2;
	}
	assert_true(n > 0);
	assert_true((double)low / n > 0.45 && (double)low / n < 0.55);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_share_fraction),
		cmocka_unit_test(test_monotone),
		cmocka_unit_test(test_client_affinity),
		cmocka_unit_test(test_ring_slot_independent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
