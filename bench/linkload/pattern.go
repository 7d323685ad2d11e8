package main

import "math"

// The benchmark's target stream, shared with bench/run.py (target()), which
// must compute the same numbers: a fast side-to-side sweep, faster than the
// arm's joint speed limit so the arm is always moving (the controller then
// pushes its periodic tick events, which P2 reads), with a slow forward
// ramp that makes every target of the last ~997 distinct, so an ack's target
// coordinates identify the published message.
const (
	patternX0     = 0.150 // m, start of the forward ramp
	patternXStep  = 1e-5  // m per target
	patternXSteps = 997   // ramp length in targets (prime: never in step with the sweep)
	patternYAmp   = 0.080 // m, sweep amplitude
	patternYHz    = 2.0   // sweep frequency, Hz
	patternZ      = 0.120 // m
)

// Target is the k-th target of a stream published at rate Hz, in metres in
// the arm's base frame (REP 103).
func Target(k uint64, rate float64) (x, y, z float64) {
	t := float64(k) / rate
	x = patternX0 + float64(k%patternXSteps)*patternXStep
	y = patternYAmp * math.Sin(2*math.Pi*patternYHz*t)
	return x, y, patternZ
}
