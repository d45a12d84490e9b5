# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""Under ASan+UBSan, the tests that load the module into the test process
(PyKCS11, ctypes) run in a child pytest started with GCC's libasan and
libubsan preloaded (an ASan-built shared object must find the runtime
loaded first). Leak checking is off in that child: the Python interpreter
itself does not free everything at exit. The tool tests preload the same
way (p11env.sanitizer_preload). In a normal build this test has nothing
to do."""

import os
import sys

import pytest

from kwharness import BUILD, built_with_asan, run
from p11env import asan_in_process, sanitizer_preload

HERE = os.path.dirname(os.path.abspath(__file__))
IN_PROCESS = ["test_p11_pykcs11.py", "test_p11_objects.py"]


def test_in_process_tests_under_asan(tmp_path):
    if not built_with_asan():
        pytest.skip("normal build: the in-process tests ran in this process")
    if asan_in_process():
        pytest.skip("this process has the ASan runtime: they ran here")
    env = dict(sanitizer_preload(), KW_BUILD_DIR=str(BUILD))
    p = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             "--basetemp", tmp_path / "child"] +
            [os.path.join(HERE, f) for f in IN_PROCESS],
            env=env, timeout=1800)
    tail = (p.stdout + p.stderr)[-4000:]
    assert p.returncode == 0, tail
    assert " passed" in p.stdout and "skipped" not in \
        p.stdout.splitlines()[-1].replace("1 skipped", ""), tail
