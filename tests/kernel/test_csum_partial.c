/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_csum_partial.c - tc egress on real skbs from local senders, whose
 * checksum state BPF_PROG_TEST_RUN cannot produce: a TCP segment is always
 * CHECKSUM_PARTIAL (its L4 checksum field holds the pseudo-header sum, the
 * device or skb_checksum_help adds the segment later), a UDP datagram is
 * PARTIAL when the device offloads checksums and a whole checksum
 * (CHECKSUM_NONE) when it does not.  The rewrite must be right in each.
 *
 * The test moves itself into a network namespace of its own (unshare) with
 * a veth pair: cs_a holds the backend's addresses and tc_egress, cs_b
 * captures what leaves (AF_PACKET, with the aux data that says whether the
 * skb is still CHECKSUM_PARTIAL).  A socket bound to the backend's address
 * sends to the client of a flow written into `flows`; the captured frame
 * must come from the VIP with a checksum that is right:
 *   tx offload off: finished in software after tc, verified from scratch;
 *   tx offload on: still partial, so the pseudo-header sum of the
 *     rewritten header must be in the field; finished here as the device
 *     would, then verified from scratch.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bgxdp.h"
#include "bgxdp.skel.h"
#include "helpers_frames.h"
#include "helpers_netdev.h"
#include "helpers_dp.h"
#include "helpers_flow.h"

#define DEV_A "cs_a"
#define DEV_B "cs_b"
#define CAPTURE_TRIES 50         /* frames read per case, at most */

static struct test_dp dp;
static int capture_fd = -1;
static uint16_t next_port = 45000;

/* "aa:bb:..." of an interface (test_read_mac). */
static int read_mac(const char *dev, char *out, size_t len)
{
	uint8_t m[6];

	if (test_read_mac(dev, m))
		return -1;
	snprintf(out, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return 0;
}

static int attach_tc(void)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)if_nametoindex(DEV_A),
		    .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = dp.tc_fd);
	int r = bpf_tc_hook_create(&hook);

	if (r && r != -EEXIST)
		return r;
	return bpf_tc_attach(&hook, &opts);
}

static int open_capture(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)if_nametoindex(DEV_B) };
	struct timeval tv = { .tv_sec = 2 };
	int one = 1;

	capture_fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (capture_fd < 0 ||
	    bind(capture_fd, (struct sockaddr *)&sll, sizeof(sll)) ||
	    setsockopt(capture_fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) ||
	    setsockopt(capture_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		return -1;
	return 0;
}

static int setup(void **state)
{
	char mac[32];

	(void)state;
	if (unshare(CLONE_NEWNET)) {
		perror("test_csum_partial: unshare(CLONE_NEWNET)");
		return -1;
	}
	/* Backend: blue slot 0 of the test services (10.1.0.10, 2001:db8::10a);
	 * client: 192.168.1.2 / 2001:db8::c1, behind cs_a, never answering. */
	if (test_sh("ip link add " DEV_A " type veth peer name " DEV_B) ||
	    test_sh("ip link set " DEV_A " up && ip link set " DEV_B " up") ||
	    test_sh("ip addr add 10.1.0.10/24 dev " DEV_A) ||
	    test_sh("ip -6 addr add 2001:db8::10a/128 dev " DEV_A " nodad") ||
	    test_sh("ip route add 192.168.1.0/24 dev " DEV_A) ||
	    test_sh("ip -6 route add 2001:db8::c1/128 dev " DEV_A))
		return -1;
	if (read_mac(DEV_B, mac, sizeof(mac)))
		return -1;
	if (test_sh("ip neigh add 192.168.1.2 lladdr %s dev " DEV_A " nud permanent", mac) ||
	    test_sh("ip -6 neigh add 2001:db8::c1 lladdr %s dev " DEV_A " nud permanent", mac))
		return -1;
	test_dp_up(&dp);
	if (attach_tc() || open_capture()) {
		fprintf(stderr, "test_csum_partial: set-up failed: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (capture_fd >= 0)
		close(capture_fd);
	test_dp_down(&dp);
	return 0;
}

/* The flow of client port `cport` to blue backend 0, as if established:
 * written as fleet sync writes a peer's flow (flow state, not
 * configuration), since this client never sends anything. */
static void add_flow(int family, int proto, uint16_t cport)
{
	struct frame_spec s = test_client(family, proto, cport);
	struct flow_value fv = { 0 };
	struct flow_key k;
	struct backend b;

	test_backend(family, BGXDP_BLUE, 0, &b);
	memcpy(fv.backend, b.addr, 16);
	fv.backend_port = b.port;
	fv.color = BGXDP_BLUE;
	fv.service_id = (uint16_t)test_svc(&dp, family, proto);
	fv.last_seen_ns = test_now_ns();
	test_flow_key(&s, &k);
	assert_int_equal(bpf_map__update_elem(dp.skel->maps.flows, &k, sizeof(k), &fv,
					      sizeof(fv), 0), 0);
}

/* From the backend's address and port to the client's: one UDP datagram,
 * or a TCP SYN (a non-blocking connect that no one answers). */
static void send_from_backend(int family, int proto, uint16_t cport)
{
	struct sockaddr_storage local = { 0 }, peer = { 0 };
	socklen_t len;
	int fd, one = 1;

	if (family == 4) {
		struct sockaddr_in *l = (struct sockaddr_in *)&local;
		struct sockaddr_in *p = (struct sockaddr_in *)&peer;

		l->sin_family = p->sin_family = AF_INET;
		inet_pton(AF_INET, "10.1.0.10", &l->sin_addr);
		inet_pton(AF_INET, "192.168.1.2", &p->sin_addr);
		l->sin_port = htons(8000);
		p->sin_port = htons(cport);
		len = sizeof(*l);
	} else {
		struct sockaddr_in6 *l = (struct sockaddr_in6 *)&local;
		struct sockaddr_in6 *p = (struct sockaddr_in6 *)&peer;

		l->sin6_family = p->sin6_family = AF_INET6;
		inet_pton(AF_INET6, "2001:db8::10a", &l->sin6_addr);
		inet_pton(AF_INET6, "2001:db8::c1", &p->sin6_addr);
		l->sin6_port = htons(8000);
		p->sin6_port = htons(cport);
		len = sizeof(*l);
	}
	fd = socket(family == 4 ? AF_INET : AF_INET6,
		    proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&local, len), 0);
	if (proto == IPPROTO_TCP) {
		fcntl(fd, F_SETFL, O_NONBLOCK);
		assert_true(connect(fd, (struct sockaddr *)&peer, len) == 0 || errno == EINPROGRESS);
		usleep(50000);          /* the SYN is out before the socket goes */
	} else {
		static const char payload[] = "checksum me, 33 bytes of payload.";

		assert_int_equal(sendto(fd, payload, sizeof(payload), 0,
					(struct sockaddr *)&peer, len), (ssize_t)sizeof(payload));
	}
	close(fd);
}

/* The next captured frame to client port `cport`; *partial: the skb was
 * still CHECKSUM_PARTIAL.  Returns its length, 0 if none came. */
static size_t capture(int family, uint16_t cport, uint8_t *buf, bool *partial)
{
	for (int i = 0; i < CAPTURE_TRIES; i++) {
		char control[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
		struct iovec iov = { .iov_base = buf, .iov_len = FRAME_MAX };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = control,
				      .msg_controllen = sizeof(control) };
		size_t l4 = family == 4 ? 34 : 54;
		ssize_t n = recvmsg(capture_fd, &msg, 0);

		if (n < 0)
			return 0;
		if ((size_t)n < l4 + 8 || buf[12] != (family == 4 ? 0x08 : 0x86) ||
		    (buf[l4 + 2] << 8 | buf[l4 + 3]) != cport)
			continue;
		*partial = false;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA)
				*partial = ((struct tpacket_auxdata *)CMSG_DATA(c))->tp_status &
					   TP_STATUS_CSUMNOTREADY;
		return (size_t)n;
	}
	return 0;
}

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* A partial checksum: the field must hold the pseudo-header sum of the
 * header as it is now; then finish it as the device would. */
static void finish_partial(int family, int proto, uint8_t *f)
{
	size_t l3 = 14, l4 = family == 4 ? 34 : 54;
	size_t alen = family == 4 ? 4 : 16, csum = l4 + (proto == IPPROTO_TCP ? 16 : 6);
	size_t seg = family == 4 ? (size_t)(f[l3 + 2] << 8 | f[l3 + 3]) - 20
				 : (size_t)(f[l3 + 4] << 8 | f[l3 + 5]);
	const uint8_t *src = f + l3 + (family == 4 ? 12 : 8);
	uint32_t pseudo = sum16(sum16(0, src, alen), src + alen, alen) + proto + (uint32_t)seg;
	uint16_t field = (uint16_t)(f[csum] << 8 | f[csum + 1]), done;

	assert_int_equal(field, fold(pseudo));
	done = (uint16_t)~fold(sum16(0, f + l4, seg));
	if (proto == IPPROTO_UDP && done == 0)
		done = 0xffff;
	f[csum] = (uint8_t)(done >> 8);
	f[csum + 1] = (uint8_t)done;
}

/* One case: the frame leaves from the VIP, port 80, checksums right. */
static void one_case(int family, int proto, bool offload)
{
	uint16_t cport = next_port++;
	uint8_t vip[16], frame[FRAME_MAX];
	size_t len, l3 = 14, l4 = family == 4 ? 34 : 54;
	bool partial;

	assert_int_equal(test_sh("ethtool -K " DEV_A " tx %s >/dev/null", offload ? "on" : "off"), 0);
	add_flow(family, proto, cport);
	send_from_backend(family, proto, cport);
	len = capture(family, cport, frame, &partial);
	assert_true(len > 0);
	test_vip_addr(family, vip);
	assert_memory_equal(frame + l3 + (family == 4 ? 12 : 8), vip, family == 4 ? 4 : 16);
	assert_int_equal(frame[l4] << 8 | frame[l4 + 1], TEST_VIP_PORT);
	/* TCP is always partial at tc; with offload it stays so on the
	 * wire of a veth.  UDP is partial only with offload. */
	assert_int_equal(partial, offload);
	if (partial)
		finish_partial(family, proto, frame);
	assert_true(frame_checksums_ok(frame, len));
	print_message("IPv%d %s, tx offload %s: %s, rewritten, checksums right\n", family,
		      proto == IPPROTO_TCP ? "TCP" : "UDP", offload ? "on " : "off",
		      partial ? "CHECKSUM_PARTIAL on the wire" : "checksum finished");
}

static void test_local_senders(void **state)
{
	(void)state;
	for (int f = 4; f <= 6; f += 2)
		for (int tcp = 0; tcp < 2; tcp++)
			for (int offload = 0; offload < 2; offload++)
				one_case(f, tcp ? IPPROTO_TCP : IPPROTO_UDP, offload);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_local_senders, setup, teardown),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_csum_partial: needs root (netns, BPF); not run\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
