"""Issue 16: a bridge and a controller given different arm files are caught (hello arm_hash),
and a wrong token names the parameters and flag to fix. Real binaries, real DDS, real TCP."""

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus

from aether_msgs.msg import CommandAck, LinkState
from conftest import LATCHED, ROOT, start_bridge
from conftest import start_controller as start_sim_controller
from test_outputs import publish_target

ARM = ROOT / "config" / "arm.yaml"
BASE_YAW = ("{joint: base_yaw,       channel: 0, pulse_min_us: 500, pulse_max_us: 2500, "
            "angle_min_deg: -90, angle_max_deg: 90,")


def start_controller(procs, *extra, sock=0):
    """Start a sim controller on 127.0.0.1:0, or serving sock (held_port) when given; return it with the
    port it listens on."""
    c = start_sim_controller(procs, sock, *extra)
    return c, c.port


def narrowed_arm(tmp_path):
    """config/arm.yaml with base_yaw's servo range narrowed: same kinematics, another effective model."""
    text = ARM.read_text()
    assert BASE_YAW in text, f"{ARM} changed: update BASE_YAW"
    f = tmp_path / "narrow-arm.yaml"
    f.write_text(text.replace(BASE_YAW, BASE_YAW.replace("-90, angle_max_deg: 90", "-45, angle_max_deg: 45"), 1))
    return f


def link_diag(diags, cond):
    return next((st for arr in reversed(diags) for st in arr.status
                 if st.name == "aether_bridge: link" and cond(st)), None)


def test_different_arm_files_refuse_motion_until_they_match(procs, peer, tmp_path, held):
    narrow = narrowed_arm(tmp_path)
    ctl, port = start_controller(procs, "--arm", narrow, sock=held)  # the restart below serves it too
    states = peer.collect(LinkState, "/aether/link_state", LATCHED)
    diags = peer.collect(DiagnosticArray, "/diagnostics")
    acks = peer.collect(CommandAck, "/aether/ack")
    start_bridge(procs, "-p", f"controller_port:={port}", "-p", f"arm:={ARM}",
                 "-p", "diagnostics_period_s:=0.2", "-p", "link.backoff_max_ms:=200")

    st = peer.spin_until(lambda: next((s for s in reversed(states) if "arm model mismatch" in s.reason), None),
                         what=f"a link state naming the mismatch (saw {[(s.state_name, s.reason) for s in states]})")
    assert st.state_name == "backoff" and st.state != LinkState.STATE_CONNECTED
    # both hashes and the bridge's file are named, with the fix
    assert st.arm_hash.startswith("sha256:") and st.arm_hash[:19] in st.reason, (st.arm_hash, st.reason)
    assert f"the bridge uses arm file {ARM} (arm_hash sha256:" in st.reason
    assert "same file as aether_controller's --arm" in st.reason and "arm_mismatch:=warn" in st.reason
    d = peer.spin_until(lambda: link_diag(diags, lambda s: "arm model mismatch" in s.message),
                        what="a link diagnostic naming the mismatch")
    assert d.level == DiagnosticStatus.ERROR
    values = {kv.key: kv.value for kv in d.values}
    assert values["arm_hash_controller"] == st.arm_hash and values["arm_hash_bridge"].startswith("sha256:")
    assert values["arm_hash_controller"] != values["arm_hash_bridge"]

    publish_target(peer, 0.16, 0.0, 0.12)
    a = peer.spin_until(lambda: acks[-1] if acks else None, what="an ack for the target")
    assert a.status == CommandAck.STATUS_ERROR and a.code == "arm_mismatch", (a.code, a.message)

    # Fixed: the controller restarts with the bridge's arm file; the link connects and motion flows.
    assert ctl.stop() == 0
    start_controller(procs, "--arm", ARM, sock=held)
    peer.spin_until(lambda: states and states[-1].state_name == "connected",
                    what=f"a connection to the fixed controller (saw {[s.state_name for s in states]})")
    assert states[-1].reason == "" or "mismatch" not in states[-1].reason
    n = len(acks)
    publish_target(peer, 0.16, 0.0, 0.12)
    a = peer.spin_until(lambda: acks[-1] if len(acks) > n else None, what="an ack after the fix")
    assert a.status == CommandAck.STATUS_OK, (a.code, a.message)


def test_arm_mismatch_warn_connects_and_warns(procs, peer, tmp_path):
    _, port = start_controller(procs, "--arm", narrowed_arm(tmp_path))
    states = peer.collect(LinkState, "/aether/link_state", LATCHED)
    diags = peer.collect(DiagnosticArray, "/diagnostics")
    start_bridge(procs, "-p", f"controller_port:={port}", "-p", f"arm:={ARM}", "-p", "arm_mismatch:=warn",
                 "-p", "diagnostics_period_s:=0.2")
    st = peer.spin_until(lambda: next((s for s in reversed(states) if s.state_name == "connected"), None),
                         what=f"a connection (saw {[(s.state_name, s.reason) for s in states]})")
    assert "arm model mismatch" in st.reason and "arm_mismatch is warn" in st.reason, st.reason
    d = peer.spin_until(lambda: link_diag(diags, lambda s: "arm model mismatch" in s.message),
                        what="a link diagnostic naming the mismatch")
    assert d.level == DiagnosticStatus.WARN


def test_wrong_token_names_token_file_and_the_controllers_flag(procs, peer, tmp_path):
    ctl_token, bridge_token = tmp_path / "controller-token", tmp_path / "bridge-token"
    ctl_token.write_text("s3cret\n")
    bridge_token.write_text("wrong\n")
    _, port = start_controller(procs, "--token-file", ctl_token)
    states = peer.collect(LinkState, "/aether/link_state", LATCHED)
    start_bridge(procs, "-p", f"controller_port:={port}", "-p", f"token_file:={bridge_token}")
    st = peer.spin_until(lambda: next((s for s in reversed(states) if "refused hello" in s.reason), None),
                         what=f"a refused hello (saw {[(s.state_name, s.reason) for s in states]})")
    assert "token_file parameter" in st.reason and "--token-file" in st.reason, st.reason
    assert "Config." not in st.reason, st.reason
