#!/usr/bin/env python3
"""Send hostile frames out of OUT_IF so they arrive on IN_IF (a veth pair).

Usage: packets.py OUT_IF OUT_MAC IN_MAC

The frames: TCP SYNs and UDP datagrams to the test VIPs (10.0.0.1:80,
10.0.0.2:53) from many source ports, some carrying text that looks like a
command; frames with every header truncated at every length; IPv4 with bad
IHL / total length / fragment bits; random bytes.  The seed is fixed, so a
failure can be replayed.  Prints one summary line ("N frames").
"""
import random
import socket
import struct
import sys


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src: str, dst: str, proto: int, payload: bytes, ihl: int = 5, flags_frag: int = 0) -> bytes:
    opts = b"\x01" * ((ihl - 5) * 4)          # NOP options
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 4 * ihl + len(payload), 1, flags_frag,
                      64, proto, 0, socket.inet_aton(src), socket.inet_aton(dst)) + opts
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return hdr + payload


def tcp(sport: int, dport: int, flags: int = 0x02, payload: bytes = b"") -> bytes:
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, flags, 65535, 0, 0) + payload


def udp(sport: int, dport: int, payload: bytes) -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def mac(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", ""))


def main() -> int:
    out_if, src, dst = sys.argv[1], mac(sys.argv[2]), mac(sys.argv[3])
    rnd = random.Random(4242)
    eth4 = dst + src + b"\x08\x00"
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((out_if, 0))
    frames = []
    words = [b"set green", b"weight green 100", b"service del web", b"\xff" * 40]
    for i in range(300):
        client = f"10.9.{i // 200}.{1 + i % 200}"
        frames.append(eth4 + ipv4(client, "10.0.0.1", 6, tcp(10000 + i, 80, payload=words[i % 4])))
        frames.append(eth4 + ipv4(client, "10.0.0.2", 17, udp(20000 + i, 53, words[i % 4])))
    good = eth4 + ipv4("10.9.9.9", "10.0.0.1", 6, tcp(40000, 80))
    for n in range(len(good)):                 # every truncation
        frames.append(good[:n])
    for ihl in range(0, 16):                   # bad and optioned IHL
        frames.append(good[:14] + bytes([0x40 | ihl]) + good[15:])
    frames.append(eth4 + ipv4("10.9.9.7", "10.0.0.1", 6, tcp(40002, 80), flags_frag=0x2001))
    frames.append(eth4 + ipv4("10.9.9.7", "10.0.0.1", 6, tcp(40003, 80), ihl=15))
    for _ in range(300):                       # random bytes, random lengths
        frames.append(dst + src + bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 200))))
    for _ in range(100):                       # random IPv6 / VLAN ethertypes and bodies
        et = rnd.choice([b"\x86\xdd", b"\x81\x00", b"\x88\xa8"])
        frames.append(dst + src + et + bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 120))))
    sent = 0
    for f in frames:
        if len(f) < 14:
            f = f + b"\0" * (14 - len(f))       # AF_PACKET wants a link header
        s.send(f)
        sent += 1
    print(f"{sent} frames")
    return 0


if __name__ == "__main__":
    sys.exit(main())
