package feetech

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// packetCases feeds encode and decode. The PING and READ rows are the
// examples of Feetech's protocol manual (§3.1, §3.2); the rest follow its
// checksum rule ~(ID+LENGTH+INSTRUCTION+PARAMS), worked by hand.
var packetCases = []struct {
	name string
	p    Packet
	wire string
}{
	{"ping id 1 (manual)", Ping(1), "FF FF 01 02 01 FB"},
	{"ping reply id 1 (manual)", Packet{ID: 1}, "FF FF 01 02 00 FC"},
	{"read present position (manual)", Read(1, AddrPresentPosition, 2), "FF FF 01 04 02 38 02 BE"},
	{"read reply 2048", Packet{ID: 1, Params: []byte{0x00, 0x08}}, "FF FF 01 04 00 00 08 F2"},
	{"write goal 2048", Write(1, AddrGoalPosition, []byte{0x00, 0x08}), "FF FF 01 05 03 2A 00 08 C4"},
	{"sync write goals", SyncWrite(AddrGoalPosition, 2, []byte{1, 2}, []byte{0x00, 0x08, 0xFF, 0x0F}),
		"FF FF FE 0A 83 2A 02 01 00 08 02 FF 0F 2F"},
	{"sync read positions of 6", SyncRead(AddrPresentPosition, 2, []byte{1, 2, 3, 4, 5, 6}),
		"FF FF FE 0A 82 38 02 01 02 03 04 05 06 26"},
	{"reply with overload+overheat flags", Packet{ID: 3, Op: StatusOverload | StatusOverheat, Params: []byte{0x10, 0x00}},
		"FF FF 03 04 24 10 00 C4"},
}

func TestPacketEncode(t *testing.T) {
	for _, c := range packetCases {
		got, err := c.p.AppendBinary(nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if want := unhex(t, c.wire); !bytes.Equal(got, want) {
			t.Errorf("%s: encoded % X\nwant          % X", c.name, got, want)
		}
	}
}

func TestPacketDecode(t *testing.T) {
	for _, c := range packetCases {
		// Leading noise (a half-duplex echo tail, line glitch) is skipped.
		r := bufio.NewReader(bytes.NewReader(append([]byte{0x00, 0x42}, unhex(t, c.wire)...)))
		p, err := ReadPacket(r, 8)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if p.ID != c.p.ID || p.Op != c.p.Op || !bytes.Equal(p.Params, c.p.Params) {
			t.Errorf("%s: decoded %+v, want %+v", c.name, p, c.p)
		}
	}
}

func TestReadPacketFaults(t *testing.T) {
	bad := unhex(t, "FF FF 01 04 00 00 08 F3")
	if _, err := ReadPacket(bufio.NewReader(bytes.NewReader(bad)), 0); !errors.Is(err, ErrChecksum) {
		t.Errorf("bad checksum: %v, want ErrChecksum", err)
	}
	partial := unhex(t, "FF FF 01 04 00 00")
	if _, err := ReadPacket(bufio.NewReader(bytes.NewReader(partial)), 0); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("partial packet: %v, want io.ErrUnexpectedEOF", err)
	}
	if _, err := ReadPacket(bufio.NewReader(bytes.NewReader(nil)), 0); !errors.Is(err, io.EOF) {
		t.Errorf("nothing: %v, want io.EOF", err)
	}
	noise := bytes.Repeat([]byte{0x11}, 20)
	if _, err := ReadPacket(bufio.NewReader(bytes.NewReader(noise)), 8); err == nil || !strings.Contains(err.Error(), "no packet header") {
		t.Errorf("noise: %v", err)
	}
	// Three 0xFF then the id: still one packet.
	p, err := ReadPacket(bufio.NewReader(bytes.NewReader(unhex(t, "FF FF FF 01 02 00 FC"))), 0)
	if err != nil || p.ID != 1 {
		t.Errorf("extra 0xFF: %+v, %v", p, err)
	}
}

func TestSignMagnitude(t *testing.T) {
	for _, c := range []struct{ v, bit, want int }{
		{0x0800, 15, 2048}, {0x8010, 15, -16}, {0x0400 | 100, 10, -100}, {100, 10, 100}, {0x0801, 11, -1},
	} {
		if got := SignMagnitude(c.v, c.bit); got != c.want {
			t.Errorf("SignMagnitude(%#x, %d) = %d, want %d", c.v, c.bit, got, c.want)
		}
	}
	if got := U16(PutU16(nil, 4095)); got != 4095 {
		t.Errorf("U16(PutU16(4095)) = %d", got)
	}
}
