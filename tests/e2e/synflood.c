// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * synflood.c - a bounded TCP SYN flood for the e2e flood test, IPv4 or
 * IPv6 (hping3 speaks IPv4 only).
 *
 *   synflood -i IFACE -m DSTMAC -s SRC -n NSRC -d DST -p DPORT -t SECONDS -r PPS
 *
 * Sends SYNs with whole checksums out of IFACE (AF_PACKET, so the sources
 * can be spoofed) to DST:DPORT via the next hop DSTMAC, from the NSRC
 * addresses SRC, SRC+1, ... (the last 16 bits counted up) and source ports
 * 1024..65535, every (address, port) once before any repeats; at most PPS
 * packets a second, for SECONDS (<= 60).  Prints "sent=N seconds=S pps=R".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#define BATCH 64

struct flood {
	int family;
	uint8_t dmac[6], smac[6];
	uint8_t src[16], dst[16];
	uint16_t dport;
	unsigned nsrc;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* One SYN from source number k (address k % nsrc, port from k / nsrc). */
static size_t build(const struct flood *f, uint64_t k, uint8_t *buf)
{
	size_t l3 = 14, alen = f->family == 4 ? 4 : 16, l4 = l3 + (f->family == 4 ? 20 : 40);
	uint8_t src[16], *ip = buf + l3, *tcp = buf + l4;
	uint16_t sport = (uint16_t)(1024 + (k / f->nsrc) % 64512), host;
	uint32_t sum;

	memset(buf, 0, l4 + 20);
	memcpy(buf, f->dmac, 6);
	memcpy(buf + 6, f->smac, 6);
	buf[12] = f->family == 4 ? 0x08 : 0x86;
	buf[13] = f->family == 4 ? 0x00 : 0xdd;
	memcpy(src, f->src, 16);
	host = (uint16_t)((src[alen - 2] << 8 | src[alen - 1]) + k % f->nsrc);
	src[alen - 2] = (uint8_t)(host >> 8);
	src[alen - 1] = (uint8_t)host;
	if (f->family == 4) {
		ip[0] = 0x45;
		ip[3] = 40;
		ip[6] = 0x40;                   /* DF */
		ip[8] = 64;
		ip[9] = IPPROTO_TCP;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, f->dst, 4);
		sum = fold(sum16(0, ip, 20));
		ip[10] = (uint8_t)(sum >> 8);
		ip[11] = (uint8_t)sum;
	} else {
		ip[0] = 0x60;
		ip[5] = 20;
		ip[6] = IPPROTO_TCP;
		ip[7] = 64;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, f->dst, 16);
	}
	tcp[0] = (uint8_t)(sport >> 8);
	tcp[1] = (uint8_t)sport;
	tcp[2] = (uint8_t)(f->dport >> 8);
	tcp[3] = (uint8_t)f->dport;
	tcp[4] = (uint8_t)(k >> 24);            /* sequence: anything */
	tcp[5] = (uint8_t)(k >> 16);
	tcp[12] = 5 << 4;
	tcp[13] = 0x02;                         /* SYN */
	tcp[14] = 0xfa;                         /* window */
	sum = sum16(sum16(0, src, alen), f->dst, alen) + IPPROTO_TCP + 20;
	sum = fold(sum16(sum, tcp, 20));
	tcp[16] = (uint8_t)(sum >> 8);
	tcp[17] = (uint8_t)sum;
	return l4 + 20;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static int parse_addr(const char *s, uint8_t a[16], int *family)
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET, s, a) == 1)
		*family = 4;
	else if (inet_pton(AF_INET6, s, a) == 1)
		*family = 6;
	else
		return -1;
	return 0;
}

static int open_socket(const char *ifname, struct flood *f, struct sockaddr_ll *to)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		return -1;
	memcpy(f->smac, ifr.ifr_hwaddr.sa_data, 6);
	memset(to, 0, sizeof(*to));
	to->sll_family = AF_PACKET;
	to->sll_ifindex = (int)if_nametoindex(ifname);
	to->sll_halen = 6;
	memcpy(to->sll_addr, f->dmac, 6);
	return to->sll_ifindex ? fd : -1;
}

int main(int argc, char **argv)
{
	static uint8_t frames[BATCH][128];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct flood f = { .nsrc = 1 };
	struct sockaddr_ll to;
	const char *ifname = NULL;
	double seconds = 0, pps = 0, start, elapsed;
	uint64_t sent = 0;
	int opt, fd, fam2 = 0, have = 0;

	while ((opt = getopt(argc, argv, "i:m:s:n:d:p:t:r:")) != -1) {
		switch (opt) {
		case 'i': ifname = optarg; have |= 1; break;
		case 'm': have |= parse_mac(optarg, f.dmac) ? 0 : 2; break;
		case 's': have |= parse_addr(optarg, f.src, &f.family) ? 0 : 4; break;
		case 'd': have |= parse_addr(optarg, f.dst, &fam2) ? 0 : 8; break;
		case 'n': f.nsrc = (unsigned)atoi(optarg); break;
		case 'p': f.dport = (uint16_t)atoi(optarg); break;
		case 't': seconds = atof(optarg); break;
		case 'r': pps = atof(optarg); break;
		default: have = 0; break;
		}
	}
	if (have != 15 || f.family != fam2 || !f.nsrc || f.nsrc > 65536 || !f.dport ||
	    seconds <= 0 || seconds > 60 || pps <= 0) {
		fprintf(stderr, "usage: synflood -i IFACE -m DSTMAC -s SRC -n NSRC -d DST -p DPORT "
				"-t SECONDS(<=60) -r PPS (SRC and DST of one family)\n");
		return 2;
	}
	fd = open_socket(ifname, &f, &to);
	if (fd < 0) {
		fprintf(stderr, "synflood: %s: %s\n", ifname, strerror(errno));
		return 1;
	}
	start = now_s();
	while ((elapsed = now_s() - start) < seconds) {
		int n = 0;

		if (sent > elapsed * pps) {     /* ahead of the rate: wait */
			usleep(200);
			continue;
		}
		for (int i = 0; i < BATCH; i++) {
			iov[i].iov_base = frames[i];
			iov[i].iov_len = build(&f, sent + (uint64_t)i, frames[i]);
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &to;
			msgs[i].msg_hdr.msg_namelen = sizeof(to);
		}
		n = sendmmsg(fd, msgs, BATCH, 0);
		if (n < 0) {
			if (errno == ENOBUFS || errno == EAGAIN)
				continue;
			fprintf(stderr, "synflood: send: %s\n", strerror(errno));
			return 1;
		}
		sent += (uint64_t)n;
	}
	printf("sent=%llu seconds=%.2f pps=%.0f\n", (unsigned long long)sent, elapsed,
	       (double)sent / elapsed);
	close(fd);
	return 0;
}
