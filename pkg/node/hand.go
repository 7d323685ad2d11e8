package node

import (
	"fmt"
	"time"
	"unsafe"

	aether "github.com/aether-lab/aether-bridge/msgs/gen/aether_msgs/msg"
	stdsrv "github.com/aether-lab/aether-bridge/msgs/gen/std_srvs/srv"
	"github.com/aether-lab/aether-bridge/pkg/bridge"
	"github.com/aether-lab/aether-bridge/pkg/hand"
)

// ServiceClutch engages (true) or releases (false) the hand clutch when
// hand.clutch is "external".
const ServiceClutch = "~/clutch"

// handFrame converts a HandState message; a zero stamp stays zero (the
// bridge times it by its arrival).
func handFrame(m *aether.HandState) bridge.HandFrame {
	var stamp time.Time
	if m.Header.Stamp.Sec != 0 || m.Header.Stamp.Nanosec != 0 {
		stamp = time.Unix(int64(m.Header.Stamp.Sec), int64(m.Header.Stamp.Nanosec))
	}
	return bridge.HandFrame{Stamp: stamp, Detected: m.Detected, Palm: hand.Point{X: m.Palm.X, Y: m.Palm.Y, Z: m.Palm.Z},
		Pinch: m.Pinch, Confidence: m.Confidence}
}

// createClutchService serves ~/clutch (std_srvs/SetBool).
func (n *Node) createClutchService() error {
	return serve(n, ServiceClutch, stdsrv.SetBoolTypeSupport, unsafe.Sizeof(stdsrv.CSetBool_Response{}),
		func(req *stdsrv.SetBool_Request) *stdsrv.SetBool_Response {
			resp := stdsrv.NewSetBool_Response()
			if err := n.hand.SetClutch(req.Data); err != nil {
				resp.Message = err.Error()
			} else {
				resp.Success, resp.Message = true, fmt.Sprintf("hand clutch engaged=%v", req.Data)
			}
			return resp
		})
}
