/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tc.h - bgxdp's tc egress filter on an interface: clsact qdisc, filter
 * handle 0xb6 priority 0xb6, direct action.  Other filters are never
 * touched.
 */
#ifndef BGXDP_TC_H
#define BGXDP_TC_H

#include <stdbool.h>
#include <linux/types.h>

#define TC_HANDLE   0xb6
#define TC_PRIORITY 0xb6

/* The program id of the filter (0: none) and an fd to it (-1: none). */
int tc_current(__u32 ifindex, __u32 *id);
/* Replace the filter's program in one request (a filter that is gone is
 * created again): no reply ever passes unrewritten.  0 or -errno. */
int tc_swap(__u32 ifindex, int prog_fd, bool exists);
/* Create the clsact qdisc if needed (*created says whether this did). */
int tc_hook_create(__u32 ifindex, bool *created);
/* Remove the clsact qdisc (undo of tc_hook_create). */
void tc_hook_destroy(__u32 ifindex);
int tc_filter_attach(__u32 ifindex, int prog_fd);
/* 0, or -errno; a filter that is not there is not an error. */
int tc_filter_detach(__u32 ifindex);

#endif
