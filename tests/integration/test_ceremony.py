# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""A full ceremony: init 3-of-5, restart, unseal with three different shares
(two are not enough, a wrong share is refused), keys of every type, and
sign / verify / encrypt / decrypt through curl (Unix socket and TLS) and
the CLI, with signatures checked by the openssl command line."""

import base64
import json

import pytest

from kwharness import b64, cli, curl_json, run, unb64

ASYMMETRIC = ["rsa-2048", "rsa-3072", "rsa-4096", "ecdsa-p256", "ecdsa-p384",
              "ecdsa-p521", "ed25519"]
SYMMETRIC = ["aes-128", "aes-256", "hmac-sha256", "hmac-sha384",
             "hmac-sha512"]


@pytest.fixture(scope="module")
def ceremony(tmp_path_factory, shared_instance):
    from kwharness import (ConfiguredInstance, free_port,
                           unix_tls_listeners, write_tls_pair)
    d = tmp_path_factory.mktemp("ceremony")
    tls = write_tls_pair(d / "tls")
    port = free_port()
    inst = ConfiguredInstance(d, {"listeners": unix_tls_listeners(
        d, tls, port, min_version="1.2")})
    inst.port = port
    inst.cafile = tls["ca"]
    inst.other_share = shared_instance.shares[0]
    inst.start()
    yield inst
    assert inst.stop() == 0, inst.stderr()


def curl_tls(inst, method, path, body=None, token=None):
    args = ["--cacert", inst.cafile, "-X", method,
            "https://localhost:%d%s" % (inst.port, path)]
    if token:
        args += ["-H", "Authorization: Bearer " + token]
    if body is not None:
        args += ["--json", json.dumps(body)]
    return curl_json(args)


def curl_unix(inst, method, path, body=None, token=None):
    args = ["--unix-socket", inst.socket, "-X", method,
            "http://localhost%s" % path]
    if token:
        args += ["-H", "Authorization: Bearer " + token]
    if body is not None:
        args += ["--json", json.dumps(body)]
    return curl_json(args)


def unsealed(inst):
    """Unseals inst with shares 3, 4, 5 if it is sealed."""
    st, body = curl_unix(inst, "GET", "/v1/sys/status")
    if body["sealed"]:
        for s in inst.shares[2:5]:
            curl_unix(inst, "POST", "/v1/sys/unseal", {"share": s})
    return inst


def test_init_restart_unseal(ceremony):
    inst = ceremony
    st, h = curl_unix(inst, "GET", "/v1/sys/health")
    assert (st, h["initialized"], h["sealed"]) == (503, False, True)
    st, body = curl_unix(inst, "POST", "/v1/sys/init",
                         {"shares": 5, "threshold": 3})
    assert st == 200
    inst.shares = body["shares"]
    inst.root_token = body["root_token"]
    assert len(set(inst.shares)) == 5
    assert all(s.startswith("kwshare1-") for s in inst.shares)
    # Only once.
    st, err = curl_unix(inst, "POST", "/v1/sys/init",
                        {"shares": 5, "threshold": 3})
    assert (st, err["error"]["code"]) == (409, "already_exists")
    st, h = curl_unix(inst, "GET", "/v1/sys/health")
    assert (st, h["sealed"]) == (200, False)

    inst.restart()
    st, h = curl_unix(inst, "GET", "/v1/sys/health")
    assert (st, h["initialized"], h["sealed"]) == (503, True, True)
    st, err = curl_unix(inst, "GET", "/v1/keys", token=inst.root_token)
    assert (st, err["error"]["code"]) == (503, "sealed")

    # A mistyped share and another instance's share are refused and do
    # not count.
    bad = inst.shares[0]
    i = len(bad) // 2
    bad = bad[:i] + ("A" if bad[i] != "A" else "B") + bad[i + 1:]
    st, err = curl_unix(inst, "POST", "/v1/sys/unseal", {"share": bad})
    assert (st, err["error"]["code"]) == (400, "invalid_argument")
    st, err = curl_unix(inst, "POST", "/v1/sys/unseal",
                        {"share": inst.other_share})
    assert (st, err["error"]["code"]) == (400, "invalid_argument")

    st, body = curl_unix(inst, "POST", "/v1/sys/unseal",
                         {"share": inst.shares[0]})
    assert (st, body["progress"], body["sealed"]) == (200, 1, True)
    st, err = curl_unix(inst, "POST", "/v1/sys/unseal",
                        {"share": inst.shares[0]})
    assert (st, err["error"]["code"]) == (409, "already_exists")
    st, body = curl_tls(inst, "POST", "/v1/sys/unseal",
                        {"share": inst.shares[3]})
    assert (st, body["progress"], body["sealed"]) == (200, 2, True)
    # Two are not enough.
    st, err = curl_unix(inst, "GET", "/v1/keys", token=inst.root_token)
    assert (st, err["error"]["code"]) == (503, "sealed")
    st, body = curl_unix(inst, "POST", "/v1/sys/unseal",
                         {"share": inst.shares[4]})
    assert (st, body["sealed"]) == (200, False)
    st, h = curl_unix(inst, "GET", "/v1/sys/health")
    assert (st, h["sealed"]) == (200, False)
    st, body = curl_unix(inst, "GET", "/v1/sys/status")
    assert (body["shares"], body["threshold"]) == (5, 3)


def test_unseal_reset_forgets_progress(ceremony):
    inst = unsealed(ceremony)
    st, body = curl_unix(inst, "POST", "/v1/sys/seal", {},
                         token=inst.root_token)
    assert (st, body["sealed"]) == (200, True)
    curl_unix(inst, "POST", "/v1/sys/unseal", {"share": inst.shares[1]})
    st, body = curl_unix(inst, "POST", "/v1/sys/unseal", {"reset": True})
    assert (st, body["progress"]) == (200, 0)
    unsealed(inst)
    st, h = curl_unix(inst, "GET", "/v1/sys/health")
    assert st == 200


@pytest.mark.parametrize("ktype", ASYMMETRIC + SYMMETRIC)
def test_create_every_type(ceremony, ktype):
    inst = unsealed(ceremony)
    st, key = curl_tls(inst, "POST", "/v1/keys",
                       {"name": "c-" + ktype, "type": ktype},
                       token=inst.root_token)
    assert st == 201, key
    assert (key["type"], key["state"], key["primary_version"]) == \
        (ktype, "active", 1)


def openssl_verify(tmp_path, ktype, pem, msg, sig, pss=False):
    (tmp_path / "pub.pem").write_text(pem)
    (tmp_path / "msg").write_bytes(msg)
    (tmp_path / "sig").write_bytes(sig)
    if ktype == "ed25519":
        args = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
                tmp_path / "pub.pem", "-rawin", "-in", tmp_path / "msg",
                "-sigfile", tmp_path / "sig"]
    else:
        args = ["openssl", "dgst", "-sha256", "-verify", tmp_path / "pub.pem",
                "-signature", tmp_path / "sig"]
        if pss:
            args += ["-sigopt", "rsa_padding_mode:pss", "-sigopt",
                     "rsa_pss_saltlen:-1"]
        args.append(tmp_path / "msg")
    return run(args)


@pytest.mark.parametrize("ktype", ASYMMETRIC)
def test_sign_curl_verify_openssl(ceremony, ktype, tmp_path):
    inst = unsealed(ceremony)
    name = "c-" + ktype
    msg = b"release 1.2.3 of " + ktype.encode()
    st, out = curl_tls(inst, "POST", "/v1/keys/%s/sign" % name,
                       {"input": b64(msg)}, token=inst.root_token)
    assert st == 200, out
    assert out["key_version"] == 1
    sig = unb64(out["signature"])
    st, pub = curl_unix(inst, "GET", "/v1/keys/%s/public" % name,
                        token=inst.root_token)
    assert st == 200 and pub["pem"].startswith("-----BEGIN PUBLIC KEY-----")
    p = openssl_verify(tmp_path, ktype, pub["pem"], msg, sig)
    assert p.returncode == 0, p.stdout + p.stderr
    # And the daemon agrees, over the Unix socket.
    st, v = curl_unix(inst, "POST", "/v1/keys/%s/verify" % name,
                      {"input": b64(msg), "signature": out["signature"]},
                      token=inst.root_token)
    assert (st, v["valid"]) == (200, True)
    st, v = curl_unix(inst, "POST", "/v1/keys/%s/verify" % name,
                      {"input": b64(msg + b"!"),
                       "signature": out["signature"]},
                      token=inst.root_token)
    assert (st, v["valid"]) == (200, False)
    # openssl refuses a signature over other data too.
    p = openssl_verify(tmp_path, ktype, pub["pem"], msg + b"!", sig)
    assert p.returncode != 0


@pytest.mark.parametrize("ktype", ["rsa-2048", "rsa-3072"])
def test_pss_and_prehashed_sign(ceremony, ktype, tmp_path):
    import hashlib
    inst = unsealed(ceremony)
    msg = b"pss message"
    st, out = curl_tls(inst, "POST", "/v1/keys/c-%s/sign" % ktype,
                       {"digest": b64(hashlib.sha256(msg).digest()),
                        "hash": "sha256", "scheme": "pss"},
                       token=inst.root_token)
    assert st == 200, out
    st, pub = curl_tls(inst, "GET", "/v1/keys/c-%s/public" % ktype,
                       token=inst.root_token)
    p = openssl_verify(tmp_path, ktype, pub["pem"], msg,
                       unb64(out["signature"]), pss=True)
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.mark.parametrize("ktype", ["aes-128", "aes-256"])
def test_aes_encrypt_decrypt_curl(ceremony, ktype):
    inst = unsealed(ceremony)
    name = "c-" + ktype
    st, ct = curl_tls(inst, "POST", "/v1/keys/%s/encrypt" % name,
                      {"plaintext": b64(b"card 4111"), "aad": b64(b"ctx")},
                      token=inst.root_token)
    assert st == 200, ct
    assert ct["ciphertext"].startswith("kw:v1:") and ct["key_version"] == 1
    st, pt = curl_unix(inst, "POST", "/v1/keys/%s/decrypt" % name,
                       {"ciphertext": ct["ciphertext"], "aad": b64(b"ctx")},
                       token=inst.root_token)
    assert (st, unb64(pt["plaintext"])) == (200, b"card 4111")
    st, err = curl_unix(inst, "POST", "/v1/keys/%s/decrypt" % name,
                        {"ciphertext": ct["ciphertext"],
                         "aad": b64(b"other")}, token=inst.root_token)
    assert (st, err["error"]["code"]) == (400, "verification_failed")


@pytest.mark.parametrize("ktype", ["rsa-2048", "rsa-3072"])
def test_rsa_oaep_with_openssl_encrypting(ceremony, ktype, tmp_path):
    """Data encrypted by openssl under the public key decrypts in the
    daemon, and the daemon's own ciphertext decrypts too."""
    inst = unsealed(ceremony)
    name = "c-enc-" + ktype
    st, key = curl_tls(inst, "POST", "/v1/keys",
                       {"name": name, "type": ktype,
                        "usages": ["encrypt", "decrypt"]},
                       token=inst.root_token)
    assert st == 201, key
    st, pub = curl_tls(inst, "GET", "/v1/keys/%s/public" % name,
                       token=inst.root_token)
    (tmp_path / "pub.pem").write_text(pub["pem"])
    (tmp_path / "pt").write_bytes(b"wrapped secret")
    p = run(["openssl", "pkeyutl", "-encrypt", "-pubin", "-inkey",
             tmp_path / "pub.pem", "-in", tmp_path / "pt", "-out",
             tmp_path / "ct", "-pkeyopt", "rsa_padding_mode:oaep",
             "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt",
             "rsa_mgf1_md:sha256"])
    assert p.returncode == 0, p.stderr
    ct = "kw:v1:" + base64.b64encode((tmp_path / "ct").read_bytes()).decode()
    st, pt = curl_tls(inst, "POST", "/v1/keys/%s/decrypt" % name,
                      {"ciphertext": ct}, token=inst.root_token)
    assert (st, unb64(pt["plaintext"])) == (200, b"wrapped secret")
    st, ct2 = curl_unix(inst, "POST", "/v1/keys/%s/encrypt" % name,
                        {"plaintext": b64(b"x" * 100),
                         "oaep_hash": "sha384", "label": b64(b"L")},
                        token=inst.root_token)
    assert st == 200, ct2
    st, pt = curl_unix(inst, "POST", "/v1/keys/%s/decrypt" % name,
                       {"ciphertext": ct2["ciphertext"],
                        "oaep_hash": "sha384", "label": b64(b"L")},
                       token=inst.root_token)
    assert (st, unb64(pt["plaintext"])) == (200, b"x" * 100)


@pytest.mark.parametrize("ktype", ["hmac-sha256", "hmac-sha384",
                                   "hmac-sha512"])
def test_hmac_curl_matches_python(ceremony, ktype):
    inst = unsealed(ceremony)
    name = "c-" + ktype
    st, m = curl_tls(inst, "POST", "/v1/keys/%s/mac" % name,
                     {"input": b64(b"msg")}, token=inst.root_token)
    assert st == 200 and len(unb64(m["mac"])) == {
        "hmac-sha256": 32, "hmac-sha384": 48, "hmac-sha512": 64}[ktype]
    st, v = curl_unix(inst, "POST", "/v1/keys/%s/mac-verify" % name,
                      {"input": b64(b"msg"), "mac": m["mac"]},
                      token=inst.root_token)
    assert (st, v["valid"]) == (200, True)
    st, v = curl_unix(inst, "POST", "/v1/keys/%s/mac-verify" % name,
                      {"input": b64(b"msh"), "mac": m["mac"]},
                      token=inst.root_token)
    assert (st, v["valid"]) == (200, False)


def test_cli_sign_verify_encrypt_decrypt(ceremony, tmp_path):
    inst = unsealed(ceremony)
    addr_tls = "https://localhost:%d" % inst.port
    addr_unix = "unix://%s" % inst.socket
    f = tmp_path / "artifact.bin"
    f.write_bytes(bytes(range(256)) * 4096)  # 1 MiB, hashed client-side
    p = cli(["sign", "--key", "c-ecdsa-p256", "--in", f, "--out",
             tmp_path / "sig"], addr_tls, inst.root_token, inst.cafile)
    assert p.returncode == 0, p.stderr
    p = cli(["verify", "--key", "c-ecdsa-p256", "--in", f, "--sig",
             tmp_path / "sig"], addr_unix, inst.root_token)
    assert p.returncode == 0, p.stderr
    st, pub = curl_unix(inst, "GET", "/v1/keys/c-ecdsa-p256/public",
                        token=inst.root_token)
    o = openssl_verify(tmp_path, "ecdsa-p256", pub["pem"], f.read_bytes(),
                       (tmp_path / "sig").read_bytes())
    assert o.returncode == 0, o.stderr
    f2 = tmp_path / "other.bin"
    f2.write_bytes(b"not it")
    p = cli(["verify", "--key", "c-ecdsa-p256", "--in", f2, "--sig",
             tmp_path / "sig"], addr_unix, inst.root_token)
    assert p.returncode == 1
    (tmp_path / "pt").write_bytes(b"secret file")
    p = cli(["encrypt", "--key", "c-aes-256", "--in", tmp_path / "pt",
             "--out", tmp_path / "ct"], addr_unix, inst.root_token)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "ct").read_text().startswith("kw:v1:")
    p = cli(["decrypt", "--key", "c-aes-256", "--in", tmp_path / "ct",
             "--out", tmp_path / "pt2"], addr_tls, inst.root_token,
            inst.cafile)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "pt2").read_bytes() == b"secret file"
