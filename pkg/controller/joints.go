package controller

import (
	"strings"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// jointTarget validates a joint-space command — one angle in degrees per
// kinematic joint, model frame — against the limits IK targets meet: each
// joint within its limits (narrowed to what its servo reaches, as in the
// hello reply) and the tool point inside the workspace box. It returns the
// target in radians, or the error reply.
func (s *Server) jointTarget(id protocol.ID, deg []float64) ([]float64, *protocol.Response) {
	joints := s.model.Joints
	if len(deg) != len(joints) {
		names := make([]string, len(joints))
		for i, j := range joints {
			names[i] = j.Name
		}
		r := protocol.Fail(id, protocol.CodeOutOfRange, `field "joints" has %d angles: this arm has %d joints, %s (degrees, model frame)`,
			len(deg), len(joints), strings.Join(names, ", "))
		return nil, &r
	}
	q := make([]float64, len(deg))
	for i, j := range joints {
		if deg[i] < j.MinDeg-1e-9 || deg[i] > j.MaxDeg+1e-9 {
			r := protocol.Fail(id, protocol.CodeJointLimit, "joints[%d] (%s) is %g°: outside its limits %g°..%g°", i, j.Name, deg[i], j.MinDeg, j.MaxDeg)
			return nil, &r
		}
		q[i] = rad(deg[i])
	}
	p, err := s.model.FK(q)
	if err != nil {
		r := protocol.Fail(id, protocol.CodeInternal, "forward kinematics failed: %v", err)
		return nil, &r
	}
	if !s.model.Workspace.Contains(p) {
		r := protocol.Fail(id, protocol.CodeOutOfRange, "these joint angles put the tool at %s, outside the workspace box %s..%s",
			p, s.model.Workspace.Min, s.model.Workspace.Max)
		return nil, &r
	}
	return q, nil
}
