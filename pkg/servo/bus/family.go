// Package bus is the servo.Backend for serial bus servos (Feetech STS,
// DYNAMIXEL Protocol 2.0): one half-duplex line, each servo addressed by
// id, with position feedback.
//
// The make-specific part (packets, control table, fault bits) is a Family,
// implemented by pkg/servo/feetech and pkg/servo/dynamixel; this package
// owns what is common: safe start, the per-tick bus cycle (SYNC WRITE goals,
// SYNC READ positions, telemetry at a lower rate), read budgets, fault
// latching and torque.
package bus

import (
	"io"
	"strings"
)

// Status is one reply packet: the servo's id, its error/status byte and the
// data it returned.
type Status struct {
	ID   byte
	Err  byte
	Data []byte
}

// ReadFunc reads n bytes of id's control table from addr (one READ
// transaction with a reply budget).
type ReadFunc func(id byte, addr, n int) ([]byte, error)

// SendFunc sends one encoded instruction packet and waits (one reply
// budget) for the status packet of id.
type SendFunc func(pkt []byte, id byte) (Status, error)

// Table holds the control-table addresses the backend drives.
type Table struct {
	TorqueEnable    int
	GoalPosition    int
	GoalLen         int
	PresentPosition int
	PresentLen      int
	// TelemetryAddr/TelemetryLen is one contiguous block holding present
	// position, load, voltage, temperature and moving, read at a lower rate.
	TelemetryAddr int
	TelemetryLen  int
}

// Telemetry is a decoded telemetry block.
type Telemetry struct {
	Position int
	Load     float64
	Volts    float64
	TempC    int
	Moving   bool
}

// Family is one make of bus servo.
type Family interface {
	// Name is the backend name, e.g. "feetech".
	Name() string
	// MaxID is the largest servo id.
	MaxID() int
	// Packets.
	AppendPing(dst []byte, id byte) []byte
	AppendRead(dst []byte, id byte, addr, n int) []byte
	AppendWrite(dst []byte, id byte, addr int, data []byte) []byte
	AppendSyncRead(dst []byte, addr, n int, ids []byte) []byte
	AppendSyncWrite(dst []byte, addr, n int, ids, data []byte) []byte
	// ReadStatus reads one reply packet (errors wrap io.ErrUnexpectedEOF,
	// a checksum error, or the reader's deadline error).
	ReadStatus(r io.ByteReader) (Status, error)
	// Control table.
	Table() Table
	AppendGoal(dst []byte, ticks int) []byte
	Position(b []byte) int
	Telemetry(b []byte) Telemetry
	// CheckMode refuses a servo not in single-turn position mode, with a
	// message naming the register and the fix.
	CheckMode(id byte, read ReadFunc) error
	// Faults returns the error flags a reply reports (reading more
	// registers if the make needs to), or an error for a reply that says
	// the instruction itself failed.
	Faults(st Status, read ReadFunc) (Flags, error)
	// Recover resets a faulted servo so that torque can be enabled again.
	Recover(id byte, send SendFunc) error
}

// Flags are servo error flags, common to both makes.
type Flags uint8

// The flags. Any of them holds the arm.
const (
	FlagVoltage     Flags = 1 << iota // supply voltage outside the limits
	FlagSensor                        // position sensor / encoder failure
	FlagOverheat                      // temperature above the limit
	FlagOvercurrent                   // over current / electrical shock
	FlagOverload                      // sustained load above the maximum
)

var flagNames = []string{"voltage", "sensor", "overheat", "overcurrent", "overload"}

// Names lists the set flags.
func (f Flags) Names() []string {
	var out []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// String joins Names with ", ".
func (f Flags) String() string { return strings.Join(f.Names(), ", ") }
