#!/usr/bin/env bash
# Build every package's tests for windows/amd64 and run them under wine.
#
# Usage: bash .ci/wine-test.sh   (from anywhere; it works from the repo root)
#
# Needs the Debian packages wine64 and gcc-mingw-w64-x86-64; without them it
# says so and exits 0, so that `make test` still works on machines without
# wine. Everything it creates lives under build/ (ignored by git):
#
#   build/wineprefix/   a private wine prefix, created on first use
#   build/wine/         the bcryptprimitives.dll stub, rebuilt on every run
#   build/win/          the test binaries, <package path with / as ->.test.exe
#
# Debian's wine 8.0 has no bcryptprimitives.dll, which every Go >= 1.22
# Windows binary loads at start for ProcessPrng, so a stub built from
# .ci/wine/bcryptprimitives.c is copied into the prefix's system32.
#
# Environment: GO (default go), WINE_TEST_TIMEOUT (seconds per test binary,
# default 300).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
GO=${GO:-go}
per_test_timeout=${WINE_TEST_TIMEOUT:-300}

skip() {
	echo "wine: SKIP: install the Debian packages wine64 and gcc-mingw-w64-x86-64 to run the Windows tests"
	# CI (.ci/run) installs them and sets GALE_REQUIRE_PEERS: there a
	# missing peer is a failure, never a silent skip.
	if [ -n "${GALE_REQUIRE_PEERS:-}" ]; then
		echo "wine: GALE_REQUIRE_PEERS is set: failing" >&2
		exit 1
	fi
	exit 0
}

# Debian's wine64 package puts its loader in /usr/lib/wine, off PATH, unless
# the wine package adds the /usr/bin wrappers.
wine=
for c in wine64 /usr/lib/wine/wine64 wine; do
	if p=$(command -v "$c" 2>/dev/null) && [ -x "$p" ]; then
		wine=$p
		break
	fi
done
[ -n "$wine" ] || skip
cc=$(command -v x86_64-w64-mingw32-gcc 2>/dev/null) || skip

# wineserver lives beside the loader; it is used to wait for, and at the end
# stop, the server of this private prefix only.
wineserver=
for c in "$(dirname "$wine")/wineserver" "$(dirname "$wine")/wineserver64" wineserver; do
	if p=$(command -v "$c" 2>/dev/null) && [ -x "$p" ]; then
		wineserver=$p
		break
	fi
done

export WINEPREFIX=$root/build/wineprefix
export WINEARCH=win64
export WINEDEBUG=-all
# No Mono or Gecko installer dialogs while the prefix is created.
export WINEDLLOVERRIDES="mscoree,mshtml="
# Console programs only: never talk to an X or Wayland display.
unset DISPLAY WAYLAND_DISPLAY

stop_wineserver() {
	if [ -n "$wineserver" ] && [ -d "$WINEPREFIX" ]; then
		"$wineserver" -k >/dev/null 2>&1 || true
	fi
}
trap stop_wineserver EXIT

mkdir -p build/wine build/win
start=$SECONDS

# A prefix whose creation was interrupted is recreated from scratch; the
# marker is written only once wineboot has finished.
ready=$WINEPREFIX/.gale-ready
if [ ! -f "$ready" ]; then
	rm -rf "$WINEPREFIX"
	echo "wine: creating the prefix $WINEPREFIX"
	if ! timeout 300 "$wine" wineboot -i </dev/null >build/wine/wineboot.log 2>&1; then
		cat build/wine/wineboot.log >&2
		echo "wine: FAIL: wineboot could not create $WINEPREFIX" >&2
		exit 1
	fi
	if [ -n "$wineserver" ]; then
		"$wineserver" -w
	fi
	touch "$ready"
fi

system32=$WINEPREFIX/drive_c/windows/system32
if [ ! -d "$system32" ]; then
	echo "wine: FAIL: $system32 is missing; delete $WINEPREFIX and rerun" >&2
	exit 1
fi
"$cc" -shared -O2 -Wall -o build/wine/bcryptprimitives.dll \
	.ci/wine/bcryptprimitives.c .ci/wine/bcryptprimitives.def -ladvapi32
cp build/wine/bcryptprimitives.dll "$system32/bcryptprimitives.dll"

module=$("$GO" list -m)
mapfile -t pkgs < <(GOOS=windows GOARCH=amd64 "$GO" list \
	-f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}} {{.Dir}}{{end}}' ./... | sed '/^$/d')

# Build everything first, so that a compile error is reported before any
# test time is spent.
names=() dirs=()
for line in "${pkgs[@]}"; do
	pkg=${line%% *}
	dir=${line#* }
	rel=${pkg#"$module"}
	rel=${rel#/}
	name=${rel:-root}
	name=${name//\//-}
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 "$GO" test -c -o "build/win/$name.test.exe" "$pkg"
	names+=("$name")
	dirs+=("$dir")
done

failed=()
for i in "${!names[@]}"; do
	name=${names[$i]}
	exe=$root/build/win/$name.test.exe
	echo "wine: $name"
	# Like go test, run in the package's directory so testdata/ is found.
	rc=0
	(cd "${dirs[$i]}" && timeout --kill-after=10 "$per_test_timeout" \
		"$wine" "$exe" -test.v=false -test.count=1 </dev/null) || rc=$?
	if [ "$rc" -ne 0 ]; then
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			echo "wine: FAIL: $name timed out after ${per_test_timeout}s" >&2
		else
			echo "wine: FAIL: $name (exit status $rc)" >&2
		fi
		failed+=("$name")
	fi
done

if [ ${#failed[@]} -ne 0 ]; then
	echo "wine: FAIL: ${failed[*]}" >&2
	exit 1
fi
echo "wine: took $((SECONDS - start))s"
echo "wine: ok (${#names[@]} packages)"
