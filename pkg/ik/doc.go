// Package ik is the kinematics of the lab's hobby robot arm: an arm model
// loaded from YAML, forward kinematics (FK) and analytic inverse kinematics
// (IK). It is pure computation: no I/O beyond parsing bytes, no goroutines.
//
// # Units and frames
//
// YAML and the exported Model fields speak millimetres and degrees,
// because people edit them. Every method takes and returns radians and
// millimetres. Points are in the arm's base frame (REP 103): x forward,
// y left, z up, origin on the base plate under the base yaw axis.
//
// # Joint conventions (the "model" frame)
//
// Joints come in this order: base yaw, shoulder pitch, elbow pitch, wrist
// pitch, and optionally wrist roll. The gripper is not part of IK.
//
//   - base yaw: rotation about +z; 0 = arm points along +x, positive turns
//     towards +y (counter-clockwise seen from above).
//   - shoulder pitch: angle of the upper arm above horizontal; 0 =
//     horizontal, forward; +90° = straight up.
//   - elbow pitch: angle of the forearm relative to the upper arm; 0 =
//     straight, negative = bent downwards.
//   - wrist pitch: angle of the tool relative to the forearm; 0 = in line.
//   - wrist roll: about the tool axis; it does not move the tool point and
//     IK always returns 0 for it.
//
// Pitch joints therefore turn about the arm's right-hand axis (URDF axis
// "0 -1 0"): positive raises. The tool pitch (angle of the tool above
// horizontal) is shoulder + elbow + wrist. Joint.ZeroDeg converts between
// this frame and the servo's/URDF's frame (see Model.ToExternal); limits,
// home and park poses are all given in the model frame.
//
// # IK
//
// IK is closed form for a given tool pitch. The base yaw points the arm at the target; if that
// yaw is outside the base limits or yields no solution, IK tries pointing
// directly away from it, with the arm reaching back over its top. The tool pitch comes from the wrist policy
// (see WristPolicy), which fixes the wrist centre; the shoulder and elbow
// then solve a two-link triangle on the elbow ≤ 0 branch, which is
// elbow-up for targets in front of the shoulder. See Model.IK for how
// clamping picks the "nearest" reachable point.
package ik
