"""Every `ros2 ...` line in README.md's fenced blocks, run for real and checked.

The ros2 CLI is not installable here, so each line is carried out through
rclpy with the CLI's semantics: `ros2 topic pub` builds the message from its
YAML like rosidl_runtime_py.set_message_fields and publishes it (reliable,
transient local, depth 1: ros2topic's default publisher QoS); `ros2 topic echo`
subscribes with QoS matched to the publishers; `ros2 service call` calls the
service; `ros2 param set` types the value with yaml.safe_load like ros2param.
Lines run in README order against a real bridge and sim controller, and every
line's outcome is checked; a failure names the README line. `ros2 launch`
lines belong to the launch test and are the only ones skipped; any other
verb, option, topic or service without a check here fails, so a new README
line cannot go untested. Unlike the CLI, which makes a node per command, one
rclpy node runs every line and its publishers exist from the start (see
Runner.prepare).
"""

import json
import re
import shlex
import socket
from collections import namedtuple

import pytest
from rclpy.parameter import get_parameter_value, parameter_value_to_python
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

from conftest import ROOT, start_bridge, start_controller, wait_connected
from rosmsg import import_type, message_from_yaml

README = ROOT / "README.md"
Cmd = namedtuple("Cmd", "lineno text argv fence")  # fence: the block's info string

# ros2topic's default publisher QoS (ros2cli PR 653): reliable and transient
# local, so it matches every subscription; depth 1.
PUB_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)
WAIT = 15.0  # seconds allowed for each outcome on this 2-core machine


# --- README parsing -------------------------------------------------------

SHELL_FENCES = {"", "sh", "bash", "shell", "console", "zsh"}


def readme_commands(text):
    """The `ros2 ` lines of the fenced blocks, with README line numbers and shlex argv.

    Every fenced block counts except one whose info string names a language
    other than a shell (```text for a diagram, ```yaml, ...).
    """
    cmds, fence, info, pending = [], None, "", None
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        m = re.match(r"(`{3,}|~{3,})\s*([\w+-]*)", line)
        if m and fence is None:
            fence, info = m.group(1), m.group(2).lower()
            continue
        if m and line.startswith(fence) and not m.group(2):
            fence = None
            continue
        if fence is None or info not in SHELL_FENCES:
            continue
        if pending:  # a backslash continuation of the previous ros2 line
            pending = (pending[0], pending[1][:-1] + " " + line)
        elif line.startswith("ros2 "):
            pending = (n, line)
        else:
            continue
        if not pending[1].endswith("\\"):
            cmds.append(Cmd(pending[0], pending[1], shlex.split(pending[1], comments=True), info))
            pending = None
    return cmds


def split_options(argv, flags, valued, line):
    """argv → (options dict, positionals); an option not in flags/valued is an error."""
    opts, pos, it = {}, [], iter(argv)
    for a in it:
        if not a.startswith("-") or a == "-":
            pos.append(a)
            continue
        name, eq, val = a.partition("=")
        if name in flags and not eq:
            opts[flags[name]] = True
        elif name in valued:
            if not eq:
                val = next(it, None)
                if val is None:
                    raise LineError(line, f"option {name} needs a value")
            opts[valued[name]] = val
        else:
            raise LineError(line, f"option {a!r} is not handled by test/test_readme.py: add it there")
    return opts, pos


class LineError(Exception):
    """A README line that cannot be run or whose outcome is wrong."""

    def __init__(self, cmd, msg):
        super().__init__(f"README.md:{cmd.lineno}: `{cmd.text}`: {msg}")


# --- the arm side, read directly ------------------------------------------

class ControllerMonitor:
    """A monitor-role TCP client of aether_controller, for the arm's real state."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5.0)
        self.f = self.sock.makefile("rwb")
        reply = self.request({"type": "hello", "version": 1, "client": "test_readme", "role": "monitor"})
        assert reply["status"] == "ok", reply

    def request(self, req):
        self.f.write(json.dumps(req).encode() + b"\n")
        self.f.flush()
        line = self.f.readline()  # bounded by the socket timeout
        assert line, f"controller closed the connection after {req}"
        return json.loads(line)

    def state(self):
        r = self.request({"type": "status"})
        assert r["status"] == "ok", r
        return r["state"]

    def close(self):
        self.f.close()
        self.sock.close()


# --- running the lines ----------------------------------------------------

TARGET_POINT = {  # input topic → where its message carries the target, metres
    "/aether/target": lambda m: m.point,
    "/aether/target_pose": lambda m: m.pose.position,
}


class Runner:
    """Carries out README lines through one rclpy peer and checks their outcomes."""

    def __init__(self, peer, monitor):
        from aether_msgs.msg import CommandAck
        self.ok, self.error = CommandAck.STATUS_OK, CommandAck.STATUS_ERROR
        self.peer, self.node, self.monitor = peer, peer.node, monitor
        self.acks = peer.collect(CommandAck, "/aether/ack", 100)
        self.pubs = {}
        self.echoes = []       # (cmd, received messages) of ros2 topic echo lines
        self.every = None      # re-publishing of a ros2 topic pub -r line while it runs
        self.refused = []      # error acks a line expected
        self.point = None      # the last README target, reused to probe the estop

    def spin_until(self, cond, what, timeout=WAIT):
        return self.peer.spin_until(cond, timeout, what, every=self.every)

    def run(self, cmd):
        """Carry out one README line; returns what was seen, raises LineError."""
        verb, opts, pos = plan(cmd)
        try:
            return getattr(self, verb)(cmd, opts, pos)
        except LineError:
            raise
        except Exception as e:  # whatever went wrong, say which README line it was
            raise LineError(cmd, f"{type(e).__name__}: {e}") from None
        finally:
            self.every = None  # a rate-publishing line stops like ros2 topic pub on Ctrl-C

    def acks_from(self, start, sources):
        return [a for a in self.acks[start:] if a.source in sources]

    def wait_ack(self, start, source, status=None):
        """The first ack from source since index start; it must have status (if given)."""
        sources = source if isinstance(source, (set, tuple)) else (source,)
        a = self.spin_until(lambda: next(iter(self.acks_from(start, sources)), None),
                            f"an ack from {'/'.join(sources)} on /aether/ack")
        if status is not None:
            assert a.status == status, (f"ack from {a.source} has status {a.status} code {a.code!r}: "
                                        f"{a.message} (wanted status {status})")
        # Refused before sending (estop, bad frame, ...) means no wire id.
        assert a.id != "" or a.status != self.ok, f"ok ack from {a.source} has no id"
        return a

    def wait_state(self, cond, what):
        return self.spin_until(lambda: cond(self.monitor.state()), f"the controller's state: {what}")

    def prepare(self, cmds):
        """Create the publishers of all pub lines up front.

        Then DDS discovery is complete in both directions when a line publishes:
        waiting for get_subscription_count() (as ros2 topic pub -w does) only
        proves our side matched, and a sample sent before the bridge's reader
        knows the writer is lost on the best-effort /aether/hand (about 1 run
        in 4 here when the publisher was created just before publishing).
        """
        for cmd in cmds:
            try:
                verb, _, pos = plan(cmd)
                if verb == "topic_pub":
                    self.publisher(import_type(pos[1]), pos[0])
            except (LineError, ValueError):
                pass  # run() reports it, keyed by the line

    def publisher(self, cls, topic):
        key = (topic, cls)
        if key not in self.pubs:
            self.pubs[key] = self.node.create_publisher(cls, topic, PUB_QOS)
        return self.pubs[key]

    def topic_pub(self, cmd, opts, pos):
        topic, cls = pos[0], import_type(pos[1])
        msg = message_from_yaml(cls, pos[2] if len(pos) == 3 else "{}", self.node.get_clock().now().to_msg())
        pub = self.publisher(cls, topic)
        times = 1 if opts.get("once") else int(opts.get("times", 0))  # 0: until the line is done
        wait = int(opts.get("wait", 1 if times else 0))
        self.spin_until(lambda: pub.get_subscription_count() >= wait, f"{wait} subscription(s) on {topic}")
        start = len(self.acks)
        pub.publish(msg)
        if times != 1:
            period_ns, sent = int(1e9 / float(opts.get("rate", 1.0))), [1, self.node.get_clock().now()]

            def again():
                now = self.node.get_clock().now()
                if (not times or sent[0] < times) and (now - sent[1]).nanoseconds >= period_ns:
                    pub.publish(msg)
                    sent[0], sent[1] = sent[0] + 1, now
            self.every = again
        seen = TOPIC_CHECKS[topic](self, msg, start)
        if times > 1:  # -t N: the line is done once all N are out
            self.spin_until(lambda: sent[0] >= times, f"{times} publications on {topic}",
                            timeout=WAIT + times * period_ns / 1e9)
        return seen

    def check_target(self, msg, start, topic):
        p = TARGET_POINT[topic](msg)
        a = self.wait_ack(start, topic, self.ok)
        got, want = (a.target.x, a.target.y, a.target.z), (p.x, p.y, p.z)
        assert all(abs(g - w) < 1e-6 for g, w in zip(got, want)), f"ack target {got} m, published {want} m"
        self.point = p
        return f"ok ack {a.id} from {topic}, target {got} m"

    def check_gripper(self, msg, start):
        a = self.wait_ack(start, "/aether/gripper", self.ok)
        self.wait_state(lambda s: abs(s["gripper"] - msg.data) < 1e-9, f"gripper {msg.data}")
        return f"ok ack {a.id}, controller gripper {msg.data}"

    def check_estop(self, msg, start):
        from geometry_msgs.msg import PointStamped
        a = self.wait_ack(start, "/aether/estop", self.ok)
        self.wait_state(lambda s: s["estopped"] == msg.data, f"estopped {msg.data}")
        if not msg.data:
            return f"ok ack {a.id} (reset), controller not estopped"
        # Engaged: motion must now be refused locally with code "estop".
        probe = PointStamped()
        probe.header.frame_id = "base_link"
        if self.point is not None:
            probe.point = self.point
        else:
            probe.point.x, probe.point.z = 0.16, 0.12
        start = len(self.acks)
        self.publisher(PointStamped, "/aether/target").publish(probe)
        r = self.wait_ack(start, "/aether/target", self.error)
        assert r.code == "estop", f"target during estop refused with code {r.code!r}, want 'estop': {r.message}"
        self.refused.append(r)
        return f"ack {a.id}, controller estopped, then a target refused with code estop"

    def check_hand(self, msg, start):
        a = self.wait_ack(start, "/aether/hand", self.ok)
        close_above = self.get_param("/aether_bridge", "hand.pinch.close_above")
        if not (msg.detected and msg.pinch > close_above):
            return f"ok ack {a.id} from /aether/hand"
        self.wait_state(lambda s: s["gripper"] == 1, f"gripper closed (pinch {msg.pinch} > {close_above})")
        return f"ok ack {a.id} from /aether/hand, controller gripper closed (pinch > {close_above})"

    def topic_echo(self, cmd, opts, pos):
        """Runs until the end of the test and must receive something (see finish)."""
        topic = pos[0]
        if len(pos) == 2:
            cls = import_type(pos[1])
        else:  # like ros2 topic echo: the type from the graph
            types = self.spin_until(lambda: dict(self.node.get_topic_names_and_types()).get(topic),
                                    f"{topic} to appear in the ROS graph")
            assert len(types) == 1, f"{topic} has several types {types}: name one on the line"
            cls = import_type(types[0])
        pubs = self.node.get_publishers_info_by_topic(topic)
        qos = QoSProfile(depth=10)  # like ros2 topic echo: match what the publishers offer
        if any(p.qos_profile.reliability == ReliabilityPolicy.BEST_EFFORT for p in pubs):
            qos.reliability = ReliabilityPolicy.BEST_EFFORT
        if pubs and all(p.qos_profile.durability == DurabilityPolicy.TRANSIENT_LOCAL for p in pubs):
            qos.durability = DurabilityPolicy.TRANSIENT_LOCAL
        self.echoes.append((cmd, self.peer.collect(cls, topic, qos)))
        return f"subscribed to {topic} ({cls.__name__})"

    def service_call(self, cmd, opts, pos):
        name, cls = pos[0], import_type(pos[1], "srv")
        req = message_from_yaml(cls.Request, pos[2] if len(pos) == 3 else "{}")
        start = len(self.acks)
        return SERVICE_CHECKS[name](self, name, self.call(cls, name, req), start)

    def call(self, cls, name, req):
        client = self.node.create_client(cls, name)
        try:
            self.spin_until(client.service_is_ready, f"service {name}")
            fut = client.call_async(req)
            self.spin_until(fut.done, f"the response of {name}")
            return fut.result()
        finally:
            self.node.destroy_client(client)

    def check_home(self, name, resp, start):
        assert resp.success, f"{name} answered success=false: {resp.message}"
        # The node names its services ~/home; either spelling identifies the caller.
        a = self.wait_ack(start, {"~/" + name.rsplit("/", 1)[1], name}, self.ok)
        assert a.id in re.findall(r"[\w.:-]+", resp.message), \
            f"the ack's id {a.id!r} is not the one the answer names: {resp.message!r}"
        return f"success ({resp.message}); ok ack {a.id}"

    def param_set(self, cmd, opts, pos):
        from rcl_interfaces.msg import Parameter
        from rcl_interfaces.srv import SetParameters
        node = pos[0] if pos[0].startswith("/") else "/" + pos[0]
        value = get_parameter_value(pos[2])  # ros2param's typing: yaml.safe_load
        self.spin_until(lambda: node in {ns.rstrip("/") + "/" + n for n, ns in self.node.get_node_names_and_namespaces()},
                        f"node {node} in the ROS graph")
        resp = self.call(SetParameters, node + "/set_parameters",
                         SetParameters.Request(parameters=[Parameter(name=pos[1], value=value)]))
        assert len(resp.results) == 1, f"set_parameters answered {len(resp.results)} results for 1 parameter"
        assert resp.results[0].successful, f"Setting parameter failed: {resp.results[0].reason}"
        want, got = parameter_value_to_python(value), self.get_param(node, pos[1])
        assert list(got) == list(want) if isinstance(want, list) else got == want, \
            f"get_parameters shows {pos[1]} = {got!r} after setting {want!r}"
        return f"set; get shows {got!r}"

    def get_param(self, node, name):
        from rcl_interfaces.srv import GetParameters
        resp = self.call(GetParameters, node + "/get_parameters", GetParameters.Request(names=[name]))
        assert len(resp.values) == 1, f"get_parameters answered {len(resp.values)} values for {name}"
        return parameter_value_to_python(resp.values[0])

    def finish(self):
        """Checks that span the whole run: echo lines received, no unexpected error ack."""
        failures = []
        for cmd, got in self.echoes:
            try:
                self.spin_until(lambda: got, "a message on the echoed topic")
            except AssertionError as e:
                failures.append(str(LineError(cmd, str(e))))
        for a in self.acks:
            if a.status != self.ok and not any(a is r for r in self.refused):
                failures.append(f"unexpected error ack from {a.source}: code {a.code!r}: {a.message}")
        return failures


TOPIC_CHECKS = {
    "/aether/target": lambda r, m, s: r.check_target(m, s, "/aether/target"),
    "/aether/target_pose": lambda r, m, s: r.check_target(m, s, "/aether/target_pose"),
    "/aether/gripper": Runner.check_gripper,
    "/aether/estop": Runner.check_estop,
    "/aether/hand": Runner.check_hand,
}
SERVICE_CHECKS = {"/aether_bridge/home": Runner.check_home}


# verb → (handler, flags, options with a value, positionals, where the outcome checks are)
VERBS = {
    ("topic", "pub"): ("topic_pub", {"--once": "once", "-1": "once"},
                       {"-r": "rate", "--rate": "rate", "-t": "times", "--times": "times",
                        "-w": "wait", "--wait-matching-subscriptions": "wait"},
                       ("TOPIC", "TYPE", "[VALUES]"), TOPIC_CHECKS),
    ("topic", "echo"): ("topic_echo", {f: f for f in ("--once", "--csv", "--no-arr", "--no-str",
                                                      "--flow-style", "--full-length", "-f")},
                        {}, ("TOPIC", "[TYPE]"), None),
    ("service", "call"): ("service_call", {}, {}, ("NAME", "TYPE", "[VALUES]"), SERVICE_CHECKS),
    ("param", "set"): ("param_set", {}, {}, ("NODE", "NAME", "VALUE"), None),
}


def plan(cmd):
    """(handler name, options, positionals) for a README line, or ("skip", ...) for ros2 launch.

    Raises LineError for a verb, option or argument count this file does not
    handle, and for a topic or service without an outcome check.
    """
    if cmd.argv[1:2] == ["launch"]:  # test_launch.py runs these
        return "skip", {}, []
    spec = VERBS.get(tuple(cmd.argv[1:3]))
    if spec is None:
        raise LineError(cmd, f"`{' '.join(cmd.argv[:3])}` is not handled by test/test_readme.py: add a "
                             "runner and an outcome check for it there")
    handler, flags, valued, names, checks = spec
    opts, pos = split_options(cmd.argv[3:], flags, valued, cmd)
    required = sum(1 for n in names if not n.startswith("["))
    if not required <= len(pos) <= len(names):
        hint = "" if cmd.fence else " (if this line is not a command, open its fence as ```text)"
        raise LineError(cmd, f"expected {' '.join(names)} after `{' '.join(cmd.argv[:3])}`, got {pos}{hint}")
    if checks is not None and pos[0] not in checks:
        raise LineError(cmd, f"no outcome check for {pos[0]} in test/test_readme.py: add one")
    return handler, opts, pos


# --- tests ----------------------------------------------------------------

def test_readme_lines_all_run_in_order_with_their_outcomes(procs, peer):
    cmds = [c for c in readme_commands(README.read_text()) if c.argv[1:2] != ["launch"]]
    assert cmds, "README.md has no ros2 lines outside `ros2 launch`: the copy-paste block is gone"
    port = start_controller(procs).port
    start_bridge(procs, "-p", "controller_host:=127.0.0.1", "-p", f"controller_port:={port}")
    wait_connected(peer)
    monitor = ControllerMonitor(port)
    try:
        runner = Runner(peer, monitor)
        runner.prepare(cmds)
        outcomes, failures = {}, []
        for cmd in cmds:
            try:
                outcomes[cmd.lineno] = "ok: " + runner.run(cmd)
            except LineError as e:
                outcomes[cmd.lineno] = "FAILED"
                failures.append(str(e))
        failures += runner.finish()
    finally:
        monitor.close()
    report = "\n".join(f"  README.md:{n}: {o}" for n, o in outcomes.items())
    assert not failures, "\n".join(failures) + "\nall lines:\n" + report


def test_every_readme_line_has_a_runner_and_an_outcome_check():
    cmds = readme_commands(README.read_text())
    verbs = {tuple(c.argv[1:3]) for c in cmds}
    # The copy-paste block uses every verb this file runs; a line that cannot be run fails here.
    assert set(VERBS) <= verbs, f"README.md no longer has {set(VERBS) - verbs}: is the copy-paste block intact?"
    for c in cmds:
        plan(c)


@pytest.mark.parametrize("line, why", [
    ("ros2 node list", "`ros2 node list` is not handled"),
    ("ros2 topic pub --once /aether/unknown std_msgs/msg/Bool '{data: true}'", "no outcome check for /aether/unknown"),
    ("ros2 topic pub --qos-depth 5 /aether/estop std_msgs/msg/Bool '{data: true}'", "option '--qos-depth' is not handled"),
    ("ros2 topic pub --once /aether/estop", "expected TOPIC TYPE [VALUES]"),
    ("ros2 topic pub -r", "option -r needs a value"),
    ("ros2 service call /aether_bridge/reconnect std_srvs/srv/Trigger", "no outcome check for /aether_bridge/reconnect"),
    ("ros2 param set /aether_bridge clamp_to_workspace", "expected NODE NAME VALUE"),
])
def test_a_line_this_file_cannot_check_fails_naming_it(line, why):
    text = f"# T\n\n```sh\n{line}\n```\n"
    (cmd,) = readme_commands(text)
    with pytest.raises(LineError, match=re.escape(why)) as e:
        plan(cmd)
    assert str(e.value).startswith("README.md:4: `ros2 ")


def test_readme_commands_reads_every_fence_and_only_ros2_lines():
    text = ("ros2 topic echo /outside\n"
            "```sh\nmake demo\n  ros2 topic echo /a  # trailing comment\n```\n"
            "~~~\nros2 launch aether_bridge aether.launch.xml mode:=sim   # sim\n"
            "ros2 topic pub --once /b std_msgs/msg/Bool \\\n  \"{data: true}\"\n~~~\n"
            "```text\nros2 topic pub (manual) ──┘  a diagram\n```\n")
    got = [(c.lineno, c.argv) for c in readme_commands(text)]
    assert got == [(4, ["ros2", "topic", "echo", "/a"]),
                   (7, ["ros2", "launch", "aether_bridge", "aether.launch.xml", "mode:=sim"]),
                   (8, ["ros2", "topic", "pub", "--once", "/b", "std_msgs/msg/Bool", "{data: true}"])]
    assert plan(readme_commands(text)[1])[0] == "skip"
