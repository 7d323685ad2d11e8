// Package feetech speaks the Feetech SCS/STS/SMS serial bus servo protocol
// (the STS3215 of the SO-101 arm) and knows the STS control table.
//
// Framing, from Feetech's "Serial Bus Smart Control Servo Communication
// Protocol Manual" (V1.01, 2019): an instruction packet is
//
//	0xFF 0xFF ID LENGTH INSTRUCTION PARAM... CHECKSUM
//
// with LENGTH = number of parameters + 2 and CHECKSUM = ~(ID + LENGTH +
// INSTRUCTION + PARAM...) & 0xFF. A status (reply) packet has the same shape
// with the servo's status byte (error flags) in place of the instruction.
// ID 0xFE is the broadcast id: nobody replies except to PING and SYNC READ.
// STS servos store two-byte values low byte first.
package feetech

import (
	"errors"
	"fmt"
	"io"
)

// Packet bytes (protocol manual §2).
const (
	Header      byte = 0xFF
	BroadcastID byte = 0xFE
	// MaxID is the largest servo id (0..253).
	MaxID = 0xFD
)

// Instructions (protocol manual §3).
const (
	InstPing      byte = 0x01
	InstRead      byte = 0x02
	InstWrite     byte = 0x03
	InstRegWrite  byte = 0x04
	InstAction    byte = 0x05
	InstSyncRead  byte = 0x82
	InstSyncWrite byte = 0x83
)

// maxParams is the most parameters one packet carries (LENGTH is one byte).
const maxParams = 255 - 2

// ErrChecksum is wrapped by ReadPacket's error when a packet's checksum
// does not match its bytes.
var ErrChecksum = errors.New("feetech: checksum mismatch")

// Packet is an instruction packet (Op is the instruction) or a status packet
// (Op is the servo's status byte, 0 when healthy).
type Packet struct {
	ID     byte
	Op     byte
	Params []byte
}

// Checksum returns ~(sum of b) & 0xFF; b runs from ID to the last parameter.
func Checksum(b []byte) byte {
	var s byte
	for _, c := range b {
		s += c
	}
	return ^s
}

// AppendBinary appends the encoded packet to dst.
func (p Packet) AppendBinary(dst []byte) ([]byte, error) {
	if len(p.Params) > maxParams {
		return dst, fmt.Errorf("feetech: %d parameters do not fit one packet (at most %d)", len(p.Params), maxParams)
	}
	start := len(dst)
	dst = append(dst, Header, Header, p.ID, byte(len(p.Params)+2), p.Op)
	dst = append(dst, p.Params...)
	return append(dst, Checksum(dst[start+2:])), nil
}

// ReadPacket reads one packet from r, skipping bytes before the 0xFF 0xFF
// header (at most maxSkip of them). A bad checksum returns the packet read
// and an error wrapping ErrChecksum; a stream that ends mid-packet returns
// io.ErrUnexpectedEOF (or the reader's error, e.g. a deadline).
func ReadPacket(r io.ByteReader, maxSkip int) (Packet, error) {
	id, err := findHeader(r, maxSkip)
	if err != nil {
		return Packet{}, err
	}
	n, err := r.ReadByte()
	if err != nil {
		return Packet{}, unexpected(err)
	}
	if n < 2 {
		return Packet{}, fmt.Errorf("feetech: packet from id %d has length %d (at least 2)", id, n)
	}
	body := make([]byte, n) // op, params, checksum
	for i := range body {
		if body[i], err = r.ReadByte(); err != nil {
			return Packet{}, unexpected(err)
		}
	}
	p := Packet{ID: id, Op: body[0], Params: body[1 : n-1]}
	want := Checksum(append([]byte{id, n}, body[:n-1]...))
	if got := body[n-1]; got != want {
		return p, fmt.Errorf("%w: packet from id %d carries %#02x, its bytes give %#02x", ErrChecksum, id, got, want)
	}
	return p, nil
}

// findHeader reads up to and including the id byte after 0xFF 0xFF. More
// than two 0xFF in a row are still header (an id is never 0xFF).
func findHeader(r io.ByteReader, maxSkip int) (byte, error) {
	ffs, skipped := 0, 0
	for {
		c, err := r.ReadByte()
		if err != nil {
			if ffs > 0 || skipped > 0 {
				return 0, unexpected(err)
			}
			return 0, err
		}
		switch {
		case c == Header:
			ffs++
		case ffs >= 2:
			return c, nil
		default:
			ffs = 0
			if skipped++; skipped > maxSkip {
				return 0, fmt.Errorf("feetech: no packet header in %d bytes", maxSkip)
			}
		}
	}
}

// unexpected turns io.EOF inside a packet into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Ping is the PING instruction to id.
func Ping(id byte) Packet { return Packet{ID: id, Op: InstPing} }

// Read is the READ instruction: n bytes of id's control table from addr.
func Read(id byte, addr, n int) Packet {
	return Packet{ID: id, Op: InstRead, Params: []byte{byte(addr), byte(n)}}
}

// Write is the WRITE instruction: data into id's control table at addr.
func Write(id byte, addr int, data []byte) Packet {
	return Packet{ID: id, Op: InstWrite, Params: append([]byte{byte(addr)}, data...)}
}

// SyncWrite is the SYNC WRITE instruction (broadcast): n bytes at addr into
// each of ids, data holding n bytes per id in the same order.
func SyncWrite(addr, n int, ids []byte, data []byte) Packet {
	ps := make([]byte, 0, 2+len(ids)*(n+1))
	ps = append(ps, byte(addr), byte(n))
	for i, id := range ids {
		ps = append(ps, id)
		ps = append(ps, data[i*n:(i+1)*n]...)
	}
	return Packet{ID: BroadcastID, Op: InstSyncWrite, Params: ps}
}

// SyncRead is the SYNC READ instruction (broadcast): each of ids replies,
// in order, with a status packet holding n bytes from addr.
func SyncRead(addr, n int, ids []byte) Packet {
	return Packet{ID: BroadcastID, Op: InstSyncRead, Params: append([]byte{byte(addr), byte(n)}, ids...)}
}
