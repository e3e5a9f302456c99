# gale's developer commands. `make test` is what CI runs; `make bench` is the
# README's main command.

GO      ?= go
PKGS    := ./...
FUZZTIME ?= 10s

.PHONY: all test vet race test-poll cross wine bench bench-loop fuzz cover clean

all: test

## test: everything CI checks: vet, the race-enabled suite on the default
## backend and on poll(2), the cross-platform compile matrix, and the Windows
## build's tests under wine (skipped with a message when wine is missing).
test: vet race test-poll cross wine

vet:
	$(GO) vet $(PKGS)

race:
	$(GO) test -race -count=1 $(PKGS)

## test-poll: the whole suite again with poll(2) as the default backend.
test-poll:
	$(GO) test -race -count=1 -tags gale_poll $(PKGS)

## cross: vet and compile (tests included) for every supported platform.
cross:
	bash .ci/cross.sh

## wine: build the Windows test binaries and run them under wine.
wine:
	bash .ci/wine-test.sh

## bench: the short benchmark suite.
bench: bench-loop

bench-loop:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./loop/ ./poller/

## fuzz: a short run of every fuzz target.
fuzz:
	bash .ci/fuzz.sh $(FUZZTIME)

## cover: coverage profile and HTML report in build/.
cover:
	mkdir -p build
	$(GO) test -count=1 -coverprofile=build/cover.out $(PKGS)
	$(GO) tool cover -func=build/cover.out | tail -1
	$(GO) tool cover -html=build/cover.out -o build/cover.html

clean:
	rm -rf build
