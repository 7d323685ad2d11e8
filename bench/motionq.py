"""Motion quality (make bench, issue 11 item 8): a deterministic noisy 30 Hz
hand-like target stream, and the figures of a tool path that followed it.

The stream: the palm rests, moves along a minimum-jerk path to another point
(peak speed at most 127 mm/s), rests again, ... for 40 s; every 30 Hz sample
gets MediaPipe-like noise (Gaussian, 1.2 mm per axis: about 2 mm in 3D, most
samples 1–4 mm off). The clean path is known exactly, so the input's own
figures come from it, sampled at the controller's tick rate like the tool.

The tool path: pkg/controller's TestMotionQualityStream (run by `go test`
with AETHER_MOTIONQ_STREAM/AETHER_MOTIONQ_OUT) feeds the stream to a real
controller over loopback TCP on the fake clock and records the state after
every servo tick. Deterministic: same stream, same code, same figures.

Figures, for the tool and beside them for the input:
- accel_p95, jerk_p95: 95th percentile of |a| (mm/s²) and |j| (mm/s³) of the
  tool point, from finite differences at the tick rate, over the whole run.
- rest_jitter_pp: the largest per-axis peak-to-peak (mm) of the tool while
  the hand rests, from 0.5 s after it stopped to the end of the rest (not
  the first rest: the arm is still on its way there from the park pose).
- reversals_per_s: joint direction reversals per second, all joints, over
  the whole run (a reversal: a joint's step changes sign, steps under
  0.001° ignored).
- lag_p50: median over moving ticks of how far back in time the clean hand
  path last passed nearest to where the tool is (0..500 ms), ms.
"""

import json
import math
import random

RATE_HZ = 30.0
DURATION_S = 40.0
NOISE_MM = 1.2  # per axis, Gaussian σ
PEAK_SPEED = 120.0  # mm/s, min-jerk peak (≤ 127)
BOX = ((150.0, 230.0), (-80.0, 80.0), (100.0, 190.0))  # where the palm goes, mm
SEED = 11


def _minjerk(s):
    return s * s * s * (10 - 15 * s + 6 * s * s)


def segments(seed=SEED):
    """[(t0, t1, p0, p1)]: rests (p0 == p1) and min-jerk moves, covering DURATION_S."""
    rnd = random.Random(seed)
    segs, t = [], 0.0
    p = (180.0, 0.0, 140.0)
    while t < DURATION_S:
        rest = rnd.uniform(1.5, 3.0)
        segs.append((t, t + rest, p, p))
        t += rest
        while True:
            q = tuple(rnd.uniform(lo, hi) for lo, hi in BOX)
            d = math.dist(p, q)
            if 50 <= d <= 150:
                break
        dur = 1.875 * d / PEAK_SPEED  # min-jerk peak speed is 1.875 d / T
        segs.append((t, t + dur, p, q))
        t += dur
        p = q
    return segs


def clean(segs, t):
    """The clean palm point at time t (mm) and whether the hand rests there."""
    for t0, t1, p0, p1 in segs:
        if t0 <= t < t1:
            if p0 == p1:
                return p0, True
            s = _minjerk((t - t0) / (t1 - t0))
            return tuple(a + s * (b - a) for a, b in zip(p0, p1)), False
    return segs[-1][3], True


def stream(seed=SEED):
    """The 30 Hz samples the controller gets: [{"t_ms", "x", "y", "z"}] (noisy)."""
    segs = segments(seed)
    rnd = random.Random(seed + 1)
    out = []
    for k in range(int(DURATION_S * RATE_HZ)):
        t = k / RATE_HZ
        p, _ = clean(segs, t)
        out.append({"t_ms": round(t * 1000, 3), "x": round(p[0] + rnd.gauss(0, NOISE_MM), 3),
                    "y": round(p[1] + rnd.gauss(0, NOISE_MM), 3), "z": round(p[2] + rnd.gauss(0, NOISE_MM), 3)})
    return out


def write_stream(path, seed=SEED):
    with open(path, "w") as f:
        json.dump({"rate_hz": RATE_HZ, "samples": stream(seed)}, f)


def _pctl(values, p):
    if not values:
        return None
    s = sorted(values)
    return s[max(1, math.ceil(p / 100 * len(s))) - 1]


def _diffs(points, dt):
    return [tuple((b - a) / dt for a, b in zip(p, q)) for p, q in zip(points, points[1:])]


def path_figures(times, points):
    """accel_p95 and jerk_p95 of a path sampled every dt (times in s)."""
    dt = times[1] - times[0]
    v = _diffs(points, dt)
    a = _diffs(v, dt)
    j = _diffs(a, dt)
    return {"accel_p95": _pctl([math.hypot(*x) for x in a], 95), "jerk_p95": _pctl([math.hypot(*x) for x in j], 95)}


def rest_jitter(segs, times, points):
    worst = 0.0
    for t0, t1, p0, p1 in segs[1:]:  # the first: the arm still travels from its park pose
        if p0 != p1 or t1 - t0 < 1.0:
            continue
        sel = [p for t, p in zip(times, points) if t0 + 0.5 <= t < t1]
        if sel:
            worst = max(worst, max(max(c) - min(c) for c in zip(*sel)))
    return worst


def reversals_per_s(times, joints):
    n = 0
    for k in range(len(joints[0])):
        last = 0
        for a, b in zip(joints, joints[1:]):
            d = b[k] - a[k]
            if abs(d) < 1e-3:
                continue
            s = 1 if d > 0 else -1
            if last and s != last:
                n += 1
            last = s
    return n / (times[-1] - times[0])


def lag_p50(segs, times, points):
    lags = []
    for t, p in zip(times, points):
        _, resting = clean(segs, t)
        if resting:
            continue
        best, best_d = 0.0, math.inf
        for i in range(0, 501, 2):
            q, _ = clean(segs, t - i / 1000)
            d = math.dist(p, q)
            if d < best_d:
                best, best_d = i, d
        lags.append(best)
    return _pctl(lags, 50)


def figures(ticks, seed=SEED):
    """The tool's figures and the input's, from the Go test's per-tick records
    [{"t_ms", "pose": [x, y, z], "joints": [deg...]}] (t_ms from the stream's start)."""
    segs = segments(seed)
    times = [r["t_ms"] / 1000 for r in ticks]
    tool = [tuple(r["pose"]) for r in ticks]
    joints = [r["joints"] for r in ticks]
    hand = [clean(segs, t)[0] for t in times]
    out = {"tool": path_figures(times, tool), "input": path_figures(times, hand)}
    out["tool"]["rest_jitter_pp"] = rest_jitter(segs, times, tool)
    out["tool"]["reversals_per_s"] = reversals_per_s(times, joints)
    out["tool"]["lag_p50_ms"] = lag_p50(segs, times, tool)
    noisy = stream(seed)
    st = [s["t_ms"] / 1000 for s in noisy]
    sp = [(s["x"], s["y"], s["z"]) for s in noisy]
    out["input"]["rest_jitter_pp"] = rest_jitter(segs, st, sp)  # the noise itself
    out["input"]["sent_accel_p95"] = path_figures(st, sp)["accel_p95"]  # as sent, 30 Hz
    out["input"]["lag_p50_ms"] = 0
    return out


if __name__ == "__main__":
    import sys
    if sys.argv[1] == "gen":
        write_stream(sys.argv[2])
    else:
        with open(sys.argv[2]) as f:
            ticks = [json.loads(line) for line in f if line.strip()]
        print(json.dumps(figures(ticks), indent=1))
