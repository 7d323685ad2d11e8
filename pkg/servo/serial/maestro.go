package serial

import (
	"fmt"
	"io"
)

// Pololu Maestro compact-protocol bytes (Maestro user's guide §5.c, §5.e).
// Command bytes have the high bit set, data bytes have it clear.
const (
	// CmdSetTarget starts Set Target: 0x84, channel, target low 7 bits,
	// target high 7 bits.
	CmdSetTarget byte = 0x84
	// CmdGoHome sends every channel to its configured home (which may be
	// "off", "ignore" or a position). Not used by Backend: see
	// docs/serial-protocol.md.
	CmdGoHome byte = 0xA2
	// BaudIndication is the byte a Maestro in "UART, detect baud rate" mode
	// must receive first to learn the baud rate.
	BaudIndication byte = 0xAA
)

// Limits of the Set Target fields.
const (
	// MaxProtocolChannel is the largest channel a 7-bit data byte holds.
	MaxProtocolChannel = 0x7F
	// MaxTarget is the largest 14-bit target (4095.75 µs).
	MaxTarget = 1<<14 - 1
	// SetTargetLen is the encoded length of one Set Target command.
	SetTargetLen = 4
)

// SetTarget is the compact-protocol Set Target command.
type SetTarget struct {
	// Channel is the Maestro output, 0..MaxProtocolChannel (boards have 6–24).
	Channel uint8
	// Target is the pulse width in quarter-microseconds (1500 µs = 6000);
	// 0 means stop sending pulses, so the servo goes limp.
	Target uint16
}

// TargetForPulse returns the Set Target value for a pulse width in µs.
func TargetForPulse(us int) uint16 { return uint16(us * 4) }

// Off returns the command that stops the pulses on channel.
func Off(channel uint8) SetTarget { return SetTarget{Channel: channel} }

// AppendBinary appends the 4-byte encoding of c to b. It implements
// encoding.BinaryAppender.
func (c SetTarget) AppendBinary(b []byte) ([]byte, error) {
	if c.Channel > MaxProtocolChannel {
		return b, fmt.Errorf("maestro: channel %d does not fit the 7-bit channel byte (max %d)", c.Channel, MaxProtocolChannel)
	}
	if c.Target > MaxTarget {
		return b, fmt.Errorf("maestro: channel %d: target %d quarter-µs does not fit 14 bits (max %d = 4095.75 µs)", c.Channel, c.Target, MaxTarget)
	}
	return append(b, CmdSetTarget, c.Channel, byte(c.Target&0x7F), byte(c.Target>>7&0x7F)), nil
}

// Encode writes c to w in one Write call.
func (c SetTarget) Encode(w io.Writer) error {
	var buf [SetTargetLen]byte
	b, err := c.AppendBinary(buf[:0])
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// DecodeSetTarget reads one Set Target command from r. It returns io.EOF if r
// is empty and io.ErrUnexpectedEOF if it ends mid-command.
func DecodeSetTarget(r io.Reader) (SetTarget, error) {
	var b [SetTargetLen]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return SetTarget{}, err
	}
	if b[0] != CmdSetTarget {
		return SetTarget{}, fmt.Errorf("maestro: command byte %#02x is not Set Target (%#02x)", b[0], CmdSetTarget)
	}
	for i, d := range b[1:] {
		if d&0x80 != 0 {
			return SetTarget{}, fmt.Errorf("maestro: data byte %d is %#02x; data bytes must have the high bit clear", i+1, d)
		}
	}
	return SetTarget{Channel: b[1], Target: uint16(b[2]) | uint16(b[3])<<7}, nil
}
