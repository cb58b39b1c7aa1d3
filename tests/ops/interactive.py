#!/usr/bin/env python3
"""Type into a real interactive bash through a pseudo-terminal and watch the screen.

    interactive.py --source FILE [--source FILE ...] --type TEXT --expect REGEX [--timeout S]

Starts `bash --norc --noprofile -i` on a pty (so readline, TAB and the
completion machinery run exactly as for a person), sources the files, types
TEXT (\\t is TAB), and waits until the output matches REGEX.  Exit 0 when it
did, 1 with the transcript otherwise.  Bounded by --timeout (default 10 s);
the shell is killed on the way out.
"""
import argparse
import os
import pty
import re
import select
import signal
import sys
import time


def read_until(fd, pattern, deadline, buf):
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        buf.extend(chunk)
        if pattern.search(buf.decode("utf-8", "replace")):
            return True
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", action="append", default=[])
    ap.add_argument("--type", required=True)
    ap.add_argument("--expect", required=True)
    ap.add_argument("--timeout", type=float, default=10.0)
    a = ap.parse_args()

    env = dict(os.environ, PS1="READY$ ", TERM="dumb", INPUTRC="/dev/null", HISTFILE="/dev/null")
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe("bash", ["bash", "--norc", "--noprofile", "-i"], env)
    buf = bytearray()
    deadline = time.monotonic() + a.timeout
    ok = False
    try:
        # one command a line; a marker after the sources says they are done
        for f in a.source:
            os.write(fd, (". '%s'\n" % f).encode())
        os.write(fd, b"echo SOURCED\n")
        if read_until(fd, re.compile(r"^SOURCED", re.M), deadline, buf):
            del buf[:]
            os.write(fd, a.type.replace("\\t", "\t").encode())
            ok = read_until(fd, re.compile(a.expect), deadline, buf)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    if not ok:
        sys.stderr.write("interactive.py: typed %r, wanted /%s/, screen was:\n%s\n"
                         % (a.type, a.expect, buf.decode("utf-8", "replace")))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
