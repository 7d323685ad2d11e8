"""rosmsg: YAML text → ROS messages as `ros2 topic pub` builds them, and clear errors when they do not fit."""

import re

import pytest

from rosmsg import FieldError, import_type, message_from_yaml


def test_message_from_yaml_fills_nested_fields_sequences_and_int_floats():
    from aether_msgs.msg import HandState
    from diagnostic_msgs.msg import DiagnosticArray
    from geometry_msgs.msg import PoseStamped
    from sensor_msgs.msg import JointState

    p = message_from_yaml(PoseStamped, "{header: {frame_id: base_link}, pose: {position: {x: 1, y: 0.5}, orientation: {w: 1}}}")
    assert (p.header.frame_id, p.pose.position.x, p.pose.position.y, p.pose.orientation.w) == ("base_link", 1.0, 0.5, 1.0)
    assert type(p.pose.position.x) is float
    h = message_from_yaml(HandState, "{detected: true, palm: {z: 0.5}, pinch: 0.9}")
    assert (h.detected, h.palm.z, h.pinch, h.confidence) == (True, 0.5, 0.9, 0.0)
    j = message_from_yaml(JointState, "{name: [a, b], position: [1, 2.5]}")
    assert list(j.name) == ["a", "b"] and list(j.position) == [1.0, 2.5]
    d = message_from_yaml(DiagnosticArray, "{status: [{name: link, values: [{key: rtt, value: '1'}]}]}")
    assert d.status[0].name == "link" and d.status[0].values[0].key == "rtt"
    assert message_from_yaml(PoseStamped, "").pose.orientation.w == 1.0  # no values: the defaults


def test_message_from_yaml_expands_header_auto_and_time_now():
    from builtin_interfaces.msg import Time
    from geometry_msgs.msg import PointStamped
    now = Time(sec=12, nanosec=34)
    assert message_from_yaml(PointStamped, "{header: auto}", now).header.stamp == now
    assert message_from_yaml(PointStamped, "{header: {stamp: now}}", now).header.stamp == now


@pytest.mark.parametrize("cls, text, why", [
    ("geometry_msgs/msg/PointStamped", "{point: {w: 1.0}}", "Point has no field 'point.w'; its fields are x, y, z"),
    ("geometry_msgs/msg/PointStamped", "{pont: {x: 1.0}}", "has no field 'pont'"),
    ("geometry_msgs/msg/PointStamped", "{point: 3}", "point: expected a mapping"),
    ("geometry_msgs/msg/PointStamped", "{point: {x: fast}}", "point.x: 'fast' does not fit its type double"),
    ("geometry_msgs/msg/PointStamped", "{header: auto}", "header: expected a mapping"),  # only with now
    ("std_msgs/msg/Bool", "[true]", "need to be a YAML mapping"),
    ("std_msgs/msg/Bool", "{data: true", "not valid YAML"),
    ("std_msgs/msg/UInt8", "{data: 300}", "data: 300 does not fit its type uint8"),
    ("sensor_msgs/msg/JointState", "{name: 5}", "name: 5 does not fit its type sequence<string>"),
    ("diagnostic_msgs/msg/DiagnosticArray", "{status: {name: x}}", "status: expected a list of DiagnosticStatus"),
    ("diagnostic_msgs/msg/DiagnosticArray", "{status: [{nme: x}]}", "no field 'status[0].nme'"),
])
def test_message_from_yaml_rejects_bad_values_naming_the_field(cls, text, why):
    with pytest.raises(FieldError, match=re.escape(why)):
        message_from_yaml(import_type(cls), text)


@pytest.mark.parametrize("name, why", [
    ("std_msgs/msg/Nope", "cannot be imported"),
    ("no_such_pkg/msg/Bool", "cannot be imported"),
    ("std_msgs/Bool/x/y", "is not of the form pkg/msg/Name"),
    ("std_srvs/srv/Trigger", "is not of the form pkg/msg/Name"),
])
def test_import_type_says_what_is_wrong(name, why):
    with pytest.raises(ValueError, match=re.escape(why)):
        import_type(name)


def test_import_type_accepts_both_spellings():
    from std_msgs.msg import Bool
    from std_srvs.srv import Trigger
    assert import_type("std_msgs/msg/Bool") is Bool and import_type("std_msgs/Bool") is Bool
    assert import_type("std_srvs/srv/Trigger", "srv") is Trigger
