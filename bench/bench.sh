#!/usr/bin/env bash
# `make bench`: build everything the benchmark needs, profile the hot paths
# with pprof, run bench/run.py, and leave bench/results/<date>.{md,json,png}.
# Not part of `make test` or CI: it takes about six minutes and wants a quiet
# machine. Extra arguments go to run.py (e.g. --scale 0.1 for a smoke run).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS=-mod=mod
export GONOSUMDB=github.com/tiiuae/rclgo,github.com/kivilahtio/go-re

make build                       # .venv, msgs, bin/aether_bridge, bin/aether_controller
source scripts/env.sh            # ROS env + cgo flags (the relay is an rclgo node)
out=build/bench
mkdir -p "$out"
go build -o "$out/relay" ./bench/relay
CGO_ENABLED=0 go build -o "$out/linkload" ./bench/linkload
CGO_ENABLED=0 go build -o "$out/plot" ./bench/plot

# Profiles of the hot paths, from the packages' own benchmarks (pprof), so the
# report can say where the time goes: one command round trip through the
# controller, and pipelined commands through pkg/link to a real controller; and
# the cost of one servo tick.
# A failing benchmark loses its evidence (the report then says "no pprof
# profile"), not the run.
rm -f "$out"/*.prof "$out"/*.top.txt "$out"/*.bench.txt
profile() { # name package benchmark
  CGO_ENABLED=0 go test -run '^$' -bench "$3" -benchtime 3s -count 1 \
      -cpuprofile "$out/$1.prof" -o "$out/$1.test" "$2" > "$out/$1.bench.txt" &&
    go tool pprof -top -nodecount 25 "$out/$1.test" "$out/$1.prof" > "$out/$1.top.txt" 2>/dev/null ||
    echo "bench.sh: profiling $3 in $2 failed; see $out/$1.bench.txt" >&2
}
profile controller ./pkg/controller 'BenchmarkCommandRoundTrip$'
CGO_ENABLED=0 go test -run '^$' -bench 'BenchmarkTick$' -count 1 ./pkg/controller >> "$out/controller.bench.txt" ||
  echo "bench.sh: BenchmarkTick failed" >&2
profile link ./pkg/link 'BenchmarkLinkRoundTrip/pipelined$'

# Bus-servo cycle (issue 14): one six-servo SYNC WRITE + SYNC READ over the fake bus (a pty),
# beside the wire-time floor of the same bytes at 1 Mbit/s (bytes x 10 bits / baud), and the ratio.
CGO_ENABLED=0 go test -run '^$' -bench 'BenchmarkBusCycle' -benchtime 3s -count 1 ./pkg/servo/bus |
  tee "bench/results/$(date -u +%F)-bus.txt" || echo "bench.sh: BenchmarkBusCycle failed" >&2

.venv/bin/python bench/run.py "$@"
# The motion-quality phase (issue 11 item 8): fake-clock tool path against the input path, and
# the controller's CPU idle and with a 30 Hz client; its table goes beside the day's report.
.venv/bin/python bench/motion_phase.py | tee "bench/results/$(date -u +%F)-motion.md"
