package bustest

import (
	"sync"

	"github.com/aether-lab/aether-bridge/pkg/servo/dynamixel"
	"github.com/aether-lab/aether-bridge/pkg/servo/feetech"
)

// Make selects the protocol and control table the fake speaks.
type Make int

// The makes.
const (
	Feetech Make = iota
	Dynamixel
)

// Servo is one fake servo: a control table plus injected faults. Its
// methods are safe to call while the bus runs.
type Servo struct {
	id   byte
	make Make

	mu        sync.Mutex
	table     [256]byte
	fault     Fault
	firstGoal int // first goal position written, valid when goals > 0
	goals     int // goal writes received
}

// Fault is what a fake servo does wrong.
type Fault struct {
	// Silent: the servo never replies (a missing id, a cut cable).
	Silent bool
	// BadChecksum: replies carry a wrong checksum/CRC.
	BadChecksum bool
	// Partial: replies stop half way.
	Partial bool
	// Flags: the error flags the servo reports in every reply (Feetech
	// status byte bits; DYNAMIXEL Hardware Error Status bits, signalled by
	// the alert bit). Setting flags also turns the servo's torque off, as
	// both makes do on a shutdown.
	Flags byte
}

// newServo returns a servo at position pos, torque off, in position mode.
func newServo(m Make, id byte, pos int) *Servo {
	s := &Servo{id: id, make: m}
	switch m {
	case Feetech:
		s.table[feetech.AddrID] = id
		s.table[feetech.AddrOperatingMode] = feetech.ModePosition
		copy(s.table[feetech.AddrMaxAngleLimit:], feetech.PutU16(nil, 4095))
		s.table[feetech.AddrPresentVoltage] = 74 // 7.4 V
		s.table[feetech.AddrPresentTemp] = 31
	case Dynamixel:
		copy(s.table[dynamixel.AddrModelNumber:], []byte{0x4C, 0x04}) // 1100: XL330-M288? only echoed by PING
		s.table[dynamixel.AddrOperatingMode] = dynamixel.ModePosition
		copy(s.table[dynamixel.AddrPresentVoltage:], []byte{50, 0}) // 5.0 V
		s.table[dynamixel.AddrPresentTemperature] = 29
	}
	s.setPosition(pos)
	return s
}

// ID is the servo's bus id.
func (s *Servo) ID() byte { return s.id }

// SetFault replaces the servo's injected fault.
func (s *Servo) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
	if f.Flags != 0 {
		s.setTorque(false)
	}
	switch s.make {
	case Feetech:
		s.table[feetech.AddrStatus] = f.Flags
	case Dynamixel:
		s.table[dynamixel.AddrHardwareError] = f.Flags
	}
}

// SetPosition moves the servo's shaft, as a hand does to a limp arm.
func (s *Servo) SetPosition(ticks int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setPosition(ticks)
}

// Set writes raw bytes into the control table (e.g. an operating mode).
func (s *Servo) Set(addr int, data ...byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	copy(s.table[addr:], data)
}

// Position is the servo's present position in ticks.
func (s *Servo) Position() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.position()
}

// Goal is the last goal position written, in ticks.
func (s *Servo) Goal() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.goal()
}

// Torque reports whether torque is enabled.
func (s *Servo) Torque() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.table[s.torqueAddr()] != 0
}

func (s *Servo) torqueAddr() int {
	if s.make == Feetech {
		return feetech.AddrTorqueEnable
	}
	return dynamixel.AddrTorqueEnable
}

func (s *Servo) setTorque(on bool) {
	s.table[s.torqueAddr()] = 0
	if on {
		s.table[s.torqueAddr()] = 1
	}
}

func (s *Servo) position() int {
	if s.make == Feetech {
		return feetech.SignMagnitude(feetech.U16(s.table[feetech.AddrPresentPosition:]), 15)
	}
	return dynamixel.I32(s.table[dynamixel.AddrPresentPosition:])
}

func (s *Servo) setPosition(t int) {
	if s.make == Feetech {
		copy(s.table[feetech.AddrPresentPosition:], feetech.PutU16(nil, t))
		return
	}
	copy(s.table[dynamixel.AddrPresentPosition:], dynamixel.PutI32(nil, t))
}

// write applies a WRITE / SYNC WRITE: torque enable and goal position; a
// servo with torque on is at its goal at once (the fake has no dynamics).
// Torque cannot come on while flags are set (a DYNAMIXEL needs a REBOOT).
func (s *Servo) write(addr int, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if addr == s.torqueAddr() && len(data) > 0 && data[0] != 0 && s.fault.Flags != 0 && s.make == Dynamixel {
		return
	}
	copy(s.table[addr:], data)
	if addr == s.goalAddr() {
		if s.goals == 0 {
			s.firstGoal = s.goal()
		}
		s.goals++
	}
	if s.table[s.torqueAddr()] != 0 {
		s.setPosition(s.goal())
	}
}

// FirstGoal is the first goal position the servo was sent, and false if
// it has been sent none.
func (s *Servo) FirstGoal() (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.firstGoal, s.goals > 0
}

func (s *Servo) goalAddr() int {
	if s.make == Feetech {
		return feetech.AddrGoalPosition
	}
	return dynamixel.AddrGoalPosition
}

func (s *Servo) goal() int {
	if s.make == Feetech {
		return feetech.U16(s.table[feetech.AddrGoalPosition:])
	}
	return dynamixel.I32(s.table[dynamixel.AddrGoalPosition:])
}

// read returns n bytes from addr and the fault to apply to the reply.
func (s *Servo) read(addr, n int) ([]byte, Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if addr+n > len(s.table) {
		n = len(s.table) - addr
	}
	return append([]byte(nil), s.table[addr:addr+n]...), s.fault
}

// reboot is the DYNAMIXEL REBOOT: flags cleared (the cause is assumed
// gone), torque off.
func (s *Servo) reboot() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault.Flags = 0
	s.table[dynamixel.AddrHardwareError] = 0
	s.setTorque(false)
}
