/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xdpgen.c - UDP generator and counting sink for bench/forward.sh.
 *
 *   bench-xdpgen sink IFACE PINDIR
 *       attach a count-and-drop XDP program to IFACE; pin the link and the
 *       counter in PINDIR (removing PINDIR detaches it) and exit.
 *   bench-xdpgen gen -i IFACE -m DSTMAC -s SRCIP -d DSTIP [-p SPORT] [-P DPORT]
 *                    [-t SECONDS] [-w WARMUP] -c PINDIR
 *       send one 64-byte IPv4/UDP frame (no FCS) out of IFACE as fast as
 *       the kernel takes it, for WARMUP + SECONDS; print the rate sent and
 *       the rate the sink counted during the last SECONDS.
 *   bench-xdpgen count PINDIR
 *       print the sink's count.
 *
 * Why not xdp-trafficgen (xdp-tools): its UDP mode sends only IPv6 with hop
 * limit 1, which a router must drop, so it cannot measure forwarding.  This
 * uses the same kernel mechanism (BPF_PROG_TEST_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES: frames built and redirected in the kernel, no
 * socket, no skb on the sender side), for IPv4 with TTL 64.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xdpgen.skel.h"

#define FRAME_LEN  64
/* Frames per test run.  Each run costs ~15 ms on top of its frames here
 * (set-up and tear-down of the run's page pool), with nothing sent, so
 * runs are sized to last ~CALL_S seconds at the rate the last one reached. */
#define BATCH_MIN  4096
#define BATCH_MAX  (1u << 22)
#define CALL_S     0.25

struct gen_args {
	const char *ifname, *pindir;
	unsigned char dst_mac[ETH_ALEN];
	struct in_addr src, dst;
	unsigned short sport, dport;
	double seconds, warmup;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static unsigned short csum_fold(unsigned long sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (unsigned short)~sum;
}

static unsigned long csum_add(unsigned long sum, const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (unsigned long)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (unsigned long)(b[len - 1] << 8);
	return sum;
}

/* Ethernet + IPv4 (TTL 64, DF) + UDP with a full checksum, padded with a
 * payload to FRAME_LEN bytes. */
static void build_frame(const struct gen_args *a, const unsigned char src_mac[ETH_ALEN],
			unsigned char *f)
{
	struct ethhdr *eth = (struct ethhdr *)f;
	struct iphdr *ip = (struct iphdr *)(eth + 1);
	struct udphdr *udp = (struct udphdr *)(ip + 1);
	unsigned char *payload = (unsigned char *)(udp + 1);
	size_t plen = FRAME_LEN - sizeof(*eth) - sizeof(*ip) - sizeof(*udp);
	unsigned long sum;
	unsigned char pseudo[12];

	memset(f, 0, FRAME_LEN);
	memcpy(eth->h_dest, a->dst_mac, ETH_ALEN);
	memcpy(eth->h_source, src_mac, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons((unsigned short)(FRAME_LEN - sizeof(*eth)));
	ip->frag_off = htons(0x4000);
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = a->src.s_addr;
	ip->daddr = a->dst.s_addr;
	ip->check = htons(csum_fold(csum_add(0, ip, sizeof(*ip))));
	udp->source = htons(a->sport);
	udp->dest = htons(a->dport);
	udp->len = htons((unsigned short)(sizeof(*udp) + plen));
	for (size_t i = 0; i < plen; i++)
		payload[i] = (unsigned char)('a' + i % 26);
	memcpy(pseudo, &ip->saddr, 4);
	memcpy(pseudo + 4, &ip->daddr, 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_UDP;
	memcpy(pseudo + 10, &udp->len, 2);
	sum = csum_add(csum_add(0, pseudo, sizeof(pseudo)), udp, sizeof(*udp) + plen);
	udp->check = htons(csum_fold(sum));
	if (!udp->check)
		udp->check = 0xffff;
}

static int iface_mac(const char *ifname, unsigned char mac[ETH_ALEN])
{
	struct ifreq ifr = {};
	int s = socket(AF_INET, SOCK_DGRAM, 0), r = 0;

	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFHWADDR, &ifr))
		r = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	close(s);
	return r;
}

static int parse_mac(const char *s, unsigned char mac[ETH_ALEN])
{
	unsigned int b[ETH_ALEN];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -EINVAL;
	for (int i = 0; i < ETH_ALEN; i++)
		mac[i] = (unsigned char)b[i];
	return 0;
}

/* Sum of the sink's per-CPU counter, read through its pin. */
static int sink_read(int map_fd, unsigned long long *total)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long *v;
	__u32 key = 0;

	if (ncpu < 1)
		return -EINVAL;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &key, v)) {
		free(v);
		return -errno;
	}
	*total = 0;
	for (int i = 0; i < ncpu; i++)
		*total += v[i];
	free(v);
	return 0;
}

static int open_counter(const char *pindir)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/sink_count", pindir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		fprintf(stderr, "bench-xdpgen: open %s: %s\n", path, strerror(errno));
	return fd;
}

static int cmd_sink(const char *ifname, const char *pindir)
{
	unsigned int ifindex = if_nametoindex(ifname);
	char path[4096];
	struct xdpgen *skel;
	int link_fd, r = 1;

	if (!ifindex) {
		fprintf(stderr, "bench-xdpgen: no interface %s\n", ifname);
		return 1;
	}
	skel = xdpgen__open_and_load();
	if (!skel) {
		fprintf(stderr, "bench-xdpgen: load: %s\n", strerror(errno));
		return 1;
	}
	/* Native mode: a veth then takes redirected frames (ndo_xdp_xmit from
	 * its peer), which the XDP fast path needs. */
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = XDP_FLAGS_DRV_MODE);
	link_fd = bpf_link_create(bpf_program__fd(skel->progs.sink_drop), (int)ifindex,
				  BPF_XDP, &lo);
	if (link_fd < 0) {
		fprintf(stderr, "bench-xdpgen: attach to %s: %s\n", ifname, strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/sink_count", pindir);
	if (bpf_map__pin(skel->maps.sink_count, path)) {
		fprintf(stderr, "bench-xdpgen: pin %s: %s\n", path, strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/sink_link", pindir);
	if (bpf_obj_pin(link_fd, path)) {
		fprintf(stderr, "bench-xdpgen: pin %s: %s\n", path, strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (link_fd >= 0)
		close(link_fd);
	xdpgen__destroy(skel);
	return r;
}

static int cmd_gen(const struct gen_args *a)
{
	unsigned int ifindex = if_nametoindex(a->ifname);
	unsigned char frame[FRAME_LEN], src_mac[ETH_ALEN];
	unsigned long long sent = 0, c0 = 0, c1 = 0;
	double start, t0 = 0, t1, end;
	struct xdpgen *skel;
	int counter, prog, r = 1;
	int in_window = 0;

	if (!ifindex || iface_mac(a->ifname, src_mac)) {
		fprintf(stderr, "bench-xdpgen: no interface %s\n", a->ifname);
		return 1;
	}
	if ((counter = open_counter(a->pindir)) < 0)
		return 1;
	build_frame(a, src_mac, frame);
	skel = xdpgen__open();
	if (!skel) {
		fprintf(stderr, "bench-xdpgen: open: %s\n", strerror(errno));
		close(counter);
		return 1;
	}
	skel->rodata->tx_ifindex = ifindex;
	memcpy(skel->bss->frame, frame, FRAME_LEN);
	if (xdpgen__load(skel)) {
		fprintf(stderr, "bench-xdpgen: load: %s\n", strerror(errno));
		goto out;
	}
	prog = bpf_program__fd(skel->progs.gen_tx);
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = frame,
		.data_size_in = FRAME_LEN,
		.repeat = BATCH_MIN,
		.flags = BPF_F_TEST_XDP_LIVE_FRAMES,
	);
	start = now_s();
	end = start + a->warmup + a->seconds;
	for (;;) {
		double t = now_s();

		if (!in_window && t >= start + a->warmup) {
			if (sink_read(counter, &c0))
				goto read_fail;
			t0 = now_s();
			in_window = 1;
		}
		if (t >= end)
			break;
		if (bpf_prog_test_run_opts(prog, &opts)) {
			fprintf(stderr, "bench-xdpgen: test run: %s\n", strerror(errno));
			goto out;
		}
		if (in_window)
			sent += opts.repeat;
		/* next run: ~CALL_S at this rate, and not past the next
		 * boundary (end of warm-up, end), so the window is as asked */
		double took = now_s() - t, rate, want;
		double left = (in_window ? end : start + a->warmup) - now_s();

		rate = opts.repeat / (took > 1e-6 ? took : 1e-6);
		want = rate * (left < CALL_S ? left : CALL_S);
		opts.repeat = want < BATCH_MIN ? BATCH_MIN : want > BATCH_MAX ? BATCH_MAX : (__u32)want;
	}
	if (sink_read(counter, &c1))
		goto read_fail;
	t1 = now_s();
	printf("sent_pps=%.0f recv_pps=%.0f sent=%llu recv=%llu seconds=%.3f\n",
	       (double)sent / (t1 - t0), (double)(c1 - c0) / (t1 - t0), sent, c1 - c0,
	       t1 - t0);
	r = 0;
	goto out;
read_fail:
	fprintf(stderr, "bench-xdpgen: read sink counter: %s\n", strerror(errno));
out:
	close(counter);
	xdpgen__destroy(skel);
	return r;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench-xdpgen sink IFACE PINDIR\n"
		"       bench-xdpgen gen -i IFACE -m DSTMAC -s SRCIP -d DSTIP [-p SPORT] [-P DPORT]\n"
		"                        [-t SECONDS] [-w WARMUP] -c PINDIR\n"
		"       bench-xdpgen count PINDIR\n");
}

int main(int argc, char **argv)
{
	struct gen_args a = { .sport = 40000, .dport = 9, .seconds = 3, .warmup = 1 };
	int opt, have_mac = 0;

	if (argc < 2) {
		usage();
		return 2;
	}
	if (!strcmp(argv[1], "sink") && argc == 4)
		return cmd_sink(argv[2], argv[3]);
	if (!strcmp(argv[1], "count") && argc == 3) {
		unsigned long long n;
		int fd = open_counter(argv[2]);

		if (fd < 0 || sink_read(fd, &n))
			return 1;
		printf("%llu\n", n);
		return 0;
	}
	if (strcmp(argv[1], "gen")) {
		usage();
		return 2;
	}
	optind = 2;
	while ((opt = getopt(argc, argv, "i:m:s:d:p:P:t:w:c:")) != -1) {
		switch (opt) {
		case 'i': a.ifname = optarg; break;
		case 'm': have_mac = !parse_mac(optarg, a.dst_mac); break;
		case 's': if (inet_pton(AF_INET, optarg, &a.src) != 1) goto bad; break;
		case 'd': if (inet_pton(AF_INET, optarg, &a.dst) != 1) goto bad; break;
		case 'p': a.sport = (unsigned short)atoi(optarg); break;
		case 'P': a.dport = (unsigned short)atoi(optarg); break;
		case 't': a.seconds = atof(optarg); break;
		case 'w': a.warmup = atof(optarg); break;
		case 'c': a.pindir = optarg; break;
		default: goto bad;
		}
	}
	if (!a.ifname || !have_mac || !a.src.s_addr || !a.dst.s_addr || !a.pindir ||
	    a.seconds <= 0 || a.warmup < 0 || a.seconds + a.warmup > 600)
		goto bad;
	return cmd_gen(&a);
bad:
	usage();
	return 2;
}
