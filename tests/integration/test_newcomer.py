# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""The newcomer path: the README's main-job command (scripts/dev.sh, i.e.
keywardend --dev) brings up a dev instance whose printed example works
verbatim, and which comes back with its data on a second start."""

import os
import re
import stat
import subprocess
import time

import pytest

from kwharness import BUILD, ROOT, Client, DevInstance, free_port, run


def test_dev_example_runs_verbatim(tmp_path):
    dev = DevInstance(tmp_path / "data").start()
    try:
        example = dev.example()
        # Run what a user would paste, in a plain POSIX shell.
        p = run(["sh", "-e", "-c", example], cwd=tmp_path)
        assert p.returncode == 0, p.stderr
        lines = [ln for ln in p.stdout.splitlines() if ln.strip()]
        assert '"name":"example"' in lines[0]
        assert re.fullmatch(r"[A-Za-z0-9+/=]{40,}", lines[1])
        assert lines[2] == '{"valid":true,"key_version":1}'
    finally:
        assert dev.stop() == 0


def test_dev_banner_env_file_and_files(dev_instance):
    out = dev_instance.stdout()
    assert "INSECURE" in out and "INSECURE" in dev_instance.stderr()
    assert "https://127.0.0.1:%d" % dev_instance.port in out
    assert "unix://%s" % dev_instance.socket in out
    assert str(dev_instance.cacert) in out
    env = dev_instance.env_file()
    assert env["KEYWARDEN_ADDR"] == "https://127.0.0.1:%d" % dev_instance.port
    assert env["KEYWARDEN_TOKEN"] == dev_instance.token
    assert env["KEYWARDEN_CACERT"] == str(dev_instance.cacert)
    assert env["KEYWARDEN_SOCKET"] == str(dev_instance.socket)
    # The PKCS#11 module is announced only once it has been built.
    module = BUILD / "src" / "pkcs11" / "libkeywarden-pkcs11.so"
    assert ("KEYWARDEN_PKCS11_MODULE" in env) == module.exists()
    for name in ("dev.env", "dev-unseal-share", "tls-key.pem",
                 "keywarden.db"):
        mode = stat.S_IMODE(os.stat(dev_instance.data / name).st_mode)
        assert mode == 0o600, (name, oct(mode))
    mode = stat.S_IMODE(os.stat(dev_instance.data).st_mode)
    assert mode == 0o700
    mode = stat.S_IMODE(os.stat(dev_instance.socket).st_mode)
    assert mode == 0o600
    # The token is never in the clear anywhere else in the directory.
    for f in dev_instance.data.iterdir():
        if f.name != "dev.env" and f.is_file():
            assert dev_instance.token.encode() not in f.read_bytes(), f


def test_dev_tls_and_socket_answer(dev_instance):
    tls = dev_instance.tls(dev_instance.token)
    who = tls.ok("GET", "/v1/auth/whoami")
    assert who["principal"] == "root" and who["partition"] == "*"
    h = dev_instance.unix().get("/v1/sys/health")
    assert h.status == 200
    assert h.json() == {"initialized": True, "sealed": False,
                        "version": "0.1.0", "audit": "ok",
                        "audit_backlog": h.json()["audit_backlog"]}


def test_dev_restart_reuses_data_and_reissues_token(tmp_path):
    dev = DevInstance(tmp_path / "data").start()
    first = dev.token
    c = dev.unix(first)
    c.ok("POST", "/v1/keys", {"name": "kept", "type": "aes-256"})
    ct = c.ok("POST", "/v1/keys/kept/encrypt",
              {"plaintext": "aGVsbG8="})["ciphertext"]
    c.close()
    dev.restart()
    second = dev.token
    assert second != first
    # The old root token is revoked; the new one sees the old data.
    r = dev.unix(first).get("/v1/keys/kept")
    assert (r.status, r.code) == (401, "token_expired")
    c = dev.unix(second)
    assert c.ok("GET", "/v1/keys/kept")["name"] == "kept"
    pt = c.ok("POST", "/v1/keys/kept/decrypt", {"ciphertext": ct})
    assert pt == {"plaintext": "aGVsbG8="}
    assert dev.stop() == 0


def test_dev_sh_starts_the_dev_instance(tmp_path):
    """scripts/dev.sh itself, when the tests run against build/ (the
    directory it builds); with another build dir (ASan) the same command
    is covered by the tests above."""
    if BUILD.resolve() != (ROOT / "build").resolve():
        pytest.skip("scripts/dev.sh builds build/; tests run on %s" % BUILD)
    port = free_port()
    data = tmp_path / "devsh"
    env = dict(os.environ, KEYWARDEN_DEV_DIR=str(data))
    p = subprocess.Popen([str(ROOT / "scripts" / "dev.sh"), "--port",
                          str(port)], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, env=env, text=True)
    try:
        out = ""
        deadline = time.monotonic() + 300
        while "# --- end ---" not in out and time.monotonic() < deadline:
            line = p.stdout.readline()
            assert line, "dev.sh ended:\n" + out
            out += line
        example = out[out.index("# --- example ---"):]
        r = run(["sh", "-e", "-c", example])
        assert r.returncode == 0, r.stderr
        assert '{"valid":true,"key_version":1}' in r.stdout
    finally:
        p.terminate()
        assert p.wait(timeout=60) == 0
