# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""Fixtures for the PKCS#11 module's tests: a real keywardend (started with
the integration suite's harness, tests/integration/kwharness.py) with a
partition for the token, its principals, and a KEYWARDEN_PKCS11_CONF file;
and the environment that makes a Debian tool load our module.

Principals of partition `p11` (the token the tests use):
  p11app  app,  crypto-officer + crypto-user  its token is the user PIN
  user    user, crypto-officer + crypto-user  password USER_PIN
  so      user, security-officer              password SO_PIN
  reader  app,  crypto-user                   base credential (token_file)

Under ASan (KW_BUILD_DIR configured with -Db_sanitize=address) the module
is instrumented while the tools are not: every tool is started with
LD_PRELOAD of GCC's libasan (and libubsan) and leak checking off for the
tool's own allocations (tool_env).
"""

import os
import pathlib
import sys
import uuid

import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))

from kwharness import ConfiguredInstance, run  # noqa: E402
from p11env import MODULE, sanitizer_preload  # noqa: E402

PARTITION = "p11"
USER_PIN = "user-pin-4711"
SO_PIN = "so-pin-0815-x"


class Token:
    """The daemon, a partition (the token) and the module's configuration
    showing that partition."""

    def __init__(self, inst, workdir, partition=PARTITION):
        self.inst = inst
        self.dir = pathlib.Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.partition = partition
        self.root = inst.root()
        self.module = str(MODULE)
        self.user_pin = USER_PIN
        self.so_pin = SO_PIN

    def q(self, path, partition=None):
        sep = "&" if "?" in path else "?"
        return "%s%spartition=%s" % (path, sep, partition or self.partition)

    def app(self, name, roles, partition=None):
        """A new app principal and a token for it."""
        self.root.ok("POST", self.q("/v1/principals", partition),
                     {"name": name, "kind": "app", "roles": list(roles)})
        return self.root.ok("POST", self.q("/v1/auth/tokens", partition),
                            {"principal": name, "ttl": 86400})["token"]

    def setup(self):
        self.root.ok("POST", "/v1/partitions", {"name": self.partition})
        self.app_token = self.app("p11app", ["crypto-officer", "crypto-user"])
        self.reader_token = self.app("reader", ["crypto-user"])
        for name, roles, pw in (
                ("user", ["crypto-officer", "crypto-user"], USER_PIN),
                ("so", ["security-officer"], SO_PIN)):
            self.root.ok("POST", self.q("/v1/principals"),
                         {"name": name, "kind": "user", "roles": roles,
                          "password": pw})
        self.token_file = self.dir / "reader.token"
        self.token_file.write_text(self.reader_token + "\n")
        os.chmod(self.token_file, 0o600)
        self.conf = self.write_conf("module.conf")

    def write_conf(self, name, **extra):
        """A KEYWARDEN_PKCS11_CONF file; extra keys override."""
        keys = {"addr": "unix://%s" % self.inst.socket,
                "token_file": str(self.token_file),
                "partitions": self.partition,
                "user": "user", "so": "so",
                "io_timeout_ms": "60000"}
        keys.update(extra)
        path = self.dir / name
        path.write_text("# written by tests/pkcs11/conftest.py\n" +
                        "".join("%s = %s\n" % kv for kv in keys.items()
                                if kv[1] is not None))
        return path

    def env(self, conf=None, **extra):
        """The environment for a tool that loads the module."""
        e = {"KEYWARDEN_PKCS11_CONF": str(conf or self.conf)}
        e.update(sanitizer_preload())
        e.update(extra)
        return e

    def run(self, args, conf=None, env=None, **kw):
        full = self.env(conf)
        full.update(env or {})
        return run(args, env=full, **kw)

    def tool(self, args, conf=None, pin=True, **kw):
        """pkcs11-tool on our module (logged in with the app token)."""
        a = ["pkcs11-tool", "--module", self.module]
        if pin:
            a += ["--login", "--pin", self.app_token]
        return self.run(a + list(args), conf=conf, **kw)

    def key(self, name):
        return self.root.ok("GET", self.q("/v1/keys/" + name))

    def audit_entries(self):
        """The audit trail as the daemon stored it (canonical JSON lines of
        the SQLite `audit` table; read-only, the daemon keeps running)."""
        import json
        import sqlite3
        db = sqlite3.connect("file:%s?mode=ro" % self.inst.config["store"]
                             ["path"], uri=True)
        try:
            rows = db.execute("SELECT entry FROM audit ORDER BY seq").fetchall()
        finally:
            db.close()
        return [json.loads(bytes(r[0]) if not isinstance(r[0], str)
                           else r[0]) for r in rows]


@pytest.fixture(scope="session")
def daemon(tmp_path_factory):
    assert MODULE.exists(), "build first: %s is missing" % MODULE
    d = tmp_path_factory.mktemp("p11daemon")
    inst = ConfiguredInstance(d, {
        "auth": {"scrypt_log2_n": 10, "max_failed_logins": 50},
    })
    inst.start()
    inst.init()
    yield inst
    rc = inst.stop()
    assert rc == 0, inst.stderr()


@pytest.fixture(scope="session")
def token(daemon, tmp_path_factory):
    """The shared token (partition p11)."""
    t = Token(daemon, tmp_path_factory.mktemp("p11"))
    t.setup()
    return t


@pytest.fixture(scope="module")
def own_token(daemon, tmp_path_factory, request):
    """A token of the test module's own (a fresh partition): for tools
    that look at every key of a token (libp11 0.4.12 stops listing keys
    at the first Ed25519 key, which the shared token has)."""
    name = "p11-" + uuid.uuid4().hex[:8]
    t = Token(daemon, tmp_path_factory.mktemp(name), name)
    t.setup()
    return t


@pytest.fixture
def uniq():
    """A short unique suffix for key labels."""
    return uuid.uuid4().hex[:8]
