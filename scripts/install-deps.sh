#!/bin/sh
# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
#
# Installs every Debian 12 package keywarden needs to build, run and test.
# Idempotent and non-interactive; run as root on a fresh machine.
set -eu

export DEBIAN_FRONTEND=noninteractive

PKGS="
  build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
  clang-format valgrind gdb git ca-certificates
  libssl-dev openssl libsqlite3-dev sqlite3 libjansson-dev libmicrohttpd-dev
  libcyaml-dev libtss2-dev libcmocka-dev
  python3 python3-pytest python3-cryptography python3-requests python3-pykcs11
  curl opensc gnutls-bin libengine-pkcs11-openssl osslsigncode openssh-client
  softhsm2 swtpm swtpm-tools tpm2-tools procps
  tpm2-openssl tpm2-abrmd libtss2-tcti-tabrmd0
  libnss3-dev
"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	apt-get update
	# shellcheck disable=SC2086
	apt-get install -y --no-install-recommends $missing
fi
echo "install-deps: all packages present"
