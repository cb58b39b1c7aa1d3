/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * bench.c - per-packet cost of the data plane with BPF_PROG_TEST_RUN.
 *
 * Loads build/bench.bpf.o (the real data plane plus wrapper programs that
 * restore the packet every iteration, see bench/bench.bpf.c), configures
 * one IPv4 and one IPv6 service (two backends per color, 50 % green)
 * through the control-plane library, and times each row `runs` times with `repeat` iterations.  Prints one table
 * (median, min-max, ratio to the XDP_PASS floor measured in this process)
 * and writes the same rows to a CSV.
 *
 * Rows: the floor; non-VIP; established (a flow in `flows`); the tc egress
 * reply of an established flow; a new flow (a SYN: one half-open insert);
 * its promotion (the first ACK: `flows` insert, half-open entry dropped),
 * also with flow events on; then the same with `flows` holding 1e6 other
 * flows.  The promotion rows run as many iterations as the half-open
 * table holds flows (each iteration consumes one).
 *
 * usage: bench [-r runs] [-n repeat] [-f flows] [-o csv] [-R row-substring]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp.h"
#include "bench.skel.h"
#include "bench.h"

#define MAX_RUNS    101
#define MAX_ROWS    32

/* What a row needs before each of its runs (untimed). */
enum prep {
	PREP_NONE,
	PREP_NEW,               /* empty half-open table (and `flows`, unless kept) */
	PREP_PROMOTE,           /* half-open entries to promote */
};

struct row_spec {
	const char *name;
	int fd;
	const struct frame *f;
	enum prep prep;
	bool events;            /* SETTINGS_FLOW_EVENTS on during the row */
	enum frame_role role;   /* what its frame must do (checked first) */
};

struct row {
	char name[64];
	double ns[MAX_RUNS];
	double median, min, max;
	unsigned int repeat;
};

static int runs = 5;
static unsigned int repeat = 1000000;
static unsigned long nflows = 1000000;
static const char *only;        /* -R: run only rows containing this (and the floor) */
static bool keep_flows;         /* the "1e6 flows" rows: never empty `flows` */
static uint32_t next_candidate; /* promotion flows: never the same one twice */
static struct ring_buffer *events;
static unsigned long events_read, events_expected;
static unsigned int promotion_repeat;

/* One test run: ns per packet as the kernel measures it (`duration`: the
 * time inside the repeat loop divided by `repeat`, integer ns).  Not the
 * wall clock around the syscall: on this kernel each XDP test run has a
 * fixed set-up cost of ~14 ms, which would add ~14 ns to every row at
 * repeat = 1e6.  BENCH_DEBUG=1 prints both. */
static int time_run(int prog_fd, const struct frame *f, unsigned int rep,
		    double *ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = f->buf,
		.data_size_in = (uint32_t)f->len,
		.repeat = rep,
	);
	struct timespec a, b;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &a);
	err = bpf_prog_test_run_opts(prog_fd, &opts);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (err)
		return err;
	if (ns)
		*ns = opts.duration;
	if (getenv("BENCH_DEBUG"))
		fprintf(stderr, "kernel duration %u ns, wall %.1f ns\n",
			opts.duration,
			((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / rep);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The flow-events rows: the `settings` value fleet sync will set (no
 * library operation turns flow events on yet), written directly. */
static int set_flow_events(struct bench *skel, bool on)
{
	struct instance_settings st = { .flags = on ? SETTINGS_FLOW_EVENTS : 0 };
	uint32_t zero = 0;

	return bpf_map__update_elem(skel->maps.settings, &zero, sizeof(zero),
				    &st, sizeof(st), 0);
}

static int count_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	events_read += size == sizeof(struct flow_event);
	return 0;
}

/* Before a run: the tables as the row needs them.  Returns the run's
 * repeat count (the promotion rows: the flows prepared), 0 on error. */
static unsigned int prepare(struct bench *skel, const struct row_spec *rs)
{
	uint32_t want;
	long n;

	switch (rs->prep) {
	case PREP_NEW:
		if (!keep_flows)
			clear_map(skel->maps.flows);
		return halfopen_clear(skel) ? 0 : repeat;
	case PREP_PROMOTE:
		if (!keep_flows)
			clear_map(skel->maps.flows);
		/* 90 % of the half-open table: near full, yet every set
		 * leaves room for the candidates that land in it. */
		want = bpf_map__max_entries(skel->maps.halfopen) * HALFOPEN_WAYS / 10 * 9;
		if (want > repeat)
			want = repeat;
		n = promotion_prepare(skel, rs->f, &next_candidate, want);
		return n > 0 ? (unsigned int)n : 0;
	default:
		return repeat;
	}
}

static int measure(struct row *r, const struct row_spec *rs, struct bench *skel)
{
	double sorted[MAX_RUNS];

	snprintf(r->name, sizeof(r->name), "%s", rs->name);
	if (rs->events && set_flow_events(skel, true))
		return -1;
	for (int i = 0; i < runs; i++) {
		unsigned int rep = prepare(skel, rs);

		if (!rep || time_run(rs->fd, rs->f, rep, &r->ns[i])) {
			fprintf(stderr, "bench: test run of %s: %s\n", rs->name,
				strerror(errno));
			return -1;
		}
		r->repeat = rep;
		if (rs->prep == PREP_PROMOTE)
			promotion_repeat = rep;
		if (rs->events)
			events_expected += rep;
		if (events)
			ring_buffer__consume(events);
	}
	if (rs->events && set_flow_events(skel, false))
		return -1;
	memcpy(sorted, r->ns, sizeof(double) * runs);
	qsort(sorted, runs, sizeof(double), cmp_double);
	r->min = sorted[0];
	r->max = sorted[runs - 1];
	r->median = runs % 2 ? sorted[runs / 2]
			     : (sorted[runs / 2 - 1] + sorted[runs / 2]) / 2;
	return 0;
}

static int run_rows(struct bench *skel, const struct row_spec *set, size_t n,
		    const char *suffix, struct row *rows, int *nrows)
{
	for (size_t i = 0; i < n; i++) {
		struct row_spec rs = set[i];
		char name[64];

		snprintf(name, sizeof(name), "%s%s", rs.name, suffix);
		rs.name = name;
		if (only && *nrows > 0 && !strstr(name, only))
			continue;
		if (frame_check(skel, rs.f, rs.role)) {
			fprintf(stderr, "bench: row '%s': its frame does not do what the row says in the real program\n",
				name);
			return -1;
		}
		if (*nrows >= MAX_ROWS || measure(&rows[(*nrows)++], &rs, skel))
			return -1;
	}
	return 0;
}

static void print_table(const struct row *rows, int nrows, unsigned int max_flows)
{
	double floor_ns = rows[0].median;

	printf("# bgxdp per-packet cost, BPF_PROG_TEST_RUN, repeat=%u, %d runs per row, "
	       "%d-byte TCP frames, kernel-measured ns/packet\n", repeat, runs, FRAME_LEN);
	printf("# every row's packet is restored every iteration by a wrapper program "
	       "(save %d bytes, run the real code, put them back);\n"
	       "# ratio = median / floor median, same process; "
	       "'1e6 flows' rows: %lu other flows already in the table (max %u);\n"
	       "# promotion rows: one flow promoted per iteration, as many as the half-open "
	       "table holds (%u iterations)\n",
	       FRAME_LEN, nflows, max_flows, promotion_repeat);
	printf("%-44s %10s %17s %8s\n", "row", "median ns", "min-max ns", "x floor");
	for (int i = 0; i < nrows; i++) {
		char mm[32];

		snprintf(mm, sizeof(mm), "%.1f-%.1f", rows[i].min, rows[i].max);
		printf("%-44s %10.1f %17s %8.2f\n", rows[i].name, rows[i].median,
		       mm, rows[i].median / floor_ns);
	}
}

static int write_csv(const char *path, const struct row *rows, int nrows)
{
	double floor_ns = rows[0].median;
	FILE *csv = fopen(path, "w");

	if (!csv) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(csv, "row,median_ns,min_ns,max_ns,ratio_to_floor,runs,repeat\n");
	for (int i = 0; i < nrows; i++)
		fprintf(csv, "\"%s\",%.2f,%.2f,%.2f,%.3f,%d,%u\n", rows[i].name,
			rows[i].median, rows[i].min, rows[i].max,
			rows[i].median / floor_ns, runs, rows[i].repeat);
	fclose(csv);
	printf("# CSV: %s\n", path);
	return 0;
}

static struct bench *load(unsigned int *max_flows)
{
	struct bench *skel = bench__open();

	if (!skel) {
		fprintf(stderr, "bench: open: %s\n", strerror(errno));
		return NULL;
	}
	/* Room for the pre-filled flows plus what the rows insert; a ring
	 * buffer that holds every event of a run (drained between runs). */
	*max_flows = (uint32_t)(nflows + nflows / 10);
	if (*max_flows < BGXDP_DEFAULT_FLOWS)
		*max_flows = BGXDP_DEFAULT_FLOWS;
	if (bpf_map__set_max_entries(skel->maps.flows, *max_flows) ||
	    bpf_map__set_max_entries(skel->maps.flow_events, 1u << 27) ||
	    bench__load(skel)) {
		fprintf(stderr, "bench: load: %s (root needed)\n", strerror(errno));
		bench__destroy(skel);
		return NULL;
	}
	if (populate(skel)) {
		fprintf(stderr, "bench: populate maps: %s\n", strerror(errno));
		bench__destroy(skel);
		return NULL;
	}
	events = ring_buffer__new(bpf_map__fd(skel->maps.flow_events), count_event,
				  NULL, NULL);
	return skel;
}

int main(int argc, char **argv)
{
	const char *csv_path = "build/bench.csv";
	struct frame floor_f, nonvip4, nonvip6, est4, est6, syn4, ack4, rev4;
	uint8_t src[16], dst[16];
	static struct row rows[MAX_ROWS];
	unsigned int max_flows;
	struct backend b;
	struct bench *skel;
	int nrows = 0, opt;

	while ((opt = getopt(argc, argv, "r:n:f:o:R:")) != -1) {
		switch (opt) {
		case 'r': runs = atoi(optarg); break;
		case 'n': repeat = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'f': nflows = strtoul(optarg, NULL, 0); break;
		case 'o': csv_path = optarg; break;
		case 'R': only = optarg; break;
		default:
			fprintf(stderr, "usage: %s [-r runs] [-n repeat] [-f flows] [-o csv] [-R row-substring]\n",
				argv[0]);
			return 2;
		}
	}
	if (runs < 1 || runs > MAX_RUNS || repeat < 1) {
		fprintf(stderr, "bench: runs must be 1..%d, repeat >= 1\n", MAX_RUNS);
		return 2;
	}
	skel = load(&max_flows);
	if (!skel)
		return 1;

	/* Frames.  Clients: 192.168.0.1 / ::c0 port 40000, new flows from
	 * 172.16.x.x. */
	set_ipv4(src, 192, 168, 0, 1);
	set_ipv4(dst, 10, 9, 9, 9);
	make_frame(&nonvip4, 4, src, dst, 40000, VIP_PORT, 0x10, 0);
	floor_f = nonvip4;
	set_ipv6(src, 0xc0);
	set_ipv6(dst, 0x999);
	make_frame(&nonvip6, 6, src, dst, 40000, VIP_PORT, 0x10, 0);
	set_ipv4(src, 192, 168, 0, 1);
	vip_addr(4, dst);
	make_frame(&est4, 4, src, dst, 40000, VIP_PORT, 0x10, 0);
	set_ipv6(src, 0xc0);
	vip_addr(6, dst);
	make_frame(&est6, 6, src, dst, 40000, VIP_PORT, 0x10, 0);
	set_ipv4(src, 172, 16, 0, 1);
	vip_addr(4, dst);
	make_frame(&syn4, 4, src, dst, 1, VIP_PORT, 0x02, 0);
	make_frame(&ack4, 4, src, dst, 1, VIP_PORT, 0x10, BENCH_ISN + 1);
	skel->bss->sport_off = (uint32_t)syn4.l4_off;
	skel->bss->saddr_lo_off = (uint32_t)(syn4.l3_off + 12 + 2);
	/* The reply of the established IPv4 flow: from blue backend 0. */
	bench_backend(4, BGXDP_BLUE, 0, &b);
	set_ipv4(dst, 192, 168, 0, 1);
	make_frame(&rev4, 4, b.addr, dst, ntohs(b.port), 40000, 0x10, 0);

	int p_xdp = bpf_program__fd(skel->progs.bench_xdp);
	int p_new = bpf_program__fd(skel->progs.bench_xdp_new_flow);
	int p_keyed = bpf_program__fd(skel->progs.bench_xdp_keyed);
	int p_tc = bpf_program__fd(skel->progs.bench_tc);
	const struct row_spec base[] = {
		{ "floor (eth read, XDP_PASS)", bpf_program__fd(skel->progs.bench_floor), &floor_f },
		{ "floor + save/restore", bpf_program__fd(skel->progs.bench_floor_restore), &floor_f },
		{ "tc floor + save/restore", bpf_program__fd(skel->progs.bench_tc_floor_restore), &floor_f },
	};
	const struct row_spec set[] = {
		{ "non-VIP IPv4",                 p_xdp,   &nonvip4, .role = ROLE_PASS },
		{ "non-VIP IPv6",                 p_xdp,   &nonvip6, .role = ROLE_PASS },
		{ "established IPv4 TCP",         p_xdp,   &est4, .role = ROLE_TO_BLUE0 },
		{ "established IPv6 TCP",         p_xdp,   &est6, .role = ROLE_TO_BLUE0 },
		{ "tc egress reverse IPv4",       p_tc,    &rev4, .role = ROLE_FROM_VIP },
		{ "new flow IPv4 SYN",            p_new,   &syn4, PREP_NEW, .role = ROLE_TO_BACKEND },
		{ "promotion IPv4 (first ACK)",   p_keyed, &ack4, PREP_PROMOTE },
		{ "promotion IPv4, flow events on", p_keyed, &ack4, PREP_PROMOTE, true },
	};
	char big[32];

	if (establish(skel, &est4) || establish(skel, &est6)) {
		fprintf(stderr, "bench: establishing the flows: %s\n", strerror(errno));
		return 1;
	}
	if (run_rows(skel, base, sizeof(base) / sizeof(base[0]), "", rows, &nrows) ||
	    run_rows(skel, set, sizeof(set) / sizeof(set[0]), "", rows, &nrows))
		return 1;

	/* Now with nflows other flows in the table ("1e6 flows" for the
	 * default, the real count otherwise (-f)). */
	clear_map(skel->maps.flows);
	if (fill_flows(skel, nflows) || establish(skel, &est4) || establish(skel, &est6)) {
		fprintf(stderr, "bench: filling %lu flows: %s\n", nflows, strerror(errno));
		return 1;
	}
	keep_flows = true;
	if (nflows == 1000000)
		snprintf(big, sizeof(big), ", 1e6 flows");
	else
		snprintf(big, sizeof(big), ", %lu flows", nflows);
	if (run_rows(skel, set, sizeof(set) / sizeof(set[0]), big, rows, &nrows))
		return 1;

	print_table(rows, nrows, max_flows);
	printf("# flow events read back: %lu for %lu promotions with events on\n",
	       events_read, events_expected);
	if (write_csv(csv_path, rows, nrows))
		return 1;
	ring_buffer__free(events);
	bench__destroy(skel);
	return 0;
}
