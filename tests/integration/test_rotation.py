# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""Rotation: results made under v1 still decrypt / verify after rotating to
v3, and new results use v3."""

from kwharness import b64, run, unb64


def rotate_twice(root, q, name):
    for want in (2, 3):
        k = root.ok("POST", q("/v1/keys/%s/rotate" % name))
        assert k["primary_version"] == want
    assert [v["version"] for v in k["versions"]] == [1, 2, 3]
    return k


def test_aes_rotation(tenant):
    q, root = tenant.q, tenant.root
    root.ok("POST", q("/v1/keys"), {"name": "data", "type": "aes-256"})
    v1 = root.ok("POST", q("/v1/keys/data/encrypt"),
                 {"plaintext": b64("old record"), "aad": b64("row-7")})
    assert v1["ciphertext"].startswith("kw:v1:") and v1["key_version"] == 1
    rotate_twice(root, q, "data")
    pt = root.ok("POST", q("/v1/keys/data/decrypt"),
                 {"ciphertext": v1["ciphertext"], "aad": b64("row-7")})
    assert unb64(pt["plaintext"]) == b"old record"
    v3 = root.ok("POST", q("/v1/keys/data/encrypt"),
                 {"plaintext": b64("new record")})
    assert v3["ciphertext"].startswith("kw:v3:") and v3["key_version"] == 3
    pt = root.ok("POST", q("/v1/keys/data/decrypt"),
                 {"ciphertext": v3["ciphertext"]})
    assert unb64(pt["plaintext"]) == b"new record"
    # The version in the text is what picks the key: v1 data under the
    # v3 label does not open.
    forged = "kw:v3:" + v1["ciphertext"].split(":", 2)[2]
    r = root.post(q("/v1/keys/data/decrypt"),
                  {"ciphertext": forged, "aad": b64("row-7")})
    assert (r.status, r.code) == (400, "verification_failed")
    # Batches mix versions freely.
    out = root.ok("POST", q("/v1/keys/data/decrypt"), {"batch": [
        {"ciphertext": v1["ciphertext"], "aad": b64("row-7")},
        {"ciphertext": v3["ciphertext"]}]})
    assert [unb64(x["plaintext"]) for x in out["batch"]] == \
        [b"old record", b"new record"]


def test_signature_rotation(tenant, tmp_path):
    q, root = tenant.q, tenant.root
    root.ok("POST", q("/v1/keys"), {"name": "rel", "type": "ecdsa-p256"})
    s1 = root.ok("POST", q("/v1/keys/rel/sign"), {"input": b64("v1 build")})
    assert s1["key_version"] == 1
    pem1 = root.ok("GET", q("/v1/keys/rel/public?version=1"))["pem"]
    rotate_twice(root, q, "rel")
    v = root.ok("POST", q("/v1/keys/rel/verify"),
                {"input": b64("v1 build"), "signature": s1["signature"],
                 "key_version": 1})
    assert v == {"valid": True, "key_version": 1}
    # Against the primary (v3) it is not valid.
    v = root.ok("POST", q("/v1/keys/rel/verify"),
                {"input": b64("v1 build"), "signature": s1["signature"]})
    assert v == {"valid": False, "key_version": 3}
    s3 = root.ok("POST", q("/v1/keys/rel/sign"), {"input": b64("v3 build")})
    assert s3["key_version"] == 3
    pub = root.ok("GET", q("/v1/keys/rel/public"))
    assert pub["version"] == 3 and pub["pem"] != pem1
    # The v1 public key still checks the v1 signature with openssl.
    (tmp_path / "pub1.pem").write_text(pem1)
    (tmp_path / "msg").write_bytes(b"v1 build")
    (tmp_path / "sig").write_bytes(unb64(s1["signature"]))
    p = run(["openssl", "dgst", "-sha256", "-verify", tmp_path / "pub1.pem",
             "-signature", tmp_path / "sig", tmp_path / "msg"])
    assert p.returncode == 0, p.stderr


def test_mac_wrap_rotation(tenant):
    q, root = tenant.q, tenant.root
    root.ok("POST", q("/v1/keys"), {"name": "m", "type": "hmac-sha256"})
    root.ok("POST", q("/v1/keys"), {"name": "kek", "type": "aes-256",
                                    "usages": ["wrap", "unwrap"]})
    m1 = root.ok("POST", q("/v1/keys/m/mac"), {"input": b64("msg")})
    w1 = root.ok("POST", q("/v1/keys/kek/wrap"),
                 {"input": b64(b"k" * 32)})
    assert w1["wrapped"].startswith("kw:v1:")
    rotate_twice(root, q, "m")
    rotate_twice(root, q, "kek")
    v = root.ok("POST", q("/v1/keys/m/mac-verify"),
                {"input": b64("msg"), "mac": m1["mac"], "key_version": 1})
    assert v["valid"] is True
    m3 = root.ok("POST", q("/v1/keys/m/mac"), {"input": b64("msg")})
    assert m3["key_version"] == 3 and m3["mac"] != m1["mac"]
    pt = root.ok("POST", q("/v1/keys/kek/unwrap"), {"wrapped": w1["wrapped"]})
    assert unb64(pt["plaintext"]) == b"k" * 32
    assert root.ok("POST", q("/v1/keys/kek/wrap"),
                   {"input": b64(b"k" * 32)})["wrapped"].startswith("kw:v3:")


def test_rotation_needs_an_active_key(tenant):
    q, root = tenant.q, tenant.root
    root.ok("POST", q("/v1/keys"), {"name": "d", "type": "aes-128"})
    ct = root.ok("POST", q("/v1/keys/d/encrypt"), {"plaintext": b64("x")})
    root.ok("POST", q("/v1/keys/d/disable"))
    r = root.post(q("/v1/keys/d/rotate"))
    assert (r.status, r.code) == (409, "invalid_state")
    r = root.post(q("/v1/keys/d/decrypt"), {"ciphertext": ct["ciphertext"]})
    assert (r.status, r.code) == (409, "invalid_state")
    root.ok("POST", q("/v1/keys/d/enable"))
    root.ok("POST", q("/v1/keys/d/compromise"))
    # A compromised key still decrypts old data but makes nothing new.
    root.ok("POST", q("/v1/keys/d/decrypt"), {"ciphertext": ct["ciphertext"]})
    r = root.post(q("/v1/keys/d/encrypt"), {"plaintext": b64("x")})
    assert (r.status, r.code) == (409, "invalid_state")
