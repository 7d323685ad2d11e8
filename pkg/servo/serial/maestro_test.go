package serial

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestSetTargetEncoding(t *testing.T) {
	tests := []struct {
		name string
		cmd  SetTarget
		want []byte
	}{
		// The Maestro user's guide example: channel 0 to 1500 µs.
		{"guide example 1500 µs", SetTarget{Channel: 0, Target: TargetForPulse(1500)}, []byte{0x84, 0x00, 0x70, 0x2E}},
		{"channel 2, 1500 µs", SetTarget{Channel: 2, Target: 6000}, []byte{0x84, 0x02, 0x70, 0x2E}},
		{"500 µs", SetTarget{Channel: 5, Target: TargetForPulse(500)}, []byte{0x84, 0x05, 0x50, 0x0F}},
		{"2500 µs on channel 23", SetTarget{Channel: 23, Target: TargetForPulse(2500)}, []byte{0x84, 0x17, 0x10, 0x4E}},
		{"off", Off(3), []byte{0x84, 0x03, 0x00, 0x00}},
		{"largest target", SetTarget{Channel: 127, Target: MaxTarget}, []byte{0x84, 0x7F, 0x7F, 0x7F}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.cmd.AppendBinary([]byte{0xEE})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got[1:], tc.want) || got[0] != 0xEE {
				t.Fatalf("AppendBinary = % x, want ee % x", got, tc.want)
			}
			var buf bytes.Buffer
			if err := tc.cmd.Encode(&buf); err != nil {
				t.Fatal(err)
			}
			back, err := DecodeSetTarget(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if back != tc.cmd {
				t.Fatalf("round trip: %+v, want %+v", back, tc.cmd)
			}
		})
	}
}

func TestSetTargetEncodingRejects(t *testing.T) {
	for _, tc := range []struct {
		cmd  SetTarget
		want string
	}{
		{SetTarget{Channel: 128, Target: 6000}, "channel 128 does not fit"},
		{SetTarget{Channel: 1, Target: MaxTarget + 1}, "channel 1: target 16384"},
	} {
		got, err := tc.cmd.AppendBinary(nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("AppendBinary(%+v) = % x, %v; want an error containing %q", tc.cmd, got, err, tc.want)
		}
		if len(got) != 0 {
			t.Errorf("AppendBinary(%+v) appended % x despite the error", tc.cmd, got)
		}
		var buf bytes.Buffer
		if err := tc.cmd.Encode(&buf); err == nil || buf.Len() != 0 {
			t.Errorf("Encode(%+v) = %v and wrote % x; want an error and nothing written", tc.cmd, err, buf.Bytes())
		}
	}
}

func TestDecodeSetTargetRejects(t *testing.T) {
	tests := []struct {
		name   string
		in     []byte
		wantIs error
		want   string
	}{
		{"empty", nil, io.EOF, ""},
		{"cut short", []byte{0x84, 0x00, 0x70}, io.ErrUnexpectedEOF, ""},
		{"other command", []byte{0xA2, 0x00, 0x00, 0x00}, nil, "command byte 0xa2 is not Set Target (0x84)"},
		{"data byte with high bit", []byte{0x84, 0x00, 0x80, 0x2E}, nil, "data byte 2 is 0x80"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeSetTarget(bytes.NewReader(tc.in))
			if err == nil {
				t.Fatalf("Decode = %+v, want an error", got)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Fatalf("Decode error %v, want %v", err, tc.wantIs)
			}
			if tc.want != "" && !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Decode error %q does not contain %q", err, tc.want)
			}
		})
	}
}
