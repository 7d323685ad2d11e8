"""P3 baseline: the seed document's blocking Python client, in a loop.

Connects once, then repeats: sendall one seed command line, recv until the
newline, check the reply says ok. Exactly the pattern of the lab's socket
document (/work/shared/seeds/002_*.txt), with its settimeout, so the number
is what a seed-style client reaches against the same controller.

    python bench/seed_client.py --addr 127.0.0.1:5000 --seconds 10

Prints one JSON object: {"ok": N, "seconds": S, "ok_per_s": R}.
"""

import argparse
import json
import socket
import sys
import time

SEED_LINE = b'{"type":"command","x":120.0,"y":35.5,"z":210.0,"gripper":"open"}\n'


def parse_addr(text):
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise SystemExit(f"seed_client: --addr {text!r} is not host:port, e.g. 127.0.0.1:5000")
    if host not in ("127.0.0.1", "localhost"):
        raise SystemExit(f"seed_client: --addr {text!r}: the benchmark only talks to this machine; use 127.0.0.1")
    return host, int(port)


def run(addr, seconds, warm):
    sock = socket.create_connection(addr, timeout=3.0)
    sock.settimeout(3.0)
    buf = b""
    ok = 0
    start = time.monotonic() + warm
    end = start + seconds
    counting = False
    while True:
        now = time.monotonic()
        if now >= end:
            break
        if not counting and now >= start:
            counting, ok = True, 0
            start = now
        sock.sendall(SEED_LINE)
        while b"\n" not in buf:
            data = sock.recv(1024)
            if not data:
                raise ConnectionError("controller closed the connection")
            buf += data
        line, buf = buf.split(b"\n", 1)
        reply = json.loads(line)
        if reply.get("status") != "ok":
            raise SystemExit(f"seed_client: controller refused the seed line: {line!r}")
        ok += 1
    elapsed = time.monotonic() - start
    sock.close()
    return {"ok": ok, "seconds": elapsed, "ok_per_s": ok / elapsed}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--addr", required=True, help="controller host:port on this machine")
    ap.add_argument("--seconds", type=float, default=10.0, help="how long to count, s")
    ap.add_argument("--warm", type=float, default=1.0, help="warm-up before counting, s")
    a = ap.parse_args(argv)
    if not 0 < a.seconds <= 3600 or not 0 <= a.warm <= 60:
        raise SystemExit("seed_client: --seconds must be in (0, 3600] and --warm in [0, 60]")
    print(json.dumps(run(parse_addr(a.addr), a.seconds, a.warm)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
