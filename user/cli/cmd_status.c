// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* status: interfaces, services, shares, backends, live flows per color. */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "commands.h"
#include "instance.h"
#include "counters.h"
#include "values.h"
#include "util.h"

static const struct opt_def status_opts[] = {
	{ .name = "service", .type = OPT_STRING, .metavar = "NAME",
	  .help = "Show only this service." },
	{ .name = "json", .type = OPT_FLAG,
	  .help = "Print one JSON object (stable keys) instead of text." },
	{ 0 }
};

struct iface {
	char name[IFNAMSIZ + 8];
	__u32 ifindex;
};

static int list_ifaces(struct instance *in, struct iface *out, int max)
{
	struct dirent *e;
	size_t pl = strlen(LINK_XDP_PREFIX);
	int fd = dup(in->dir_fd), n = 0;
	DIR *d;

	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while ((e = readdir(d)) && n < max) {
		char path[PATH_MAX];
		struct bpf_link_info info;
		__u32 len = sizeof(info);
		int lfd;

		if (strncmp(e->d_name, LINK_XDP_PREFIX, pl))
			continue;
		snprintf(out[n].name, sizeof(out[n].name), "%s", e->d_name + pl);
		out[n].ifindex = 0;
		instance_path(in, e->d_name, path, sizeof(path));
		lfd = bpf_obj_get(path);
		if (lfd >= 0) {
			memset(&info, 0, sizeof(info));
			if (!bpf_obj_get_info_by_fd(lfd, &info, &len))
				out[n].ifindex = info.xdp.ifindex;
			close(lfd);
		}
		n++;
	}
	closedir(d);
	return n;
}

static void fmt_time(__u64 ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;

	if (!ns) {
		snprintf(buf, len, "never");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void share_json(__u32 bp)
{
	printf("%u.%02u", bp / 100, bp % 100);
}

static int run_status(const struct opts *o)
{
	const char *only = opt_str(o, "service");
	bool json = opt_flag(o, "json");
	struct iface ifs[64];
	struct instance in;
	struct backend *bk = NULL;
	__u64 (*live)[BGXDP_COLORS] = NULL;
	__u32 only_id = BGXDP_MAX_SERVICES;
	struct svc_meta m;
	int nif, r, shown = 0;

	if (only && (r = parse_name(only, "--service")))
		return r;
	if ((r = instance_open(&in, instance_pin_dir(o), false)))
		return r;
	if (only && (r = svc_find(&in, only, &only_id, &m)))
		goto out;
	bk = calloc(BGXDP_MAX_BACKENDS, sizeof(*bk));
	live = calloc(BGXDP_MAX_SERVICES, sizeof(*live));
	if (!bk || !live) {
		r = err_set(ENOMEM, "out of memory");
		goto out;
	}
	nif = list_ifaces(&in, ifs, (int)ARRAY_SIZE(ifs));
	flows_count_live(&in, live);

	if (json) {
		printf("{\"pin_dir\":");
		json_print_string(in.pin_dir);
		printf(",\"interfaces\":[");
		for (int i = 0; i < nif; i++) {
			printf("%s{\"name\":", i ? "," : "");
			json_print_string(ifs[i].name);
			printf(",\"ifindex\":%u}", ifs[i].ifindex);
		}
		printf("],\"services\":[");
	} else {
		printf("pin dir: %s\ninterfaces:", in.pin_dir);
		if (!nif)
			printf(" none");
		for (int i = 0; i < nif; i++) {
			if (ifs[i].ifindex)
				printf(" %s (ifindex %u)", ifs[i].name, ifs[i].ifindex);
			else
				printf(" %s (gone: 'bgxdp detach %s' cleans up)", ifs[i].name,
				       ifs[i].name);
		}
		printf("\n");
	}
	for (__u32 id = 0; id < BGXDP_MAX_SERVICES; id++) {
		char vip[ENDPOINT_STRLEN], prev[ENDPOINT_STRLEN], when[64], pb[16], pg[16];
		__u64 word;

		if (only && id != only_id)
			continue;
		if ((r = svc_meta_read(&in, id, &m)))
			goto out;
		if (!m.in_use)
			continue;
		word = svc_word(&in, id);
		format_endpoint(m.vip.addr, m.vip.port, m.vip.family, vip, sizeof(vip));
		if (m.preview.family)
			format_endpoint(m.preview.addr, m.preview.port, m.preview.family,
					prev, sizeof(prev));
		fmt_time(m.last_change_unix_ns, when, sizeof(when));
		format_percent_bp(word_color_share(word, BGXDP_BLUE), pb, sizeof(pb));
		format_percent_bp(word_color_share(word, BGXDP_GREEN), pg, sizeof(pg));
		if (json) {
			printf("%s{\"name\":", shown ? "," : "");
			json_print_string(m.name);
			printf(",\"vip\":");
			json_print_string(vip);
			printf(",\"proto\":\"%s\",\"preview\":", proto_name(m.vip.proto));
			if (m.preview.family)
				json_print_string(prev);
			else
				printf("null");
			printf(",\"affinity\":\"%s\",\"share\":{\"blue\":",
			       (word & CFG_AFFINITY_CLIENT) ? "client" : "flow");
			share_json(word_color_share(word, BGXDP_BLUE));
			printf(",\"green\":");
			share_json(word_color_share(word, BGXDP_GREEN));
			printf("},\"green_share_bp\":%u,\"generation\":%u,\"changes\":%llu,"
			       "\"last_change_unix_ns\":%llu,\"backends\":{",
			       cfg_green_share(word), cfg_generation(word),
			       (unsigned long long)m.changes,
			       (unsigned long long)m.last_change_unix_ns);
		} else {
			printf("\nservice %s\n  vip %s %s%s%s, affinity %s\n", m.name, vip,
			       proto_name(m.vip.proto), m.preview.family ? ", preview " : "",
			       m.preview.family ? prev : "",
			       (word & CFG_AFFINITY_CLIENT) ? "client" : "flow");
			printf("  share: blue %s%%, green %s%%\n", pb, pg);
			printf("  generation %u, %llu change%s, last change %s\n",
			       cfg_generation(word), (unsigned long long)m.changes,
			       m.changes == 1 ? "" : "s", when);
		}
		for (__u32 c = 0; c < BGXDP_COLORS; c++) {
			int nb = 0;

			if ((r = color_backends_read(&in, id, c, bk)))
				goto out;
			if (json)
				printf("%s\"%s\":[", c ? "," : "", color_name(c));
			else
				printf("  %s backends:", color_name(c));
			for (__u32 s = 0; s < BGXDP_MAX_BACKENDS; s++) {
				char a[ENDPOINT_STRLEN];

				if (bk[s].state == BACKEND_EMPTY)
					continue;
				format_endpoint(bk[s].addr, bk[s].port, bk[s].family, a, sizeof(a));
				if (json) {
					printf("%s{\"address\":", nb ? "," : "");
					json_print_string(a);
					printf(",\"weight\":%u,\"state\":\"%s\"}", bk[s].weight,
					       backend_state_name(bk[s].state));
				} else {
					printf("\n    %-44s weight %-4u %s", a, bk[s].weight,
					       backend_state_name(bk[s].state));
				}
				nb++;
			}
			if (json)
				printf("]");
			else
				printf("%s\n", nb ? "" : " none");
		}
		if (json)
			printf("},\"flows\":{\"blue\":%llu,\"green\":%llu}}",
			       (unsigned long long)live[id][BGXDP_BLUE],
			       (unsigned long long)live[id][BGXDP_GREEN]);
		else
			printf("  live flows: blue %llu, green %llu\n",
			       (unsigned long long)live[id][BGXDP_BLUE],
			       (unsigned long long)live[id][BGXDP_GREEN]);
		shown++;
	}
	if (json)
		printf("]}\n");
	else if (!shown)
		printf("\nno services (add one with 'bgxdp service add')\n");
	r = 0;
out:
	free(bk);
	free(live);
	instance_close(&in);
	return r;
}

const struct cmd_spec cmd_status = {
	.name = "status",
	.summary = "show interfaces, services, shares, backends and live flows",
	.synopsis = "[--service NAME] [--json]",
	.description =
"  Shows the attached interfaces and, per service: VIP, protocol, preview\n"
"  address, affinity, blue/green share of new flows, config generation, number\n"
"  of traffic changes and the time of the last one, the backends of each color\n"
"  (address, weight, state: up, drain or down) and the live flows per color\n"
"  (flow entries that have not idled out).  Read-only: takes no lock and needs\n"
"  no capability, only access to the pins, which are root-only (run as root).\n"
"  JSON keys: pin_dir, interfaces[{name, ifindex}], services[{name, vip, proto,\n"
"  preview (null if none), affinity, share{blue, green} (percent),\n"
"  green_share_bp, generation, changes, last_change_unix_ns,\n"
"  backends{blue, green}[{address, weight, state}], flows{blue, green}}].\n",
	.opts = status_opts,
	.examples =
"  bgxdp status\n"
"  bgxdp status --service web --json | jq '.services[0].share'\n",
	.run = run_status,
};
