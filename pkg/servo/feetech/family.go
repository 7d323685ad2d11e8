package feetech

import (
	"fmt"
	"io"

	"github.com/aether-lab/aether-bridge/pkg/servo/bus"
)

// maxSkip bounds the bytes skipped looking for a reply header.
const maxSkip = 64

// Family is the STS series (STS3215 and kin) for the bus backend.
type Family struct{}

var _ bus.Family = Family{}

// Name implements bus.Family.
func (Family) Name() string { return "feetech" }

// MaxID implements bus.Family.
func (Family) MaxID() int { return MaxID }

func appendPacket(dst []byte, p Packet) []byte {
	out, err := p.AppendBinary(dst)
	if err != nil { // only a packet of > 253 parameters; the backend never builds one
		return dst
	}
	return out
}

// AppendPing implements bus.Family.
func (Family) AppendPing(dst []byte, id byte) []byte { return appendPacket(dst, Ping(id)) }

// AppendRead implements bus.Family.
func (Family) AppendRead(dst []byte, id byte, addr, n int) []byte {
	return appendPacket(dst, Read(id, addr, n))
}

// AppendWrite implements bus.Family.
func (Family) AppendWrite(dst []byte, id byte, addr int, data []byte) []byte {
	return appendPacket(dst, Write(id, addr, data))
}

// AppendSyncRead implements bus.Family.
func (Family) AppendSyncRead(dst []byte, addr, n int, ids []byte) []byte {
	return appendPacket(dst, SyncRead(addr, n, ids))
}

// AppendSyncWrite implements bus.Family.
func (Family) AppendSyncWrite(dst []byte, addr, n int, ids, data []byte) []byte {
	return appendPacket(dst, SyncWrite(addr, n, ids, data))
}

// ReadStatus implements bus.Family: the status byte is the servo's flags.
func (Family) ReadStatus(r io.ByteReader) (bus.Status, error) {
	p, err := ReadPacket(r, maxSkip)
	if err != nil {
		return bus.Status{}, err
	}
	return bus.Status{ID: p.ID, Err: p.Op, Data: p.Params}, nil
}

// Table implements bus.Family.
func (Family) Table() bus.Table {
	return bus.Table{
		TorqueEnable: AddrTorqueEnable,
		GoalPosition: AddrGoalPosition, GoalLen: 2,
		PresentPosition: AddrPresentPosition, PresentLen: 2,
		TelemetryAddr: TelemetryAddr, TelemetryLen: TelemetryLen,
	}
}

// AppendGoal implements bus.Family.
func (Family) AppendGoal(dst []byte, ticks int) []byte { return PutU16(dst, ticks) }

// Position implements bus.Family: present position, sign bit 15.
func (Family) Position(b []byte) int { return SignMagnitude(U16(b), 15) }

// Telemetry implements bus.Family over registers 56..66.
func (Family) Telemetry(b []byte) bus.Telemetry {
	at := func(addr int) []byte { return b[addr-TelemetryAddr:] }
	return bus.Telemetry{
		Position: SignMagnitude(U16(at(AddrPresentPosition)), 15),
		Load:     float64(SignMagnitude(U16(at(AddrPresentLoad)), 10)) / 10,
		Volts:    float64(at(AddrPresentVoltage)[0]) / 10,
		TempC:    int(at(AddrPresentTemp)[0]),
		Moving:   at(AddrMoving)[0] != 0,
	}
}

// CheckMode implements bus.Family: operating mode 0 (position) and angle
// limits that are not both 0 (which would make the servo multi-turn).
func (Family) CheckMode(id byte, read bus.ReadFunc) error {
	mode, err := read(id, AddrOperatingMode, 1)
	if err != nil {
		return fmt.Errorf("reading its operating mode (register %d): %w", AddrOperatingMode, err)
	}
	if mode[0] != ModePosition {
		return fmt.Errorf("operating mode (register %d) is %d, not 0 (position): modes 1 (speed), 2 (PWM) and 3 (step, multi-turn) are refused; set it to 0 with Feetech's FD tool or LeRobot", AddrOperatingMode, mode[0])
	}
	lim, err := read(id, AddrMinAngleLimit, 4)
	if err != nil {
		return fmt.Errorf("reading its angle limits (registers %d, %d): %w", AddrMinAngleLimit, AddrMaxAngleLimit, err)
	}
	if U16(lim) == 0 && U16(lim[2:]) == 0 {
		return fmt.Errorf("min and max angle limits (registers %d, %d) are both 0, which makes it multi-turn; set them to 0 and 4095", AddrMinAngleLimit, AddrMaxAngleLimit)
	}
	return nil
}

// Faults implements bus.Family: the status byte of every reply carries the
// flags directly.
func (Family) Faults(st bus.Status, _ bus.ReadFunc) (bus.Flags, error) {
	var f bus.Flags
	for bit, flag := range map[byte]bus.Flags{
		StatusVoltage: bus.FlagVoltage, StatusSensor: bus.FlagSensor, StatusOverheat: bus.FlagOverheat,
		StatusOvercurrent: bus.FlagOvercurrent, StatusOverload: bus.FlagOverload,
	} {
		if st.Err&bit != 0 {
			f |= flag
		}
	}
	return f, nil
}

// Recover implements bus.Family: an STS that unloaded on a fault takes
// torque again when torque enable is written, so nothing is needed here.
func (Family) Recover(byte, bus.SendFunc) error { return nil }
