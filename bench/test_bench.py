"""Tests of the benchmark's own logic (no processes, no ROS):

    . scripts/env.sh && .venv/bin/python -m pytest -q bench/test_bench.py
"""

import json
import math
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import explain  # noqa: E402
import measure  # noqa: E402
import report  # noqa: E402
import run  # noqa: E402
import seed_client  # noqa: E402


def test_percentile_is_nearest_rank():
    v = list(range(1, 101))
    assert measure.percentile(v, 50) == 50
    assert measure.percentile(v, 99) == 99
    assert measure.percentile(v, 99.9) == 100
    assert measure.percentile(v, 100) == 100
    assert measure.percentile([7], 99) == 7
    assert measure.percentile([], 50) is None


def test_summary_ms_converts_ns():
    s = measure.summary_ms([1_000_000, 3_000_000, 2_000_000])
    assert s == {"n": 3, "p50": 2.0, "p99": 3.0, "p99_9": 3.0, "max": 3.0}
    assert measure.summary_ms([])["p50"] is None


def test_sendlog_matches_the_latest_publish_before_arrival():
    log = measure.SendLog()
    log.add((1, 2), 100)
    log.add((1, 2), 500)
    assert log.match((1, 2), 499) == 100
    assert log.match((1, 2), 500) == 500
    assert log.match((1, 2), 50) is None
    assert log.match((9, 9), 1000) is None
    assert len(log) == 2


def test_target_keys_identify_recent_targets():
    for rate in (30, 1000, 20000):
        seen = {}
        for k in range(3 * measure.X_STEPS):
            key = measure.key(*measure.target(k, rate)[:2])
            assert key not in seen or k - seen[key] >= measure.X_STEPS, (rate, k, seen.get(key))
            seen[key] = k


def test_target_matches_the_go_stream_definition():
    # bench/linkload/pattern.go: x = 0.150 + (k % 997) * 1e-5, y = 0.080 sin(2π·2·k/rate), z = 0.120.
    x, y, z = measure.target(1234, 1000)
    assert x == pytest.approx(0.150 + (1234 % 997) * 1e-5)
    assert y == pytest.approx(0.080 * math.sin(2 * math.pi * 2 * 1.234))
    assert z == 0.120


def test_convolve_pairs_every_sample():
    out = measure.convolve([10, 20, 30], [1, 2])
    assert len(out) == 3
    assert all(a + 1 <= o <= a + 2 for a, o in zip([10, 20, 30], out))
    assert measure.convolve([], [1]) == []


def test_growth_is_bytes_per_message():
    samples = [(t, 1000 + 500 * t, 0.0) for t in range(10)]  # 500 B/s for 9 s
    assert run.growth(samples, 900) == pytest.approx(5.0)
    assert run.growth(samples[:2], 900) is None


def ev(ms, last_id, moving=True):
    return {"recv_ns": ms * 10**6, "time_ms": ms, "last_id": last_id, "moving": moving}


def test_freshness_counts_only_periodic_tick_states():
    events = [ev(0, "a", False), ev(10, "a"), ev(60, "b"), ev(70, "c", False), ev(80, "d"), ev(130, "x"), ev(180, "e")]
    pub = {"a": 5 * 10**6, "b": 55 * 10**6, "d": 79 * 10**6, "e": 170 * 10**6}
    f = run.freshness(events, pub, 0, 10**9)
    # ev(10) follows a stopped state and ev(80) a stopped one: neither is a periodic tick state.
    assert sorted(f["samples_ns"]) == [5 * 10**6, 10 * 10**6]
    assert f["unknown_id"] == 1            # "x" was never acked
    assert f["ticks_sampled"] == 3


def test_freshness_window():
    events = [ev(10, "a"), ev(20, "a"), ev(30, "a")]
    f = run.freshness(events, {"a": 0}, 15 * 10**6, 25 * 10**6)
    assert f["samples_ns"] == [20 * 10**6]


def test_listen_ns_reads_the_controller_log_time():
    ctl = SimpleNamespace(lines=["listening on 127.0.0.1:5000",
                                 'time=2026-01-02T03:04:05.678Z level=INFO msg="listening on 127.0.0.1:5000" arm=x'],
                          wait_for_line=lambda needle, timeout: None, output=lambda: "")
    assert run.listen_ns(ctl) == 1767323045678 * 10**6


def test_listen_ns_without_a_log_line_says_so():
    ctl = SimpleNamespace(lines=["listening on 127.0.0.1:5000"], wait_for_line=lambda needle, timeout: None,
                          output=lambda: "listening on 127.0.0.1:5000")
    with pytest.raises(RuntimeError, match="no 'listening on' log line"):
        run.listen_ns(ctl)


def test_gc_trace_line():
    m = run.GC_RE.search("gc 12 @3.732s 0%: 0.26+0.40+0.007 ms clock, 0.52+0/0.26/0.25+0.014 ms cpu, 5->6->2 MB, "
                         "4 MB goal, 0 MB stacks, 0 MB globals, 2 P")
    assert m and m.group(3) == "2"


def test_run_rejects_a_bad_scale():
    with pytest.raises(SystemExit, match="--scale 0"):
        run.main(["--scale", "0"])


@pytest.mark.parametrize("addr,want", [("127.0.0.1", "not host:port"), ("127.0.0.1:0", "not host:port"),
                                       ("10.0.0.2:5000", "only talks to this machine"), ("127.0.0.1:x", "not host:port")])
def test_seed_client_rejects_bad_addresses(addr, want):
    with pytest.raises(SystemExit, match=want):
        seed_client.parse_addr(addr)


def test_seed_client_rejects_bad_durations():
    with pytest.raises(SystemExit, match="--seconds"):
        seed_client.main(["--addr", "127.0.0.1:5000", "--seconds", "-1"])


def test_flood_rejects_bad_arguments():
    for args, want in ((["publish", "--seconds", "0"], "--seconds 0.0"), (["publish", "--rate", "-5"], "--rate -5.0"),
                       (["count", "--seconds", "1"], "required: --out")):
        r = subprocess.run([sys.executable, str(HERE / "flood.py"), *args], capture_output=True, text=True, timeout=60)
        assert r.returncode != 0 and want in r.stderr + r.stdout, (args, r.stderr)


def test_row_ratio_and_relay_growth_text():
    x = report.row("P9", "n", 3.0, "ms", 2.0, "b", "≤ 1", False)
    assert x["ratio"] == 1.5
    assert report.row("P9", "n", None, "ms", 2.0, "b", "", None)["ratio"] is None
    rl = {"rss_growth": 200.0, "rss": {"rss_start_mb": 1, "rss_end_mb": 2, "seconds": 9}}
    assert "grows the same way" in explain.relay_growth(rl)
    rl["rss_growth"] = 1.0
    assert "does not" in explain.relay_growth(rl)


def test_strip_samples_keeps_summaries_only():
    r = {"a": {"samples_ns": [1], "latency": {"n": 1}, "id_pub": {"x": 1}}, "b": [{"samples_ns": [2], "k": 3}]}
    assert report.strip_samples(r) == {"a": {"latency": {"n": 1}}, "b": [{"k": 3}]}
    json.dumps(report.strip_samples(r))


def test_render_rejects_a_file_that_is_not_raw_results(tmp_path):
    bad = tmp_path / "raw.json"
    bad.write_text('{"figures": []}')
    with pytest.raises(SystemExit, match="not a raw results file"):
        run.main(["--render", str(bad), "--out-dir", str(tmp_path)])


def test_motionq_stream_is_deterministic_and_figures_see_lag():
    import motionq
    assert motionq.stream() == motionq.stream()
    segs = motionq.segments()
    ticks = []
    for k in range(int(motionq.DURATION_S * 100)):
        t = k / 100
        late, _ = motionq.clean(segs, max(0.0, t - 0.05))  # a tool exactly 50 ms behind the hand
        ticks.append({"t_ms": t * 1000, "pose": list(late), "joints": [0, 0, 0, 0, 0]})
    f = motionq.figures(ticks)
    assert 45 <= f["tool"]["lag_p50_ms"] <= 55
    assert f["tool"]["rest_jitter_pp"] == 0
    assert abs(f["tool"]["accel_p95"] - f["input"]["accel_p95"]) < 0.1 * f["input"]["accel_p95"]


def test_rospath_rows_compare_with_relay_and_echo_and_count_lost_grippers():
    import rospath
    r = {"flood": {"ours": {"bridge_acked_per_s": 6000.0}, "relay": {"ok_per_s": 4000.0}},
         "rospath": {"echo": {"ok_per_s": 2000.0, "publish_per_s": 30000.0},
                     "gripper": {"sent": 10000, "acked": 9998, "ok": 9990, "errors": {"queue_full": 8}, "lost": 2,
                                 "rate": 1000, "seconds": 10}}}
    relay, echo, grip = rospath.rows(r)
    assert relay["ratio"] == 1.5 and relay["pass"] is True
    assert echo["ratio"] == 3.0 and echo["pass"] is None
    assert grip["value"] == 2 and grip["pass"] is False and "queue_full 8" in grip["note"]
    r["flood"]["ours"]["bridge_acked_per_s"] = 4500.0  # above the relay, below rosbridge's 5000/s
    assert rospath.rows(r)[0]["pass"] is False
    assert rospath.rows({"flood": r["flood"]}) == [] and rospath.details({}) == []
    for x in rospath.rows(r):  # every missed ROS-path target is explained with the run's numbers
        if x["pass"] is False:
            text = explain.why(x, dict(r, steady30={"footprint": {}}))
            assert ("4500/s" in text) if "relay" in x["name"] else ("2 of 10000" in text), text


def test_flood_gripper_rejects_a_bad_rate():
    r = subprocess.run([sys.executable, str(HERE / "flood.py"), "gripper", "--rate", "0", "--out", "x.json"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "--rate 0" in r.stderr, r.stderr
