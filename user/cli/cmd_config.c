// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* apply / export / save: the instance as a declarative file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include "commands.h"
#include "config_yaml.h"
#include "export.h"
#include "state_dir.h"

#define SAVED_CONFIG "/etc/bgxdp/bgxdp.yaml"

static int state_dir_of(struct cli *cli, char *buf, size_t len)
{
	return state_dir_resolve(NULL, buf, len, &cli->err);
}

/* ---- apply ---- */

struct apply_params {
	const char *file;
	bool dry_run;
};

static const struct param apply_params[] = {
	PARAM_OPT(struct apply_params, file, P_STRING, "file", "FILE|-", .short_name = 'f',
		  .required = true, .help = "The desired state (YAML, see docs/config.md); - reads stdin."),
	PARAM_OPT(struct apply_params, dry_run, P_FLAG, "dry-run", NULL,
		  .help = "Print the plan (what would change, in order) and change nothing."),
	PARAM_END
};

static int render_plan(struct cli *cli, const struct bgx_plan *plan, bool dry_run,
		       const struct bgx_apply_result *res)
{
	char *text = NULL;
	int r;

	if (cli->globals.json) {
		json_t *doc = bgx_plan_to_json(plan);
		FILE *f = cli_json_begin(cli);

		if (!doc)
			return bgx_fail(&cli->err, ENOMEM, "out of memory");
		json_object_set_new(doc, "dry_run", json_boolean(dry_run));
		json_object_set_new(doc, "applied_steps", json_integer(res ? (json_int_t)res->steps : 0));
		json_object_set_new(doc, "published_services",
				    json_integer(res ? (json_int_t)res->services_published : 0));
		json_dumpf(doc, f, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(doc);
		return cli_json_end(cli);
	}
	if ((r = bgx_plan_render_text(plan, &text, &cli->err)))
		return r;
	fputs(text, cli->out);
	free(text);
	if (bgx_plan_empty(plan))
		fprintf(cli->out, "no changes: the instance is as the file describes\n");
	else if (dry_run)
		fprintf(cli->out, "dry run: nothing changed (%zu steps)\n", plan->n_steps);
	else
		fprintf(cli->out, "applied %zu steps; %zu services published\n", res->steps,
			res->services_published);
	return 0;
}

static int run_apply(const void *params, struct cli *cli)
{
	const struct apply_params *p = params;
	struct bgx_desired *desired = bgx_desired_new(), *live = bgx_desired_new();
	struct bgx_plan plan = { 0 };
	struct bgx_apply_result res = { 0 };
	char state_dir[PATH_MAX];
	int r;

	if (!desired || !live) {
		r = bgx_fail(&cli->err, ENOMEM, "out of memory");
		goto out;
	}
	if ((r = bgx_config_parse_file(p->file, desired, &cli->err)) ||
	    (r = state_dir_of(cli, state_dir, sizeof(state_dir))) ||
	    (r = bgx_export_pin_dir(cli->pin_dir, state_dir, live, &cli->err)) ||
	    (r = bgx_plan_build(live, desired, &plan, &cli->err)))
		goto out;
	if (!p->dry_run && !bgx_plan_empty(&plan) &&
	    ((r = state_dir_prepare(state_dir, &cli->err)) ||
	     (r = bgx_apply(cli->pin_dir, state_dir, desired, &plan, &res, &cli->err))))
		goto out;
	r = render_plan(cli, &plan, p->dry_run, &res);
out:
	bgx_plan_free(&plan);
	bgx_desired_free(desired);
	bgx_desired_free(live);
	return r;
}

/* ---- export, save ---- */

static int export_text(struct cli *cli, char **text, size_t *len, char digest[BGX_DIGEST_HEX_LEN])
{
	struct bgx_desired *live = bgx_desired_new();
	char state_dir[PATH_MAX];
	struct bgx_instance *in;
	int r;

	if (!live)
		return bgx_fail(&cli->err, ENOMEM, "out of memory");
	if (!(r = state_dir_of(cli, state_dir, sizeof(state_dir))) &&
	    !(r = cli_open(cli, BGX_READ, &in))) {
		r = bgx_export(in, state_dir, live, &cli->err);
		bgx_close(in);
	}
	if (!r)
		r = bgx_config_emit(live, text, len, &cli->err);
	if (!r)
		r = bgx_config_digest(live, digest, &cli->err);
	bgx_desired_free(live);
	return r;
}

static int run_export(const void *params, struct cli *cli)
{
	char digest[BGX_DIGEST_HEX_LEN], *text = NULL;
	size_t len = 0;
	int r;

	(void)params;
	if ((r = export_text(cli, &text, &len, digest)))
		return r;
	if (cli->globals.json) {
		FILE *f = cli_json_begin(cli);

		fputs("{\"digest\":", f);
		json_write_string(f, digest);
		fputs(",\"yaml\":", f);
		json_write_string(f, text);
		fputs("}", f);
		free(text);
		return cli_json_end(cli);
	}
	fwrite(text, 1, len, cli->out);
	free(text);
	return 0;
}

struct save_params {
	const char *file;
};

static const struct param save_params[] = {
	PARAM_OPT(struct save_params, file, P_STRING, "file", "FILE", .short_name = 'f',
		  .def = SAVED_CONFIG,
		  .help = "Where to write: what the systemd unit applies at boot."),
	PARAM_END
};

/* temp file + fsync + rename: the file is the old one or the new one. */
static int write_atomically(const char *path, const char *text, size_t len, struct bgx_err *e)
{
	char tmp[PATH_MAX], dir[PATH_MAX], *slash;
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, getpid()) >= (int)sizeof(tmp))
		return bgx_fail(e, ENAMETOOLONG, "%s: path too long", path);
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0755) && errno != EEXIST)
			return bgx_fail(e, errno, "cannot create %s: %s", dir, strerror(errno));
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return bgx_fail(e, errno, "cannot create %s: %s", tmp, strerror(errno));
	if (write(fd, text, len) != (ssize_t)len || fsync(fd))
		r = bgx_fail(e, errno ? errno : EIO, "cannot write %s: %s", tmp, strerror(errno));
	close(fd);
	if (!r && rename(tmp, path))
		r = bgx_fail(e, errno, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
	if (r)
		unlink(tmp);
	return r;
}

static int run_save(const void *params, struct cli *cli)
{
	const struct save_params *p = params;
	char digest[BGX_DIGEST_HEX_LEN], *text = NULL;
	size_t len = 0;
	int r;

	if ((r = export_text(cli, &text, &len, digest)))
		return r;
	r = write_atomically(p->file, text, len, &cli->err);
	free(text);
	if (r)
		return r;
	if (cli->globals.json) {
		FILE *f = cli_json_begin(cli);

		fputs("{\"file\":", f);
		json_write_string(f, p->file);
		fputs(",\"digest\":", f);
		json_write_string(f, digest);
		fputs("}", f);
		return cli_json_end(cli);
	}
	fprintf(cli->out, "saved the live state to %s (digest %.12s)\n", p->file, digest);
	return 0;
}

const struct cmd_spec cmd_apply = {
	.name = "apply",
	.summary = "bring the instance to the state a file describes",
	.synopsis = "-f FILE|- [--dry-run]",
	.description =
"  Reads the desired state (interfaces, flow table size, fast path, services,\n"
"  their backends and admin states, splits and health settings; the format is\n"
"  in docs/config.md and what 'bgxdp export' writes), compares it with the\n"
"  live state and makes only the changes that differ, in a safe order:\n"
"  interfaces first, then each service's backends and split published with\n"
"  one config-word store (a packet sees the service before or after, never\n"
"  in between), services removed last.  Nothing changes when the file and the\n"
"  instance agree ('bgxdp export | bgxdp apply -f -' moves no generation).\n"
"  A file that is wrong in any way (syntax, unknown key, wrong type, bad\n"
"  address, duplicate backend, unknown color, a share for a color with no\n"
"  ready backend) is refused with FILE:LINE:COL and a reason, and nothing\n"
"  changes.  Interfaces not in the file stay attached unless it says\n"
"  'prune: true'.  The first apply on a host creates the instance.\n",
	.params = apply_params,
	.params_size = sizeof(struct apply_params),
	.examples =
"  bgxdp apply -f /etc/bgxdp/bgxdp.yaml --dry-run\n"
"  bgxdp apply -f /etc/bgxdp/bgxdp.yaml\n"
"  bgxdp export | sed 's/green: 10/green: 50/' | bgxdp apply -f -\n",
	.changes_state = true,
	.run = run_apply,
};

const struct cmd_spec cmd_export = {
	.name = "export",
	.summary = "print the live state as a declarative file",
	.synopsis = "",
	.description =
"  Prints the live state of the instance in the format 'bgxdp apply' reads:\n"
"  attached interfaces and their XDP mode, the flow table size, the fast path,\n"
"  every service with its backends, admin states, split and stored health\n"
"  settings.  Canonical: the same state always prints the same bytes, so the\n"
"  output can be kept in version control and diffed.  With --json:\n"
"  {\"digest\": SHA-256 of the text, \"yaml\": the text}.\n",
	.examples =
"  bgxdp export > web.yaml\n"
"  bgxdp export | bgxdp apply -f - --dry-run   # no changes\n",
	.run = run_export,
};

const struct cmd_spec cmd_save = {
	.name = "save",
	.summary = "write the live state where the systemd unit applies it at boot",
	.synopsis = "[-f FILE]",
	.description =
"  Writes what 'bgxdp export' prints to /etc/bgxdp/bgxdp.yaml (or FILE),\n"
"  atomically: a temporary file is written and synced, then renamed over the\n"
"  old one, so the file is always whole.  bgxdp.service applies that file at\n"
"  boot, so a saved state survives a reboot.\n",
	.params = save_params,
	.params_size = sizeof(struct save_params),
	.examples = "  bgxdp set green && bgxdp save\n",
	.changes_state = false,
	.run = run_save,
};
