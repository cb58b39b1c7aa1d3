/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xdpgen.bpf.c - the two ends of the forwarding benchmark (bench/forward.sh).
 *
 * gen_tx: run by BPF_PROG_TEST_RUN in live-frames mode, it writes the
 * 64-byte UDP frame built by bench/xdpgen.c over the packet and sends it out
 * of tx_ifindex.  The write is needed: live-frames mode fills a page with
 * the input frame only when the page is first allocated, and pages come
 * back from the receivers to be reused as they left them: forwarded (new
 * MACs, TTL - 1) or rewritten by DNAT.  Without it only the first use of
 * each page would reach the lb intact.
 *
 * sink_drop: attached to the sink's interface, it counts and drops every
 * frame, so the sink's own stack costs nothing and the count is exact.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define FRAME_LEN 64

const volatile __u32 tx_ifindex;
__u8 frame[FRAME_LEN];          /* .bss: set before load; a const would be folded to zeros */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sink_count SEC(".maps");

SEC("xdp")
int gen_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	if (data + FRAME_LEN > end)
		return XDP_ABORTED;
	__builtin_memcpy(data, frame, FRAME_LEN);
	return bpf_redirect(tx_ifindex, 0);
}

SEC("xdp")
int sink_drop(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&sink_count, &key);

	if (n)
		*n += 1;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
