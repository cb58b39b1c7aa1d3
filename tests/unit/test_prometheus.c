// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* test_prometheus.c - the Prometheus exposition of a snapshot. */
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

static int make_snapshot(void **state)
{
	struct bgx_service_view *web = &snapshot.services[0];

	(void)state;
	memset(&snapshot, 0, sizeof(snapshot));
	snapshot.n_services = 1;
	strcpy(web->name, "web");
	web->colors[BGXDP_BLUE].share_bp = 9000;
	web->colors[BGXDP_GREEN].share_bp = 1000;
	web->colors[BGXDP_GREEN].counters.packets_to_backend = 12345678901ull;
	web->colors[BGXDP_GREEN].counters.bytes_to_client = 77;
	web->colors[BGXDP_BLUE].live_flows = 3;
	web->n_backends = 2;
	strcpy(web->backends[0].address, "10.0.0.1:80");
	web->backends[0].state = BACKEND_UP;
	web->backends[0].takes_flows = true;
	web->backends[0].counters.packets = 5;
	strcpy(web->backends[1].address, "[fd00::1]:80");
	web->backends[1].color = BGXDP_GREEN;
	web->backends[1].state = BACKEND_DRAIN;
	web->colors[BGXDP_GREEN].failover = true;
	web->changes = 4;
	web->last_change_unix_ns = 1700000000250000000ull;
	snapshot.passed[PASS_NOT_VIP] = 42;
	return 0;
}

static void assert_contains(const char *text, const char *line)
{
	if (!strstr(text, line))
		fail_msg("exposition lacks: %s\n--- got:\n%s", line, text);
}

static void test_counters_and_gauges_carry_their_values(void **state)
{
	char *text = render();

	(void)state;
	assert_contains(text, "\nbgxdp_packets_total{service=\"web\",color=\"green\",direction=\"to_backend\"} 12345678901\n");
	assert_contains(text, "\nbgxdp_bytes_total{service=\"web\",color=\"green\",direction=\"to_client\"} 77\n");
	assert_contains(text, "\nbgxdp_traffic_share_ratio{service=\"web\",color=\"blue\"} 0.90000000000000002\n");
	assert_contains(text, "\nbgxdp_traffic_share_ratio{service=\"web\",color=\"green\"} 0.10000000000000001\n");
	assert_contains(text, "\nbgxdp_flows_active{service=\"web\",color=\"blue\"} 3\n");
	assert_contains(text, "\nbgxdp_backend_up{service=\"web\",color=\"blue\",backend=\"10.0.0.1:80\"} 1\n");
	assert_contains(text, "\nbgxdp_color_failover{service=\"web\",color=\"green\"} 1\n");
	assert_contains(text, "\nbgxdp_color_failover{service=\"web\",color=\"blue\"} 0\n");
	assert_contains(text, "\nbgxdp_health_ignored{service=\"web\"} 0\n");
	assert_contains(text, "\nbgxdp_backend_up{service=\"web\",color=\"green\",backend=\"[fd00::1]:80\"} 0\n");
	assert_contains(text, "\nbgxdp_backend_packets_total{service=\"web\",color=\"blue\",backend=\"10.0.0.1:80\"} 5\n");
	assert_contains(text, "\nbgxdp_config_changes_total{service=\"web\"} 4\n");
	assert_contains(text, "\nbgxdp_last_change_timestamp_seconds{service=\"web\"} 1700000000.250\n");
	assert_contains(text, "\nbgxdp_passed_packets_total{reason=\"not_vip\"} 42\n");
	assert_contains(text, "\nbgxdp_build_info{version=\"");
	free(text);
}

static void test_every_family_has_help_and_type(void **state)
{
	static const char *const families[] = {
		"bgxdp_packets_total counter", "bgxdp_bytes_total counter",
		"bgxdp_flows_created_total counter", "bgxdp_flows_lost_total counter", "bgxdp_flows_active gauge",
		"bgxdp_traffic_share_ratio gauge", "bgxdp_backend_up gauge",
		"bgxdp_backend_packets_total counter", "bgxdp_config_changes_total counter",
		"bgxdp_passed_packets_total counter",
		"bgxdp_last_change_timestamp_seconds gauge", "bgxdp_build_info gauge",
	};
	char *text = render();
	char line[128];

	(void)state;
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		snprintf(line, sizeof(line), "# TYPE %s\n", families[i]);
		assert_contains(text, line);
		snprintf(line, sizeof(line), "# HELP %.*s ", (int)strcspn(families[i], " "), families[i]);
		assert_contains(text, line);
	}
	free(text);
}

static void test_label_values_are_escaped(void **state)
{
	char *text;

	(void)state;
	strcpy(snapshot.services[0].name, "a\"b\\c\nd");
	text = render();
	assert_contains(text, "service=\"a\\\"b\\\\c\\nd\"");
	assert_null(strstr(text, "a\"b"));
	free(text);
}

static void test_no_services_still_renders_build_and_passed(void **state)
{
	char *text;

	(void)state;
	snapshot.n_services = 0;
	text = render();
	assert_null(strstr(text, "service=\""));
	assert_contains(text, "bgxdp_passed_packets_total{reason=\"malformed\"} 0\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_counters_and_gauges_carry_their_values, make_snapshot),
		cmocka_unit_test_setup(test_every_family_has_help_and_type, make_snapshot),
		cmocka_unit_test_setup(test_label_values_are_escaped, make_snapshot),
		cmocka_unit_test_setup(test_no_services_still_renders_build_and_passed, make_snapshot),
	};

	return cmocka_run_group_tests_name("prometheus", tests, NULL, NULL);
}
