#!/bin/sh
# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
#
# bench/snapshot.sh BUILD DIR: copies the binaries bench/ab.py and
# bench/scale.py run (daemon, CLI, PKCS#11 module, kwbench) from a build
# directory into DIR, keeping the build's layout, so that a "before" can
# be measured against an "after" built in the same directory.
set -eu
build=$1
dir=$2
for f in src/daemon/keywardend src/cli/keywarden \
	src/pkcs11/libkeywarden-pkcs11.so bench/kwbench; do
	mkdir -p "$dir/$(dirname "$f")"
	cp "$build/$f" "$dir/$f"
done
