package feetech

// STS/SMS series memory table (Feetech "SMS/STS series memory table",
// FT-SMS-STS-emanual, the sheet LeRobot's feetech/tables.py also follows).
// Addresses are decimal; two-byte values are low byte first.
const (
	AddrID              = 5  // 1 byte, EEPROM
	AddrMinAngleLimit   = 9  // 2 bytes, EEPROM, ticks
	AddrMaxAngleLimit   = 11 // 2 bytes, EEPROM, ticks; min = max = 0 selects multi-turn
	AddrHomingOffset    = 31 // 2 bytes, EEPROM, sign bit 11
	AddrOperatingMode   = 33 // 1 byte, EEPROM: 0 position, 1 speed, 2 PWM, 3 step (multi-turn)
	AddrTorqueEnable    = 40 // 1 byte, SRAM: 0 off (limp), 1 on
	AddrGoalPosition    = 42 // 2 bytes, SRAM, ticks
	AddrPresentPosition = 56 // 2 bytes, read-only, ticks, sign bit 15
	AddrPresentSpeed    = 58 // 2 bytes, read-only, sign bit 15
	AddrPresentLoad     = 60 // 2 bytes, read-only, 0.1 % of max torque, sign bit 10
	AddrPresentVoltage  = 62 // 1 byte, read-only, 0.1 V
	AddrPresentTemp     = 63 // 1 byte, read-only, °C
	AddrStatus          = 65 // 1 byte, read-only, the status bits below
	AddrMoving          = 66 // 1 byte, read-only, 1 while moving
)

// ModePosition is the operating mode (AddrOperatingMode) the backend needs.
const ModePosition = 0

// TicksPerTurn is the STS3215's resolution: 12 bits per revolution.
const TicksPerTurn = 4096

// Status bits: the status byte of every reply packet and AddrStatus
// (Feetech SCS15/STS manual §2.1 "current status byte"; bit 1 and bit 3 are
// the STS magnetic sensor and current protections).
const (
	StatusVoltage     byte = 1 << 0
	StatusSensor      byte = 1 << 1
	StatusOverheat    byte = 1 << 2
	StatusOvercurrent byte = 1 << 3
	StatusOverload    byte = 1 << 5
)

// TelemetryAddr and TelemetryLen span present position through moving
// (56..66) in one read.
const (
	TelemetryAddr = AddrPresentPosition
	TelemetryLen  = AddrMoving - AddrPresentPosition + 1
)

// U16 decodes a two-byte value, low byte first.
func U16(b []byte) int { return int(b[0]) | int(b[1])<<8 }

// PutU16 appends v as two bytes, low byte first.
func PutU16(dst []byte, v int) []byte { return append(dst, byte(v), byte(v>>8)) }

// SignMagnitude decodes v whose bit `bit` is the sign and whose lower bits
// are the magnitude (how STS stores negative positions, speeds and loads).
func SignMagnitude(v, bit int) int {
	mag := v & (1<<bit - 1)
	if v&(1<<bit) != 0 {
		return -mag
	}
	return mag
}
