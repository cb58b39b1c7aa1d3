#!/usr/bin/env python3
"""Backend for the bgxdp end-to-end tests.

A real HTTP/1.1 server (threads, keep-alive) that answers every GET with the
body "<color> <name>\\n", e.g. "blue b1\\n", so a client can tell which
backend served it.  Listens on [::]:PORT with IPV6_V6ONLY off, so it serves
IPv4 and IPv6 on the same port.

    server.py --color blue --name b1 [--port 8080] [--tag TEXT]

--tag is ignored; tests put their id there so they can find leftovers.
Stops on SIGTERM/SIGINT.
"""
import argparse
import http.server
import signal
import socket
import sys
import threading


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


def make_handler(body):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"   # keep-alive unless the client says close
        timeout = 30                    # idle keep-alive connections end
        server_version = "bgxdp-e2e"
        sys_version = ""

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

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
    args = ap.parse_args()

    body = f"{args.color} {args.name}\n".encode()
    srv = Server(("::", args.port), make_handler(body))

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
