# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""Every route of docs/api.md against the shared instance: the shapes of
the answers the document promises, and the refusals it lists."""

import base64
import hashlib

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from kwharness import b64, unb64


def b64url_int(s):
    return int.from_bytes(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)),
                          "big")


def b64url_bytes(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def test_sys_status_health_request_ids(shared_instance):
    c = shared_instance.unix()
    st = c.ok("GET", "/v1/sys/status")
    assert set(st) == {"initialized", "sealed", "shares", "threshold",
                       "progress", "instance_id"}
    assert (st["initialized"], st["sealed"], st["shares"]) == (True, False, 1)
    ids = {c.get("/v1/sys/health").headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


def test_partitions(shared_instance, tenant):
    root = shared_instance.root()
    r = root.post("/v1/partitions", {"name": tenant.name})
    assert (r.status, r.code) == (409, "already_exists")
    p = root.ok("GET", "/v1/partitions/" + tenant.name)
    assert p["name"] == tenant.name and p["created"].endswith("Z")
    names = [x["name"] for x in root.ok("GET", "/v1/partitions")["partitions"]]
    assert tenant.name in names and "default" in names
    root.ok("POST", tenant.q("/v1/keys"), {"name": "k", "type": "aes-128"})
    r = root.delete("/v1/partitions/" + tenant.name)
    assert (r.status, r.code) == (409, "invalid_state")
    root.ok("POST", "/v1/partitions", {"name": tenant.name + "-e"})
    root.ok("DELETE", "/v1/partitions/" + tenant.name + "-e", status=204)
    r = root.get("/v1/partitions/" + tenant.name + "-e")
    assert (r.status, r.code) == (404, "not_found")
    r = root.post("/v1/partitions", {"name": "bad name!"})
    assert (r.status, r.code) == (400, "invalid_argument")


def test_principals_and_passwords(tenant):
    root, q = tenant.root, tenant.q
    u = root.ok("POST", q("/v1/principals"),
                {"name": "alice", "kind": "user", "roles": ["crypto-user"],
                 "password": "first-password"})
    assert u == {**u, "name": "alice", "kind": "user",
                 "partition": tenant.name, "roles": ["crypto-user"],
                 "locked": False}
    r = root.post(q("/v1/principals"),
                  {"name": "bob", "kind": "user", "roles": ["crypto-user"]})
    assert (r.status, r.code) == (400, "invalid_argument")
    r = root.post(q("/v1/principals"), {"name": "x", "roles": ["wizard"],
                                        "kind": "app"})
    assert (r.status, r.code) == (400, "invalid_argument")
    root.ok("POST", q("/v1/principals"),
            {"name": "app1", "kind": "app", "roles": []})
    page = root.ok("GET", q("/v1/principals?limit=1"))
    assert [p["name"] for p in page["principals"]] == ["alice"]
    page2 = root.ok("GET", q("/v1/principals?limit=1&cursor=" +
                              page["next_cursor"]))
    assert [p["name"] for p in page2["principals"]] == ["app1"]
    assert page2["next_cursor"] is None
    p = root.ok("PATCH", q("/v1/principals/alice"),
                {"roles": ["crypto-user", "auditor"]})
    assert p["roles"] == ["crypto-user", "auditor"]
    root.ok("POST", q("/v1/principals/alice/password"),
            {"password": "second-password"}, status=204)
    c = tenant.inst.unix()
    login = {"user": "alice", "partition": tenant.name}
    r = c.post("/v1/auth/login", dict(login, password="first-password"))
    assert (r.status, r.code) == (401, "unauthenticated")
    tok = c.ok("POST", "/v1/auth/login",
               dict(login, password="second-password"))["token"]
    # A user changes their own password.
    me = tenant.inst.unix(tok)
    me.ok("POST", "/v1/principals/alice/password",
          {"password": "third-password"}, status=204)
    r = me.post("/v1/principals/app1/password", {"password": "x" * 10})
    assert (r.status, r.code) == (403, "permission_denied")
    root.ok("DELETE", q("/v1/principals/alice"), status=204)
    r = me.get("/v1/auth/whoami")
    assert r.status == 401
    r = root.get(q("/v1/principals/alice"))
    assert (r.status, r.code) == (404, "not_found")


def test_key_lifecycle_and_listing(tenant):
    root, q = tenant.root, tenant.q
    k = root.ok("POST", q("/v1/keys"), {
        "name": "app-enc", "type": "aes-256", "usages": ["encrypt"],
        "labels": {"team": "pay", "env": "prod"}, "rotation_period": 86400,
        "state": "pre-active", "exportable": True})
    assert (k["state"], k["usages"], k["labels"], k["exportable"]) == \
        ("pre-active", ["encrypt"], {"team": "pay", "env": "prod"}, True)
    assert k["id"].startswith("k-") and k["rotation_period"] == 86400
    assert root.ok("GET", q("/v1/keys/" + k["id"]))["name"] == "app-enc"
    r = root.post(q("/v1/keys/app-enc/encrypt"), {"plaintext": b64("x")})
    assert (r.status, r.code) == (409, "invalid_state")
    root.ok("POST", q("/v1/keys/app-enc/enable"))
    root.ok("POST", q("/v1/keys/app-enc/encrypt"), {"plaintext": b64("x")})
    r = root.post(q("/v1/keys/app-enc/decrypt"),
                  {"ciphertext": "kw:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
    assert (r.status, r.code) == (403, "permission_denied")
    r = root.post(q("/v1/keys"), {"name": "app-enc", "type": "aes-128"})
    assert (r.status, r.code) == (409, "already_exists")
    r = root.post(q("/v1/keys"), {"name": "n", "type": "des"})
    assert (r.status, r.code) == (400, "unsupported")

    p = root.ok("PATCH", q("/v1/keys/app-enc"),
                {"labels": {"team": "pay"}, "exportable": False,
                 "rotation_period": 0})
    assert (p["labels"], p["exportable"]) == ({"team": "pay"}, False)
    r = root.patch(q("/v1/keys/app-enc"), {"exportable": True})
    assert (r.status, r.code) == (400, "invalid_argument")
    r = root.patch(q("/v1/keys/app-enc"), {"usages": ["encrypt", "decrypt"]})
    assert (r.status, r.code) == (409, "invalid_state")

    for i in range(3):
        root.ok("POST", q("/v1/keys"), {"name": "sig-%d" % i,
                                        "type": "ed25519",
                                        "labels": {"team": "rel"}})
    page = root.ok("GET", q("/v1/keys?type=ed25519&limit=2"))
    assert len(page["keys"]) == 2 and page["next_cursor"]
    rest = root.ok("GET", q("/v1/keys?type=ed25519&limit=2&cursor=" +
                            page["next_cursor"]))
    names = sorted(k["name"] for k in page["keys"] + rest["keys"])
    assert names == ["sig-0", "sig-1", "sig-2"]
    assert rest["next_cursor"] is None
    assert [k["name"] for k in root.ok(
        "GET", q("/v1/keys?label=team:pay"))["keys"]] == ["app-enc"]
    assert len(root.ok("GET", q("/v1/keys?prefix=sig-"))["keys"]) == 3
    r = root.get(q("/v1/keys?limit=0"))
    assert (r.status, r.code) == (400, "invalid_argument")

    d = root.ok("POST", q("/v1/keys/sig-0/disable"))
    assert d["state"] == "disabled"
    d = root.ok("POST", q("/v1/keys/sig-0/destroy"),
                {"waiting_period": 3600})
    assert d["state"] == "pending-destruction" and d["destroy_after"]
    d = root.ok("POST", q("/v1/keys/sig-0/cancel-destroy"))
    assert (d["state"], d["destroy_after"]) == ("disabled", None)
    d = root.ok("POST", q("/v1/keys/sig-1/compromise"))
    assert d["state"] == "compromised"
    r = root.post(q("/v1/keys/sig-1/enable"))
    assert (r.status, r.code) == (409, "invalid_state")
    r = root.get(q("/v1/keys/nope"))
    assert (r.status, r.code) == (404, "not_found")


def test_public_keys_pem_and_jwk(tenant):
    root, q = tenant.root, tenant.q
    msg = b"jwk check"
    for ktype in ("rsa-2048", "ecdsa-p384", "ed25519"):
        name = "pub-" + ktype
        root.ok("POST", q("/v1/keys"), {"name": name, "type": ktype})
        sig = unb64(root.ok("POST", q("/v1/keys/%s/sign" % name),
                            {"input": b64(msg)})["signature"])
        pem = root.ok("GET", q("/v1/keys/%s/public?format=pem" % name))
        pub = serialization.load_pem_public_key(pem["pem"].encode())
        jwk = root.ok("GET", q("/v1/keys/%s/public?format=jwk" % name))
        assert jwk["version"] == 1
        j = jwk["jwk"]
        assert j["kid"] == name + ".v1"
        if ktype == "rsa-2048":
            assert j["kty"] == "RSA"
            key = rsa.RSAPublicNumbers(b64url_int(j["e"]),
                                       b64url_int(j["n"])).public_key()
            key.verify(sig, msg, padding.PKCS1v15(), hashes.SHA256())
        elif ktype == "ecdsa-p384":
            assert (j["kty"], j["crv"]) == ("EC", "P-384")
            key = ec.EllipticCurvePublicNumbers(
                b64url_int(j["x"]), b64url_int(j["y"]),
                ec.SECP384R1()).public_key()
            key.verify(sig, msg, ec.ECDSA(hashes.SHA256()))
        else:
            assert (j["kty"], j["crv"]) == ("OKP", "Ed25519")
            key = ed25519.Ed25519PublicKey.from_public_bytes(
                b64url_bytes(j["x"]))
            key.verify(sig, msg)
        assert key.public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo) == \
            pub.public_bytes(serialization.Encoding.DER,
                             serialization.PublicFormat.SubjectPublicKeyInfo)
    root.ok("POST", q("/v1/keys"), {"name": "sym", "type": "aes-128"})
    r = root.get(q("/v1/keys/sym/public"))
    assert (r.status, r.code) == (400, "unsupported")
    r = root.get(q("/v1/keys/pub-ed25519/public?version=9"))
    assert (r.status, r.code) == (404, "not_found")
    r = root.get(q("/v1/keys/pub-ed25519/public?format=der"))
    assert (r.status, r.code) == (400, "invalid_argument")


def test_batches_with_item_errors(tenant):
    root, q = tenant.root, tenant.q
    root.ok("POST", q("/v1/keys"), {"name": "b", "type": "ecdsa-p256"})
    digest = hashlib.sha256(b"two").digest()
    out = root.ok("POST", q("/v1/keys/b/sign"), {"batch": [
        {"input": b64("one")},
        {"digest": b64(digest), "hash": "sha256"},
        {"input": b64("three"), "hash": "md5"},
        {"digest": b64(b"short"), "hash": "sha256"},
        {"input": b64("five"), "format": "raw"},
    ]})["batch"]
    assert [("signature" in x) for x in out] == [True, True, False, False,
                                                   True]
    assert out[2]["error"]["code"] == "unsupported"
    assert out[3]["error"]["code"] == "invalid_argument"
    assert len(unb64(out[4]["signature"])) == 64  # r || s
    ver = root.ok("POST", q("/v1/keys/b/verify"), {"batch": [
        {"input": b64("one"), "signature": out[0]["signature"]},
        {"input": b64("two"), "signature": out[1]["signature"]},
        {"input": b64("one"), "signature": out[1]["signature"]},
        {"input": b64("five"), "signature": out[4]["signature"],
         "format": "raw"},
    ]})["batch"]
    assert [v["valid"] for v in ver] == [True, True, False, True]
    root.ok("POST", q("/v1/keys"), {"name": "e", "type": "aes-128"})
    enc = root.ok("POST", q("/v1/keys/e/encrypt"), {"batch": [
        {"plaintext": b64("a"), "aad": b64("1")},
        {"plaintext": b64("b"), "oaep_hash": "sha9"},
        {"plaintext": b64("")},
    ]})["batch"]
    assert "error" in enc[1] and enc[1]["error"]["code"] == "unsupported"
    dec = root.ok("POST", q("/v1/keys/e/decrypt"), {"batch": [
        {"ciphertext": enc[0]["ciphertext"], "aad": b64("1")},
        {"ciphertext": enc[0]["ciphertext"]},
        {"ciphertext": enc[2]["ciphertext"]},
    ]})["batch"]
    assert unb64(dec[0]["plaintext"]) == b"a"
    assert dec[1]["error"]["code"] == "verification_failed"
    assert unb64(dec[2]["plaintext"]) == b""
    r = root.post(q("/v1/keys/b/sign"),
                  {"input": b64("x"), "batch": [{"input": b64("y")}]})
    assert (r.status, r.code) == (400, "invalid_argument")


def test_datakey_wrap_random_mac(tenant):
    root, q = tenant.root, tenant.q
    root.ok("POST", q("/v1/keys"), {"name": "kek", "type": "aes-256",
                                    "usages": ["encrypt", "decrypt", "wrap",
                                               "unwrap"]})
    dk = root.ok("POST", q("/v1/keys/kek/datakey"), {"type": "aes-128",
                                                     "aad": b64("ctx")})
    assert len(unb64(dk["plaintext"])) == 16 and dk["key_version"] == 1
    back = root.ok("POST", q("/v1/keys/kek/decrypt"),
                   {"ciphertext": dk["ciphertext"], "aad": b64("ctx")})
    assert back["plaintext"] == dk["plaintext"]
    dk = root.ok("POST", q("/v1/keys/kek/datakey"), {})
    assert len(unb64(dk["plaintext"])) == 32
    r = root.post(q("/v1/keys/kek/datakey"), {"type": "rsa-2048"})
    assert (r.status, r.code) == (400, "unsupported")
    w = root.ok("POST", q("/v1/keys/kek/wrap"),
                {"input": b64(b"\x01" * 24), "mode": "kw"})
    assert w["wrapped"].startswith("kw:v1:")
    u = root.ok("POST", q("/v1/keys/kek/unwrap"),
                {"wrapped": w["wrapped"], "mode": "kw"})
    assert unb64(u["plaintext"]) == b"\x01" * 24
    r = root.post(q("/v1/keys/kek/unwrap"), {"wrapped": w["wrapped"],
                                             "mode": "kwp"})
    assert (r.status, r.code) == (400, "verification_failed")
    rnd = [unb64(root.ok("POST", q("/v1/random"), {"bytes": 32})["random"])
           for _ in range(2)]
    assert len(rnd[0]) == 32 and rnd[0] != rnd[1]
    user = tenant.client(["crypto-user"])
    assert len(unb64(user.ok("POST", "/v1/random",
                             {"bytes": 65536})["random"])) == 65536
    root.ok("POST", q("/v1/keys"), {"name": "h", "type": "hmac-sha384"})
    m = root.ok("POST", q("/v1/keys/h/mac"), {"input": b64("m")})
    r = root.post(q("/v1/keys/h/mac"), {"input": b64("m"), "mac": m["mac"]})
    assert (r.status, r.code) == (400, "unknown_field")


def test_tokens_and_whoami(tenant):
    root, q = tenant.root, tenant.q
    root.ok("POST", q("/v1/principals"),
            {"name": "svc", "kind": "app", "roles": ["crypto-user"]})
    t = root.ok("POST", q("/v1/auth/tokens"),
                {"principal": "svc", "ttl": 120, "name": "deploy"})
    assert t["token"].startswith("kwt_") and t["id"].startswith("t-")
    who = tenant.inst.unix(t["token"]).ok("GET", "/v1/auth/whoami")
    assert (who["principal"], who["partition"], who["roles"],
            who["token_id"]) == ("svc", tenant.name, ["crypto-user"], t["id"])
    listed = root.ok("GET", q("/v1/auth/tokens"))["tokens"]
    mine = [x for x in listed if x["id"] == t["id"]]
    assert mine[0]["name"] == "deploy" and mine[0]["revoked"] is False
    r = root.post(q("/v1/auth/tokens"), {"principal": "ghost", "ttl": 60})
    assert (r.status, r.code) == (404, "not_found")
    r = root.delete(q("/v1/auth/tokens/t-0000000000000000"))
    assert (r.status, r.code) == (404, "not_found")


def test_metrics_count_requests(shared_instance, tenant):
    root, q = tenant.root, tenant.q
    root.ok("POST", q("/v1/keys"), {"name": "m", "type": "ed25519"})
    for _ in range(3):
        root.ok("POST", q("/v1/keys/m/sign"), {"input": b64("x")})
    root.post(q("/v1/keys/nope/sign"), {"input": b64("x")})
    text = shared_instance.unix().get("/metrics").body
    lines = dict(ln.rsplit(" ", 1) for ln in text.splitlines()
                 if ln and not ln.startswith("#"))
    assert int(lines['keywarden_requests_total{op="key_sign",status="200"}']) \
        >= 3
    assert int(lines['keywarden_requests_total{op="key_sign",status="404"}']) \
        >= 1
    assert int(lines['keywarden_request_duration_seconds_count{op="key_sign"}'
                     ]) >= 4
    assert lines["keywarden_sealed"] == "0"
    assert lines["keywarden_audit_healthy"] == "1"
    assert "keywarden_audit_backlog" in lines
    # the audit counters move with what is written: each request above is
    # an entry, and no commit holds fewer than one
    entries = int(lines["keywarden_audit_entries_total"])
    commits = int(lines["keywarden_audit_commits_total"])
    root.ok("POST", q("/v1/keys/m/sign"), {"input": b64("x")})
    text = shared_instance.unix().get("/metrics").body
    after = dict(ln.rsplit(" ", 1) for ln in text.splitlines()
                 if ln and not ln.startswith("#"))
    assert int(after["keywarden_audit_entries_total"]) >= entries + 1
    assert int(after["keywarden_audit_commits_total"]) >= commits + 1
    assert 0 < commits <= entries
