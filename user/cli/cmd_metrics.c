// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* metrics, serve: the per-color counters as Prometheus text exposition. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "prometheus.h"

/* Open the instance read-only (no lock: readers never wait for writers),
 * snapshot it, render it. */
int render_instance(FILE *out, const char *pin_dir, struct bgx_err *e)
{
	struct bgx_snapshot *snap = NULL;
	struct bgx_instance *in;
	int err = bgx_open(pin_dir, BGX_READ, &in, e);

	if (!err) {
		err = bgx_snapshot(in, BGX_SNAP_FLOWS | BGX_SNAP_COUNTERS, NULL, &snap, e);
		bgx_close(in);
	}
	if (!err && (err = prometheus_render(out, snap)))
		bgx_fail(e, err, "cannot write the metrics: %s", strerror(-err));
	free(snap);
	return err;
}

/* One label value of the exposition (escaped \\ \" \n) as a JSON string. */
static const char *json_label_value(FILE *f, const char *v)
{
	fputc('"', f);
	for (; *v && *v != '"'; v++) {
		if (*v == '\\' && v[1]) {
			v++;
			fputs(*v == 'n' ? "\\n" : *v == '"' ? "\\\"" : "\\\\", f);
			continue;
		}
		if ((unsigned char)*v < 0x20)
			fprintf(f, "\\u%04x", *v);
		else
			fputc(*v, f);
	}
	fputc('"', f);
	return *v ? v + 1 : v;
}

/* name{a="x",b="y"} value  ->  {"name":..,"labels":{..},"value":..} */
static void json_sample(FILE *f, char *line, bool first)
{
	char *brace = strchr(line, '{'), *space = strrchr(line, ' '), *p;

	if (!space)
		return;
	*space = 0;
	fprintf(f, "%s{\"name\":\"%.*s\",\"labels\":{", first ? "" : ",",
		(int)(brace ? brace - line : space - line), line);
	for (p = brace ? brace + 1 : space; p < space && *p != '}';) {
		char *eq = strchr(p, '=');

		if (!eq)
			break;
		fprintf(f, "%s\"%.*s\":", p == brace + 1 ? "" : ",", (int)(eq - p), p);
		p = (char *)json_label_value(f, eq + 2);
		if (*p == ',')
			p++;
	}
	fprintf(f, "},\"value\":%s}", space + 1);
}

/* The exposition as JSON: every sample with its labels and value. */
static int render_json(struct cli *cli)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	bool first = true;
	FILE *f;
	int r;

	if (!mem)
		return bgx_fail(&cli->err, ENOMEM, "out of memory");
	r = render_instance(mem, cli->pin_dir, &cli->err);
	fclose(mem);
	if (r) {
		free(text);
		return r;
	}
	f = cli_json_begin(cli);
	fputs("{\"metrics\":[", f);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		json_sample(f, line, first);
		first = false;
	}
	fputs("]}", f);
	free(text);
	return cli_json_end(cli);
}

static int run_metrics(const void *params, struct cli *cli)
{
	(void)params;
	if (cli->globals.json)
		return render_json(cli);
	return render_instance(cli->out, cli->pin_dir, &cli->err);
}

const struct cmd_spec cmd_metrics = {
	.name = "metrics",
	.summary = "print the counters once in Prometheus text format",
	.synopsis = "",
	.params_size = 0,
	.description =
"  Prints every counter and gauge of the instance once to stdout in the\n"
"  Prometheus text exposition format 0.0.4: packets and bytes per service,\n"
"  color and direction (to_backend, to_client), flows created and active,\n"
"  traffic share (0-1), TCP resets from backends, per-backend packets, bytes\n"
"  and up state, config changes, time of the last change, packets passed\n"
"  untouched by reason, and bgxdp_build_info.  Labels never carry client\n"
"  addresses.  For a node_exporter textfile collector, or a one-off look;\n"
"  'bgxdp serve' exposes the same over HTTP.\n",
	.examples =
"  bgxdp metrics | grep bgxdp_traffic_share_ratio\n"
"  bgxdp metrics > /var/lib/node_exporter/bgxdp.prom.tmp && \\\n"
"    mv /var/lib/node_exporter/bgxdp.prom.tmp /var/lib/node_exporter/bgxdp.prom\n",
	.run = run_metrics,
};

