// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tc.h"

static void tc_ids(__u32 ifindex, struct bpf_tc_hook *hook, struct bpf_tc_opts *o)
{
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = (int)ifindex;
	hook->attach_point = BPF_TC_EGRESS;
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->handle = TC_HANDLE;
	o->priority = TC_PRIORITY;
}

int tc_current(__u32 ifindex, __u32 *id)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts o;

	tc_ids(ifindex, &hook, &o);
	*id = bpf_tc_query(&hook, &o) ? 0 : o.prog_id;
	return *id ? bpf_prog_get_fd_by_id(*id) : -1;
}

int tc_swap(__u32 ifindex, int prog_fd, bool exists)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts o;

	tc_ids(ifindex, &hook, &o);
	o.prog_fd = prog_fd;
	o.flags = exists ? BPF_TC_F_REPLACE : 0;
	return bpf_tc_attach(&hook, &o);
}

int tc_hook_create(__u32 ifindex, bool *created)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts o;
	int r;

	tc_ids(ifindex, &hook, &o);
	r = bpf_tc_hook_create(&hook);
	*created = !r;
	return r == -EEXIST ? 0 : r;
}

void tc_hook_destroy(__u32 ifindex)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts o;

	tc_ids(ifindex, &hook, &o);
	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	bpf_tc_hook_destroy(&hook);
}

int tc_filter_attach(__u32 ifindex, int prog_fd)
{
	return tc_swap(ifindex, prog_fd, false);
}

int tc_filter_detach(__u32 ifindex)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts o;
	int r;

	tc_ids(ifindex, &hook, &o);
	r = bpf_tc_detach(&hook, &o);
	return r == -ENOENT || r == -EINVAL ? 0 : r;
}
