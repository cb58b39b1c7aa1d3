#!/usr/bin/env python3
"""Send one flow-sync datagram (format: user/agent/flowsync.h) to an agent.

Builds header + records + HMAC-SHA-512-256 (HMAC-SHA-512 cut to 32 bytes,
what libsodium's crypto_auth is) with the key file's 32 bytes, or with a
wrong key, and can spoil it on purpose: cut it short, pad it past the
limit, break a record.  --save writes the bytes sent, --raw sends a saved
datagram again (a replay).  The tests only aim it at addresses inside
their own namespaces.

    flowsync_send.py --to ADDR:PORT --key FILE --sequence N
                     [--client ADDR:PORT --vip ADDR:PORT --backend ADDR:PORT
                      --color blue|green --type upsert|close]
                     [--wrong-key] [--truncate N] [--oversize] [--bad-record]
                     [--garbage N] [--save FILE] [--raw FILE]
"""
import argparse
import hashlib
import hmac
import ipaddress
import os
import socket
import struct
import sys
import time

MAGIC = 0x42475853
MAX_BYTES = 32 + 120 * 72 + 32


def endpoint(text):
    host, port = text.rsplit(":", 1)
    addr = ipaddress.ip_address(host.strip("[]"))
    return addr, int(port)


def addr16(addr):
    raw = addr.packed
    return raw + bytes(16 - len(raw))


def record(args):
    client, cport = endpoint(args.client)
    vip, vport = endpoint(args.vip)
    backend, bport = endpoint(args.backend)
    family = 9 if args.bad_record else (4 if vip.version == 4 else 6)
    rtype = 1 if args.type == "upsert" else 2
    color = 0 if args.color == "blue" else 1
    head = struct.pack("!BBBBBBHH", rtype, family, 6, color, 0, 0, 0, 0)
    ports = struct.pack("!HHH", cport, vport, bport)
    return (head + ports + addr16(client) + addr16(vip) + addr16(backend) +
            struct.pack("!Q", time.time_ns()))


def datagram(args):
    recs = [record(args)] if args.client else []
    body = struct.pack("!IBBHQQQ", MAGIC, 1, 0, len(recs), args.host_id, args.sequence,
                       time.time_ns()) + b"".join(recs)
    with open(args.key) as f:
        key = bytes.fromhex(f.read().strip())
    if args.wrong_key:
        key = bytes(b ^ 0x5A for b in key)
    data = body + hmac.new(key, body, hashlib.sha512).digest()[:32]
    if args.truncate:
        data = data[:args.truncate]
    if args.oversize:
        data = data + bytes(MAX_BYTES + 100 - len(data))
    return data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--to", required=True)
    ap.add_argument("--key")
    ap.add_argument("--host-id", type=int, default=0x7e57)
    ap.add_argument("--sequence", type=int, default=1)
    ap.add_argument("--client")
    ap.add_argument("--vip")
    ap.add_argument("--backend")
    ap.add_argument("--color", default="blue")
    ap.add_argument("--type", default="upsert")
    ap.add_argument("--wrong-key", action="store_true")
    ap.add_argument("--truncate", type=int, default=0)
    ap.add_argument("--oversize", action="store_true")
    ap.add_argument("--bad-record", action="store_true")
    ap.add_argument("--garbage", type=int, default=0, help="send N random datagrams instead")
    ap.add_argument("--save")
    ap.add_argument("--raw")
    args = ap.parse_args()

    addr, port = endpoint(args.to)
    sock = socket.socket(socket.AF_INET if addr.version == 4 else socket.AF_INET6,
                         socket.SOCK_DGRAM)
    if args.garbage:
        for _ in range(args.garbage):
            size = int.from_bytes(os.urandom(2), "big") % 1500 + 1
            sock.sendto(os.urandom(size), (str(addr), port))
        return 0
    if args.raw:
        with open(args.raw, "rb") as f:
            data = f.read()
    else:
        data = datagram(args)
    if args.save:
        with open(args.save, "wb") as f:
            f.write(data)
    sock.sendto(data, (str(addr), port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
