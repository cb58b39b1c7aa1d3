// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * config.c - the configurations the data-plane fuzzer runs under, made by
 * the control-plane library.
 *
 * Round 0 builds a configuration from nothing; every later round changes
 * it with a random sequence of what an operator does (service add and del,
 * backend add, del, drain, down and up, weights, shares, rollback, whole
 * services at once with bgx_service_update), each through libbgxdp, so the
 * maps hold only what the control plane's ordering rules leave.  Refused
 * operations (a VIP in use, an endpoint of another service, a share for a
 * color without backends, the last backend of a color with a share) are
 * part of the sequence.  The pools are small on purpose (config_values.c):
 * services share VIP addresses and ports across protocols, an IPv6 VIP has
 * the bytes of an IPv4 one, backends share hosts and ports, blue and green
 * run on one host, previews, both affinities, empty colors; the first
 * service of every seed, and one update in eight, get dozens of backends.
 *
 * Two kinds of state no finished operation leaves are made on purpose:
 * - a writer killed between two steps (a forked child runs the operation
 *   and dies at the step, as test_control_plane.c does): what packets meet
 *   until the next command recovers it, which the next round does first;
 * - corrupt maps (plant_racy()): the data plane must still pass what it
 *   cannot forward untouched.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <bpf/libbpf.h>
#include "bgxdp.skel.h"
#include "libbgxdp.h"
#include "fuzz_config.h"
#include "config_values.h"

#define RACY         "racy"

enum op {
	OP_SERVICE_ADD, OP_SERVICE_DEL, OP_BACKEND_ADD, OP_BACKEND_DEL, OP_BACKEND_STATE,
	OP_SHARE, OP_ROLLBACK, OP_UPDATE, OP_COUNT
};

/* ---- operations ------------------------------------------------------------- */

static int service_add(struct bgx_instance *in, struct rng *r, const struct bgx_snapshot *snap,
		       struct fuzz_config_stats *st, struct bgx_err *e)
{
	struct bgx_service_spec s;

	some_service_spec(r, snap, st, &s);
	return bgx_service_add(in, &s, e);
}

static int backend_op(struct bgx_instance *in, struct rng *r, const struct bgx_snapshot *snap,
		      enum op op, struct bgx_err *e)
{
	const struct bgx_service_view *sv = some_service(r, snap);
	const struct bgx_backend_view *bv = some_backend_of(r, sv);
	struct bgx_backend_ref ref = { .color = rng_below(r, BGXDP_COLORS) };
	__u8 family;

	if (!sv)
		return 0;
	ref.service = sv->name;
	if (op == OP_BACKEND_ADD) {
		family = sv->vip[0] == '[' ? BGXDP_FAMILY_IPV6 : BGXDP_FAMILY_IPV4;
		if (rng_chance(r, 3))           /* refused: the VIP's family differs */
			family ^= BGXDP_FAMILY_IPV4 ^ BGXDP_FAMILY_IPV6;
		ref.ep = some_backend(r, family);
		return bgx_backend_add(in, &ref, some_weight(r), NULL, e);
	}
	if (!bv)
		return 0;
	ref.color = bv->color;
	ref.ep = bv->ep;
	if (op == OP_BACKEND_DEL)
		return bgx_backend_del(in, &ref, NULL, e);
	return bgx_backend_set_state(in, &ref, some_state(r), NULL, e);
}

static int run_op(struct bgx_instance *in, struct rng *r, const struct bgx_snapshot *snap,
		  enum op op, struct fuzz_config_stats *st, struct bgx_err *e)
{
	const struct bgx_service_view *sv;

	switch (op) {
	case OP_SERVICE_ADD:
		return service_add(in, r, snap, st, e);
	case OP_BACKEND_ADD:
	case OP_BACKEND_DEL:
	case OP_BACKEND_STATE:
		return backend_op(in, r, snap, op, e);
	default:
		break;
	}
	if (!(sv = some_service(r, snap)))
		return 0;
	if (op == OP_SERVICE_DEL)
		return bgx_service_del(in, sv->name, e);
	if (op == OP_SHARE)
		return bgx_share_set(in, sv->name, some_share(r), NULL, e);
	if (op == OP_ROLLBACK)
		return bgx_share_rollback(in, sv->name, NULL, e);
	return -ENOSYS;
}

/* The refusals an operator can meet; anything else is a failure. */
static bool is_refusal(int r)
{
	return r == -EEXIST || r == -ENOENT || r == -EINVAL || r == -EBUSY || r == -ENOSPC ||
	       r == -EADDRINUSE;
}

static int count(int r, const struct bgx_err *e, struct fuzz_config_stats *st)
{
	st->ops++;
	if (r >= 0)
		return 0;
	st->refused++;
	if (is_refusal(r))
		return 0;
	fprintf(stderr, "fuzz_dp: the control plane failed: %s (%s)\n", e->msg, strerror(-r));
	return r;
}

static int update(struct bgx_instance *in, struct rng *r, const struct bgx_snapshot *snap,
		  struct fuzz_config_stats *st)
{
	static struct bgx_service_target t;
	struct bgx_service_update_result res;
	const struct bgx_service_view *sv = some_service(r, snap);
	struct bgx_err e = { 0 };

	if (!sv)
		return 0;
	some_target(r, sv, rng_chance(r, 12), &t, st);
	return count(bgx_service_update(in, sv->name, &t, &res, &e), &e, st);
}

/* ---- a writer killed between two steps ----------------------------------- */

static void die_at(const char *op, const char *step, void *ctx)
{
	int *left = ctx;

	(void)op;
	(void)step;
	if (--*left == 0)
		_exit(0);
}

/* `op` run by a child that dies at its `step`-th step (or finishes). */
static int killed(struct bgx_instance *in, struct rng *r, const struct bgx_snapshot *snap,
		  enum op op, int step, struct fuzz_config_stats *st)
{
	int status;
	pid_t child;

	fflush(NULL);
	child = fork();
	if (child < 0)
		return -errno;
	if (child == 0) {
		struct bgx_err e = { 0 };

		bgx_set_step_hook(in, die_at, &step);
		if (op == OP_UPDATE)
			update(in, r, snap, st);
		else
			run_op(in, r, snap, op, st, &e);
		_exit(3);
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
		return -ECHILD;
	st->kills += WEXITSTATUS(status) == 0;
	return 0;
}

/* ---- corrupt maps ------------------------------------------------------------ */

/*
 * A service whose maps are corrupt, planted: none of this is a
 * control-plane sequence, the library never leaves it, but the data plane
 * must pass whatever it cannot forward untouched even if the maps were
 * corrupt.  The service itself (UDP 10.0.0.6:5353, three blue backends,
 * one draining, sometimes green ones) is made by the library; then its
 * live blue ring is overwritten with slot numbers that are empty, past
 * the table, of a draining backend and of a slot planted with a backend of
 * the other family; and, when green has no backend, the word is given
 * green's whole share (the library refuses that share), so new flows fall
 * back to blue.  The next round deletes the service through the library.
 */
/* The racy service through the library: its id, or -1 if it was refused
 * (all service slots in use); `green`: with green backends too. */
static int racy_add(struct bgx_instance *in, struct bgxdp *skel, bool green,
		    struct fuzz_config_stats *st)
{
	struct bgx_service_spec s = { .name = RACY, .proto = IPPROTO_UDP,
				      .vip = ep_v4(0, 6, 5353) };
	struct bgx_err e = { 0 };
	int r = bgx_service_add(in, &s, &e);

	if (r)
		return count(r, &e, st) ?: -1;
	for (__u32 c = 0; c < (green ? 2u : 1u); c++) {
		for (__u32 n = 0; n < 3; n++) {
			struct bgx_backend_ref ref = { .service = RACY, .color = c,
				.ep = backend_ep(BGXDP_FAMILY_IPV4, POOL_HOSTS + n, c) };

			if ((r = bgx_backend_add(in, &ref, 1, NULL, &e)) ||
			    (n == 2 && !c && (r = bgx_backend_set_state(in, &ref, BACKEND_DRAIN,
								       NULL, &e))))
				return count(r, &e, st) ?: -EIO;
			st->ops++;
		}
	}
	for (__u32 id = 0; id < BGXDP_MAX_SERVICES; id++) {
		struct svc_meta m;

		if (!bpf_map__lookup_elem(skel->maps.svc_meta, &id, sizeof(id), &m, sizeof(m), 0) &&
		    m.in_use && !strcmp(m.name, RACY))
			return (int)id;
	}
	return -ENOENT;
}

static int plant_racy(struct bgx_instance *in, struct bgxdp *skel, struct rng *r,
		      struct fuzz_config_stats *st)
{
	static const __u16 bad[] = { 0, 1, 2, 5, 200, 0xffff, 127, 128 };
	static struct maglev_ring ring;
	struct backend other = { .port = htons(7001), .family = BGXDP_FAMILY_IPV6,
				 .state = BACKEND_UP, .weight = 1 };
	bool green = rng_chance(r, 50);
	int id = racy_add(in, skel, green, st);
	__u32 key;
	__u64 word;

	if (id < 0)
		return id == -1 ? 0 : id;
	if (bpf_map__lookup_elem(skel->maps.svc_config, &id, sizeof(id), &word, sizeof(word), 0))
		return -errno;
	memcpy(other.addr, backend_ep(BGXDP_FAMILY_IPV6, 0, 0).addr, BGXDP_ADDR_LEN);
	key = backend_index((__u32)id, BGXDP_BLUE, 1);
	if (bpf_map__update_elem(skel->maps.backends, &key, sizeof(key), &other, sizeof(other), 0))
		return -errno;
	for (__u32 i = 0; i < BGXDP_RING_SIZE; i++)
		ring.slots[i] = bad[(i * 7 + (i >> 5)) % 8];
	key = ring_index((__u32)id, BGXDP_BLUE, cfg_ring_buffer(word, BGXDP_BLUE));
	if (bpf_map__update_elem(skel->maps.maglev_rings, &key, sizeof(key), &ring, sizeof(ring), 0))
		return -errno;
	word = cfg_with_share(word, BGXDP_SHARE_SCALE);
	if (!green && bpf_map__update_elem(skel->maps.svc_config, &id, sizeof(id), &word,
					   sizeof(word), 0))
		return -errno;
	st->planted++;
	return 0;
}

/* ---- rounds ------------------------------------------------------------------ */

/* An operation, weighted so that the number of services stays around
 * four to eight and most of them have backends. */
static enum op some_op(struct rng *r, __u32 services)
{
	__u32 w[OP_COUNT] = {
		[OP_SERVICE_ADD] = services < 4 ? 8 : services > 8 ? 0 : 2,
		[OP_SERVICE_DEL] = services > 8 ? 4 : services < 4 ? 0 : 1,
		[OP_BACKEND_ADD] = 3, [OP_BACKEND_DEL] = 1, [OP_BACKEND_STATE] = 3,
		[OP_SHARE] = 3, [OP_ROLLBACK] = 1, [OP_UPDATE] = 3,
	};
	__u32 total = 0, pick;

	for (int i = 0; i < OP_COUNT; i++)
		total += w[i];
	pick = rng_below(r, total);
	for (int i = 0; i < OP_COUNT; i++) {
		if (pick < w[i])
			return (enum op)i;
		pick -= w[i];
	}
	return OP_SHARE;
}

/* What the next command would do first: finish a killed writer's change,
 * and remove the corrupt service. */
static int round_start(struct bgx_instance *in, struct fuzz_config_stats *st)
{
	struct bgx_err e = { 0 };
	int r = bgx_recover(in, BGX_RECOVER_FULL, &e);

	if (r < 0)
		return count(r, &e, st);
	r = bgx_service_del(in, RACY, &e);
	return r == -ENOENT ? 0 : count(r, &e, st);
}

/* Round 0's first services, so that every seed starts with them: an
 * IPv4 TCP service with a preview address, a UDP service on its VIP
 * address and port, and an IPv6 service on a00:1:: (the bytes of
 * 10.0.0.1) with client affinity; the rest at random. */
static int build_services(struct bgx_instance *in, struct rng *r, struct fuzz_config_stats *st)
{
	unsigned int n = 5 + rng_below(r, 5);
	struct bgx_service_spec first = { 0 };
	int err = 0;

	for (unsigned int i = 0; i < n && !err; i++) {
		struct bgx_snapshot *snap;
		struct bgx_service_spec s;
		struct bgx_err e = { 0 };

		if ((err = bgx_snapshot(in, BGX_SNAP_CONFIG, NULL, &snap, &e)) < 0)
			return err;
		some_service_spec(r, snap, st, &s);
		free(snap);
		if (i == 0) {
			s.vip = some_vip(r, BGXDP_FAMILY_IPV4);
			s.has_preview = true;
			s.preview = some_preview(r, BGXDP_FAMILY_IPV4);
			s.proto = IPPROTO_TCP;
			first = s;
		} else if (i == 1) {
			s.vip = first.vip;
			s.has_preview = false;
			s.proto = IPPROTO_UDP;
		} else if (i == 2) {
			s.vip = some_vip(r, BGXDP_FAMILY_IPV4);
			s.vip.addr[1] = 0;
			s.vip.addr[2] = 0;
			s.vip.addr[3] = 1;
			s.vip.family = BGXDP_FAMILY_IPV6;
			s.has_preview = false;
			s.affinity_client = true;
		}
		err = count(bgx_service_add(in, &s, &e), &e, st);
	}
	return err;
}

/* Round 0: services first, then each one given backends and a share in
 * one update (the first of them dozens of backends). */
static int build(struct bgx_instance *in, struct rng *r, struct fuzz_config_stats *st)
{
	struct bgx_snapshot *snap;
	struct bgx_err e = { 0 };
	int err;

	if ((err = build_services(in, r, st)) ||
	    (err = bgx_snapshot(in, BGX_SNAP_CONFIG, NULL, &snap, &e)) < 0)
		return err;
	for (__u32 i = 0; i < snap->n_services && !err; i++) {
		static struct bgx_service_target t;
		struct bgx_service_update_result res;

		some_target(r, &snap->services[i], i == 0, &t, st);
		bgx_err_clear(&e);
		err = count(bgx_service_update(in, snap->services[i].name, &t, &res, &e), &e, st);
	}
	free(snap);
	return err;
}

int fuzz_config_round(struct bgx_instance *in, struct bgxdp *skel, struct rng *r,
		      unsigned int round, struct fuzz_config_stats *st)
{
	unsigned int ops = 1 + rng_below(r, 5);
	int err = round_start(in, st);

	if (!err && round == 0)
		err = build(in, r, st);
	for (unsigned int i = 0; i < ops && !err; i++) {
		struct bgx_snapshot *snap;
		struct bgx_err e = { 0 };
		enum op op;

		if ((err = bgx_snapshot(in, BGX_SNAP_CONFIG, NULL, &snap, &e)) < 0) {
			fprintf(stderr, "fuzz_dp: snapshot: %s\n", e.msg);
			break;
		}
		op = some_op(r, snap->n_services);
		/* The round's last operation, sometimes: a writer killed at a
		 * random step of it, or a service delete killed once it has
		 * unpublished the word (the VIP still there, its word 0). */
		if (round && i == ops - 1 && rng_chance(r, 25))
			err = rng_chance(r, 50) ? killed(in, r, snap, OP_SERVICE_DEL, 2, st)
						: killed(in, r, snap, op, 1 + (int)rng_below(r, 5), st);
		else if (op == OP_UPDATE)
			err = update(in, r, snap, st);
		else
			err = count(run_op(in, r, snap, op, st, &e), &e, st);
		free(snap);
	}
	if (!err && rng_chance(r, 25))
		err = plant_racy(in, skel, r, st);
	return err;
}
