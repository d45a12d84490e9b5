# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""Key transfer between two running instances (docs/backup.md): export
wrapped under the receiver's transport key, import there, the same key on
both sides; a key that is not exportable never leaves; the export is a
quorum-guarded operation; the wrapping is the standard CKM_RSA_AES_KEY_WRAP
construction (checked with python3-cryptography alone)."""

import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap_with_padding

from kwharness import b64, cli, unb64

MSG = b"the same key on both sides"


@pytest.fixture
def pair(make_instance):
    src = make_instance(name="src")
    dst = make_instance(name="dst")
    dst.root().ok("POST", "/v1/keys", {"name": "transport",
                                       "type": "rsa-3072",
                                       "usages": ["encrypt", "decrypt"]})
    pem = dst.root().ok("GET", "/v1/keys/transport/public")["pem"]
    return src, dst, pem


def addr(inst):
    return "unix://%s" % inst.socket


def test_round_trip(pair, tmp_path):
    src, dst, pem = pair
    ra, rb = src.root(), dst.root()
    for name, kt in (("app", "ecdsa-p256"), ("ed", "ed25519"),
                     ("dek", "aes-256")):
        ra.ok("POST", "/v1/keys", {"name": name, "type": kt,
                                   "exportable": True,
                                   "labels": {"team": "payments"}})
    ct = ra.ok("POST", "/v1/keys/dek/encrypt",
               {"plaintext": b64(MSG)})["ciphertext"]

    # With the CLI: export from one, import into the other.
    pem_file = tmp_path / "transport.pem"
    pem_file.write_text(pem)
    doc_file = tmp_path / "app.kwx"
    p = cli(["key", "export", "app", "--transport-key", pem_file, "--out",
             doc_file], addr(src), src.root_token)
    assert p.returncode == 0, p.stderr
    doc = json.loads(doc_file.read_text())
    assert doc["format"] == "keywarden-key-transfer-1"
    assert (doc["type"], doc["wrapping"]) == ("ecdsa-p256", "rsa-aes-kwp")
    assert doc["labels"] == {"team": "payments"}
    p = cli(["key", "import", "app", "--in", doc_file, "--unwrapping-key",
             "transport"], addr(dst), dst.root_token)
    assert p.returncode == 0, p.stderr

    # With the API for the other two.
    for name in ("ed", "dek"):
        d = ra.ok("POST", "/v1/keys/%s/export" % name,
                  {"transport_key": pem})
        k = rb.ok("POST", "/v1/keys/import",
                  {"name": name, "type": d["type"], "usages": d["usages"],
                   "wrapping": d["wrapping"], "wrapped": d["wrapped"],
                   "unwrapping_key": "transport"}, status=201)
        assert k["exportable"] is False

    # ECDSA: signed by the copy, verified with the original's public key.
    pub_a = ra.ok("GET", "/v1/keys/app/public")["pem"]
    assert rb.ok("GET", "/v1/keys/app/public")["pem"] == pub_a
    sig = rb.ok("POST", "/v1/keys/app/sign", {"input": b64(MSG)})
    serialization.load_pem_public_key(pub_a.encode()).verify(
        unb64(sig["signature"]), MSG, ec.ECDSA(hashes.SHA256()))
    # Ed25519 is deterministic: the same signature on both sides.
    s1 = ra.ok("POST", "/v1/keys/ed/sign", {"input": b64(MSG)})["signature"]
    s2 = rb.ok("POST", "/v1/keys/ed/sign", {"input": b64(MSG)})["signature"]
    assert s1 == s2
    # AES: the copy opens what the original sealed.
    pt = rb.ok("POST", "/v1/keys/dek/decrypt", {"ciphertext": ct})
    assert unb64(pt["plaintext"]) == MSG

    # Both trails say so, without key material.
    exp = ra.ok("GET", "/v1/audit?op=key_export")["entries"]
    imp = rb.ok("GET", "/v1/audit?op=key_import")["entries"]
    assert len(exp) == 3 and len(imp) == 3
    assert all(e["result"] == "ok" for e in exp + imp)


def test_not_exportable_never_leaves(pair, tmp_path):
    src, dst, pem = pair
    ra = src.root()
    ra.ok("POST", "/v1/keys", {"name": "fixed", "type": "ed25519"})
    ra.ok("POST", "/v1/keys", {"name": "once", "type": "ed25519",
                               "exportable": True})
    ra.ok("PATCH", "/v1/keys/once", {"exportable": False})
    for name in ("fixed", "once"):
        r = ra.post("/v1/keys/%s/export" % name, {"transport_key": pem})
        assert r.status == 403 and r.code == "permission_denied", r
        assert "not exportable" in r.json()["error"]["message"]
    p = cli(["key", "export", "fixed", "--transport-key", "/dev/null",
             "--out", tmp_path / "x"], addr(src), src.root_token)
    assert p.returncode == 1 and not (tmp_path / "x").exists()
    # exportable cannot be turned back on.
    r = ra.patch("/v1/keys/once", {"exportable": True})
    assert r.status == 400, r
    # A damaged blob is refused by the receiver, which keeps nothing.
    ra.ok("POST", "/v1/keys", {"name": "ok", "type": "ed25519",
                               "exportable": True})
    d = ra.ok("POST", "/v1/keys/ok/export", {"transport_key": pem})
    blob = bytearray(unb64(d["wrapped"]))
    blob[-3] ^= 1
    r = dst.root().post("/v1/keys/import", {
        "name": "ok", "type": "ed25519", "wrapping": "rsa-aes-kwp",
        "wrapped": b64(bytes(blob)), "unwrapping_key": "transport"})
    assert r.status == 400 and r.code == "verification_failed", r
    assert dst.root().get("/v1/keys/ok").status == 404


def test_ckm_rsa_aes_key_wrap_interop(make_instance):
    """A blob for an outside RSA key unwraps with nothing but
    python3-cryptography: RSA-OAEP(SHA-256) then RFC 5649."""
    src = make_instance()
    ra = src.root()
    ra.ok("POST", "/v1/keys", {"name": "ed", "type": "ed25519",
                               "exportable": True})
    priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = priv.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    blob = unb64(ra.ok("POST", "/v1/keys/ed/export",
                       {"transport_key": pem})["wrapped"])
    kek = priv.decrypt(blob[:256], padding.OAEP(
        mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(),
        label=None))
    assert len(kek) == 32
    pkcs8 = aes_key_unwrap_with_padding(kek, blob[256:])
    key = serialization.load_der_private_key(pkcs8, password=None)
    assert key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo).decode() == \
        ra.ok("GET", "/v1/keys/ed/public")["pem"]


def test_export_needs_quorum(pair):
    """Under a key_export rule the export waits for a custodian."""
    src, dst, pem = pair
    ra = src.root()
    ra.ok("POST", "/v1/principals?partition=*",
          {"name": "carol", "kind": "app", "roles": ["custodian"]})
    carol = src.unix(ra.ok("POST", "/v1/auth/tokens?partition=*",
                           {"principal": "carol"})["token"])
    ra.ok("PUT", "/v1/quorum/policy", {"policy": {"rules": [
        {"ops": ["key_export"], "principals": ["*/carol"], "m": 1}]}})
    ra.ok("POST", "/v1/keys", {"name": "app", "type": "ecdsa-p256",
                               "exportable": True})
    body = {"transport_key": pem}
    r = ra.post("/v1/keys/app/export", body)
    assert r.status == 202, r
    aid = r.json()["approval"]["id"]
    assert "wrapped" not in r.body
    carol.ok("POST", "/v1/approvals/%s/approve" % aid)
    d = ra.ok("POST", "/v1/keys/app/export", body,
              headers={"X-Keywarden-Approval": aid})
    dst.root().ok("POST", "/v1/keys/import",
                  {"name": "app", "type": "ecdsa-p256",
                   "wrapping": d["wrapping"], "wrapped": d["wrapped"],
                   "unwrapping_key": "transport"}, status=201)
    # The approval was for one export only.
    r = ra.post("/v1/keys/app/export", body,
                headers={"X-Keywarden-Approval": aid})
    assert r.status == 409, r
