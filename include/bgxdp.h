/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * bgxdp.h - every struct and constant shared by the data plane (bpf/) and
 * the control plane (user/).
 *
 * Both clang -target bpf and the host compiler must agree on the layout of
 * everything here, so: fixed-width types only, explicit padding, no
 * bitfields, no pointers, and a _Static_assert on every size.  Multi-byte
 * fields that come from packets (ports) stay in network byte order; fields
 * that only bgxdp writes are in host byte order.
 */
#ifndef BGXDP_H
#define BGXDP_H

#include <linux/types.h>
#include <linux/bpf.h>              /* struct bpf_spin_lock */

/* ---- limits ----------------------------------------------------------- */

#define BGXDP_MAX_SERVICES     16
#define BGXDP_MAX_BACKENDS     128     /* per service and color */
/* Maglev ring size: a prime >= 100 * BGXDP_MAX_BACKENDS, so every backend
 * owns at least 100 slots and the ring stays within 1 % of fair share. */
#define BGXDP_RING_SIZE        13001
#define BGXDP_NAME_LEN         32      /* service name, NUL included */
#define BGXDP_SHARE_SCALE      10000   /* shares are basis points: 0..10000 */
#define BGXDP_DEFAULT_FLOWS    262144  /* flow table entries, default */

/* ---- colors ------------------------------------------------------------ */

#define BGXDP_BLUE             0
#define BGXDP_GREEN            1
#define BGXDP_COLORS           2

/* Address families as stored in keys (not AF_* so BPF needs no libc). */
#define BGXDP_FAMILY_IPV4      4
#define BGXDP_FAMILY_IPV6      6

/*
 * All addresses are 16 bytes.  An IPv4 address sits in bytes 0..3 and
 * bytes 4..15 are zero, so IPv4 and IPv6 share one key layout and one hash.
 */
#define BGXDP_ADDR_LEN         16

/* ---- service lookup: VIP -> service ------------------------------------ */

/* Key of the `services` hash map.  Also used for the preview address. */
struct __attribute__((aligned(4))) vip_key {
	__u8  addr[BGXDP_ADDR_LEN];
	__be16 port;
	__u8  proto;                   /* IPPROTO_TCP or IPPROTO_UDP */
	__u8  family;                  /* BGXDP_FAMILY_* */
};

/* The preview address always goes to green, whatever the share. */
#define VIP_FLAG_PREVIEW       (1u << 0)

/*
 * `vip_filter` array, one entry: a 1024-bit summary of the services map,
 * bit bgxdp_vip_filter_bit(key) set for every VIP and preview address.
 * A clear bit proves a packet is not for a VIP without a hash-map lookup;
 * a set bit may be a false positive.  Userspace keeps it a superset of the
 * services map (set before a VIP is added, rebuilt after one is deleted).
 * Until `enabled` is set, every packet is a possible VIP (an instance whose
 * filter nobody maintains still works, only slower).
 */
#define VIP_FILTER_BITS        1024

struct vip_filter {
	__u64 enabled;
	__u64 words[VIP_FILTER_BITS / 64];
};

struct vip_value {
	__u32 service_id;              /* index into every per-service map */
	__u32 flags;                   /* VIP_FLAG_* */
};

/*
 * ---- the service config word ------------------------------------------
 *
 * Everything that decides a new flow's color and ring lives in one aligned
 * 64-bit word per service (`svc_config`, an mmap-able array).  The control
 * plane prepares the inactive ring buffer first and then publishes the
 * whole decision with one atomic 8-byte store, so a packet that reads the
 * word once sees either the old config or the new one, never a mix.
 *
 *   bits  0..15  green share in basis points (0..10000)
 *   bit  16      which of the two blue ring buffers is live
 *   bit  17      which of the two green ring buffers is live
 *   bit  18      affinity by client address (else by flow 5-tuple)
 *   bit  19      service is configured (a word of 0 means "no service")
 *   bit  20      the live blue ring has at least one backend
 *   bit  21      the live green ring has at least one backend
 *   bits 32..63  generation, +1 on every publish (tells configs apart)
 */
#define CFG_SHARE_MASK         0xffffull
#define CFG_RING_BUFFER(color) (1ull << (16 + (color)))
#define CFG_AFFINITY_CLIENT    (1ull << 18)
#define CFG_CONFIGURED         (1ull << 19)
#define CFG_HAS_BACKENDS(color) (1ull << (20 + (color)))
#define CFG_GEN_SHIFT          32

static inline __u32 cfg_green_share(__u64 word)
{
	return (__u32)(word & CFG_SHARE_MASK);
}

static inline __u32 cfg_ring_buffer(__u64 word, __u32 color)
{
	return (word & CFG_RING_BUFFER(color)) ? 1 : 0;
}

static inline __u32 cfg_generation(__u64 word)
{
	return (__u32)(word >> CFG_GEN_SHIFT);
}

static inline __u64 cfg_with_share(__u64 word, __u32 green_share)
{
	return (word & ~CFG_SHARE_MASK) | (green_share & CFG_SHARE_MASK);
}

static inline __u64 cfg_next_generation(__u64 word)
{
	return word + (1ull << CFG_GEN_SHIFT);
}

/* ---- backends and rings ------------------------------------------------- */

#define BACKEND_EMPTY          0       /* slot unused */
#define BACKEND_UP             1       /* in the ring, takes new flows */
#define BACKEND_DRAIN          2       /* out of the ring, keeps its flows */
#define BACKEND_DOWN           3       /* out of the ring, marked down */

/* `backends` array, index backend_index(service, color, slot). */
struct backend {
	__u8  addr[BGXDP_ADDR_LEN];
	__be16 port;
	__u8  family;
	__u8  state;                   /* BACKEND_* */
	__u16 weight;                  /* relative Maglev weight, 1..1000 */
	__u16 pad;
};

/*
 * A Maglev lookup table: slot -> backend slot (index into the color's
 * backends).  Each service and color has two buffers; the config word says
 * which one is live, the other is rewritten and then published.
 */
struct maglev_ring {
	__u16 slots[BGXDP_RING_SIZE];
	__u16 pad[3];
};

/* Does the backend take new flows (is it placed in its color's ring)? */
static inline int backend_in_ring(const struct backend *b)
{
	return b->state == BACKEND_UP;
}

static inline __u32 backend_index(__u32 service_id, __u32 color, __u32 slot)
{
	return (service_id * BGXDP_COLORS + color) * BGXDP_MAX_BACKENDS + slot;
}

static inline __u32 ring_index(__u32 service_id, __u32 color, __u32 buffer)
{
	return (service_id * BGXDP_COLORS + color) * 2 + buffer;
}

static inline __u32 color_index(__u32 service_id, __u32 color)
{
	return service_id * BGXDP_COLORS + color;
}

/* ---- flows -------------------------------------------------------------- */

/* `flows` LRU hash: client -> VIP direction, as the packet arrives.
 * 4-byte aligned so the hash reads it a word at a time. */
struct __attribute__((aligned(4))) flow_key {
	__u8  client[BGXDP_ADDR_LEN];
	__u8  vip[BGXDP_ADDR_LEN];
	__be16 client_port;
	__be16 vip_port;
	__u8  proto;
	__u8  family;
	__u8  pad[2];
};

#define FLOW_OPEN              0
#define FLOW_CLOSING           1       /* TCP FIN or RST seen from the client */

struct flow_value {
	__u8  backend[BGXDP_ADDR_LEN];
	__be16 backend_port;
	__u8  color;
	__u8  state;                   /* FLOW_* */
	__u16 service_id;
	__u16 backend_slot;
	__u64 last_seen_ns;            /* bpf_ktime_get_coarse_ns() clock */
};

/* Idle timeouts: a flow idle for longer is treated as new (re-picked). */
#define FLOW_TCP_IDLE_NS       (900ull * 1000000000ull)   /* as IPVS */
#define FLOW_TCP_CLOSING_NS    (10ull * 1000000000ull)
#define FLOW_UDP_IDLE_NS       (30ull * 1000000000ull)
/* A TCP handshake (or a connection whose entry was lost, re-picked) that
 * has not earned a place among established flows within this idle time is
 * forgotten; the client's next SYN picks again.  Closing and UDP entries of
 * the half-open table idle out as in `flows`. */
#define HALFOPEN_TCP_IDLE_NS   (30ull * 1000000000ull)
/* last_seen is refreshed at most this often, to keep writes off the
 * hot path of established flows. */
#define FLOW_TOUCH_NS          (1000000000ull)

/*
 * ---- half-open flows ------------------------------------------------------
 *
 * A new flow (a TCP SYN, a first UDP datagram, or a mid-stream packet whose
 * entry was lost) is recorded only in `halfopen`, never in `flows`, so a
 * flood of spoofed SYNs churns this table and cannot evict an established
 * flow.  A client packet promotes the entry (copies `flow` into `flows`,
 * drops it here) once the flow has proved real:
 *   - TCP: an ACK (no SYN, no RST) whose acknowledgment number is the
 *     backend's SYN-ACK sequence + 1: only a client that received the
 *     SYN-ACK knows it, a spoofing sender never does;
 *   - TCP or UDP: the backend has answered with something other than a
 *     SYN-ACK or a RST (it holds a connection for this client: a lost
 *     entry's connection, or a UDP exchange, as conntrack's ASSURED).
 *
 * `halfopen` is an array of sets: HALFOPEN_WAYS entries per set, a
 * bpf_spin_lock per set.  The set of a key is
 * bgxdp_halfopen_set(bgxdp_halfopen_hash(key), sets) (bgxdp_hash.h), `sets`
 * the map's max_entries; a way is in use when its tag (the key's hash,
 * never 0) is not 0.  A new key takes its own way, else an empty one, else
 * the way seen least recently, which is counted as evicted
 * (color_counters.halfopen_evicted of the entry displaced) when it had not
 * idled out yet.
 */
#define HALFOPEN_WAYS          4
/* 16384 sets = 65536 entries, 6.8 MB: under a flood of R SYNs/s a handshake
 * keeps its entry for about entries / R (160 ms at 400 kpps), far above the
 * round trip of any client it serves. */
#define HALFOPEN_DEFAULT_SETS  16384

#define HALFOPEN_SYN           (1u << 0)   /* made by a bare SYN: created_ns is the handshake's start */
#define HALFOPEN_SYNACK        (1u << 1)   /* backend's SYN-ACK seen: expected_ack set, handshake timed */
#define HALFOPEN_REPLY         (1u << 2)   /* backend sent something else than a SYN-ACK or RST */

struct halfopen_value {
	struct flow_value flow;        /* what promotion writes into `flows` */
	__u64 created_ns;              /* bpf_ktime_get_ns() of the first packet */
	__be32 expected_ack;           /* TCP: the backend's SYN-ACK seq + 1 */
	__u32 flags;                   /* HALFOPEN_* */
};

struct halfopen_entry {
	struct flow_key key;
	struct halfopen_value value;
};

/* A set: what a lookup that finds nothing and the choice of a way read
 * (lock, tags, when each way was last seen) shares one cache line; each
 * way's key and value follow, together. */
struct halfopen_set {
	struct bpf_spin_lock lock;
	__u32 tags[HALFOPEN_WAYS];     /* 0: way unused */
	__u32 seen[HALFOPEN_WAYS];     /* value.flow.last_seen_ns >> 20 (~1 ms) */
	__u32 pad[7];
	struct halfopen_entry ways[HALFOPEN_WAYS];
};

/* Sets for a flow table of `flows` entries: a quarter as many half-open
 * entries, at least HALFOPEN_DEFAULT_SETS sets.  The data plane reads the
 * map's max_entries, so any count works; a larger table only makes a
 * handshake survive a larger flood. */
static inline __u32 bgxdp_halfopen_sets(__u64 flows)
{
	__u64 sets = flows / 4 / HALFOPEN_WAYS;

	return sets < HALFOPEN_DEFAULT_SETS ? HALFOPEN_DEFAULT_SETS : (__u32)sets;
}

/*
 * ---- flow events (fleet sync) ---------------------------------------------
 *
 * With SETTINGS_FLOW_EVENTS set, the data plane writes one struct flow_event
 * to the `flow_events` ring buffer when a flow is promoted to `flows`
 * (ESTABLISHED: key and value are exactly what a peer inserts into its own
 * `flows`, last_seen_ns replaced by its own clock) and when an established
 * flow sees the client's first FIN or RST (CLOSING).  Nothing is written
 * when the bit is clear.  A full ring buffer drops the event and counts it
 * in color_counters.flow_events_dropped.
 */
#define FLOW_EVENT_ESTABLISHED 1
#define FLOW_EVENT_CLOSING     2
#define FLOW_EVENTS_BYTES      (1u << 20)  /* ring buffer size */

struct flow_event {
	__u32 type;                    /* FLOW_EVENT_* */
	__u32 pad;
	struct flow_key key;
	struct flow_value value;
};

/*
 * `backend_services` hash: a backend endpoint (key: struct vip_key, i.e.
 * address, port, proto, family) -> the service it serves and the addresses
 * clients reach that service on.  tc egress turns a reply's (backend,
 * client) back into the flow key through it, so no per-flow reverse entry
 * is needed.  An endpoint serves one service (either color or both).
 */
struct backend_service {
	__u8  vip[BGXDP_ADDR_LEN];
	__u8  preview[BGXDP_ADDR_LEN];
	__be16 vip_port;
	__be16 preview_port;
	__u16 service_id;
	__u8  has_preview;
	__u8  pad;
};

/* ---- fast path ---------------------------------------------------------- */

/* `settings` array, one entry: instance-wide switches set at attach. */
#define SETTINGS_FAST_PATH     (1u << 0)   /* bpf_fib_lookup + redirect */
#define SETTINGS_FLOW_EVENTS   (1u << 1)   /* write `flow_events` (fleet sync) */

struct instance_settings {
	__u32 flags;                   /* SETTINGS_* */
	__u32 pad;
};

/* `tx_ports` devmap (hash, key and value = ifindex): the interfaces the
 * fast path may redirect to.  A VIP packet the kernel would forward out of
 * any other interface goes up the stack as usual. */
#define BGXDP_MAX_TX_PORTS     64

/* `next_hops` per-CPU array, index backend_index(): the FIB's answer for a
 * backend, so an established flow's packets skip bpf_fib_lookup().  Kept
 * NEXT_HOP_TTL_NS, so a route or neighbour change is followed within that;
 * the backend address is kept too, so a reused slot never inherits it. */
#define NEXT_HOP_TTL_NS        (100ull * 1000000ull)

struct next_hop {
	__u8  backend[BGXDP_ADDR_LEN];
	__u32 ifindex;
	__u8  dmac[6];
	__u8  smac[6];
	__u64 expires_ns;              /* bpf_ktime_get_coarse_ns() clock */
};

/* ---- counters (per-CPU arrays, summed by userspace) --------------------- */

/* `color_counters`, index color_index(service, color). */
struct color_counters {
	__u64 packets_to_backend;
	__u64 bytes_to_backend;
	__u64 packets_to_client;
	__u64 bytes_to_client;
	__u64 flows_created;
	__u64 resets_from_backend;
	/* A TCP packet other than a SYN that found no entry in either
	 * table: a live connection whose entry was evicted or idled out, an
	 * ACK whose half-open entry a flood displaced, or a spoofed ACK.  It
	 * is picked again; under an unchanged config that is the same
	 * backend, so the connection survives. */
	__u64 flows_lost;
	__u64 flows_promoted;          /* half-open flows that became established */
	/* Half-open entries of this color displaced, before idling out, by
	 * newer ones: what a SYN flood did.  Never established flows. */
	__u64 halfopen_evicted;
	__u64 syns_to_backend;         /* bare SYNs forwarded (retransmits too) */
	__u64 synacks_from_backend;    /* SYN-ACKs the backends sent back */
	__u64 flow_events_dropped;     /* flow_events ring buffer was full */
};

/* `backend_counters`, index backend_index(service, color, slot). */
struct backend_counters {
	__u64 packets;                 /* to the backend */
	__u64 bytes;
	__u64 syns;                    /* bare SYNs forwarded to it */
	__u64 synacks;                 /* SYN-ACKs it sent */
	__u64 resets;                  /* RSTs it sent */
};

/*
 * `backend_connect` (per-CPU), index backend_index(): the backend's
 * handshake time, from the client's first SYN forwarded to the backend's
 * first SYN-ACK seen by tc egress, as histogram buckets.  buckets[i] counts
 * times t with bound[i-1] < t <= bound[i] (not cumulative); the last bucket
 * is everything above the last bound (+Inf).  The bounds: BGXDP_CONNECT_BOUNDS
 * gives each in ns and as the Prometheus `le` label value.  1 s and 3 s are
 * where a SYN answered only after one or two retransmissions lands.
 */
#define BGXDP_CONNECT_BOUNDS(X)                                              \
	X(100000ull, "0.0001") X(250000ull, "0.00025") X(500000ull, "0.0005")    \
	X(1000000ull, "0.001") X(2500000ull, "0.0025") X(5000000ull, "0.005")    \
	X(10000000ull, "0.01") X(25000000ull, "0.025") X(50000000ull, "0.05")    \
	X(100000000ull, "0.1") X(250000000ull, "0.25") X(500000000ull, "0.5")    \
	X(1000000000ull, "1") X(3000000000ull, "3")
#define BGXDP_CONNECT_BUCKETS  15      /* 14 bounds + (+Inf) */

struct backend_connect {
	__u64 count;
	__u64 sum_ns;
	__u64 buckets[BGXDP_CONNECT_BUCKETS];
};

/* `passed_counters`, index PASS_*: packets let through untouched. */
enum pass_reason {
	PASS_NOT_IP = 0,               /* not IPv4/IPv6 (ARP, LLDP, ...) */
	PASS_NOT_VIP,                  /* IP, but not to a configured VIP */
	PASS_FRAGMENT,                 /* IPv4 fragment or IPv6 fragment header */
	PASS_MALFORMED,                /* truncated or inconsistent headers */
	PASS_UNSUPPORTED,              /* protocol or extension header we skip */
	PASS_NO_BACKEND,               /* VIP, but no backend to choose */
	PASS_REASONS
};

/* ---- control-plane state ------------------------------------------------ */

/*
 * `svc_meta` array, one per service.  Only userspace reads or writes it;
 * it lives in a pinned map so every bgxdp command is stateless.
 */
#define SVC_FREE               0
#define SVC_LIVE               1
#define SVC_DELETING           2       /* `service del` began: finish it */

struct svc_meta {
	char  name[BGXDP_NAME_LEN];
	struct vip_key vip;
	struct vip_key preview;        /* family 0 = no preview address */
	__u8  in_use;                  /* SVC_* */
	__u8  affinity_client;
	/* A share change recorded here but maybe not published yet: while
	 * the live word is still previous_word, the next writer publishes
	 * pending_green_share; otherwise it was published.  Either way the
	 * flag is then cleared. */
	__u8  share_pending;
	/* A backend change began and may not have published its ring: the
	 * next writer checks this service's rings against their slots. */
	__u8  ring_dirty;
	__u16 pending_green_share;
	__u8  pad2[2];
	__u64 previous_word;           /* config word before the last change */
	__u64 last_change_unix_ns;     /* CLOCK_REALTIME of the last change */
	__u64 changes;                 /* config changes published */
};

/* ---- pins --------------------------------------------------------------- */

#define BGXDP_DEFAULT_PIN_DIR  "/sys/fs/bpf/bgxdp"
#define BGXDP_PIN_DIR_ENV      "BGXDP_PIN_DIR"

/* ---- layout checks: both compilers must agree --------------------------- */

_Static_assert(sizeof(struct vip_key) == 20, "vip_key layout");
_Static_assert(sizeof(struct vip_value) == 8, "vip_value layout");
_Static_assert(sizeof(struct backend) == 24, "backend layout");
_Static_assert(sizeof(struct maglev_ring) == 26008, "maglev_ring layout");
_Static_assert(sizeof(struct flow_key) == 40, "flow_key layout");
_Static_assert(sizeof(struct flow_value) == 32, "flow_value layout");
_Static_assert(sizeof(struct backend_service) == 40, "backend_service layout");
_Static_assert(sizeof(struct vip_filter) == 136, "vip_filter layout");
_Static_assert(sizeof(struct instance_settings) == 8, "instance_settings layout");
_Static_assert(sizeof(struct next_hop) == 40, "next_hop layout");
_Static_assert(sizeof(struct color_counters) == 96, "color_counters layout");
_Static_assert(sizeof(struct backend_counters) == 40, "backend_counters layout");
_Static_assert(sizeof(struct backend_connect) == 136, "backend_connect layout");
_Static_assert(sizeof(struct halfopen_value) == 48, "halfopen_value layout");
_Static_assert(sizeof(struct halfopen_entry) == 88, "halfopen_entry layout");
_Static_assert(sizeof(struct halfopen_set) == 416, "halfopen_set layout");
_Static_assert(sizeof(struct flow_event) == 80, "flow_event layout");
_Static_assert(sizeof(struct svc_meta) == 104, "svc_meta layout");

#endif /* BGXDP_H */
