"""`make demo`'s script: a full run ends with acks and exit 0; Ctrl-C mid-run leaves no process behind."""

import os
import re
import signal
import subprocess
import sys

from harness import ROOT, Proc


def demo(procs_name="demo"):
    env = os.environ.copy()
    return Proc(procs_name, [sys.executable, ROOT / "test" / "demo.py"], env=env)


def alive(pattern):
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
    return [p for p in out if int(p) != os.getpid()]


def test_demo_runs_to_completion():
    d = demo()
    try:
        assert d.p.wait(120) == 0, d.output()
    finally:
        d.stop()
    out = d.output()
    assert "link   connected" in out
    assert re.search(r"demo: (\d+) acks, 0 errors — done", out), out
    assert out.count("← ack") >= 15
    assert "aether_bridge exited with 0" in out and "aether_controller exited with 0" in out


def test_ctrl_c_leaves_no_process_behind():
    d = demo()
    try:
        d.wait_for_line("→ target", timeout=60)  # mid-motion
        port = re.search(r"on 127\.0\.0\.1:(\d+)", d.output()).group(1)
        d.p.send_signal(signal.SIGINT)
        assert d.p.wait(30) == 130, d.output()
    finally:
        d.stop()
    assert "demo: interrupted" in d.output()
    assert not alive(f"127.0.0.1:{port}"), "a process of the interrupted demo is still running"
    assert not alive(f"controller_port:={port}"), "the interrupted demo's bridge is still running"
