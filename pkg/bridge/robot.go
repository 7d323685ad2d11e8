package bridge

import "github.com/aether-lab/aether-bridge/pkg/urdf"

// RobotDescription is the URDF the bridge publishes on robot_description:
// the arm file's model as `aether_controller urdf` prints it, rooted at
// base_frame.
func (s Settings) RobotDescription() (string, error) {
	b, err := urdf.Generate(s.Robot, urdf.Options{BaseFrame: s.BaseFrame})
	return string(b), err
}
