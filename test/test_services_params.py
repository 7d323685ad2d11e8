"""Services (~/home, ~/stop, ~/reconnect, ~/clutch), parameters through rclpy's parameter
client (list, get, describe, set), params files with overrides, and start-up errors."""

import pytest
from geometry_msgs.msg import PointStamped
from rcl_interfaces.msg import ParameterType
from rclpy.parameter import Parameter
from rclpy.parameter_client import AsyncParameterClient
from std_msgs.msg import Bool
from std_srvs.srv import SetBool, Trigger

from aether_msgs.msg import CommandAck, LinkState
from conftest import LATCHED, start_bridge, start_controller, wait_connected


def call(peer, srv_type, name, req=None):
    cli = peer.node.create_client(srv_type, name)
    peer.spin_until(cli.service_is_ready, what=f"service {name}")
    fut = cli.call_async(req or srv_type.Request())
    peer.spin_until(fut.done, what=f"the response of {name}")
    return fut.result()


def wait(peer, fut, what):
    peer.spin_until(fut.done, what=what)
    return fut.result()


@pytest.fixture
def connected(procs, peer):
    ctl = start_controller(procs)
    port = ctl.port
    start_bridge(procs, "-p", "controller_host:=127.0.0.1", "-p", f"controller_port:={port}")
    wait_connected(peer)
    return ctl


def test_home_stop_reconnect(connected, peer):
    acks = peer.collect(CommandAck, "/aether/ack", 100)
    r = call(peer, Trigger, "/aether_bridge/stop")
    assert r.success and "stop sent" in r.message
    ack = peer.spin_until(lambda: next((a for a in acks if a.source == "/aether_bridge/stop"), None), what="the stop ack")
    assert ack.status == CommandAck.STATUS_OK and ack.id in r.message

    # The controller latched the stop: a target now fails with code estop.
    pub = peer.node.create_publisher(PointStamped, "/aether/target", 10)
    peer.spin_until(lambda: pub.get_subscription_count() > 0, what="the bridge's target subscription")
    m = PointStamped()
    m.point.x, m.point.z = 0.16, 0.12
    pub.publish(m)
    refused = peer.spin_until(lambda: next((a for a in acks if a.source == "/aether/target"), None), what="a target ack")
    assert refused.status == CommandAck.STATUS_ERROR and refused.code == "estop", refused.message

    # home does not clear a latched stop (docs/protocol.md §8): it is refused until a reset.
    r = call(peer, Trigger, "/aether_bridge/home")
    assert r.success
    home = peer.spin_until(lambda: next((a for a in acks if a.source == "/aether_bridge/home"), None), what="the home ack")
    assert home.status == CommandAck.STATUS_ERROR and home.code == "estop" and "reset first" in home.message, home.message

    # The bridge latched the stop, so its reset (/aether/estop false) clears it; then home works.
    estop = peer.node.create_publisher(Bool, "/aether/estop", 10)
    peer.spin_until(lambda: estop.get_subscription_count() > 0, what="the bridge's estop subscription")
    estop.publish(Bool(data=False))
    reset = peer.spin_until(lambda: next((a for a in acks if a.source == "/aether/estop"), None), what="the reset ack")
    assert reset.status == CommandAck.STATUS_OK, reset.message
    r = call(peer, Trigger, "/aether_bridge/home")
    assert r.success
    peer.spin_until(lambda: next((a for a in acks if a.source == "/aether_bridge/home" and a.status == CommandAck.STATUS_OK), None),
                           what="the home ack after the reset")

    states = peer.collect(LinkState, "/aether/link_state", LATCHED)
    before = peer.spin_until(lambda: states[-1] if states else None, what="the latched link state").reconnects
    r = call(peer, Trigger, "/aether_bridge/reconnect")
    assert r.success and "reconnecting" in r.message
    # connecting and connected follow each other within a millisecond, so a depth-1 subscriber
    # may see only the second: the reconnect counter is the reliable witness.
    peer.spin_until(lambda: states[-1].reconnects > before and states[-1].state_name == "connected",
                    what="the link to reconnect (reconnects counter up, state connected)")


def test_clutch_service_refused_unless_external(connected, peer):
    r = call(peer, SetBool, "/aether_bridge/clutch", SetBool.Request(data=True))
    assert not r.success and 'hand.clutch "external"' in r.message and "-p hand.clutch:=external" in r.message


def test_clutch_service_external(procs, peer):
    port = start_controller(procs).port
    start_bridge(procs, "-p", f"controller_port:={port}", "-p", "hand.clutch:=external")
    wait_connected(peer)
    r = call(peer, SetBool, "/aether_bridge/clutch", SetBool.Request(data=True))
    assert r.success and "engaged=true" in r.message.lower()


def test_parameters_through_rclpy_parameter_client(connected, peer):
    pc = AsyncParameterClient(peer.node, "aether_bridge")
    peer.spin_until(lambda: pc.services_are_ready(), what="the parameter services")

    listed = wait(peer, pc.list_parameters(), "list_parameters")
    names = set(listed.result.names)
    assert {"mode", "controller_port", "link.ack_timeout_ms", "hand.filter.beta", "use_sim_time"} <= names
    assert "hand.filter" in listed.result.prefixes

    got = wait(peer, pc.get_parameters(["controller_port", "mode", "hand.scale", "no_such"]), "get_parameters")
    port, mode, scale, missing = got.values
    assert port.type == ParameterType.PARAMETER_INTEGER and port.integer_value > 0
    assert mode.string_value == "hardware"
    assert list(scale.double_array_value) == [1.0, 1.0, 1.0]
    assert missing.type == ParameterType.PARAMETER_NOT_SET

    desc = wait(peer, pc.describe_parameters(["controller_port", "clamp_to_workspace"]), "describe_parameters")
    port_d, clamp_d = desc.descriptors
    assert port_d.read_only and port_d.integer_range[0].to_value == 65535 and "TCP port" in port_d.description
    assert not clamp_d.read_only

    types = wait(peer, pc.get_parameter_types(["clamp_to_workspace"]), "get_parameter_types")
    assert list(types.types) == [ParameterType.PARAMETER_BOOL]

    res = wait(peer, pc.set_parameters([Parameter("clamp_to_workspace", value=True),
                                        Parameter("controller_port", value=6000),
                                        Parameter("hand.filter.beta", value="fast")]), "set_parameters")
    ok, ro, wrong = res.results
    assert ok.successful
    # the reason echoes the value the user tried, not the current one
    assert not ro.successful and "-p controller_port:=6000" in ro.reason, ro.reason
    assert not wrong.successful and "hand.filter.beta" in wrong.reason
    got = wait(peer, pc.get_parameters(["clamp_to_workspace", "controller_port"]), "get after set")
    assert got.values[0].bool_value is True and got.values[1].integer_value != 6000

    res = wait(peer, pc.set_parameters_atomically([Parameter("hand.pinch.close_above", value=0.4),
                                                   Parameter("hand.pinch.open_below", value=0.9)]), "atomic set")
    assert not res.result.successful and "nothing changed" in res.result.reason

    # The live change takes effect: an out-of-workspace target is now clamped, not refused.
    acks = peer.collect(CommandAck, "/aether/ack", 10)
    pub = peer.node.create_publisher(PointStamped, "/aether/target", 10)
    peer.spin_until(lambda: pub.get_subscription_count() > 0, what="the bridge's target subscription")
    m = PointStamped()
    m.point.x, m.point.z = 1.5, 0.12
    pub.publish(m)
    a = peer.spin_until(lambda: acks[0] if acks else None, what="the clamped target's ack")
    assert a.status == CommandAck.STATUS_OK, a.message
    assert a.target.x < 1.0


def test_params_file_and_overrides(procs, peer, tmp_path):
    port = start_controller(procs).port
    f = tmp_path / "bridge.yaml"
    f.write_text(f"""
/**:
  ros__parameters:
    controller_host: "127.0.0.1"
    controller_port: 1
    link:
      ack_timeout_ms: 750
aether_bridge:
  ros__parameters:
    client_name: "lab_bridge"
""")
    start_bridge(procs, "--params-file", str(f), "-p", f"controller_port:={port}")
    st = wait_connected(peer)
    assert st.server_name.startswith("aether_controller")
    pc = AsyncParameterClient(peer.node, "aether_bridge")
    peer.spin_until(lambda: pc.services_are_ready(), what="the parameter services")
    got = wait(peer, pc.get_parameters(["controller_port", "link.ack_timeout_ms", "client_name"]), "get_parameters")
    assert [got.values[0].integer_value, got.values[1].integer_value, got.values[2].string_value] == \
        [port, 750, "lab_bridge"]


@pytest.mark.parametrize("args,words", [
    (["-p", "controller_port:=70000"], "controller_port"),
    (["-p", "mode:=real"], '"real" is not one of hardware, sim, gazebo'),
    (["--params-file", "/nonexistent/bridge.yaml"], "/nonexistent/bridge.yaml"),
])
def test_bad_parameters_stop_the_node_with_a_clear_message(procs, args, words):
    p = start_bridge(procs, *args)
    assert p.p.wait(30) == 2
    p.stop()
    out = p.output()
    assert words in out, out
    assert out.startswith("aether_bridge:") or "aether_bridge:" in out
