package bridge

import (
	"fmt"
	"sync"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/clock"
	"github.com/aether-lab/aether-bridge/pkg/hand"
)

// HandFrame is one /aether/hand message in bridge terms.
type HandFrame struct {
	Stamp      time.Time // capture time; zero = unstamped (e.g. ros2 topic pub): the time of receipt is used
	Detected   bool
	Palm       hand.Point // metres, tracker frame
	Pinch      float64    // 0 apart .. 1 touching
	Confidence float64    // 0..1
}

// HandStatus is hand tracking as /diagnostics shows it.
type HandStatus struct {
	Frames  uint64 // frames received
	Engaged bool
	Lost    bool
	Reason  string
	Warn    bool   // tracking was lost: worth a warning
	Message string // one line for humans
}

// HandInput turns hand-tracking frames into targets and gripper commands
// through the Core. It anchors relative motion on the arm's position as
// the controller reports it, and notices on a timer when frames stop
// coming, not only when the next one arrives. Close stops the timer.
type HandInput struct {
	core   *Core
	source string
	clk    clock.Clock

	mu      sync.Mutex
	mapping hand.Mapping  // what tracker was made from
	tracker *hand.Tracker // replaced when hand.* parameters change
	frames  uint64
	last    hand.Output // for the last frame, or the timer's loss
	lastAt  time.Time   // clock time of the last good frame; zero = none since the last loss

	stop      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// NewHandInput returns a HandInput for frames from source, mapped with m;
// clk drives the loss timer (nil = the real clock).
func NewHandInput(core *Core, source string, m hand.Mapping, clk clock.Clock) (*HandInput, error) {
	t, err := hand.NewTracker(m)
	if err != nil {
		return nil, fmt.Errorf("hand.* parameters: %w", err)
	}
	if clk == nil {
		clk = clock.Real()
	}
	h := &HandInput{core: core, source: source, clk: clk, mapping: m, tracker: t, stop: make(chan struct{})}
	tick := clk.NewTicker(lossCheckPeriod(t.Mapping().LossTimeout))
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer tick.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-tick.C():
				h.checkLoss(h.clk.Now())
			}
		}
	}()
	return h, nil
}

// lossCheckPeriod is how often the timer looks for a stalled hand stream.
func lossCheckPeriod(timeout time.Duration) time.Duration {
	return min(max(timeout/4, 10*time.Millisecond), 100*time.Millisecond)
}

// Close stops the loss timer. Calling it again is harmless.
func (h *HandInput) Close() {
	h.closeOnce.Do(func() { close(h.stop) })
	h.wg.Wait()
}

// SetMapping swaps in a tracker with a new mapping (live parameter
// change); tracking restarts, so the arm holds until the next good frame.
// An unchanged mapping (another parameter was set) keeps the tracker, with
// its filter, anchor and external clutch state.
func (h *HandInput) SetMapping(m hand.Mapping) error {
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

// SetClutch engages or releases the external clutch (the ~/clutch
// service); the error, for a bridge started with another hand.clutch,
// says how to start it.
func (h *HandInput) SetClutch(engaged bool) error {
	h.mu.Lock()
	t := h.tracker
	h.mu.Unlock()
	if c := t.Mapping().Clutch; c != hand.ClutchExternal {
		return fmt.Errorf("the clutch service needs the bridge started with hand.clutch %q (it has %q): add -p hand.clutch:=%s", hand.ClutchExternal, c, hand.ClutchExternal)
	}
	return t.SetClutch(engaged)
}

// Update handles one frame.
func (h *HandInput) Update(f HandFrame) {
	now := h.clk.Now()
	h.mu.Lock()
	t := h.tracker
	h.mu.Unlock()
	// Relative motion anchors on where the controller says the arm is, and
	// on nothing while that is unknown (a home on its way, no report yet).
	if p, ok := h.core.Position(); ok {
		_ = t.SetArmPosition(hand.Point{X: p.X, Y: p.Y, Z: p.Z})
	} else {
		t.ForgetArmPosition()
	}
	stamp := f.Stamp
	if stamp.IsZero() {
		stamp = now
	}
	out := t.Update(hand.Frame{Stamp: stamp, Detected: f.Detected, Palm: f.Palm, Pinch: f.Pinch, Confidence: f.Confidence})
	h.mu.Lock()
	h.frames++
	h.last = out
	if out.Tracked {
		h.lastAt = now
	}
	h.mu.Unlock()
	if out.Gripper != nil {
		h.core.Gripper(h.source, *out.Gripper)
	}
	if out.Target != nil {
		h.core.Target(h.source, "", out.Target.X, out.Target.Y, out.Target.Z)
	}
}

// checkLoss ends tracking when no good frame came for LossTimeout.
func (h *HandInput) checkLoss(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	timeout := h.tracker.Mapping().LossTimeout
	if h.lastAt.IsZero() || now.Sub(h.lastAt) < timeout {
		return
	}
	h.lastAt = time.Time{}
	h.last = h.tracker.Lose(fmt.Sprintf("no hand frame for %v: tracking lost, the arm holds; the next engagement re-anchors on the arm's reported position", timeout))
}

// Status reports hand tracking for /diagnostics: quiet until the first
// frame, then whether the hand is tracked, engaged or lost, and why.
func (h *HandInput) Status() HandStatus {
	h.mu.Lock()
	frames, out := h.frames, h.last
	h.mu.Unlock()
	st := HandStatus{Frames: frames, Engaged: out.Engaged, Lost: out.Lost, Reason: out.Reason}
	switch {
	case frames == 0:
		st.Message = "no hand-tracking frames yet"
	case out.Lost:
		st.Warn, st.Message = true, "tracking lost: the arm holds"
	case out.Engaged:
		st.Message = "tracking, engaged"
	default:
		st.Message = "tracking, not engaged"
	}
	return st
}
