// Package dynamixel speaks ROBOTIS DYNAMIXEL Protocol 2.0 and knows the
// X-series control table (XL330, XL430, XM430: the Koch and
// OpenManipulator-X arms).
//
// Framing, from the ROBOTIS e-Manual "DYNAMIXEL Protocol 2.0"
// (emanual.robotis.com/docs/en/dxl/protocol2/):
//
//	0xFF 0xFF 0xFD 0x00 ID LEN_L LEN_H INSTRUCTION PARAM... CRC_L CRC_H
//
// LEN counts the instruction, the parameters and the two CRC bytes. Inside
// instruction and parameters every 0xFF 0xFF 0xFD gets an extra 0xFD (byte
// stuffing), counted in LEN and covered by the CRC, which is CRC-16/IBM
// (polynomial 0x8005, initial value 0, not reflected) over everything from
// the first header byte to the last parameter (e-Manual "CRC Calculation").
// A status packet has instruction 0x55 followed by an error byte.
package dynamixel

import (
	"errors"
	"fmt"
	"io"
)

// Packet bytes (Protocol 2.0 "Instruction Packet").
const (
	BroadcastID byte = 0xFE
	// MaxID is the largest device id (0..252).
	MaxID = 0xFC
)

var header = [4]byte{0xFF, 0xFF, 0xFD, 0x00}

// Instructions (Protocol 2.0 "Instruction").
const (
	InstPing      byte = 0x01
	InstRead      byte = 0x02
	InstWrite     byte = 0x03
	InstReboot    byte = 0x08
	InstStatus    byte = 0x55
	InstSyncRead  byte = 0x82
	InstSyncWrite byte = 0x83
)

// Status packet error field (Protocol 2.0 "Error"): bit 7 is the hardware
// alert (read Hardware Error Status for the cause), bits 0..6 a number.
const (
	ErrAlert       byte = 0x80
	ErrResultFail  byte = 0x01
	ErrInstruction byte = 0x02
	ErrCRC         byte = 0x03
	ErrDataRange   byte = 0x04
	ErrDataLength  byte = 0x05
	ErrDataLimit   byte = 0x06
	ErrAccess      byte = 0x07
)

// maxBody bounds LEN of packets we accept, far above anything a 6-servo
// arm exchanges, so garbage cannot make us wait for 64 KiB.
const maxBody = 1024

// ErrCRC16 is wrapped by ReadPacket's error when a packet's CRC does not
// match its bytes.
var ErrCRC16 = errors.New("dynamixel: CRC mismatch")

// Packet is an instruction packet, or a status packet (Inst InstStatus,
// Params[0] the error field, then the data). Params are unstuffed.
type Packet struct {
	ID     byte
	Inst   byte
	Params []byte
}

var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x8005
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// CRC16 is the Protocol 2.0 CRC of b.
func CRC16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc = crc<<8 ^ crcTable[byte(crc>>8)^c]
	}
	return crc
}

// stuff appends src to dst with a 0xFD added after every 0xFF 0xFF 0xFD.
func stuff(dst, src []byte) []byte {
	for i, c := range src {
		dst = append(dst, c)
		if c == 0xFD && i >= 2 && src[i-1] == 0xFF && src[i-2] == 0xFF {
			dst = append(dst, 0xFD)
		}
	}
	return dst
}

// unstuff drops the 0xFD that follows every 0xFF 0xFF 0xFD.
func unstuff(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		out = append(out, b[i])
		if b[i] == 0xFD && i >= 2 && b[i-1] == 0xFF && b[i-2] == 0xFF && i+1 < len(b) && b[i+1] == 0xFD {
			i++
		}
	}
	return out
}

// AppendBinary appends the encoded, stuffed packet to dst.
func (p Packet) AppendBinary(dst []byte) ([]byte, error) {
	start := len(dst)
	dst = append(dst, header[:]...)
	dst = append(dst, p.ID, 0, 0)
	body := stuff(append(make([]byte, 0, 1+len(p.Params)+2), p.Inst), p.Params)
	if len(body)+2 > 0xFFFF {
		return dst[:start], fmt.Errorf("dynamixel: %d parameter bytes do not fit one packet", len(p.Params))
	}
	n := len(body) + 2
	dst[start+5], dst[start+6] = byte(n), byte(n>>8)
	dst = append(dst, body...)
	crc := CRC16(dst[start:])
	return append(dst, byte(crc), byte(crc>>8)), nil
}

// ReadPacket reads one packet from r, skipping bytes before the header (at
// most maxSkip). A bad CRC returns an error wrapping ErrCRC16; a stream
// that ends mid-packet returns io.ErrUnexpectedEOF (or the reader's error,
// e.g. a deadline).
func ReadPacket(r io.ByteReader, maxSkip int) (Packet, error) {
	if err := findHeader(r, maxSkip); err != nil {
		return Packet{}, err
	}
	var head [3]byte // ID LEN_L LEN_H
	for i := range head {
		c, err := r.ReadByte()
		if err != nil {
			return Packet{}, unexpected(err)
		}
		head[i] = c
	}
	n := int(head[1]) | int(head[2])<<8
	if n < 3 || n > maxBody {
		return Packet{}, fmt.Errorf("dynamixel: packet from id %d has length %d (3..%d)", head[0], n, maxBody)
	}
	raw := make([]byte, 0, 7+n)
	raw = append(append(raw, header[:]...), head[:]...)
	for range n {
		c, err := r.ReadByte()
		if err != nil {
			return Packet{}, unexpected(err)
		}
		raw = append(raw, c)
	}
	body := raw[7 : len(raw)-2]
	got := uint16(raw[len(raw)-2]) | uint16(raw[len(raw)-1])<<8
	if want := CRC16(raw[:len(raw)-2]); got != want {
		return Packet{}, fmt.Errorf("%w: packet from id %d carries %#04x, its bytes give %#04x", ErrCRC16, head[0], got, want)
	}
	body = unstuff(body)
	return Packet{ID: head[0], Inst: body[0], Params: body[1:]}, nil
}

// findHeader consumes bytes through 0xFF 0xFF 0xFD 0x00, allowing at most
// maxSkip bytes before it.
func findHeader(r io.ByteReader, maxSkip int) error {
	var win [4]byte
	for n := 1; ; n++ {
		c, err := r.ReadByte()
		if err != nil {
			if n > 1 {
				return unexpected(err)
			}
			return err
		}
		win = [4]byte{win[1], win[2], win[3], c}
		if n >= 4 && win == header {
			return nil
		}
		if n-4 >= maxSkip && n >= 4 {
			return fmt.Errorf("dynamixel: no packet header in %d bytes", maxSkip)
		}
	}
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func u16(v int) []byte { return []byte{byte(v), byte(v >> 8)} }

// Ping is the PING instruction to id.
func Ping(id byte) Packet { return Packet{ID: id, Inst: InstPing} }

// Read is the READ instruction: n bytes of id's control table from addr.
func Read(id byte, addr, n int) Packet {
	return Packet{ID: id, Inst: InstRead, Params: append(u16(addr), u16(n)...)}
}

// Write is the WRITE instruction: data into id's control table at addr.
func Write(id byte, addr int, data []byte) Packet {
	return Packet{ID: id, Inst: InstWrite, Params: append(u16(addr), data...)}
}

// Reboot is the REBOOT instruction, the only way to clear a hardware-error
// shutdown (e-Manual, Shutdown(63)).
func Reboot(id byte) Packet { return Packet{ID: id, Inst: InstReboot} }

// SyncWrite is the SYNC WRITE instruction (broadcast): n bytes at addr into
// each of ids, data holding n bytes per id in the same order.
func SyncWrite(addr, n int, ids []byte, data []byte) Packet {
	ps := make([]byte, 0, 4+len(ids)*(n+1))
	ps = append(append(ps, u16(addr)...), u16(n)...)
	for i, id := range ids {
		ps = append(ps, id)
		ps = append(ps, data[i*n:(i+1)*n]...)
	}
	return Packet{ID: BroadcastID, Inst: InstSyncWrite, Params: ps}
}

// SyncRead is the SYNC READ instruction (broadcast): each of ids replies,
// in order, with a status packet holding n bytes from addr.
func SyncRead(addr, n int, ids []byte) Packet {
	ps := append(append(u16(addr), u16(n)...), ids...)
	return Packet{ID: BroadcastID, Inst: InstSyncRead, Params: ps}
}

// StatusOf returns a status packet's error field and data, or an error if p
// is not a status packet.
func StatusOf(p Packet) (errField byte, data []byte, err error) {
	if p.Inst != InstStatus || len(p.Params) < 1 {
		return 0, nil, fmt.Errorf("dynamixel: id %d sent instruction %#02x, not a status packet", p.ID, p.Inst)
	}
	return p.Params[0], p.Params[1:], nil
}
