#!/bin/sh
# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
#
# Fails if any C file differs from what clang-format makes of it.
# With --fix, rewrites the files instead.
set -eu
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src include tests bench -name '*.[ch]')
[ -n "$files" ] || exit 0
if [ "${1:-}" = "--fix" ]; then
	# shellcheck disable=SC2086
	clang-format -i $files
else
	# shellcheck disable=SC2086
	clang-format --dry-run -Werror $files
fi
