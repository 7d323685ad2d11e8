package controller

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// nextDeadline is when the watchdog must look again (docs/protocol.md §7),
// or zero when nothing is pending: ok → hold when the control client's
// silence reaches Watchdog, hold → parking after ParkAfter, parked → off
// after ReleaseAfter. parking → parked is the tick's, when the arm arrives.
// A latched stop or servo fault holds: no deadline.
func (m *motion) nextDeadline() time.Time {
	cfg := m.s.cfg
	switch m.wd {
	case protocol.WatchdogOK:
		if m.lease == nil {
			return m.s.clock.Now()
		}
		return m.lease.lastLine().Add(cfg.Watchdog)
	case protocol.WatchdogHold:
		if m.estopped || m.fault != "" { // held until reset / torque on
			return time.Time{}
		}
		return laterOf(m.holdSince.Add(cfg.ParkAfter), m.releaseRetry)
	case protocol.WatchdogParked:
		return laterOf(m.parkedSince.Add(cfg.ReleaseAfter), m.releaseRetry)
	}
	return time.Time{}
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// watchdog moves ok → hold → parking, and parked → off, on the clock.
func (m *motion) watchdog(now time.Time) {
	cfg := m.s.cfg
	switch m.wd {
	case protocol.WatchdogOK:
		if m.lease == nil {
			m.setWatchdog(now, protocol.WatchdogHold, "no client holds control")
		} else if silent := now.Sub(m.lease.lastLine()); silent >= cfg.Watchdog {
			m.setWatchdog(now, protocol.WatchdogHold, fmt.Sprintf("the control client sent nothing for %v", silent.Round(time.Millisecond)))
		}
	case protocol.WatchdogHold:
		if m.estopped || m.fault != "" || now.Sub(m.holdSince) < cfg.ParkAfter {
			return
		}
		if m.raw == nil {
			m.still.reset()
			copy(m.target, m.park)
			m.vel = m.parkV
			m.setWatchdog(now, protocol.WatchdogParking, fmt.Sprintf("held for %v", cfg.ParkAfter))
			return
		}
		// Calibrating: no calibrated way to park from a raw pulse, and a
		// servo pushed against a limit must not strain there for ever.
		if m.releaseServos() {
			m.endCalibration("watchdog")
			m.released = true
			m.setWatchdog(now, protocol.WatchdogOff, fmt.Sprintf("held for %v while calibrating: servo pulses off", cfg.ParkAfter))
		}
	case protocol.WatchdogParked:
		if now.Sub(m.parkedSince) >= cfg.ReleaseAfter && m.releaseServos() {
			m.released = true
			m.setWatchdog(now, protocol.WatchdogOff, fmt.Sprintf("parked for %v: servo pulses off", cfg.ReleaseAfter))
		}
	}
}

// releaseServos switches the servo pulses off; on failure it logs (once)
// and returns false, so the watchdog tries again a tick later.
func (m *motion) releaseServos() bool {
	if err := m.s.backend.Release(); err != nil {
		m.logWriteErr(fmt.Errorf("release: %w", err))
		m.releaseRetry = m.s.clock.Now().Add(m.s.cfg.tickPeriod())
		return false
	}
	m.releaseRetry = time.Time{}
	return true
}

// setWatchdog changes the watchdog state, logging each step.
func (m *motion) setWatchdog(now time.Time, wd, why string) {
	if m.wd == wd {
		return
	}
	if wd == protocol.WatchdogHold {
		// No new motion from here on. A move in progress still ends at
		// its accepted, validated target rather than at whatever pose
		// lies between; stop is the way to freeze the arm.
		m.holdSince = now
	}
	lvl := slog.LevelInfo
	if wd != protocol.WatchdogOK {
		lvl = slog.LevelWarn
	}
	m.log.Log(context.Background(), lvl, "watchdog: "+m.wd+" → "+wd, "why", why)
	m.wd = wd
}
