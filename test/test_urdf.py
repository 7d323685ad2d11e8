"""The robot model (`aether_controller urdf`) checked by an independent URDF library (yourdfpy,
pinned in requirements/urdf-check.txt): its forward kinematics matches pkg/ik's at random joint
vectors, and its joints carry the limits the controller really uses."""

import json
import math
import random
import subprocess

import numpy as np
import pytest
import yaml
import yourdfpy

from conftest import BIN, ROOT

ARM = ROOT / "config" / "arm.yaml"
VECTORS = 1000
TOL_MM = 0.1


@pytest.fixture(scope="module")
def fk_tool(tmp_path_factory):
    """pkg/ik's FK as a command (test/fk), built once."""
    exe = tmp_path_factory.mktemp("fk") / "fk"
    subprocess.run(["go", "build", "-o", str(exe), "./test/fk"], cwd=ROOT, check=True, timeout=300,
                   env=_go_env())
    return exe


def _go_env():
    import os
    return dict(os.environ, CGO_ENABLED="0")


def urdf_of(arm, tmp_path, *flags):
    out = subprocess.run([BIN / "aether_controller", "urdf", "--arm", arm, *flags], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    path = tmp_path / "arm.urdf"
    path.write_text(out.stdout)
    return yourdfpy.URDF.load(str(path), load_meshes=False, build_collision_scene_graph=False), out.stdout


def variant_arm(tmp_path):
    """A 4-joint arm with other lengths and zeros, servos that narrow two joints, a prismatic gripper."""
    arm = yaml.safe_load(ARM.read_text())
    k = arm["kinematics"]
    k.update(base_height=55, upper_arm=105, forearm=97.5, tool=42)
    k["joints"] = k["joints"][:4]
    k["joints"][0]["zero_deg"] = 10
    k["joints"][2]["zero_deg"] = -30
    k["park_deg"], k["home_deg"] = k["park_deg"][:4], k["home_deg"][:4]
    servos = [s for s in arm["servos"] if s["joint"] != "wrist_roll"]
    for i, s in enumerate(servos):
        s["channel"] = i
    servos[0].update(angle_min_deg=-60, angle_max_deg=70)  # base: narrower than the kinematics
    servos[3].update(angle_min_deg=-100, angle_max_deg=30)  # wrist pitch
    arm["servos"] = servos
    arm["gripper"] = {"joint": "finger_joint", "type": "prismatic", "open": 0.0, "closed": 0.018}
    path = tmp_path / "variant.yaml"
    path.write_text(yaml.safe_dump(arm))
    return path


def effective_limits(arm_path):
    """(name, lo, hi) per kinematic joint in the URDF frame: the arm file's limits narrowed by its
    servos' reach, computed here from the file as docs/design.md describes."""
    arm = yaml.safe_load(open(arm_path).read())
    out = []
    for j in arm["kinematics"]["joints"]:
        s = next(s for s in arm["servos"] if s["joint"] == j["name"])
        d = s.get("direction") or 1
        a, b = sorted(((s["angle_min_deg"] - s["offset_deg"]) * d, (s["angle_max_deg"] - s["offset_deg"]) * d))
        lo, hi = max(j["min_deg"], a + j["zero_deg"]), min(j["max_deg"], b + j["zero_deg"])
        out.append((j["name"], math.radians(lo - j["zero_deg"]), math.radians(hi - j["zero_deg"])))
    return out


@pytest.mark.parametrize("which", ["config/arm.yaml", "variant"])
def test_urdf_fk_matches_ik_at_random_joint_vectors(which, fk_tool, tmp_path):
    arm = ARM if which == "config/arm.yaml" else variant_arm(tmp_path)
    robot, _ = urdf_of(arm, tmp_path)
    limits = effective_limits(arm)
    rng = random.Random(13)
    vectors = [[rng.uniform(lo, hi) for _, lo, hi in limits] for _ in range(VECTORS)]
    ik = subprocess.run([fk_tool, arm], input="".join(json.dumps(v) + "\n" for v in vectors),
                        capture_output=True, text=True, timeout=60, check=True)
    points = [json.loads(line) for line in ik.stdout.splitlines()]
    assert len(points) == VECTORS
    worst = 0.0
    for q, want in zip(vectors, points):
        robot.update_cfg({name: v for (name, _, _), v in zip(limits, q)})
        got = robot.get_transform("tool_link", "base_link")[:3, 3] * 1000
        worst = max(worst, float(np.linalg.norm(got - np.array(want))))
    assert worst <= TOL_MM, f"URDF FK differs from pkg/ik by up to {worst:.4f} mm"


@pytest.mark.parametrize("which", ["config/arm.yaml", "variant"])
def test_urdf_joints_have_the_effective_limits_and_the_gripper_in_real_units(which, tmp_path):
    arm = ARM if which == "config/arm.yaml" else variant_arm(tmp_path)
    robot, text = urdf_of(arm, tmp_path)
    joints = {j.name: j for j in robot.robot.joints}
    for name, lo, hi in effective_limits(arm):
        j = joints[name]
        assert j.type == "revolute"
        assert (j.limit.lower, j.limit.upper) == pytest.approx((lo, hi), abs=1e-9), name
        assert j.limit.velocity > 0 and j.limit.effort > 0
    g = yaml.safe_load(open(arm).read())["gripper"]
    gj = joints[g["joint"]]
    assert gj.type == g["type"]
    assert (gj.limit.lower, gj.limit.upper) == pytest.approx(sorted((g["open"], g["closed"])))
    # Every moving link has a plausible inertia: positive mass, positive-definite tensor.
    for link in robot.robot.links:
        if link.inertial is None:
            assert link.name in ("world", "tool_link"), f"{link.name} has no inertia"
            continue
        assert link.inertial.mass > 0
        assert np.all(np.linalg.eigvalsh(link.inertial.inertia) > 0), link.name
    # gz_ros2_control drives every joint, position in, position and velocity out.
    assert "<plugin>gz_ros2_control/GazeboSimSystem</plugin>" in text
    for name in [n for n, _, _ in effective_limits(arm)] + [g["joint"]]:
        assert f'<joint name="{name}">' in text


def test_urdf_refuses_a_bad_arm_file_with_one_clear_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(ARM.read_text().replace("type: revolute", "type: hinge"))
    out = subprocess.run([BIN / "aether_controller", "urdf", "--arm", bad], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode != 0 and out.stdout == ""
    assert 'gripper.type: "hinge" is not "revolute" (radians) or "prismatic" (metres)' in out.stderr
