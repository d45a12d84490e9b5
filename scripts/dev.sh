#!/bin/sh
# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
#
# Installs what is needed, builds, and starts a dev instance of keywardend
# (initialised, unsealed, data in .dev/ of the checkout unless --data DIR is
# given). Extra arguments are passed to keywardend. Stop it with Ctrl-C.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh >/dev/null
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
exec build/src/daemon/keywardend --dev --data "${KEYWARDEN_DEV_DIR:-$(pwd)/.dev}" "$@"
