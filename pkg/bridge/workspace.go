package bridge

import (
	"fmt"

	"github.com/aether-lab/aether-bridge/pkg/ik"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// checkWorkspace checks a finite target in metres against the arm's
// workspace box before it is turned into millimetres, so a target far out
// (x = 1e308 m, which is +Inf in mm) is reported with the value that was
// sent and the limit, in metres. With clamp it instead returns the target
// moved into the box, as IK's clamping would.
func checkWorkspace(box ik.Box, xm, ym, zm float64, clamp bool) (float64, float64, float64, error) {
	axes := [3]struct {
		name      string
		v, lo, hi float64
	}{{"x", xm, box.Min.X / 1000, box.Max.X / 1000}, {"y", ym, box.Min.Y / 1000, box.Max.Y / 1000}, {"z", zm, box.Min.Z / 1000, box.Max.Z / 1000}}
	for i := range axes {
		a := &axes[i]
		if clamp {
			a.v = min(max(a.v, a.lo), a.hi)
			continue
		}
		what, lim := "", 0.0
		switch {
		case a.v < a.lo:
			what, lim = "below the workspace minimum", a.lo
		case a.v > a.hi:
			what, lim = "above the workspace maximum", a.hi
		default:
			continue
		}
		return 0, 0, 0, &ackError{code: protocol.CodeOutOfRange, msg: fmt.Sprintf(
			"%s = %g m is %s %g m: send targets inside the workspace, x %g..%g m, y %g..%g m, z %g..%g m (or set clamp_to_workspace)",
			a.name, a.v, what, lim, axes[0].lo, axes[0].hi, axes[1].lo, axes[1].hi, axes[2].lo, axes[2].hi)}
	}
	return axes[0].v, axes[1].v, axes[2].v, nil
}
