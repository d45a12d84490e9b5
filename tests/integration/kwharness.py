# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""Helpers to drive a real keywardend: start and stop it, talk HTTP to it
over its Unix socket or TLS, run curl, openssl and the keywarden CLI.

Used through the fixtures in conftest.py; importable by any test in this
folder (`from kwharness import ...`).
"""

import base64
import http.client
import json
import os
import pathlib
import re
import signal
import socket
import ssl
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("KW_BUILD_DIR", ROOT / "build"))
KEYWARDEND = BUILD / "src" / "daemon" / "keywardend"
CLI = BUILD / "src" / "cli" / "keywarden"

# Start-up includes the crypto self-tests and, under ASan, is slow.
START_TIMEOUT = float(os.environ.get("KW_START_TIMEOUT", "60"))


def built_with_asan():
    """True if KW_BUILD_DIR was configured with -Db_sanitize=address..."""
    try:
        opts = json.loads((BUILD / "meson-info" /
                           "intro-buildoptions.json").read_text())
    except OSError:
        return False
    for o in opts:
        if o["name"] == "b_sanitize":
            return "address" in str(o["value"])
    return False


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode()


def unb64(text):
    return base64.b64decode(text, validate=True)


# ---- HTTP -------------------------------------------------------------------


class Response:
    """What a request got: status, headers (lower-case names), body."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    @property
    def code(self):
        """The error code of an error body, else None."""
        try:
            return self.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return None

    def __repr__(self):
        return "<Response %d %r>" % (self.status, self.body[:300])


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self._path)
        self.sock = s


class Client:
    """A keep-alive HTTP/1.1 client for one keywardend listener.

    Client.unix(path) or Client.tls(host, port, cafile[, cert, key]).
    Requests reconnect once if the daemon closed the idle connection.
    """

    def __init__(self, factory, token=None):
        self._factory = factory
        self._conn = None
        self.token = token

    @classmethod
    def unix(cls, path, token=None, timeout=30):
        return cls(lambda: _UnixConnection(str(path), timeout), token)

    @classmethod
    def tls(cls, host, port, cafile, token=None, cert=None, key=None,
            timeout=30, min_version=None, max_version=None):
        ctx = ssl.create_default_context(cafile=str(cafile))
        if cert is not None:
            ctx.load_cert_chain(str(cert), str(key))
        if min_version is not None:
            ctx.minimum_version = min_version
        if max_version is not None:
            ctx.maximum_version = max_version
        return cls(lambda: http.client.HTTPSConnection(
            host, port, context=ctx, timeout=timeout), token)

    def with_token(self, token):
        return Client(self._factory, token)

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method, path, body=None, token=None, headers=None,
                raw=None):
        """body: a JSON-able object; raw: bytes sent as they are."""
        hdrs = {}
        tok = token if token is not None else self.token
        if tok:
            hdrs["Authorization"] = "Bearer " + tok
        data = None
        if raw is not None:
            data = raw
        elif body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        if headers:
            hdrs.update(headers)
        for attempt in (0, 1):
            if self._conn is None:
                self._conn = self._factory()
            try:
                self._conn.request(method, path, body=data, headers=hdrs)
                r = self._conn.getresponse()
                payload = r.read()
                resp = Response(r.status,
                                {k.lower(): v for k, v in r.getheaders()},
                                payload.decode("utf-8", "replace"))
                if resp.headers.get("connection", "").lower() == "close":
                    self.close()
                return resp
            except (ConnectionError, http.client.RemoteDisconnected,
                    http.client.BadStatusLine):
                self.close()
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def ok(self, method, path, body=None, status=(200, 201, 204), **kw):
        """The request, asserted successful; its JSON body (or None)."""
        r = self.request(method, path, body=body, **kw)
        want = status if isinstance(status, tuple) else (status,)
        assert r.status in want, "%s %s -> %r" % (method, path, r)
        return r.json() if r.body else None


# ---- the daemon --------------------------------------------------------------


# Every daemon started in this process, so that none outlives the test run
# (conftest.py stops the leftovers at the end of the session).
STARTED = []


def stop_leftovers():
    """Kills (by pid) daemons a failed test left running."""
    for d in STARTED:
        if d.proc is not None and d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Daemon:
    """One keywardend process.

    args: its arguments; workdir: where its output goes (stdout.log,
    stderr.log). socket: the Unix socket path to wait on.
    """

    def __init__(self, args, workdir, socket_path, env=None):
        self.args = [str(a) for a in args]
        self.workdir = pathlib.Path(workdir)
        self.socket = pathlib.Path(socket_path)
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.starts = 0

    @property
    def socket_path(self):
        """The Unix socket (alias of .socket)."""
        return self.socket

    @property
    def stdout_path(self):
        return self.workdir / ("stdout.%d.log" % self.starts)

    @property
    def stderr_path(self):
        return self.workdir / ("stderr.%d.log" % self.starts)

    def start(self, wait=True):
        assert KEYWARDEND.exists(), "build first: %s is missing" % KEYWARDEND
        self.starts += 1
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([str(KEYWARDEND)] + self.args,
                                     stdout=self._out, stderr=self._err,
                                     env=self.env, cwd=str(self.workdir))
        STARTED.append(self)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    "keywardend exited with %d:\n%s" %
                    (self.proc.returncode, self.stderr()))
            if self.socket.exists():
                try:
                    c = Client.unix(self.socket, timeout=5)
                    c.get("/v1/sys/health")
                    c.close()
                    return
                except OSError:
                    pass
            time.sleep(0.05)
        raise AssertionError("keywardend did not come up:\n" + self.stderr())

    def stdout(self):
        return self.stdout_path.read_text(errors="replace")

    def stderr(self):
        return self.stderr_path.read_text(errors="replace")

    def send(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Stops it; returns the exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("keywardend did not stop on signal %d" % sig)
        self._out.close()
        self._err.close()
        return rc

    def restart(self):
        rc = self.stop()
        assert rc == 0, "exit status %r:\n%s" % (rc, self.stderr())
        return self.start()

    def unix(self, token=None):
        return Client.unix(self.socket, token)


class DevInstance(Daemon):
    """keywardend --dev --data DIR --port PORT, and what it printed."""

    def __init__(self, data_dir, port=None, env=None):
        self.data = pathlib.Path(data_dir)
        self.port = port if port is not None else free_port()
        super().__init__(["--dev", "--data", self.data, "--port", self.port],
                         self.data.parent / (self.data.name + "-logs"),
                         self.data / "keywarden.sock", env)

    def start(self, wait=True):
        super().start(wait=False)
        if wait:
            self.wait_ready()
            # The banner is printed once the listeners are up.
            deadline = time.monotonic() + START_TIMEOUT
            while "# --- end ---" not in self.stdout():
                assert time.monotonic() < deadline, self.stdout()
                time.sleep(0.05)
        return self

    @property
    def token(self):
        m = re.search(r"Root token:\s+(\S+)", self.stdout())
        return m.group(1)

    @property
    def cacert(self):
        return self.data / "ca.pem"

    def example(self):
        """The copy-pasteable example from the banner."""
        out = self.stdout()
        i = out.index("# --- example ---")
        j = out.index("# --- end ---")
        return out[i:j + len("# --- end ---")] + "\n"

    def env_file(self):
        """dev.env as a dict (values unquoted)."""
        env = {}
        for line in (self.data / "dev.env").read_text().splitlines():
            if "=" in line and not line.startswith(("#", "export")):
                k, v = line.split("=", 1)
                env[k] = v.strip("'")
        return env

    def tls(self, token=None, **kw):
        return Client.tls("127.0.0.1", self.port, self.cacert, token, **kw)


def yaml_dump(obj, indent=0):
    """A small YAML writer for config dicts (maps, lists, scalars)."""
    pad = "  " * indent
    lines = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (dict, list)):
                lines.append("%s%s:" % (pad, k))
                lines.append(yaml_dump(v, indent + 1))
            else:
                lines.append("%s%s: %s" % (pad, k, _scalar(v)))
    else:
        for item in obj:
            sub = yaml_dump(item, indent + 1).splitlines()
            first = sub[0].lstrip()
            lines.append("%s- %s" % (pad, first))
            lines.extend(sub[1:])
    return "\n".join(lines)


def _scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(str(v))


class ConfiguredInstance(Daemon):
    """keywardend --config FILE with a configuration built from defaults
    (a Unix socket and SQLite in DIR, cheap scrypt, best-effort mlock)
    merged with `overrides` (top-level keys replace the defaults')."""

    def __init__(self, directory, overrides=None, tls_port=None, env=None):
        self.dir = pathlib.Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config = {
            "listeners": [{"unix": {"path": str(self.dir / "kw.sock"),
                                    "mode": "0600"}}],
            "store": {"backend": "sqlite", "path": str(self.dir / "kw.db")},
            "auth": {"scrypt_log2_n": 10},
            "security": {"mlock": "best_effort"},
            "log": {"level": "info"},
        }
        self.config.update(overrides or {})
        self.config_path = self.dir / "keywarden.yaml"
        self.config_path.write_text(yaml_dump(self.config) + "\n")
        sock = self.config["listeners"][0].get("unix", {}).get(
            "path", str(self.dir / "kw.sock"))
        super().__init__(["--config", self.config_path], self.dir / "logs",
                         sock, env)
        self.root_token = None
        self.shares = None

    def init(self, shares=1, threshold=1, **extra):
        body = dict(shares=shares, threshold=threshold, **extra)
        r = self.unix().post("/v1/sys/init", body)
        assert r.status == 200, r
        self.root_token = r.json()["root_token"]
        self.shares = r.json()["shares"]
        return r.json()

    def unseal(self, shares=None):
        c = self.unix()
        for s in (shares or self.shares):
            r = c.post("/v1/sys/unseal", {"share": s})
            assert r.status == 200, r
        return r.json()

    def root(self):
        return self.unix(self.root_token)


def write_tls_pair(directory, cn="localhost", ca=None):
    """A CA (or the given (cert, key) CA) and a certificate for cn signed by
    it, as PEM files in directory: returns dict of paths."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    import datetime
    import ipaddress

    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.utcnow()

    def name(s):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, s)])

    if ca is None:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_cert = (x509.CertificateBuilder()
                   .subject_name(name("test CA " + cn))
                   .issuer_name(name("test CA " + cn))
                   .public_key(ca_key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(hours=1))
                   .not_valid_after(now + datetime.timedelta(days=2))
                   .add_extension(x509.BasicConstraints(ca=True,
                                                        path_length=None),
                                  critical=True)
                   .sign(ca_key, hashes.SHA256()))
    else:
        ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    eku = (ExtendedKeyUsageOID.SERVER_AUTH if cn == "localhost"
           else ExtendedKeyUsageOID.CLIENT_AUTH)
    cert = (x509.CertificateBuilder()
            .subject_name(name(cn))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"),
                 x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = {
        "ca": directory / ("ca-%s.pem" % cn),
        "cert": directory / ("cert-%s.pem" % cn),
        "key": directory / ("key-%s.pem" % cn),
    }
    paths["ca"].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    os.chmod(paths["key"], 0o600)
    paths["ca_obj"] = (ca_cert, ca_key)
    return paths


def unix_tls_listeners(directory, tls, port, **tls_opts):
    """The listeners of a daemon in directory: the Unix socket kw.sock and
    TLS on 127.0.0.1:port with the certificate and key of write_tls_pair's
    paths tls (tls_opts added to the tls section)."""
    d = pathlib.Path(directory)
    return [{"unix": {"path": str(d / "kw.sock"), "mode": "0600"}},
            {"tcp": {"address": "127.0.0.1:%d" % port,
                     "tls": dict({"cert": str(tls["cert"]),
                                  "key": str(tls["key"])}, **tls_opts)}}]


# ---- tools -------------------------------------------------------------------


def run(args, env=None, input=None, check=False, timeout=120, cwd=None):
    """Runs a command; returns CompletedProcess with text output."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    p = subprocess.run([str(a) for a in args], env=full_env, input=input,
                       capture_output=True, text=True, timeout=timeout,
                       cwd=cwd)
    if check:
        assert p.returncode == 0, "%s -> %d\n%s\n%s" % (
            args, p.returncode, p.stdout, p.stderr)
    return p


def curl_json(args, env=None):
    """curl -sS with args; returns (http status, parsed JSON body)."""
    p = run(["curl", "-sS", "-w", "\n%{http_code}"] + list(args), env=env)
    assert p.returncode == 0, p.stderr
    body, _, status = p.stdout.rpartition("\n")
    return int(status), (json.loads(body) if body.strip() else None)


def cli(args, addr, token=None, cacert=None, input=None, extra_env=None):
    """The keywarden CLI with KEYWARDEN_* set; CompletedProcess."""
    assert CLI.exists(), "build first: %s is missing" % CLI
    env = {"KEYWARDEN_ADDR": addr}
    if token is not None:
        env["KEYWARDEN_TOKEN"] = token
    if cacert is not None:
        env["KEYWARDEN_CACERT"] = str(cacert)
    if extra_env:
        env.update(extra_env)
    return run([CLI] + list(args), env=env, input=input)
