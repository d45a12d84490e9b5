# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""Roles and partitions, each refusal asserted with its HTTP status and
error code: deny by default, isolation between partitions, token expiry
and revocation, password logins with lockout."""

import time
import uuid

import pytest

from kwharness import b64


def refused(resp, status, code):
    assert (resp.status, resp.code) == (status, code), resp
    assert resp.headers.get("x-request-id", "").startswith("r-")


@pytest.fixture
def signing_key(tenant):
    tenant.root.ok("POST", tenant.q("/v1/keys"),
                   {"name": "sk", "type": "ecdsa-p256"})
    return "sk"


def test_auditor_cannot_sign(tenant, signing_key):
    auditor = tenant.client(["auditor"])
    refused(auditor.post("/v1/keys/sk/sign", {"input": b64("x")}), 403,
            "permission_denied")
    refused(auditor.get("/v1/keys"), 403, "permission_denied")
    refused(auditor.post("/v1/keys", {"name": "k", "type": "aes-256"}), 403,
            "permission_denied")


def test_crypto_user_signs_but_cannot_create(tenant, signing_key):
    user = tenant.client(["crypto-user"])
    out = user.ok("POST", "/v1/keys/sk/sign", {"input": b64("x")})
    assert out["key_version"] == 1
    refused(user.post("/v1/keys", {"name": "mine", "type": "aes-256"}), 403,
            "permission_denied")
    refused(user.post("/v1/keys/sk/rotate"), 403, "permission_denied")
    refused(user.post("/v1/keys/sk/destroy", {}), 403, "permission_denied")
    refused(user.post("/v1/principals",
                      {"name": "x", "kind": "app", "roles": []}), 403,
            "permission_denied")


def test_crypto_officer_manages_but_cannot_use(tenant):
    officer = tenant.client(["crypto-officer"])
    officer.ok("POST", "/v1/keys", {"name": "co-key", "type": "ecdsa-p256"})
    officer.ok("POST", "/v1/keys/co-key/rotate")
    refused(officer.post("/v1/keys/co-key/sign", {"input": b64("x")}), 403,
            "permission_denied")


def test_partition_isolation(shared_instance, tenant):
    other = "t-" + uuid.uuid4().hex[:10]
    root = shared_instance.root()
    root.ok("POST", "/v1/partitions", {"name": other})
    root.ok("POST", "/v1/keys?partition=" + other,
            {"name": "b-secret", "type": "aes-256"})
    tenant.root.ok("POST", tenant.q("/v1/keys"),
                   {"name": "a-own", "type": "aes-256"})
    user_a = tenant.client(["crypto-user"])
    # Its own partition only: another partition's key is not there...
    refused(user_a.get("/v1/keys/b-secret"), 404, "not_found")
    refused(user_a.post("/v1/keys/b-secret/encrypt",
                        {"plaintext": b64("x")}), 404, "not_found")
    # ...and naming the other partition is refused.
    refused(user_a.get("/v1/keys?partition=" + other), 403,
            "permission_denied")
    refused(user_a.get("/v1/keys/b-secret?partition=" + other), 403,
            "permission_denied")
    refused(user_a.post("/v1/keys/b-secret/encrypt?partition=" + other,
                        {"plaintext": b64("x")}), 403, "permission_denied")
    names = [k["name"] for k in user_a.ok("GET", "/v1/keys")["keys"]]
    assert names == ["a-own"]
    # The key id of the other partition's key does not help either.
    kid = root.ok("GET", "/v1/keys/b-secret?partition=" + other)["id"]
    refused(user_a.get("/v1/keys/" + kid), 404, "not_found")
    # Partition lists: only its own.
    parts = user_a.ok("GET", "/v1/partitions")["partitions"]
    assert [p["name"] for p in parts] == [tenant.name]


def test_security_officer_of_partition(tenant):
    so = tenant.client(["security-officer"])
    so.ok("POST", "/v1/principals",
          {"name": "ci", "kind": "app", "roles": ["crypto-user"]})
    tok = so.ok("POST", "/v1/auth/tokens", {"principal": "ci", "ttl": 60})
    assert tok["token"].startswith("kwt_")
    refused(so.post("/v1/partitions", {"name": "nope"}), 403,
            "permission_denied")
    refused(so.post("/v1/sys/seal"), 403, "permission_denied")
    # A principal of the system namespace is out of reach.
    refused(so.post("/v1/principals?partition=*",
                    {"name": "evil", "kind": "app", "roles": []}), 403,
            "permission_denied")


def test_no_token_bad_token(shared_instance):
    c = shared_instance.unix()
    refused(c.get("/v1/keys"), 401, "unauthenticated")
    refused(c.get("/v1/keys", token="kwt_" + "A" * 43), 401,
            "unauthenticated")
    refused(c.get("/v1/keys", headers={"Authorization": "Basic eDp5"}), 401,
            "unauthenticated")


def test_expired_token_refused(tenant, signing_key):
    tok = tenant.token_for(["crypto-user"], ttl=1)
    c = tenant.inst.unix(tok)
    c.ok("POST", "/v1/keys/sk/sign", {"input": b64("x")})
    time.sleep(2.2)
    refused(c.post("/v1/keys/sk/sign", {"input": b64("x")}), 401,
            "token_expired")


def test_revoked_token_refused(tenant, signing_key):
    name = "app-" + uuid.uuid4().hex[:8]
    tenant.root.ok("POST", tenant.q("/v1/principals"),
                   {"name": name, "kind": "app", "roles": ["crypto-user"]})
    t = tenant.root.ok("POST", tenant.q("/v1/auth/tokens"),
                       {"principal": name, "ttl": 600, "name": "ci"})
    c = tenant.inst.unix(t["token"])
    c.ok("POST", "/v1/keys/sk/sign", {"input": b64("x")})
    listed = tenant.root.ok("GET", tenant.q("/v1/auth/tokens"))["tokens"]
    assert t["id"] in [x["id"] for x in listed]
    tenant.root.ok("DELETE", tenant.q("/v1/auth/tokens/" + t["id"]),
                   status=204)
    refused(c.post("/v1/keys/sk/sign", {"input": b64("x")}), 401,
            "token_expired")
    listed = tenant.root.ok("GET", tenant.q("/v1/auth/tokens"))["tokens"]
    assert [x["revoked"] for x in listed if x["id"] == t["id"]] == [True]


def test_key_policy_narrows_use(tenant):
    tenant.root.ok("POST", tenant.q("/v1/keys"), {
        "name": "ca-key", "type": "ecdsa-p256",
        "policy": {"allow": [{"principals": ["release-bot"],
                              "ops": ["sign", "verify"]}]}})
    bot = tenant.client(["crypto-user"], name="release-bot")
    other = tenant.client(["crypto-user"])
    bot.ok("POST", "/v1/keys/ca-key/sign", {"input": b64("x")})
    refused(other.post("/v1/keys/ca-key/sign", {"input": b64("x")}), 403,
            "permission_denied")


def test_login_logout_lockout(tenant):
    user = tenant.user(["crypto-user"], password="s3cret-passphrase")
    c = tenant.inst.unix()
    r = c.post("/v1/auth/login", {"user": user, "password":
                                  "s3cret-passphrase",
                                  "partition": tenant.name})
    assert r.status == 200, r
    body = r.json()
    assert body["principal"] == user and body["roles"] == ["crypto-user"]
    session = tenant.inst.unix(body["token"])
    who = session.ok("GET", "/v1/auth/whoami")
    assert (who["principal"], who["partition"]) == (user, tenant.name)
    session.ok("POST", "/v1/auth/logout", status=204)
    refused(session.get("/v1/auth/whoami"), 401, "token_expired")

    refused(c.post("/v1/auth/login", {"user": user, "password": "wrong-one!",
                                      "partition": tenant.name}), 401,
            "unauthenticated")
    refused(c.post("/v1/auth/login", {"user": "nobody", "password": "x",
                                      "partition": tenant.name}), 401,
            "unauthenticated")
    # max_failed_logins is 3 on the shared instance.
    for _ in range(2):
        c.post("/v1/auth/login", {"user": user, "password": "wrong-one!",
                                  "partition": tenant.name})
    r = c.post("/v1/auth/login", {"user": user,
                                  "password": "s3cret-passphrase",
                                  "partition": tenant.name})
    refused(r, 429, "locked_out")
    assert int(r.headers["retry-after"]) > 0
    info = tenant.root.ok("GET", tenant.q("/v1/principals/" + user))
    assert info["locked"] is True
