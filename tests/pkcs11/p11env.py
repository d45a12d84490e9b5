# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""The environment a Debian tool needs to load the module of this build."""

import os
import subprocess

from kwharness import BUILD, built_with_asan

MODULE = BUILD / "src" / "pkcs11" / "libkeywarden-pkcs11.so"


def sanitizer_preload():
    """LD_PRELOAD for an uninstrumented tool loading the ASan module."""
    if not built_with_asan():
        return {}
    libs = []
    for name in ("libasan.so", "libubsan.so"):
        p = subprocess.run(["gcc", "-print-file-name=" + name],
                           capture_output=True, text=True).stdout.strip()
        if p and os.path.exists(p):
            libs.append(os.path.realpath(p))
    return {"LD_PRELOAD": " ".join(libs),
            "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1:"
                            "verify_asan_link_order=0",
            "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}


def asan_in_process():
    """True if this process may dlopen() the module of this build: a
    normal build, or an ASan build with the ASan runtime loaded first."""
    if not built_with_asan():
        return True
    with open("/proc/self/maps") as f:
        return "libasan" in f.read()


def pykcs11_lib(token):
    """PyKCS11 with the module loaded for token (a conftest.Token); skips
    under ASan unless this process has the ASan runtime (test_p11_asan.py
    then runs the test file in a child pytest that has)."""
    import pytest
    import PyKCS11
    if not asan_in_process():
        pytest.skip("the ASan module needs libasan first in this process: "
                    "test_p11_asan.py runs this file in a child pytest")
    os.environ.update(token.env())
    lib = PyKCS11.PyKCS11Lib()
    lib.load(token.module)
    return lib
