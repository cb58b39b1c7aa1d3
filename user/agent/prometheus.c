// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* prometheus.c - the Prometheus text exposition of an instance snapshot. */
#include <errno.h>
#include <stdio.h>

#include "prometheus.h"
#include "values.h"

static const char *const pass_reason_names[PASS_REASONS] = {
	[PASS_NOT_IP]      = "not_ip",
	[PASS_NOT_VIP]     = "not_vip",
	[PASS_FRAGMENT]    = "fragment",
	[PASS_MALFORMED]   = "malformed",
	[PASS_UNSUPPORTED] = "unsupported",
	[PASS_NO_BACKEND]  = "no_backend",
};

const char *pass_reason_name(enum pass_reason reason)
{
	return (unsigned)reason < PASS_REASONS ? pass_reason_names[reason] : "unknown";
}

/* Label values are service names and addresses we validated, but escape
 * anyway: the exposition must stay parseable whatever is in the maps. */
void prometheus_label_value(FILE *out, const char *value)
{
	for (; *value; value++) {
		switch (*value) {
		case '\\': fputs("\\\\", out); break;
		case '"':  fputs("\\\"", out); break;
		case '\n': fputs("\\n", out); break;
		default:   fputc(*value, out);
		}
	}
}

static void print_header(FILE *out, const char *name, const char *type,
			 const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void print_service_color(FILE *out, const char *metric,
				const struct bgx_service_view *service,
				__u32 color)
{
	fprintf(out, "%s{service=\"", metric);
	prometheus_label_value(out, service->name);
	fprintf(out, "\",color=\"%s\"}", color_name(color));
}

/* One family with one sample per service x color. */
typedef double (*color_value_fn)(const struct bgx_service_view *, __u32 color);

static void print_color_family(FILE *out, const struct bgx_snapshot *snap,
			       const char *name, const char *type,
			       const char *help, color_value_fn value)
{
	print_header(out, name, type, help);
	for (__u32 s = 0; s < snap->n_services; s++)
		for (__u32 c = 0; c < BGXDP_COLORS; c++) {
			print_service_color(out, name, &snap->services[s], c);
			fprintf(out, " %.17g\n", value(&snap->services[s], c));
		}
}

static double flows_created(const struct bgx_service_view *s, __u32 c)
{
	return (double)s->colors[c].counters.flows_created;
}

static double flows_active(const struct bgx_service_view *s, __u32 c)
{
	return (double)s->colors[c].live_flows;
}

static double traffic_share(const struct bgx_service_view *s, __u32 c)
{
	return s->colors[c].share_bp / (double)BGXDP_SHARE_SCALE;
}

static double flows_lost(const struct bgx_service_view *s, __u32 c)
{
	return (double)s->colors[c].counters.flows_lost;
}

static double failover(const struct bgx_service_view *s, __u32 c)
{
	return s->colors[c].failover;
}

static double halfopen_evicted(const struct bgx_service_view *s, __u32 c)
{
	return (double)s->colors[c].counters.halfopen_evicted;
}

static double flows_promoted(const struct bgx_service_view *s, __u32 c)
{
	return (double)s->colors[c].counters.flows_promoted;
}

/* packets and bytes carry a direction label as well. */
static void print_direction_family(FILE *out, const struct bgx_snapshot *snap,
				   const char *name, const char *help, int bytes)
{
	print_header(out, name, "counter", help);
	for (__u32 s = 0; s < snap->n_services; s++) {
		const struct bgx_service_view *service = &snap->services[s];

		for (__u32 c = 0; c < BGXDP_COLORS; c++) {
			const struct color_counters *n = &service->colors[c].counters;

			fprintf(out, "%s{service=\"", name);
			prometheus_label_value(out, service->name);
			fprintf(out, "\",color=\"%s\",direction=\"to_backend\"} %llu\n",
				color_name(c), (unsigned long long)
				(bytes ? n->bytes_to_backend : n->packets_to_backend));
			fprintf(out, "%s{service=\"", name);
			prometheus_label_value(out, service->name);
			fprintf(out, "\",color=\"%s\",direction=\"to_client\"} %llu\n",
				color_name(c), (unsigned long long)
				(bytes ? n->bytes_to_client : n->packets_to_client));
		}
	}
}

enum backend_value {
	BACKEND_VALUE_UP, BACKEND_VALUE_PACKETS, BACKEND_VALUE_BYTES,
	BACKEND_VALUE_SYNS, BACKEND_VALUE_SYNACKS, BACKEND_VALUE_RESETS,
};

static unsigned long long backend_value(const struct bgx_backend_view *b,
					enum backend_value what)
{
	switch (what) {
	case BACKEND_VALUE_UP:      return b->takes_flows;
	case BACKEND_VALUE_PACKETS: return b->counters.packets;
	case BACKEND_VALUE_BYTES:   return b->counters.bytes;
	case BACKEND_VALUE_SYNS:    return b->counters.syns;
	case BACKEND_VALUE_SYNACKS: return b->counters.synacks;
	case BACKEND_VALUE_RESETS:  return b->counters.resets;
	}
	return 0;
}

/* name{service="...",color="...",backend="..." -- the caller closes it. */
static void print_backend_labels(FILE *out, const char *name,
				 const struct bgx_service_view *service,
				 const struct bgx_backend_view *backend)
{
	fprintf(out, "%s{service=\"", name);
	prometheus_label_value(out, service->name);
	fprintf(out, "\",color=\"%s\",backend=\"", color_name(backend->color));
	prometheus_label_value(out, backend->address);
	fputc('"', out);
}

static void print_backend_family(FILE *out, const struct bgx_snapshot *snap,
				 const char *name, const char *type,
				 const char *help, enum backend_value what)
{
	print_header(out, name, type, help);
	for (__u32 s = 0; s < snap->n_services; s++) {
		const struct bgx_service_view *service = &snap->services[s];

		for (__u32 b = 0; b < service->n_backends; b++) {
			const struct bgx_backend_view *backend = &service->backends[b];

			print_backend_labels(out, name, service, backend);
			fprintf(out, "} %llu\n", backend_value(backend, what));
		}
	}
}

/* The `le` label values of the handshake-time buckets (bgxdp.h). */
static const char *const connect_le[BGXDP_CONNECT_BUCKETS - 1] = {
#define BGXDP_LE(bound_ns, le) le,
	BGXDP_CONNECT_BOUNDS(BGXDP_LE)
#undef BGXDP_LE
};

/* bgxdp_backend_connect_seconds: one histogram per backend, cumulative
 * buckets; _count is the +Inf bucket, so the two always agree. */
static void print_connect_histogram(FILE *out, const struct bgx_snapshot *snap)
{
	static const char name[] = "bgxdp_backend_connect_seconds";

	print_header(out, name, "histogram",
		     "Backend handshake time: a client's first SYN forwarded to the backend's SYN-ACK.");
	for (__u32 s = 0; s < snap->n_services; s++) {
		const struct bgx_service_view *service = &snap->services[s];

		for (__u32 b = 0; b < service->n_backends; b++) {
			const struct bgx_backend_view *backend = &service->backends[b];
			unsigned long long cumulative = 0;

			for (int i = 0; i < BGXDP_CONNECT_BUCKETS; i++) {
				cumulative += backend->connect.buckets[i];
				print_backend_labels(out, "bgxdp_backend_connect_seconds_bucket",
						     service, backend);
				fprintf(out, ",le=\"%s\"} %llu\n",
					i < BGXDP_CONNECT_BUCKETS - 1 ? connect_le[i] : "+Inf",
					cumulative);
			}
			print_backend_labels(out, "bgxdp_backend_connect_seconds_sum",
					     service, backend);
			fprintf(out, "} %.9f\n", backend->connect.sum_ns / 1e9);
			print_backend_labels(out, "bgxdp_backend_connect_seconds_count",
					     service, backend);
			fprintf(out, "} %llu\n", cumulative);
		}
	}
}

int prometheus_render(FILE *out, const struct bgx_snapshot *snap)
{
	print_direction_family(out, snap, "bgxdp_packets_total",
		"Packets rewritten, by service, color and direction.", 0);
	print_direction_family(out, snap, "bgxdp_bytes_total",
		"Bytes of the packets rewritten (whole frames), by service, color and direction.", 1);
	print_color_family(out, snap, "bgxdp_flows_created_total", "counter",
		"New flows assigned to a color.", flows_created);
	print_color_family(out, snap, "bgxdp_flows_active", "gauge",
		"Flows in the flow table that have not idled out.", flows_active);
	print_color_family(out, snap, "bgxdp_traffic_share_ratio", "gauge",
		"Share of new flows sent to a color (0-1).", traffic_share);
	print_color_family(out, snap, "bgxdp_flows_lost_total", "counter",
		"Established TCP flows whose flow entry was gone (evicted from a full table or idled out) "
		"when their next packet came; picked again, same backend unless the config changed.",
		flows_lost);
	print_color_family(out, snap, "bgxdp_flows_promoted_total", "counter",
		"New flows that proved real (TCP handshake completed, UDP answered) and became established.",
		flows_promoted);
	print_color_family(out, snap, "bgxdp_flows_halfopen_evicted_total", "counter",
		"Half-open flows (handshake not completed) displaced by newer ones before they idled out: "
		"what a SYN flood did. Established flows are never displaced by new ones.",
		halfopen_evicted);
	print_backend_family(out, snap, "bgxdp_backend_up", "gauge",
		"1 if the backend takes new flows: admin state ready and passing its health checks "
		"(or the service ignores health: none would be left); 0 otherwise.", BACKEND_VALUE_UP);
	print_color_family(out, snap, "bgxdp_color_failover", "gauge",
		"1 while the color has a share but every backend of it fails its health checks, so "
		"its new flows go to the other color.", failover);
	print_header(out, "bgxdp_health_ignored", "gauge",
		     "1 while health would leave the service with no backend at all, so it is ignored "
		     "(fail open).");
	for (__u32 s = 0; s < snap->n_services; s++) {
		fputs("bgxdp_health_ignored{service=\"", out);
		prometheus_label_value(out, snap->services[s].name);
		fprintf(out, "\"} %d\n", snap->services[s].fails_open ? 1 : 0);
	}
	print_backend_family(out, snap, "bgxdp_backend_packets_total", "counter",
		"Packets sent to a backend.", BACKEND_VALUE_PACKETS);
	print_backend_family(out, snap, "bgxdp_backend_bytes_total", "counter",
		"Bytes sent to a backend.", BACKEND_VALUE_BYTES);
	print_backend_family(out, snap, "bgxdp_backend_syns_total", "counter",
		"TCP SYNs forwarded to a backend (retransmissions too).", BACKEND_VALUE_SYNS);
	print_backend_family(out, snap, "bgxdp_backend_synacks_total", "counter",
		"TCP SYN-ACKs a backend sent back.", BACKEND_VALUE_SYNACKS);
	print_backend_family(out, snap, "bgxdp_backend_resets_total", "counter",
		"TCP resets a backend sent.", BACKEND_VALUE_RESETS);
	print_connect_histogram(out, snap);

	print_header(out, "bgxdp_config_changes_total", "counter",
		     "Traffic changes (set, weight, rollback) published for a service.");
	for (__u32 s = 0; s < snap->n_services; s++) {
		fputs("bgxdp_config_changes_total{service=\"", out);
		prometheus_label_value(out, snap->services[s].name);
		fprintf(out, "\"} %llu\n", (unsigned long long)snap->services[s].changes);
	}
	print_header(out, "bgxdp_last_change_timestamp_seconds", "gauge",
		     "Unix time of the last traffic change of a service (0 = never).");
	for (__u32 s = 0; s < snap->n_services; s++) {
		fputs("bgxdp_last_change_timestamp_seconds{service=\"", out);
		prometheus_label_value(out, snap->services[s].name);
		fprintf(out, "\"} %.3f\n", snap->services[s].last_change_unix_ns / 1e9);
	}
	print_header(out, "bgxdp_passed_packets_total", "counter",
		     "Packets passed to the kernel untouched, by reason.");
	for (int r = 0; r < PASS_REASONS; r++)
		fprintf(out, "bgxdp_passed_packets_total{reason=\"%s\"} %llu\n",
			pass_reason_name(r), (unsigned long long)snap->passed[r]);
	print_header(out, "bgxdp_build_info", "gauge",
		     "Always 1; the version label says which bgxdp build is running.");
	fputs("bgxdp_build_info{version=\"", out);
	prometheus_label_value(out, BGXDP_VERSION);
	fputs("\"} 1\n", out);

	fflush(out);
	return ferror(out) ? -EIO : 0;
}
