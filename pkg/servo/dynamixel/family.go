package dynamixel

import (
	"fmt"
	"io"

	"github.com/aether-lab/aether-bridge/pkg/servo/bus"
)

// maxSkip bounds the bytes skipped looking for a reply header.
const maxSkip = 64

// rebootPings is how many PINGs (one reply budget each, at least 100 ms
// during recovery) Recover waits for a rebooted servo to come back.
const rebootPings = 20

// Family is the X series (XL330, XL430, XM430) for the bus backend.
type Family struct{}

var _ bus.Family = Family{}

// Name implements bus.Family.
func (Family) Name() string { return "dynamixel" }

// MaxID implements bus.Family.
func (Family) MaxID() int { return MaxID }

func appendPacket(dst []byte, p Packet) []byte {
	out, err := p.AppendBinary(dst)
	if err != nil { // only a packet over 64 KiB; the backend never builds one
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

// ReadStatus implements bus.Family.
func (Family) ReadStatus(r io.ByteReader) (bus.Status, error) {
	p, err := ReadPacket(r, maxSkip)
	if err != nil {
		return bus.Status{}, err
	}
	e, data, err := StatusOf(p)
	if err != nil {
		return bus.Status{}, err
	}
	return bus.Status{ID: p.ID, Err: e, Data: data}, nil
}

// Table implements bus.Family.
func (Family) Table() bus.Table {
	return bus.Table{
		TorqueEnable: AddrTorqueEnable,
		GoalPosition: AddrGoalPosition, GoalLen: 4,
		PresentPosition: AddrPresentPosition, PresentLen: 4,
		TelemetryAddr: TelemetryAddr, TelemetryLen: TelemetryLen,
	}
}

// AppendGoal implements bus.Family.
func (Family) AppendGoal(dst []byte, ticks int) []byte { return PutI32(dst, ticks) }

// Position implements bus.Family.
func (Family) Position(b []byte) int { return I32(b) }

// Telemetry implements bus.Family over registers 122..146.
func (Family) Telemetry(b []byte) bus.Telemetry {
	at := func(addr int) []byte { return b[addr-TelemetryAddr:] }
	v := at(AddrPresentVoltage)
	return bus.Telemetry{
		Position: I32(at(AddrPresentPosition)),
		Load:     float64(I16(at(AddrPresentLoad))) / 10,
		Volts:    float64(int(v[0])|int(v[1])<<8) / 10,
		TempC:    int(at(AddrPresentTemperature)[0]),
		Moving:   at(AddrMoving)[0] != 0,
	}
}

// CheckMode implements bus.Family: operating mode 3 (position) or 5
// (current-based position); 4 (extended position) is multi-turn.
func (Family) CheckMode(id byte, read bus.ReadFunc) error {
	mode, err := read(id, AddrOperatingMode, 1)
	if err != nil {
		return fmt.Errorf("reading its operating mode (address %d): %w", AddrOperatingMode, err)
	}
	switch mode[0] {
	case ModePosition, ModeCurrentPosition:
		return nil
	case ModeExtendedPos:
		return fmt.Errorf("operating mode (address %d) is 4, extended position (multi-turn), which is refused; set it to 3 (position) or 5 (current-based position) in DYNAMIXEL Wizard", AddrOperatingMode)
	default:
		return fmt.Errorf("operating mode (address %d) is %d, not a position mode; set it to 3 (position) or 5 (current-based position) in DYNAMIXEL Wizard", AddrOperatingMode, mode[0])
	}
}

// Faults implements bus.Family: the alert bit sends us to Hardware Error
// Status (70); bits 0..6 of the error field mean the instruction failed.
func (Family) Faults(st bus.Status, read bus.ReadFunc) (bus.Flags, error) {
	if n := st.Err &^ ErrAlert; n != 0 {
		return 0, fmt.Errorf("id %d refused the instruction (error %d)", st.ID, n)
	}
	if st.Err&ErrAlert == 0 {
		return 0, nil
	}
	hw, err := read(st.ID, AddrHardwareError, 1)
	if err != nil {
		return 0, fmt.Errorf("reading hardware error status: %w", err)
	}
	var f bus.Flags
	for bit, flag := range map[byte]bus.Flags{
		HwErrVoltage: bus.FlagVoltage, HwErrEncoder: bus.FlagSensor, HwErrOverheat: bus.FlagOverheat,
		HwErrShock: bus.FlagOvercurrent, HwErrOverload: bus.FlagOverload,
	} {
		if hw[0]&bit != 0 {
			f |= flag
		}
	}
	return f, nil
}

// Recover implements bus.Family: a shutdown only clears with a REBOOT
// (e-Manual, Shutdown(63)); then PING until the servo answers again.
func (Family) Recover(id byte, send bus.SendFunc) error {
	if _, err := send(appendPacket(nil, Reboot(id)), id); err != nil {
		return fmt.Errorf("reboot: %w", err)
	}
	var err error
	for range rebootPings { // each PING waits one reply budget while the servo restarts
		if _, err = send(appendPacket(nil, Ping(id)), id); err == nil {
			return nil
		}
	}
	return fmt.Errorf("no reply to PING after reboot: %w", err)
}
