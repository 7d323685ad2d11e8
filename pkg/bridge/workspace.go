package bridge

import (
	"fmt"

	"github.com/aether-lab/aether-bridge/pkg/ik"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// checkWorkspace checks a finite target p in metres against the arm's
// workspace box (mm) before p is turned into millimetres, so a target far
// out (x = 1e308 m, which is +Inf in mm) is reported with the value that
// was sent and the limit, in metres. With clamp it instead returns p moved
// into the box, as IK's clamping would.
func checkWorkspace(box ik.Box, p ik.Point, clamp bool) (ik.Point, error) {
	m := ik.Box{Min: *metres(box.Min), Max: *metres(box.Max)}
	if clamp {
		return m.Clamp(p), nil
	}
	v, out := m.Violation(p)
	if !out {
		return p, nil
	}
	return ik.Point{}, &ackError{code: protocol.CodeOutOfRange, msg: fmt.Sprintf(
		"%s = %g m is %s %g m: send targets inside the workspace, x %g..%g m, y %g..%g m, z %g..%g m (or set clamp_to_workspace)",
		v.Axis, v.Value, v.Side(), v.Limit, m.Min.X, m.Max.X, m.Min.Y, m.Max.Y, m.Min.Z, m.Max.Z)}
}
