# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""Bad input is answered with the right status and a stable error code,
and the daemon keeps serving a parallel client throughout (asserted in
every test): malformed JSON, wrong types, unknown fields, base64 errors,
oversize bodies and headers, unknown routes and methods, 2,000 idle
connections, slow clients, the connection limit."""

import json
import resource
import socket
import threading
import time

import pytest

from kwharness import Client, b64


class Background:
    """A client that signs in a loop on its own connection until stopped;
    every answer must be 200."""

    def __init__(self, inst, token, key, partition):
        self.client = Client.unix(inst.socket, token, timeout=20)
        self.path = "/v1/keys/%s/sign?partition=%s" % (key, partition)
        self.ok = 0
        self.failures = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                r = self.client.post(self.path, {"input": b64("ping")})
                if r.status == 200:
                    self.ok += 1
                else:
                    self.failures.append(r)
            except Exception as e:  # noqa: BLE001 - any failure counts
                self.failures.append(e)
            time.sleep(0.01)

    def __enter__(self):
        self._thread.start()
        return self

    def wait_progress(self, n=3, timeout=30):
        start = self.ok
        deadline = time.monotonic() + timeout
        while self.ok < start + n and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.ok >= start + n, "parallel client starved: %r" % (
            self.failures[-3:],)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=30)
        self.client.close()
        assert self.failures == [], self.failures[:5]
        assert self.ok > 0


@pytest.fixture
def served(tenant):
    """Runs a parallel client against the shared instance."""
    tenant.root.ok("POST", tenant.q("/v1/keys"),
                   {"name": "bg", "type": "ed25519"})
    tenant.root.ok("POST", tenant.q("/v1/keys"),
                   {"name": "aes", "type": "aes-256"})
    with Background(tenant.inst, tenant.inst.root_token, "bg",
                    tenant.name) as bg:
        bg.wait_progress()
        yield bg
        bg.wait_progress()


def raw(sock_path, data, read_timeout=20):
    """Sends raw bytes on a new Unix connection; returns (status, headers,
    body) of the answer (reads until the connection closes or the body
    is complete)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(read_timeout)
    s.connect(str(sock_path))
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    buf = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            head, sep, body = buf.partition(b"\r\n\r\n")
            if sep:
                hdrs = dict(
                    (k.strip().lower(), v.strip()) for k, _, v in
                    (ln.decode().partition(":")
                     for ln in head.split(b"\r\n")[1:]))
                if len(body) >= int(hdrs.get("content-length", 1 << 30)):
                    break
    except ConnectionResetError:
        pass
    s.close()
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    hdrs = dict((k.strip().lower(), v.strip()) for k, _, v in
                (ln.decode().partition(":") for ln in lines[1:]))
    return status, hdrs, body


def code_of(body):
    return json.loads(body)["error"]["code"]


BAD_BODIES = [
    # (route, body bytes, status, code)
    ("sign", b'{"input":', 400, "invalid_json"),
    ("sign", b'[1,2]', 400, "invalid_json"),
    ("sign", b'"text"', 400, "invalid_json"),
    ("sign", b'{"input":"aGk=","input":"aGk="}', 400, "invalid_json"),
    ("sign", b'{"input":"\xff\xfe"}', 400, "invalid_json"),
    ("sign", b'{"input":"a\\u0000b"}', 400, "invalid_json"),
    ("sign", b'{"input":5}', 400, "invalid_type"),
    ("sign", b'{"input":"aGk=","hash":["sha256"]}', 400, "invalid_type"),
    ("sign", b'{"input":"aGk=","bogus":1}', 400, "unknown_field"),
    ("sign", b'{"batch":[{"input":"aGk="},{"input":"aGk=","x":1}]}', 400,
     "unknown_field"),
    ("sign", b'{"batch":[{"input":"aGk="},7]}', 400, "invalid_type"),
    ("sign", b'{"batch":[]}', 400, "invalid_argument"),
    ("sign", b'{"input":"aGk"}', 400, "invalid_base64"),
    ("sign", b'{"input":"a*k="}', 400, "invalid_base64"),
    ("sign", b'{"input":"aGk=\\n"}', 400, "invalid_base64"),
    ("sign", b'{"digest":"aGk=","input":"aGk="}', 400, "invalid_argument"),
    ("sign", b'{"input":"aGk=","hash":"md5"}', 400, "unsupported"),
    ("decrypt", b'{"ciphertext":"v1:aGk="}', 400, "invalid_argument"),
    ("decrypt", b'{"ciphertext":"kw:v0:aGk="}', 400, "invalid_argument"),
    ("decrypt", b'{"ciphertext":"kw:v1:aG@="}', 400, "invalid_base64"),
    ("decrypt", b'{"aad":"aGk="}', 400, "missing_field"),
    ("random", b'{}', 400, "missing_field"),
    ("random", b'{"bytes":1.5}', 400, "invalid_type"),
    ("random", b'{"bytes":"8"}', 400, "invalid_type"),
    ("random", b'{"bytes":-1}', 400, "invalid_argument"),
    ("random", b'{"bytes":65537}', 400, "invalid_argument"),
    ("random", b'{"bytes":true}', 400, "invalid_type"),
    ("random", b'{"bytes":99999999999999999999999}', 400, "invalid_json"),
]


def route_path(tenant, route):
    if route == "random":
        return tenant.q("/v1/random")
    key = "aes" if route == "decrypt" else "bg"
    return tenant.q("/v1/keys/%s/%s" % (key, route))


def test_bad_bodies(served, tenant):
    c = tenant.inst.unix(tenant.inst.root_token)
    for route, body, status, code in BAD_BODIES:
        r = c.request("POST", route_path(tenant, route), raw=body,
                      headers={"Content-Type": "application/json"})
        assert (r.status, r.code) == (status, code), (route, body, r)
        assert r.headers["x-request-id"].startswith("r-")
        assert r.headers["content-type"] == "application/json"
        # Messages name the field, never echo the value.
        assert b"aGk" not in r.body.encode()


def test_batch_limit(served, tenant):
    c = tenant.inst.unix(tenant.inst.root_token)
    items = [{"input": b64("x")}] * 1001
    r = c.post(route_path(tenant, "sign"), {"batch": items})
    assert (r.status, r.code) == (400, "invalid_argument")
    out = c.ok("POST", route_path(tenant, "sign"), {"batch": items[:1000]})
    assert len(out["batch"]) == 1000


def test_wrong_media_type(served, tenant):
    c = tenant.inst.unix(tenant.inst.root_token)
    r = c.request("POST", route_path(tenant, "sign"),
                  raw=b"input=aGk=",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (r.status, r.code) == (415, "unsupported_media_type")


def test_oversize_bodies(served, tenant):
    tok = tenant.inst.root_token.encode()
    path = route_path(tenant, "sign").encode()
    # Declared too large: refused before the body is read.
    status, hdrs, body = raw(
        tenant.inst.socket,
        b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + tok + b"\r\nContent-Type: application/json\r\n"
        b"Content-Length: 300000\r\n\r\n" + b"{" * 1000)
    assert (status, code_of(body)) == (413, "body_too_large")
    assert hdrs["connection"].lower() == "close"
    # Chunked, growing past the limit.
    chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
    status, _, body = raw(
        tenant.inst.socket,
        b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + tok + b"\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + chunk * 5 + b"0\r\n\r\n")
    assert (status, code_of(body)) == (413, "body_too_large")
    # Under the limit is fine (256 KiB on this instance).
    c = tenant.inst.unix(tenant.inst.root_token)
    c.ok("POST", route_path(tenant, "sign"), {"input": b64(b"x" * 150000)})


def test_oversize_headers(served, tenant):
    tok = tenant.inst.root_token.encode()
    status, hdrs, body = raw(
        tenant.inst.socket,
        b"GET /v1/keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok
        + b"\r\nX-Pad: " + b"a" * 12000 + b"\r\n\r\n")
    assert (status, code_of(body)) == (431, "headers_too_large")
    # Far over the limit, libmicrohttpd's own buffer refuses it (431 too).
    status, _, _ = raw(tenant.inst.socket,
                       b"GET /v1/keys HTTP/1.1\r\nHost: x\r\nX-Pad: "
                       + b"a" * 200000 + b"\r\n\r\n")
    assert status == 431


def test_unknown_routes_and_methods(served, tenant):
    c = tenant.inst.unix(tenant.inst.root_token)
    for path in ("/v1/nope", "/v2/keys", "/v1/keys/a/b/c", "/", "/v1/keys/",
                 "/v1//keys"):
        r = c.get(path)
        assert (r.status, r.code) == (404, "unknown_route"), path
    r = c.delete("/v1/keys")
    assert (r.status, r.code) == (405, "method_not_allowed")
    assert r.headers["allow"] == "POST, GET"
    r = c.get("/v1/sys/init")
    assert (r.status, r.code) == (405, "method_not_allowed")
    assert r.headers["allow"] == "POST"
    r = c.request("PUT", "/v1/keys/x/sign", raw=b"{}")
    assert (r.status, r.code) == (405, "method_not_allowed")
    # Unauthenticated requests for unknown routes get the same answer.
    r = tenant.inst.unix().get("/v1/nope")
    assert (r.status, r.code) == (404, "unknown_route")


def raise_fd_limit(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        assert hard >= n, "need %d descriptors, hard limit %d" % (n, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, hard))


def metric(inst, name):
    text = inst.unix().get("/metrics").body
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError("no metric " + name)


def test_2000_idle_connections(served, tenant):
    raise_fd_limit(2400)
    socks = []
    try:
        for _ in range(2000):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(str(tenant.inst.socket))
            socks.append(s)
        deadline = time.monotonic() + 30
        while metric(tenant.inst, "keywarden_connections") < 2000:
            assert time.monotonic() < deadline, "connections not accepted"
            time.sleep(0.1)
        served.wait_progress()
        # A new client is served too.
        c = tenant.inst.unix(tenant.inst.root_token)
        c.ok("POST", route_path(tenant, "sign"), {"input": b64("new")})
        c.close()
    finally:
        for s in socks:
            s.close()


def test_slow_clients(served, tenant):
    """100 clients send their headers a byte at a time: the others are
    served meanwhile, and the slow ones get their answer at the end."""
    raise_fd_limit(2400)
    req = (b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n"
           b"X-Slow: " + b"s" * 20 + b"\r\n\r\n")
    socks = []
    for _ in range(100):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(20)
        s.connect(str(tenant.inst.socket))
        socks.append(s)
    try:
        for i in range(len(req) - 1):
            for s in socks:
                s.send(req[i:i + 1])
            if i % 10 == 0:
                served.wait_progress(1)
            time.sleep(0.02)
        for s in socks:
            s.send(req[-1:])
        for s in socks:
            assert s.recv(12) == b"HTTP/1.1 200"
    finally:
        for s in socks:
            s.close()


def test_idle_and_stalled_connections_are_closed(make_instance):
    inst = make_instance({"limits": {"idle_timeout": 1}})
    tenant_key = inst.root()
    tenant_key.ok("POST", "/v1/keys", {"name": "bg", "type": "ed25519"})
    with Background(inst, inst.root_token, "bg", "default") as bg:
        idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stalled = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        for s in (idle, stalled):
            s.settimeout(15)
            s.connect(str(inst.socket))
        stalled.send(b"GET /v1/sys/health HTTP/1.1\r\nHost:")
        # Both are closed by the server (recv sees the end), while the
        # busy client keeps its keep-alive connection served.
        assert idle.recv(100) == b""
        assert stalled.recv(100) == b""
        bg.wait_progress()
        idle.close()
        stalled.close()


def test_connection_limit(make_instance):
    raise_fd_limit(2400)
    inst = make_instance({"limits": {"max_connections": 20}})
    socks = []
    try:
        for _ in range(20):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(str(inst.socket))
            socks.append(s)
        deadline = time.monotonic() + 20
        while True:
            status, hdrs, body = raw(inst.socket,
                                     b"GET /v1/sys/health HTTP/1.1\r\n"
                                     b"Host: x\r\n\r\n")
            if status == 503 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert (status, code_of(body)) == (503, "too_many_connections")
        assert hdrs["retry-after"] == "1"
        for s in socks[:5]:
            s.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            status, _, _ = raw(inst.socket, b"GET /v1/sys/health HTTP/1.1\r\n"
                                            b"Host: x\r\n\r\n")
            if status == 200:
                break
            time.sleep(0.05)
        assert status == 200
    finally:
        for s in socks:
            s.close()
