// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * journal.c: the history's line format, text form, filters, rotation bound,
 * corrupt lines, and appends from several processes at once (fork) with
 * and without rotation: whole lines only, none lost, each writer's order kept.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "journal.h"

struct fixture {
	char dir[64];
	struct journal journal;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct journal_config cfg;

	snprintf(f->dir, sizeof(f->dir), "/tmp/bgxdp-journal-%d-XXXXXX", (int)getpid());
	if (!mkdtemp(f->dir))
		return -1;
	journal_config_default(&cfg, f->dir);
	cfg.to_syslog = false;
	if (journal_open(&f->journal, &cfg, NULL))
		return -1;
	*state = f;
	return 0;
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
	struct fixture *f = *state;

	nftw(f->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void reopen(struct fixture *f, size_t max_bytes, unsigned keep)
{
	struct journal_config cfg;

	journal_config_default(&cfg, f->dir);
	cfg.to_syslog = false;
	cfg.max_bytes = max_bytes;
	cfg.keep = keep;
	assert_int_equal(journal_open(&f->journal, &cfg, NULL), 0);
}

static void append_seq(struct fixture *f, const char *service, int writer, int seq,
		       size_t padding)
{
	char reason[4096];
	struct journal_entry e = { .actor = "health", .what = "health.down", .service = service };
	struct bgx_err err = { 0 };

	snprintf(reason, sizeof(reason), "writer %d seq %d %*s", writer, seq, (int)padding, "x");
	e.reason = reason;
	if (journal_append(&f->journal, &e, &err))
		fail_msg("append: %s", err.msg);
}

/* Collects what a read returns. */
struct collected {
	size_t n;
	char lines[64][512];
	int writer[4096], seq[4096];
};

static int collect(const struct journal_record *r, void *ctx)
{
	struct collected *c = ctx;

	if (c->n < 64)
		snprintf(c->lines[c->n], sizeof(c->lines[0]), "%.*s", (int)r->line_len, r->line);
	if (c->n < 4096 && (!r->reason ||
			    sscanf(r->reason, "writer %d seq %d", &c->writer[c->n], &c->seq[c->n]) != 2))
		c->writer[c->n] = c->seq[c->n] = -1;
	c->n++;
	return 0;
}

static struct collected *read_all(struct fixture *f, const struct journal_filter *filter,
				  struct journal_read_stats *stats)
{
	struct collected *c = calloc(1, sizeof(*c));
	struct bgx_err err = { 0 };

	if (journal_read(&f->journal, filter, collect, c, stats, &err))
		fail_msg("read: %s", err.msg);
	return c;
}

static void test_fields_of_a_cli_entry(void **state)
{
	struct fixture *f = *state;
	char *argv[] = { "bgxdp", "set", "green", "--service", "web" };
	json_t *before = json_string("blue"), *after = json_string("green");
	struct journal_entry e = {
		.actor = "cli", .what = "set", .service = "web", .before = before, .after = after,
		.reason = "operator", .argc = 5, .argv = argv,
	};
	struct journal_entry start = { .actor = "agent", .what = "agent.start" };
	struct journal_read_stats stats;
	json_t *obj;

	(void)state;
	setenv("SUDO_UID", "1000", 1);
	assert_int_equal(journal_append(&f->journal, &e, NULL), 0);
	unsetenv("SUDO_UID");
	assert_int_equal(journal_append(&f->journal, &start, NULL), 0);
	struct collected *c = read_all(f, NULL, &stats);
	assert_int_equal(c->n, 2);
	assert_int_equal(stats.entries, 2);
	assert_int_equal(stats.corrupt, 0);
	assert_true(!strncmp(c->lines[0], "{\"time\":\"", 9));   /* time first */
	obj = json_loads(c->lines[0], 0, NULL);
	assert_non_null(obj);
	const char *when = json_string_value(json_object_get(obj, "time"));
	assert_int_equal(strlen(when), 24);     /* 2024-05-01T10:00:00.123Z */
	assert_true(when[10] == 'T' && when[19] == '.' && when[23] == 'Z');
	assert_int_equal(json_integer_value(json_object_get(obj, "uid")), getuid());
	assert_int_equal(json_integer_value(json_object_get(obj, "pid")), getpid());
	assert_int_equal(json_integer_value(json_object_get(obj, "sudo_uid")), 1000);
	assert_string_equal(json_string_value(json_object_get(obj, "service")), "web");
	assert_string_equal(json_string_value(json_object_get(obj, "before")), "blue");
	assert_string_equal(json_string_value(json_array_get(json_object_get(obj, "command"), 2)),
			    "green");
	assert_int_equal(json_array_size(json_object_get(obj, "command")), 5);
	json_decref(obj);
	obj = json_loads(c->lines[1], 0, NULL);
	assert_null(json_object_get(obj, "sudo_uid"));
	assert_null(json_object_get(obj, "service"));
	assert_null(json_object_get(obj, "command"));
	json_decref(obj);
	json_decref(before);
	json_decref(after);
	free(c);
}

static int render(const struct journal_record *r, void *ctx)
{
	return journal_render_text(r, ctx);
}

static void test_text_form(void **state)
{
	struct fixture *f = *state;
	json_t *after = json_pack("{s:i}", "weight", 5);
	struct journal_entry e = {
		.actor = "cli", .what = "weight", .service = "web", .before = json_integer(0),
		.after = after, .reason = "canary\x1b[31m step", .time_ns = 1700000000123456789LL,
	};
	struct journal_entry bare = { .actor = "agent", .what = "agent.start",
				      .time_ns = 1700000001000000000LL };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_int_equal(journal_append(&f->journal, &e, NULL), 0);
	assert_int_equal(journal_append(&f->journal, &bare, NULL), 0);
	assert_int_equal(journal_read(&f->journal, NULL, render, out, NULL, NULL), 0);
	fclose(out);
	assert_string_equal(text,
		"2023-11-14T22:13:20.123Z  cli      web           weight          0 -> {\"weight\":5}"
		"  canary?[31m step\n"
		"2023-11-14T22:13:21.000Z  agent    -             agent.start   \n");
	free(text);
	json_decref(e.before);
	json_decref(after);
}

static void test_filters(void **state)
{
	struct fixture *f = *state;
	static const struct { const char *service; int64_t at_s; } entries[] = {
		{ "a", 1000 }, { "b", 2000 }, { NULL, 3000 }, { "a", 4000 },
	};
	struct journal_filter by_service = { .service = "a" };
	struct journal_filter since = { .since_ns = 2000 * 1000000000LL };
	struct journal_filter both = { .service = "a", .since_ns = 2000 * 1000000000LL };
	struct journal_read_stats stats;

	for (size_t i = 0; i < 4; i++) {
		struct journal_entry e = { .actor = "cli", .what = "set",
					   .service = entries[i].service,
					   .time_ns = entries[i].at_s * 1000000000LL };

		assert_int_equal(journal_append(&f->journal, &e, NULL), 0);
	}
	free(read_all(f, &by_service, &stats));
	assert_int_equal(stats.entries, 2);
	free(read_all(f, &since, &stats));
	assert_int_equal(stats.entries, 3);
	free(read_all(f, &both, &stats));
	assert_int_equal(stats.entries, 1);
}

static long file_size(struct fixture *f, const char *suffix)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s%s", f->dir, JOURNAL_FILE, suffix);
	return stat(path, &st) ? -1 : (long)st.st_size;
}

static void test_rotation_keeps_the_bound(void **state)
{
	struct fixture *f = *state;
	struct journal_read_stats stats;

	reopen(f, 4096, 2);
	for (int i = 0; i < 200; i++)
		append_seq(f, "web", 0, i, 100);
	assert_true(file_size(f, "") > 0 && file_size(f, "") <= 4096);
	assert_true(file_size(f, ".1") > 3000 && file_size(f, ".1") <= 4096);
	assert_true(file_size(f, ".2") > 3000 && file_size(f, ".2") <= 4096);
	assert_int_equal(file_size(f, ".3"), -1);
	struct collected *c = read_all(f, NULL, &stats);
	assert_int_equal(stats.corrupt, 0);
	assert_true(c->n > 30 && c->n < 200);
	for (size_t i = 0; i < c->n; i++)       /* the newest, in order, across files */
		assert_int_equal(c->seq[i], 200 - (int)c->n + (int)i);
	free(c);
	/* keep 0: the old file is dropped, the current one still bounded. */
	reopen(f, 4096, 0);
	for (int i = 0; i < 100; i++)
		append_seq(f, "web", 0, i, 100);
	assert_true(file_size(f, "") <= 4096);
}

/* n_writers processes append `per_writer` lines each at the same time. */
static void concurrent_appends(struct fixture *f, int n_writers, int per_writer)
{
	pid_t pids[8];
	int status;

	for (int w = 0; w < n_writers; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0) {
			for (int i = 0; i < per_writer; i++) {
				char reason[4096];
				struct journal_entry e = { .actor = "cli", .what = "set",
							   .service = "web", .reason = reason };

				snprintf(reason, sizeof(reason), "writer %d seq %d %*s", w, i,
					 (i * 37 + w * 101) % 2000, "x");
				if (journal_append(&f->journal, &e, NULL))
					_exit(1);
			}
			_exit(0);
		}
	}
	for (int w = 0; w < n_writers; w++) {
		assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
}

static void check_every_line(struct fixture *f, int n_writers, int per_writer)
{
	struct journal_read_stats stats;
	struct collected *c = read_all(f, NULL, &stats);
	int next[8] = { 0 };

	assert_int_equal(stats.corrupt, 0);
	assert_int_equal(c->n, (size_t)(n_writers * per_writer));
	for (size_t i = 0; i < c->n; i++) {
		assert_true(c->writer[i] >= 0 && c->writer[i] < n_writers);
		/* each writer's lines whole and in its own order */
		assert_int_equal(c->seq[i], next[c->writer[i]]++);
	}
	free(c);
}

static void test_concurrent_appends_whole_lines(void **state)
{
	struct fixture *f = *state;

	concurrent_appends(f, 6, 300);
	check_every_line(f, 6, 300);
}

static void test_concurrent_appends_while_rotating(void **state)
{
	struct fixture *f = *state;

	reopen(f, 65536, 60);           /* ~1 MB in 64 KiB files: all kept */
	concurrent_appends(f, 4, 250);
	assert_true(file_size(f, ".5") > 0);
	for (int g = 0; g <= 60; g++) {
		char suffix[8];

		snprintf(suffix, sizeof(suffix), g ? ".%d" : "", g);
		assert_true(file_size(f, suffix) <= 65536);
	}
	check_every_line(f, 4, 250);
}

static void append_raw(struct fixture *f, const char *data, size_t len)
{
	char path[128];
	FILE *out;

	snprintf(path, sizeof(path), "%s/%s", f->dir, JOURNAL_FILE);
	out = fopen(path, "a");
	assert_non_null(out);
	assert_int_equal(fwrite(data, 1, len, out), len);
	fclose(out);
}

static void test_corrupt_lines_are_skipped(void **state)
{
	struct fixture *f = *state;
	static const char garbage[] =
		"not json\n"
		"{\"time_ns\":\"x\",\"actor\":\"a\",\"what\":\"b\"}\n"
		"[1,2]\n"
		"{\"actor\":\"a\",\"what\":\"b\"}\n"
		"{\"time_ns\":1,\"actor\":\"a\",\"what\":\"b\"}{\n"
		"{\"time_ns\":1,\"actor\":\"a\0\",\"what\":\"b\"}\n"
		"\n"
		"{\"time_ns\":1,\"act";             /* a writer died mid-line */
	struct journal_read_stats stats;

	append_seq(f, "web", 0, 0, 1);
	append_raw(f, garbage, sizeof(garbage) - 1);
	append_seq(f, "web", 0, 1, 1);
	struct collected *c = read_all(f, NULL, &stats);
	assert_int_equal(stats.corrupt, 7);
	assert_int_equal(stats.entries, 2);
	assert_int_equal(c->seq[0], 0);
	assert_int_equal(c->seq[1], 1);
	free(c);
}

static void test_bad_entries_change_nothing(void **state)
{
	struct fixture *f = *state;
	struct journal_entry e = { .actor = "CLI", .what = "set" };
	struct bgx_err err = { 0 };
	struct journal_config cfg;
	struct journal j;
	char *long_reason = malloc(70000), *argv[] = { "bgxdp", "set", "gr\xff\xfe" };

	assert_int_equal(journal_append(&f->journal, &e, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "actor 'CLI'"));
	e.actor = "cli";
	e.what = "";
	assert_int_equal(journal_append(&f->journal, &e, NULL), -EINVAL);
	memset(long_reason, 'r', 69999);
	long_reason[69999] = '\0';
	e.what = "set";
	e.reason = long_reason;
	bgx_err_clear(&err);
	assert_int_equal(journal_append(&f->journal, &e, &err), -E2BIG);
	assert_non_null(strstr(err.msg, "too long"));
	assert_true(file_size(f, "") <= 0);
	free(long_reason);

	/* Not UTF-8: kept, readable, with '?' for the bad bytes. */
	e.reason = NULL;
	e.argc = 3;
	e.argv = argv;
	assert_int_equal(journal_append(&f->journal, &e, NULL), 0);
	struct collected *c = read_all(f, NULL, NULL);
	assert_int_equal(c->n, 1);
	assert_non_null(strstr(c->lines[0], "\"gr??\""));
	free(c);

	journal_config_default(&cfg, f->dir);
	cfg.max_bytes = 100;
	assert_int_equal(journal_open(&j, &cfg, NULL), -EINVAL);
	cfg.max_bytes = JOURNAL_DEFAULT_BYTES;
	cfg.keep = 100;
	assert_int_equal(journal_open(&j, &cfg, NULL), -EINVAL);
	cfg.keep = 3;
	cfg.state_dir = "relative/dir";
	assert_int_equal(journal_open(&j, &cfg, NULL), -EINVAL);
}

static int stop_after_two(const struct journal_record *r, void *ctx)
{
	(void)r;
	return ++*(int *)ctx == 2 ? 7 : 0;
}

static void test_visitor_can_stop_and_empty_history(void **state)
{
	struct fixture *f = *state;
	struct journal_read_stats stats;
	int seen = 0;

	free(read_all(f, NULL, &stats));        /* nothing written yet */
	assert_int_equal(stats.entries, 0);
	for (int i = 0; i < 5; i++)
		append_seq(f, NULL, 0, i, 1);
	assert_int_equal(journal_read(&f->journal, NULL, stop_after_two, &seen, &stats, NULL), 7);
	assert_int_equal(seen, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fields_of_a_cli_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_form, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_keeps_the_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_appends_whole_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_appends_while_rotating, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_lines_are_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_entries_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_visitor_can_stop_and_empty_history, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
