#!/usr/bin/env python3
"""One long-lived HTTP/1.1 keep-alive connection for the bgxdp e2e tests.

Opens ONE TCP connection to HOST:PORT and sends a GET on it every INTERVAL
seconds until the file --stop appears (or --max-seconds pass).  It never
reconnects: every answer must come over the same socket, from the same
backend name, of the expected color.  Writes "<local addr> <first answer>"
to --ready after the first answer.  Prints a JSON summary; exit 0 only if
every request got an answer from that one backend.
"""
import argparse
import http.client
import json
import os
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--expect-color", default=None)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--stop", required=True)
    ap.add_argument("--max-seconds", type=float, default=60)
    ap.add_argument("--tag", default="")
    ap.add_argument("--timeout", type=float, default=2,
                    help="seconds a request may take (TCP retransmits within it)")
    ap.add_argument("--go-prefix", default=None,
                    help="request K (K >= 2) waits for the file PREFIX.K instead of "
                         "sleeping INTERVAL, and PREFIX.done.K is written after its answer")
    args = ap.parse_args()

    res = {"requests": 0, "ok": 0, "errors": 0, "names": {}, "first_error": None}
    conn = http.client.HTTPConnection(args.host, args.port, timeout=args.timeout)
    start = time.monotonic()
    sock = None
    try:
        conn.connect()
        conn.auto_open = 0            # never silently reconnect
        sock = conn.sock
        res["local"] = "%s port %d" % conn.sock.getsockname()[:2]
        while time.monotonic() - start < min(args.max_seconds, 600):
            if res["requests"] and os.path.exists(args.stop):
                break
            res["requests"] += 1
            try:
                if conn.sock is not sock:
                    raise RuntimeError("connection was closed or replaced")
                conn.request("GET", "/", headers={"Host": "x"})
                resp = conn.getresponse()
                body = resp.read().decode(errors="replace").strip()
                if resp.status != 200:
                    raise RuntimeError("status %d" % resp.status)
                if resp.will_close:
                    raise RuntimeError("server wants to close the connection")
            except Exception as e:    # any failure ends the test
                res["errors"] += 1
                res["first_error"] = "request %d: %r" % (res["requests"], e)
                break
            res["ok"] += 1
            res["names"][body] = res["names"].get(body, 0) + 1
            if res["ok"] == 1:
                with open(args.ready, "w") as f:
                    f.write("%s answered '%s'\n" % (res["local"], body))
            if args.go_prefix:
                if res["ok"] > 1:
                    open("%s.done.%d" % (args.go_prefix, res["ok"]), "w").close()
                go = "%s.%d" % (args.go_prefix, res["ok"] + 1)
                while not (os.path.exists(go) or os.path.exists(args.stop)):
                    if time.monotonic() - start >= min(args.max_seconds, 600):
                        break
                    time.sleep(0.01)
            else:
                # in slices: a long interval still notices --stop at once
                wake = time.monotonic() + args.interval
                while time.monotonic() < wake and not os.path.exists(args.stop):
                    time.sleep(min(0.1, args.interval))
    except Exception as e:
        res["errors"] += 1
        res["first_error"] = "connect: %r" % (e,)
    finally:
        conn.close()
    res["seconds"] = round(time.monotonic() - start, 3)

    good = res["errors"] == 0 and res["ok"] > 0 and len(res["names"]) == 1
    if good and args.expect_color:
        only = next(iter(res["names"]))
        good = only.startswith(args.expect_color + " ")
        if not good:
            res["first_error"] = "answers from %r, want %s" % (only, args.expect_color)
    res["pass"] = good
    print(json.dumps(res), flush=True)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
