"""Measuring tools for bench/run.py: the target stream, percentiles, process
sampling from /proc, a rate pacer, and the rclpy side (publish, time acks).

No rclpy import at module level: run.py sets the DDS environment first.
"""

import bisect
import math
import os
import random
import threading
import time

# The target stream. bench/linkload/pattern.go computes the same numbers;
# see the comment there.
X0, X_STEP, X_STEPS = 0.150, 1e-5, 997
Y_AMP, Y_HZ, Z = 0.080, 2.0, 0.120


def target(k, rate):
    """The k-th target (metres, base frame) of a stream published at rate Hz."""
    t = k / rate
    return X0 + (k % X_STEPS) * X_STEP, Y_AMP * math.sin(2 * math.pi * Y_HZ * t), Z


def key(x, y):
    """Identifies a target from its coordinates (10 µm grid; x alone is unique within 997 targets)."""
    return round(x * 1e5), round(y * 1e5)


class SendLog:
    """Publish times by target key, to find the message an echo or ack answers."""

    def __init__(self):
        self._times = {}

    def add(self, k, pub_ns):
        self._times.setdefault(k, []).append(pub_ns)

    def match(self, k, recv_ns):
        """The latest publish time of key k not after recv_ns, or None."""
        ts = self._times.get(k)
        if not ts:
            return None
        i = bisect.bisect_right(ts, recv_ns)
        return ts[i - 1] if i else None

    def __len__(self):
        return sum(len(v) for v in self._times.values())


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of values; None when empty."""
    if not values:
        return None
    s = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(s)))
    return s[rank - 1]


def summary_ms(ns_values):
    """n, p50, p99, p99.9 and max of ns durations, in ms."""
    ms = [v / 1e6 for v in ns_values]
    out = {"n": len(ms)}
    for name, p in (("p50", 50), ("p99", 99), ("p99_9", 99.9), ("max", 100)):
        v = percentile(ms, p)
        out[name] = None if v is None else round(v, 4)
    return out


def convolve(a_ns, b_ns, seed=1):
    """Samples of A+B from independent samples of A and B: each a paired with a random b."""
    if not a_ns or not b_ns:
        return []
    rng = random.Random(seed)
    return [a + rng.choice(b_ns) for a in a_ns]


CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def proc_sample(pid):
    """(rss_bytes, cpu_seconds) of pid from /proc, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/status") as f:
            rss = next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmRSS:"))
    except (FileNotFoundError, ProcessLookupError, StopIteration):
        return None
    # fields[0] is the state (field 3 of stat); utime and stime are fields 14 and 15.
    return rss, (int(fields[11]) + int(fields[12])) / CLK_TCK


class Sampler:
    """Samples RSS and CPU time of named pids every interval seconds, in a thread."""

    def __init__(self, pids, interval=1.0):
        self.pids = dict(pids)
        self.interval = interval
        self.samples = {name: [] for name in self.pids}  # name -> [(monotonic, rss, cpu_s)]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()

    def _sample(self):
        now = time.monotonic()
        for name, pid in self.pids.items():
            s = proc_sample(pid)
            if s:
                self.samples[name].append((now, *s))

    def _run(self):
        while not self._stop.wait(self.interval):
            self._sample()

    def footprint(self, name, skip=0.0):
        """RSS (max, first, last, medians of the first/last 5 samples) and CPU % of one core,
        over the samples taken at least skip seconds after the first."""
        s = self.samples[name]
        if len(s) < 2:
            raise RuntimeError(f"{name}: fewer than two /proc samples (did the process exit?)")
        s = [x for x in s if x[0] >= s[0][0] + skip] or s
        rss = [x[1] for x in s]
        dt = s[-1][0] - s[0][0]
        cpu = 100 * (s[-1][2] - s[0][2]) / dt if dt > 0 else None
        head, tail = sorted(rss[:5]), sorted(rss[-5:])
        return {
            "seconds": round(dt, 1), "samples": len(s),
            "rss_max_mb": round(max(rss) / 1e6, 2), "rss_mean_mb": round(sum(rss) / len(rss) / 1e6, 2),
            "rss_start_mb": round(head[len(head) // 2] / 1e6, 2), "rss_end_mb": round(tail[len(tail) // 2] / 1e6, 2),
            "cpu_pct": None if cpu is None else round(cpu, 3),
        }


def pace(rate, seconds, fn, stop=None):
    """Call fn(k) for k = 0, 1, … at rate per second for seconds (catching up when late,
    so the average rate holds). Returns how many calls were made. The waits pace a load;
    they synchronise with nothing."""
    period = 1.0 / rate
    t0 = time.perf_counter()
    end = t0 + seconds
    k = 0
    while stop is None or not stop.is_set():
        due = t0 + k * period
        if due >= end:
            break
        d = due - time.perf_counter()
        if d > 0:
            time.sleep(d)
        fn(k)
        k += 1
    return k


def wait_until(cond, timeout, what, every=0.01):
    """Poll cond() until truthy; raise naming what was awaited after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)
