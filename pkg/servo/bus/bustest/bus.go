// Package bustest is a register-level fake serial bus of Feetech or
// DYNAMIXEL servos behind a pty, for tests of the bus backends and of the
// controller binary: the code under test opens a real tty path and speaks
// real packets; the fake decodes them with the protocol packages, keeps a
// control table per servo, answers with the make's status packets after a
// configurable latency, and injects faults (no reply, bad checksum, partial
// packet, error flags, a missing id).
package bustest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/aether-lab/aether-bridge/pkg/servo/dynamixel"
	"github.com/aether-lab/aether-bridge/pkg/servo/feetech"
)

// Bus is a running fake bus. Close it when done.
type Bus struct {
	make   Make
	master *os.File
	slave  *os.File
	path   string
	done   chan struct{}

	mu      sync.Mutex
	servos  map[byte]*Servo
	latency time.Duration
	stats   Stats
}

// Stats counts traffic, for benchmarks and assertions.
type Stats struct {
	// Instructions counts instruction packets received, by instruction
	// byte; BytesIn and BytesOut count the bytes both ways.
	Instructions map[byte]int
	BytesIn      int
	BytesOut     int
}

// New starts a fake bus of make m with one servo per id, each at
// position ticks pos[i] (torque off). Tests open Path() with the backend.
func New(m Make, ids []byte, pos []int) (*Bus, error) {
	if len(ids) != len(pos) {
		return nil, fmt.Errorf("bustest: %d ids but %d positions", len(ids), len(pos))
	}
	ptm, slave, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("bustest: no pty: %w", err)
	}
	master, err := pollable(ptm)
	if err != nil {
		slave.Close()
		return nil, err
	}
	b := &Bus{make: m, master: master, slave: slave, path: slave.Name(), done: make(chan struct{}),
		servos: map[byte]*Servo{}, stats: Stats{Instructions: map[byte]int{}}}
	for i, id := range ids {
		b.servos[id] = newServo(m, id, pos[i])
	}
	go b.serve()
	return b, nil
}

// Path is the tty the backend opens, standing in for /dev/ttyUSB0.
func (b *Bus) Path() string { return b.path }

// Servo returns the servo with id, or nil.
func (b *Bus) Servo(id byte) *Servo {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.servos[id]
}

// Remove unplugs the servo with id: from now on nobody answers for it.
func (b *Bus) Remove(id byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.servos, id)
}

// SetLatency delays every reply by d (a servo's return delay plus a USB
// adapter's latency timer).
func (b *Bus) SetLatency(d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.latency = d
}

// Stats returns a copy of the traffic counters.
func (b *Bus) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.stats
	s.Instructions = map[byte]int{}
	for k, v := range b.stats.Instructions {
		s.Instructions[k] = v
	}
	return s
}

// ResetStats zeroes the traffic counters.
func (b *Bus) ResetStats() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stats = Stats{Instructions: map[byte]int{}}
}

// pollable returns a non-blocking duplicate of f registered with Go's
// poller, so Close interrupts a pending Read (pty.Open's master blocks in
// read(2), which Close cannot interrupt), and closes f.
func pollable(f *os.File) (*os.File, error) {
	defer f.Close()
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		return nil, fmt.Errorf("bustest: dup pty master: %w", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bustest: pty master non-blocking: %w", err)
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// Close stops the fake and closes the pty.
func (b *Bus) Close() error {
	err := errors.Join(b.master.Close(), b.slave.Close())
	<-b.done
	return err
}

// instruction is a decoded instruction packet of either make.
type instruction struct {
	id, inst byte
	params   []byte
	size     int // bytes on the wire
}

func (b *Bus) serve() {
	defer close(b.done)
	r := bufio.NewReader(b.master)
	for {
		in, err := b.next(r)
		if err != nil {
			if errors.Is(err, feetech.ErrChecksum) || errors.Is(err, dynamixel.ErrCRC16) {
				continue // a real servo ignores a corrupt packet
			}
			return // pty closed
		}
		b.mu.Lock()
		b.stats.Instructions[in.inst]++
		b.stats.BytesIn += in.size
		latency := b.latency
		b.mu.Unlock()
		replies := b.handle(in)
		if len(replies) == 0 {
			continue
		}
		if latency > 0 {
			time.Sleep(latency) // the simulated servo's reply delay
		}
		b.mu.Lock()
		b.stats.BytesOut += len(replies)
		b.mu.Unlock()
		if _, err := b.master.Write(replies); err != nil {
			return
		}
	}
}

// next reads one instruction packet.
func (b *Bus) next(r *bufio.Reader) (instruction, error) {
	if b.make == Feetech {
		p, err := feetech.ReadPacket(r, 1<<20)
		if err != nil {
			return instruction{}, err
		}
		return instruction{id: p.ID, inst: p.Op, params: p.Params, size: 6 + len(p.Params)}, nil
	}
	p, err := dynamixel.ReadPacket(r, 1<<20)
	if err != nil {
		return instruction{}, err
	}
	enc, _ := p.AppendBinary(nil)
	return instruction{id: p.ID, inst: p.Inst, params: p.Params, size: len(enc)}, nil
}

// handle applies one instruction and returns the encoded replies.
func (b *Bus) handle(in instruction) []byte {
	addr, n, rest := b.split(in)
	var out []byte
	switch in.inst {
	case feetech.InstPing: // same byte in both protocols
		if s := b.Servo(in.id); s != nil {
			data := []byte{}
			if b.make == Dynamixel {
				data, _ = s.read(dynamixel.AddrModelNumber, 2)
				data = append(data, 46) // firmware version
			}
			out = b.reply(out, s, data)
		}
	case feetech.InstRead:
		if s := b.Servo(in.id); s != nil {
			data, _ := s.read(addr, n)
			out = b.reply(out, s, data)
		}
	case feetech.InstWrite:
		if s := b.Servo(in.id); s != nil {
			s.write(addr, rest)
			out = b.reply(out, s, nil)
		}
	case feetech.InstSyncWrite:
		for i := 0; i+1+n <= len(rest); i += 1 + n {
			if s := b.Servo(rest[i]); s != nil {
				s.write(addr, rest[i+1:i+1+n])
			}
		}
	case feetech.InstSyncRead:
		for _, id := range rest {
			if s := b.Servo(id); s != nil {
				data, _ := s.read(addr, n)
				out = b.reply(out, s, data)
			}
		}
	case dynamixel.InstReboot:
		if s := b.Servo(in.id); s != nil && b.make == Dynamixel {
			s.reboot()
			out = b.reply(out, s, nil)
		}
	}
	return out
}

// split decodes the address, length and remaining parameters of READ,
// WRITE, SYNC READ and SYNC WRITE (WRITE has no length: n is 0).
func (b *Bus) split(in instruction) (addr, n int, rest []byte) {
	p := in.params
	if b.make == Feetech {
		switch {
		case in.inst == feetech.InstWrite && len(p) >= 1:
			return int(p[0]), 0, p[1:]
		case len(p) >= 2:
			return int(p[0]), int(p[1]), p[2:]
		}
		return 0, 0, nil
	}
	switch {
	case in.inst == dynamixel.InstWrite && len(p) >= 2:
		return int(p[0]) | int(p[1])<<8, 0, p[2:]
	case len(p) >= 4:
		return int(p[0]) | int(p[1])<<8, int(p[2]) | int(p[3])<<8, p[4:]
	}
	return 0, 0, nil
}

// reply appends s's status packet with data, applying its fault.
func (b *Bus) reply(out []byte, s *Servo, data []byte) []byte {
	_, f := s.read(0, 0)
	if f.Silent {
		return out
	}
	var pkt []byte
	if b.make == Feetech {
		pkt, _ = feetech.Packet{ID: s.id, Op: f.Flags, Params: data}.AppendBinary(nil)
	} else {
		e := byte(0)
		if f.Flags != 0 {
			e = dynamixel.ErrAlert
		}
		pkt, _ = dynamixel.Packet{ID: s.id, Inst: dynamixel.InstStatus, Params: append([]byte{e}, data...)}.AppendBinary(nil)
	}
	switch {
	case f.BadChecksum:
		pkt[len(pkt)-1]++
	case f.Partial:
		pkt = pkt[:len(pkt)/2]
	}
	return append(out, pkt...)
}

// IDs lists the ids present on the bus, sorted.
func (b *Bus) IDs() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ids []byte
	for id := range b.servos {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
