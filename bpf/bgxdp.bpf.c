/* SPDX-License-Identifier: GPL-2.0 */
/* STUB: replaced by the real data plane.  Passes everything. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "maps.h"

SEC("xdp")
int xdp_ingress(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int tc_egress(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
