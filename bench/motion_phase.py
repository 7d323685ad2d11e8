"""make bench's motion-quality phase (issue 11 item 8), also runnable alone:

    .venv/bin/python bench/motion_phase.py [--baseline-controller PATH] [--seconds 30]

1. Motion quality: bench/motionq.py writes the deterministic noisy 30 Hz hand
   stream; pkg/controller's TestMotionQualityStream feeds it to a real
   controller over loopback TCP on the fake clock at 100 Hz servo ticks and
   records every tick; motionq.figures gives the tool's figures beside the
   input path's (the input path is the baseline from the same run).
2. CPU (P5): bin/aether_controller (sim backend, motion.tick_hz 100) with no
   client, then with a client sending the same stream at 30 Hz in real time;
   CPU % of one core from /proc over each window. With --baseline-controller
   (e.g. a build of the code before issue 11) the same windows run for it
   too, so before and after come from one run on one machine.

Writes build/bench/motion.json and prints a markdown table.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "test"))

import motionq  # noqa: E402
from measure import Sampler, pace  # noqa: E402

TICK_HZ = 100


def quality(out_dir):
    stream = out_dir / "motionq_stream.json"
    ticks = out_dir / "motionq_ticks.ndjson"
    motionq.write_stream(stream)
    env = dict(os.environ, AETHER_MOTIONQ_STREAM=str(stream), AETHER_MOTIONQ_OUT=str(ticks), CGO_ENABLED="0")
    subprocess.run(["go", "test", "-count=1", "-run", "^TestMotionQualityStream$", "./pkg/controller"],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    with open(ticks) as f:
        return motionq.figures([json.loads(line) for line in f if line.strip()])


def start_controller(binary, arm):
    p = subprocess.Popen([str(binary), "--listen", "127.0.0.1:0", "--backend", "sim", "--arm", str(arm)],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()  # "listening on 127.0.0.1:PORT"
    if not line.startswith("listening on "):
        p.kill()
        raise RuntimeError(f"{binary}: did not start listening: {line!r}")
    host, port = line.split()[-1].rsplit(":", 1)
    return p, (host, int(port))


def cpu_windows(binary, arm, seconds):
    """CPU % of one core of binary: idle (no client), then with a 30 Hz client."""
    p, addr = start_controller(binary, arm)
    try:
        time.sleep(1)  # start-up is not idle; this waits out a load, it synchronises nothing
        with Sampler({"c": p.pid}) as s:
            time.sleep(seconds)
        idle = s.footprint("c")
        conn = socket.create_connection(addr, timeout=5)
        conn.sendall(b'{"type":"hello","version":1,"client":"bench-motion"}\n')
        replies = threading.Thread(target=lambda: [None for _ in conn.makefile()], daemon=True)
        replies.start()
        samples = motionq.stream()

        def send(k):
            sm = samples[k % len(samples)]
            conn.sendall(f'{{"type":"command","x":{sm["x"]},"y":{sm["y"]},"z":{sm["z"]}}}\n'.encode())

        with Sampler({"c": p.pid}) as s:
            pace(30, seconds, send)
        busy = s.footprint("c")
        conn.close()
        return {"idle_cpu_pct": idle["cpu_pct"], "client30_cpu_pct": busy["cpu_pct"], "rss_max_mb": busy["rss_max_mb"],
                "seconds": seconds}
    finally:
        p.terminate()
        p.wait(timeout=10)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--controller", default=str(ROOT / "bin" / "aether_controller"))
    ap.add_argument("--baseline-controller", help="a controller binary to measure the same CPU windows for (before)")
    ap.add_argument("--seconds", type=float, default=30.0, help="length of each CPU window")
    ap.add_argument("--out", default=str(ROOT / "build" / "bench" / "motion.json"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    res = {"quality": quality(out.parent)}
    with tempfile.TemporaryDirectory() as d:
        arm = yaml.safe_load((ROOT / "config" / "arm.yaml").read_text())
        arm.setdefault("motion", {})["tick_hz"] = TICK_HZ
        armfile = Path(d) / "arm.yaml"
        armfile.write_text(yaml.safe_dump(arm, sort_keys=False))
        res["cpu"] = cpu_windows(args.controller, armfile, args.seconds)
        if args.baseline_controller:
            res["cpu_baseline"] = cpu_windows(args.baseline_controller, armfile, args.seconds)
    out.write_text(json.dumps(res, indent=1))
    print(render(res))


def render(res):
    q = res["quality"]
    t, i = q["tool"], q["input"]
    rows = [
        ("tool acceleration p95, mm/s²", t["accel_p95"], i["accel_p95"], f"≤ 3 × input = {3 * i['accel_p95']:.0f}"),
        ("tool jerk p95, mm/s³", t["jerk_p95"], i["jerk_p95"], "—"),
        ("rest jitter peak-to-peak, mm", t["rest_jitter_pp"], i["rest_jitter_pp"], "≤ 1"),
        ("joint direction reversals/s (all joints)", t["reversals_per_s"], None, "—"),
        ("input → tool lag p50, ms", t["lag_p50_ms"], i["lag_p50_ms"], "≤ 100"),
    ]
    lines = ["| figure | tool | input path (baseline) | target |", "|---|---|---|---|"]
    for name, tool, inp, target in rows:
        lines.append(f"| {name} | {tool:.3g} | {'—' if inp is None else format(inp, '.3g')} | {target} |")
    c = res["cpu"]
    lines.append(f"| P5 controller CPU idle, % of a core (100 Hz ticks) | {c['idle_cpu_pct']} | "
                 f"{res.get('cpu_baseline', {}).get('idle_cpu_pct', '—')} (baseline binary) | ≤ 1 |")
    lines.append(f"| P5 controller CPU, 30 Hz client, % of a core | {c['client30_cpu_pct']} | "
                 f"{res.get('cpu_baseline', {}).get('client30_cpu_pct', '—')} (baseline binary) | ≤ 1 |")
    lines.append(f"\nThe input as sent (noisy, 30 Hz) has acceleration p95 {i['sent_accel_p95']:.0f} mm/s² "
                 f"and rest jitter {i['rest_jitter_pp']:.1f} mm peak-to-peak.")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
