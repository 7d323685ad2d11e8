package dynamixel

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

func status(id, errField byte, data ...byte) Packet {
	return Packet{ID: id, Inst: InstStatus, Params: append([]byte{errField}, data...)}
}

// packetCases feeds encode and decode. Rows marked (e-Manual) are the
// examples of the ROBOTIS e-Manual "DYNAMIXEL Protocol 2.0" page, byte for
// byte; the stuffing and alert rows were worked with an independent bitwise
// CRC-16 (poly 0x8005).
var packetCases = []struct {
	name string
	p    Packet
	wire string
}{
	{"ping id 1 (e-Manual)", Ping(1), "FF FF FD 00 01 03 00 01 19 4E"},
	{"ping broadcast (e-Manual)", Ping(BroadcastID), "FF FF FD 00 FE 03 00 01 31 42"},
	{"ping reply XM430 fw 38 (e-Manual)", status(1, 0, 0x06, 0x04, 0x26), "FF FF FD 00 01 07 00 55 00 06 04 26 65 5D"},
	{"read present position (e-Manual)", Read(1, AddrPresentPosition, 4), "FF FF FD 00 01 07 00 02 84 00 04 00 1D 15"},
	{"read reply 166 (e-Manual)", status(1, 0, 0xA6, 0, 0, 0), "FF FF FD 00 01 08 00 55 00 A6 00 00 00 8C C0"},
	{"write goal 512 (e-Manual)", Write(1, AddrGoalPosition, PutI32(nil, 512)), "FF FF FD 00 01 09 00 03 74 00 00 02 00 00 CA 89"},
	{"write reply (e-Manual)", status(1, 0), "FF FF FD 00 01 04 00 55 00 A1 0C"},
	{"reboot (e-Manual)", Reboot(1), "FF FF FD 00 01 03 00 08 2F 4E"},
	{"sync read ids 1,2 (e-Manual)", SyncRead(AddrPresentPosition, 4, []byte{1, 2}), "FF FF FD 00 FE 09 00 82 84 00 04 00 01 02 CE FA"},
	{"sync read reply id 2 = 2079 (e-Manual)", status(2, 0, 0x1F, 0x08, 0, 0), "FF FF FD 00 02 08 00 55 00 1F 08 00 00 BA BE"},
	{"sync write 150, 170 (e-Manual)", SyncWrite(AddrGoalPosition, 4, []byte{1, 2}, append(PutI32(nil, 150), PutI32(nil, 170)...)),
		"FF FF FD 00 FE 11 00 83 74 00 04 00 01 96 00 00 00 02 AA 00 00 00 82 87"},
	{"temperature reply 36 (e-Manual bulk read)", status(2, 0, 0x24), "FF FF FD 00 02 05 00 55 00 24 8B A9"},
	{"byte stuffing: FF FF FD in the data", Write(1, AddrGoalPosition, []byte{0xFF, 0xFF, 0xFD, 0x00}),
		"FF FF FD 00 01 0A 00 03 74 00 FF FF FD FD 00 21 E7"},
	{"hardware alert", status(1, ErrAlert), "FF FF FD 00 01 04 00 55 80 A2 8F"},
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
		r := bufio.NewReader(bytes.NewReader(append([]byte{0xFF, 0x00, 0x42}, unhex(t, c.wire)...)))
		p, err := ReadPacket(r, 8)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if p.ID != c.p.ID || p.Inst != c.p.Inst || !bytes.Equal(p.Params, c.p.Params) {
			t.Errorf("%s: decoded %+v, want %+v", c.name, p, c.p)
		}
	}
}

func TestReadPacketFaults(t *testing.T) {
	bad := unhex(t, "FF FF FD 00 01 08 00 55 00 A6 00 00 00 8C C1")
	if _, err := ReadPacket(bufio.NewReader(bytes.NewReader(bad)), 0); !errors.Is(err, ErrCRC16) {
		t.Errorf("bad CRC: %v, want ErrCRC16", err)
	}
	partial := unhex(t, "FF FF FD 00 01 08 00 55 00")
	if _, err := ReadPacket(bufio.NewReader(bytes.NewReader(partial)), 0); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("partial: %v, want io.ErrUnexpectedEOF", err)
	}
	if _, err := ReadPacket(bufio.NewReader(bytes.NewReader(nil)), 0); !errors.Is(err, io.EOF) {
		t.Errorf("nothing: %v, want io.EOF", err)
	}
	if _, err := ReadPacket(bufio.NewReader(bytes.NewReader(bytes.Repeat([]byte{0x11}, 40))), 8); err == nil || !strings.Contains(err.Error(), "no packet header") {
		t.Errorf("noise: %v", err)
	}
	huge := unhex(t, "FF FF FD 00 01 FF FF 55")
	if _, err := ReadPacket(bufio.NewReader(bytes.NewReader(huge)), 0); err == nil || !strings.Contains(err.Error(), "length") {
		t.Errorf("huge length: %v", err)
	}
}

func TestDecoders(t *testing.T) {
	if got := I32(PutI32(nil, -5)); got != -5 {
		t.Errorf("I32(PutI32(-5)) = %d", got)
	}
	if got := I16([]byte{0xFE, 0xFF}); got != -2 {
		t.Errorf("I16(FE FF) = %d", got)
	}
	if e, d, err := StatusOf(status(1, 0, 7)); err != nil || e != 0 || !bytes.Equal(d, []byte{7}) {
		t.Errorf("StatusOf = %v %v %v", e, d, err)
	}
	if _, _, err := StatusOf(Ping(1)); err == nil {
		t.Error("StatusOf(ping) succeeded")
	}
}
