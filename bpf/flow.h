/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * flow.h - flow keys, the service check and the life of a flow entry
 * (idle timeouts, FIN/RST), shared by both flow tables (`flows` and
 * `halfopen`) and both programs.
 */
#ifndef BGXDP_BPF_FLOW_H
#define BGXDP_BPF_FLOW_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "bgxdp.h"
#include "bgxdp_hash.h"
#include "maps.h"
#include "parse.h"

/* The config word is written by userspace through mmap at any time: read
 * it exactly once, as one 8-byte load, so the whole decision for a flow
 * comes from a single published word. */
#define READ_ONCE_U64(p) (*(const volatile __u64 *)(p))

/* An address from the packet into a 16-byte, zero-padded, 4-byte aligned
 * field of a key. */
static __always_inline void addr_from_packet(void *field, const __be32 *addr,
					     __u8 family)
{
	__be32 *words = field;

	words[0] = addr[0];
	if (family == BGXDP_FAMILY_IPV6) {
		words[1] = addr[1];
		words[2] = addr[2];
		words[3] = addr[3];
	} else {
		words[1] = 0;
		words[2] = 0;
		words[3] = 0;
	}
}

/* Two 16-byte address fields equal?  (BPF has no memcmp.) */
static __always_inline bool addr_equal(const __u8 *a, const __u8 *b)
{
	__u64 a0, a1, b0, b1;

	__builtin_memcpy(&a0, a, 8);
	__builtin_memcpy(&a1, a + 8, 8);
	__builtin_memcpy(&b0, b, 8);
	__builtin_memcpy(&b1, b + 8, 8);
	return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

/* Two flow keys equal?  Word by word: keys are 4-byte aligned. */
static __always_inline bool flow_key_equal(const struct flow_key *a,
					   const struct flow_key *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;
	__u32 diff = 0;

	#pragma unroll
	for (int i = 0; i < (int)(sizeof(*a) / 4); i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

static __always_inline void make_vip_key(const struct packet *pkt,
					 struct vip_key *key)
{
	addr_from_packet(key->addr, pkt->daddr, pkt->family);
	key->port = pkt->dport;
	key->proto = pkt->proto;
	key->family = pkt->family;
}

/* False only if no service has this address, port and proto. */
static __always_inline bool maybe_vip(const struct vip_key *key)
{
	__u32 zero = 0, bit = bgxdp_vip_filter_bit(key);
	struct vip_filter *filter = bpf_map_lookup_elem(&vip_filter, &zero);

	if (!filter || !filter->enabled)
		return true;
	return (filter->words[(bit / 64) & (VIP_FILTER_BITS / 64 - 1)] >>
		(bit % 64)) & 1;
}

/* Is service `svc` (of a flow entry) still configured?  `service del`
 * clears its word first, so a deleted service's flows stop at once. */
static __always_inline bool service_live(__u32 svc)
{
	__u64 *word = bpf_map_lookup_elem(&svc_config, &svc);

	return word && (READ_ONCE_U64(word) & CFG_CONFIGURED);
}

/* Every byte is written, padding included: the whole key is hashed. */
static __always_inline void make_flow_key(const struct packet *pkt,
					  struct flow_key *key)
{
	addr_from_packet(key->client, pkt->saddr, pkt->family);
	addr_from_packet(key->vip, pkt->daddr, pkt->family);
	key->client_port = pkt->sport;
	key->vip_port = pkt->dport;
	key->proto = pkt->proto;
	key->family = pkt->family;
	key->pad[0] = 0;
	key->pad[1] = 0;
}

/* The key of a client's flow to a VIP (or preview address) known from
 * the control plane rather than from this packet's header; every byte
 * written, padding included. */
static __always_inline void client_flow_key(struct flow_key *key,
					    const __be32 *client,
					    __be16 client_port,
					    const __u8 *vip, __be16 vip_port,
					    const struct packet *pkt)
{
	addr_from_packet(key->client, client, pkt->family);
	__builtin_memcpy(key->vip, vip, BGXDP_ADDR_LEN);
	key->client_port = client_port;
	key->vip_port = vip_port;
	key->proto = pkt->proto;
	key->family = pkt->family;
	key->pad[0] = 0;
	key->pad[1] = 0;
}

static __always_inline bool is_bare_syn(__u8 proto, __u8 tcp_flags)
{
	return proto == IPPROTO_TCP &&
	       (tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
}

/* Idle timeout of an established flow. */
static __always_inline __u64 flow_idle_timeout(const struct flow_value *flow,
					       __u8 proto)
{
	if (proto != IPPROTO_TCP)
		return FLOW_UDP_IDLE_NS;
	return flow->state == FLOW_CLOSING ? FLOW_TCP_CLOSING_NS
					   : FLOW_TCP_IDLE_NS;
}

/* Idle timeout of a half-open flow: an open TCP one has less time. */
static __always_inline __u64 halfopen_idle_timeout(const struct flow_value *flow,
						   __u8 proto)
{
	if (proto == IPPROTO_TCP && flow->state == FLOW_OPEN)
		return HALFOPEN_TCP_IDLE_NS;
	return flow_idle_timeout(flow, proto);
}

/* How long a flow has been idle.  Signed: another CPU may have stamped
 * last_seen a moment after this CPU read the clock, and that must read as
 * "just seen", not as an unsigned wrap to "idle for ages". */
static __always_inline __s64 flow_idle_ns(const struct flow_value *flow,
					  __u64 now)
{
	return (__s64)(now - flow->last_seen_ns);
}

/* May a flow entry (idle timeout `timeout`) still be used for this
 * packet?  Not once it has idled out, and not for a fresh SYN after the
 * old connection closed: the client reuses the port for a new connection,
 * which is picked anew. */
static __always_inline bool flow_usable(const struct flow_value *flow,
					__u8 proto, __u8 tcp_flags, __u64 now,
					__u64 timeout)
{
	if (flow_idle_ns(flow, now) > (__s64)timeout)
		return false;
	return !(flow->state == FLOW_CLOSING && is_bare_syn(proto, tcp_flags));
}

/* Does this client packet start the closing of an open TCP flow? */
static __always_inline bool starts_closing(const struct flow_value *flow,
					   __u8 proto, __u8 tcp_flags)
{
	return proto == IPPROTO_TCP && flow->state == FLOW_OPEN &&
	       (tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST));
}

#endif /* BGXDP_BPF_FLOW_H */
