#!/usr/bin/env bash
# cross.sh: vet every package and compile (and link) every package's tests,
# without running them, for each platform gale supports, and a few again with
# the gale_poll tag that forces the poll(2) backend. It prints one line per
# platform and stops at the first failure, showing its output.
#
# Run from anywhere in the repository; it needs only Go (no cgo, no C
# toolchain). The Go build cache makes repeated runs fast.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export CGO_ENABLED=0

goos_list=(linux darwin freebsd netbsd openbsd dragonfly solaris illumos windows)
goarch_list=(amd64 arm64)
# Platforms built a second time with -tags gale_poll.
poll_list=(linux/amd64 darwin/arm64 freebsd/amd64 illumos/amd64)

known=" $(go tool dist list | tr '\n' ' ') "

# check PLATFORM [TAGS]: vet, then build every test binary (discarded:
# -o /dev/null links them all without name clashes between packages).
check() {
	local platform=$1 tags=${2:-} label=$1 out
	local args=()
	if [[ -n $tags ]]; then
		args=(-tags "$tags")
		label="$platform (-tags $tags)"
	fi
	local goos=${platform%/*} goarch=${platform#*/}
	if ! out=$(GOOS=$goos GOARCH=$goarch go vet "${args[@]}" ./... 2>&1); then
		printf 'cross: FAIL %s: go vet\n%s\n' "$label" "$out" >&2
		exit 1
	fi
	if ! out=$(GOOS=$goos GOARCH=$goarch go test "${args[@]}" -c -o /dev/null ./... 2>&1); then
		printf 'cross: FAIL %s: go test -c\n%s\n' "$label" "$out" >&2
		exit 1
	fi
	printf 'cross: ok  %s\n' "$label"
}

for goos in "${goos_list[@]}"; do
	for goarch in "${goarch_list[@]}"; do
		if [[ $known == *" $goos/$goarch "* ]]; then
			check "$goos/$goarch"
		fi
	done
done
for platform in "${poll_list[@]}"; do
	check "$platform" gale_poll
done
