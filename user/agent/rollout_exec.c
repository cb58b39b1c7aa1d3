// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rollout_exec.c - a rollout's decisions carried out (rollout_exec.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "libbgxdp.h"
#include "rollout_exec.h"

/* The data plane's bucket bounds, in seconds. */
static const struct connect_buckets buckets = {
	.count = 14,
	.upper_s = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
		     0.5, 1, 3 },
};

#ifdef BGXDP_CONNECT_BUCKETS
_Static_assert(BGXDP_CONNECT_BUCKETS == 15, "the rollout knows 14 handshake-time bounds");
#endif

const struct connect_buckets *rollout_connect_buckets(void)
{
	return &buckets;
}

uint64_t rollout_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool healthy(const struct bgx_backend_view *v)
{
	return v->state == BACKEND_UP && v->health != BACKEND_HEALTH_DOWN &&
	       v->health != BACKEND_HEALTH_PENDING;
}

/* One color of a snapshot as analysis.h counts it. */
static void color_counts_of(const struct bgx_service_view *sv, __u32 c, struct color_counts *out)
{
	const struct color_counters *cc = &sv->colors[c].counters;

	memset(out, 0, sizeof(*out));
	out->new_flows = cc->flows_created;
	out->backend_resets = cc->resets_from_backend;
#ifdef BGXDP_CONNECT_BUCKETS
	out->syns_sent = cc->syns_to_backend;
	out->synacks_seen = cc->synacks_from_backend;
#endif
	for (__u32 b = 0; b < sv->n_backends; b++) {
		const struct bgx_backend_view *v = &sv->backends[b];

		if (v->color != c)
			continue;
		out->backends_in_rotation += v->state == BACKEND_UP;
		out->backends_healthy += healthy(v);
#ifdef BGXDP_CONNECT_BUCKETS
		for (unsigned i = 0; i < BGXDP_CONNECT_BUCKETS; i++)
			out->connect[i] += v->connect.buckets[i];
#endif
	}
}

int rollout_read_counts(const char *pin_dir, const char *service,
			struct color_counts counts[BGXDP_COLORS], uint32_t *green_bp,
			struct bgx_err *e)
{
	struct bgx_snapshot *snap;
	struct bgx_instance *in;
	int r;

	if ((r = bgx_open(pin_dir, BGX_READ, &in, e)))
		return r;
	r = bgx_snapshot(in, BGX_SNAP_COUNTERS, service, &snap, e);
	bgx_close(in);
	if (r)
		return r;
	for (__u32 c = 0; c < BGXDP_COLORS; c++)
		color_counts_of(&snap->services[0], c, &counts[c]);
	if (green_bp)
		*green_bp = snap->services[0].colors[BGXDP_GREEN].share_bp;
	free(snap);
	return 0;
}

int rollout_save(const char *state_dir, const struct rollout_state *st, struct bgx_err *e)
{
	char path[4200];
	int r = rollout_state_path(state_dir, st->spec.service, path, sizeof(path), e);

	return r ? r : rollout_state_save(st, path, e);
}

int rollout_load(const char *state_dir, const char *service, struct rollout_state *st,
		 struct bgx_err *e)
{
	char path[4200];
	int r = rollout_state_path(state_dir, service, path, sizeof(path), e);

	if (r)
		return r;
	if (access(path, F_OK))
		return -ENOENT;
	return rollout_state_load(st, path, e);
}

/* ---- history ------------------------------------------------------------- */

/* The decision as one history line: what "rollout.abort" (or "verify.*"),
 * the share before and after, the reason with its figures, and every
 * check's value, limit and verdict in "detail". */
static void record(const struct rollout_exec *x, const struct rollout_state *st,
		   const struct rollout_decision *d)
{
	json_t *line = rollout_decision_journal(st, d);
	struct bgx_err e = { 0 };
	char what[64];
	bool by_agent = !strcmp(d->actor, "agent");
	struct journal_entry entry = {
		.actor = by_agent ? "rollout" : "cli",
		.what = what,
		.service = st->spec.service,
		.argc = by_agent ? 0 : x->argc,
		.argv = by_agent ? NULL : x->argv,
	};

	if (!line)
		return;
	snprintf(what, sizeof(what), "%s.%s", st->spec.verify ? "verify" : "rollout",
		 rollout_event_name(d->event));
	entry.before = json_object_get(line, "before");
	entry.after = json_object_get(line, "after");
	entry.reason = json_string_value(json_object_get(line, "reason"));
	entry.detail = json_object_get(line, "rollout");
	if (x->journal && journal_append(x->journal, &entry, &e))
		fprintf(stderr, "bgxdp: rollout of %s: history not written: %s\n", st->spec.service,
			e.msg);
	json_decref(line);
}

/* ---- publish -------------------------------------------------------------- */

static int new_window(const struct rollout_exec *x, struct rollout_state *st, uint64_t now,
		      struct bgx_err *e)
{
	struct color_counts counts[BGXDP_COLORS];
	int r = rollout_read_counts(x->pin_dir, st->spec.service, counts, NULL, e);

	if (!r)
		rollout_set_window_base(st, now, counts);
	return r;
}

/* The share asked for: saved as pending first, so a kill midway is
 * recovered (rollout_recover) from the one atomic word. */
static int publish(const struct rollout_exec *x, struct rollout_state *st, uint32_t green_bp,
		   struct bgx_err *e)
{
	struct bgx_instance *in;
	int r;

	if ((r = rollout_save(x->state_dir, st, e)) ||
	    (r = bgx_open(x->pin_dir, BGX_WRITE, &in, e)))
		return r;
	r = bgx_share_set(in, st->spec.service, green_bp, NULL, e);
	bgx_close(in);
	if (r)
		return r;
	rollout_publish_done(st, rollout_now_ms());
	return new_window(x, st, rollout_now_ms(), e) ?: rollout_save(x->state_dir, st, e);
}

int rollout_execute(const struct rollout_exec *x, struct rollout_state *st,
		    const struct rollout_output *out, struct bgx_err *e)
{
	int r = 0;

	if (out->has_decision)
		record(x, st, &out->decision);
	if (out->action == ROLLOUT_PUBLISH)
		return publish(x, st, out->green_share_bp, e);
	if (out->new_window)
		r = new_window(x, st, rollout_now_ms(), e);
	if (!r && (out->save || out->new_window || out->has_decision))
		r = rollout_save(x->state_dir, st, e);
	return r;
}

int rollout_execute_pending(const struct rollout_exec *x, struct rollout_state *st,
			    struct bgx_err *e)
{
	return st->publish_pending ? publish(x, st, st->green_share_bp, e) : 0;
}

/* ---- the state files --------------------------------------------------- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

int rollout_list(const char *state_dir, char (*names)[BGXDP_NAME_LEN], size_t max, size_t *n,
		 struct bgx_err *e)
{
	DIR *dir = opendir(state_dir);
	struct dirent *de;

	*n = 0;
	if (!dir)
		return errno == ENOENT ? 0 : bgx_fail(e, errno, "cannot read %s: %s", state_dir,
						       strerror(errno));
	while ((de = readdir(dir)) && *n < max) {
		size_t len = strlen(de->d_name);

		if (len <= 13 || strncmp(de->d_name, "rollout-", 8) ||
		    strcmp(de->d_name + len - 5, ".json") || len - 13 >= BGXDP_NAME_LEN)
			continue;
		memcpy(names[*n], de->d_name + 8, len - 13);
		names[*n][len - 13] = 0;
		if (!bgx_parse_name(names[*n], "service", NULL))
			(*n)++;
	}
	closedir(dir);
	qsort(names, *n, sizeof(names[0]), cmp_names);
	return 0;
}
