# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""M-of-N quorum approvals against a real keywardend (issue 4,
docs/quorum.md).

- a security officer alone cannot destroy or export a quorum-protected key,
  nor lower its quorum;
- with 2 of 3 approvals from other principals the operation runs exactly
  once, also under concurrent resubmissions;
- approvals for another key or a changed parameter do not count, nor
  expired ones, nor a self-approval, nor a second approval by one
  principal, nor one from outside the group;
- a key with per-signature quorum signs only after approval;
- the CLI's exit codes; every step in the audit trail.
"""

import calendar
import hashlib
import json
import threading
import time
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from audit_helpers import chain_ok, trail_from_db
from kwharness import b64, cli, unb64

HDR = "X-Keywarden-Approval"


def rules(ops, principals=None, roles=None, m=2, **extra):
    rule = {"ops": ops, "m": m}
    if principals:
        rule["principals"] = principals
    if roles:
        rule["roles"] = roles
    rule.update(extra)
    return {"version": 1, "rules": [rule]}


class Team:
    """A partition with a security officer (who is also crypto-officer),
    custodians c1..c3, an outside custodian c4 and a crypto-user."""

    def __init__(self, inst, part=None):
        self.inst = inst
        self.part = part or "q-" + uuid.uuid4().hex[:8]
        root = inst.root()
        if part is None:
            root.ok("POST", "/v1/partitions", {"name": self.part})
        self.c = {}
        for name, roles in (("so", ["security-officer", "crypto-officer"]),
                            ("c1", ["custodian"]), ("c2", ["custodian"]),
                            ("c3", ["custodian"]), ("c4", ["custodian"]),
                            ("user", ["crypto-user"])):
            root.ok("POST", self.q("/v1/principals"),
                    {"name": name, "kind": "app", "roles": roles})
            tok = root.ok("POST", self.q("/v1/auth/tokens"),
                          {"principal": name, "ttl": 3600})["token"]
            self.c[name] = inst.unix(tok)
        self.tokens = {k: v.token for k, v in self.c.items()}

    def q(self, path):
        return "%s%spartition=%s" % (path, "&" if "?" in path else "?",
                                     self.part)

    def key(self, name, policy=None, type_="ecdsa-p256", **extra):
        body = {"name": name, "type": type_}
        if policy is not None:
            body["policy"] = policy
        body.update(extra)
        return self.c["so"].ok("POST", self.q("/v1/keys"), body,
                               status=(201,))

    def approve(self, who, aid):
        return self.c[who].post("/v1/approvals/%s/approve" % aid, {})

    def key_state(self, name):
        return self.c["so"].ok("GET", self.q("/v1/keys/" + name))["state"]


def put(c, path, body, **kw):
    return c.request("PUT", path, body=body, **kw)


def parked(r):
    assert r.status == 202, r
    a = r.json()["approval"]
    assert a["state"] == "pending" and a["id"].startswith("a-")
    return a


def destroy(team, name, waiting=0, approval=None, who="so"):
    hdrs = {HDR: approval} if approval else None
    return team.c[who].post(team.q("/v1/keys/%s/destroy" % name),
                            {"waiting_period": waiting}, headers=hdrs)


KEY_RULES = rules(["key_destroy", "key_export", "key_policy"],
                  principals=["c1", "c2", "c3"], m=2)


def test_security_officer_alone_cannot(shared_instance):
    t = Team(shared_instance)
    t.key("vault", {"quorum": KEY_RULES})
    # destroy: parked, the key untouched
    a = parked(destroy(t, "vault"))
    assert (a["op"], a["key"], a["requester"]) == ("key_destroy", "vault",
                                                  "so")
    assert a["partition"] == t.part and a["m"] == 2
    assert a["approvals"] == 0 and a["params"] == {"waiting_period": 0}
    assert a["factors"][0]["level"] == "key"
    assert a["factors"][0]["principals"] == ["c1", "c2", "c3"]
    assert len(a["digest"]) == 64 and a["expires_at"]
    assert t.key_state("vault") == "active"
    # lowering (here: removing) the quorum is itself guarded
    r = t.c["so"].patch(t.q("/v1/keys/vault"), {"policy": {
        "quorum": {"rules": []}}})
    b = parked(r)
    assert b["op"] == "key_policy"
    assert b["params"]["policy"] == {"quorum": {"rules": []}}
    got = t.c["so"].ok("GET", t.q("/v1/keys/vault"))["policy"]
    assert got["quorum"] == KEY_RULES
    got = t.c["so"].ok("GET", t.q("/v1/keys/vault/quorum/policy"))
    assert got == {"level": "key", "policy": KEY_RULES}
    r = put(t.c["so"], t.q("/v1/keys/vault/quorum/policy"),
                      {"policy": None})
    assert parked(r)["op"] == "key_policy"
    # the security officer cannot approve their own requests
    r = t.approve("so", a["id"])
    assert r.status == 403 and r.code == "permission_denied"
    # nor run them unapproved
    r = destroy(t, "vault", approval=a["id"])
    assert r.status == 202 and r.json()["approval"]["id"] == a["id"]
    assert t.key_state("vault") == "active"


def test_export_is_guarded(shared_instance):
    t = Team(shared_instance)
    t.key("wrapper", type_="aes-256", usages=["wrap", "unwrap"])
    t.key("exp", {"quorum": KEY_RULES}, exportable=True)
    r = t.c["so"].post(t.q("/v1/keys/exp/export"),
                       {"wrapping_key": "wrapper"})
    a = parked(r)
    assert a["op"] == "key_export"
    assert a["params"]["wrapping_key"] == "wrapper"
    assert "wrapped" not in r.body
    t.approve("c1", a["id"])
    t.approve("c3", a["id"])
    # to another wrapping key: a different request
    t.key("other", type_="aes-256", usages=["wrap", "unwrap"])
    r = t.c["so"].post(t.q("/v1/keys/exp/export"),
                       {"wrapping_key": "other"}, headers={HDR: a["id"]})
    assert r.status == 403
    r = t.c["so"].post(t.q("/v1/keys/exp/export"),
                       {"wrapping_key": "wrapper"}, headers={HDR: a["id"]})
    assert r.status == 200 and r.json()["wrapped"], r
    r = t.c["so"].post(t.q("/v1/keys/exp/export"),
                       {"wrapping_key": "wrapper"}, headers={HDR: a["id"]})
    assert r.status == 409


def test_two_of_three_runs_exactly_once(shared_instance):
    t = Team(shared_instance)
    t.key("k1", {"quorum": KEY_RULES})
    a = parked(destroy(t, "k1"))
    aid = a["id"]
    r = t.approve("c1", aid)
    assert r.status == 200
    assert (r.json()["state"], r.json()["approvals"]) == ("pending", 1)
    # one principal counts once
    r = t.approve("c1", aid)
    assert r.status == 409 and r.code == "already_exists"
    # outside the group: refused, not counted
    r = t.approve("c4", aid)
    assert r.status == 403 and r.code == "permission_denied"
    assert t.c["c2"].ok("GET", "/v1/approvals/" + aid)["approvals"] == 1
    # still pending: a resubmission does not run
    assert destroy(t, "k1", approval=aid).status == 202
    r = t.approve("c2", aid)
    assert r.json()["state"] == "approved" and r.json()["approvals"] == 2
    assert [v["principal"] for v in r.json()["approved_by"]] == ["c1", "c2"]
    # a late vote does not change anything
    r = t.approve("c3", aid)
    assert r.status == 409 and r.code == "invalid_state"
    # only the requester runs it
    r = destroy(t, "k1", approval=aid, who="c1")
    assert r.status in (403, 404)
    r = destroy(t, "k1", approval=aid)
    assert r.status == 200, r
    assert r.json()["state"] in ("pending-destruction", "destroyed")
    # once
    r = destroy(t, "k1", approval=aid)
    assert r.status == 409 and r.code == "invalid_state"
    assert "executed" in r.json()["error"]["message"]
    assert t.c["c1"].ok("GET", "/v1/approvals/" + aid)["state"] == "executed"


def test_approval_is_bound_to_the_exact_request(shared_instance):
    t = Team(shared_instance)
    t.key("k1", {"quorum": KEY_RULES})
    t.key("k2", {"quorum": KEY_RULES})
    aid = parked(destroy(t, "k1", waiting=3600))["id"]
    t.approve("c1", aid)
    t.approve("c3", aid)
    # another key
    r = destroy(t, "k2", waiting=3600, approval=aid)
    assert r.status == 403 and r.code == "permission_denied"
    assert "different request" in r.json()["error"]["message"]
    # a changed parameter
    r = destroy(t, "k1", waiting=0, approval=aid)
    assert r.status == 403
    assert t.key_state("k1") == t.key_state("k2") == "active"
    # the query argument works as well as the header; the exact request
    r = t.c["so"].post(t.q("/v1/keys/k1/destroy") + "&approval=" + aid,
                       {"waiting_period": 3600})
    assert r.status == 200 and r.json()["state"] == "pending-destruction"
    assert t.key_state("k2") == "active"
    # an unknown approval id
    r = destroy(t, "k2", approval="a-" + "0" * 32)
    assert r.status == 404


def test_concurrent_resubmissions_run_once(shared_instance):
    t = Team(shared_instance)
    t.key("race", {"quorum": KEY_RULES})
    aid = parked(destroy(t, "race", waiting=3600))["id"]
    t.approve("c2", aid)
    t.approve("c3", aid)
    statuses = []
    go = threading.Barrier(8)

    def run():
        c = t.inst.unix(t.tokens["so"])
        go.wait()
        statuses.append(c.post(t.q("/v1/keys/race/destroy"),
                               {"waiting_period": 3600},
                               headers={HDR: aid}).status)

    ts = [threading.Thread(target=run) for _ in range(8)]
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    assert sorted(statuses) == [200] + [409] * 7, statuses


def test_expired_approvals_do_not_count(shared_instance):
    t = Team(shared_instance)
    t.key("k1", {"quorum": dict(KEY_RULES, ttl=1)})
    a = parked(destroy(t, "k1"))
    # expiry is a point in time: wait until it has passed
    while time.time() < _unix(a["expires_at"]) + 1:
        time.sleep(0.2)
    r = t.approve("c1", a["id"])
    assert r.status == 409 and r.code == "invalid_state"
    assert "expired" in r.json()["error"]["message"]
    assert destroy(t, "k1", approval=a["id"]).status == 409
    got = t.c["c1"].ok("GET", "/v1/approvals/" + a["id"])
    assert got["state"] == "expired" and got["approvals"] == 0
    assert t.key_state("k1") == "active"


def _unix(rfc3339):
    return calendar.timegm(time.strptime(rfc3339[:19], "%Y-%m-%dT%H:%M:%S"))


def test_one_rejection_ends_it(shared_instance):
    t = Team(shared_instance)
    t.key("k1", {"quorum": KEY_RULES})
    aid = parked(destroy(t, "k1"))["id"]
    t.approve("c1", aid)
    r = t.c["c4"].post("/v1/approvals/%s/reject" % aid, {"reason": "x"})
    assert r.status == 403
    r = t.c["c2"].post("/v1/approvals/%s/reject" % aid,
                       {"reason": "not planned"})
    assert r.status == 200
    j = r.json()
    assert (j["state"], j["rejected_by"], j["reason"]) == (
        "rejected", "c2", "not planned")
    assert t.approve("c3", aid).status == 409
    assert destroy(t, "k1", approval=aid).status == 409
    assert t.key_state("k1") == "active"


def test_per_signature_quorum(shared_instance):
    t = Team(shared_instance)
    sign_rules = rules(["key_sign"], principals=["c1", "c2"], m=1)
    t.key("ca", {"quorum": sign_rules,
                 "allow": [{"roles": ["crypto-user"],
                            "ops": ["sign", "verify"]}]})
    user = t.c["user"]
    msg = b"tbs certificate"
    r = user.post(t.q("/v1/keys/ca/sign"), {"input": b64(msg)})
    a = parked(r)
    assert "signature" not in r.body
    assert a["op"] == "key_sign"
    item = a["params"]["items"][0]
    assert item["sha256"] == hashlib.sha256(msg).hexdigest()
    assert msg.decode() not in json.dumps(a)
    assert t.approve("c2", a["id"]).json()["state"] == "approved"
    # another message is another request
    r = user.post(t.q("/v1/keys/ca/sign"), {"input": b64(b"other")},
                  headers={HDR: a["id"]})
    assert r.status == 403
    r = user.post(t.q("/v1/keys/ca/sign"), {"input": b64(msg)},
                  headers={HDR: a["id"]})
    assert r.status == 200, r
    pem = t.c["so"].ok("GET", t.q("/v1/keys/ca/public"))["pem"]
    load_pem_public_key(pem.encode()).verify(
        unb64(r.json()["signature"]), msg, ec.ECDSA(hashes.SHA256()))
    r = user.post(t.q("/v1/keys/ca/sign"), {"input": b64(msg)},
                  headers={HDR: a["id"]})
    assert r.status == 409
    # verification needs no approval
    user.ok("POST", t.q("/v1/keys/ca/verify"),
            {"input": b64(b"x"), "signature": b64(b"y")})


def test_lowering_partition_quorum_needs_the_old_quorum(shared_instance):
    t = Team(shared_instance)
    root = shared_instance.root()
    path = "/v1/partitions/%s/quorum/policy" % t.part
    strict = rules(["quorum_policy", "key_destroy"],
                   principals=["c1", "c2", "c3"], m=2)
    r = put(t.c["so"], path, {"policy": strict})
    assert r.status == 200 and r.json()["policy"] == strict
    assert r.json()["level"] == "partition"
    assert t.c["c1"].ok("GET", path)["policy"] == strict
    t.key("plain")
    assert parked(destroy(t, "plain"))["factors"][0]["level"] == \
        "partition"
    # neither the security officer nor root can lower it alone
    lax = rules(["key_destroy"], principals=["c1", "c2", "c3"], m=1)
    a = parked(put(t.c["so"], path, {"policy": lax}))
    assert a["op"] == "quorum_policy" and a["key"] is None
    assert parked(put(root, path, {"policy": None}))["requester"] == "*/root"
    assert t.c["so"].ok("GET", path)["policy"] == strict
    t.approve("c1", a["id"])
    t.approve("c2", a["id"])
    r = put(t.c["so"], path, {"policy": lax}, headers={HDR: a["id"]})
    assert r.status == 200 and r.json()["policy"] == lax
    # a bad document is refused with the reason, before any quorum
    r = put(t.c["so"], path, {"policy": rules(["backup_restore"],
                                             roles=["custodian"], m=1)})
    assert r.status == 400 and r.code == "invalid_argument"
    assert "backup_restore cannot be guarded at the partition level" \
        in r.json()["error"]["message"]


def test_bad_rules_are_refused(shared_instance):
    t = Team(shared_instance)
    r = t.c["so"].post(t.q("/v1/keys"), {
        "name": "bad", "type": "ed25519",
        "policy": {"quorum": rules(["role_grant"], principals=["c1"], m=1)}})
    assert r.status == 400
    assert "role_grant cannot be guarded at the key level" in r.body
    path = "/v1/partitions/%s/quorum/policy" % t.part
    r = put(t.c["so"], path, {"policy": rules(["key_destroy"],
                                             principals=["c1"], m=2)})
    assert r.status == 400
    assert "rules[0].m: 2 is more than the 1 principals named" in r.body


def test_visibility(shared_instance):
    t = Team(shared_instance)
    other = Team(shared_instance)
    t.key("k1", {"quorum": KEY_RULES})
    aid = parked(destroy(t, "k1"))["id"]
    # a custodian of another partition does not see it
    r = other.c["c1"].get("/v1/approvals/" + aid)
    assert r.status == 404
    assert other.approve("c1", aid).status == 404
    # a crypto-user outside the groups does not either
    assert t.c["user"].get("/v1/approvals/" + aid).status == 404
    ids = [a["id"] for a in t.c["c4"].ok("GET", "/v1/approvals")
           ["approvals"]]
    assert aid in ids
    assert t.c["user"].ok("GET", "/v1/approvals")["approvals"] == []
    page = shared_instance.root().ok(
        "GET", t.q("/v1/approvals?state=pending&limit=1"))
    assert [a["id"] for a in page["approvals"]] == [aid]
    r = t.c["c1"].get("/v1/approvals?state=done")
    assert r.status == 400


def test_cli(shared_instance):
    t = Team(shared_instance)
    t.key("k1", {"quorum": KEY_RULES})
    aid = parked(destroy(t, "k1"))["id"]
    addr = "unix://%s" % shared_instance.socket

    def kw(who, *args):
        return cli(list(args), addr, token=t.tokens[who])

    p = kw("c1", "approval", "list", "--state", "pending")
    assert p.returncode == 0 and aid in p.stdout, p.stderr
    p = kw("c1", "approval", "show", aid, "--json")
    assert p.returncode == 0
    shown = json.loads(p.stdout)
    assert shown["id"] == aid and shown["params"] == {"waiting_period": 0}
    p = kw("c1", "approval", "show", aid)
    assert "key_destroy" in p.stdout and shown["digest"] in p.stdout
    # refused: exit 1 with the API's code
    p = kw("so", "approval", "approve", aid)
    assert p.returncode == 1 and "permission_denied" in p.stderr
    p = kw("c4", "approval", "reject", aid)
    assert p.returncode == 1
    # usage errors: exit 2
    assert kw("c1", "approval", "approve").returncode == 2
    assert kw("c1", "approval", "list", "--state", "done").returncode == 2
    p = kw("c1", "approval", "approve", aid)
    assert p.returncode == 0 and "pending" in p.stdout
    p = kw("c1", "approval", "approve", aid)
    assert p.returncode == 1 and "already_exists" in p.stderr
    p = kw("c2", "approval", "reject", aid, "--reason", "wrong key")
    assert p.returncode == 0 and "rejected" in p.stdout
    p = kw("c3", "approval", "approve", aid)
    assert p.returncode == 1 and "invalid_state" in p.stderr


def test_cli_parks_and_runs_with_approval(shared_instance):
    """Any CLI command answered 202 says it did not run, names the approval
    and exits 1; the same command with --approval runs it once."""
    t = Team(shared_instance)
    t.key("k2", {"quorum": KEY_RULES})
    addr = "unix://%s" % shared_instance.socket

    def kw(who, *args):  # the team's principals are of its partition
        return cli(list(args), addr, token=t.tokens[who])

    p = kw("so", "key", "destroy", "k2", "--waiting-period", "0")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "needs approval a-" in p.stderr and "--approval a-" in p.stderr
    aid = p.stderr.split("needs approval ")[1].split()[0]
    assert t.key_state("k2") == "active"  # nothing ran
    p = kw("so", "--json", "key", "destroy", "k2", "--waiting-period", "0")
    assert p.returncode == 1
    assert json.loads(p.stdout)["approval"]["state"] == "pending"
    assert kw("so", "key", "destroy", "k2", "--approval",
              "a-x y").returncode == 2  # not an approval id
    assert kw("c1", "approval", "approve", aid).returncode == 0
    # approved by one of two: still parked, nothing runs
    p = kw("so", "key", "destroy", "k2", "--waiting-period", "0",
           "--approval", aid)
    assert p.returncode == 1 and "needs approval %s" % aid in p.stderr
    assert t.key_state("k2") == "active"
    assert kw("c2", "approval", "approve", aid).returncode == 0
    # a changed parameter does not match the approval
    p = kw("so", "key", "destroy", "k2", "--waiting-period", "60",
           "--approval", aid)
    assert p.returncode == 1, p.stderr
    assert t.key_state("k2") == "active"
    p = kw("so", "key", "destroy", "k2", "--waiting-period", "0",
           "--approval", aid)
    assert p.returncode == 0, p.stderr
    assert t.key_state("k2") != "active"
    p = kw("so", "key", "destroy", "k2", "--waiting-period", "0",
           "--approval", aid)
    assert p.returncode == 1 and "invalid_state" in p.stderr, p.stderr


def test_global_rules_and_every_step_in_the_trail(make_instance):
    inst = make_instance()
    root = inst.root()
    t = Team(inst)
    # instance-wide rules, set by the system security officer
    glob = rules(["role_grant", "partition_delete", "quorum_policy"],
                 roles=["custodian"], m=2, group="board")
    r = put(root, "/v1/quorum/policy", {"policy": glob})
    assert r.status == 200 and r.json()["level"] == "global"
    assert put(t.c["so"], "/v1/quorum/policy", {"policy": None}).status \
        == 403
    # a role grant is parked ...
    r = t.c["so"].patch(t.q("/v1/principals/user"), {"roles": [
        "crypto-user", "crypto-officer"]})
    grant = parked(r)
    assert grant["op"] == "role_grant" and grant["group"] == "board"
    # ... approved by two custodians, then run once
    t.approve("c1", grant["id"])
    t.approve("c4", grant["id"])
    r = t.c["so"].patch(t.q("/v1/principals/user"),
                        {"roles": ["crypto-user", "crypto-officer"]},
                        headers={HDR: grant["id"]})
    assert r.status == 200 and "crypto-officer" in r.json()["roles"]
    # a rejected one, and one that expires
    t.key("k1", {"quorum": dict(KEY_RULES, ttl=1)})
    rej = parked(destroy(t, "k1", waiting=5))
    t.c["c3"].post("/v1/approvals/%s/reject" % rej["id"], {})
    exp = parked(destroy(t, "k1", waiting=6))
    while time.time() < _unix(exp["expires_at"]) + 1:
        time.sleep(0.2)
    assert t.approve("c1", exp["id"]).status == 409
    # a partition deletion needs the board too
    empty = "e-" + uuid.uuid4().hex[:6]
    root.ok("POST", "/v1/partitions", {"name": empty})
    pd = parked(root.delete("/v1/partitions/" + empty))
    assert pd["op"] == "partition_delete" and pd["partition"] == empty
    assert inst.stop() == 0

    entries = chain_ok(trail_from_db(inst.dir / "kw.db"))

    def steps(aid):
        return [(e["op"], e["result"], e["principal"]) for e in entries
                if (e.get("detail") or {}).get("approval") == aid]

    s = steps(grant["id"])
    assert s[0] == ("approval_request", "ok", "so")
    assert ("approval_approve", "ok", "c1") in s
    assert ("approval_approve", "ok", "c4") in s
    assert ("approval_executed", "ok", "so") in s
    ran = [e for e in entries if e["op"] == "role_grant"
           and e["result"] == "ok"]
    assert len(ran) == 1
    assert ("approval_reject", "ok", "c3") in steps(rej["id"])
    assert ("approval_approve", "error", "c1") in steps(exp["id"])
    assert ("approval_expired", "ok", "") in steps(exp["id"])
    assert steps(pd["id"])[0] == ("approval_request", "ok", "root")
    req = [e for e in entries if e["op"] == "approval_request"
           and e["detail"]["approval"] == grant["id"]][0]
    assert req["detail"]["op"] == "role_grant"
    assert req["detail"]["digest"] == grant["digest"]
    assert req["partition"] == t.part


def test_audit_key_rotation_is_guarded(make_instance):
    inst = make_instance()
    root = inst.root()
    t = Team(inst)
    r = put(root, "/v1/quorum/policy", {"policy": rules(
        ["audit_key_rotate"], principals=["*/keeper"], m=1)})
    assert r.status == 200
    root.ok("POST", "/v1/principals?partition=*",
            {"name": "keeper", "kind": "app", "roles": ["custodian"]})
    keeper = inst.unix(root.ok("POST", "/v1/auth/tokens?partition=*",
                               {"principal": "keeper", "ttl": 600})["token"])
    # a partition's security officer may not ask at all
    assert t.c["so"].post("/v1/audit/rotate-key", {}).status == 403
    a = parked(root.post("/v1/audit/rotate-key", {}))
    assert (a["op"], a["partition"], a["key"]) == ("audit_key_rotate", "*",
                                                   None)
    assert keeper.ok("POST", "/v1/approvals/%s/approve" % a["id"], {}
                     )["state"] == "approved"
    r = root.post("/v1/audit/rotate-key", {}, headers={HDR: a["id"]})
    assert r.status == 200 and len(r.json()["key_id"]) == 64
    assert root.post("/v1/audit/rotate-key", {},
                     headers={HDR: a["id"]}).status == 409
    # instance-wide requests are listed under partition "*"
    listed = root.ok("GET", "/v1/approvals?partition=*")["approvals"]
    assert [x["state"] for x in listed if x["id"] == a["id"]] == \
        ["executed"]
