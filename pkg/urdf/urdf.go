// Package urdf generates the arm's robot model (URDF) from its arm file:
// one link per kinematic joint with simple cylinder geometry and the
// inertia of a solid plastic cylinder, revolute joints whose limits are the
// effective ones (kinematic limits narrowed by the servos, as
// aether_controller uses them), the gripper as a joint in real units, and a
// <ros2_control> block for gz_ros2_control. It is the one place the robot
// model is written: `aether_controller urdf --arm FILE` prints it and the
// bridge publishes it on robot_description.
//
// Frames follow pkg/ik's model frame (REP 103, x forward, z up) shifted by
// each joint's zero_deg, so a URDF joint position is the servo/URDF angle
// of ik.Model.ToExternal: FK of the URDF equals ik.Model.FK.
package urdf

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"

	"github.com/aether-lab/aether-bridge/pkg/armfile"
)

// Options tunes the generated model.
type Options struct {
	// BaseFrame is the root link the arm stands on, the bridge's
	// base_frame. "" means "base_link".
	BaseFrame string
	// ToolFrame is a frame at the tool point (what IK positions). ""
	// means "tool_link".
	ToolFrame string
	// ControllersFile, when set, is the absolute path of the
	// ros2_controllers YAML that gz_ros2_control loads (config/controllers.yaml).
	// "" leaves it to the spawners' --param-file.
	ControllersFile string
	// Namespace, when set, is the ROS namespace of gz_ros2_control's
	// controller manager (e.g. "/arm2"); "" means the root.
	Namespace string
}

func (o *Options) setDefaults() {
	if o.BaseFrame == "" {
		o.BaseFrame = "base_link"
	}
	if o.ToolFrame == "" {
		o.ToolFrame = "tool_link"
	}
}

// Link names derived from the arm; LinkFor names the link a joint moves.
const worldLink = "world"

// LinkFor returns the name of the link that joint moves: "<joint>_link".
func LinkFor(joint string) string { return joint + "_link" }

// Generate returns the URDF of a (a valid arm, as armfile.Load returns).
func Generate(a armfile.Arm, opts Options) ([]byte, error) {
	opts.setDefaults()
	if err := a.Validate(); err != nil {
		return nil, fmt.Errorf("arm file: %w", err)
	}
	r, err := build(a, opts)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("urdf: encoding: %w", err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// Sizes of the simple geometry, metres, and the material density used for
// inertias (a printed-plastic arm: PLA, ~1250 kg/m³, solid).
const (
	density       = 1250.0
	minMass       = 0.01 // kg: light enough not to matter, heavy enough for a physics engine
	minLength     = 0.01 // m: geometry for a zero-length link
	baseRadius    = 0.05
	baseThickness = 0.02
	columnRadius  = 0.025
	upperRadius   = 0.015
	foreRadius    = 0.012
	toolRadius    = 0.01
	effortNm      = 2.5 // hobby-servo stall torque class, N·m
	gripperEffort = 10  // N (prismatic) or N·m
)

// build lays out the chain world → base → yaw → shoulder → elbow → wrist
// pitch (→ wrist roll) → tool, plus the gripper.
func build(a armfile.Arm, o Options) (*robot, error) {
	m := a.Kinematics
	lo, hi := a.Limits()
	speed := a.Motion.MaxJointSpeedDegS * math.Pi / 180
	r := &robot{Name: a.Name, Comment: xml.Comment(" Generated from the arm file by aether_controller urdf (pkg/urdf); do not edit: regenerate. ")}
	names := map[string]bool{}
	addLink := func(l urdfLink) error {
		if names[l.Name] {
			return fmt.Errorf("urdf: two links would be named %q; rename a joint in the arm file", l.Name)
		}
		names[l.Name] = true
		r.Links = append(r.Links, l)
		return nil
	}
	mm := func(v float64) float64 { return v / 1000 }
	if err := addLink(urdfLink{Name: worldLink}); err != nil {
		return nil, err
	}
	if err := addLink(cylinderLink(o.BaseFrame, baseRadius, baseThickness, axisZ)); err != nil {
		return nil, err
	}
	r.Joints = append(r.Joints, urdfJoint{Name: "world_to_" + o.BaseFrame, Type: "fixed",
		Parent: ref{worldLink}, Child: ref{o.BaseFrame}, Origin: pose{}})
	// Per kinematic joint: the link it moves, its geometry, and where it sits on its parent.
	type seg struct {
		radius, length float64
		along          axis
		at             [3]float64 // origin on the parent link, m
		axis           string
		rpy            [3]float64 // the joint's zero offset
	}
	zero := func(i int) float64 { return m.Joints[i].ZeroDeg * math.Pi / 180 }
	segs := []seg{
		{columnRadius, mm(m.BaseHeight), axisZ, [3]float64{}, "0 0 1", [3]float64{0, 0, zero(0)}},
		{upperRadius, mm(m.UpperArm), axisX, [3]float64{0, 0, mm(m.BaseHeight)}, "0 -1 0", [3]float64{0, -zero(1), 0}},
		{foreRadius, mm(m.Forearm), axisX, [3]float64{mm(m.UpperArm), 0, 0}, "0 -1 0", [3]float64{0, -zero(2), 0}},
		{toolRadius, mm(m.Tool), axisX, [3]float64{mm(m.Forearm), 0, 0}, "0 -1 0", [3]float64{0, -zero(3), 0}},
	}
	if len(m.Joints) == 5 {
		// The roll link carries the tool; the pitch link is only the wrist.
		segs[3].length = minLength
		segs = append(segs, seg{toolRadius, mm(m.Tool), axisX, [3]float64{}, "1 0 0", [3]float64{zero(4), 0, 0}})
	}
	parent := o.BaseFrame
	for i, s := range segs {
		j := m.Joints[i]
		child := LinkFor(j.Name)
		if err := addLink(cylinderLink(child, s.radius, s.length, s.along)); err != nil {
			return nil, err
		}
		r.Joints = append(r.Joints, urdfJoint{Name: j.Name, Type: "revolute", Parent: ref{parent}, Child: ref{child},
			Origin: pose{XYZ: s.at, RPY: s.rpy}, Axis: &xyzAttr{s.axis},
			Limit:    &limit{Lower: lo[i] - zero(i), Upper: hi[i] - zero(i), Effort: effortNm, Velocity: speed},
			Dynamics: &dynamics{Damping: 0.1, Friction: 0}})
		parent = child
	}
	if err := addLink(urdfLink{Name: o.ToolFrame}); err != nil {
		return nil, err
	}
	r.Joints = append(r.Joints, urdfJoint{Name: o.ToolFrame + "_joint", Type: "fixed", Parent: ref{parent},
		Child: ref{o.ToolFrame}, Origin: pose{XYZ: [3]float64{mm(m.Tool), 0, 0}}})
	if err := addGripper(r, a, parent, mm(m.Tool), addLink); err != nil {
		return nil, err
	}
	r.Control = control(a)
	r.Gazebo = gazeboPlugin(o)
	return r, nil
}

// addGripper adds a jaw link on the gripper joint, near the tool point.
func addGripper(r *robot, a armfile.Arm, parent string, tool float64, addLink func(urdfLink) error) error {
	g := a.Gripper
	jaw := LinkFor(g.Joint)
	l := boxLink(jaw, [3]float64{0.03, 0.005, 0.015}, [3]float64{0.015, 0, 0})
	if err := addLink(l); err != nil {
		return err
	}
	lo, hi := g.Limits()
	ax := "0 0 1" // a revolute jaw swings in the tool's plane
	if g.Type == armfile.GripperPrismatic {
		ax = "0 1 0" // a prismatic jaw slides sideways
	}
	stroke := (hi - lo) * a.Motion.GripperSpeedPerS
	r.Joints = append(r.Joints, urdfJoint{Name: g.Joint, Type: g.Type, Parent: ref{parent}, Child: ref{jaw},
		Origin: pose{XYZ: [3]float64{max(tool-0.03, 0), 0, 0}}, Axis: &xyzAttr{ax},
		Limit:    &limit{Lower: lo, Upper: hi, Effort: gripperEffort, Velocity: stroke},
		Dynamics: &dynamics{Damping: 0.1}})
	return nil
}

// control is the <ros2_control> block: every joint position-commanded,
// position and velocity read back, starting at home (gripper open).
func control(a armfile.Arm) *ros2Control {
	c := &ros2Control{Name: "GazeboSimSystem", Type: "system",
		Hardware: hardware{Plugin: "gz_ros2_control/GazeboSimSystem"}}
	home, _ := a.Kinematics.ToExternal(a.HomePose()) // a valid arm: lengths match
	for i, j := range a.Kinematics.Joints {
		c.Joints = append(c.Joints, controlJoint(j.Name, home[i]))
	}
	c.Joints = append(c.Joints, controlJoint(a.Gripper.Joint, a.Gripper.Open))
	return c
}

func controlJoint(name string, initial float64) ctlJoint {
	return ctlJoint{Name: name,
		Command: []iface{{Name: "position"}},
		State: []iface{{Name: "position", Params: []param{{Name: "initial_value", Value: fmt.Sprint(initial)}}},
			{Name: "velocity"}}}
}

func gazeboPlugin(o Options) *gazebo {
	p := &gzPlugin{Filename: "gz_ros2_control-system", Name: "gz_ros2_control::GazeboSimROS2ControlPlugin",
		Parameters: o.ControllersFile}
	if o.Namespace != "" && o.Namespace != "/" {
		p.ROS = &gzROS{Namespace: o.Namespace}
	}
	return &gazebo{Plugin: p}
}
