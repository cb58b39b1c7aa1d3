// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * promql.c against a real Prometheus (Debian's `prometheus`): the test
 * serves a tiny exporter (libmicrohttpd, in this process), starts
 * Prometheus on a free loopback port with a temp config and storage,
 * waits (bounded) for the first scrape, and asks real queries.  Prometheus
 * dies with this process (PR_SET_PDEATHSIG) and is stopped and its temp
 * dir removed in the group teardown.  Skipped, with the reason, when the
 * prometheus binary is not installed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <microhttpd.h>
#include "promql.h"

#define STARTUP_TRIES 300      /* x 100 ms: Prometheus up and one scrape done */

static const char exposition[] =
	"# TYPE test_requests_total counter\n"
	"test_requests_total{code=\"200\"} 40\n"
	"test_requests_total{code=\"500\"} 2\n"
	"# TYPE test_temperature_celsius gauge\n"
	"test_temperature_celsius 21.5\n";

static struct MHD_Daemon *exporter;
static pid_t prometheus_pid;
static char tmpdir[64];
static char url[64];
static bool available;

static enum MHD_Result serve_metrics(void *cls, struct MHD_Connection *c, const char *u,
				     const char *method, const char *version, const char *upload,
				     size_t *upload_size, void **state)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls, (void)u, (void)method, (void)version, (void)upload, (void)upload_size,
	(void)state;
	r = MHD_create_response_from_buffer(strlen(exposition), (void *)exposition,
					    MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
	ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static unsigned short free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unsigned short p = 0;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		p = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return p;
}

static int write_config(unsigned short exporter_port)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/prometheus.yml", tmpdir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
		   "scrape_configs:\n  - job_name: fake\n    static_configs:\n"
		   "      - targets: ['127.0.0.1:%u']\n", exporter_port);
	return fclose(f);
}

static void exec_prometheus(unsigned short port)
{
	char config[128], storage[128], listen[64], log[128];
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	snprintf(config, sizeof(config), "--config.file=%s/prometheus.yml", tmpdir);
	snprintf(storage, sizeof(storage), "--storage.tsdb.path=%s/data", tmpdir);
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%u", port);
	snprintf(log, sizeof(log), "%s/prometheus.log", tmpdir);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	execlp("prometheus", "prometheus", config, storage, listen, "--log.level=warn", (char *)NULL);
	_exit(127);
}

static void print_log(void)
{
	char path[128], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/prometheus.log", tmpdir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		print_message("prometheus: %s", line);
	if (f)
		fclose(f);
}

/* Until the first scrape is queryable, Prometheus died, or time is up. */
static int wait_for_first_scrape(void)
{
	struct promql_client c;
	struct promql_sample s;
	int status;

	if (promql_open(&c, url, 1000, false, NULL))
		return -1;
	for (int i = 0; i < STARTUP_TRIES; i++) {
		if (promql_query(&c, "sum(test_requests_total)", &s, NULL) == 0) {
			promql_close(&c);
			return 0;
		}
		if (waitpid(prometheus_pid, &status, WNOHANG) == prometheus_pid) {
			prometheus_pid = 0;
			break;
		}
		usleep(100 * 1000);
	}
	promql_close(&c);
	print_log();
	return -1;
}

static int setup(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	const union MHD_DaemonInfo *info;
	unsigned short port = free_port();

	(void)state;
	promql_global_init();
	if (system("command -v prometheus >/dev/null 2>&1") != 0) {
		print_message("skipped: the prometheus binary is not installed (Debian package prometheus)\n");
		return 0;
	}
	strcpy(tmpdir, "/tmp/bgxdp-promql-test.XXXXXX");
	exporter = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, serve_metrics,
				    NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a, MHD_OPTION_END);
	info = exporter ? MHD_get_daemon_info(exporter, MHD_DAEMON_INFO_BIND_PORT) : NULL;
	if (!info || !port || !mkdtemp(tmpdir) || write_config(info->port))
		return -1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);
	prometheus_pid = fork();
	if (prometheus_pid == 0)
		exec_prometheus(port);
	if (prometheus_pid < 0 || wait_for_first_scrape())
		return -1;
	available = true;
	return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	int status;

	(void)state;
	if (prometheus_pid > 0) {
		kill(prometheus_pid, SIGTERM);
		for (int i = 0; i < 100 && waitpid(prometheus_pid, &status, WNOHANG) == 0; i++)
			usleep(100 * 1000);
		if (kill(prometheus_pid, 0) == 0) {
			kill(prometheus_pid, SIGKILL);
			waitpid(prometheus_pid, &status, 0);
		}
	}
	if (exporter)
		MHD_stop_daemon(exporter);
	if (tmpdir[0] && strcmp(tmpdir, "/tmp/bgxdp-promql-test.XXXXXX"))
		nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static int query(const char *expr, bool post, struct promql_sample *s, struct bgx_err *err)
{
	struct promql_client c;
	int r;

	assert_int_equal(promql_open(&c, url, 5000, post, NULL), 0);
	r = promql_query(&c, expr, s, err);
	promql_close(&c);
	return r;
}

#define NEED_PROMETHEUS() do { if (!available) skip(); } while (0)

static void test_one_number(void **state)
{
	struct promql_sample s;

	(void)state;
	NEED_PROMETHEUS();
	for (int post = 0; post <= 1; post++) {
		assert_int_equal(query("sum(test_requests_total)", post, &s, NULL), 0);
		assert_int_equal(s.type, PROMQL_VECTOR);
		assert_float_equal(s.value, 42, 0);
		assert_int_equal(query("sum(test_requests_total{code=~\"5..\"}) / sum(test_requests_total) + 0",
				       post, &s, NULL), 0);
		assert_float_equal(s.value, 2.0 / 42.0, 1e-12);
	}
	assert_int_equal(query("scalar(test_temperature_celsius)", false, &s, NULL), 0);
	assert_int_equal(s.type, PROMQL_SCALAR);
	assert_float_equal(s.value, 21.5, 0);
	assert_int_equal(query("1 + 1", false, &s, NULL), 0);
	assert_float_equal(s.value, 2, 0);
}

static void test_what_a_check_cannot_use(void **state)
{
	struct promql_sample s;
	struct bgx_err err = { 0 };

	(void)state;
	NEED_PROMETHEUS();
	assert_int_equal(query("test_requests_total", false, &s, &err), -ERANGE);
	assert_non_null(strstr(err.msg, "query returned 2 series"));
	bgx_err_clear(&err);
	assert_int_equal(query("test_requests_total{code=\"404\"}", false, &s, &err), -ENODATA);
	bgx_err_clear(&err);
	assert_int_equal(query("0 / 0", false, &s, &err), -EDOM);
	bgx_err_clear(&err);
	assert_int_equal(query("test_requests_total[1m]", false, &s, &err), -ERANGE);
	assert_non_null(strstr(err.msg, "returned a matrix"));
	bgx_err_clear(&err);
	assert_int_equal(query("sum(test_requests_total", true, &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "Prometheus refused the query (bad_data): "));
	assert_non_null(strstr(err.msg, "parse error"));
}

static void test_validate_at_start(void **state)
{
	const char *const good[] = { "sum(rate(test_requests_total[1m]))",
				     "sum(test_requests_total{code=\"503\"})" /* no data yet: fine */ };
	const char *const bad[] = { "sum(test_requests_total)", "sum(rate(test_requests_total[1m])) by" };
	struct promql_client c;
	struct promql_measurement m;
	struct bgx_err err = { 0 };

	(void)state;
	NEED_PROMETHEUS();
	assert_int_equal(promql_open(&c, url, 5000, false, NULL), 0);
	assert_int_equal(promql_validate(&c, good, 2, &err), 0);
	assert_int_equal(promql_validate(&c, bad, 2, &err), -EINVAL);
	assert_true(err.usage);
	assert_non_null(strstr(err.msg, "--query 'sum(rate(test_requests_total[1m])) by': Prometheus refused the query (bad_data)"));
	promql_measure(&c, "max(test_temperature_celsius)", &m);
	assert_true(m.ok);
	assert_float_equal(m.value, 21.5, 0);
	promql_close(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_number),
		cmocka_unit_test(test_what_a_check_cannot_use),
		cmocka_unit_test(test_validate_at_start),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
