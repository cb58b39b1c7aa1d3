#!/usr/bin/env python3
"""Backend for the bgxdp end-to-end tests.

A real HTTP/1.1 server (threads, keep-alive) that answers every GET with the
body "<color> <name>\\n", e.g. "blue b1\\n", so a client can tell which
backend served it.  Listens on [::]:PORT with IPV6_V6ONLY off, so it serves
IPv4 and IPv6 on the same port.

    server.py --color blue --name b1 [--port 8080] [--tag TEXT]
              [--health-path /healthz] [--health-fail-file FILE]
              [--fail-file FILE] [--reset] [--backlog N --no-accept]
              [--version-file FILE]

--tag is ignored; tests put their id there so they can find leftovers.
Faults and counters, for the health-check and rollout tests:
  --health-path PATH      GET PATH answers 200 "ok" (the health check), or
  --health-fail-file F    500 while the file F exists (toggled at run time);
  --fail-file F           every other GET answers 500 while F exists;
  --reset                 read each request, then close with SO_LINGER 0 (a
                          reset) instead of answering: TCP checks still pass;
  --no-accept             never accept: with --backlog N the kernel's accept
                          queue fills and later SYNs go unanswered;
  --accept-delay S        sleep S seconds before each accept (with a small
                          --backlog: a slow server, some SYNs answered late).
  --version-file F        GET /version answers 200 "app " + F's content, 404
                          while F does not exist (what a deploy writes), even
                          with --reset: a release whose version page works
                          while its real requests fail; each such request is
                          logged with its Host header (which address the
                          client asked for).
GET /metrics answers the Prometheus text of app_requests_total{code}: what
the server answered (not counted itself), for PromQL checks.
Stops on SIGTERM/SIGINT.
"""
import argparse
import http.server
import os
import signal
import socket
import struct
import sys
import threading
import time


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def handle_error(self, request, client_address):
        # one line, not a traceback (a client that resets is worth a note)
        err = sys.exc_info()[1]
        print(f"error with client {client_address[0]} port {client_address[1]}: "
              f"{err!r}", flush=True)

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


COUNTS = {}
COUNTS_LOCK = threading.Lock()


def count(code):
    with COUNTS_LOCK:
        COUNTS[code] = COUNTS.get(code, 0) + 1


def make_handler(body, args):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"   # keep-alive unless the client says close
        timeout = 30                    # idle keep-alive connections end
        server_version = "bgxdp-e2e"
        sys_version = ""

        def answer(self, code, text):
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def do_GET(self):
            if self.path == "/metrics":
                with COUNTS_LOCK:
                    lines = ["# TYPE app_requests_total counter"] + [
                        'app_requests_total{code="%d"} %d' % (c, n)
                        for c, n in sorted(COUNTS.items())]
                return self.answer(200, ("\n".join(lines) + "\n").encode())
            if args.health_path and self.path == args.health_path:
                failing = args.health_fail_file and os.path.exists(args.health_fail_file)
                return self.answer(500 if failing else 200, b"unwell\n" if failing else b"ok\n")
            if args.version_file and self.path == "/version":
                return self.answer_version()
            if args.reset:
                # the request was read: drop the connection with a reset
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.close_connection = True
                count(0)
                return
            if args.fail_file and os.path.exists(args.fail_file):
                count(500)
                return self.answer(500, b"failing\n")
            count(200)
            self.answer(200, body)

        def answer_version(self):
            print(f"version request, Host: {self.headers.get('Host', '')}", flush=True)
            try:
                with open(args.version_file, "rb") as f:
                    version = f.read().strip()
            except FileNotFoundError:
                return self.answer(404, b"no version deployed\n")
            self.answer(200, b"app " + version + b"\n")

        def do_HEAD(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()

        def log_message(self, fmt, *args):
            pass                        # thousands of requests; stay quiet

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--color", required=True, choices=["blue", "green"])
    ap.add_argument("--name", required=True)
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--tag", default="")
    ap.add_argument("--health-path", default=None)
    ap.add_argument("--health-fail-file", default=None)
    ap.add_argument("--fail-file", default=None)
    ap.add_argument("--reset", action="store_true")
    ap.add_argument("--backlog", type=int, default=1024)
    ap.add_argument("--no-accept", action="store_true")
    ap.add_argument("--accept-delay", type=float, default=0)
    ap.add_argument("--version-file", default=None)
    args = ap.parse_args()

    body = f"{args.color} {args.name}\n".encode()
    Server.request_queue_size = args.backlog
    if args.accept_delay:
        accept = Server.get_request

        def slow_accept(self):
            time.sleep(args.accept_delay)
            return accept(self)
        Server.get_request = slow_accept
    srv = Server(("::", args.port), make_handler(body, args))
    if args.no_accept:
        print(f"server {args.color} {args.name} listening on port {args.port}, "
              f"never accepting (backlog {args.backlog})", flush=True)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
        signal.sigwait({signal.SIGTERM, signal.SIGINT})
        return 0

    def stop(_sig, _frm):
        # shutdown() blocks until serve_forever returns: call it elsewhere.
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"server {args.color} {args.name} listening on port {args.port}",
          flush=True)
    srv.serve_forever(poll_interval=0.2)
    srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
