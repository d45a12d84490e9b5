# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""The module under the real consumers from Debian's packages: OpenSSL with
the libp11 engine (libengine-pkcs11-openssl), osslsigncode, OpenSSH
(ssh-keygen -D, ssh-agent/ssh-add -s, ssh-keygen -Y), GnuTLS p11tool and
certtool. Each test module uses its own token (own_token).

libp11 takes PINs of at most 32 characters, so these tests log in with the
user principal's password, not with an application token (47)."""

import os
import struct

import pytest

from kwharness import run

ENGINE = "/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so"


def ok(p):
    assert p.returncode == 0, "exit %d\n%s\n%s" % (p.returncode, p.stdout,
                                                   p.stderr)
    return p.stdout + p.stderr


@pytest.fixture(scope="module")
def keys(own_token):
    """An RSA and an EC key pair made with pkcs11-tool."""
    t = own_token
    for args in (["--key-type", "rsa:2048", "--label", "tool-rsa",
                  "--id", "01"],
                 ["--key-type", "EC:prime256v1", "--label", "tool-ec",
                  "--id", "02"]):
        ok(t.run(["pkcs11-tool", "--module", t.module, "--login", "--pin",
                  t.user_pin, "--keypairgen"] + args))
    return t


def openssl_conf(t):
    path = t.dir / "openssl.cnf"
    path.write_text(
        "openssl_conf = openssl_init\n"
        "[openssl_init]\nengines = engine_section\n"
        "[engine_section]\npkcs11 = pkcs11_section\n"
        "[pkcs11_section]\nengine_id = pkcs11\n"
        "dynamic_path = %s\nMODULE_PATH = %s\ninit = 0\n"
        "[req]\ndistinguished_name = dn\n[dn]\n" % (ENGINE, t.module))
    return path


def uri(t, label):
    return "pkcs11:token=%s;object=%s;type=private;pin-value=%s" % (
        t.partition, label, t.user_pin)


# ---- OpenSSL + libp11 --------------------------------------------------------


@pytest.mark.parametrize("label", ["tool-rsa", "tool-ec"])
def test_openssl_req_x509_and_dgst(keys, tmp_path, label):
    t = keys
    engine_env = {"OPENSSL_CONF": str(openssl_conf(t))}
    cert = tmp_path / "cert.pem"
    ok(t.run(["openssl", "req", "-engine", "pkcs11", "-keyform", "engine",
              "-key", uri(t, label), "-new", "-x509", "-subj",
              "/CN=keywarden token key", "-days", "2", "-out", cert],
             env=engine_env))
    # Plain openssl (no engine) checks the self-signed certificate ...
    plain = {"OPENSSL_CONF": "/dev/null"}
    out = ok(run(["openssl", "verify", "-CAfile", cert, cert], env=plain))
    assert ": OK" in out
    # ... and a signature made with dgst -sign.
    data = tmp_path / "data"
    data.write_bytes(b"signed by openssl through the token\n" * 20)
    sig = tmp_path / "sig"
    ok(t.run(["openssl", "dgst", "-sha256", "-engine", "pkcs11",
              "-keyform", "engine", "-sign", uri(t, label), "-out", sig,
              data], env=engine_env))
    pub = tmp_path / "pub.pem"
    ok(run(["openssl", "x509", "-in", cert, "-pubkey", "-noout", "-out",
            pub], env=plain))
    out = ok(run(["openssl", "dgst", "-sha256", "-verify", pub,
                  "-signature", sig, data], env=plain))
    assert "Verified OK" in out


# ---- osslsigncode ---------------------------------------------------------------


def minimal_pe():
    """A valid 1 KiB PE32 executable (i386, one .text section holding a
    `ret`), enough for Authenticode."""
    dos = bytearray(0x40)
    dos[0:2] = b"MZ"
    struct.pack_into("<I", dos, 0x3c, 0x40)  # e_lfanew
    coff = struct.pack("<HHIIIHH", 0x14c, 1, 0, 0, 0, 0xE0, 0x0102)
    opt = struct.pack(
        "<HBBIIIIIIIIIHHHHHHIIIIHHIIIIII",
        0x10b, 14, 0, 0x200, 0, 0, 0x1000, 0x1000, 0x2000,  # sizes, entry
        0x400000, 0x1000, 0x200,  # image base, section/file alignment
        6, 0, 0, 0, 6, 0, 0,  # versions, Win32VersionValue
        0x2000, 0x200, 0, 3, 0x8140,  # image/headers size, sum, subsystem
        0x100000, 0x1000, 0x100000, 0x1000, 0, 16)  # stack/heap, dirs
    opt += bytes(16 * 8)  # data directories (the security one is empty)
    sect = struct.pack("<8sIIIIIIHHI", b".text", 0x1000, 0x1000, 0x200,
                       0x200, 0, 0, 0, 0, 0x60000020)
    hdr = bytes(dos) + b"PE\0\0" + coff + opt + sect
    return hdr + bytes(0x200 - len(hdr)) + b"\xc3" + bytes(0x1ff)


def authenticode(t, exe, certs, signed, ca):
    """Signs exe into signed with the token's key tool-rsa through the
    module (certificate chain certs), then verifies it against ca; returns
    osslsigncode's verify output (either step failing fails the test)."""
    ok(t.run(["osslsigncode", "sign", "-pkcs11engine", ENGINE,
              "-pkcs11module", t.module, "-certs", certs, "-key",
              uri(t, "tool-rsa"), "-h", "sha256", "-n", "keywarden test",
              "-in", exe, "-out", signed]))
    return ok(run(["osslsigncode", "verify", "-in", signed, "-CAfile",
                   ca]))


def test_osslsigncode_sign_and_verify(keys, tmp_path):
    t = keys
    cert = tmp_path / "cert.pem"
    ok(t.run(["openssl", "req", "-engine", "pkcs11", "-keyform", "engine",
              "-key", uri(t, "tool-rsa"), "-new", "-x509", "-subj",
              "/CN=keywarden code signing", "-days", "2", "-addext",
              "extendedKeyUsage=codeSigning", "-out", cert],
             env={"OPENSSL_CONF": str(openssl_conf(t))}))
    exe = tmp_path / "in.exe"
    exe.write_bytes(minimal_pe())
    unsigned = run(["osslsigncode", "verify", "-in", exe])
    assert unsigned.returncode != 0  # nothing to verify yet
    signed = tmp_path / "signed.exe"
    out = authenticode(t, exe, cert, signed, cert)
    assert "Signature verification: ok" in out
    # A changed byte breaks it.
    data = bytearray(signed.read_bytes())
    data[0x200] ^= 0xff
    bad = tmp_path / "bad.exe"
    bad.write_bytes(bytes(data))
    assert run(["osslsigncode", "verify", "-in", bad, "-CAfile",
                cert]).returncode != 0


def test_osslsigncode_with_a_keywarden_ca_certificate(keys, tmp_path):
    """Authenticode through the module with a certificate the keywarden CA
    issued for the token's key (docs/pki.md, PKCS#11): osslsigncode
    verifies it against the keywarden root, and the certificate is a
    PKCS#11 object next to the key."""
    t = keys
    c = t.root
    root = c.ok("POST", t.q("/v1/ca"), {
        "name": "cs-root", "key_type": "ecdsa-p384", "quorum": False,
        "subject": "CN=Code Signing Root,O=Example", "path_len": 1})
    c.ok("POST", t.q("/v1/ca"), {
        "name": "cs-issuing", "parent": "cs-root", "key_type": "rsa-2048",
        "subject": "CN=Code Signing Issuing,O=Example"})
    leaf = c.ok("POST", t.q("/v1/ca/cs-issuing/issue"), {
        "profile": "code-signing", "key": "tool-rsa",
        "subject": "CN=Example Authenticode,O=Example"})
    (tmp_path / "root.pem").write_text(root["pem"])
    certs = tmp_path / "certs.pem"
    certs.write_text(leaf["pem"] + leaf["chain_pem"])
    listed = ok(t.tool(["--list-objects", "--type", "cert"]))
    assert "tool-rsa" in listed, listed
    exe = tmp_path / "app.exe"
    exe.write_bytes(minimal_pe())
    signed = tmp_path / "app-signed.exe"
    out = authenticode(t, exe, certs, signed, tmp_path / "root.pem")
    assert "Signature verification: ok" in out, out
    # not against another root
    other = run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                 tmp_path / "o.key", "-subj", "/CN=Other Root", "-days", "2",
                 "-out", tmp_path / "other.pem"])
    assert other.returncode == 0, other.stderr
    assert run(["osslsigncode", "verify", "-in", signed, "-CAfile",
                tmp_path / "other.pem"]).returncode != 0
    # the issuance is in the trail
    issued = [e for e in t.audit_entries() if e.get("op") == "cert_issue"
              and (e.get("detail") or {}).get("serial") == leaf["serial"]]
    assert len(issued) == 1 and issued[0]["result"] == "ok", issued


# ---- OpenSSH --------------------------------------------------------------------


def test_ssh_keygen_lists_token_keys(keys):
    t = keys
    out = ok(t.run(["ssh-keygen", "-D", t.module]))
    lines = out.strip().splitlines()
    assert any(l.startswith("ssh-rsa ") and l.endswith(" tool-rsa")
               for l in lines), out
    assert any(l.startswith("ecdsa-sha2-nistp256 ") and
               l.endswith(" tool-ec") for l in lines), out


def test_ssh_agent_add_and_sign(keys, tmp_path):
    """ssh-add -s loads the token's keys into an agent (PIN through
    SSH_ASKPASS); ssh-keygen -Y sign uses them, -Y verify checks."""
    t = keys
    if "LD_PRELOAD" in t.env():
        pytest.skip("ssh-agent is set-group-id: it drops LD_PRELOAD, so "
                    "it cannot load the ASan-built module")
    sock = tmp_path / "agent.sock"
    agent = ok(run(["ssh-agent", "-s", "-a", sock, "-P", t.module],
                   env=t.env()))
    pid = int(agent.split("SSH_AGENT_PID=")[1].split(";")[0])
    askpass = tmp_path / "askpass.sh"
    askpass.write_text("#!/bin/sh\necho '%s'\n" % t.user_pin)
    askpass.chmod(0o700)
    env = {"SSH_AUTH_SOCK": str(sock), "SSH_ASKPASS": str(askpass),
           "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"}
    try:
        ok(t.run(["ssh-add", "-s", t.module], env=env, input=""))
        listed = ok(run(["ssh-add", "-L"], env=env))
        data = tmp_path / "data"
        data.write_bytes(b"a file signed with a token key\n")
        for kind in ("ecdsa-sha2-nistp256", "ssh-rsa"):
            pub = [l for l in listed.splitlines() if l.startswith(kind)][0]
            pubf = tmp_path / ("%s.pub" % kind)
            pubf.write_text(pub + "\n")
            sig = tmp_path / "data.sig"
            if sig.exists():
                sig.unlink()
            ok(run(["ssh-keygen", "-Y", "sign", "-f", pubf, "-n", "file",
                    data], env=env))
            allowed = tmp_path / "allowed"
            allowed.write_text("tester " + pub + "\n")
            out = ok(run(["ssh-keygen", "-Y", "verify", "-f", allowed,
                          "-I", "tester", "-n", "file", "-s", sig],
                         input=data.read_text()))
            assert 'Good "file" signature for tester' in out
    finally:
        os.kill(pid, 15)


# ---- GnuTLS ---------------------------------------------------------------------


def test_p11tool_certtool(own_token, tmp_path):
    t = own_token
    env = {"GNUTLS_PIN": t.user_pin}
    out = ok(t.run(["p11tool", "--provider", t.module, "--list-tokens"]))
    assert "Label: %s" % t.partition in out
    assert "Manufacturer: keywarden" in out
    token_url = "pkcs11:token=%s" % t.partition
    ok(t.run(["p11tool", "--provider", t.module, "--login",
              "--generate-privkey=ecdsa", "--curve=secp256r1", "--label",
              "gnutls-ec", "--id=4711", token_url], env=env))
    ok(t.run(["p11tool", "--provider", t.module, "--login",
              "--generate-privkey=rsa", "--bits=2048", "--label",
              "gnutls-rsa", token_url], env=env))
    listed = ok(t.run(["p11tool", "--provider", t.module, "--login",
                       "--list-privkeys", token_url], env=env))
    assert "object=gnutls-ec;type=private" in listed
    assert "Private key (RSA-2048)" in listed
    assert "CKA_SENSITIVE" in listed
    if "LD_PRELOAD" in t.env():
        pytest.skip("certtool with libasan preloaded hangs at exit in "
                    "libp11-kit's destructor (freelocale); the module's "
                    "part above ran, certtool runs in the normal build")
    tmpl = tmp_path / "tmpl"
    tmpl.write_text('cn = "gnutls token cert"\nserial = 7\n'
                    'expiration_days = 2\nca\ncert_signing_key\n')
    for label in ("gnutls-ec", "gnutls-rsa"):
        cert = tmp_path / ("%s.pem" % label)
        ok(t.run(["certtool", "--provider", t.module,
                  "--generate-self-signed", "--load-privkey",
                  "%s;object=%s;type=private" % (token_url, label),
                  "--load-pubkey",
                  "%s;object=%s;type=public" % (token_url, label),
                  "--template", tmpl, "--outfile", cert], env=env))
        out = ok(run(["certtool", "--verify", "--load-ca-certificate",
                      cert, "--infile", cert]))
        assert "Verified. The certificate is trusted." in out
        out = ok(run(["openssl", "verify", "-CAfile", cert, cert],
                     env={"OPENSSL_CONF": "/dev/null"}))
        assert ": OK" in out
