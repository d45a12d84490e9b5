# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""The keywarden CLI end to end, against real daemons, asserting only what
a user sees: exit status, stdout and stderr, files written.

- A fresh daemon (Unix socket and TLS), initialised 3-of-5 through the CLI
  alone, restarted and unsealed from stdin; a restart between two commands
  and between two requests of one command; TLS with the right and a wrong CA.
- A partition of its own per test on the shared daemon for the rest: login
  and the token file, roles, the key life cycle with --json, sign/verify of
  a 50 MiB file checked by openssl, encrypt/decrypt across rotations, data
  keys, random bytes. Usage errors and unreachable addresses need no daemon.
"""

import base64
import json
import os
import socket
import stat
import subprocess
import time

import pytest

from kwharness import (CLI, ConfiguredInstance, cli, free_port, run,
                       unix_tls_listeners, write_tls_pair)

BIG = 50 * 1024 * 1024
NO_DAEMON = "unix:///nonexistent/keywarden-cli-e2e.sock"


class Kw:
    """The CLI bound to an address, a token and a CA file."""

    def __init__(self, addr, token=None, cacert=None, env=None):
        self.addr, self.token, self.cacert = addr, token, cacert
        self.env = env

    def __call__(self, *args, input=None, env=None):
        extra = dict(self.env or {}, **(env or {}))
        return cli([str(a) for a in args], self.addr, self.token,
                   self.cacert, input, extra)

    def ok(self, *args, **kw):
        p = self(*args, **kw)
        assert p.returncode == 0, "%s -> %d\n%s" % (args, p.returncode,
                                                    p.stderr)
        return p

    def json(self, *args, **kw):
        return json.loads(self.ok(*args, "--json", **kw).stdout)

    def refused(self, code, *args, **kw):
        """Exit 1 with 'keywarden: <code>: ...' on stderr, nothing on
        stdout."""
        p = self(*args, **kw)
        assert p.returncode == 1, "%s -> %d\n%s" % (args, p.returncode,
                                                    p.stderr)
        assert "keywarden: %s: " % code in p.stderr, p.stderr
        assert p.stdout == ""
        return p


def status(inst):
    return inst.unix().get("/v1/sys/status").json()


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def wait_for(what, cond):
    """Polls cond() until true (an event to wait for, not a timing)."""
    deadline = time.monotonic() + 60
    while not cond():
        assert time.monotonic() < deadline, "waited in vain for " + what
        time.sleep(0.05)


# ---- a fresh daemon: the ceremony, restarts, TLS ---------------------------


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A configured daemon with a Unix socket and TLS, not initialised."""
    d = tmp_path_factory.mktemp("cli-e2e")
    tls = write_tls_pair(d / "tls")
    port = free_port()
    inst = ConfiguredInstance(
        d, {"listeners": unix_tls_listeners(d, tls, port)})
    inst.port, inst.cafile = port, tls["ca"]
    inst.start()
    yield inst
    assert inst.stop() == 0, inst.stderr()


def ready(inst):
    """inst initialised (through the API if the ceremony test did not run)
    and unsealed with three shares."""
    if inst.root_token is None:
        inst.init(shares=5, threshold=3)
    if status(inst)["sealed"]:
        inst.unix().post("/v1/sys/unseal", {"reset": True})
        inst.unseal(inst.shares[:3])
    return inst


def test_ceremony_through_the_cli(fresh, shared_instance, tmp_path):
    anon = Kw("unix://%s" % fresh.socket)
    st = anon.json("sys", "status")
    assert (st["initialized"], st["sealed"]) == (False, True)

    p = anon.ok("sys", "init", "--shares", "5", "--threshold", "3")
    lines = p.stdout.splitlines()
    shares = [ln.split(": ", 1)[1] for ln in lines
              if ln.startswith("Unseal share ")]
    token = [ln.split(": ", 1)[1] for ln in lines
             if ln.startswith("Root token: ")]
    assert len(lines) == 6 and len(set(shares)) == 5 and len(token) == 1
    assert all(s.startswith("kwshare1-") for s in shares)
    assert token[0].startswith("kwt_")
    assert "any 3 of the 5" in p.stderr
    fresh.shares, fresh.root_token = shares, token[0]
    anon.refused("already_exists", "sys", "init")

    # a command before the restart, its counterpart after
    root = Kw(anon.addr, fresh.root_token)
    assert root.json("whoami")["principal"] == "root"
    root.ok("key", "create", "ceremony-sig", "--type", "ecdsa-p256")
    msg = tmp_path / "msg"
    msg.write_bytes(b"signed before the restart")
    root.ok("sign", "--key", "ceremony-sig", "--in", msg,
            "--out", tmp_path / "sig")

    fresh.restart()
    st = anon.json("sys", "status")
    assert st == dict(st, initialized=True, sealed=True, shares=5,
                      threshold=3, progress=0)
    root.refused("sealed", "verify", "--key", "ceremony-sig", "--in", msg,
                 "--sig", tmp_path / "sig")

    # two shares from stdin: not enough
    p = anon.ok("sys", "unseal", input="%s\n%s\n" % tuple(shares[:2]))
    assert "unseal progress  2" in p.stdout
    assert "sealed           yes" in p.stdout
    # refused shares, none of which counts, none of which is echoed
    s = shares[2]
    flipped = s[:-4] + ("B" if s[-4] == "A" else "A") + s[-3:]
    for bad, code in [(flipped, "invalid_argument"),
                      (s[:30], "invalid_argument"),
                      (shared_instance.shares[0], "invalid_argument"),
                      (shares[0], "already_exists")]:
        p = anon.refused(code, "sys", "unseal", input=bad + "\n")
        assert bad not in p.stderr
    p = anon("sys", "unseal", shares[3])
    assert p.returncode == 2 and shares[3] not in p.stderr
    assert "never taken from the command line" in p.stderr
    p = anon("sys", "unseal", input="")
    assert p.returncode == 2 and "no share on stdin" in p.stderr
    assert anon.json("sys", "status")["progress"] == 2
    # the third unseals
    p = anon.ok("sys", "unseal", input=shares[4] + "\n")
    assert "sealed           no" in p.stdout
    anon.refused("invalid_state", "sys", "unseal", input=shares[2] + "\n")

    p = root.ok("verify", "--key", "ceremony-sig", "--in", msg,
                "--sig", tmp_path / "sig")
    assert p.stdout == "the signature is valid\n"


def test_restart_between_two_requests_of_one_command(fresh):
    """`sys unseal` keeps its connection between shares; the daemon
    restarting in between must cost it nothing but a new connection."""
    ready(fresh)
    fresh.restart()
    env = dict(os.environ, KEYWARDEN_ADDR="unix://%s" % fresh.socket)
    proc = subprocess.Popen([str(CLI), "sys", "unseal"], env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        proc.stdin.write(fresh.shares[0] + "\n")
        proc.stdin.flush()
        wait_for("the first share", lambda: status(fresh)["progress"] == 1)
        fresh.restart()  # the share given is forgotten with the process
        proc.stdin.write("".join(s + "\n" for s in fresh.shares[1:4]))
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "sealed           no" in out
    assert status(fresh)["sealed"] is False


def test_tls_with_the_right_and_a_wrong_ca(fresh, tmp_path):
    ready(fresh)
    for host in ("localhost", "127.0.0.1"):
        kw = Kw("https://%s:%d" % (host, fresh.port), fresh.root_token,
                fresh.cafile)
        assert kw.json("whoami")["principal"] == "root"
    wrong = write_tls_pair(tmp_path / "other")["ca"]
    addr = "https://localhost:%d" % fresh.port
    for cacert in (wrong, None):  # another CA; the system store
        p = Kw(addr, fresh.root_token, cacert)("whoami")
        assert p.returncode == 1 and p.stdout == ""
        assert ("keywarden: TLS handshake with %s failed: server "
                "certificate not trusted: " % addr) in p.stderr
    p = Kw(addr, fresh.root_token, tmp_path / "missing.pem")("whoami")
    assert p.returncode == 1
    assert "cannot read CA file %s" % (tmp_path / "missing.pem") in p.stderr


# ---- no daemon: usage errors, unreachable addresses ------------------------


@pytest.mark.parametrize("args", [
    [],
    ["nope"],
    ["key"],
    ["key", "nope"],
    ["key", "create"],
    ["key", "create", "k"],
    ["key", "create", "k", "--type", "rsa-1024"],
    ["key", "create", "k", "--type", "aes-256", "--bogus"],
    ["key", "compromise", "k"],
    ["sign", "--key", "k", "--in", "f"],
    ["verify", "--key", "k", "--in", "f", "--sig", "s", "--scheme", "x"],
    ["random", "--bytes", "0"],
    ["random", "--bytes", "many"],
    ["--timeout", "soon", "whoami"],
    ["sys", "init", "--shares", "2", "--threshold", "3"],
    ["login", "--user", "alice", "--password", "hunter2-secret"],
    ["login", "--user", "alice", "kwt_" + "A" * 43],
])
def test_usage_errors_exit_2(args):
    """Refused before any connection (the address leads nowhere)."""
    p = Kw(NO_DAEMON)(*args)
    assert p.returncode == 2, p.stderr
    assert p.stdout == ""
    assert p.stderr.startswith("keywarden: ")
    assert "Try 'keywarden" in p.stderr and "--help'." in p.stderr
    assert "hunter2-secret" not in p.stderr and "kwt_" not in p.stderr


def test_help_exits_0():
    p = Kw(NO_DAEMON).ok("key", "create", "--help")
    assert "--type" in p.stdout and "keywarden key create" in p.stdout


def test_unreachable_addresses_exit_1():
    addrs = [NO_DAEMON, "https://127.0.0.1:%d" % free_port()]
    for addr in addrs:
        p = Kw(addr)("sys", "status")
        assert p.returncode == 1 and p.stdout == ""
        assert p.stderr.startswith("keywarden: cannot connect to %s: " %
                                   addr), p.stderr
    # a listener that never answers: given up after --timeout
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        addr = "https://127.0.0.1:%d" % s.getsockname()[1]
        p = run([CLI, "--timeout", "1", "sys", "status"], timeout=30,
                env={"KEYWARDEN_ADDR": addr})
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr == ("keywarden: cannot connect to %s: timed out after "
                        "1000 ms\n" % addr)


# ---- a partition of the shared daemon ----------------------------------------


def kw_for(tenant, roles):
    """The CLI with a token of a new app principal of tenant."""
    return Kw("unix://%s" % tenant.inst.socket, tenant.token_for(roles))


@pytest.fixture
def officer(tenant):
    """crypto-officer and crypto-user: makes keys and uses them."""
    return kw_for(tenant, ["crypto-officer", "crypto-user"])


def test_login_save_whoami_logout(tenant, tmp_path):
    user = tenant.user(["crypto-user"], password="correct horse battery")
    cfg = tmp_path / "xdg"
    kw = Kw("unix://%s" % tenant.inst.socket, token="",
            env={"XDG_CONFIG_HOME": str(cfg), "HOME": str(tmp_path)})
    login = ["login", "--user", user, "--partition", tenant.name]
    kw.refused("unauthenticated", *login, input="wrong password\n")

    p = kw.ok(*login, input="correct horse battery\n")
    assert p.stdout.startswith("kwt_") and p.stdout.count("\n") == 1
    assert not cfg.exists()

    p = kw.ok(*login, "--save", input="correct horse battery\n")
    token_file = cfg / "keywarden" / "token"
    assert p.stdout == ""
    assert "saved to %s" % token_file in p.stderr
    assert mode(token_file) == 0o600 and mode(cfg / "keywarden") == 0o700
    saved = token_file.read_text().strip()
    assert saved.startswith("kwt_") and saved not in p.stderr

    me = kw.json("whoami")
    assert (me["principal"], me["partition"], me["roles"]) == (
        user, tenant.name, ["crypto-user"])
    for bad in (0o640, 0o604):
        os.chmod(token_file, bad)
        p = kw("whoami")
        assert p.returncode == 1 and p.stdout == ""
        assert "refusing token file %s" % token_file in p.stderr
    os.chmod(token_file, 0o600)

    p = kw.ok("logout")
    assert "the token is revoked" in p.stderr
    assert not token_file.exists()
    p = kw("whoami")
    assert p.returncode == 1 and "no token" in p.stderr
    Kw(kw.addr, saved).refused("token_expired", "whoami")


def test_roles_refused_through_the_cli(tenant, officer, tmp_path):
    officer.ok("key", "create", "roles-sig", "--type", "ecdsa-p256")
    msg = tmp_path / "msg"
    msg.write_bytes(b"release 1.0")
    auditor = kw_for(tenant, ["auditor"])
    p = auditor.refused("permission_denied", "sign", "--key", "roles-sig",
                        "--in", msg, "--out", tmp_path / "sig")
    assert "(request r-" in p.stderr
    assert not (tmp_path / "sig").exists()
    auditor.refused("permission_denied", "key", "list")
    auditor.refused("permission_denied", "random", "--bytes", "8")
    user = kw_for(tenant, ["crypto-user"])
    user.refused("permission_denied", "key", "create", "mine",
                 "--type", "aes-256")
    user.ok("sign", "--key", "roles-sig", "--in", msg,
            "--out", tmp_path / "sig")
    # a crypto-officer manages keys but does not use them
    kw_for(tenant, ["crypto-officer"]).refused(
        "permission_denied", "verify", "--key", "roles-sig", "--in", msg,
        "--sig", tmp_path / "sig")


def test_key_life_cycle_json(tenant, officer, tmp_path):
    k = officer.json("key", "create", "life", "--type", "ecdsa-p256",
                     "--label", "team=release")
    assert (k["name"], k["type"], k["state"], k["partition"]) == (
        "life", "ecdsa-p256", "active", tenant.name)
    assert (k["labels"], k["primary_version"]) == ({"team": "release"}, 1)
    officer.json("key", "create", "life-aes", "--type", "aes-256",
                 "--usage", "encrypt", "--usage", "decrypt")
    officer.refused("already_exists", "key", "create", "life",
                    "--type", "ed25519")

    names = [x["name"] for x in officer.json("key", "list")["keys"]]
    assert sorted(names) == ["life", "life-aes"]
    page = officer.json("key", "list", "--type", "ecdsa-p256")
    assert [x["name"] for x in page["keys"]] == ["life"]
    page = officer.json("key", "list", "--label", "team:release")
    assert [x["name"] for x in page["keys"]] == ["life"]
    page = officer.json("key", "list", "--limit", "1")
    assert len(page["keys"]) == 1 and page["next_cursor"] is not None
    rest = officer.json("key", "list", "--cursor", page["next_cursor"])
    assert [x["name"] for x in page["keys"] + rest["keys"]] == names
    p = officer.ok("key", "list", "--limit", "1")
    assert "(more: add --cursor " in p.stderr

    assert officer.json("key", "show", k["id"])["name"] == "life"
    officer.refused("not_found", "key", "show", "nothing-here")

    k = officer.json("key", "rotate", "life")
    assert k["primary_version"] == 2
    assert [v["version"] for v in k["versions"]] == [1, 2]

    msg = tmp_path / "msg"
    msg.write_bytes(b"m")
    assert officer.json("key", "disable", "life")["state"] == "disabled"
    officer.refused("invalid_state", "sign", "--key", "life", "--in", msg,
                    "--out", tmp_path / "sig")
    assert officer.json("key", "enable", "life")["state"] == "active"
    k = officer.json("key", "destroy", "life", "--waiting-period", "3600")
    assert k["state"] == "pending-destruction" and k["destroy_after"]
    k = officer.json("key", "cancel-destroy", "life")
    assert (k["state"], k["destroy_after"]) == ("disabled", None)
    officer.json("key", "enable", "life")

    pub = officer.json("key", "public", "life")
    assert pub["version"] == 2
    assert pub["pem"].startswith("-----BEGIN PUBLIC KEY-----\n")
    p = officer.ok("key", "public", "life", "--version", "1",
                   "--out", tmp_path / "v1.pem")
    assert p.stdout == ""
    v1 = (tmp_path / "v1.pem").read_text()
    assert v1.startswith("-----BEGIN PUBLIC KEY-----") and v1 != pub["pem"]
    jwk = json.loads(officer.ok("key", "public", "life", "--format",
                                "jwk").stdout)
    assert (jwk["kty"], jwk["crv"], jwk["kid"]) == ("EC", "P-256", "life.v2")
    officer.refused("unsupported", "key", "public", "life-aes")


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    f = tmp_path_factory.mktemp("big") / "artifact.bin"
    with open(f, "wb") as out:
        for _ in range(BIG // (1024 * 1024)):
            out.write(os.urandom(1024 * 1024))
    return f


@pytest.mark.parametrize("ktype", ["ecdsa-p256", "rsa-2048"])
def test_sign_verify_50_mib_checked_by_openssl(officer, big_file, ktype,
                                               tmp_path):
    """Only the digest travels: the shared daemon takes bodies of at most
    256 KiB."""
    officer.ok("key", "create", "big", "--type", ktype)
    pub, sig = tmp_path / "pub.pem", tmp_path / "sig"
    officer.ok("key", "public", "big", "--out", pub)
    p = officer.ok("sign", "--key", "big", "--in", big_file, "--out", sig)
    assert p.stdout == "" and "with big version 1" in p.stderr
    o = run(["openssl", "dgst", "-sha256", "-verify", pub, "-signature",
             sig, big_file])
    assert o.returncode == 0 and "Verified OK" in o.stdout, o.stderr
    p = officer.ok("verify", "--key", "big", "--in", big_file, "--sig", sig)
    assert p.stdout == "the signature is valid\n"

    with open(big_file, "r+b") as f:  # one byte changed, then restored
        f.seek(BIG // 2)
        b = f.read(1)
        f.seek(BIG // 2)
        f.write(bytes([b[0] ^ 1]))
    try:
        p = officer("verify", "--key", "big", "--in", big_file, "--sig", sig)
    finally:
        with open(big_file, "r+b") as f:
            f.seek(BIG // 2)
            f.write(b)
    assert p.returncode == 1 and p.stdout == ""
    assert "the signature is NOT valid" in p.stderr


def test_encrypt_decrypt_aad_across_rotations(officer, tmp_path):
    officer.ok("key", "create", "data", "--type", "aes-256")
    pt = tmp_path / "pt"
    pt.write_bytes(bytes(range(256)) * 40)
    ct1, out = tmp_path / "ct1", tmp_path / "out"
    p = officer.ok("encrypt", "--key", "data", "--in", pt, "--out", ct1,
                   "--aad", "order-42")
    assert p.stdout == "" and "with data version 1" in p.stderr
    assert ct1.read_text().startswith("kw:v1:")
    for aad in (["--aad", "order-43"], []):
        officer.refused("verification_failed", "decrypt", "--key", "data",
                        "--in", ct1, "--out", out, *aad)
        assert not out.exists()

    officer.ok("key", "rotate", "data")
    assert officer.json("key", "rotate", "data")["primary_version"] == 3
    officer.ok("decrypt", "--key", "data", "--in", ct1, "--out", out,
               "--aad", "order-42")
    assert out.read_bytes() == pt.read_bytes() and mode(out) == 0o600

    ct3 = tmp_path / "ct3"
    r = officer.json("encrypt", "--key", "data", "--in", pt, "--out", ct3,
                     "--aad", "order-42")
    assert r["key_version"] == 3 and ct3.read_text().startswith("kw:v3:")
    aad = tmp_path / "aad"
    aad.write_bytes(b"order-42")
    officer.ok("decrypt", "--key", "data", "--in", ct3, "--out", out,
               "--aad-file", aad)
    assert out.read_bytes() == pt.read_bytes()
    # stdin to stdout, both ways
    p = officer.ok("encrypt", "--key", "data", "--in", "-", "--out", "-",
                   input="piped text\n")
    assert p.stdout.startswith("kw:v3:")
    p = officer.ok("decrypt", "--key", "data", "--in", "-", "--out", "-",
                   input=p.stdout)
    assert p.stdout == "piped text\n"


def test_datakey_plaintext_only_in_its_file(officer, tmp_path):
    officer.ok("key", "create", "kek", "--type", "aes-256")
    dk = tmp_path / "dk.bin"
    p = officer.ok("datakey", "--key", "kek", "--out", dk, "--json")
    res = json.loads(p.stdout)
    assert sorted(res) == ["ciphertext", "key_version"]
    assert res["ciphertext"].startswith("kw:v1:")
    key = dk.read_bytes()
    assert len(key) == 32 and mode(dk) == 0o600
    for shown in (base64.b64encode(key).decode(), key.hex()):
        assert shown not in p.stdout + p.stderr

    dk2, wrapped, back = tmp_path / "dk2", tmp_path / "dk2.kw", tmp_path / "b"
    p = officer.ok("datakey", "--key", "kek", "--type", "aes-128",
                   "--out", dk2, "--wrapped-out", wrapped)
    assert p.stdout == "" and len(dk2.read_bytes()) == 16
    officer.ok("decrypt", "--key", "kek", "--in", wrapped, "--out", back)
    assert back.read_bytes() == dk2.read_bytes()
    p = officer.ok("datakey", "--key", "kek", "--out", tmp_path / "dk3")
    assert p.stdout.startswith("kw:v1:") and p.stdout.count("\n") == 1


def test_random(tenant, tmp_path):
    user = kw_for(tenant, ["crypto-user"])
    hexes = [user.ok("random", "--bytes", "16", "--hex").stdout
             for _ in range(2)]
    assert all(len(h) == 33 and int(h, 16) >= 0 for h in hexes)
    assert hexes[0] != hexes[1]
    r = user.json("random", "--bytes", "24")
    assert len(base64.b64decode(r["random"], validate=True)) == 24
    p = user.ok("random", "--bytes", "64", "--out", tmp_path / "seed")
    assert p.stdout == ""
    assert len((tmp_path / "seed").read_bytes()) == 64
    assert mode(tmp_path / "seed") == 0o600
