package pca9685

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"

	"github.com/aether-lab/aether-bridge/pkg/servo"
)

// PCA9685 registers and bits (datasheet §7.3).
const (
	regMode1    = 0x00
	regMode2    = 0x01
	regLed0OnL  = 0x06
	regAllOnL   = 0xFA
	regPrescale = 0xFE

	bitRestart = 0x80
	bitAI      = 0x20
	bitSleep   = 0x10
	bitAllCall = 0x01
	bitOutDrv  = 0x04
	bitFullOff = 0x10
)

const addr = DefaultAddr

// resetAndPrescale is the exact I²C traffic New causes at 50 Hz: all outputs
// cleared, totem-pole outputs, wake with auto-increment, then the prescaler
// (122 = round(25 MHz / 4096 / 50 Hz)) written while asleep and a restart.
func resetAndPrescale() []i2ctest.IO {
	return []i2ctest.IO{
		{Addr: addr, W: []byte{regAllOnL, 0, 0, 0, 0}},
		{Addr: addr, W: []byte{regMode2, bitOutDrv}},
		{Addr: addr, W: []byte{regMode1, bitAllCall}},
		{Addr: addr, W: []byte{regMode1}, R: []byte{bitAllCall | bitSleep}},
		{Addr: addr, W: []byte{regMode1, bitAllCall | bitAI}},
		// SetPwmFreq(50 Hz)
		{Addr: addr, W: []byte{regMode1}, R: []byte{bitAllCall | bitAI}},
		{Addr: addr, W: []byte{regMode1, bitAllCall | bitAI | bitSleep}},
		{Addr: addr, W: []byte{regPrescale, 122}},
		{Addr: addr, W: []byte{regMode1, bitAllCall | bitAI}},
		{Addr: addr, W: []byte{regMode1, bitAllCall | bitAI | bitRestart}},
	}
}

// setFreq60 is the extra traffic when New is asked for 60 Hz (prescale 102).
func setFreq60() []i2ctest.IO {
	return []i2ctest.IO{
		{Addr: addr, W: []byte{regMode1}, R: []byte{bitAllCall | bitAI | bitRestart}},
		{Addr: addr, W: []byte{regMode1, bitAllCall | bitAI | bitSleep}},
		{Addr: addr, W: []byte{regPrescale, 102}},
		{Addr: addr, W: []byte{regMode1, bitAllCall | bitAI | bitRestart}},
		{Addr: addr, W: []byte{regMode1, bitAllCall | bitAI | bitRestart}},
	}
}

// setPWM is the write for one channel: ON at count 0, OFF at count off.
func setPWM(ch int, off int) i2ctest.IO {
	return i2ctest.IO{Addr: addr, W: []byte{byte(regLed0OnL + 4*ch), 0, 0, byte(off), byte(off >> 8)}}
}

func fullOff(ch int) i2ctest.IO {
	return i2ctest.IO{Addr: addr, W: []byte{byte(regLed0OnL + 4*ch + 3), bitFullOff}}
}

// testCals: base on channel 0, elbow on 1 (mirrored), gripper on 15.
func testCals() servo.Calibrations {
	cs := servo.DefaultCalibrations([]string{"base", "elbow"})
	cs[1].Direction = -1
	cs[2].Channel = 15
	return cs
}

func playback(ops ...[]i2ctest.IO) *i2ctest.Playback {
	return &i2ctest.Playback{Ops: slices.Concat(ops...), DontPanic: true}
}

// done checks that the playback was consumed exactly.
func done(t *testing.T, p *i2ctest.Playback) {
	t.Helper()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestInitSequence(t *testing.T) {
	t.Parallel()
	p := playback(resetAndPrescale())
	b, err := New(p, addr, testCals(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if b.Prescale() != 122 {
		t.Fatalf("Prescale = %d, want 122", b.Prescale())
	}
	done(t, p)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	done(t, p) // Close does not touch a bus it does not own
}

func TestInitSequence60Hz(t *testing.T) {
	t.Parallel()
	// 1500 µs of a 103·4096-tick frame is 364 counts, 500 µs is 121.
	p := playback(resetAndPrescale(), setFreq60(), []i2ctest.IO{setPWM(0, 364), setPWM(1, 364), setPWM(15, 121)})
	b, err := New(p, addr, testCals(), 60)
	if err != nil {
		t.Fatal(err)
	}
	if b.Prescale() != 102 {
		t.Fatalf("Prescale = %d, want 102", b.Prescale())
	}
	if err := b.Write([]float64{0, 0}, 0); err != nil {
		t.Fatal(err)
	}
	done(t, p)
}

func TestWriteAngleToRegisters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		joints     []float64
		gripper    float64
		wantPulses []int // base, elbow, gripper (µs)
		wantCounts []int // of a 123·4096-tick frame (prescale 122)
	}{
		{"centre, open", []float64{0, 0}, 0, []int{1500, 1500, 500}, []int{305, 305, 102}},
		{"base +90°, elbow (mirrored) +90°, closed", []float64{math.Pi / 2, math.Pi / 2}, 1, []int{2500, 500, 2500}, []int{508, 102, 508}},
		{"base -45°, elbow -30°, half", []float64{-math.Pi / 4, -math.Pi / 6}, 0.5, []int{1000, 1833, 1500}, []int{203, 373, 305}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cals := testCals()
			pulses, err := cals.Pulses(tc.joints, tc.gripper)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(pulses, tc.wantPulses) {
				t.Fatalf("pulses = %v µs, want %v", pulses, tc.wantPulses)
			}
			p := playback(resetAndPrescale(), []i2ctest.IO{
				setPWM(0, tc.wantCounts[0]),
				setPWM(1, tc.wantCounts[1]),
				setPWM(15, tc.wantCounts[2]),
			})
			b, err := New(p, addr, cals, DefaultFreqHz)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Write(tc.joints, tc.gripper); err != nil {
				t.Fatal(err)
			}
			done(t, p)
		})
	}
}

func TestCounts(t *testing.T) {
	b := &Backend{prescale: 122}
	for _, tc := range []struct{ us, want int }{
		{500, 102}, {1000, 203}, {1500, 305}, {2000, 407}, {2500, 508}, {20200, 4095}, {30000, 4095},
	} {
		if got := b.counts(tc.us); got != tc.want {
			t.Errorf("counts(%d µs) = %d, want %d", tc.us, got, tc.want)
		}
	}
	if got := prescaleFor(50); got != 122 {
		t.Errorf("prescaleFor(50) = %d, want 122", got)
	}
	if got := hz(50); got != 50*physic.Hertz {
		t.Errorf("hz(50) = %v", got)
	}
}

func TestRelease(t *testing.T) {
	t.Parallel()
	p := playback(resetAndPrescale(), []i2ctest.IO{fullOff(0), fullOff(1), fullOff(15), setPWM(0, 305), setPWM(1, 305), setPWM(15, 102)})
	b, err := New(p, addr, testCals(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Release(); err != nil {
		t.Fatal(err)
	}
	// Writing again re-engages: the full-off bit is cleared by the 4-byte write.
	if err := b.Write([]float64{0, 0}, 0); err != nil {
		t.Fatal(err)
	}
	done(t, p)
}

// failingBus answers like the playback but fails every transfer that writes
// register failReg.
type failingBus struct {
	i2c.Bus
	failReg byte
}

var errNAK = errors.New("i2c: remote I/O error (NAK)")

func (f *failingBus) Tx(a uint16, w, r []byte) error {
	if len(w) > 0 && w[0] == f.failReg {
		return errNAK
	}
	return f.Bus.Tx(a, w, r)
}

func TestBusErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// bus builds the bus; rec, if set, is what recorded the traffic.
		bus       func() (i2c.Bus, *i2ctest.Record)
		call      func(*Backend) error
		want      []string
		wantIs    error
		wantAfter int // transfers recorded after init when rec is set
	}{
		{
			name: "playback runs out after channel 0",
			bus: func() (i2c.Bus, *i2ctest.Record) {
				return playback(resetAndPrescale(), []i2ctest.IO{setPWM(0, 305)}), nil
			},
			call: func(b *Backend) error { return b.Write([]float64{0, 0}, 0) },
			want: []string{"pca9685 0x40", `channel 1 (joint "elbow")`, "set 1500 µs (305/4096)", "unexpected Tx"},
		},
		{
			name: "playback expects other bytes for the gripper",
			bus: func() (i2c.Bus, *i2ctest.Record) {
				return playback(resetAndPrescale(), []i2ctest.IO{setPWM(0, 305), setPWM(1, 305), setPWM(15, 999)}), nil
			},
			call: func(b *Backend) error { return b.Write([]float64{0, 0}, 0) },
			want: []string{`channel 15 (joint "gripper")`, "unexpected write"},
		},
		{
			name: "record over a bus that NAKs channel 1 stops the write there",
			bus: func() (i2c.Bus, *i2ctest.Record) {
				rec := &i2ctest.Record{Bus: &failingBus{Bus: playback(resetAndPrescale(), []i2ctest.IO{setPWM(0, 305), setPWM(15, 102)}), failReg: regLed0OnL + 4}}
				return rec, rec
			},
			call:      func(b *Backend) error { return b.Write([]float64{0, 0}, 0) },
			want:      []string{`channel 1 (joint "elbow")`},
			wantIs:    errNAK,
			wantAfter: 1, // channel 0 only; the gripper was not attempted
		},
		{
			name: "release tries every channel and names the failed one",
			bus: func() (i2c.Bus, *i2ctest.Record) {
				rec := &i2ctest.Record{Bus: &failingBus{Bus: playback(resetAndPrescale(), []i2ctest.IO{fullOff(0), fullOff(15)}), failReg: regLed0OnL + 4 + 3}}
				return rec, rec
			},
			call:      (*Backend).Release,
			want:      []string{`channel 1 (joint "elbow"): full off`},
			wantIs:    errNAK,
			wantAfter: 2, // channels 0 and 15 still released
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bus, rec := tc.bus()
			b, err := New(bus, addr, testCals(), 0)
			if err != nil {
				t.Fatal(err)
			}
			initOps := 0
			if rec != nil {
				initOps = len(rec.Ops)
			}
			err = tc.call(b)
			if err == nil {
				t.Fatal("no error from a failing bus")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %q does not wrap %v", err, tc.wantIs)
			}
			if rec != nil {
				if got := len(rec.Ops) - initOps; got != tc.wantAfter {
					t.Errorf("%d transfers after init, want %d: %v", got, tc.wantAfter, rec.Ops[initOps:])
				}
			}
		})
	}
}

func TestInitErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		bus  i2c.Bus
		want string
	}{
		// A Record without a bus cannot read MODE1.
		{"record without a bus", &i2ctest.Record{}, "init (reset all channels, 50 Hz)"},
		{"empty playback", playback(), "unexpected Tx"},
		{"chip NAKs the prescaler", &failingBus{Bus: playback(resetAndPrescale()), failReg: regPrescale}, "init"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tc.bus, addr, testCals(), 0)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "pca9685 0x40") {
				t.Fatalf("New = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestNewRejectsBadArguments(t *testing.T) {
	t.Parallel()
	outOfBoard := testCals()
	outOfBoard[2].Channel = 16
	longPulse := testCals()
	tests := []struct {
		name   string
		bus    i2c.Bus
		addr   uint16
		cals   servo.Calibrations
		freqHz float64
		want   string
	}{
		{"nil bus", nil, addr, testCals(), 0, "bus: nil"},
		{"10-bit address", playback(), 0x140, testCals(), 0, "addr: 0x140"},
		{"frequency too high", playback(), addr, testCals(), 2000, "freqHz: 2000 Hz"},
		{"frequency NaN", playback(), addr, testCals(), math.NaN(), "freqHz: NaN Hz"},
		{"negative frequency", playback(), addr, testCals(), -50, "freqHz: -50 Hz"},
		{"channel 16", playback(), addr, outOfBoard, 0, `servos[2] (joint "gripper"): channel: 16 is above this board's last channel 15`},
		{"no calibrations", playback(), addr, nil, 0, "servos: empty"},
		{"pulse longer than the frame", playback(), addr, longPulse, 500, `servos[0] (joint "base"): pulse_max_us: 2500 µs does not fit`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tc.bus, tc.addr, tc.cals, tc.freqHz)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want an error containing %q", err, tc.want)
			}
			if p, ok := tc.bus.(*i2ctest.Playback); ok && p.Count != 0 {
				t.Fatalf("bad arguments caused %d bus transfers", p.Count)
			}
		})
	}
}

func TestWriteRejectsBeforeBusTraffic(t *testing.T) {
	t.Parallel()
	p := playback(resetAndPrescale())
	b, err := New(p, addr, testCals(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		joints  []float64
		gripper float64
		want    string
	}{
		{"too few joints", []float64{0}, 0, "got 1 joint angles, want 2"},
		{"elbow out of range", []float64{0, 2}, 0, `pca9685 0x40: joint "elbow" (channel 1)`},
		{"gripper out of range", []float64{0, 0}, -1, `joint "gripper" (channel 15)`},
	} {
		if err := b.Write(tc.joints, tc.gripper); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Write = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	done(t, p) // no transfer beyond init
}

func TestClosed(t *testing.T) {
	t.Parallel()
	p := playback(resetAndPrescale())
	b, err := New(p, addr, testCals(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Write([]float64{0, 0}, 0); !errors.Is(err, servo.ErrClosed) {
		t.Fatalf("Write after Close = %v, want ErrClosed", err)
	}
	if err := b.Release(); !errors.Is(err, servo.ErrClosed) {
		t.Fatalf("Release after Close = %v, want ErrClosed", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	done(t, p)
}

func TestWritePulse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		channel, us int
		wantCounts  int // of a 123·4096-tick frame (prescale 122)
	}{
		{"base at centre", 0, 1500, 305},
		{"elbow below its calibrated minimum", 1, 400, 81},
		{"gripper at the absolute maximum", 15, servo.MaxPulseUS, 813},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := playback(resetAndPrescale(), []i2ctest.IO{setPWM(tc.channel, tc.wantCounts)})
			b, err := New(p, addr, testCals(), 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.WritePulse(tc.channel, tc.us); err != nil {
				t.Fatal(err)
			}
			done(t, p) // one register write, for that channel only
		})
	}
}

func TestWritePulseRejectsBeforeBusTraffic(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		freqHz      float64
		channel, us int
		want        string
	}{
		{"uncalibrated channel", 0, 3, 1500, "pca9685 0x40: channel 3: no servo is calibrated on it; use one of 0, 1, 15"},
		{"below the absolute minimum", 0, 0, servo.MinPulseUS - 1, `joint "base" (channel 0): pulse 99 µs is outside`},
		{"above the absolute maximum", 0, 15, servo.MaxPulseUS + 1, `joint "gripper" (channel 15): pulse 4001 µs`},
		{"longer than the frame", 300, 1, 3500, `channel 1 (joint "elbow"): pulse 3500 µs does not fit in the 3441 µs frame`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var ops []i2ctest.IO
			if tc.freqHz != 0 {
				ops = []i2ctest.IO{
					{Addr: addr, W: []byte{regMode1}, R: []byte{bitAllCall | bitAI | bitRestart}},
					{Addr: addr, W: []byte{regMode1, bitAllCall | bitAI | bitSleep}},
					{Addr: addr, W: []byte{regPrescale, 20}},
					{Addr: addr, W: []byte{regMode1, bitAllCall | bitAI | bitRestart}},
					{Addr: addr, W: []byte{regMode1, bitAllCall | bitAI | bitRestart}},
				}
			}
			p := playback(resetAndPrescale(), ops)
			b, err := New(p, addr, testCals(), tc.freqHz)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.WritePulse(tc.channel, tc.us); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("WritePulse = %v, want an error containing %q", err, tc.want)
			}
			done(t, p) // no transfer beyond init
		})
	}
}

func TestWritePulseBusErrorAndClosed(t *testing.T) {
	t.Parallel()
	b, err := New(&failingBus{Bus: playback(resetAndPrescale()), failReg: regLed0OnL + 4}, addr, testCals(), 0)
	if err != nil {
		t.Fatal(err)
	}
	err = b.WritePulse(1, 1600)
	if !errors.Is(err, errNAK) || !strings.Contains(err.Error(), `channel 1 (joint "elbow"): set 1600 µs`) {
		t.Fatalf("WritePulse on a NAKing bus = %v", err)
	}
	b.Close()
	if err := b.WritePulse(0, 1500); !errors.Is(err, servo.ErrClosed) {
		t.Fatalf("WritePulse after Close = %v, want ErrClosed", err)
	}
}
