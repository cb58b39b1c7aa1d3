/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * agent_status.h - <state dir>/agent-status.json: what the agent knows that
 * the data plane does not (each backend's last check), for `bgxdp status`.
 * Written by the agent (state_file.h: whole files) on every health
 * transition and at most once a second otherwise:
 *
 *   {"pid": 123, "time_ms": UNIX_MS,
 *    "targets": [{"service": "web", "color": "green",
 *                 "backend": "10.0.0.21:8080", "state": "up",
 *                 "since_ms": UNIX_MS, "suspected": false,
 *                 "passes": 5, "fails": 0,
 *                 "last": {"result": "ok", "http_status": 0,
 *                          "latency_us": 310, "at_ms": UNIX_MS,
 *                          "detail": ""},
 *                 "checks": {"ok": 10, "refused": 0, "timeout": 0,
 *                            "bad_status": 0, "error": 0}}]}
 */
#ifndef BGXDP_AGENT_STATUS_H
#define BGXDP_AGENT_STATUS_H

#define AGENT_STATUS_FILE "agent-status.json"

#endif
