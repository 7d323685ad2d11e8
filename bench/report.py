"""Turn bench/run.py's results into bench/results/<date>.md, .json and .png.

Every figure sits beside its baseline from the same run, with the ratio and
the issue's target; what fell short is listed with the evidence the run has
(and bench/explain.py's reading of it).
"""

import datetime
import json
import os
import platform
import subprocess
from pathlib import Path

import explain
import measure
import rospath

PERIOD_MS = 10.0  # one servo period at TICK_HZ = 100


def row(fig, name, value, unit, baseline, baseline_name, target, ok, ratio=None, note=""):
    """One table row. ratio defaults to value / baseline."""
    if ratio is None and value is not None and baseline:
        ratio = value / baseline
    return {"figure": fig, "name": name, "value": value, "unit": unit, "baseline": baseline,
            "baseline_name": baseline_name, "ratio": None if ratio is None else round(ratio, 3),
            "target": target, "pass": ok, "note": note}


def p1_rows(r):
    rows, series = [], []
    for rate, label, ours, relay in (
            ("30", "30 Hz", r["steady30"]["ours"], r["steady30"]["relay"]),
            ("1000", "1 kHz", r["ours1k"]["ours"], r["relay1k"]["relay"])):
        floor = measure.convolve(relay["samples_ns"], r["ndjson"][rate]["samples_ns"])
        f, o = measure.summary_ms(floor), ours["latency"]
        r.setdefault("floor", {})[rate] = f
        base = f"floor: rclpy→relay→rclpy + NDJSON RTT @ {label}"
        for q, qn in (("p50", "p50"), ("p99", "p99"), ("p99_9", "p99.9")):
            tgt = q == "p99"
            ok = None if not tgt or o[q] is None or f[q] is None else o[q] <= 1.3 * f[q]
            rows.append(row("P1", f"end-to-end latency @ {label}, {qn}", o[q], "ms", f[q], base,
                            "≤ 1.3 × floor" if tgt else "", ok))
        series += [{"name": f"bridge @ {label}", "ms": [v / 1e6 for v in ours["samples_ns"]]},
                   {"name": f"floor @ {label}", "ms": [v / 1e6 for v in floor]}]
    return rows, series


def p2_rows(r):
    ours, base = r["ours1k"], r["fifo"]
    rows = []
    for q, qn in (("p50", "p50"), ("p99", "p99")):
        v, b = ours["age"]["age"][q], base["age"]["age"][q]
        tgt = q == "p99"
        rows.append(row("P2", f"age of executed target @ 1 kHz in, 100 Hz servo, {qn}", v, "ms", b,
                        "plain FIFO sender", f"≤ 2 periods ({2 * PERIOD_MS:g} ms)" if tgt else "",
                        (v is not None and v <= 2 * PERIOD_MS) if tgt else None))
    drift = lambda f: 100 * (f["rss_end_mb"] - f["rss_start_mb"]) / f["rss_start_mb"]  # noqa: E731
    d, db = drift(ours["rss"]), drift(base["rss"])
    rows.append(row("P2", "RSS change over 60 s (bridge vs FIFO sender process)", round(d, 2), "%", round(db, 2),
                    "plain FIFO sender", "within ±5 %", abs(d) <= 5, ratio=None,
                    note=f"bridge {ours['rss']['rss_start_mb']}→{ours['rss']['rss_end_mb']} MB, "
                         f"FIFO {base['rss']['rss_start_mb']}→{base['rss']['rss_end_mb']} MB"))
    return rows


def p3_rows(r):
    seed = r["seed"]["ok_per_s"]
    fl = r["flood"]
    ros = fl["ours"].get("bridge_acked_per_s") or 0.0
    rx, link, relay = fl["ours"]["ok_per_s"], r["link"]["ok_per_s"], fl["relay"]["ok_per_s"]
    return [
        row("P3", "acked commands/s through ROS (in on /aether/target, acked by the controller, "
            "ack published; the bridge's count)", round(ros), "1/s", round(seed),
            "seed-style blocking Python client", "≥ 20000/s and ≥ 10 × baseline",
            ros >= 20000 and ros >= 10 * seed),
        row("P3", "of those, ok acks/s an rclpy subscriber received", round(rx), "1/s", round(seed),
            "seed-style blocking Python client", "", None),
        row("P3", "messages/s through the trivial rclgo relay, same flood (ROS floor)", round(relay), "1/s",
            round(seed), "seed-style blocking Python client", "", None),
        row("P3", "acked commands/s through the link alone (pkg/link)", round(link), "1/s", round(seed),
            "seed-style blocking Python client", "≥ 10 × baseline", link >= 10 * seed),
    ]


def p4_rows(r):
    o, b = r["reconnect"]["ours"], r["reconnect"]["baseline"]
    return [
        row("P4", f"controller restart → first ack, median of {o['n']}", o["p50"], "ms", b["p50"],
            "dial + hello + ping as soon as listening is seen", "≤ 100 ms", o["p50"] is not None and o["p50"] <= 100),
        row("P4", f"controller restart → first ack, max of {o['n']}", o["max"], "ms", b["max"],
            "dial + hello + ping as soon as listening is seen", "", None),
    ]


def p5_rows(r):
    f = r["steady30"]["footprint"]
    c, ci, b, rl = f["controller"], f["controller_idle"], f["bridge"], f["relay"]
    return [
        row("P5", "controller RSS (max) @ 30 Hz in, 100 Hz servo", c["rss_max_mb"], "MB", ci["rss_max_mb"],
            "the same controller with no client", "≤ 15 MB", c["rss_max_mb"] <= 15),
        row("P5", "controller CPU @ 30 Hz in, 100 Hz servo", c["cpu_pct"], "% of a core", ci["cpu_pct"],
            "the same controller with no client", "≤ 1 %", c["cpu_pct"] <= 1),
        row("P5", "bridge RSS (max) @ 30 Hz in", b["rss_max_mb"], "MB", rl["rss_max_mb"],
            "trivial rclgo relay, same input", "", None),
        row("P5", "bridge CPU @ 30 Hz in", b["cpu_pct"], "% of a core", rl["cpu_pct"],
            "trivial rclgo relay, same input", "", None),
    ]


def machine():
    def cmd(*a):
        try:
            return subprocess.run(a, capture_output=True, text=True, timeout=20).stdout.strip()
        except OSError:
            return ""
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
    return {"cpu": model, "cores": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version(),
            "go": cmd("go", "version"), "rmw": os.environ.get("RMW_IMPLEMENTATION", ""),
            "commit": cmd("git", "-C", str(Path(__file__).resolve().parent), "rev-parse", "--short", "HEAD")}


def fmt(v, unit=""):
    if v is None:
        return "—"
    if isinstance(v, float):
        v = f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"
    return f"{v} {unit}".strip()


def markdown(date, rows, r, mach, png_name, short):
    out = [f"# Aether bridge benchmark, {date}", "",
           f"Machine: {mach['cpu']}, {mach['cores']} cores, Linux {mach['kernel']}; {mach['go']}; "
           f"Python {mach['python']}; {mach['rmw']}; commit {mach['commit']}. "
           f"One run of `make bench` ({r['wall_s']} s); every baseline was measured in the same run.", ""]
    if r["scale"] != 1:
        out += [f"**Smoke run: phases scaled by {r['scale']}; not comparable with the issue's targets.**", ""]
    out += ["| | figure | measured | baseline | ratio | target | result |", "|---|---|---|---|---|---|---|"]
    for x in rows:
        res = {True: "pass", False: "**FAIL**", None: "—"}[x["pass"]]
        base = f"{fmt(x['baseline'], x['unit'])} ({x['baseline_name']})"
        name = x["name"] + (f" — {x['note']}" if x["note"] else "")
        out.append(f"| {x['figure']} | {name} | {fmt(x['value'], x['unit'])} | {base} | {fmt(x['ratio'])} × "
                   f"| {x['target'] or '—'} | {res} |")
    out += ["", f"![latency CDF]({png_name})", "",
            "## What fell short, and why", ""]
    out += short or ["Nothing: every figure met its target."]
    out += ["", "## Details", ""] + explain.details(r) + rospath.details(r) + ["", "## How each figure is measured", ""] + explain.METHOD + rospath.METHOD
    return "\n".join(out) + "\n"


def strip_samples(obj):
    """The JSON twin keeps summaries, not the raw samples (the PNG shows them)."""
    if isinstance(obj, dict):
        return {k: strip_samples(v) for k, v in obj.items() if k not in ("samples_ns", "id_pub")}
    if isinstance(obj, list):
        return [strip_samples(v) for v in obj]
    return obj


def write(r, out_dir, work, plot_bin, date=None):
    date = date or datetime.date.today().isoformat()
    out_dir.mkdir(parents=True, exist_ok=True)
    rows1, series = p1_rows(r)
    rows = rows1 + p2_rows(r) + p3_rows(r) + rospath.rows(r) + p4_rows(r) + p5_rows(r)
    mach = machine()
    short = explain.shortfalls(rows, r)
    md, js, png = (out_dir / f"{date}.{ext}" for ext in ("md", "json", "png"))
    series_file = work / "series.json"
    series = [x for x in series if x["ms"]]  # a phase too short for any sample (smoke runs) is left out
    series_file.write_text(json.dumps({"title": f"rclpy publish → ack (floor: relay echo + NDJSON RTT) in rclpy, {date}", "series": series}))
    subprocess.run([str(plot_bin), "-in", str(series_file), "-out", str(png)], check=True)
    md.write_text(markdown(date, rows, r, mach, png.name, short))
    js.write_text(json.dumps({"date": date, "machine": mach, "figures": rows, "shortfalls": short,
                              "results": strip_samples(r)}, indent=1) + "\n")
    return [md, js, png]
