// Package hand turns hand-tracking frames into arm targets: a palm position
// becomes a target point in the arm base frame and a pinch becomes a gripper
// command.
//
// It is pure computation for the ROS node (pkg/node): no ROS, no cgo, no
// clock. Time comes from the frames' timestamps, so tests replay frames with
// chosen stamps and never sleep.
//
// # Units and frames
//
// Everything is in metres. Palm positions are in the tracker's frame, targets
// in the arm base frame (REP 103: x forward, y left, z up); Mapping.AxisMap
// relates the two. The gripper is 0 = open, 1 = closed, as on the wire.
//
// # Clutch
//
// The arm moves relatively: when engagement starts, the arm's position at
// that moment becomes the anchor and the target follows the scaled hand
// displacement since then. Releasing and re-engaging (a clutch) therefore
// never makes the arm jump, and the hand can be repositioned while
// disengaged. Tracking loss disengages and resets the filter.
package hand
