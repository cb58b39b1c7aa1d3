/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * security.h - who may run a command, and which pin dirs bgxdp trusts.
 *
 * Commands that change state need CAP_BPF (or CAP_SYS_ADMIN) and
 * CAP_NET_ADMIN; bgxdp checks them before it touches anything, so an
 * unprivileged caller gets one clear line instead of a half-done change or
 * a bare EPERM.  Read-only commands (status, stats, metrics, serve) need no
 * capability of their own, only access to the root-only pins.
 *
 * A pin dir is trusted when it and every directory above it are owned by
 * root or the caller and not writable by group or others (an ancestor may
 * be if it has the sticky bit, like /sys/fs/bpf on many hosts): whoever can
 * write there could swap the pinned maps under bgxdp.
 */
#ifndef BGXDP_SECURITY_H
#define BGXDP_SECURITY_H

#include <stdbool.h>
#include "bgx_err.h"

/* 0, or -EPERM with "needs CAP_BPF and CAP_NET_ADMIN (...)" recorded, when
 * the process lacks one of them (callers: commands that change state). */
int security_check_caps(struct bgx_err *e);

/* 0 when `pin_dir` (or, while it does not exist, its deepest existing
 * ancestor) and every directory above it are trusted; -EPERM and a message
 * naming the directory and the fix otherwise. */
int security_check_pin_dir(const char *pin_dir, struct bgx_err *e);

/* The same rule for an open pin dir (closes the race between the path
 * check and open()). */
int security_check_pin_dir_fd(int dir_fd, const char *pin_dir, struct bgx_err *e);

#endif
