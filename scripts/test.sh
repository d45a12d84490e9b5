#!/bin/sh
# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
#
# Installs what is needed, builds, and runs every test: the unit suite
# (cmocka, through meson), the fuzz-target seed replays and the integration
# suite (pytest against real daemons, tools and simulators it starts itself).
#
#   scripts/test.sh            normal build in build/
#   scripts/test.sh --asan     ASan+UBSan build in build-asan/
#   scripts/test.sh --valgrind unit suite under valgrind, build/
#
# Writes results to <builddir>/test-results/ and prints "N passed, N failed".
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)

mode=${1:-normal}
"$root/scripts/install-deps.sh" >/dev/null

case "$mode" in
normal | --valgrind)
	builddir=build
	setup_args=""
	;;
--asan)
	builddir=build-asan
	setup_args="-Db_sanitize=address,undefined -Db_lundef=false"
	;;
*)
	echo "usage: $0 [--asan|--valgrind]" >&2
	exit 2
	;;
esac

if [ ! -f "$builddir/build.ninja" ]; then
	# shellcheck disable=SC2086
	meson setup "$builddir" $setup_args
fi
ninja -C "$builddir"

results="$root/$builddir/test-results"
rm -rf "$results"
mkdir -p "$results"

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

status=0
if [ "$mode" = "--valgrind" ]; then
	meson test -C "$builddir" --setup valgrind --suite unit \
		--num-processes 2 --print-errorlogs || status=1
else
	meson test -C "$builddir" --num-processes 2 --print-errorlogs || status=1
fi
# Only this run's log (a --valgrind run leaves the normal run's beside it).
log=testlog.json
[ "$mode" = "--valgrind" ] && log=testlog-valgrind.json
cp "$builddir/meson-logs/$log" "$results/" 2>/dev/null || true

if [ "$mode" != "--valgrind" ] && [ -d tests/integration ] &&
	ls tests/integration/test_*.py >/dev/null 2>&1; then
	KW_BUILD_DIR="$root/$builddir" /usr/bin/python3 -m pytest -q \
		-p no:cacheprovider --junitxml="$results/integration.xml" \
		tests/integration tests/pkcs11 tests/tpm || status=1
fi

/usr/bin/python3 "$root/scripts/summarize-tests.py" "$results"
exit $status
