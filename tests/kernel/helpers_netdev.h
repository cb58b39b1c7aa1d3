/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * helpers_netdev.h - the kernel tests that build interfaces of their own
 * (veth pairs in a private namespace) run shell commands and read MACs.
 */
#ifndef BGXDP_HELPERS_NETDEV_H
#define BGXDP_HELPERS_NETDEV_H

#include <stdint.h>

/* Run a shell command (printf format); 0, or -1 after saying which failed. */
int test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An interface's MAC from the kernel (SIOCGIFHWADDR), not /sys: sysfs shows
 * the namespace it was mounted in, not the test's.  0 or -1. */
int test_read_mac(const char *dev, uint8_t mac[6]);

#endif
