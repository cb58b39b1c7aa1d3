/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * state_file.h - small JSON files in the state dir (stored health settings,
 * the agent's health status, requests from the CLI to the agent and their
 * replies), written so that a reader never sees half of one: a temp file in
 * the same directory, fsync, rename over the old one, fsync of the
 * directory.  A writer killed at any point leaves the old file or the new
 * one (and at most a temp file "NAME.tmp.PID", ignored by readers).
 *
 * Depends on: jansson, bgx_err.h.
 */
#ifndef BGXDP_STATE_FILE_H
#define BGXDP_STATE_FILE_H

#include <stddef.h>
#include <jansson.h>
#include "bgx_err.h"

#define STATE_FILE_MAX_BYTES   (1u << 20)

/* <dir>/<name>; -ENAMETOOLONG with one line when it does not fit. */
int state_file_path(const char *dir, const char *name, char *buf, size_t len,
		    struct bgx_err *err);

/* Write `value` (compact, one line) to `path` atomically, mode 0600. */
int state_file_save(const char *path, const json_t *value, struct bgx_err *err);

/* Read `path` (at most STATE_FILE_MAX_BYTES) as one JSON value; -ENOENT
 * (with no message) when there is no such file, -EINVAL for a file that is
 * not JSON.  The caller json_decref()s *out. */
int state_file_load(const char *path, json_t **out, struct bgx_err *err);

/* The same without the fsyncs: whole, but a crash may lose it (a status
 * rewritten every second). */
int state_file_write(const char *path, const json_t *value, struct bgx_err *err);

/* Remove `path`; a missing file is not an error. */
int state_file_remove(const char *path, struct bgx_err *err);

#endif
