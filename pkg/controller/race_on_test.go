//go:build race

package controller

// raceDetector is true under go test -race, which makes the IK-heavy
// sweeps about ten times slower.
const raceDetector = true
