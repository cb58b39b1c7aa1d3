#!/usr/bin/env python3
"""One connection whose host fails DELAY seconds after it was made.

Connects to HOST:PORT (the handshake is done when connect() returns: the
host it went through has the flow), waits DELAY, stops that host's agent
with SIGSTOP (--stop-pid: from then on it sends no more flow sync; a
negative DELAY stops it just before the connection is made), asks
for "/" on the connection, writes --ready, waits for --go (the test moves
the routes to another host meanwhile), asks again on the same connection.
Prints a JSON line: {"delay", "stopped_after", "first", "second", "ok",
"error"}.  Exit 0 in any case: the test reads the line.
"""
import argparse
import http.client
import json
import os
import signal
import sys
import time


def ask(conn):
    conn.request("GET", "/", headers={"Host": "x"})
    resp = conn.getresponse()
    return resp.read().decode(errors="replace").strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--delay", type=float, required=True)
    ap.add_argument("--stop-pid", type=int, required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--go", required=True)
    args = ap.parse_args()

    res = {"delay": args.delay, "ok": False, "error": None}
    conn = http.client.HTTPConnection(args.host, args.port, timeout=3)
    try:
        if args.delay < 0:
            os.kill(args.stop_pid, signal.SIGSTOP)
            stopped = time.monotonic()
        conn.connect()
        made = time.monotonic()
        if args.delay >= 0:
            time.sleep(max(0.0, made + args.delay - time.monotonic()))
            os.kill(args.stop_pid, signal.SIGSTOP)
            stopped = time.monotonic()
        res["stopped_after"] = round(stopped - made, 6)
        res["first"] = ask(conn)
        with open(args.ready, "w") as f:
            f.write("ready\n")
        deadline = time.monotonic() + 10
        while not os.path.exists(args.go) and time.monotonic() < deadline:
            time.sleep(0.01)
        res["second"] = ask(conn)
        res["ok"] = res["second"] == res["first"]
    except Exception as e:          # a reset is the measured outcome
        res["error"] = repr(e)
        if not os.path.exists(args.ready):
            with open(args.ready, "w") as f:
                f.write("failed\n")
    finally:
        conn.close()
    print(json.dumps(res), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
