# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""Auto-unseal with the host TPM (docs/tpm.md): the master key sealed to a
PCR policy unseals a restarted daemon by itself; after a PCR extend it
stays sealed, says why, and the custodians' shares still unseal it;
sealing again is a quorum-approved operation."""

import json


def audit_entries(inst, op):
    r = inst.root().ok("GET", "/v1/audit?op=%s&limit=100" % op)
    return [e for e in r["entries"] if e["op"] == op]


def seal(inst, pcrs="sha256:16"):
    return inst.root().post("/v1/sys/tpm/seal", {"pcrs": pcrs})


def test_restart_unseals_by_itself(make_tpm, tpm_instance):
    tpm = make_tpm()
    inst = tpm_instance(tpm)
    r = seal(inst)
    assert r.status == 200, r
    assert r.json()["sealed_to"] == "sha256:16"
    st = inst.unix().ok("GET", "/v1/sys/tpm")["tpm"]
    assert st["configured"] and st["sealed_to"] == "sha256:16"

    inst.restart()
    status = inst.unix().ok("GET", "/v1/sys/status")
    assert status["sealed"] is False
    assert inst.unix().get("/v1/sys/health").status == 200
    tpm_st = inst.unix().ok("GET", "/v1/sys/tpm")["tpm"]
    assert tpm_st["unseal"] == "ok", tpm_st
    # keys work: the barrier really holds the master key
    inst.root().ok("POST", "/v1/keys", {"name": "k1", "type": "ecdsa-p256"})
    entries = audit_entries(inst, "sys_tpm_unseal")
    assert entries and entries[-1]["result"] == "ok"


def test_pcr_change_keeps_it_sealed_and_shares_still_work(make_tpm,
                                                          tpm_instance):
    tpm = make_tpm()
    inst = tpm_instance(tpm)
    assert seal(inst).status == 200
    assert inst.stop() == 0
    tpm.extend(16)  # the boot chain changed
    inst.start()

    c = inst.unix()
    status = c.ok("GET", "/v1/sys/status")
    assert status["sealed"] is True
    assert "PCR values differ" in status["tpm"]["reason"], status
    h = c.get("/v1/sys/health")
    assert h.status == 503 and h.json()["sealed"] is True
    assert h.json()["tpm"]["unseal"] == "failed"
    assert "PCR values differ" in h.json()["tpm"]["reason"]
    st = c.ok("GET", "/v1/sys/tpm")["tpm"]
    assert st["unseal"] == "failed"
    assert "PCR values differ" in st["reason"], st

    # the custodians' shares unseal it, also on a TPM instance
    inst.unseal(inst.shares[:2])
    assert c.ok("GET", "/v1/sys/status")["sealed"] is False
    # and the failed TPM unseal is in the audit trail, with its reason
    failed = [e for e in audit_entries(inst, "sys_tpm_unseal")
              if e["result"] != "ok"]
    assert failed and "PCR values differ" in failed[-1]["reason"]


def test_reseal_to_new_pcr_values_needs_a_quorum(make_tpm, tpm_instance):
    tpm = make_tpm()
    inst = tpm_instance(tpm)
    root = inst.root()
    # custodians: two principals who approve
    for n in ("cust1", "cust2"):
        root.ok("POST", "/v1/principals?partition=*",
                {"name": n, "kind": "app", "roles": ["custodian"]})
    rules = {"rules": [{"ops": ["tpm_seal"], "m": 2,
                        "principals": ["*/cust1", "*/cust2"]}]}
    r = root.request("PUT", "/v1/quorum/policy", body={"policy": rules})
    assert r.status == 200, r

    r = seal(inst)
    assert r.status == 202, r
    approval = r.json()["approval"]["id"]
    assert not (inst.dir / "master.tpmseal").exists()
    for n in ("cust1", "cust2"):
        t = root.ok("POST", "/v1/auth/tokens?partition=*",
                    {"principal": n, "ttl": 600})["token"]
        inst.unix(t).ok("POST", "/v1/approvals/%s/approve" % approval, {})
    r = root.request("POST", "/v1/sys/tpm/seal",
                     body={"pcrs": "sha256:16"},
                     headers={"X-Keywarden-Approval": approval})
    assert r.status == 200, r
    assert json.loads(r.body)["sealed_to"] == "sha256:16"
