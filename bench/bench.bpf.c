/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench.bpf.c - per-packet cost wrappers around the real data plane.
 *
 * BPF_PROG_TEST_RUN with `repeat` feeds iteration N the packet as
 * iteration N-1 left it, i.e. already rewritten to the backend.  Each
 * wrapper here therefore saves the first BENCH_SAVE bytes of the frame
 * (direct packet access, 8 bytes at a time),
 * runs the real code (xdp_process / tc_process from bpf/bgxdp.bpf.c,
 * compiled into this object), and puts the saved bytes back, so every
 * iteration sees the original packet.  bench_floor_restore measures the
 * save + restore alone.  Frames fed to these programs must be at least
 * BENCH_SAVE bytes long (bench.c pads them).
 */
#include "../bpf/bgxdp.bpf.c"

#define BENCH_SAVE 128

/* Scratch for the saved bytes: .bss, no helper call to reach it.  Test
 * runs are single-threaded per program run, so one buffer is enough. */
__u64 saved[BENCH_SAVE / 8];

/* New-flow wrapper: where to write the per-iteration source port and the
 * high half of the counter (low 16 bits of the source address), set by
 * userspace per frame layout; and the counter itself. */
__u32 sport_off = 0;
__u32 saddr_lo_off = 0;
__u32 new_flow_counter = 0;

/* Promotion wrapper: the (source address low half << 16 | source port)
 * of each iteration's flow, chosen by userspace among flows it gave a
 * half-open entry; iteration n takes bench_keys[n % bench_nkeys]. */
#define BENCH_MAX_KEYS (1u << 20)
__u32 bench_nkeys;
__u32 keyed_counter = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BENCH_MAX_KEYS);
	__type(key, __u32);
	__type(value, __u32);
} bench_keys SEC(".maps");

static __always_inline int floor_body(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	volatile __u8 *eth = data;

	if ((void *)(eth + 14) > data_end)
		return XDP_ABORTED;
	/* Read the EtherType so the floor does the minimum a real program
	 * does: bounds check plus a load. */
	if (eth[12] == 0 && eth[13] == 0)
		return XDP_DROP;
	return XDP_PASS;
}

/* Save and restore through direct packet access, 8 bytes at a time: the
 * cheapest way, so the wrapper adds as little as possible to each row. */
static __always_inline int save_frame(void *data, void *data_end)
{
	__u64 *words = data;

	if ((void *)(words + BENCH_SAVE / 8) > data_end)
		return -1;
	#pragma unroll
	for (int i = 0; i < BENCH_SAVE / 8; i++)
		saved[i] = words[i];
	return 0;
}

static __always_inline void restore_frame(void *data, void *data_end)
{
	__u64 *words = data;

	if ((void *)(words + BENCH_SAVE / 8) > data_end)
		return;
	#pragma unroll
	for (int i = 0; i < BENCH_SAVE / 8; i++)
		words[i] = saved[i];
}

static __always_inline int xdp_save(struct xdp_md *ctx)
{
	return save_frame((void *)(long)ctx->data, (void *)(long)ctx->data_end);
}

static __always_inline void xdp_restore(struct xdp_md *ctx)
{
	restore_frame((void *)(long)ctx->data, (void *)(long)ctx->data_end);
}

SEC("xdp")
int bench_floor(struct xdp_md *ctx)
{
	return floor_body(ctx);
}

SEC("xdp")
int bench_floor_restore(struct xdp_md *ctx)
{
	int ret;

	if (xdp_save(ctx))
		return XDP_ABORTED;
	ret = floor_body(ctx);
	xdp_restore(ctx);
	return ret;
}

/* Non-VIP and established-flow rows: the real program, packet restored. */
SEC("xdp")
int bench_xdp(struct xdp_md *ctx)
{
	int ret;

	if (xdp_save(ctx))
		return XDP_ABORTED;
	ret = xdp_process(ctx);
	xdp_restore(ctx);
	return ret;
}

/* Write the flow of this iteration into the saved frame's source address
 * (low 16 bits) and source port. */
static __always_inline int set_source(struct xdp_md *ctx, __be16 hi, __be16 port)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__be16 *sport, *saddr_lo;

	if (sport_off > BENCH_SAVE - 2 || saddr_lo_off > BENCH_SAVE - 2)
		return -1;
	sport = data + (sport_off & (BENCH_SAVE - 1));
	saddr_lo = data + (saddr_lo_off & (BENCH_SAVE - 1));
	if ((void *)(sport + 1) > data_end || (void *)(saddr_lo + 1) > data_end)
		return -1;
	*sport = port;
	*saddr_lo = hi;
	return 0;
}

/* New flow: a different (source address low half, source port) every
 * iteration, so every packet misses the flow table and inserts.  The L4
 * checksum is left stale: the data plane updates it incrementally and
 * never verifies it, so the work done is the same. */
SEC("xdp")
int bench_xdp_new_flow(struct xdp_md *ctx)
{
	__u32 n = new_flow_counter++;
	__be16 port = bpf_htons((__u16)n);
	__be16 hi = bpf_htons((__u16)(n >> 16));
	int ret;

	if (xdp_save(ctx))
		return XDP_ABORTED;
	if (set_source(ctx, hi, port))
		return XDP_ABORTED;
	ret = xdp_process(ctx);
	xdp_restore(ctx);
	return ret;
}

/* Promotion (the first ACK): each iteration the ACK of another flow that
 * userspace put in the half-open table with the backend's SYN-ACK seen,
 * so every packet promotes one flow into `flows`.  The one array lookup
 * for the key is the only cost this wrapper adds to the new-flow one. */
SEC("xdp")
int bench_xdp_keyed(struct xdp_md *ctx)
{
	__u32 n = keyed_counter++ % (bench_nkeys ? bench_nkeys : 1);
	__u32 *flow = bpf_map_lookup_elem(&bench_keys, &n);
	int ret;

	if (!flow || xdp_save(ctx))
		return XDP_ABORTED;
	if (set_source(ctx, bpf_htons((__u16)(*flow >> 16)), bpf_htons((__u16)*flow)))
		return XDP_ABORTED;
	ret = xdp_process(ctx);
	xdp_restore(ctx);
	return ret;
}

/* The tc floor: the same save/restore and Ethernet read around nothing,
 * so a tc row can be compared with its own program type's overhead. */
SEC("tc")
int bench_tc_floor_restore(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	volatile __u8 *eth = data;
	int ret = TC_ACT_OK;

	if (save_frame(data, data_end))
		return TC_ACT_SHOT;
	if ((void *)(eth + 14) > data_end || (eth[12] == 0 && eth[13] == 0))
		ret = TC_ACT_SHOT;
	restore_frame((void *)(long)skb->data, (void *)(long)skb->data_end);
	return ret;
}

/* tc egress reverse rewrite, packet restored. */
SEC("tc")
int bench_tc(struct __sk_buff *skb)
{
	int ret;

	if (save_frame((void *)(long)skb->data, (void *)(long)skb->data_end))
		return TC_ACT_SHOT;
	ret = tc_process(skb);
	restore_frame((void *)(long)skb->data, (void *)(long)skb->data_end);
	return ret;
}
