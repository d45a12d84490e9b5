# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""OpenSC's pkcs11-tool (Debian package opensc) against the module and a
real keywardend: token listing, mechanisms, its own --test and --test-ec,
key generation of every type, sign/verify (checked again with plain
openssl), decrypt, object listing, and an unreachable daemon."""

import hashlib

import pytest

from kwharness import run

MECHANISMS = [
    "RSA-PKCS-KEY-PAIR-GEN", "RSA-PKCS", "SHA1-RSA-PKCS", "SHA224-RSA-PKCS",
    "SHA256-RSA-PKCS", "SHA384-RSA-PKCS", "SHA512-RSA-PKCS", "RSA-PKCS-PSS",
    "SHA1-RSA-PKCS-PSS", "SHA224-RSA-PKCS-PSS", "SHA256-RSA-PKCS-PSS",
    "SHA384-RSA-PKCS-PSS", "SHA512-RSA-PKCS-PSS", "RSA-PKCS-OAEP",
    "ECDSA-KEY-PAIR-GEN", "ECDSA", "EC-EDWARDS-KEY-PAIR-GEN", "EDDSA", "ECDSA-SHA1", "ECDSA-SHA224", "ECDSA-SHA256",
    "ECDSA-SHA384", "ECDSA-SHA512", "AES-KEY-GEN", "AES-GCM",
    "AES-KEY-WRAP", "mechtype-0x210B", "GENERIC-SECRET-KEY-GEN", "SHA256-HMAC",
    "SHA384-HMAC", "SHA512-HMAC", "SHA-1", "SHA224", "SHA256", "SHA384",
    "SHA512",
]


def ok(p):
    assert p.returncode == 0, "exit %d\n%s\n%s" % (p.returncode, p.stdout,
                                                   p.stderr)
    return p.stdout


def test_token_listing(token):
    out = ok(token.tool(["--list-token-slots"], pin=False))
    assert "keywarden partition p11" in out
    assert "token label        : p11" in out
    assert "login required" in out and "rng" in out
    assert "token initialized" in out and "PIN initialized" in out
    assert "pin min/max        : 4/64" in out


def test_list_mechanisms(token):
    out = ok(token.tool(["--list-mechanisms"], pin=False))
    names = [line.split(",")[0].strip() for line in out.splitlines()
             if line.startswith("  ")]
    for m in MECHANISMS:
        assert m in names, (m, out)
    # Complete CK_MECHANISM_INFO: sizes and flags.
    assert "RSA-PKCS-KEY-PAIR-GEN, keySize={2048,4096}, hw, " \
           "generate_key_pair" in out
    assert "ECDSA, keySize={256,521}, hw, sign, verify, EC F_P, " \
           "EC OID, EC uncompressed" in out
    assert "AES-GCM, keySize={16,32}, hw, encrypt, decrypt" in out
    assert "SHA256, digest" in out


def test_pkcs11_tool_self_test(token, uniq):
    ok(token.tool(["--keypairgen", "--key-type", "rsa:2048",
                   "--label", "selftest-" + uniq, "--id", "5e1f"]))
    out = ok(token.tool(["--test"]))
    assert "No errors" in out, out
    assert "RSA-PKCS: OK" in out and "SHA256-RSA-PKCS: OK" in out
    assert "RSA-PKCS-OAEP" in out and "Signatures: not implemented" \
        not in out


@pytest.mark.parametrize("curve", ["prime256v1", "secp384r1",
                                   "secp521r1"])
def test_pkcs11_tool_test_ec(token, curve):
    # --keypairgen asks pkcs11-tool for a read-write session, which the
    # generation inside --test-ec needs (token objects).
    out = ok(token.tool(["--keypairgen", "--test-ec", "--key-type",
                         "EC:" + curve, "--id", "ec"]))
    assert "==> OK" in out, out


KEYGEN = [
    (["--keypairgen", "--key-type", "rsa:2048"], "rsa-2048"),
    (["--keypairgen", "--key-type", "rsa:3072"], "rsa-3072"),
    (["--keypairgen", "--key-type", "rsa:4096"], "rsa-4096"),
    (["--keypairgen", "--key-type", "EC:prime256v1"], "ecdsa-p256"),
    (["--keypairgen", "--key-type", "EC:secp384r1"], "ecdsa-p384"),
    (["--keypairgen", "--key-type", "EC:secp521r1"], "ecdsa-p521"),
    (["--keypairgen", "--key-type", "EC:edwards25519"], "ed25519"),
    (["--keygen", "--sensitive", "--key-type", "AES:16"], "aes-128"),
    (["--keygen", "--sensitive", "--key-type", "AES:32"], "aes-256"),
    (["--keygen", "--sensitive", "--key-type", "GENERIC:32"], "hmac-sha256"),
    (["--keygen", "--sensitive", "--key-type", "GENERIC:48"], "hmac-sha384"),
    (["--keygen", "--sensitive", "--key-type", "GENERIC:64"], "hmac-sha512"),
]


@pytest.mark.parametrize("args,kwtype", KEYGEN, ids=[k[1] for k in KEYGEN])
def test_keygen_every_type(token, uniq, args, kwtype):
    label = "gen-%s-%s" % (kwtype, uniq)
    out = ok(token.tool(args + ["--label", label, "--id", uniq]))
    assert "label:      " + label in out
    key = token.key(label)  # the daemon has it, under the label as name
    assert key["type"] == kwtype
    assert key["labels"]["p11.id"] == uniq
    listed = ok(token.tool(["--list-objects", "--id", uniq]))
    assert label in listed
    if kwtype.startswith(("rsa", "ec", "ed")):
        assert "Private Key Object" in listed
        assert "Public Key Object" in listed
    else:
        assert "Secret Key Object" in listed


def export_pub(token, tmp_path, label):
    """The public key as PEM, read from the token: by pkcs11-tool for RSA
    (DER) and Ed25519 (PEM); by GnuTLS p11tool for ECDSA, because
    pkcs11-tool 0.23 frees the curve parameters before it uses them when
    it builds an EC key (ASan reports it; P-384 then fails, with SoftHSMv2
    too)."""
    key = token.key(label)
    pem = tmp_path / ("%s.pem" % label)
    if key["type"].startswith("ecdsa"):
        ok(token.run(["p11tool", "--provider", token.module, "--login",
                      "--export-pubkey", "pkcs11:token=%s;object=%s;"
                      "type=public" % (token.partition, label),
                      "--outfile", pem],
                     env={"GNUTLS_PIN": token.user_pin}))
        return pem
    out = tmp_path / ("%s.out" % label)
    ok(token.tool(["--read-object", "--type", "pubkey", "--label", label,
                   "-o", out]))
    form = "PEM" if out.read_bytes().startswith(b"-----BEGIN") else "DER"
    ok(run(["openssl", "pkey", "-pubin", "-inform", form, "-in", out,
            "-out", pem]))
    return pem


SIGN = [
    ("rsa:2048", "SHA256-RSA-PKCS", ["-sigopt", "rsa_padding_mode:pkcs1"],
     "sha256"),
    ("rsa:2048", "SHA512-RSA-PKCS-PSS",
     ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:-1"],
     "sha512"),
    ("EC:prime256v1", "ECDSA-SHA256", [], "sha256"),
    ("EC:secp384r1", "ECDSA-SHA384", [], "sha384"),
]


@pytest.mark.parametrize("ktype,mech,sigopt,md", SIGN,
                         ids=[s[1] for s in SIGN])
def test_sign_verify(token, tmp_path, uniq, ktype, mech, sigopt, md):
    label = "sig-%s" % uniq
    ok(token.tool(["--keypairgen", "--key-type", ktype, "--label", label,
                   "--id", uniq]))
    data = tmp_path / "data"
    data.write_bytes(b"keywarden pkcs11 " * 100)
    sig = tmp_path / "sig"
    extra = ["--signature-format", "openssl"] if "ECDSA" in mech else []
    # (pkcs11-tool picks the key for --sign and --verify by --id)
    ok(token.tool(["--sign", "--mechanism", mech, "--id", uniq,
                   "-i", data, "-o", sig] + extra))
    # The token verifies it (C_Verify through the daemon) ...
    out = ok(token.tool(["--verify", "--mechanism", mech, "--id", uniq,
                         "-i", data, "--signature-file", sig] + extra))
    assert "Signature is valid" in out
    # ... and so does plain openssl with the exported public key.
    pem = export_pub(token, tmp_path, label)
    ok(run(["openssl", "dgst", "-" + md, "-verify", pem, "-signature", sig]
           + sigopt + [data]))
    # A changed message does not verify.
    data.write_bytes(b"keywarden pkcs11 ?" * 100)
    p = token.tool(["--verify", "--mechanism", mech, "--id", uniq,
                    "-i", data, "--signature-file", sig] + extra)
    assert "Invalid signature" in p.stdout + p.stderr or p.returncode != 0


def test_sign_ed25519_verified_by_openssl(token, tmp_path, uniq):
    label = "ed-%s" % uniq
    ok(token.tool(["--keypairgen", "--key-type", "EC:edwards25519",
                   "--label", label, "--id", uniq]))
    data = tmp_path / "data"
    data.write_bytes(b"an ed25519 message")
    sig = tmp_path / "sig"
    ok(token.tool(["--sign", "--mechanism", "EDDSA", "--id", uniq,
                   "-i", data, "-o", sig]))
    assert len(sig.read_bytes()) == 64
    pem = export_pub(token, tmp_path, label)
    ok(run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pem,
            "-rawin", "-in", data, "-sigfile", sig]))


def test_decrypt_rsa_oaep(token, tmp_path, uniq):
    label = "oaep-%s" % uniq
    ok(token.tool(["--keypairgen", "--key-type", "rsa:2048", "--label",
                   label, "--id", uniq, "--usage-decrypt", "--usage-sign"]))
    pem = export_pub(token, tmp_path, label)
    msg = tmp_path / "msg"
    msg.write_bytes(b"a secret for the token")
    ct = tmp_path / "ct"
    ok(run(["openssl", "pkeyutl", "-encrypt", "-pubin", "-inkey", pem,
            "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt",
            "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256",
            "-in", msg, "-out", ct]))
    pt = tmp_path / "pt"
    ok(token.tool(["--decrypt", "--mechanism", "RSA-PKCS-OAEP",
                   "--hash-algorithm", "SHA256", "--mgf", "MGF1-SHA256",
                   "--id", uniq, "-i", ct, "-o", pt]))
    assert pt.read_bytes() == b"a secret for the token"


def test_hash_on_token(token, tmp_path):
    data = tmp_path / "data"
    data.write_bytes(b"digest me" * 1000)
    out = tmp_path / "out"
    ok(token.tool(["--hash", "--mechanism", "SHA384", "-i", data, "-o",
                   out], pin=False))
    assert out.read_bytes() == hashlib.sha384(data.read_bytes()).digest()


def test_random(token, tmp_path):
    out = tmp_path / "rnd"
    ok(token.tool(["--generate-random", "100000", "-o", out]))
    r = out.read_bytes()
    assert len(r) == 100000 and len(set(r)) > 200


def test_object_listing_public_and_logged_in(token, uniq):
    label = "list-%s" % uniq
    ok(token.tool(["--keypairgen", "--key-type", "EC:prime256v1",
                   "--label", label, "--id", "1157"]))
    # Without login (base credential): public objects only.
    public = ok(token.tool(["--list-objects"], pin=False))
    assert "Public Key Object; EC" in public and label in public
    assert "Private Key Object" not in public
    logged = ok(token.tool(["--list-objects", "--type", "privkey",
                            "--label", label]))
    assert "Private Key Object; EC" in logged
    assert "ID:         1157" in logged
    assert "sensitive, always sensitive, never extractable" in logged
    assert "Allowed mechanisms: ECDSA,ECDSA-SHA1" in logged


def test_password_pin(token, uniq):
    """The user PIN may be the configured principal's password."""
    p = token.run(["pkcs11-tool", "--module", token.module, "--login",
                   "--pin", token.user_pin, "--keypairgen", "--key-type",
                   "EC:prime256v1", "--label", "pw-" + uniq])
    ok(p)
    bad = token.run(["pkcs11-tool", "--module", token.module, "--login",
                     "--pin", "wrong-pin-123", "--list-objects"])
    assert bad.returncode != 0 and "CKR_PIN_INCORRECT" in bad.stderr


def test_unreachable_daemon(token, tmp_path):
    """No hang: a clear message, an empty slot, CKR_TOKEN_NOT_PRESENT."""
    conf = token.write_conf("down.conf", addr="unix://%s" %
                            (tmp_path / "nobody.sock"),
                            connect_timeout_ms="2000")
    p = token.run(["pkcs11-tool", "--module", token.module,
                   "--list-slots"], conf=conf, timeout=60)
    assert "cannot reach keywardend at unix://" in p.stderr, p.stderr
    assert "keywarden partition p11" in p.stdout
    assert "(empty)" in p.stdout, p.stdout
    p = token.run(["pkcs11-tool", "--module", token.module, "--slot", "0",
                   "--list-objects"], conf=conf, timeout=60)
    assert p.returncode != 0
    assert "CKR_TOKEN_NOT_PRESENT" in p.stderr, p.stderr


@pytest.mark.parametrize("content,message", [
    (b"addr unix:///x\n", "expected key = value"),
    (b"colour = blue\n", 'unknown key or bad value for "colour"'),
    (b"partitions = p11,,other\n", 'bad value for "partitions"'),
    (b"partitions = p11,\n", 'bad value for "partitions"'),
    (b"io_timeout_ms = -5\n", 'bad value for "io_timeout_ms"'),
    (b"io_timeout_ms = 99999999999999999999\n",
     'bad value for "io_timeout_ms"'),
    (b"user = " + b"u" * 5000 + b"\n", ":1: line too long"),
    (b"# fine\nuser = a\0b\n", ":2: NUL byte in the line"),
    (b"\xff\xfe\x00\x01", ":1: NUL byte in the line"),
])
def test_malformed_configuration_is_refused(token, tmp_path, content,
                                            message):
    """A bad KEYWARDEN_PKCS11_CONF: C_Initialize fails with the file, the
    line and the reason on stderr; nothing hangs or crashes."""
    conf = tmp_path / "bad.conf"
    conf.write_bytes(content)
    p = token.run(["pkcs11-tool", "--module", token.module,
                   "--list-slots"], conf=conf, timeout=60)
    assert p.returncode != 0, p.stdout
    assert message in p.stderr, p.stderr
    assert str(conf) in p.stderr, p.stderr


def test_configuration_that_is_a_directory(token, tmp_path):
    p = token.run(["pkcs11-tool", "--module", token.module,
                   "--list-slots"], conf=tmp_path, timeout=60)
    assert p.returncode != 0, p.stdout
    assert "cannot read KEYWARDEN_PKCS11_CONF" in p.stderr, p.stderr


def test_dev_instance_over_tls(tmp_path):
    """keywardend --dev names the module; with nothing but its dev.env
    (KEYWARDEN_ADDR https://..., KEYWARDEN_CACERT, KEYWARDEN_TOKEN) the
    module talks TLS to it."""
    from kwharness import DevInstance
    from p11env import MODULE, sanitizer_preload
    dev = DevInstance(tmp_path / "dev")
    dev.start()
    try:
        env = dev.env_file()
        assert env["KEYWARDEN_ADDR"].startswith("https://127.0.0.1:")
        assert env["KEYWARDEN_PKCS11_MODULE"] == str(MODULE.resolve())
        env.update(sanitizer_preload())
        env["KEYWARDEN_PKCS11_CONF"] = ""
        base = ["pkcs11-tool", "--module", str(MODULE), "--login", "--pin",
                env["KEYWARDEN_TOKEN"]]
        ok(run(base + ["--keypairgen", "--key-type", "EC:prime256v1",
                       "--label", "over-tls", "--id", "71"], env=env))
        data = tmp_path / "data"
        data.write_bytes(b"over TLS")
        ok(run(base + ["--sign", "--mechanism", "ECDSA-SHA256", "--id", "71",
                       "-i", data, "-o", tmp_path / "sig"], env=env))
        assert len((tmp_path / "sig").read_bytes()) == 64
        # A wrong CA: the handshake fails, the module says so.
        env["KEYWARDEN_CACERT"] = "/etc/ssl/certs/ca-certificates.crt"
        p = run(["pkcs11-tool", "--module", str(MODULE), "--list-slots"],
                env=env)
        assert "cannot reach keywardend at https://" in p.stderr, p.stderr
    finally:
        assert dev.stop() == 0
