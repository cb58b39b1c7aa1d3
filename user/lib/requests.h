/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * requests.h - what a command asks the running agent (start a rollout,
 * pause it, ...), through the state dir, and the agent's answer.
 *
 * Depends on: jansson, state_file.h, bgx_err.h.
 *
 * A request is a JSON object written durably to
 * <state dir>/requests/<id>.json, where <id> is "<unix ns>-<pid>" (so the
 * agent takes them in the order they were made).  The command then wakes
 * the agent (a signal: an optimisation, since the agent also looks every
 * AGENT_TICK_MS) and waits for <id>.reply.json, which the agent writes
 * after it acted: {"ok": true, ...} or {"ok": false, "error": "...",
 * "usage": bool, "code": errno}.  The agent takes a request by renaming
 * it to <id>.taken, so a command that gives up (removes its request) and
 * an agent that takes it never both win.  The command removes the answer
 * once read; the agent removes the request once answered, and answers
 * nobody collected after a minute (the command that asked was killed).
 */
#ifndef BGXDP_REQUESTS_H
#define BGXDP_REQUESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "bgx_err.h"

#define REQUESTS_DIR           "requests"
#define REQUEST_ID_LEN         48
#define REQUEST_ANSWER_MS      60000   /* a request taken is answered within this */

/* Write `body` as a new request; its id into id[]. */
int request_submit(const char *state_dir, const json_t *body, char id[REQUEST_ID_LEN],
		   struct bgx_err *e);

/* Wait up to timeout_ms for the agent to take request `id` (and for its
 * answer: up to REQUEST_ANSWER_MS once taken).  0 and *reply (the caller
 * json_decref()s it), -ETIMEDOUT (a request not taken is withdrawn: an
 * agent that comes later does not act on it), or -errno. */
int request_wait(const char *state_dir, const char *id, int timeout_ms, json_t **reply,
		 struct bgx_err *e);

/* The answer's error as the command's: 0 if it says ok, else its code
 * (usage errors exit 2) with its message in `e`. */
int request_reply_error(const json_t *reply, struct bgx_err *e);

/* Agent side: answer every pending request, oldest first.  `handle` fills
 * `e` (then the answer says not ok) or returns 0 and may add fields to
 * `reply` (an object, "ok" is set here). */
typedef int (*request_handle_fn)(const char *id, const json_t *body, json_t *reply,
				 void *ctx, struct bgx_err *e);
int requests_serve(const char *state_dir, request_handle_fn handle, void *ctx,
		   struct bgx_err *e);

#endif
