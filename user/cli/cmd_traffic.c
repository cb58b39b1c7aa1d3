// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* set / weight / rollback: the traffic split, one atomic word store each. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "commands.h"
#include "instance.h"
#include "values.h"
#include "util.h"

static const struct opt_def svc_opts[] = {
	{ .name = "service", .type = OPT_STRING, .metavar = "NAME",
	  .help = "Service to change; may be left out while exactly one service exists." },
	{ 0 }
};

static const struct arg_def set_args[] = {
	{ "blue|green", "The color that gets all new flows." },
	{ 0 }
};

static const struct arg_def weight_args[] = {
	{ "blue|green", "The color whose share is set." },
	{ "PERCENT", "Its share of new flows: 0..100 with at most two decimals (10, 12.5, 0.01)." },
	{ 0 }
};

static __u64 now_unix_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

/* Publish green share `green_bp` for the service, recording the change. */
static int apply_share(const struct opts *o, __u32 green_bp, bool rollback)
{
	struct svc_meta m;
	struct instance in;
	__u64 word, new_word;
	__u32 id;
	char pb[16], pg[16];
	int r;

	if ((r = instance_open(&in, instance_pin_dir(o), true)))
		return r;
	if ((r = svc_find(&in, opt_str(o, "service"), &id, &m)))
		goto out;
	word = svc_word(&in, id);
	if (rollback) {
		if (!m.changes || !(m.previous_word & CFG_CONFIGURED)) {
			r = err_set(ENOENT, "service '%s' has no earlier traffic split to go back to",
				    m.name);
			goto out;
		}
		green_bp = cfg_green_share(m.previous_word);
	}
	new_word = cfg_with_share(word, green_bp);
	for (__u32 c = 0; c < BGXDP_COLORS; c++) {
		if (word_color_share(new_word, c) && !(word & CFG_HAS_BACKENDS(c))) {
			format_percent_bp(word_color_share(new_word, c), pb, sizeof(pb));
			r = err_set(EINVAL, "%s would get %s%% of new flows of service '%s' but has no up backend "
				    "(add one with 'bgxdp backend add %s %s ADDR:PORT')",
				    color_name(c), pb, m.name, m.name, color_name(c));
			goto out;
		}
	}
	new_word = cfg_next_generation(new_word);
	m.previous_word = word;
	m.changes++;
	m.last_change_unix_ns = now_unix_ns();
	if ((r = svc_meta_write(&in, id, &m)))
		goto out;
	svc_publish(&in, id, new_word);
	format_percent_bp(word_color_share(new_word, BGXDP_BLUE), pb, sizeof(pb));
	format_percent_bp(word_color_share(new_word, BGXDP_GREEN), pg, sizeof(pg));
	printf("%s%s: blue %s%%, green %s%% of new flows (generation %u)\n",
	       rollback ? "rolled back " : "", m.name, pb, pg, cfg_generation(new_word));
out:
	instance_close(&in);
	return r;
}

static int run_set(const struct opts *o)
{
	__u32 color;
	int r;

	if ((r = parse_color(o->pos[0], "color", &color)))
		return r;
	if (opt_str(o, "service") && (r = parse_name(opt_str(o, "service"), "--service")))
		return r;
	return apply_share(o, color == BGXDP_GREEN ? BGXDP_SHARE_SCALE : 0, false);
}

static int run_weight(const struct opts *o)
{
	__u32 color, bp;
	int r;

	if ((r = parse_color(o->pos[0], "color", &color)) ||
	    (r = parse_percent_bp(o->pos[1], "PERCENT", &bp)))
		return r;
	if (opt_str(o, "service") && (r = parse_name(opt_str(o, "service"), "--service")))
		return r;
	return apply_share(o, color == BGXDP_GREEN ? bp : BGXDP_SHARE_SCALE - bp, false);
}

static int run_rollback(const struct opts *o)
{
	int r;

	if (opt_str(o, "service") && (r = parse_name(opt_str(o, "service"), "--service")))
		return r;
	return apply_share(o, 0, true);
}

static const char traffic_exit[] =
"  0  done.\n"
"  1  failed (no such service, or a color would get traffic without an up\n"
"     backend); one line 'bgxdp: <what failed>: <why>' on stderr, nothing changed.\n"
"  2  bad usage (unknown option, missing argument, malformed color, percentage\n"
"     or name); nothing changed.\n";

const struct cmd_spec cmd_set = {
	.name = "set",
	.summary = "send all new flows to one color",
	.synopsis = "blue|green [--service NAME]",
	.description =
"  Flips the service: every new flow goes to the given color.  Established\n"
"  flows keep their backend until they end or idle out.  The flip is one atomic\n"
"  store of the service's config word: O(1), whatever the number of flows.\n"
"  Refused if the color has no up backend.  The previous split is kept for\n"
"  'bgxdp rollback'.\n",
	.args = set_args,
	.opts = svc_opts,
	.examples =
"  bgxdp set green                 # the only service: all new flows to green\n"
"  bgxdp set blue --service web\n",
	.exit_status = traffic_exit,
	.run = run_set,
};

const struct cmd_spec cmd_weight = {
	.name = "weight",
	.summary = "give a color a percentage of new flows (canary)",
	.synopsis = "blue|green PERCENT [--service NAME]",
	.description =
"  Sets the share of new flows the color gets, 0..100 % in 0.01 steps; the\n"
"  other color gets the rest.  Monotone: raising green's share only moves\n"
"  flows (or clients, with --affinity client) from blue to green.  Refused if\n"
"  a color would get a share without an up backend.\n",
	.args = weight_args,
	.opts = svc_opts,
	.examples =
"  bgxdp weight green 10           # canary: 10 % of new flows to green\n"
"  bgxdp weight green 0.5 --service web\n"
"  bgxdp weight blue 100           # same as 'bgxdp set blue'\n",
	.exit_status = traffic_exit,
	.run = run_weight,
};

const struct cmd_spec cmd_rollback = {
	.name = "rollback",
	.summary = "go back to the traffic split before the last change",
	.synopsis = "[--service NAME]",
	.description =
"  Restores the blue/green split that was in force before the last 'set',\n"
"  'weight' or 'rollback' (so a second rollback undoes the first).  Rollback is\n"
"  about the traffic split only: backends and their states stay as they are now.\n"
"  Refused if a color would get a share without an up backend.\n",
	.opts = svc_opts,
	.examples =
"  bgxdp weight green 10 && bgxdp rollback   # back to the split before\n",
	.exit_status = traffic_exit,
	.run = run_rollback,
};
