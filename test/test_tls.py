"""The end-to-end slice over TLS, as the README tells a lab to set it up.

bin/aether_tlscert makes the pair and prints the fingerprint; the controller
serves TLS with a token; the bridge pins the fingerprint (or trusts the
certificate file) and a target published in rclpy is acked. A bridge pinning
another fingerprint never connects, and /aether/link_state says what to check.
"""

import subprocess

import pytest

from aether_msgs.msg import CommandAck, LinkState
from conftest import BIN, LATCHED, send_seed_target, start_bridge, start_controller, wait_connected


@pytest.fixture
def tls_controller(procs, tmp_path):
    """A controller with a token, serving TLS with a fresh aether_tlscert pair."""
    cert, key, token = tmp_path / "controller.crt", tmp_path / "controller.key", tmp_path / "token"
    out = subprocess.run([BIN / "aether_tlscert", "-cert", cert, "-key", key], check=True,
                         capture_output=True, text=True, timeout=60).stdout
    fingerprint = next(line for line in out.splitlines() if line.startswith("sha256:"))
    token.write_text("tls-lab-token\n")
    port = start_controller(procs, 0, "--token-file", str(token), "--tls-cert", str(cert), "--tls-key", str(key)).port
    return {"port": port, "cert": cert, "token": token, "fingerprint": fingerprint}


def bridge_params(ctl, *tls):
    return ["-p", "controller_host:=127.0.0.1", "-p", f"controller_port:={ctl['port']}",
            "-p", f"token_file:={ctl['token']}", "-p", "link.tls:=true", *tls]


@pytest.mark.parametrize("how", ["fingerprint", "ca_file"])
def test_target_is_acked_over_tls(procs, peer, tls_controller, how):
    ctl = tls_controller
    check = (["-p", f"link.tls_fingerprint:={ctl['fingerprint']}"] if how == "fingerprint"
             else ["-p", f"link.tls_ca_file:={ctl['cert']}"])
    start_bridge(procs, *bridge_params(ctl, *check))
    wait_connected(peer)

    ack = send_seed_target(peer)
    assert ack.status == CommandAck.STATUS_OK, (ack.code, ack.message)
    assert ack.message == "Command received"


def test_wrong_fingerprint_is_refused(procs, peer, tls_controller):
    wrong = "sha256:" + "ab" * 32
    start_bridge(procs, *bridge_params(tls_controller, "-p", f"link.tls_fingerprint:={wrong}"))
    states = peer.collect(LinkState, "/aether/link_state", LATCHED)
    refused = peer.spin_until(
        lambda: next((s for s in states if s.state_name == "backoff" and "fingerprint" in s.reason), None),
        timeout=20.0, what="a backoff state naming the fingerprint")
    assert wrong in refused.reason
    assert "check that controller_host points at the right controller" in refused.reason
    assert "aether_tlscert -fingerprint" in refused.reason
    assert not any(s.state_name == "connected" for s in states)
