"""aether_msgs, as built by scripts/build-msgs.sh: seen from rclpy and from the Go bindings.

Run with scripts/env.sh sourced (`make test-ros` does). The tests skip only while the package
is not built at all; once build/msgs/install exists every failure is a real one.
"""

import os
import selectors
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INSTALL = ROOT / "build" / "msgs" / "install"
GO_RELAY_DIR = ROOT / "build" / "msgs" / "_gotest"  # "_": ignored by `go list ./...`
DEADLINE_S = 20.0

needs_build = pytest.mark.skipif(
    not (INSTALL / "share" / "aether_msgs").is_dir(),
    reason="aether_msgs is not built: run scripts/build-msgs.sh (make msgs)",
)


def _msgs():
    """Imports the message classes, failing with what to do when the env is not set up."""
    try:
        from aether_msgs.msg import CommandAck, HandState, LinkState
    except ImportError as exc:
        pytest.fail(f"aether_msgs is built but not importable ({exc}): "
                    "source scripts/env.sh after scripts/build-msgs.sh")
    return HandState, CommandAck, LinkState


@pytest.fixture
def node():
    """An rclpy node with its own context and executor, torn down after the test."""
    import rclpy
    from rclpy.context import Context
    from rclpy.executors import SingleThreadedExecutor

    ctx = Context()
    rclpy.init(context=ctx)
    n = rclpy.create_node(f"test_msgs_{uuid.uuid4().hex[:8]}", context=ctx)
    executor = SingleThreadedExecutor(context=ctx)
    executor.add_node(n)
    n.test_executor = executor
    try:
        yield n
    finally:
        executor.shutdown()
        n.destroy_node()
        rclpy.shutdown(context=ctx)


def _topic(name):
    return f"/test_msgs_{uuid.uuid4().hex[:12]}/{name}"


def _spin_until(node, done, publish=None):
    """Spins node until done() holds, calling publish() between spins; fails at the deadline."""
    deadline = time.monotonic() + DEADLINE_S
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"no message within {DEADLINE_S} s")
        if publish is not None:
            publish()
        node.test_executor.spin_once(timeout_sec=0.1)


def _hand_state(HandState):
    m = HandState()
    m.header.stamp.sec = 1700000000
    m.header.stamp.nanosec = 123456789
    m.header.frame_id = "hand_camera"
    m.detected = True
    m.palm.x, m.palm.y, m.palm.z = 0.12, -0.035, 0.21
    m.pinch = 0.75
    m.confidence = 0.5
    return m


@needs_build
def test_env_sh_exposes_package_to_a_fresh_shell():
    script = (
        "source scripts/env.sh && python -c '"
        "import aether_msgs.msg as m, ament_index_python as a; "
        "print(m.__file__); print(a.get_package_prefix(\"aether_msgs\"))'"
    )
    env = {k: v for k, v in os.environ.items()
           if k in ("HOME", "PATH", "LANG", "ROS_DOMAIN_ID")}
    out = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    module_file, prefix = out.stdout.split()
    assert Path(module_file).resolve().is_relative_to(INSTALL.resolve())
    assert Path(prefix).resolve() == INSTALL.resolve()


@needs_build
def test_fields_and_constants_match_the_contract():
    HandState, CommandAck, LinkState = _msgs()
    assert HandState.get_fields_and_field_types() == {
        "header": "std_msgs/Header", "detected": "boolean", "palm": "geometry_msgs/Point",
        "pinch": "double", "confidence": "double",
    }
    assert CommandAck.get_fields_and_field_types() == {
        "header": "std_msgs/Header", "id": "string", "source": "string", "status": "uint8",
        "code": "string", "message": "string", "rtt": "builtin_interfaces/Duration",
        "target": "geometry_msgs/Point",
    }
    duration = "builtin_interfaces/Duration"
    assert LinkState.get_fields_and_field_types() == {
        "header": "std_msgs/Header", "state": "uint8", "state_name": "string",
        "reason": "string", "server_name": "string", "arm": "string", "arm_hash": "string",
        "protocol": "uint32", "control": "boolean", "watchdog": "string", "sent": "uint64", "acked": "uint64", "errors": "uint64",
        "replaced": "uint64", "dropped": "uint64", "reconnects": "uint64",
        "last_rtt": duration, "p50_rtt": duration, "p99_rtt": duration,
    }
    assert (CommandAck.STATUS_OK, CommandAck.STATUS_ERROR) == (0, 1)
    assert [LinkState.STATE_CONNECTING, LinkState.STATE_CONNECTED, LinkState.STATE_LEGACY,
            LinkState.STATE_BACKOFF, LinkState.STATE_CLOSED, LinkState.STATE_GAZEBO] == \
        list(range(6))


@needs_build
@pytest.mark.parametrize("make, field", [
    (lambda H, C, L: C(check_fields=True, status=256), "status"),        # uint8
    (lambda H, C, L: L(check_fields=True, sent=-1), "sent"),             # uint64
    (lambda H, C, L: L(check_fields=True, protocol=2 ** 32), "protocol"),  # uint32
    (lambda H, C, L: H(check_fields=True, pinch="closed"), "pinch"),     # float64
    (lambda H, C, L: H(check_fields=True, palm_mm=1), "palm_mm"),        # unknown field
])
def test_out_of_type_values_are_rejected_naming_the_field(make, field):
    # Jazzy checks field values only when asked (check_fields or ROS_PYTHON_CHECK_FIELDS=1).
    with pytest.raises(AssertionError, match=field):
        make(*_msgs())


@needs_build
def test_rclpy_round_trip_in_one_process(node):
    from rclpy.type_support import check_for_type_support

    HandState, CommandAck, LinkState = _msgs()
    for cls in (HandState, CommandAck, LinkState):
        check_for_type_support(cls)

    sent = _hand_state(HandState)
    ack = CommandAck(id="7", source="/hand_state", status=CommandAck.STATUS_ERROR,
                     code="unreachable", message="target out of reach", target=sent.palm)
    ack.rtt.nanosec = 4_500_000
    link = LinkState(state=LinkState.STATE_LEGACY, state_name="legacy", protocol=0,
                     sent=2 ** 63 + 5, acked=1, reconnects=3, arm_hash="sha256:9f2c4e")
    got = {}
    pubs = []
    for key, cls, msg in (("hand", HandState, sent), ("ack", CommandAck, ack),
                          ("link", LinkState, link)):
        topic = _topic(key)
        pubs.append((node.create_publisher(cls, topic, 10), msg))
        node.create_subscription(cls, topic, lambda m, k=key: got.setdefault(k, m), 10)

    _spin_until(node, lambda: len(got) == 3,
                publish=lambda: [p.publish(m) for p, m in pubs])
    assert got["hand"] == sent
    assert got["ack"] == ack
    assert got["link"] == link
    assert got["link"].sent == 2 ** 63 + 5


GO_RELAY = r'''// Written by test/test_msgs.py. Answers each aether_msgs/HandState on PREFIX/hand
// with a CommandAck on PREFIX/ack and a LinkState on PREFIX/link derived from it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	aether "github.com/aether-lab/aether-bridge/msgs/gen/aether_msgs/msg"
	"github.com/tiiuae/rclgo/pkg/rclgo"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) != 2 {
		return fmt.Errorf("usage: relay TOPIC_PREFIX")
	}
	prefix := os.Args[1]
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	rctx, err := rclgo.NewContext(rclgo.ClockTypeROSTime, nil)
	if err != nil {
		return err
	}
	defer rctx.Close()
	node, err := rctx.NewNode("aether_msgs_relay", "")
	if err != nil {
		return err
	}
	ackPub, err := aether.NewCommandAckPublisher(node, prefix+"/ack", nil)
	if err != nil {
		return err
	}
	linkPub, err := aether.NewLinkStatePublisher(node, prefix+"/link", nil)
	if err != nil {
		return err
	}
	_, err = aether.NewHandStateSubscription(node, prefix+"/hand", nil,
		func(m *aether.HandState, _ *rclgo.MessageInfo, err error) {
			if err != nil {
				fmt.Fprintln(os.Stderr, "relay: take:", err)
				return
			}
			ack := aether.NewCommandAck()
			ack.Header = m.Header
			ack.Id = fmt.Sprintf("detected=%t pinch=%g confidence=%g", m.Detected, m.Pinch, m.Confidence)
			ack.Source = prefix + "/hand"
			ack.Status = aether.CommandAck_STATUS_ERROR
			ack.Code = "out_of_range"
			ack.Message = m.Header.FrameId
			ack.Rtt.Sec, ack.Rtt.Nanosec = 1, 500
			ack.Target = m.Palm
			if err := ackPub.Publish(ack); err != nil {
				fmt.Fprintln(os.Stderr, "relay: publish ack:", err)
			}
			ls := aether.NewLinkState()
			ls.Header = m.Header
			ls.State, ls.StateName = aether.LinkState_STATE_GAZEBO, "gazebo"
			ls.ServerName, ls.Arm, ls.ArmHash, ls.Protocol = "aether_controller 0.1.0", "aether-5dof", "sha256:9f2c4e", 1
			ls.Sent, ls.Acked, ls.Errors = 1<<40, 2, 3
			ls.Replaced, ls.Dropped, ls.Reconnects = 4, 5, 6
			ls.LastRtt.Nanosec, ls.P50Rtt.Nanosec, ls.P99Rtt.Sec = 8, 9, 7
			if err := linkPub.Publish(ls); err != nil {
				fmt.Fprintln(os.Stderr, "relay: publish link:", err)
			}
		})
	if err != nil {
		return err
	}
	fmt.Println("ready")
	if err := rctx.Spin(ctx); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}
'''


def _sh(cmd, **kw):
    """Runs cmd in bash with scripts/env.sh sourced (cgo flags, library paths)."""
    env = dict(os.environ)
    env.setdefault("GOFLAGS", "-mod=mod")
    env.setdefault("GONOSUMDB", "github.com/tiiuae/rclgo,github.com/kivilahtio/go-re")
    return subprocess.run(["bash", "-c", f"source scripts/env.sh && {cmd}"], cwd=ROOT, env=env,
                          capture_output=True, text=True, **kw)


def _wait_for_line(proc, want):
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if sel.select(timeout=deadline - time.monotonic()):
            line = proc.stdout.readline()
            if line.strip() == want:
                return
            if not line:
                break
    proc.kill()
    pytest.fail(f"relay never printed {want!r}: {proc.stderr.read()}")


@needs_build
def test_go_bindings_round_trip_with_rclpy(node):
    if shutil.which("go") is None:
        pytest.fail("go is not on PATH: the Go bindings of aether_msgs cannot be checked")
    HandState, CommandAck, LinkState = _msgs()
    GO_RELAY_DIR.mkdir(parents=True, exist_ok=True)
    (GO_RELAY_DIR / "main.go").write_text(GO_RELAY)
    relay = GO_RELAY_DIR / "relay"
    built = _sh(f"go build -o '{relay}' ./build/msgs/_gotest", timeout=300)
    assert built.returncode == 0, f"go build of the aether_msgs Go bindings failed:\n{built.stderr}"

    prefix = _topic("relay").rsplit("/", 1)[0]
    # No library path in its environment: the binary must find every library through its rpath.
    env = {k: os.environ[k] for k in ("HOME", "ROS_DOMAIN_ID", "ROS_LOG_DIR") if k in os.environ}
    env.update(ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST",
               RMW_IMPLEMENTATION="rmw_fastrtps_cpp")
    proc = subprocess.Popen([str(relay), prefix], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_line(proc, "ready")
        got = {}
        node.create_subscription(CommandAck, prefix + "/ack",
                                 lambda m: got.setdefault("ack", m), 10)
        node.create_subscription(LinkState, prefix + "/link",
                                 lambda m: got.setdefault("link", m), 10)
        pub = node.create_publisher(HandState, prefix + "/hand", 10)
        sent = _hand_state(HandState)
        _spin_until(node, lambda: len(got) == 2, publish=lambda: pub.publish(sent))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=DEADLINE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    ack, link = got["ack"], got["link"]
    assert ack.header == sent.header
    assert ack.id == "detected=true pinch=0.75 confidence=0.5"
    assert ack.source == prefix + "/hand"
    assert (ack.status, ack.code, ack.message) == (CommandAck.STATUS_ERROR, "out_of_range",
                                                   "hand_camera")
    assert (ack.rtt.sec, ack.rtt.nanosec) == (1, 500)
    assert ack.target == sent.palm
    assert link.header == sent.header
    assert (link.state, link.state_name) == (LinkState.STATE_GAZEBO, "gazebo")
    assert (link.server_name, link.arm, link.arm_hash, link.protocol) == (
        "aether_controller 0.1.0", "aether-5dof", "sha256:9f2c4e", 1)
    assert (link.sent, link.acked, link.errors, link.replaced, link.dropped,
            link.reconnects) == (1 << 40, 2, 3, 4, 5, 6)
    assert (link.last_rtt.nanosec, link.p50_rtt.nanosec, link.p99_rtt.sec) == (8, 9, 7)
    assert proc.returncode == 0, proc.stderr.read()


def test_build_script_rejects_unknown_arguments():
    out = subprocess.run([str(ROOT / "scripts" / "build-msgs.sh"), "--frobnicate"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "unknown argument '--frobnicate'" in out.stderr
    assert "usage: scripts/build-msgs.sh [--force]" in out.stderr
