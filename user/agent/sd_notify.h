/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sd_notify.h - tell the service manager what the agent is doing.
 *
 * systemd's notification protocol, which systemd documents as a stable
 * interface that others may implement (sd_notify(3), "Notes"): one datagram
 * of newline-separated VARIABLE=VALUE assignments, sent to the AF_UNIX
 * datagram socket named by $NOTIFY_SOCKET, either a filesystem path
 * ("/run/systemd/notify") or, when it starts with '@', an abstract socket
 * name.  No libsystemd: the whole protocol is this one sendto().
 *
 * The agent (contrib/systemd/bgxdp.service runs it with Type=notify) sends:
 *   "READY=1"                  once /metrics is served and checks run
 *   "RELOADING=1", "READY=1"   around a SIGHUP reload
 *   "STOPPING=1"               when SIGTERM/SIGINT starts the shutdown
 *   "STATUS=..."               one line for `systemctl status`
 * The unit sets NotifyAccess=main: only the agent's own process (not a
 * child it spawns) may send.
 */
#ifndef BGXDP_SD_NOTIFY_H
#define BGXDP_SD_NOTIFY_H

#include "bgx_err.h"

#define BGX_NOTIFY_SOCKET_ENV "NOTIFY_SOCKET"

/*
 * Send `state` (e.g. "READY=1", or "READY=1\nSTATUS=serving") to
 * $NOTIFY_SOCKET.  Returns 1 when sent, 0 when $NOTIFY_SOCKET is not set
 * (not started by a service manager: nothing to do), or a negative errno
 * with `e` filled (a malformed variable, a socket that is gone).
 */
int bgx_sd_notify(const char *state, struct bgx_err *e);

#endif
