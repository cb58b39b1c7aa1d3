/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * config_yaml.h - the declarative config file: YAML <-> struct bgx_desired.
 *
 * libyaml (Debian's libyaml-dev) reads and writes it: the standard C YAML
 * library, maintained for two decades and in every distribution; its event
 * API gives the line and column of every node, which is what a strict
 * "FILE:LINE:COL: reason" parser needs, and holds no document tree in
 * memory.  The same library writes exports, so quoting and escaping are
 * never hand-made.
 *
 * The format (every key; docs in the README):
 *
 *   flows: 262144                 # flow table size when the instance is created
 *   fast_path: [eth1]             # devices of `attach --fast-path`
 *   prune: false                  # true: detach attached interfaces not listed
 *   interfaces:
 *   - {name: eth0, mode: native}  # mode native|generic|auto (default auto)
 *   services:
 *   - name: web
 *     vip: 192.0.2.10:80          # IPv6 quoted: "[2001:db8::10]:80"
 *     proto: tcp                  # tcp|udp (default tcp)
 *     preview: 192.0.2.11:80      # optional, always green
 *     affinity: flow              # flow|client (default flow)
 *     share: {green: 10}          # or {blue: 90}, or active: blue|green
 *     backends:
 *       blue:
 *       - {address: 10.1.0.1:8080, weight: 1, state: ready}   # or just the address
 *       green:
 *       - {address: 10.2.0.1:8080, weight: 2, state: drain}   # ready|drain|maint
 *     health:                     # or `health: off`; absent: nothing stored
 *       check: http               # tcp|http (default tcp)
 *       path: /healthz            # http only (default /)
 *       expect: 200-399,404       # http only (default 200-399)
 *       interval: 1s              # default 1s
 *       timeout: 500ms            # default 500ms
 *       rise: 2                   # default 2
 *       fall: 2                   # default 2
 *       port: 8081                # default: the backend's port
 *       fastinter: 250ms          # default: half the interval, at least the timeout
 *       downinter: 5s             # default: interval
 *       expire_flows_on_down: false
 *
 * Refused, each with one "FILE:LINE:COL: reason" at the offending node:
 * bad YAML, a file over BGX_CONFIG_MAX_BYTES, a second document, anchors,
 * aliases, tags and directives, unknown or duplicate keys, a value of the
 * wrong type (a list where a mapping is expected, a quoted string where a
 * number is), invalid values (the value parsers of values.h give the
 * reason), and the rules of bgx_desired_validate().  An empty file and a
 * file without `services` are refused too (`services: []` deletes every
 * service, on purpose).
 */
#ifndef BGXDP_CONFIG_YAML_H
#define BGXDP_CONFIG_YAML_H

#include <stddef.h>
#include "desired.h"
#include "bgx_err.h"

#define BGX_CONFIG_MAX_BYTES   (1u << 20)   /* a full config is ~300 KiB */
#define BGX_DIGEST_HEX_LEN     65           /* SHA-256 in hex, NUL included */

/* Parse `len` bytes (need not be NUL-terminated) named `source` in
 * messages.  On success `out` holds the canonical, validated model; on
 * error `out` is untouched and `e` holds the one line. */
int bgx_config_parse_buffer(const char *buf, size_t len, const char *source,
			    struct bgx_desired *out, struct bgx_err *e);
/* `path` "-" reads stdin (shown as "<stdin>"). */
int bgx_config_parse_file(const char *path, struct bgx_desired *out, struct bgx_err *e);

/*
 * The canonical text of a model: a fixed comment line, then every key in
 * a fixed order (services by name, backends by color then address), every
 * value written even when it is the default (only absent optional values
 * are left out: no preview, health port, fastinter, downinter, unset
 * health, flows or fast_path).  The share is `active: blue|green` at 0 or
 * 100 %, else `share: {green: P}`.  parse(emit(m)) equals m, and emit is
 * byte-identical for equal models.  `*text` is malloc-ed, NUL-terminated.
 */
int bgx_config_emit(const struct bgx_desired *d, char **text, size_t *len, struct bgx_err *e);

/* SHA-256 (libsodium) of bgx_config_emit's text, lower-case hex: the same
 * config has the same digest on every host, and `bgxdp export | sha256sum`
 * prints it. */
int bgx_config_digest(const struct bgx_desired *d, char hex[BGX_DIGEST_HEX_LEN], struct bgx_err *e);

#endif
