// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rollout_store.c - a rollout's state in the state dir, one JSON file per
 * service, replaced atomically (temp file, fsync, rename, fsync of the
 * directory): a reader sees the old file or the new one, never a mix, and
 * a crash leaves at worst a stray temp file.  Loading checks everything:
 * a truncated, foreign or newer file is refused with the reason.
 */
#define _GNU_SOURCE             /* asprintf, mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "rollout_json.h"

#define STATE_FORMAT           "bgxdp-rollout-state"
#define STATE_VERSION          1
#define STATE_MAX_BYTES        (4 << 20)

int rollout_state_path(const char *state_dir, const char *service, char *buf, size_t len,
		       struct bgx_err *err)
{
	if (!service[0] || strchr(service, '/') || !strcmp(service, ".") || !strcmp(service, ".."))
		return bgx_fail_usage(err, EINVAL, "service name \"%.40s\" cannot name a state file",
				      service);
	if ((size_t)snprintf(buf, len, "%s/rollout-%s.json", state_dir, service) >= len)
		return bgx_fail(err, ENAMETOOLONG, "state dir path %.80s... is too long", state_dir);
	return 0;
}

/* ---- writing ------------------------------------------------------------ */

static json_t *window_base_json(const struct rollout_state *st)
{
	if (!st->has_window_base)
		return json_null();
	return json_pack("{s:I, s:o, s:o}", "time_ms", (json_int_t)st->window_base_ms,
			 "blue", rj_counts(&st->window_base[BGXDP_BLUE]),
			 "green", rj_counts(&st->window_base[BGXDP_GREEN]));
}

static json_t *list_json(const struct rollout_state *st)
{
	json_t *log = json_array(), *errors = json_array();
	json_t *both = json_pack("{s:o, s:o}", "log", log, "query_errors", errors);

	for (unsigned i = 0; both && i < st->log_len; i++)
		if (json_array_append_new(log, rj_decision(&st->log[i]))) {
			json_decref(both);
			return NULL;
		}
	for (unsigned i = 0; both && i < st->spec.analysis.n_promql; i++)
		json_array_append_new(errors, json_integer(st->query_errors[i]));
	return both;
}

static json_t *state_json(const struct rollout_state *st)
{
	json_t *lists = list_json(st);
	json_t *o = json_pack(
		"{s:s, s:i, s:o, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:I, s:I, s:I, s:b, s:b, s:b,"
		" s:{s:b, s:I, s:I}, s:o, s:o, s:s, s:I}",
		"format", STATE_FORMAT, "version", STATE_VERSION,
		"spec", rj_spec(&st->spec),
		"phase", rollout_phase_name(st->phase),
		"step_index", (json_int_t)st->step,
		"started_ms", (json_int_t)st->started_ms,
		"step_started_ms", (json_int_t)st->step_started_ms,
		"updated_ms", (json_int_t)st->updated_ms,
		"extensions", (json_int_t)st->extensions,
		"stable_color", rj_color_name(st->stable_color),
		"green_before_rollout_bp", (json_int_t)st->green_before_rollout_bp,
		"green_share_bp", (json_int_t)st->green_share_bp,
		"green_previous_bp", (json_int_t)st->green_previous_bp,
		"publish_pending", st->publish_pending,
		"at_gate", st->at_gate,
		"republish_on_resume", st->republish_on_resume,
		"baseline", "valid", st->baseline.valid, "flows", (json_int_t)st->baseline.flows,
		"failures", (json_int_t)st->baseline.failures,
		"window_base", window_base_json(st),
		"last_analysis", st->has_last_analysis ? rj_analysis(&st->last_analysis) : json_null(),
		"reason", st->reason,
		"decisions", (json_int_t)st->decisions);

	if (!o || !lists || json_object_update(o, lists)) {
		json_decref(o);
		o = NULL;
	}
	json_decref(lists);
	return o;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, r = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd))
		r = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return r;
}

/* Write `text` to a temp file next to `path` and rename it over `path`. */
static int replace_file(const char *path, const char *text, struct bgx_err *err)
{
	size_t len = strlen(path) + 16;
	char *tmp = malloc(len);
	const char *step = "create a temp file for";
	int fd, r = 0;

	if (!tmp)
		return bgx_fail(err, ENOMEM, "out of memory");
	snprintf(tmp, len, "%s.tmp.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);       /* mode 0600 */
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	step = "write";
	r = write_all(fd, text, strlen(text));
	if (!r && fsync(fd))
		r = -errno;
	if (close(fd) && !r)
		r = -errno;
	if (!r && rename(tmp, path)) {
		r = -errno;
		step = "rename a temp file over";
	}
	if (r) {
		unlink(tmp);
		goto fail;
	}
	step = "fsync the directory of";
	r = fsync_dir_of(path);
	if (!r) {
		free(tmp);
		return 0;
	}
fail:
	free(tmp);
	return bgx_fail(err, r, "cannot %s rollout state %s: %s", step, path, strerror(-r));
}

int rollout_state_save(const struct rollout_state *st, const char *path, struct bgx_err *err)
{
	json_t *o = state_json(st);
	char *text = o ? json_dumps(o, JSON_INDENT(1)) : NULL;
	char *line = NULL;
	int r;

	json_decref(o);
	if (text && asprintf(&line, "%s\n", text) < 0)
		line = NULL;
	free(text);
	if (!line)
		return bgx_fail(err, ENOMEM, "out of memory writing rollout state %s", path);
	r = replace_file(path, line, err);
	free(line);
	return r;
}

/* ---- reading ------------------------------------------------------------ */

static void read_lists(struct rj_reader *r, json_t *o, struct rollout_state *st)
{
	json_t *log = rj_field(r, o, "", "log", JSON_ARRAY);
	json_t *errors = rj_field(r, o, "", "query_errors", JSON_ARRAY);
	char where[32];

	if (r->bad)
		return;
	if (json_array_size(log) > ROLLOUT_LOG_LEN ||
	    json_array_size(errors) != st->spec.analysis.n_promql) {
		rj_fail(r, "", "log", "at most 8 decisions and one error count per query");
		return;
	}
	st->log_len = json_array_size(log);
	for (unsigned i = 0; i < st->log_len; i++) {
		snprintf(where, sizeof(where), "log[%u]", i);
		rj_read_decision(r, json_array_get(log, i), where, &st->log[i]);
	}
	for (unsigned i = 0; i < json_array_size(errors); i++) {
		json_t *v = json_array_get(errors, i);

		st->query_errors[i] = json_is_integer(v) && json_integer_value(v) >= 0
					      ? (uint32_t)json_integer_value(v) : 0;
	}
}

static void read_optional(struct rj_reader *r, json_t *o, struct rollout_state *st)
{
	json_t *base = json_object_get(o, "window_base");
	json_t *last = json_object_get(o, "last_analysis");
	json_t *baseline = rj_field(r, o, "", "baseline", JSON_OBJECT);

	st->baseline.valid = rj_bool(r, baseline, "baseline", "valid");
	st->baseline.flows = rj_u64(r, baseline, "baseline", "flows", UINT64_MAX >> 1);
	st->baseline.failures = rj_u64(r, baseline, "baseline", "failures", UINT64_MAX >> 1);
	st->has_window_base = json_is_object(base);
	if (st->has_window_base) {
		st->window_base_ms = rj_u64(r, base, "window_base", "time_ms", UINT64_MAX >> 1);
		rj_read_counts(r, rj_field(r, base, "window_base", "blue", JSON_OBJECT),
			       "window_base.blue", &st->window_base[BGXDP_BLUE]);
		rj_read_counts(r, rj_field(r, base, "window_base", "green", JSON_OBJECT),
			       "window_base.green", &st->window_base[BGXDP_GREEN]);
	}
	st->has_last_analysis = json_is_object(last);
	if (st->has_last_analysis)
		rj_read_analysis(r, last, &st->last_analysis);
}

static const char *phase_n(unsigned i) { return rollout_phase_name(i); }

static void read_state(struct rj_reader *r, json_t *o, struct rollout_state *st)
{
	rj_read_spec(r, rj_field(r, o, "", "spec", JSON_OBJECT), &st->spec);
	st->phase = rj_enum(r, o, "", "phase", phase_n, ROLLOUT_PHASES);
	st->step = rj_u64(r, o, "", "step_index", ROLLOUT_MAX_STEPS - 1);
	st->started_ms = rj_u64(r, o, "", "started_ms", UINT64_MAX >> 1);
	st->step_started_ms = rj_u64(r, o, "", "step_started_ms", UINT64_MAX >> 1);
	st->updated_ms = rj_u64(r, o, "", "updated_ms", UINT64_MAX >> 1);
	st->extensions = rj_u64(r, o, "", "extensions", UINT32_MAX);
	st->stable_color = rj_enum(r, o, "", "stable_color", rj_color_name, 2);
	st->green_before_rollout_bp = rj_u64(r, o, "", "green_before_rollout_bp", BGXDP_SHARE_SCALE);
	st->green_share_bp = rj_u64(r, o, "", "green_share_bp", BGXDP_SHARE_SCALE);
	st->green_previous_bp = rj_u64(r, o, "", "green_previous_bp", BGXDP_SHARE_SCALE);
	st->publish_pending = rj_bool(r, o, "", "publish_pending");
	st->at_gate = rj_bool(r, o, "", "at_gate");
	st->republish_on_resume = rj_bool(r, o, "", "republish_on_resume");
	rj_string(r, o, "", "reason", st->reason, sizeof(st->reason));
	st->decisions = rj_u64(r, o, "", "decisions", UINT64_MAX >> 1);
	read_optional(r, o, st);
	read_lists(r, o, st);
}

/* What the fields say together must also hold. */
static int consistency_check(const struct rollout_state *st, const char *path,
			     struct bgx_err *err)
{
	struct bgx_err spec_err = { 0 };

	if (rollout_spec_validate(&st->spec, 0, &spec_err))
		return bgx_fail(err, EINVAL, "state file %s: bad spec: %s", path, spec_err.msg);
	if (st->step >= st->spec.n_steps || st->stable_color == st->spec.rising_color)
		return bgx_fail(err, EINVAL, "state file %s: step %u or stable color %s do not fit the spec",
				path, st->step + 1, rj_color_name(st->stable_color));
	return 0;
}

static json_t *load_json(const char *path, struct bgx_err *err)
{
	json_error_t jerr;
	struct stat sb;
	json_t *o;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;

		bgx_fail(err, e, e == ENOENT ? "no rollout state at %s" : "cannot open %s: %s", path,
			 strerror(e));
		return NULL;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size > STATE_MAX_BYTES) {
		close(fd);
		bgx_fail(err, EINVAL, "state file %s is not a regular file up to 4 MiB", path);
		return NULL;
	}
	o = json_loadfd(fd, JSON_REJECT_DUPLICATES, &jerr);
	close(fd);
	if (!o)
		bgx_fail(err, EINVAL,
			 "state file %s is not whole JSON (line %d column %d: %s): half-written or not a bgxdp file",
			 path, jerr.line, jerr.column, jerr.text);
	return o;
}

int rollout_state_load(struct rollout_state *st, const char *path, struct bgx_err *err)
{
	struct rj_reader r = { .path = path, .err = err };
	struct rollout_state *tmp;
	json_t *o = load_json(path, err);
	const char *format = json_string_value(json_object_get(o, "format"));
	json_t *version = json_object_get(o, "version");
	int ret = 0;

	if (!o)
		return err && err->code ? err->code : -EINVAL;
	if (!format || strcmp(format, STATE_FORMAT))
		ret = bgx_fail(err, EINVAL, "state file %s is not a bgxdp rollout state (no \"format\": \"%s\")",
			       path, STATE_FORMAT);
	else if (!json_is_integer(version) || json_integer_value(version) != STATE_VERSION)
		ret = bgx_fail(err, EINVAL, "state file %s: version %s, this bgxdp reads version %d",
			       path, json_is_integer(version) ? "newer or older" : "missing",
			       STATE_VERSION);
	tmp = ret ? NULL : calloc(1, sizeof(*tmp));
	if (!ret && !tmp)
		ret = bgx_fail(err, ENOMEM, "out of memory");
	if (tmp) {
		read_state(&r, o, tmp);
		ret = r.bad ? -EINVAL : consistency_check(tmp, path, err);
		if (!ret)
			*st = *tmp;
	}
	free(tmp);
	json_decref(o);
	return ret;
}
