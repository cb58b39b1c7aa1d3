// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_config.c - the declarative config: bgx_config_parse_buffer, the
 * canonical emitter, the digest and the planner, on any bytes.
 *
 * Invariants: a refused file gets a negative errno and exactly one line
 * "fuzz.yaml:LINE:COL: reason" with LINE and COL inside the input, and the
 * output model is untouched.  An accepted file is never one whose re-emit
 * differs: emit(model) parses back to an equal model, which emits the same
 * bytes again, and the digest is the same for both.  The plan from the
 * model to itself is empty; the plans from an empty instance to the model
 * and from the model to no services, run step by step by the plan
 * simulator, only take steps the data plane accepts, keep the share rule
 * when both ends do, and end where they should.
 */
#include <errno.h>
#include "config_yaml.h"
#include "plan.h"
#include "../unit/plan_sim.h"
#include "fuzz_util.h"

#define SOURCE "fuzz.yaml"

static void check_refusal(const uint8_t *data, size_t size, int r, const struct bgx_err *e)
{
	unsigned long line = 0, col = 0, lines = 1;
	char *end;

	CHECK(r < 0 && e->code == r && e->usage, "refused with %d, code %d, usage %d", r, e->code, e->usage);
	CHECK(!strncmp(e->msg, SOURCE ":", strlen(SOURCE ":")), "message without the file: %s", e->msg);
	line = strtoul(e->msg + strlen(SOURCE ":"), &end, 10);
	CHECK(*end == ':', "message without LINE:COL: %s", e->msg);
	col = strtoul(end + 1, &end, 10);
	CHECK(!strncmp(end, ": ", 2) && end[2], "message without a reason: %s", e->msg);
	CHECK(!strchr(e->msg, '\n'), "message of more than one line: %s", e->msg);
	/* any byte that may start a YAML line break (CR, LF, NEL, LS, PS) */
	for (size_t i = 0; i < size && i < BGX_CONFIG_MAX_BYTES; i++)
		lines += data[i] == '\n' || data[i] == '\r' || data[i] == 0x85 || data[i] == 0xa8 ||
			 data[i] == 0xa9;
	CHECK(line >= 1 && line <= lines + 1 && col >= 1 && col <= size + 2,
	      "position %lu:%lu outside the input (%lu lines, %zu bytes): %s", line, col, lines, size, e->msg);
}

static void check_round_trip(const struct bgx_desired *m)
{
	struct bgx_desired *back = bgx_desired_new();
	char *t1, *t2, h1[BGX_DIGEST_HEX_LEN], h2[BGX_DIGEST_HEX_LEN];
	size_t n1, n2;
	struct bgx_err e = { 0 };

	CHECK(back, "out of memory");
	CHECK(!bgx_config_emit(m, &t1, &n1, &e), "an accepted model does not emit: %s", e.msg);
	CHECK(!bgx_config_parse_buffer(t1, n1, "emitted", back, &e), "emitted text refused: %s\n%s", e.msg, t1);
	CHECK(bgx_desired_equal(m, back), "parse(emit(m)) differs from m:\n%s", t1);
	CHECK(!bgx_config_emit(back, &t2, &n2, &e), "re-emit failed: %s", e.msg);
	CHECK(n1 == n2 && !memcmp(t1, t2, n1), "emit is not byte-identical:\n%s\n--\n%s", t1, t2);
	CHECK(!bgx_config_digest(m, h1, &e) && !bgx_config_digest(back, h2, &e) && !strcmp(h1, h2),
	      "digests differ");
	free(t1);
	free(t2);
	bgx_desired_free(back);
}

/* Plan from `live` to `want` and run it on the simulator. */
static void check_plan(const struct bgx_desired *live, const struct bgx_desired *want)
{
	struct bgx_desired *m = bgx_desired_new(), *expect = bgx_desired_new();
	bool rule = !sim_share_violation(live) && !sim_share_violation(want);
	struct bgx_err e = { 0 };
	struct bgx_plan p;
	const char *err;

	CHECK(m && expect, "out of memory");
	CHECK(!bgx_plan_build(live, want, &p, &e), "plan refused: %s", e.msg);
	memcpy(m, live, sizeof(*m));
	for (size_t i = 0; i < p.n_steps; i++) {
		char line[1024];

		bgx_plan_step_line(&p.steps[i], line, sizeof(line));
		err = sim_step(m, &p.steps[i]);
		CHECK(!err, "step %zu '%s': %s", i, line, err);
		CHECK(!rule || !sim_share_violation(m), "step %zu '%s' breaks the share rule", i, line);
	}
	sim_expected(live, want, expect);
	bgx_desired_canonicalize(m);
	m->fast_path_set = expect->fast_path_set = true;
	CHECK(bgx_desired_equal(m, expect), "the plan does not end in the desired state");
	bgx_plan_free(&p);
	bgx_desired_free(m);
	bgx_desired_free(expect);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bgx_desired *d = bgx_desired_new(), *before = bgx_desired_new(), *none = bgx_desired_new();
	struct bgx_err e = { 0 };
	struct bgx_plan p;
	int r;

	CHECK(d && before && none, "out of memory");
	memset(d, 0xa5, sizeof(*d));
	memcpy(before, d, sizeof(*d));
	r = bgx_config_parse_buffer((const char *)data, size, SOURCE, d, &e);
	if (r) {
		check_refusal(data, size, r, &e);
		CHECK(!memcmp(d, before, sizeof(*d)), "a refused file changed the output");
		goto out;
	}
	check_round_trip(d);
	CHECK(!bgx_plan_build(d, d, &p, &e) && bgx_plan_empty(&p), "the plan from a state to itself is not empty");
	bgx_plan_free(&p);
	check_plan(none, d);
	check_plan(d, none);
out:
	bgx_desired_free(d);
	bgx_desired_free(before);
	bgx_desired_free(none);
	return 0;
}
