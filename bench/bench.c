/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * bench.c - per-packet cost of the data plane with BPF_PROG_TEST_RUN.
 *
 * Loads build/bench.bpf.o (the real data plane plus wrapper programs that
 * restore the packet every iteration, see bench/bench.bpf.c), fills the
 * maps with one IPv4 and one IPv6 service (two backends per color), and
 * times each row `runs` times with `repeat` iterations.  Prints one table
 * (median, min-max, ratio to the XDP_PASS floor measured in this process)
 * and writes the same rows to a CSV.
 *
 * usage: bench [-r runs] [-n repeat] [-f flows] [-o csv]
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
#include "bgxdp_hash.h"
#include "bench.skel.h"
#include "helpers_frames.h"

#define FRAME_LEN   128                 /* = BENCH_SAVE in bench.bpf.c */
#define VIP_PORT    80
#define NBACKENDS   2
#define SVC4        0
#define SVC6        1
#define MAX_RUNS    101

struct frame {
	uint8_t buf[FRAME_MAX];
	size_t len;
	size_t l3_off, l4_off;
};

struct row {
	const char *name;
	double ns[MAX_RUNS];
	double median, min, max;
};

static int runs = 5;
static unsigned int repeat = 1000000;
static unsigned long nflows = 1000000;
static const char *only;        /* -R: run only rows containing this (and the floor) */

static void vip_addr(int family, uint8_t a[16])
{
	if (family == 4)
		set_ipv4(a, 10, 0, 0, 1);
	else
		set_ipv6(a, 1);
}

/* A frame padded to FRAME_LEN bytes so the wrappers can save/restore a
 * fixed 128 bytes. */
static void make_frame(struct frame *f, int family, const uint8_t src[16],
		       const uint8_t dst[16], uint16_t sport, uint16_t dport,
		       uint8_t flags)
{
	struct frame_spec s = {
		.family = family, .proto = IPPROTO_TCP,
		.sport = sport, .dport = dport, .tcp_flags = flags,
	};
	size_t hdr;

	memcpy(s.src, src, 16);
	memcpy(s.dst, dst, 16);
	hdr = build_frame(&s, f->buf);
	s.payload_len = (int)(FRAME_LEN - hdr);
	f->len = build_frame(&s, f->buf);
	f->l3_off = frame_l3_off(&s);
	f->l4_off = frame_l4_off(&s);
}

static int populate(struct bench *skel)
{
	static struct maglev_ring ring;
	struct vip_filter filter = { .enabled = 1 };
	uint32_t zero = 0, bit;
	int fams[2] = { 4, 6 };

	for (int f = 0; f < 2; f++) {
		uint32_t svc = f == 0 ? SVC4 : SVC6;
		struct vip_value vv = { .service_id = svc };
		struct vip_key vk = {};
		uint64_t word = CFG_CONFIGURED | CFG_HAS_BACKENDS(BGXDP_BLUE) |
				CFG_HAS_BACKENDS(BGXDP_GREEN) | 5000;

		vip_addr(fams[f], vk.addr);
		vk.port = htons(VIP_PORT);
		vk.proto = IPPROTO_TCP;
		vk.family = fams[f];
		if (bpf_map__update_elem(skel->maps.services, &vk, sizeof(vk),
					 &vv, sizeof(vv), 0))
			return -1;
		bit = bgxdp_vip_filter_bit(&vk);        /* as `service add` does */
		filter.words[bit / 64] |= 1ull << (bit % 64);
		if (bpf_map__update_elem(skel->maps.vip_filter, &zero, sizeof(zero),
					 &filter, sizeof(filter), 0))
			return -1;
		for (uint32_t c = 0; c < BGXDP_COLORS; c++) {
			for (uint32_t s = 0; s < NBACKENDS; s++) {
				struct backend b = {};
				uint32_t idx = backend_index(svc, c, s);

				if (fams[f] == 4) {
					set_ipv4(b.addr, 10, 1 + c, 0, 10 + s);
					b.family = BGXDP_FAMILY_IPV4;
				} else {
					set_ipv6(b.addr, 0x100 * (1 + c) + 10 + s);
					b.family = BGXDP_FAMILY_IPV6;
				}
				b.port = htons(8000 + 1000 * c + s);
				b.state = BACKEND_UP;
				b.weight = 1;
				if (bpf_map__update_elem(skel->maps.backends, &idx,
							 4, &b, sizeof(b), 0))
					return -1;
				/* What `backend add` records for tc egress. */
				struct vip_key ek = { .port = b.port,
						      .proto = IPPROTO_TCP,
						      .family = b.family };
				struct backend_service bs = {
					.vip_port = htons(VIP_PORT),
					.service_id = (uint16_t)svc,
				};

				memcpy(ek.addr, b.addr, 16);
				vip_addr(fams[f], bs.vip);
				if (bpf_map__update_elem(skel->maps.backend_services,
							 &ek, sizeof(ek), &bs,
							 sizeof(bs), 0))
					return -1;
			}
			for (uint32_t buf = 0; buf < 2; buf++) {
				uint32_t idx = ring_index(svc, c, buf);

				for (uint32_t i = 0; i < BGXDP_RING_SIZE; i++)
					ring.slots[i] = i % NBACKENDS;
				if (bpf_map__update_elem(skel->maps.maglev_rings,
							 &idx, 4, &ring,
							 sizeof(ring), 0))
					return -1;
			}
		}
		if (bpf_map__update_elem(skel->maps.svc_config, &svc, 4,
					 &word, 8, 0))
			return -1;
	}
	return 0;
}

/* One test run: ns per packet as the kernel measures it (`duration`: the
 * time inside the repeat loop divided by `repeat`, integer ns).  Not the
 * wall clock around the syscall: on this kernel each XDP test run has a
 * fixed set-up cost of ~14 ms, which would add ~14 ns to every row at
 * repeat = 1e6.  BENCH_DEBUG=1 prints both. */
static int time_run(int prog_fd, const struct frame *f, unsigned int rep,
		    double *ns, uint8_t *out)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = f->buf,
		.data_size_in = (uint32_t)f->len,
		.data_out = out,
		.data_size_out = out ? FRAME_MAX : 0,
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

/* Empty the flow tables (outside any timed run). */
static void clear_map(struct bpf_map *map)
{
	int fd = bpf_map__fd(map);
	uint32_t ksz = bpf_map__key_size(map), vsz = bpf_map__value_size(map);
	uint32_t chunk = 65536, in = 0, out = 0, count;
	void *keys = malloc((size_t)chunk * ksz), *vals = malloc((size_t)chunk * vsz);
	bool first = true;

	for (;;) {
		int err;

		count = chunk;
		err = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &in,
						      &out, keys, vals, &count,
						      NULL);
		first = false;
		in = out;
		if (err)
			break;          /* ENOENT: done */
	}
	free(keys);
	free(vals);
}

/* Fill `flows` with n IPv4 flows of other clients. */
static int fill_flows(struct bench *skel, unsigned long n)
{
	struct flow_key *fk = calloc(n, sizeof(*fk));
	struct flow_value *fv = calloc(n, sizeof(*fv));
	uint32_t count;
	int err = -1;

	if (!fk || !fv)
		goto out;
	for (unsigned long i = 0; i < n; i++) {
		uint32_t host = (uint32_t)(i / 60000);
		uint16_t port = (uint16_t)(1024 + i % 60000);

		set_ipv4(fk[i].client, 100, 64, (uint8_t)(host >> 8), (uint8_t)host);
		vip_addr(4, fk[i].vip);
		fk[i].client_port = htons(port);
		fk[i].vip_port = htons(VIP_PORT);
		fk[i].proto = IPPROTO_TCP;
		fk[i].family = BGXDP_FAMILY_IPV4;
		set_ipv4(fv[i].backend, 10, 1, 0, 10 + (i & 1));
		fv[i].backend_port = htons(8000 + (i & 1));
		fv[i].backend_slot = i & 1;

	}
	count = (uint32_t)n;
	err = bpf_map_update_batch(bpf_map__fd(skel->maps.flows), fk, fv,
				   &count, NULL);
	if (err) {      /* no batch ops: one at a time */
		err = 0;
		for (unsigned long i = 0; i < n && !err; i++)
			err = bpf_map_update_elem(bpf_map__fd(skel->maps.flows),
						  &fk[i], &fv[i], BPF_ANY);
	}
out:
	free(fk);
	free(fv);
	return err;
}

static int measure(struct row *r, const char *name, int prog_fd,
		   const struct frame *f, struct bench *skel, bool clear_each)
{
	r->name = name;
	for (int i = 0; i < runs; i++) {
		if (clear_each) {
			clear_map(skel->maps.flows);
		}
		if (time_run(prog_fd, f, repeat, &r->ns[i], NULL)) {
			fprintf(stderr, "bench: test run of %s: %s\n", name,
				strerror(errno));
			return -1;
		}
	}
	double sorted[MAX_RUNS];

	memcpy(sorted, r->ns, sizeof(double) * runs);
	qsort(sorted, runs, sizeof(double), cmp_double);
	r->min = sorted[0];
	r->max = sorted[runs - 1];
	r->median = runs % 2 ? sorted[runs / 2]
			     : (sorted[runs / 2 - 1] + sorted[runs / 2]) / 2;
	return 0;
}

int main(int argc, char **argv)
{
	const char *csv_path = "build/bench.csv";
	uint8_t src[16], dst[16], out[FRAME_MAX];
	struct frame floor_f, nonvip4, nonvip6, est4, est6, syn4, rev4;
	struct row rows[16];
	int nrows = 0, opt;
	struct bench *skel;
	FILE *csv;

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

	skel = bench__open();
	if (!skel) {
		fprintf(stderr, "bench: open: %s\n", strerror(errno));
		return 1;
	}
	/* Room for the pre-filled flows plus what the rows insert. */
	uint32_t max_flows = (uint32_t)(nflows + nflows / 10);
	if (max_flows < BGXDP_DEFAULT_FLOWS)
		max_flows = BGXDP_DEFAULT_FLOWS;
	if (bpf_map__set_max_entries(skel->maps.flows, max_flows) ||
	    bench__load(skel)) {
		fprintf(stderr, "bench: load: %s (root needed)\n", strerror(errno));
		bench__destroy(skel);
		return 1;
	}
	if (populate(skel)) {
		fprintf(stderr, "bench: populate maps: %s\n", strerror(errno));
		bench__destroy(skel);
		return 1;
	}

	/* Frames.  Clients: 192.168.0.1 / ::c0 port 40000. */
	set_ipv4(src, 192, 168, 0, 1);
	set_ipv4(dst, 10, 9, 9, 9);
	make_frame(&nonvip4, 4, src, dst, 40000, VIP_PORT, 0x10);
	floor_f = nonvip4;
	set_ipv6(src, 0xc0);
	set_ipv6(dst, 0x999);
	make_frame(&nonvip6, 6, src, dst, 40000, VIP_PORT, 0x10);
	set_ipv4(src, 192, 168, 0, 1);
	vip_addr(4, dst);
	make_frame(&est4, 4, src, dst, 40000, VIP_PORT, 0x10);
	set_ipv6(src, 0xc0);
	vip_addr(6, dst);
	make_frame(&est6, 6, src, dst, 40000, VIP_PORT, 0x10);
	set_ipv4(src, 172, 16, 0, 1);
	vip_addr(4, dst);
	make_frame(&syn4, 4, src, dst, 1, VIP_PORT, 0x02);
	skel->bss->sport_off = (uint32_t)syn4.l4_off;
	skel->bss->saddr_lo_off = (uint32_t)(syn4.l3_off + 12 + 2);

	int p_floor = bpf_program__fd(skel->progs.bench_floor);
	int p_floor_r = bpf_program__fd(skel->progs.bench_floor_restore);
	int p_xdp = bpf_program__fd(skel->progs.bench_xdp);
	int p_new = bpf_program__fd(skel->progs.bench_xdp_new_flow);
	int p_tc = bpf_program__fd(skel->progs.bench_tc);
	int p_real = bpf_program__fd(skel->progs.xdp_ingress);

	/* Establish the flows once with the real program, and learn the
	 * backend of the IPv4 one to build the reply for the tc row. */
	if (time_run(p_real, &est4, 1, NULL, out) ||
	    time_run(p_real, &est6, 1, NULL, NULL)) {
		fprintf(stderr, "bench: warm-up run: %s\n", strerror(errno));
		return 1;
	}
	memset(src, 0, 16);
	memcpy(src, out + est4.l3_off + 16, 4);          /* backend */
	uint16_t be_port = (uint16_t)(out[est4.l4_off + 2] << 8 | out[est4.l4_off + 3]);
	set_ipv4(dst, 192, 168, 0, 1);
	make_frame(&rev4, 4, src, dst, be_port, 40000, 0x10);

	struct { const char *name; int fd; struct frame *f; bool clear; } set[] = {
		{ "floor (eth read, XDP_PASS)",   p_floor,   &floor_f, false },
		{ "floor + save/restore",         p_floor_r, &floor_f, false },
		{ "non-VIP IPv4",                 p_xdp,     &nonvip4, false },
		{ "non-VIP IPv6",                 p_xdp,     &nonvip6, false },
		{ "established IPv4 TCP",         p_xdp,     &est4,    false },
		{ "established IPv6 TCP",         p_xdp,     &est6,    false },
		{ "tc egress reverse IPv4",       p_tc,      &rev4,    false },
		{ "new flow IPv4 SYN",            p_new,     &syn4,    true  },
	};
	struct { const char *what; int fd; struct frame *f; char name[64]; } big[] = {
		{ "non-VIP IPv4",           p_xdp, &nonvip4 },
		{ "non-VIP IPv6",           p_xdp, &nonvip6 },
		{ "established IPv4 TCP",   p_xdp, &est4 },
		{ "established IPv6 TCP",   p_xdp, &est6 },
		{ "tc egress reverse IPv4", p_tc,  &rev4 },
		{ "new flow IPv4 SYN",      p_new, &syn4 },
	};
	char flows_label[32];

	/* "1e6 flows" for the default, the real count otherwise (-f). */
	if (nflows == 1000000)
		snprintf(flows_label, sizeof(flows_label), "1e6");
	else
		snprintf(flows_label, sizeof(flows_label), "%lu", nflows);
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++)
		snprintf(big[i].name, sizeof(big[i].name), "%s, %s flows", big[i].what,
			 flows_label);

	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
		if ((i == 0 || !only || strstr(set[i].name, only)) && measure(&rows[nrows++], set[i].name, set[i].fd, set[i].f,
			    skel, set[i].clear))
			return 1;

	/* Now with nflows other flows in the table. */
	clear_map(skel->maps.flows);
	if (fill_flows(skel, nflows)) {
		fprintf(stderr, "bench: filling %lu flows: %s\n", nflows,
			strerror(errno));
		return 1;
	}
	if (time_run(p_real, &est4, 1, NULL, NULL) ||
	    time_run(p_real, &est6, 1, NULL, NULL))
		return 1;
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		if (only && !strstr(big[i].name, only))
			continue;
		if (measure(&rows[nrows++], big[i].name, big[i].fd, big[i].f,
			    skel, false))
			return 1;
	}

	double floor_ns = rows[0].median;

	printf("# bgxdp per-packet cost, BPF_PROG_TEST_RUN, repeat=%u, %d runs per row, "
	       "%d-byte TCP frames, kernel-measured ns/packet\n", repeat, runs, FRAME_LEN);
	printf("# every row's packet is restored every iteration by a wrapper program "
	       "(save %d bytes, run the real code, put them back);\n"
	       "# ratio = median / floor median, same process; "
	       "'%s flows' rows: %lu other flows already in the table (max %u)\n",
	       FRAME_LEN, flows_label, nflows, max_flows);
	printf("%-36s %10s %17s %8s\n", "row", "median ns", "min-max ns", "x floor");
	for (int i = 0; i < nrows; i++) {
		char mm[32];

		snprintf(mm, sizeof(mm), "%.1f-%.1f", rows[i].min, rows[i].max);
		printf("%-36s %10.1f %17s %8.2f\n", rows[i].name, rows[i].median,
		       mm, rows[i].median / floor_ns);
	}

	csv = fopen(csv_path, "w");
	if (!csv) {
		fprintf(stderr, "bench: %s: %s\n", csv_path, strerror(errno));
		return 1;
	}
	fprintf(csv, "row,median_ns,min_ns,max_ns,ratio_to_floor,runs,repeat\n");
	for (int i = 0; i < nrows; i++)
		fprintf(csv, "\"%s\",%.2f,%.2f,%.2f,%.3f,%d,%u\n", rows[i].name,
			rows[i].median, rows[i].min, rows[i].max,
			rows[i].median / floor_ns, runs, repeat);
	fclose(csv);
	printf("# CSV: %s\n", csv_path);
	bench__destroy(skel);
	return 0;
}
