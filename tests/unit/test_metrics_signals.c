// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_metrics_signals.c - the exposition of the flood counters and the
 * passive backend signals: half-open evictions and promotions per color,
 * SYNs / SYN-ACKs / RSTs per backend, and the handshake-time histogram
 * (cumulative buckets, the `le` values of include/bgxdp.h, _count equal to
 * the +Inf bucket).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "prometheus.h"

static struct bgx_snapshot snapshot;

static char *render(void)
{
	char *text = NULL;
	size_t length = 0;
	FILE *out = open_memstream(&text, &length);

	assert_non_null(out);
	assert_int_equal(prometheus_render(out, &snapshot), 0);
	fclose(out);
	return text;
}

static void assert_contains(const char *text, const char *line)
{
	if (!strstr(text, line))
		fail_msg("exposition lacks: %s\n--- got:\n%s", line, text);
}

static int make_snapshot(void **state)
{
	struct bgx_service_view *web = &snapshot.services[0];
	struct bgx_backend_view *b = &web->backends[0];

	(void)state;
	memset(&snapshot, 0, sizeof(snapshot));
	snapshot.n_services = 1;
	strcpy(web->name, "web");
	web->colors[BGXDP_GREEN].counters.halfopen_evicted = 123456;
	web->colors[BGXDP_BLUE].counters.flows_promoted = 77;
	web->n_backends = 1;
	strcpy(b->address, "10.0.0.1:80");
	b->state = BACKEND_UP;
	b->counters.syns = 40;
	b->counters.synacks = 38;
	b->counters.resets = 2;
	/* 3 handshakes <= 100 us, 1 in (1 ms, 2.5 ms], 2 beyond 3 s. */
	b->connect.buckets[0] = 3;
	b->connect.buckets[4] = 1;
	b->connect.buckets[BGXDP_CONNECT_BUCKETS - 1] = 2;
	b->connect.count = 6;
	b->connect.sum_ns = 7250000000ull;
	return 0;
}

static void test_flood_counters_per_color(void **state)
{
	char *text = render();

	(void)state;
	assert_contains(text, "# TYPE bgxdp_flows_halfopen_evicted_total counter\n");
	assert_contains(text, "\nbgxdp_flows_halfopen_evicted_total{service=\"web\",color=\"green\"} 123456\n");
	assert_contains(text, "\nbgxdp_flows_halfopen_evicted_total{service=\"web\",color=\"blue\"} 0\n");
	assert_contains(text, "\nbgxdp_flows_promoted_total{service=\"web\",color=\"blue\"} 77\n");
	free(text);
}

static void test_backend_signals(void **state)
{
	char *text = render();
	const char *labels = "{service=\"web\",color=\"blue\",backend=\"10.0.0.1:80\"}";
	char line[256];

	(void)state;
	snprintf(line, sizeof(line), "\nbgxdp_backend_syns_total%s 40\n", labels);
	assert_contains(text, line);
	snprintf(line, sizeof(line), "\nbgxdp_backend_synacks_total%s 38\n", labels);
	assert_contains(text, line);
	snprintf(line, sizeof(line), "\nbgxdp_backend_resets_total%s 2\n", labels);
	assert_contains(text, line);
	/* Per backend only: no per-color sample of the same family. */
	assert_null(strstr(text, "bgxdp_backend_resets_total{service=\"web\",color=\"blue\"}"));
	free(text);
}

static void test_connect_histogram_is_cumulative(void **state)
{
	static const char *const want[] = {
		"le=\"0.0001\"} 3\n", "le=\"0.00025\"} 3\n", "le=\"0.0005\"} 3\n",
		"le=\"0.001\"} 3\n", "le=\"0.0025\"} 4\n", "le=\"0.005\"} 4\n",
		"le=\"0.01\"} 4\n", "le=\"0.025\"} 4\n", "le=\"0.05\"} 4\n",
		"le=\"0.1\"} 4\n", "le=\"0.25\"} 4\n", "le=\"0.5\"} 4\n",
		"le=\"1\"} 4\n", "le=\"3\"} 4\n", "le=\"+Inf\"} 6\n",
	};
	const char *prefix = "\nbgxdp_backend_connect_seconds_bucket{service=\"web\",color=\"blue\",backend=\"10.0.0.1:80\",";
	char *text = render();
	const char *at = text;
	char line[256];

	(void)state;
	assert_contains(text, "# TYPE bgxdp_backend_connect_seconds histogram\n");
	/* Every bucket, in order of their bounds. */
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(line, sizeof(line), "%s%s", prefix, want[i]);
		at = strstr(at, line);
		if (!at)
			fail_msg("bucket %zu missing or out of order: %s", i, line);
	}
	assert_contains(text, "\nbgxdp_backend_connect_seconds_sum{service=\"web\",color=\"blue\",backend=\"10.0.0.1:80\"} 7.250000000\n");
	assert_contains(text, "\nbgxdp_backend_connect_seconds_count{service=\"web\",color=\"blue\",backend=\"10.0.0.1:80\"} 6\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_flood_counters_per_color, make_snapshot),
		cmocka_unit_test_setup(test_backend_signals, make_snapshot),
		cmocka_unit_test_setup(test_connect_histogram_is_cumulative, make_snapshot),
	};

	return cmocka_run_group_tests_name("metrics_signals", tests, NULL, NULL);
}
