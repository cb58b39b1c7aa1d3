// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* backend add / del / drain / up / down */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "commands.h"
#include "endpoints.h"
#include "instance.h"
#include "values.h"
#include "util.h"

enum backend_op { OP_ADD, OP_DEL, OP_DRAIN, OP_UP, OP_DOWN };

static const struct opt_def add_opts[] = {
	{ .name = "weight", .type = OPT_UINT, .metavar = "N", .def = "1", .min = 1, .max = 1000,
	  .help = "Relative weight 1..1000: the backend gets a share of its color's new flows "
		  "proportional to its weight." },
	{ 0 }
};

static const struct arg_def backend_args[] = {
	{ "NAME", "Service name." },
	{ "blue|green", "Color of the backend." },
	{ "ADDR:PORT", "Backend address and port, same family as the VIP; IPv6 as [ADDR]:PORT." },
	{ 0 }
};


static int run_op(const struct opts *o, enum backend_op op)
{
	struct backend *bk = NULL, nb, old;
	struct endpoint ep;
	struct svc_meta m;
	struct instance in;
	__u32 color, id, slot = BGXDP_MAX_BACKENDS, free_slot = BGXDP_MAX_BACKENDS, key;
	__u64 word, new_word;
	const char *addr = o->pos[2];
	__u8 new_state;
	bool was_up;
	int r;

	if ((r = parse_name(o->pos[0], "NAME")) ||
	    (r = parse_color(o->pos[1], "color", &color)) ||
	    (r = parse_endpoint(addr, "ADDR:PORT", &ep)))
		return r;
	if ((r = instance_open(&in, instance_pin_dir(o), true)))
		return r;
	if ((r = svc_find(&in, o->pos[0], &id, &m)))
		goto out;
	if (ep.family != m.vip.family) {
		r = err_set(EINVAL, "%s: address family differs from the VIP of service '%s' (IPv%u)",
			    addr, m.name, m.vip.family);
		goto out;
	}
	bk = calloc(BGXDP_MAX_BACKENDS, sizeof(*bk));
	if (!bk) {
		r = err_set(ENOMEM, "out of memory");
		goto out;
	}
	if ((r = color_backends_read(&in, id, color, bk)))
		goto out;
	for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++) {
		if (bk[s].state == BACKEND_EMPTY) {
			if (free_slot == BGXDP_MAX_BACKENDS)
				free_slot = s;
			continue;
		}
		if (!memcmp(bk[s].addr, ep.addr, BGXDP_ADDR_LEN) &&
		    bk[s].port == htons(ep.port) && bk[s].family == ep.family)
			slot = s;
	}
	if (op == OP_ADD) {
		if (slot != BGXDP_MAX_BACKENDS) {
			r = err_set(EEXIST, "%s is already a %s backend of service '%s'", addr,
				    color_name(color), m.name);
			goto out;
		}
		if (free_slot == BGXDP_MAX_BACKENDS) {
			r = err_set(ENOSPC, "service '%s' already has %d %s backends (the maximum)",
				    m.name, BGXDP_MAX_BACKENDS, color_name(color));
			goto out;
		}
		slot = free_slot;
		memset(&nb, 0, sizeof(nb));
		memcpy(nb.addr, ep.addr, BGXDP_ADDR_LEN);
		nb.port = htons(ep.port);
		nb.family = ep.family;
		nb.state = BACKEND_UP;
		nb.weight = (__u16)opt_uint(o, "weight");
	} else {
		if (slot == BGXDP_MAX_BACKENDS) {
			r = err_set(ENOENT, "%s is not a %s backend of service '%s'", addr,
				    color_name(color), m.name);
			goto out;
		}
		nb = bk[slot];
		new_state = op == OP_DEL ? BACKEND_EMPTY : op == OP_DRAIN ? BACKEND_DRAIN :
			    op == OP_UP ? BACKEND_UP : BACKEND_DOWN;
		if (op == OP_DEL)
			memset(&nb, 0, sizeof(nb));
		else
			nb.state = new_state;
	}
	old = bk[slot];
	was_up = old.state == BACKEND_UP;
	bk[slot] = nb;

	word = svc_word(&in, id);
	if (was_up && nb.state != BACKEND_UP && backends_up(bk) == 0 &&
	    word_color_share(word, color) > 0) {
		char pct[16];

		format_percent_bp(word_color_share(word, color), pct, sizeof(pct));
		r = err_set(EBUSY, "%s is the last up %s backend of service '%s' and %s gets %s%% of new flows "
			    "(move the traffic first: 'bgxdp set %s --service %s')",
			    addr, color_name(color), m.name, color_name(color), pct,
			    color_name(color ^ 1), m.name);
		goto out;
	}
	if (op != OP_ADD && old.state == nb.state) {
		printf("%s backend %s of %s is already %s\n", color_name(color), addr, m.name,
		       backend_state_name(nb.state));
		r = 0;
		goto out;
	}
	if (op == OP_ADD && (r = endpoint_claim(&in, id, &m, &nb, addr)))
		goto out;
	key = backend_index(id, color, slot);
	/* Joining the ring: write the slot before the ring points at it.
	 * Leaving: publish the ring without it first, then update the slot. */
	if (nb.state == BACKEND_UP || op == OP_ADD) {
		if (bpf_map_update_elem(in.map_fd[MAP_BACKENDS], &key, &nb, BPF_ANY)) {
			r = err_set(errno, "cannot write backends[%u]: %s", key, strerror(errno));
			goto out;
		}
	}
	if (was_up || nb.state == BACKEND_UP) {
		r = color_prepare_ring(&in, id, color, bk, word, &new_word);
		if (r) {
			if (nb.state == BACKEND_UP || op == OP_ADD)
				bpf_map_update_elem(in.map_fd[MAP_BACKENDS], &key, &old, BPF_ANY);
			goto out;
		}
		svc_publish(&in, id, new_word);
	}
	if (!(nb.state == BACKEND_UP || op == OP_ADD)) {
		if (bpf_map_update_elem(in.map_fd[MAP_BACKENDS], &key, &nb, BPF_ANY)) {
			r = err_set(errno, "cannot write backends[%u]: %s", key, strerror(errno));
			goto out;
		}
	}
	printf("%s backend %s of %s: %s (%u up)\n", color_name(color), addr, m.name,
	       op == OP_ADD ? "added" : op == OP_DEL ? "deleted" : backend_state_name(nb.state),
	       backends_up(bk));
	r = 0;
out:
	free(bk);
	instance_close(&in);
	return r;
}

static int run_add(const struct opts *o) { return run_op(o, OP_ADD); }
static int run_del(const struct opts *o) { return run_op(o, OP_DEL); }
static int run_drain(const struct opts *o) { return run_op(o, OP_DRAIN); }
static int run_up(const struct opts *o) { return run_op(o, OP_UP); }
static int run_down(const struct opts *o) { return run_op(o, OP_DOWN); }

#define BACKEND_EXIT \
"  0  done.\n" \
"  1  failed (no such service/backend, or the last up backend of a color that\n" \
"     gets traffic); one line 'bgxdp: <what failed>: <why>' on stderr, nothing changed.\n" \
"  2  bad usage (unknown option, missing argument, malformed address, color,\n" \
"     weight or name); nothing changed.\n"

const struct cmd_spec cmd_backend_add = {
	.name = "backend add",
	.summary = "add a backend to a service's blue or green set",
	.synopsis = "NAME blue|green ADDR:PORT [--weight N]",
	.description =
"  Adds ADDR:PORT to the blue or green backends of service NAME, up.  The\n"
"  color's Maglev ring is rebuilt in its inactive buffer and published with one\n"
"  atomic config-word store: about 1/N of that color's new flows move to the new\n"
"  backend; established flows keep their backend.  At most 128 per color.\n"
"  A backend address and port serves one service (blue, green or both): tc\n"
"  egress finds a reply's flow through it, so a second service is refused.\n",
	.args = backend_args,
	.opts = add_opts,
	.examples =
"  bgxdp backend add web blue 10.1.0.1:8080\n"
"  bgxdp backend add web green 10.2.0.1:8080 --weight 2\n"
"  bgxdp backend add web6 blue [fd00::11]:8080\n",
	.exit_status = BACKEND_EXIT,
	.run = run_add,
};

const struct cmd_spec cmd_backend_del = {
	.name = "backend del",
	.summary = "delete a backend",
	.synopsis = "NAME blue|green ADDR:PORT",
	.description =
"  Removes the backend: no new flows go to it; its established flows keep it\n"
"  until they end or idle out.  Refused for the last up backend of a color that\n"
"  gets a share of new flows (move the traffic with 'bgxdp set' first).\n",
	.args = backend_args,
	.examples = "  bgxdp backend del web blue 10.1.0.1:8080\n",
	.exit_status = BACKEND_EXIT,
	.run = run_del,
};

const struct cmd_spec cmd_backend_drain = {
	.name = "backend drain",
	.summary = "stop sending new flows to a backend, keep its flows",
	.synopsis = "NAME blue|green ADDR:PORT",
	.description =
"  Takes the backend out of its color's ring (state drain): established flows\n"
"  stay on it, new flows go to the other backends.  'backend up' brings it back.\n"
"  Refused for the last up backend of a color that gets a share of new flows.\n",
	.args = backend_args,
	.examples = "  bgxdp backend drain web blue 10.1.0.1:8080\n",
	.exit_status = BACKEND_EXIT,
	.run = run_drain,
};

const struct cmd_spec cmd_backend_up = {
	.name = "backend up",
	.summary = "put a backend (back) into service",
	.synopsis = "NAME blue|green ADDR:PORT",
	.description = "  Marks the backend up: it is put back into its color's ring.\n",
	.args = backend_args,
	.examples = "  bgxdp backend up web blue 10.1.0.1:8080\n",
	.exit_status = BACKEND_EXIT,
	.run = run_up,
};

const struct cmd_spec cmd_backend_down = {
	.name = "backend down",
	.summary = "mark a backend down",
	.synopsis = "NAME blue|green ADDR:PORT",
	.description =
"  Marks the backend down: it is taken out of its color's ring, no new flows go\n"
"  to it.  Refused for the last up backend of a color that gets a share of new\n"
"  flows.\n",
	.args = backend_args,
	.examples = "  bgxdp backend down web green 10.2.0.1:8080\n",
	.exit_status = BACKEND_EXIT,
	.run = run_down,
};
