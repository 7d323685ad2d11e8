package dynamixel

// X-series control table (ROBOTIS e-Manual, XL330-M288 / XL430-W250 /
// XM430-W350 "Control Table"; the addresses used here are the same on all
// three). Multi-byte values are little endian.
const (
	AddrModelNumber        = 0   // 2 bytes, EEPROM
	AddrOperatingMode      = 11  // 1 byte, EEPROM: 1 velocity, 3 position, 4 extended (multi-turn), 5 current-based position, 16 PWM
	AddrHomingOffset       = 20  // 4 bytes, EEPROM, signed ticks
	AddrMaxPositionLimit   = 48  // 4 bytes, EEPROM
	AddrMinPositionLimit   = 52  // 4 bytes, EEPROM
	AddrTorqueEnable       = 64  // 1 byte, RAM: 0 off, 1 on
	AddrHardwareError      = 70  // 1 byte, RAM, read-only: the HwErr bits
	AddrGoalPosition       = 116 // 4 bytes, RAM, ticks
	AddrMoving             = 122 // 1 byte, read-only
	AddrPresentLoad        = 126 // 2 bytes, signed: XL430 Present Load (0.1 %), XL330/XM430 Present Current
	AddrPresentPosition    = 132 // 4 bytes, signed ticks
	AddrPresentVoltage     = 144 // 2 bytes, 0.1 V
	AddrPresentTemperature = 146 // 1 byte, °C
)

// Operating modes the backend accepts: both hold one turn's position.
// Extended position mode (4) is multi-turn and refused.
const (
	ModePosition        = 3
	ModeExtendedPos     = 4
	ModeCurrentPosition = 5
)

// TicksPerTurn is the X-series resolution (4096 per revolution).
const TicksPerTurn = 4096

// Hardware Error Status (70) bits (e-Manual, Shutdown(63)). A set bit shuts
// the servo down (torque off) until a REBOOT.
const (
	HwErrVoltage  byte = 1 << 0
	HwErrOverheat byte = 1 << 2
	HwErrEncoder  byte = 1 << 3
	HwErrShock    byte = 1 << 4
	HwErrOverload byte = 1 << 5
)

// TelemetryAddr and TelemetryLen span Moving (122) through Present
// Temperature (146) in one read.
const (
	TelemetryAddr = AddrMoving
	TelemetryLen  = AddrPresentTemperature - AddrMoving + 1
)

// I32 decodes a 4-byte little-endian signed value.
func I32(b []byte) int {
	return int(int32(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24))
}

// I16 decodes a 2-byte little-endian signed value.
func I16(b []byte) int { return int(int16(uint16(b[0]) | uint16(b[1])<<8)) }

// PutI32 appends v as 4 little-endian bytes.
func PutI32(dst []byte, v int) []byte {
	return append(dst, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}
