package armfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A calibration as `lerobot-calibrate` writes it for an SO-101 follower.
const leRobotSO101 = `{
    "shoulder_pan": {"id": 1, "drive_mode": 0, "homing_offset": -1047, "range_min": 758, "range_max": 3292},
    "shoulder_lift": {"id": 2, "drive_mode": 0, "homing_offset": 1051, "range_min": 818, "range_max": 3222},
    "elbow_flex": {"id": 3, "drive_mode": 1, "homing_offset": -1190, "range_min": 920, "range_max": 3132},
    "wrist_flex": {"id": 4, "drive_mode": 0, "homing_offset": -2002, "range_min": 865, "range_max": 3231},
    "wrist_roll": {"id": 5, "drive_mode": 0, "homing_offset": 1213, "range_min": 110, "range_max": 3999},
    "gripper": {"id": 6, "drive_mode": 0, "homing_offset": 1336, "range_min": 2030, "range_max": 3478}
}`

func TestApplyLeRobot(t *testing.T) {
	arm, err := Load("../../config/so101.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "my_arm.json")
	os.WriteFile(p, []byte(leRobotSO101), 0o600)
	a, err := LoadLeRobot(p, arm)
	if err != nil {
		t.Fatal(err)
	}
	elbow := a.Servos[2]
	if *elbow.ID != 3 || elbow.TickMin != 920 || elbow.TickMax != 3132 || elbow.OffsetTicks != 2026 || elbow.Direction != -1 {
		t.Fatalf("elbow_flex calibration %+v %+v", elbow, elbow.BusCal)
	}
	g := a.Servos[5]
	if g.TickMin != 2030 || g.TickMax != 3478 || g.OffsetTicks != 0 || g.Direction != arm.Servos[5].Direction {
		t.Fatalf("gripper calibration %+v", g.BusCal)
	}
	for _, c := range []struct{ from, to, want string }{
		{`"wrist_roll"`, `"wrist_rol"`, `motor "wrist_rol": not a joint of the arm file`},
		{`"range_max": 3999`, `"range_max": 5000`, "tick_max: 5000 is outside 0..4095"},
		{`"drive_mode": 1`, `"drive_mode": 2`, `motor "elbow_flex": drive_mode 2 is not 0 or 1`},
		{`"homing_offset": 1336,`, `"homing_offset": 1336, "offset": 3,`, `unknown field "offset"`},
	} {
		if _, err := ApplyLeRobot([]byte(strings.Replace(leRobotSO101, c.from, c.to, 1)), arm); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s → %s: %v, want %q", c.from, c.to, err, c.want)
		}
	}
	if _, err := ApplyLeRobot([]byte(leRobotSO101), Default()); err == nil || !strings.Contains(err.Error(), "names its servos by channel") {
		t.Errorf("PWM arm: %v", err)
	}
}
