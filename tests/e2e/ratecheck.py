#!/usr/bin/env python3
"""New connections at a steady rate, each one logged, for the bgxdp e2e tests.

Opens one new TCP connection every 1/RATE seconds (each in a thread of its
own, so a slow or failing one does not delay the next), sends one GET with
"Connection: close" and records when it started, whether it got a 200, the
body's backend name ("green g1") and why it failed.  Runs until the file
--stop appears or --duration seconds pass (at most 600), then waits for the
requests in flight (bounded by --timeout) and writes one JSON line per
request to --out, oldest first:

    {"t": 1700000000.123, "ok": true, "name": "green g1", "ms": 1.2, "port": 40312}
    {"t": 1700000000.143, "ok": false, "err": "ConnectionRefusedError(...)"}

and a summary line on stdout: {"requests": N, "ok": N, "failed": N,
"names": {...}}.  "port" is the client's source port: a failure on a port
that failed before is a connection that found the flow entry of its failed
predecessor (see tests/e2e/lib_agent.sh, rc_count "fresh").
"""
import argparse
import http.client
import json
import os
import socket
import sys
import threading
import time


def one(host, port, timeout, rec):
    start = time.monotonic()
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        sock.settimeout(timeout)
        try:
            sock.connect((host, port))
        finally:            # the port is known even when the connect failed
            rec["port"] = sock.getsockname()[1]
        conn.sock = sock
        conn.request("GET", "/", headers={"Host": "x", "Connection": "close"})
        resp = conn.getresponse()
        body = resp.read().decode(errors="replace").strip()
        rec["ok"] = resp.status == 200
        rec["name"] = body
        if resp.status != 200:
            rec["err"] = "status %d" % resp.status
    except Exception as e:  # every failure counts, whatever it is
        rec["ok"] = False
        rec["err"] = repr(e)
    finally:
        conn.close()
        sock.close()
    rec["ms"] = round((time.monotonic() - start) * 1000, 3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--rate", type=float, default=50)
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--timeout", type=float, default=1.0)
    ap.add_argument("--out", required=True)
    ap.add_argument("--stop", required=True)
    ap.add_argument("--tag", default="")
    args = ap.parse_args()

    rate = min(max(args.rate, 1), 500)
    duration = min(args.duration, 600)
    records, threads = [], []
    start = time.monotonic()
    i = 0
    while time.monotonic() - start < duration and not os.path.exists(args.stop):
        due = start + i / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        rec = {"t": round(time.time(), 4)}
        records.append(rec)
        th = threading.Thread(target=one, args=(args.host, args.port, args.timeout, rec),
                              daemon=True)
        th.start()
        threads.append(th)
        threads = [t for t in threads if t.is_alive()]
        i += 1
    for th in threads:
        th.join(args.timeout + 1)
    names = {}
    with open(args.out, "w") as f:
        for rec in records:
            rec.setdefault("ok", False)
            rec.setdefault("err", "unfinished")
            f.write(json.dumps(rec) + "\n")
            if rec["ok"]:
                names[rec["name"]] = names.get(rec["name"], 0) + 1
    ok = sum(1 for r in records if r["ok"])
    print(json.dumps({"requests": len(records), "ok": ok, "failed": len(records) - ok,
                      "names": names}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
