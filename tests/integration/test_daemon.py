# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""keywardend as a process: its configuration file (every error stops
start-up with FILE:LINE and the reason), signals (SIGTERM finishes requests
in flight and exits 0; SIGHUP reopens the log), TLS (minimum version,
client certificates) and hardening."""

import os
import signal
import ssl
import threading
import time

import pytest

from kwharness import (KEYWARDEND, Client, b64, built_with_asan, run,
                       write_tls_pair)

VALID = """\
listeners:
  - unix:
      path: {dir}/kw.sock
      mode: "0660"
store:
  backend: sqlite
  path: {dir}/kw.db
limits:
  max_connections: 100
  idle_timeout: 30
auth:
  scrypt_log2_n: 10
security:
  mlock: best_effort
log:
  level: warn
"""


def check(tmp_path, text):
    f = tmp_path / "kw.yaml"
    f.write_text(text.format(dir=tmp_path))
    return run([KEYWARDEND, "--config", f]), f


def test_valid_config_checks(tmp_path):
    f = tmp_path / "kw.yaml"
    f.write_text(VALID.format(dir=tmp_path))
    p = run([KEYWARDEND, "--check-config", f])
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "%s: OK" % f


@pytest.mark.parametrize("edit,line,words", [
    # an unknown key, at its own line
    (("  idle_timeout: 30\n", "  idle_timeout: 30\n  idel: 3\n"), 11,
     "Unexpected key: idel"),
    (("store:\n", "stor:\n"), 5, "Unexpected key: stor"),
    # a wrong type
    (("max_connections: 100", "max_connections: lots"), 9,
     "Invalid"),
    (("  mlock: best_effort", "  mlock: [1]"), 14, "mlock"),
    # a bad value (the enum and range checks)
    (("  mlock: best_effort", "  mlock: sometimes"), 14, "sometimes"),
    (("max_connections: 100", "max_connections: 1000000"), 9,
     "limits.max_connections: must be between 1 and 100000"),
    (("scrypt_log2_n: 10", "scrypt_log2_n: 40"), 12,
     "auth.scrypt_log2_n: must be between 10 and 20"),
    (('mode: "0660"', 'mode: "0999"'), 4, "listeners.0.unix.mode"),
    (("path: {dir}/kw.sock", "path: relative.sock"), 3,
     "listeners.0.unix.path: must be an absolute path"),
])
def test_config_errors_name_file_line_reason(tmp_path, edit, line, words):
    text = VALID.replace(*edit)
    assert text != VALID
    p, f = check(tmp_path, text)
    assert p.returncode == 1, p.stdout
    msg = p.stderr.strip().splitlines()[-1]
    assert msg.startswith("keywardend: %s:%d: " % (f, line)), msg
    assert words in msg, msg
    assert not (tmp_path / "kw.sock").exists()


def test_config_semantic_errors(tmp_path):
    p, f = check(tmp_path, "store:\n  path: {dir}/kw.db\n")
    assert p.returncode == 1 and "listeners" in p.stderr
    tls = write_tls_pair(tmp_path / "tls")
    text = VALID.replace("listeners:\n", (
        "listeners:\n  - tcp:\n      address: 127.0.0.1:1\n"
        "      tls:\n        cert: %s\n        key: %s\n"
        "        require_client_cert: true\n") % (tls["cert"], tls["key"]))
    p, f = check(tmp_path, text)
    assert p.returncode == 1
    assert "%s:7: listeners.0.tcp.tls.require_client_cert: needs client_ca" \
        % f in p.stderr
    text = VALID.replace("listeners:\n", (
        "listeners:\n  - tcp:\n      address: 127.0.0.1:1\n"
        "      tls:\n        cert: /nonexistent.pem\n        key: %s\n")
        % tls["key"])
    p, f = check(tmp_path, text)
    assert p.returncode == 1
    assert "%s:5: listeners.0.tcp.tls.cert: cannot read /nonexistent.pem" \
        % f in p.stderr
    text = VALID.replace("listeners:\n", (
        "listeners:\n  - tcp:\n      address: localhost:99999\n"
        "      tls:\n        cert: %s\n        key: %s\n")
        % (tls["cert"], tls["key"]))
    p, f = check(tmp_path, text)
    assert p.returncode == 1
    assert "%s:3: listeners.0.tcp.address: must be IP:port" % f in p.stderr
    # A listener that is both kinds, or neither.
    p, f = check(tmp_path, VALID.replace(
        '      mode: "0660"\n', '      mode: "0660"\n    tcp:\n'
        '      address: 127.0.0.1:1\n      tls: {{cert: a, key: b}}\n'))
    assert p.returncode == 1 and "exactly one" in p.stderr
    p = run([KEYWARDEND, "--config", tmp_path / "missing.yaml"])
    assert p.returncode == 1 and "missing.yaml" in p.stderr
    p = run([KEYWARDEND, "--bogus"])
    assert p.returncode == 2


def test_sigterm_finishes_in_flight_and_exits_0(make_instance):
    inst = make_instance()
    root = inst.root()
    root.ok("POST", "/v1/keys", {"name": "k", "type": "rsa-2048"})
    results = []

    def batch():
        c = inst.unix(inst.root_token)
        r = c.post("/v1/keys/k/sign",
                   {"batch": [{"input": b64(str(i))} for i in range(1000)]})
        results.append((r.status, len(r.json()["batch"])))

    t = threading.Thread(target=batch)
    t.start()
    time.sleep(0.3)  # the request is in the daemon, signing
    rc = inst.stop(signal.SIGTERM)
    t.join()
    assert rc == 0, inst.stderr()
    # The request in flight got its whole answer before the exit.
    assert results == [(200, 1000)]
    assert not inst.socket.exists()
    assert "sealed" in inst.stderr()
    # Its data is intact after a restart.
    inst.start()
    inst.unseal()
    assert inst.root().ok("GET", "/v1/keys/k")["name"] == "k"


def test_sighup_reopens_log(make_instance, tmp_path):
    log = tmp_path / "kw.log"
    inst = make_instance({"log": {"level": "info", "file": str(log)}})
    deadline = time.monotonic() + 10
    while "ready" not in log.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.rename(log, tmp_path / "kw.log.1")
    inst.send(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while not log.exists() or "reopened" not in log.read_text():
        assert time.monotonic() < deadline, "log not reopened"
        time.sleep(0.05)
    assert "ready" in (tmp_path / "kw.log.1").read_text()


def test_hardening(make_instance):
    inst = make_instance()
    pid = inst.proc.pid
    limits = open("/proc/%d/limits" % pid).read()
    core = [ln for ln in limits.splitlines() if ln.startswith("Max core")]
    assert core[0].split()[4:6] == ["0", "0"], core
    files = [ln for ln in limits.splitlines()
             if ln.startswith("Max open files")][0].split()
    assert files[3] == files[4]  # soft limit raised to the hard one
    status = open("/proc/%d/status" % pid).read()
    locked = int(status.split("VmLck:")[1].split()[0])
    if built_with_asan():
        assert "not locked" in inst.stderr()
    else:
        assert locked > 0, status


def test_tls_min_version(make_instance):
    inst = make_instance(tls={"min_version": "1.3"})
    c13 = Client.tls("localhost", inst.port, inst.tls_files["ca"],
                     inst.root_token)
    assert c13.get("/v1/sys/health").status == 200
    c12 = Client.tls("localhost", inst.port, inst.tls_files["ca"],
                     inst.root_token, max_version=ssl.TLSVersion.TLSv1_2)
    with pytest.raises(ssl.SSLError):
        c12.get("/v1/sys/health")


def test_tls_12_allowed_by_default(make_instance):
    inst = make_instance(tls=True)
    c12 = Client.tls("localhost", inst.port, inst.tls_files["ca"],
                     inst.root_token, max_version=ssl.TLSVersion.TLSv1_2)
    assert c12.ok("GET", "/v1/auth/whoami")["principal"] == "root"


def test_client_certificates(make_instance, tls_client_files, tmp_path):
    inst = make_instance(tls={"client_ca": str(tls_client_files["ca"]),
                              "require_client_cert": True})
    ca = inst.tls_files["ca"]
    with_cert = Client.tls("localhost", inst.port, ca, inst.root_token,
                           cert=tls_client_files["cert"],
                           key=tls_client_files["key"])
    assert with_cert.ok("GET", "/v1/auth/whoami")["principal"] == "root"
    without = Client.tls("localhost", inst.port, ca, inst.root_token)
    r = without.get("/v1/auth/whoami")
    assert (r.status, r.code) == (401, "unauthenticated")
    assert "client certificate" in r.json()["error"]["message"]
    # A certificate from a CA the daemon does not trust.
    stranger = write_tls_pair(tmp_path / "stranger", cn="client")
    other = Client.tls("localhost", inst.port, ca, inst.root_token,
                       cert=stranger["cert"], key=stranger["key"])
    try:
        r = other.get("/v1/auth/whoami")
        assert (r.status, r.code) == (401, "unauthenticated")
    except (ssl.SSLError, ConnectionError):
        pass  # refused in the handshake: also a refusal


def test_metrics_need_a_token_over_tcp(make_instance):
    inst = make_instance(tls=True)
    text = inst.unix().get("/metrics")
    assert text.status == 200
    assert "keywarden_sealed 0" in text.body
    assert text.headers["content-type"].startswith("text/plain")
    c = Client.tls("localhost", inst.port, inst.tls_files["ca"])
    r = c.get("/metrics")
    assert (r.status, r.code) == (401, "unauthenticated")
    r = c.get("/metrics", token=inst.root_token)
    assert r.status == 200 and "keywarden_requests_total" in r.body


def test_socket_in_use(make_instance):
    inst = make_instance()
    # A second daemon on the same socket refuses to start.
    other = make_instance({"listeners": [
        {"unix": {"path": str(inst.socket), "mode": "0600"}}]},
        name="second", start=False)
    p = run([KEYWARDEND, "--config", other.config_path])
    assert p.returncode == 1 and "in use" in p.stderr
    assert inst.unix().get("/v1/sys/health").status == 200
