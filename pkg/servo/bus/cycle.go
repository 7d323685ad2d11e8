package bus

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/servo"
	"github.com/aether-lab/aether-bridge/pkg/servo/tty"
)

// MaxTorqueOnStep is how far, in ticks, a goal may lie from a servo's
// measured position when torque is switched on (57 ticks = 5° at 4096 per
// turn): the controller starts from the measured pose, so a larger step
// means a joint rests outside its calibrated range and would jump to it.
const MaxTorqueOnStep = 57

// Write sends every goal in one SYNC WRITE (turning torque on first if it
// was off), then reads the positions back (one SYNC READ). The goals are
// checked against the calibrations before anything is sent. While a fault
// is latched nothing is sent and the error wraps servo.ErrFault. Torque is
// only turned on if every servo's position was read in the previous cycle
// and every goal lies within MaxTorqueOnStep of it, so the arm cannot jump.
func (b *Backend) Write(joints []float64, gripper float64) error {
	ticks, err := b.cals.Ticks(joints, gripper)
	if err != nil {
		return fmt.Errorf("%s: %w", b.name, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usable(); err != nil {
		return err
	}
	if b.fault != nil {
		return fmt.Errorf("%s: %w", b.name, b.fault)
	}
	data := make([]byte, 0, len(ticks)*b.tab.GoalLen)
	for _, t := range ticks {
		data = b.fam.AppendGoal(data, t)
	}
	b.buf = b.fam.AppendSyncWrite(b.buf[:0], b.tab.GoalPosition, b.tab.GoalLen, b.ids, data)
	enable := !b.torque
	if enable {
		if i := slices.Index(b.fresh, false); i >= 0 {
			return errors.Join(fmt.Errorf("%s: %s: position not read in the last cycle; torque stays off until it answers", b.name, b.label(i)),
				b.sense()) // read again, so the next try can succeed
		}
		for i, t := range ticks {
			if d := t - b.ticks[i]; d > MaxTorqueOnStep || d < -MaxTorqueOnStep {
				return errors.Join(b.sense(), fmt.Errorf("%s: %s: its goal %d is %d ticks from where it is (%d); torque stays off so the arm does not jump (is the joint outside its calibrated range %d..%d? move it inside by hand)",
					b.name, b.label(i), t, d, b.ticks[i], b.cals[i].TickMin, b.cals[i].TickMax))
			}
		}
		on := make([]byte, len(b.ids))
		for i := range on {
			on[i] = 1
		}
		b.buf = b.fam.AppendSyncWrite(b.buf, b.tab.TorqueEnable, 1, b.ids, on)
	}
	if err := b.send(b.buf); err != nil {
		return fmt.Errorf("%s: goal positions: %w", b.name, err)
	}
	b.torque = true
	return b.sense()
}

// Sense reads positions (and, every TelemetryEvery cycles, telemetry)
// without commanding anything.
func (b *Backend) Sense() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usable(); err != nil {
		return err
	}
	return b.sense()
}

// sense runs one SYNC READ. Servos that do not answer within ReplyTimeout
// are counted and skipped (their last position stays, marked not fresh).
// Called with b.mu held.
func (b *Backend) sense() error {
	b.cycle++
	addr, n := b.tab.PresentPosition, b.tab.PresentLen
	telemetry := b.cycle%b.cfg.TelemetryEvery == 0
	if telemetry {
		addr, n = b.tab.TelemetryAddr, b.tab.TelemetryLen
	}
	b.flush()
	b.buf = b.fam.AppendSyncRead(b.buf[:0], addr, n, b.ids)
	if err := b.send(b.buf); err != nil {
		return fmt.Errorf("%s: sync read: %w", b.name, err)
	}
	replies := b.collect(len(b.ids), n)
	for i := range b.fresh {
		b.fresh[i] = false
	}
	var flagged []Status
	for _, st := range replies {
		i := slices.Index(b.ids, st.ID)
		if i < 0 || b.fresh[i] {
			continue
		}
		b.fresh[i] = true
		if telemetry {
			t := b.fam.Telemetry(st.Data)
			b.ticks[i] = t.Position
			h := &b.health[i]
			h.LoadPct, h.Volts, h.TempC, h.Moving = t.Load, t.Volts, t.TempC, t.Moving
		} else {
			b.ticks[i] = b.fam.Position(st.Data)
		}
		if st.Err != 0 {
			flagged = append(flagged, st)
		}
	}
	for _, ok := range b.fresh {
		if !ok {
			b.timeouts++
		}
	}
	b.at = time.Now()
	b.checkFaults(flagged)
	return nil
}

// collect reads up to want replies with n data bytes each, until the reply
// budget runs out. Broken packets are counted as timeouts.
func (b *Backend) collect(want, n int) []Status {
	deadline := time.Now().Add(b.cfg.ReplyTimeout)
	_ = b.port.SetReadDeadline(deadline)
	var out []Status
	for len(out) < want && time.Now().Before(deadline) {
		st, err := b.fam.ReadStatus(b.r)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return out
			}
			continue // checksum error, partial packet, a failing port: skip it until the budget ends
		}
		if len(st.Data) == n {
			out = append(out, st)
		}
	}
	return out
}

// read is one READ transaction: n bytes of id's table from addr.
func (b *Backend) read(id byte, addr, n int) ([]byte, error) {
	b.flush()
	b.buf = b.fam.AppendRead(b.buf[:0], id, addr, n)
	if err := b.send(b.buf); err != nil {
		return nil, err
	}
	st, err := b.reply(id)
	if err != nil {
		return nil, err
	}
	if len(st.Data) != n {
		return nil, fmt.Errorf("id %d returned %d bytes for a %d-byte read", id, len(st.Data), n)
	}
	return st.Data, nil
}

// reply waits for id's status packet within the reply budget.
func (b *Backend) reply(id byte) (Status, error) {
	_ = b.port.SetReadDeadline(time.Now().Add(b.cfg.ReplyTimeout))
	for {
		st, err := b.fam.ReadStatus(b.r)
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			return Status{}, fmt.Errorf("no reply within %v", b.cfg.ReplyTimeout)
		case err != nil:
			return Status{}, err
		case st.ID == id:
			return st, nil
		}
	}
}

// sendReply implements SendFunc for Family.Recover.
func (b *Backend) sendReply(pkt []byte, id byte) (Status, error) {
	b.flush()
	if err := b.send(pkt); err != nil {
		return Status{}, err
	}
	return b.reply(id)
}

// flush drops stale input: buffered bytes and what the tty holds.
func (b *Backend) flush() {
	_, _ = b.r.Discard(b.r.Buffered())
	if f, ok := b.port.(*os.File); ok {
		_ = tty.FlushInput(f)
	}
}

// checkFaults latches the first fault reported by flagged replies. A servo
// already latched is not asked again: its flags stay set until Recover, and
// asking (a DYNAMIXEL READ) would cost a reply budget every cycle.
func (b *Backend) checkFaults(flagged []Status) {
	for _, st := range flagged {
		if slices.Contains(b.faulted, st.ID) {
			continue
		}
		i := slices.Index(b.ids, st.ID)
		flags, err := b.fam.Faults(st, b.read)
		if err != nil || flags == 0 {
			continue
		}
		b.health[i].Flags = flags.Names()
		b.faulted = append(b.faulted, st.ID)
		if b.fault == nil {
			b.fault = fmt.Errorf("%w: %s reports %s; the arm is held: remove the cause (let it cool, free the joint, check the supply), then switch torque on to recover",
				servo.ErrFault, b.label(i), flags)
		}
	}
}

// Measured implements servo.Feedback.
func (b *Backend) Measured() servo.Measurement {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := servo.Measurement{At: b.at, Torque: b.torque, Fault: b.fault, Timeouts: b.timeouts,
		Servos: slices.Clone(b.health)}
	for i, c := range b.cals {
		v := c.AngleForTicks(b.ticks[i])
		if c.IsGripper() {
			m.Gripper = min(max(v, 0), 1)
			continue
		}
		m.Joints = append(m.Joints, v)
	}
	return m
}

// Recover implements servo.Feedback: it resets each faulted servo the way
// its make needs, clears the latch and re-reads every position. Torque
// stays off until the next Write.
func (b *Backend) Recover() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usable(); err != nil {
		return err
	}
	budget := b.cfg.ReplyTimeout
	b.cfg.ReplyTimeout = max(budget, startReplyTimeout) // a rebooting servo takes its time
	defer func() { b.cfg.ReplyTimeout = budget }()
	for _, id := range b.faulted {
		if err := b.fam.Recover(id, b.sendReply); err != nil {
			return fmt.Errorf("%s: recover id %d: %w", b.name, id, err)
		}
	}
	b.faulted, b.fault, b.torque = nil, nil, false
	for i := range b.health {
		b.health[i].Flags = nil
	}
	return b.sense()
}
