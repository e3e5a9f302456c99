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
## 64-byte messages, then 10,000 idle connections for memory, then HTTP/1.1
## (gale, fasthttp, gnet, net/http: 128 keep-alive connections, plain and 16
## pipelined), then WebSocket (gale, gorilla/websocket, nbio: 128 connections
## ping-ponging 64-byte and 4 KiB messages, 10,000 idle connections with and
## without compression, a 1 KiB broadcast to 10,000); prints a table of
## medians and ratios, and writes results.json,
## table.txt and SVG charts to bench/results/<UTC timestamp>/. See
## docs/benchmarks.md and bench/DESIGN.md.
BENCHRUN ?= -reps 1 -duration 5s -quiet-wait 20s
bench:
	cd bench && $(GO) run ./cmd/run $(BENCHRUN)

## bench-long: the long suite (about 15 minutes): gale, gnet and Go's net,
## 3 repetitions of 10 s, echo at 1,000 and at 10,000 connections (one runner
## invocation each: the runner takes one -conns), then 100,000 idle
## connections across 6 server processes (SO_REUSEPORT; 20,000 descriptors
## each at most) and 8 load processes (127.0.0.1-8: connect() takes the 14,116
## even ports of ip_local_port_range first, so at most ~14,000 per source
## address). Each invocation writes its own bench/results/<UTC timestamp>/.
## See the "long suite" in docs/benchmarks.md and bench/DESIGN.md.
.PHONY: bench-long
BENCHLONG ?= -reps 3 -duration 10s
BENCHLONG_IDLE ?= -idle-conns 100000 -idle-servers 6 -idle-loaders 8
bench-long:
	cd bench && $(GO) run ./cmd/run $(BENCHLONG) -scenarios echo -conns 1000
	cd bench && $(GO) run ./cmd/run $(BENCHLONG) -scenarios echo -conns 10000
	cd bench && $(GO) run ./cmd/run $(BENCHLONG) -scenarios idle $(BENCHLONG_IDLE)

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
