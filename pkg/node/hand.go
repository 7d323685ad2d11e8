package node

import (
	"fmt"
	"sync"
	"time"

	"github.com/tiiuae/rclgo/pkg/rclgo"

	aether "github.com/aether-lab/aether-bridge/msgs/gen/aether_msgs/msg"
	diag "github.com/aether-lab/aether-bridge/msgs/gen/diagnostic_msgs/msg"
	stdsrv "github.com/aether-lab/aether-bridge/msgs/gen/std_srvs/srv"
	"github.com/aether-lab/aether-bridge/pkg/bridge"
	"github.com/aether-lab/aether-bridge/pkg/hand"
)

// ServiceClutch engages (true) or releases (false) the hand clutch when
// hand.clutch is "external".
const ServiceClutch = "~/clutch"

// handInput turns /aether/hand frames into targets and gripper commands.
type handInput struct {
	core      *bridge.Core
	baseFrame string

	mu      sync.Mutex
	mapping hand.Mapping  // what tracker was made from
	tracker *hand.Tracker // replaced when hand.* parameters change
	frames  uint64        // HandState messages received
	last    hand.Output   // the tracker's output for the last frame
}

func newHandInput(core *bridge.Core, s bridge.Settings) (*handInput, error) {
	t, err := hand.NewTracker(s.Hand)
	if err != nil {
		return nil, fmt.Errorf("hand.* parameters: %w", err)
	}
	return &handInput{core: core, baseFrame: s.BaseFrame, mapping: s.Hand, tracker: t}, nil
}

// setMapping swaps in a tracker with a new mapping (live parameter change);
// tracking restarts, so the arm holds until the next good frame. An
// unchanged mapping (another parameter was set) keeps the tracker, with its
// filter, anchor and external clutch state.
func (h *handInput) setMapping(m hand.Mapping) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if m == h.mapping {
		return nil
	}
	t, err := hand.NewTracker(m)
	if err != nil {
		return err
	}
	h.mapping, h.tracker = m, t
	return nil
}

func (h *handInput) current() *hand.Tracker {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.tracker
}

func (h *handInput) update(m *aether.HandState) {
	t := h.current()
	// The tracker anchors relative motion on where the controller says the arm is.
	if p, ok := h.core.Position(); ok {
		_ = t.SetArmPosition(hand.Point{X: p.X, Y: p.Y, Z: p.Z})
	}
	stamp := time.Unix(int64(m.Header.Stamp.Sec), int64(m.Header.Stamp.Nanosec))
	if m.Header.Stamp.Sec == 0 && m.Header.Stamp.Nanosec == 0 {
		stamp = time.Now() // unstamped (e.g. ros2 topic pub): use the time of receipt
	}
	out := t.Update(hand.Frame{
		Stamp:      stamp,
		Detected:   m.Detected,
		Palm:       hand.Point{X: m.Palm.X, Y: m.Palm.Y, Z: m.Palm.Z},
		Pinch:      m.Pinch,
		Confidence: m.Confidence,
	})
	h.mu.Lock()
	h.frames++
	h.last = out
	h.mu.Unlock()
	if out.Gripper != nil {
		h.core.Gripper(TopicHand, *out.Gripper)
	}
	if out.Target != nil {
		h.core.Target(TopicHand, h.baseFrame, out.Target.X, out.Target.Y, out.Target.Z)
	}
}

// createClutchService serves ~/clutch (std_srvs/SetBool).
func (n *Node) createClutchService() error {
	_, err := stdsrv.NewSetBoolService(n.node, ServiceClutch, nil,
		func(_ *rclgo.ServiceInfo, req *stdsrv.SetBool_Request, send stdsrv.SetBoolServiceResponseSender) {
			resp := stdsrv.NewSetBool_Response()
			if err := n.hand.current().SetClutch(req.Data); err != nil {
				resp.Message = err.Error()
			} else {
				resp.Success, resp.Message = true, fmt.Sprintf("hand clutch engaged=%v", req.Data)
			}
			if err := send.SendResponse(resp); err != nil {
				n.log.Error("sending service response", "err", err)
			}
		})
	if err != nil {
		return fmt.Errorf("creating service %s: %w", ServiceClutch, err)
	}
	return nil
}

// diagnostics reports hand tracking for /diagnostics: silent until the first
// frame, then whether the hand is tracked, engaged or lost, and why.
func (h *handInput) diagnostics() diag.DiagnosticStatus {
	h.mu.Lock()
	frames, out := h.frames, h.last
	h.mu.Unlock()
	st := diag.DiagnosticStatus{Name: "aether_bridge: hand", HardwareId: TopicHand, Level: diag.DiagnosticStatus_OK}
	switch {
	case frames == 0:
		st.Message = "no hand-tracking frames yet"
	case out.Lost:
		st.Level, st.Message = diag.DiagnosticStatus_WARN, "tracking lost: the arm holds"
	case out.Engaged:
		st.Message = "tracking, engaged"
	default:
		st.Message = "tracking, clutch released"
	}
	st.Values = []diag.KeyValue{kv("frames", frames), kv("engaged", out.Engaged), kv("lost", out.Lost), kv("reason", out.Reason)}
	return st
}
