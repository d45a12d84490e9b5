# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""Fixtures that start and stop real keywardend processes.

- shared_instance: one configured, initialised (1-of-1) and unsealed daemon
  for the whole session; tests keep to their own partition (fixture
  `tenant`) or key names so they can share it.
- dev_instance: one `keywardend --dev` for the session.
- make_instance(overrides=None, tls=False): a fresh configured daemon for a
  test that needs its own (restarts, limits, TLS options); stopped (and its
  exit status checked) at the end of the test.
- tenant: a fresh partition on the shared instance with helpers to make
  principals of given roles and their tokens.

Helpers (HTTP over the Unix socket or TLS, curl, openssl, the CLI) are in
kwharness.py.
"""

import uuid

import pytest

from kwharness import (ConfiguredInstance, DevInstance, free_port,
                       stop_leftovers, unix_tls_listeners, write_tls_pair)


@pytest.fixture(scope="session", autouse=True)
def no_leftover_daemons():
    """Whatever a failing test left running is killed at the end."""
    yield
    stop_leftovers()


@pytest.fixture(scope="session")
def shared_instance(tmp_path_factory):
    inst = ConfiguredInstance(tmp_path_factory.mktemp("shared"), {
        "limits": {"max_body_bytes": 262144, "idle_timeout": 30},
        "auth": {"scrypt_log2_n": 10, "max_failed_logins": 3,
                 "lockout": 60},
    })
    inst.start()
    inst.init()
    yield inst
    rc = inst.stop()
    assert rc == 0, inst.stderr()


@pytest.fixture(scope="session")
def dev_instance(tmp_path_factory):
    inst = DevInstance(tmp_path_factory.mktemp("dev") / "data")
    inst.start()
    yield inst
    rc = inst.stop()
    assert rc == 0, inst.stderr()


@pytest.fixture
def make_instance(tmp_path):
    started = []

    def make(overrides=None, tls=False, name=None, start=True, init=True):
        d = tmp_path / (name or "kw%d" % len(started))
        overrides = dict(overrides or {})
        inst_tls = None
        if tls:
            inst_tls = write_tls_pair(d / "tls")
            port = free_port()
            overrides.setdefault("listeners", unix_tls_listeners(
                d, inst_tls, port, **(tls if isinstance(tls, dict) else {})))
        inst = ConfiguredInstance(d, overrides)
        inst.tls_files = inst_tls
        if tls:
            inst.port = port
        started.append(inst)
        if start:
            inst.start()
            if init:
                inst.init()
        return inst

    yield make
    for inst in started:
        rc = inst.stop()
        assert rc in (0, None), "exit %r\n%s" % (rc, inst.stderr())


class Tenant:
    """A partition of its own on an instance, with the root client."""

    def __init__(self, inst, name):
        self.inst = inst
        self.name = name
        self.root = inst.root()

    def q(self, path):
        """path with ?partition= of this tenant."""
        sep = "&" if "?" in path else "?"
        return "%s%spartition=%s" % (path, sep, self.name)

    def token_for(self, roles, name=None, ttl=3600):
        """A new app principal with roles, and a token for it."""
        name = name or "app-" + uuid.uuid4().hex[:8]
        self.root.ok("POST", self.q("/v1/principals"),
                     {"name": name, "kind": "app", "roles": list(roles)})
        t = self.root.ok("POST", self.q("/v1/auth/tokens"),
                         {"principal": name, "ttl": ttl})
        return t["token"]

    def client(self, roles, **kw):
        return self.inst.unix(self.token_for(roles, **kw))

    def user(self, roles, password="correct horse battery", name=None):
        """A new user principal with a password; its name."""
        name = name or "user-" + uuid.uuid4().hex[:8]
        self.root.ok("POST", self.q("/v1/principals"),
                     {"name": name, "kind": "user", "roles": list(roles),
                      "password": password})
        return name


@pytest.fixture
def tenant(shared_instance):
    name = "t-" + uuid.uuid4().hex[:10]
    root = shared_instance.root()
    root.ok("POST", "/v1/partitions", {"name": name})
    return Tenant(shared_instance, name)


@pytest.fixture
def tls_client_files(tmp_path):
    """A CA and a client certificate signed by it."""
    return write_tls_pair(tmp_path / "clienttls", cn="client")
