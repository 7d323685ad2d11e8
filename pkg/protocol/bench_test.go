package protocol

import (
	"bytes"
	"io"
	"testing"
)

func BenchmarkDecodeRequest(b *testing.B) {
	b.Run("seed", func(b *testing.B) {
		line := []byte(decodeCases[0].line)
		b.ReportAllocs()
		b.SetBytes(int64(len(line)))
		for b.Loop() {
			if _, err := DecodeRequest(line); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("table", func(b *testing.B) {
		lines := make([][]byte, len(decodeCases))
		for i, tc := range decodeCases {
			lines[i] = []byte(tc.line)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			DecodeRequest(lines[i%len(lines)])
			i++
		}
	})
}

func BenchmarkEncodeResponse(b *testing.B) {
	// One reply per table case: what a server sends back for that line.
	replies := make([]Response, len(decodeCases))
	for i, tc := range decodeCases {
		req, err := DecodeRequest([]byte(tc.line))
		if err != nil {
			replies[i] = err.Response(req.ID)
		} else {
			replies[i] = OK(req.ID, MessageCommandReceived)
		}
	}
	b.Run("seed", func(b *testing.B) {
		r := OK("", MessageCommandReceived)
		b.ReportAllocs()
		for b.Loop() {
			if err := EncodeResponse(io.Discard, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("table", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := EncodeResponse(io.Discard, &replies[i%len(replies)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("status", func(b *testing.B) {
		r := OK("5", "status")
		r.Type = TypeStatus
		r.State = &State{Joints: []JointState{{"base", 0}, {"shoulder", 90}, {"elbow", -45}, {"wrist", -45}, {"roll", 0}}, Pose: Point{120, 35.5, 210}, LastID: "7", Watchdog: WatchdogOK, Control: "aether_bridge", TimeMS: 1767225600000}
		b.ReportAllocs()
		for b.Loop() {
			if err := EncodeResponse(io.Discard, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkLineReader(b *testing.B) {
	var stream bytes.Buffer
	lines := 0
	for _, tc := range decodeCases {
		stream.WriteString(tc.line + "\r\n")
		if tc.line != "" {
			lines++
		}
	}
	lr := NewLineReader(&cycleReader{data: stream.Bytes()}, 0)
	b.ReportAllocs()
	b.SetBytes(int64(stream.Len() / lines))
	for b.Loop() {
		if _, err := lr.ReadLine(); err != nil {
			b.Fatal(err)
		}
	}
}

// cycleReader repeats data forever.
type cycleReader struct {
	data []byte
	off  int
}

func (r *cycleReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], r.data[r.off:])
		n += k
		r.off = (r.off + k) % len(r.data)
	}
	return n, nil
}
