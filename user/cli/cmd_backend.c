// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* backend add / del / drain / up / down */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include "cli_state.h"
#include "commands.h"
#include "health_desired.h"
#include "model_edit.h"

struct backend_params {
	char service[BGXDP_NAME_LEN];
	__u32 color;
	struct endpoint ep;
	unsigned long long weight;      /* add only */
	bool wait;                      /* drain only: until its open flows are gone */
	__u64 timeout_ms;
};

#define BACKEND_POSITIONALS                                                             \
	PARAM_POS(struct backend_params, service, P_NAME, "NAME", "NAME", "Service name."),   \
	PARAM_POS(struct backend_params, color, P_COLOR, "blue|green", "color",              \
		  "Color of the backend."),                                                   \
	PARAM_POS(struct backend_params, ep, P_ENDPOINT, "ADDR:PORT", "ADDR:PORT",            \
		  "Backend address and port, same family as the VIP; IPv6 as [ADDR]:PORT.")

static const struct param add_params[] = {
	BACKEND_POSITIONALS,
	PARAM_OPT(struct backend_params, weight, P_UINT, "weight", "N", .def = "1", .min = 1,
		  .max = 1000,
		  .help = "Relative weight 1..1000: the backend gets a share of its color's new flows "
			  "proportional to its weight."),
	PARAM_END
};

static const struct param drain_params[] = {
	BACKEND_POSITIONALS,
	PARAM_OPT(struct backend_params, wait, P_FLAG, "wait", NULL,
		  .help = "Then wait until the backend's open flows are gone, printing their count "
			  "as it falls (see 'bgxdp wait drained')."),
	PARAM_OPT(struct backend_params, timeout_ms, P_DURATION, "timeout", "DUR", .min = 1,
		  .max = 7ull * 24 * 3600 * 1000,
		  .help = "With --wait: give up after DUR (exit 1; the backend stays drained)."),
	PARAM_END
};

static const struct param backend_params[] = {
	BACKEND_POSITIONALS,
	PARAM_END
};

enum backend_op { OP_ADD, OP_DEL, OP_DRAIN, OP_UP, OP_DOWN };

/* Does a running agent check this service's backends?  Then a new one
 * enters its ring only after it passed a check. */
static bool checked_by_agent(struct cli *cli, const char *service)
{
	struct health_settings s;
	struct bgx_err e = { 0 };
	const char *dir;

	if (!cli_agent_pid(cli) || cli_state_dir(cli, &dir))
		return false;
	return !health_settings_load(dir, service, &s, &e) && s.enabled;
}

static int call_library(struct bgx_instance *in, enum backend_op op,
			const struct backend_params *p, bool checked,
			struct bgx_backend_result *res, struct bgx_err *e)
{
	struct bgx_backend_ref ref = { .service = p->service, .color = p->color, .ep = p->ep };

	switch (op) {
	case OP_ADD:
		if (checked)
			return bgx_backend_add_checked(in, &ref, (__u16)p->weight, res, e);
		return bgx_backend_add(in, &ref, (__u16)p->weight, res, e);
	case OP_DEL:
		return bgx_backend_del(in, &ref, res, e);
	case OP_DRAIN:
		return bgx_backend_set_state(in, &ref, BACKEND_DRAIN, res, e);
	case OP_UP:
		return bgx_backend_set_state(in, &ref, BACKEND_UP, res, e);
	case OP_DOWN:
		return bgx_backend_set_state(in, &ref, BACKEND_DOWN, res, e);
	}
	return -1;
}

static void render(FILE *f, enum backend_op op, const struct backend_params *p,
		   const struct bgx_backend_result *res)
{
	char addr[BGX_ADDRESS_LEN];

	format_endpoint(p->ep.addr, htons(p->ep.port), p->ep.family, addr, sizeof(addr));
	if (!res->changed) {
		fprintf(f, "%s backend %s of %s is already %s\n", color_name(p->color), addr,
			res->service, backend_state_name(res->new_state));
		return;
	}
	fprintf(f, "%s backend %s of %s: %s (%u up)\n", color_name(p->color), addr, res->service,
		op == OP_ADD ? "added" : op == OP_DEL ? "deleted" : backend_state_name(res->new_state),
		res->in_ring);
}

static const char *const op_names[] = {
	[OP_ADD] = "add", [OP_DEL] = "del", [OP_DRAIN] = "drain", [OP_UP] = "up", [OP_DOWN] = "down",
};

static int render_json(struct cli *cli, enum backend_op op, const struct backend_params *p,
		       const struct bgx_backend_result *res)
{
	FILE *f = cli_json_begin(cli);
	char addr[BGX_ADDRESS_LEN];

	format_endpoint(p->ep.addr, htons(p->ep.port), p->ep.family, addr, sizeof(addr));
	fputs("{\"service\":", f);
	json_write_string(f, res->service);
	fprintf(f, ",\"color\":\"%s\",\"backend\":", color_name(p->color));
	json_write_string(f, addr);
	fprintf(f, ",\"action\":\"%s\",\"changed\":%s,\"state\":\"%s\",\"in_ring\":%u}",
		op_names[op], res->changed ? "true" : "false",
		op == OP_DEL ? "deleted" : backend_state_name(res->new_state), res->in_ring);
	return cli_json_end(cli);
}

/* "ready", "drain weight 3" (the config file's words). */
static json_t *backend_text(__u8 state, __u16 weight)
{
	char text[48];

	if (state == BACKEND_EMPTY)
		return NULL;
	snprintf(text, sizeof(text), "%s, weight %u", admin_state_name(state), weight);
	return json_string(text);
}

static void record(struct cli *cli, enum backend_op op, const struct backend_params *p,
		   const struct bgx_backend_result *res)
{
	static const char *const whats[] = {
		[OP_ADD] = "backend.add", [OP_DEL] = "backend.del", [OP_DRAIN] = "backend.drain",
		[OP_UP] = "backend.up", [OP_DOWN] = "backend.down",
	};
	char addr[BGX_ADDRESS_LEN], reason[BGX_ADDRESS_LEN + 16];

	format_endpoint(p->ep.addr, htons(p->ep.port), p->ep.family, addr, sizeof(addr));
	snprintf(reason, sizeof(reason), "%s %s", color_name(p->color), addr);
	cli_history(cli, whats[op], res->service,
		    op == OP_ADD ? NULL : backend_text(res->old_state, res->weight),
		    op == OP_DEL ? NULL : backend_text(res->new_state, res->weight), reason);
}

static int run_op(const void *params, struct cli *cli, enum backend_op op)
{
	const struct backend_params *p = params;
	bool checked = op == OP_ADD && checked_by_agent(cli, p->service);
	struct bgx_backend_result res;
	struct bgx_instance *in;
	int r;

	if ((r = cli_open(cli, BGX_WRITE, &in)))
		return r;
	r = call_library(in, op, p, checked, &res, &cli->err);
	bgx_close(in);
	if (r)
		return r;
	if (res.changed)
		record(cli, op, p, &res);
	if (checked)
		cli_wake_agent(cli);
	if (cli->globals.json)
		return render_json(cli, op, p, &res);
	render(cli->out, op, p, &res);
	return 0;
}

static int batch_op(const void *params, struct bgx_desired *model, enum backend_op op,
		    struct bgx_err *e)
{
	static const __u8 states[] = {
		[OP_DEL] = BACKEND_EMPTY, [OP_DRAIN] = BACKEND_DRAIN, [OP_UP] = BACKEND_UP,
		[OP_DOWN] = BACKEND_DOWN,
	};
	const struct backend_params *p = params;
	struct bgx_backend_ref ref = { .service = p->service, .color = p->color, .ep = p->ep };

	if (op == OP_ADD)
		return bgx_model_backend_add(model, &ref, (__u16)p->weight, e);
	return bgx_model_backend_set_state(model, &ref, states[op], e);
}

static int batch_add(const void *p, struct bgx_desired *m, struct bgx_err *e) { return batch_op(p, m, OP_ADD, e); }
static int batch_del(const void *p, struct bgx_desired *m, struct bgx_err *e) { return batch_op(p, m, OP_DEL, e); }
static int batch_drain(const void *p, struct bgx_desired *m, struct bgx_err *e) { return batch_op(p, m, OP_DRAIN, e); }
static int batch_up(const void *p, struct bgx_desired *m, struct bgx_err *e) { return batch_op(p, m, OP_UP, e); }
static int batch_down(const void *p, struct bgx_desired *m, struct bgx_err *e) { return batch_op(p, m, OP_DOWN, e); }

static int run_add(const void *p, struct cli *cli) { return run_op(p, cli, OP_ADD); }
static int run_del(const void *p, struct cli *cli) { return run_op(p, cli, OP_DEL); }
static int run_drain(const void *params, struct cli *cli)
{
	const struct backend_params *p = params;
	struct cli quiet = *cli;
	int r;

	if (!p->wait)
		return run_op(p, cli, OP_DRAIN);
	/* with --json, one object at the end: the wait's */
	quiet.out = cli->globals.json ? fopen("/dev/null", "w") : cli->out;
	if (!quiet.out)
		return bgx_fail(&cli->err, errno, "cannot open /dev/null: %s", strerror(errno));
	r = run_op(p, &quiet, OP_DRAIN);
	if (quiet.out != cli->out)
		fclose(quiet.out);
	if (r) {
		cli->err = quiet.err;
		return r;
	}
	return cli_wait_drained(cli, p->service, p->color, &p->ep, p->timeout_ms);
}
static int run_up(const void *p, struct cli *cli) { return run_op(p, cli, OP_UP); }
static int run_down(const void *p, struct cli *cli) { return run_op(p, cli, OP_DOWN); }

#define BACKEND_EXIT \
"  0  done.\n" \
"  1  failed (no such service/backend, or the last up backend of a color that\n" \
"     gets traffic); one line 'bgxdp: <what failed>: <why>' on stderr, nothing changed.\n" \
"  2  bad usage (unknown option, missing argument, malformed address, color,\n" \
"     weight or name); nothing changed.\n"

#define BACKEND_COMMAND(params_)                                \
	.params = params_,                                      \
	.params_size = sizeof(struct backend_params),           \
	.exit_status = BACKEND_EXIT,                            \
	.changes_state = true

const struct cmd_spec cmd_backend_add = {
	.name = "backend add",
	.summary = "add a backend to a service's blue or green set",
	BACKEND_COMMAND(add_params),
	.synopsis = "NAME blue|green ADDR:PORT [--weight N]",
	.description =
"  Adds ADDR:PORT to the blue or green backends of service NAME, up.  The\n"
"  color's Maglev ring is rebuilt in its inactive buffer and published with one\n"
"  atomic config-word store: about 1/N of that color's new flows move to the new\n"
"  backend; established flows keep their backend.  At most 128 per color.\n"
"  A backend address and port serves one service (blue, green or both): tc\n"
"  egress finds a reply's flow through it, so a second service is refused.\n",
	.examples =
"  bgxdp backend add web blue 10.1.0.1:8080\n"
"  bgxdp backend add web green 10.2.0.1:8080 --weight 2\n"
"  bgxdp backend add web6 blue [fd00::11]:8080\n",
	.run = run_add,
	.batch = batch_add,
};

const struct cmd_spec cmd_backend_del = {
	.name = "backend del",
	.synopsis = "NAME blue|green ADDR:PORT",
	.summary = "delete a backend",
	BACKEND_COMMAND(backend_params),
	.description =
"  Removes the backend: no new flows go to it; its established flows keep it\n"
"  until they end or idle out.  Refused for the last up backend of a color that\n"
"  gets a share of new flows (move the traffic with 'bgxdp set' first).\n",
	.examples = "  bgxdp backend del web blue 10.1.0.1:8080\n",
	.run = run_del,
	.batch = batch_del,
};

const struct cmd_spec cmd_backend_drain = {
	.name = "backend drain",
	.synopsis = "NAME blue|green ADDR:PORT [--wait [--timeout DUR]]",
	.summary = "stop sending new flows to a backend, keep its flows",
	BACKEND_COMMAND(drain_params),
	.description =
"  Takes the backend out of its color's ring (state drain): established flows\n"
"  stay on it, new flows go to the other backends.  'backend up' brings it back.\n"
"  Refused for the last up backend of a color that gets a share of new flows.\n"
"  With --wait it then blocks until the backend's open flows reach 0 (exit 0),\n"
"  or --timeout passes (exit 1): a rolling update can stop the server then.\n",
	.examples = "  bgxdp backend drain web blue 10.1.0.1:8080\n"
		    "  bgxdp backend drain web blue 10.1.0.1:8080 --wait --timeout 5m\n",
	.run = run_drain,
	.batch = batch_drain,
};

const struct cmd_spec cmd_backend_up = {
	.name = "backend up",
	.synopsis = "NAME blue|green ADDR:PORT",
	.summary = "put a backend (back) into service",
	BACKEND_COMMAND(backend_params),
	.description = "  Marks the backend up: it is put back into its color's ring.\n",
	.examples = "  bgxdp backend up web blue 10.1.0.1:8080\n",
	.run = run_up,
	.batch = batch_up,
};

const struct cmd_spec cmd_backend_down = {
	.name = "backend down",
	.synopsis = "NAME blue|green ADDR:PORT",
	.summary = "mark a backend down",
	BACKEND_COMMAND(backend_params),
	.description =
"  Marks the backend down: it is taken out of its color's ring, no new flows go\n"
"  to it.  Refused for the last up backend of a color that gets a share of new\n"
"  flows.\n",
	.examples = "  bgxdp backend down web green 10.2.0.1:8080\n",
	.run = run_down,
	.batch = batch_down,
};
