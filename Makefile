# gale's developer commands. `make test` is what CI runs; `make bench` is the
# README's main command.

GO      ?= go
PKGS    := ./...
FUZZTIME ?= 10s

.PHONY: all test vet race allocs test-poll test-bench cross wine bench bench-micro fuzz cover clean

all: test

## test: everything CI checks: vet, the race-enabled suite on the default
## backend and on poll(2), the cross-platform compile matrix, and the Windows
## build's tests under wine (skipped with a message when wine is missing).
test: vet race allocs test-poll test-bench cross wine

vet:
	$(GO) vet $(PKGS)

race:
	$(GO) test -race -count=1 $(PKGS)

## allocs: the zero-allocation guards, which the race detector would skew.
allocs:
	$(GO) test -count=1 -run 'Alloc' $(PKGS)

## test-poll: the whole suite again with poll(2) as the default backend.
test-poll:
	$(GO) test -race -count=1 -tags gale_poll $(PKGS)

## cross: vet and compile (tests included) for every supported platform.
cross:
	bash .ci/cross.sh

## wine: build the Windows test binaries and run them under wine.
wine:
	bash .ci/wine-test.sh

## bench: the short C10K run (README's main command): gale, gnet and Go's net
## as echo servers on one pinned core each, 1,000 connections exchanging
## 64-byte messages, then 10,000 idle connections for memory; prints a table
## of medians and ratios, and writes results.json, table.txt and SVG charts to
## bench/results/<UTC timestamp>/. See docs/benchmarks.md and bench/DESIGN.md.
BENCHRUN ?= -reps 1 -duration 5s -quiet-wait 20s
bench:
	cd bench && $(GO) run ./cmd/run $(BENCHRUN)

## bench-micro: the package benchmarks (loop, poller, stream) on the default
## backend and on poll(2), with benchstat's medians side by side.
BENCHSTAT ?= $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20231127181059-b53752263861
BENCHFLAGS ?= -benchmem -count 6 -benchtime 500ms

bench-micro:
	mkdir -p build
	$(GO) test -run '^$$' -bench . $(BENCHFLAGS) ./loop/ ./poller/ ./stream/ | tee build/bench-default.txt
	$(GO) test -tags gale_poll -run '^$$' -bench . $(BENCHFLAGS) ./loop/ ./poller/ ./stream/ | tee build/bench-poll.txt
	$(BENCHSTAT) default=build/bench-default.txt poll=build/bench-poll.txt

## test-bench: the bench module's own tests (servers, load generator, runner).
test-bench:
	cd bench && $(GO) vet ./... && $(GO) test -race -count=1 ./...

## fuzz: a short run of every fuzz target.
fuzz:
	bash .ci/fuzz.sh $(FUZZTIME)

## cover: coverage profile and HTML report in build/.
cover:
	mkdir -p build
	$(GO) test -count=1 -coverpkg=./... -coverprofile=build/cover.out $(PKGS)
	$(GO) tool cover -func=build/cover.out | tail -1
	$(GO) tool cover -html=build/cover.out -o build/cover.html

clean:
	rm -rf build
