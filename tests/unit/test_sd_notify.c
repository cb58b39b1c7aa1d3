// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sd_notify.c: the datagram a service manager receives on $NOTIFY_SOCKET. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include "sd_notify.h"

/* A datagram socket bound to `name` ("/path" or "@abstract"), as systemd's. */
static int listen_on(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	assert_int_equal(bind(fd, (struct sockaddr *)&sa,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)), 0);
	return fd;
}

static void expect_datagram(int fd, const char *want)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	assert_int_equal(n, (ssize_t)strlen(want));
	assert_memory_equal(buf, want, strlen(want));
}

static void test_unset_is_a_no_op(void **state)
{
	struct bgx_err e = { 0 };

	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(bgx_sd_notify("READY=1", &e), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	assert_int_equal(bgx_sd_notify("READY=1", &e), 0);
	assert_int_equal(e.code, 0);
}

static void test_path_socket(void **state)
{
	char dir[] = "/tmp/bgxdp-notify-XXXXXX", path[64];
	struct bgx_err e = { 0 };
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = listen_on(path);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(bgx_sd_notify("READY=1\nSTATUS=serving /metrics", &e), 1);
	expect_datagram(fd, "READY=1\nSTATUS=serving /metrics");
	close(fd);
	unlink(path);
	rmdir(dir);
	/* the manager is gone: a clear error naming the socket */
	assert_true(bgx_sd_notify("READY=1", &e) < 0);
	assert_non_null(strstr(e.msg, path));
}

static void test_abstract_socket(void **state)
{
	char name[64];
	struct bgx_err e = { 0 };
	int fd;

	(void)state;
	snprintf(name, sizeof(name), "@bgxdp-test-notify-%d", (int)getpid());
	fd = listen_on(name);
	setenv("NOTIFY_SOCKET", name, 1);
	assert_int_equal(bgx_sd_notify("STOPPING=1", &e), 1);
	expect_datagram(fd, "STOPPING=1");
	close(fd);
}

static void test_bad_names(void **state)
{
	char longname[200];
	struct bgx_err e = { 0 };

	(void)state;
	setenv("NOTIFY_SOCKET", "run/notify", 1);
	assert_int_equal(bgx_sd_notify("READY=1", &e), -EAFNOSUPPORT);
	assert_non_null(strstr(e.msg, "NOTIFY_SOCKET 'run/notify'"));
	bgx_err_clear(&e);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	setenv("NOTIFY_SOCKET", longname, 1);
	assert_int_equal(bgx_sd_notify("READY=1", &e), -EINVAL);
	unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unset_is_a_no_op),
		cmocka_unit_test(test_path_socket),
		cmocka_unit_test(test_abstract_socket),
		cmocka_unit_test(test_bad_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
