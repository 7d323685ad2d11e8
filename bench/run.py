"""`make bench`: measure aether_bridge and aether_controller against baselines
measured in the same run, on this machine, and write bench/results/<date>.md,
.json and .png (see bench/README.md for what each figure means).

Everything is real and local: the built binaries, rclpy on a DDS domain of
its own with discovery on loopback, TCP on 127.0.0.1. bench/bench.sh builds
what this needs and runs it with scripts/env.sh sourced.
"""

import argparse
import datetime
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "test"))
sys.path.insert(0, str(HERE))

from harness import BIN, Proc, held_port  # noqa: E402

# A DDS domain of our own, discovery on this machine only; before rclpy loads.
os.environ["ROS_DOMAIN_ID"] = os.environ.get("AETHER_BENCH_DOMAIN_ID") or str(random.SystemRandom().randint(101, 200))
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ.pop("ROS_LOCALHOST_ONLY", None)  # deprecated: rcl warns and ignores the range

import yaml  # noqa: E402

import measure  # noqa: E402
import report  # noqa: E402
import rospath  # noqa: E402
from measure import Sampler, SendLog, pace, summary_ms, wait_until  # noqa: E402

BENCH_BIN = ROOT / "build" / "bench"
TICK_HZ = 100          # the controller's servo update rate in every phase (motion.tick_hz)
RESTARTS = 20          # P4


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Bench:
    """Owns every process of the run; close() stops them all."""

    def __init__(self, scale, workdir):
        self.scale = scale
        self.work = Path(workdir)
        self.procs = []
        self.arm = self.work / "arm.yaml"
        arm = yaml.safe_load((ROOT / "config" / "arm.yaml").read_text())
        arm.setdefault("motion", {})["tick_hz"] = TICK_HZ
        self.arm.write_text(yaml.safe_dump(arm, sort_keys=False))
        self.results = {}
        self.drv = None
        self.perfs = []  # (name, data file, perf process)

    def secs(self, s):
        return max(1.0, s * self.scale)

    # Processes.
    def start(self, name, argv, ready=None, timeout=30.0, env=None, sock=None):
        p = Proc(name, argv, env, sock)
        self.procs.append(p)
        if ready:
            p.wait_for_line(ready, timeout)
        return p

    def stop(self, p):
        code = p.stop()
        if p in self.procs:
            self.procs.remove(p)
        return code

    def controller(self, sock=None, name="aether_controller"):
        """A sim controller on a port the kernel picks, or serving sock (held_port) when given; p.port is
        its port, read back from its "listening on" line."""
        argv = [BIN / "aether_controller", "--backend", "sim", "--arm", self.arm]
        p = self.start(name, argv if sock else argv + ["--listen", "127.0.0.1:0"], sock=sock)
        p.port = int(re.search(r"listening on \S*:(\d+)", p.wait_for_line("listening on")).group(1))
        return p

    def bridge(self, port):
        self.drv.link_state = None  # a latched state of an earlier bridge must not count
        # gctrace: one line per garbage collection, so the report can tell Go heap from C memory.
        env = dict(os.environ, GODEBUG="gctrace=1")
        p = self.start("aether_bridge", [BIN / "aether_bridge", "--ros-args", "-p", "controller_host:=127.0.0.1",
                                         "-p", f"controller_port:={port}", "-p", f"arm:={self.arm}"], env=env)
        self.drv.wait_bridge()
        return p

    def linkload(self, mode, port, out, *flags, ready="ready"):
        return self.start(f"linkload {mode}", [BENCH_BIN / "linkload", mode, "-addr", f"127.0.0.1:{port}",
                                               "-out", out, *flags], ready)

    def finish(self, p, timeout):
        """Wait for a helper to exit by itself; fail with its output if it does not, or fails."""
        try:
            code = p.p.wait(timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"{p.name} still running after {timeout}s:\n{p.output()}")
        self.stop(p)
        if code != 0:
            raise RuntimeError(f"{p.name} exited with {code}:\n{p.output()}")

    def close(self):
        for p in reversed(self.procs):
            p.stop()
        self.procs = []
        if self.drv:
            self.drv.close()

    # Phases.
    def run(self):
        from rosdriver import TOPIC_RELAY_IN, TOPIC_TARGET, Driver
        self.drv = drv = Driver()
        ctl = self.controller()
        port = ctl.port
        idle = self.controller(name="aether_controller (idle)")
        br = self.bridge(port)
        relay = self.start("relay", [BENCH_BIN / "relay", "-in", TOPIC_RELAY_IN, "-out", "/bench/out"], "relaying")
        drv.wait_relay()
        pace(30, 2, lambda k: (drv.publish(TOPIC_TARGET, k, 30, SendLog()), drv.publish(TOPIC_RELAY_IN, k, 30, SendLog())))

        log("P1/P5: 30 Hz targets to the bridge and to the relay, 60 s; footprint sampled")
        self.results["steady30"] = self.steady30(ctl, idle, br, relay)
        self.stop(idle)
        log("P1 floor: loopback NDJSON round trips at 30 Hz and 1 kHz")
        self.results["ndjson"] = {str(r): self.ndjson(port, r, s) for r, s in ((30, 15), (1000, 10))}
        log("P1 floor: relay round trips at 1 kHz")
        self.results["relay1k"] = self.relay_only(1000, 10, relay)
        log("P1/P2: 1 kHz targets through the bridge to the 100 Hz controller, 60 s, monitor on")
        self.results["ours1k"] = self.ours1k(port, br)
        log("P3: flood through ROS, then through the relay")
        self.results["flood"] = self.flood(br)
        log("P3: the same flood through an rclpy echo node; a 1 kHz gripper stream through the bridge")
        self.results["rospath"] = rospath.measure(self)
        self.stop(relay)
        self.stop(br)
        log("P2 baseline: FIFO sender at 1 kHz, 60 s, monitor on")
        self.results["fifo"] = self.fifo(port)
        log("P3: link alone, then the seed-style Python client")
        self.results["link"] = self.link_alone(port)
        self.results["seed"] = self.seed_client(port)
        self.stop(ctl)
        log(f"P4: {RESTARTS} controller restarts, first without then with the bridge")
        self.results["reconnect"] = self.reconnect()
        self.results["profiles"] = self.perf_summaries()
        return self.results

    def steady30(self, ctl, idle, br, relay):
        from rosdriver import TOPIC_RELAY_IN, TOPIC_TARGET
        drv = self.drv
        lt, lr = SendLog(), SendLog()
        drv.new_recording()
        t0 = time.time_ns()

        def both(k):  # alternate the order so neither path always goes second
            first, second = ((TOPIC_TARGET, lt), (TOPIC_RELAY_IN, lr))[:: 1 if k % 2 else -1]
            drv.publish(first[0], k, 30, first[1])
            drv.publish(second[0], k, 30, second[1])

        pids = {"controller": ctl.p.pid, "controller_idle": idle.p.pid, "bridge": br.p.pid, "relay": relay.p.pid}
        self.perf("controller_30hz", ctl.p.pid, seconds=10, delay=max(0.0, self.secs(60) - 12))
        self.perf("controller_idle", idle.p.pid, seconds=10, delay=max(0.0, self.secs(60) - 12))
        with Sampler(pids) as s:
            n = pace(30, self.secs(60), both)
        rec = self.settle(lambda r: len(r.acks) >= n and len(r.echoes) >= n)
        warm = t0 + 10**9
        out = {"published": n, "ours": self.ack_latency(rec, lt, warm), "relay": self.echo_latency(rec, lr, warm),
               "footprint": {name: s.footprint(name, skip=5) for name in pids}}
        return out

    def settle(self, done, timeout=3.0):
        """Give trailing replies up to timeout s to arrive, then start a new recording."""
        try:
            wait_until(lambda: done(self.drv.rec), timeout, "trailing acks")
        except RuntimeError:
            pass  # what did not arrive is counted as missing
        return self.drv.new_recording()

    def ack_latency(self, rec, sent, after_ns):
        lat, ids, codes, unmatched = [], {}, {}, 0
        for recv, ack_id, ok, code, k in rec.acks:
            pub = sent.match(k, recv)
            if pub is None:
                unmatched += 1
                continue
            if not ok:
                codes[code] = codes.get(code, 0) + 1
                continue
            ids[ack_id] = pub
            if pub >= after_ns:
                lat.append(recv - pub)
        return {"latency": summary_ms(lat), "samples_ns": lat, "id_pub": ids, "errors": codes,
                "unmatched": unmatched, "sent": len(sent)}

    def echo_latency(self, rec, sent, after_ns):
        lat = []
        for recv, k in rec.echoes:
            pub = sent.match(k, recv)
            if pub is not None and pub >= after_ns:
                lat.append(recv - pub)
        return {"latency": summary_ms(lat), "samples_ns": lat, "sent": len(sent)}

    def ndjson(self, port, rate, seconds):
        out = self.work / f"ndjson{rate}.json"
        p = self.linkload("ndjson", port, out, "-rate", str(rate), "-duration", f"{self.secs(seconds)}s")
        self.finish(p, self.secs(seconds) + 30)
        rtt = json.loads(out.read_text())["rtt_ns"]
        return {"latency": summary_ms(rtt), "samples_ns": rtt}

    def relay_only(self, rate, seconds, relay):
        from rosdriver import TOPIC_RELAY_IN
        drv, lr = self.drv, SendLog()
        drv.new_recording()
        t0 = time.time_ns()
        with Sampler({"relay": relay.p.pid}) as s:
            n = pace(rate, self.secs(seconds), lambda k: drv.publish(TOPIC_RELAY_IN, k, rate, lr))
        rec = self.settle(lambda r: len(r.echoes) >= n)
        return {"published": n, "relay": self.echo_latency(rec, lr, t0 + 10**9), "rss": s.footprint("relay"),
                "rss_growth": growth(s.samples["relay"], n)}

    def ours1k(self, port, br):
        from rosdriver import TOPIC_TARGET
        drv, lt = self.drv, SendLog()
        seconds = self.secs(60)
        mon_out = self.work / "monitor_ours.json"
        mon = self.linkload("monitor", port, mon_out, "-duration", f"{seconds + 30}s")
        drv.new_recording()
        t0 = time.time_ns()
        gc0 = len(br.lines)
        with Sampler({"bridge": br.p.pid}) as s:
            n = pace(1000, seconds, lambda k: drv.publish(TOPIC_TARGET, k, 1000, lt))
        t1 = time.time_ns()
        heap = [int(m.group(3)) for m in map(GC_RE.search, br.lines[gc0:]) if m]
        rec = self.settle(lambda r: len(r.acks) >= n)
        self.stop(mon)  # SIGTERM: it writes what it recorded
        events = json.loads(mon_out.read_text())["events"]
        ours = self.ack_latency(rec, lt, t0 + 10**9)
        return {"published": n, "ours": ours, "rss": s.footprint("bridge", skip=5),
                "rss_growth": growth(s.samples["bridge"], n), "go_gcs": len(heap), "go_live_heap_max_mb": max(heap, default=None),
                "age": freshness(events, ours["id_pub"], t0 + 2 * 10**9, t1)}

    def flood(self, br):
        """P3 through ROS: a flood publisher and an ack counter, each its own process; then the
        same flood through the trivial relay, as the most any rclgo node passes here."""
        drv = self.drv
        seconds, warm = self.secs(10), 1.0
        drv.quiet()
        with drv.lock:
            drv.diag.clear()
        ours = self.flood_once("ack", "/aether/target", seconds, warm, profile=("bridge", br.p.pid))
        with drv.lock:
            diag = [d for d in drv.diag if ours["window"][0] <= d[0] <= ours["window"][1]]
        if len(diag) >= 2:
            ours["bridge_acked_per_s"] = (diag[-1][1] - diag[0][1]) / ((diag[-1][0] - diag[0][0]) / 1e9)
            ours["bridge_errors"] = diag[-1][2] - diag[0][2]
        relay = self.flood_once("echo", "/bench/in", self.secs(5), warm)
        drv.listen()
        return {"ours": ours, "relay": relay}

    def flood_once(self, what, topic, seconds, warm, profile=None, echo_topic="/bench/out"):
        out = self.work / f"count_{what}_{echo_topic.replace('/', '_')}.json"
        counter = self.start(f"count {what}", [sys.executable, HERE / "flood.py", "count", "--what", what,
                                               "--topic", echo_topic, "--seconds", str(seconds + warm + 6),
                                               "--out", out], "ready")
        p = self.start("flood", [sys.executable, HERE / "flood.py", "publish", "--topic", topic,
                                 "--seconds", str(seconds + warm)], "ready")
        if profile:
            self.perf(*profile, seconds=3, delay=warm + 1)
        self.finish(p, seconds + 60)
        self.finish(counter, seconds + 60)
        res, got = json.loads(p.lines[-1]), json.loads(out.read_text())
        lo, hi = res["start_ns"] + int(warm * 1e9), res["end_ns"]
        ok = sum(1 for t in got["ns"] if lo <= t <= hi)
        return {"published": res["published"], "publish_per_s": res["published"] / ((hi - res["start_ns"]) / 1e9),
                "received": got["all"], "ok_in_window": ok, "ok_per_s": ok / ((hi - lo) / 1e9), "window": [lo, hi]}

    def perf(self, name, pid, seconds, delay=0.0):
        """Sample pid's stacks with perf for seconds, starting after delay, in the background;
        summarised into results["profiles"][name] at the end. Skipped when perf is missing."""
        if not shutil.which("perf"):
            return
        data = self.work / f"{name}.perf"
        argv = ["sh", "-c", f"sleep {delay}; exec perf record -q -F 499 -p {pid} -o {data} -- sleep {seconds}"]
        self.perfs.append((name, data, subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))

    def perf_summaries(self):
        out = {}
        for name, data, p in self.perfs:
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
                continue
            out[name] = perf_top(data)
        return out

    def fifo(self, port):
        seconds = self.secs(60)
        mon_out, out = self.work / "monitor_fifo.json", self.work / "fifo.json"
        mon = self.linkload("monitor", port, mon_out, "-duration", f"{seconds + 30}s")
        p = self.linkload("fifo", port, out, "-rate", "1000", "-duration", f"{seconds}s", "-drain", "5s")
        t0 = time.time_ns()
        with Sampler({"fifo": p.p.pid}) as s:
            try:
                p.p.wait(seconds + 30)
            except subprocess.TimeoutExpired:
                pass
        self.finish(p, 5)
        self.stop(mon)
        res = json.loads(out.read_text())
        events = json.loads(mon_out.read_text())["events"]
        gen = {x["id"]: x["gen_ns"] for x in res["sent"] if x["ok"]}
        t1 = t0 + int(seconds * 1e9)
        return {"generated": res["generated"], "sent": len(res["sent"]), "ok": len(gen),
                "left_unsent": res["left_unsent"], "max_queue": res["max_queue"],
                "rss": s.footprint("fifo", skip=5), "age": freshness(events, gen, t0 + 2 * 10**9, t1)}

    def link_alone(self, port):
        out = self.work / "link.json"
        p = self.linkload("link", port, out, "-duration", f"{self.secs(10)}s", "-warm", "1s")
        self.finish(p, self.secs(10) + 30)
        return json.loads(out.read_text())

    def seed_client(self, port):
        p = self.start("seed_client", [sys.executable, HERE / "seed_client.py", "--addr", f"127.0.0.1:{port}",
                                       "--seconds", str(self.secs(10)), "--warm", "1"])
        self.finish(p, self.secs(10) + 30)
        return json.loads(p.lines[-1])

    def reconnect(self):
        from rosdriver import TOPIC_TARGET
        import threading
        # Every controller serves one socket held here, as systemd would hold it: nobody can take the
        # port between restarts (connections made meanwhile wait in its queue).
        held = held_port()
        port = held.getsockname()[1]
        ctl = self.controller(held)
        base = []
        for _ in range(RESTARTS):
            self.stop(ctl)
            ctl = self.controller(held)
            base.append(probe_ping(port) - listen_ns(ctl))
        drv = self.drv
        br = self.bridge(port)
        stop = threading.Event()
        lt = SendLog()
        pub = threading.Thread(target=pace, args=(30, 3600, lambda k: drv.publish(TOPIC_TARGET, k, 30, lt), stop),
                               daemon=True)
        drv.new_recording()
        pub.start()
        ours = []
        try:
            for i in range(RESTARTS):
                self.stop(ctl)
                ctl = self.controller(held)
                t = listen_ns(ctl)
                rec = drv.rec
                first = wait_until(lambda: next((a[0] for a in rec.acks if a[2] and a[0] > t), None), 15,
                                   f"an ok ack after restart {i + 1}")
                ours.append(first - t)
        finally:
            stop.set()
            pub.join(5)
        self.stop(br)
        self.stop(ctl)
        held.close()
        return {"ours_ns": ours, "baseline_ns": base, "ours": summary_ms(ours), "baseline": summary_ms(base)}


def freshness(events, id_pub, lo_ns, hi_ns):
    """P2: age of the executed target at each sampled servo tick.

    events are the monitor's pushed states. While the arm moves and nothing
    else changes, the controller pushes one state every 1/EventRate s from
    its servo tick; its last_id is the target the servos are being driven to
    at that tick. Only such periodic tick events count (moving, and the
    previous event moving too: an event caused by a new command right after
    the arm stopped is not a tick). age = when the monitor read the event −
    when the target was published (rclpy) or produced (FIFO baseline).
    """
    ages, unknown, prev_moving = [], 0, False
    for e in events:
        steady = e["moving"] and prev_moving
        prev_moving = e["moving"]
        if not steady or not lo_ns <= e["recv_ns"] <= hi_ns:
            continue
        pub = id_pub.get(e["last_id"])
        if pub is None:
            unknown += 1
            continue
        ages.append(e["recv_ns"] - pub)
    return {"age": summary_ms(ages), "samples_ns": ages, "ticks_sampled": len(ages) + unknown, "unknown_id": unknown}


# A gctrace line: "gc 12 @3.1s 0%: … ms cpu, 3->3->1 MB, 4 MB goal, …"; the third number is the live heap.
GC_RE = re.compile(r"^gc \d+ @.* (\d+)->(\d+)->(\d+) MB")


def growth(samples, messages):
    """RSS growth over a phase, in bytes per message handled (least squares over the /proc samples)."""
    if len(samples) < 3 or not messages:
        return None
    ts, rss = [x[0] for x in samples], [x[1] for x in samples]
    mt, mr = sum(ts) / len(ts), sum(rss) / len(rss)
    slope = sum((t - mt) * (r - mr) for t, r in zip(ts, rss)) / sum((t - mt) ** 2 for t in ts)  # bytes/s
    return round(slope * (ts[-1] - ts[0]) / messages, 1)


def perf_top(data, n=12):
    """The n symbols with the most samples in a perf.data file: [(percent, dso, symbol)]."""
    r = subprocess.run(["perf", "report", "-i", str(data), "--no-children", "--sort", "dso,symbol", "--stdio",
                        "-g", "none"], capture_output=True, text=True, timeout=60)
    rows = []
    for line in r.stdout.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(.+?)\s*$", line)
        if m:
            rows.append((float(m.group(1)), m.group(2), m.group(3).split("  ")[0]))
    return rows[:n]


LISTEN_RE = re.compile(r'time=(\S+) level=INFO msg="listening on')


def listen_ns(ctl):
    """When the controller logged that it listens (its own clock, ms resolution)."""
    ctl.wait_for_line('msg="listening on', 10)
    for line in ctl.lines:
        m = LISTEN_RE.search(line)
        if m:
            return round(datetime.datetime.fromisoformat(m.group(1)).timestamp() * 1e6) * 1000
    raise RuntimeError(f"no 'listening on' log line with a time in:\n{ctl.output()}")


def probe_ping(port):
    """P4 floor: connect, hello as a monitor, ping; the time the pong arrived (ns)."""
    with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
        s.settimeout(3)
        s.sendall(b'{"type":"hello","id":1,"version":1,"client":"bench_probe","role":"monitor"}\n'
                  b'{"type":"ping","id":2}\n')
        buf = b""
        while buf.count(b"\n") < 2:
            data = s.recv(4096)
            if not data:
                raise RuntimeError(f"controller closed the probe connection after {buf!r}")
            buf += data
        t = time.time_ns()
    replies = [json.loads(l) for l in buf.split(b"\n")[:2]]
    if any(r.get("status") != "ok" for r in replies):
        raise RuntimeError(f"probe refused: {replies}")
    return t


def main(argv=None):
    ap = argparse.ArgumentParser(description="Aether bridge benchmark (make bench)")
    ap.add_argument("--out-dir", default=str(HERE / "results"), help="where <date>.md/.json/.png go")
    ap.add_argument("--render", metavar="RAW_JSON",
                    help="only write the report again from a run's raw results (build/bench/raw.json)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply every phase length (0.1 for a quick smoke run; its results are not comparable)")
    ap.add_argument("--only", choices=("rospath",), help="run only the ROS-path phases (bench/rospath.py)")
    a = ap.parse_args(argv)
    if not 0.01 <= a.scale <= 10:
        raise SystemExit(f"run.py: --scale {a.scale}: use 0.01..10 (1 = the issue's 60 s phases)")
    if a.render:
        try:
            saved = json.loads(Path(a.render).read_text())
            results, date = saved["results"], saved["date"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise SystemExit(f"run.py: --render {a.render}: not a raw results file of run.py ({e})")
    need = [BENCH_BIN / "plot"] if a.render else [BIN / "aether_controller", BIN / "aether_bridge", BENCH_BIN / "relay",
                                                  BENCH_BIN / "linkload", BENCH_BIN / "plot"]
    for exe in need:
        if not os.access(exe, os.X_OK):
            raise SystemExit(f"run.py: {exe} is missing: run bench/bench.sh (it builds everything first)")
    if a.only:
        with tempfile.TemporaryDirectory(prefix="aether-bench-") as work:
            return rospath.only(Bench(a.scale, work), log, BENCH_BIN)
    started = time.monotonic()
    raw = BENCH_BIN / "raw.json"
    with tempfile.TemporaryDirectory(prefix="aether-bench-") as work:
        if not a.render:
            b = Bench(a.scale, work)
            try:
                results = b.run()
            finally:
                b.close()
            results["wall_s"] = round(time.monotonic() - started, 1)
            results["scale"] = a.scale
            date = datetime.date.today().isoformat()
            raw.write_text(json.dumps({"date": date, "results": results}))
            log(f"raw results (samples included) in {raw}; re-render with --render {raw}")
        paths = report.write(results, Path(a.out_dir), Path(work), BENCH_BIN / "plot", date)
    for p in paths:
        log(f"wrote {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
