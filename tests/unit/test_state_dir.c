// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * state_dir.c: where the state dir is (flag, environment, default), how it
 * is created, which ones are refused, and the one-agent lock.
 */
#define _GNU_SOURCE
#include <errno.h>
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
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "state_dir.h"

static char base[64];

static int setup(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "/tmp/bgxdp-state-%d-XXXXXX", (int)getpid());
	return mkdtemp(base) ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	(void)state;
	nftw(base, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void test_resolve_order(void **state)
{
	char out[256];
	struct bgx_err err = { 0 };

	(void)state;
	unsetenv(STATE_DIR_ENV);
	assert_int_equal(state_dir_resolve(NULL, out, sizeof(out), NULL), 0);
	assert_string_equal(out, "/var/lib/bgxdp");
	setenv(STATE_DIR_ENV, "/srv/env", 1);
	assert_int_equal(state_dir_resolve(NULL, out, sizeof(out), NULL), 0);
	assert_string_equal(out, "/srv/env");
	assert_int_equal(state_dir_resolve("/srv/flag", out, sizeof(out), NULL), 0);
	assert_string_equal(out, "/srv/flag");
	setenv(STATE_DIR_ENV, "", 1);           /* empty: as if unset */
	assert_int_equal(state_dir_resolve(NULL, out, sizeof(out), NULL), 0);
	assert_string_equal(out, "/var/lib/bgxdp");
	setenv(STATE_DIR_ENV, "relative", 1);
	assert_int_equal(state_dir_resolve(NULL, out, sizeof(out), &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'relative' (BGXDP_STATE_DIR) must be an absolute path"));
	unsetenv(STATE_DIR_ENV);
	assert_int_equal(state_dir_resolve("/x", out, 2, NULL), -ENAMETOOLONG);
}

static void test_created_private(void **state)
{
	char path[128];
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/a/b/state", base);
	assert_int_equal(state_dir_prepare(path, NULL), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(state_dir_prepare(path, NULL), 0);     /* exists: fine */
}

static void expect_unsafe(const char *path, const char *needle)
{
	struct bgx_err err = { 0 };

	assert_int_equal(state_dir_prepare(path, &err), -EPERM);
	if (!strstr(err.msg, needle))
		fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

static void test_writable_by_others_refused(void **state)
{
	char path[128], inner[160];

	(void)state;
	snprintf(path, sizeof(path), "%s/open", base);
	assert_int_equal(mkdir(path, 0700), 0);
	chmod(path, 0777);
	expect_unsafe(path, "writable by group or others (mode 0777; fix: 'chmod go-w");
	chmod(path, 0720);
	expect_unsafe(path, "mode 0720");
	/* An ancestor writable by others lets them swap the dir: refused too,
	 * unless it is sticky (like /tmp). */
	chmod(path, 0777);
	snprintf(inner, sizeof(inner), "%s/state", path);
	expect_unsafe(inner, "is writable by group or others");
	chmod(path, 01777);
	assert_int_equal(state_dir_prepare(inner, NULL), 0);
	chmod(path, 0700);
	/* Owned by someone else (root can hand it over to test this). */
	if (geteuid() != 0) {
		print_message("skip: the foreign-owner case needs root to chown\n");
		return;
	}
	assert_int_equal(chown(inner, 65534, 65534), 0);
	expect_unsafe(inner, "is owned by uid 65534, not by root or you");
}

static void test_not_a_directory(void **state)
{
	char path[128];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/file", base);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_true(state_dir_prepare(path, NULL) < 0);
	assert_int_equal(state_dir_prepare("relative", NULL), -EINVAL);
}

static void test_one_agent_per_state_dir(void **state)
{
	struct agent_lock lock;
	struct bgx_err err = { 0 };
	int ready[2], status;
	pid_t child, holder;
	char byte, msg[64], content[32] = { 0 };

	(void)state;
	assert_int_equal(agent_lock_holder(base, &holder, NULL), 0);    /* no lock file yet */
	assert_int_equal(pipe(ready), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (agent_lock_acquire(base, &lock, NULL))
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &byte, 1), 1);
	close(ready[0]);

	assert_int_equal(agent_lock_acquire(base, &lock, &err), -EBUSY);
	snprintf(msg, sizeof(msg), "held by pid %d", (int)child);
	if (!strstr(err.msg, msg))
		fail_msg("message '%s' lacks '%s'", err.msg, msg);
	assert_int_equal(lock.fd, -1);
	assert_int_equal(agent_lock_holder(base, &holder, NULL), 1);
	assert_int_equal(holder, child);

	/* The holder dies (kill -9): the lock goes with it. */
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(agent_lock_holder(base, &holder, NULL), 0);
	assert_int_equal(agent_lock_acquire(base, &lock, NULL), 0);
	assert_true(pread(lock.fd, content, sizeof(content) - 1, 0) > 0);
	assert_int_equal(atoi(content), getpid());
	agent_lock_release(&lock);
	assert_int_equal(lock.fd, -1);
	assert_int_equal(agent_lock_holder(base, &holder, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve_order),
		cmocka_unit_test_setup_teardown(test_created_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writable_by_others_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_agent_per_state_dir, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
