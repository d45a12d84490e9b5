# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""Attested agents (docs/tpm.md): enrollment with the EK certificate and
credential activation, quotes checked by keywarden's own verifier, grants
for keys that require attestation; every refusal the issue lists."""

import base64
import hashlib
import json

import pytest

from kwharness import cli
from tpmharness import ToolsAgent

POLICY_PCRS = "sha256:16,23"


def golden_policy(tpm):
    return {"pcrs": POLICY_PCRS,
            "golden": {"16": [tpm.pcr(16)], "23": [tpm.pcr(23)]}}


@pytest.fixture
def world(make_tpm, tpm_instance):
    """A TPM, a daemon trusting its manufacturer, a policy with the TPM's
    current PCR 16 and 23 values, and a key that requires attestation."""
    tpm = make_tpm()
    inst = tpm_instance(tpm)
    root = inst.root()
    r = root.request("PUT", "/v1/attest/policies/builders",
                     body=golden_policy(tpm))
    assert r.status == 200, r
    root.ok("POST", "/v1/keys", {
        "name": "release", "type": "ecdsa-p256",
        "policy": {"allow": [{"roles": ["crypto-user"], "ops": ["sign"]}],
                   "require_attestation": True}})
    return tpm, inst


def addr(inst):
    return "unix://%s" % inst.socket


def enroll_with_cli(inst, tpm, name="build-1", tmp=None):
    out = tmp / ("%s.token" % name)
    p = cli(["agent", "enroll", "--name", name, "--policy", "builders",
             "--role", "crypto-user", "--token-out", str(out)],
            addr(inst), token=inst.root_token, extra_env=tpm.env)
    assert p.returncode == 0, p.stdout + p.stderr
    return out.read_text().strip()


def attest_with_cli(inst, tpm, token):
    return cli(["agent", "attest", "--json"], addr(inst), token=token,
               extra_env=tpm.env)


def sign(inst, token, msg=b"artifact"):
    return inst.unix(token).post("/v1/keys/release/sign", {
        "input": base64.b64encode(msg).decode()})


def test_agent_enrolls_attests_and_signs(world, tmp_path):
    tpm, inst = world
    token = enroll_with_cli(inst, tpm, tmp=tmp_path)
    who = inst.unix(token).ok("GET", "/v1/auth/whoami")
    assert who["principal"] == "build-1"
    assert inst.root().ok("GET", "/v1/principals/build-1")["kind"] == "agent"

    # before attesting: refused, and says why
    r = sign(inst, token)
    assert r.status == 403 and "attestation" in r.json()["error"]["message"]

    p = attest_with_cli(inst, tpm, token)
    assert p.returncode == 0, p.stderr
    grant = json.loads(p.stdout)
    assert grant["grant"].startswith("g-") and len(grant["evidence"]) == 64

    r = sign(inst, token)
    assert r.status == 200, r
    # the signature's audit entry carries the digest of the evidence
    entries = inst.root().ok("GET", "/v1/audit?op=key_sign&limit=100")
    mine = [e for e in entries["entries"]
            if e["principal"] == "build-1" and e["result"] == "ok"]
    assert mine and grant["evidence"] in json.dumps(mine[-1])
    # a batch too: one entry, the evidence and the counts
    r = inst.unix(token).post("/v1/keys/release/sign", {"batch": [
        {"input": base64.b64encode(b"a").decode()},
        {"input": base64.b64encode(b"b").decode()}]})
    assert r.status == 200, r
    entries = inst.root().ok("GET", "/v1/audit?op=key_sign&limit=100")
    last = [e for e in entries["entries"] if e["principal"] == "build-1"][-1]
    assert grant["evidence"] in json.dumps(last) and "items" in json.dumps(
        last)


def test_changed_build_environment_is_refused(world, tmp_path):
    tpm, inst = world
    token = enroll_with_cli(inst, tpm, tmp=tmp_path)
    assert attest_with_cli(inst, tpm, token).returncode == 0
    assert sign(inst, token).status == 200
    tpm.extend(16)
    p = attest_with_cli(inst, tpm, token)
    assert p.returncode == 1
    assert "PCR 16 value is not in the golden values" in p.stderr
    # a refused attestation also ends the grant it had
    r = sign(inst, token)
    assert r.status == 403


def test_tpm2_tools_agent(world, tmp_path):
    """The same flows with evidence made by tpm2_createek, tpm2_createak,
    tpm2_activatecredential and tpm2_quote."""
    tpm, inst = world
    agent = ToolsAgent(tpm, tmp_path / "tools")
    root = inst.root()
    ans = root.ok("POST", "/v1/attest/enroll",
                  agent.enroll_body("tools-1", "builders"))
    assert ans["ak_name"] == (tmp_path / "tools" / "ak.name").read_bytes()\
        .hex()
    act = root.ok("POST", "/v1/attest/enroll/%s/activate" %
                  ans["enrollment"], agent.activate(ans), status=201)
    token = act["token"]
    ch = inst.unix(token).ok("POST", "/v1/attest/challenge", {})
    assert ch["pcrs"] == POLICY_PCRS
    r = inst.unix(token).post("/v1/attest/quote", agent.quote(ch["nonce"]))
    assert r.status == 200, r
    assert sign(inst, token).status == 200


@pytest.fixture
def tools_agent(world, tmp_path):
    tpm, inst = world
    agent = ToolsAgent(tpm, tmp_path / "tools")
    root = inst.root()
    ans = root.ok("POST", "/v1/attest/enroll",
                  agent.enroll_body("tools-1", "builders"))
    token = root.ok("POST", "/v1/attest/enroll/%s/activate" %
                    ans["enrollment"], agent.activate(ans),
                    status=201)["token"]
    return tpm, inst, agent, inst.unix(token)


def refused(r, why):
    assert r.status == 403, r
    assert why in r.json()["error"]["message"], r


def test_unenrolled_tpm_is_refused(world, make_tpm, other_ca, tmp_path):
    tpm, inst = world
    # a TPM whose EK certificate comes from a manufacturer not trusted
    stranger = make_tpm(other_ca, name="stranger")
    agent = ToolsAgent(stranger, tmp_path / "stranger")
    r = inst.root().post("/v1/attest/enroll",
                         agent.enroll_body("stranger", "builders"))
    refused(r, "does not chain to a trusted TPM manufacturer CA")


def test_other_tpm_cannot_answer_the_challenge(world, make_tpm, tmp_path):
    tpm, inst = world
    genuine = ToolsAgent(tpm, tmp_path / "genuine")
    other = make_tpm(name="other")
    thief = ToolsAgent(other, tmp_path / "thief")
    # the genuine TPM's EK and AK, but the challenge reaches another TPM
    ans = inst.root().ok("POST", "/v1/attest/enroll",
                         genuine.enroll_body("copycat", "builders"))
    p = thief.activate_file(_cred_file(thief.dir, ans), thief.dir / "ak.ctx",
                            check=False)
    assert p.returncode != 0  # the other TPM cannot recover it
    r = inst.root().post("/v1/attest/enroll/%s/activate" % ans["enrollment"],
                         {"credential": base64.b64encode(b"\0" * 32)
                          .decode()})
    refused(r, "credential does not match")


def _cred_file(d, ans):
    from tpmharness import tools_credential
    path = d / "cred.in"
    path.write_bytes(tools_credential(base64.b64decode(ans["credential_blob"]),
                                      base64.b64decode(ans["secret"])))
    return path


def test_quote_from_another_tpm_is_refused(tools_agent, make_tpm, tmp_path):
    tpm, inst, agent, c = tools_agent
    other = make_tpm(name="other")
    impostor = ToolsAgent(other, tmp_path / "impostor")
    ch = c.ok("POST", "/v1/attest/challenge", {})
    refused(c.post("/v1/attest/quote", impostor.quote(ch["nonce"])),
            "AK signature is not valid")


def test_replayed_quote_is_refused(tools_agent):
    tpm, inst, agent, c = tools_agent
    ch = c.ok("POST", "/v1/attest/challenge", {})
    body = agent.quote(ch["nonce"])
    assert c.post("/v1/attest/quote", body).status == 200
    # the same quote again: its nonce was used
    refused(c.post("/v1/attest/quote", body), "no outstanding challenge")
    # and against a new challenge: the old nonce is not the new one
    c.ok("POST", "/v1/attest/challenge", {})
    refused(c.post("/v1/attest/quote", body), "nonce does not match")


def test_quote_signed_by_unrestricted_key_is_refused(world, tmp_path):
    tpm, inst = world
    loose = ToolsAgent(tpm, tmp_path / "loose", restricted=False)
    # such a key is not accepted as an AK
    r = inst.root().post("/v1/attest/enroll",
                         loose.enroll_body("loose", "builders"))
    refused(r, "AK is not a restricted")


def test_quote_body_signed_by_unrestricted_key_is_refused(tools_agent,
                                                          tmp_path):
    tpm, inst, agent, c = tools_agent
    loose = ToolsAgent(tpm, tmp_path / "loose", restricted=False)
    ch = c.ok("POST", "/v1/attest/challenge", {})
    body = agent.quote(ch["nonce"])
    # the genuine quote structure, signed by an unrestricted key instead
    body["signature"] = base64.b64encode(loose.sign_plain(
        base64.b64decode(body["quote"]))).decode()
    refused(c.post("/v1/attest/quote", body), "AK signature is not valid")


def test_quote_with_other_selection_is_refused(tools_agent):
    tpm, inst, agent, c = tools_agent
    ch = c.ok("POST", "/v1/attest/challenge", {})
    body = agent.quote(ch["nonce"], pcrs="sha256:16")
    body["pcrs"] = agent.pcr_values(POLICY_PCRS)
    refused(c.post("/v1/attest/quote", body),
            "quoted PCR selection differs from the policy's")


def test_quote_with_forged_magic_is_refused(tools_agent):
    tpm, inst, agent, c = tools_agent
    ch = c.ok("POST", "/v1/attest/challenge", {})
    body = agent.quote(ch["nonce"])
    msg = bytearray(base64.b64decode(body["quote"]))
    assert bytes(msg[:4]) == b"\xffTCG"
    msg[:4] = b"\x00TCG"
    # the AK signs it through a TPM2_Hash ticket, which the TPM issues
    # because the data does not start with TPM_GENERATED_VALUE
    sig = agent.sign_with_ticket(bytes(msg))
    body["quote"] = base64.b64encode(bytes(msg)).decode()
    body["signature"] = base64.b64encode(sig).decode()
    refused(c.post("/v1/attest/quote", body),
            "quote magic is not TPM_GENERATED_VALUE")


def test_rolled_back_reset_counter_is_refused(world, tmp_path):
    tpm, inst = world
    token = enroll_with_cli(inst, tpm, tmp=tmp_path)
    tpm.stop()
    tpm.snapshot("old")  # counters as they are now: resetCount r
    tpm.start()          # a TPM Reset: r + 1
    tpm.reboot()         # r + 2
    assert attest_with_cli(inst, tpm, token).returncode == 0
    tpm.stop()
    tpm.restore("old")   # the TPM's state rolled back to r
    tpm.start()          # r + 1: less than the r + 2 already seen
    p = attest_with_cli(inst, tpm, token)
    assert p.returncode == 1
    assert "reset/restart counter went backwards" in p.stderr


def test_tampered_pcr_values_are_refused(tools_agent):
    tpm, inst, agent, c = tools_agent
    ch = c.ok("POST", "/v1/attest/challenge", {})
    body = agent.quote(ch["nonce"])
    body["pcrs"]["16"] = hashlib.sha256(b"what the policy wants").hexdigest()
    refused(c.post("/v1/attest/quote", body),
            "reported PCR values do not match the quoted digest")


def test_policy_documents_are_checked(world):
    tpm, inst = world
    root = inst.root()
    r = root.request("PUT", "/v1/attest/policies/bad",
                     body={"pcrs": "sha256:16,23",
                           "golden": {"16": [tpm.pcr(16)]}})
    assert r.status == 400 and "PCR 23 has no value" in r.body
    r = root.request("PUT", "/v1/attest/policies/bad",
                     body={"pcrs": "md5:1", "golden": {}})
    assert r.status == 400
    got = root.ok("GET", "/v1/attest/policies/builders")
    assert got["pcrs"] == POLICY_PCRS


def test_ecc_ek_enrolls(make_tpm, tpm_instance, ca, tmp_path):
    """An ECC P-256 EK: the credential's seed is agreed by ECDH (KDFe)
    instead of RSA-OAEP. Its certificate comes from a manufacturer CA made
    here (swtpm certifies its P-384 EK only)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import datetime

    tpm = make_tpm()
    agent = ToolsAgent(tpm, tmp_path / "ecc", ek_alg="ecc")
    d = agent.dir
    tpm.tools("tpm2_readpublic", "-c", d / "ek.ctx", "-f", "pem", "-o",
              d / "ek.pem")
    ek_key = serialization.load_pem_public_key((d / "ek.pem").read_bytes())
    assert isinstance(ek_key.curve, ec.SECP256R1)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ECC EK CA")])
    now = datetime.datetime.utcnow()
    ca_cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
               .public_key(ca_key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0),
                              critical=True)
               .sign(ca_key, hashes.SHA256()))
    ek_cert = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(
                   NameOID.COMMON_NAME, "ecc ek")]))
               .issuer_name(name).public_key(ek_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1))
               .not_valid_after(now + datetime.timedelta(days=1))
               .sign(ca_key, hashes.SHA256()))
    (d / "ek.der").write_bytes(ek_cert.public_bytes(
        serialization.Encoding.DER))
    bundle = tmp_path / "ek-cas.pem"
    bundle.write_bytes(ca.bundle.read_bytes() + ca_cert.public_bytes(
        serialization.Encoding.PEM))
    inst = tpm_instance(tpm, ek_ca_file=str(bundle))
    root = inst.root()
    root.ok("PUT", "/v1/attest/policies/builders", golden_policy(tpm))
    ans = root.ok("POST", "/v1/attest/enroll",
                  agent.enroll_body("ecc-1", "builders"))
    # the answer for an ECC EK is the ephemeral point, not an OAEP block
    assert len(base64.b64decode(ans["secret"])) == 2 + 2 + 32 + 2 + 32
    act = root.ok("POST", "/v1/attest/enroll/%s/activate" %
                  ans["enrollment"], agent.activate(ans), status=201)
    c = inst.unix(act["token"])
    ch = c.ok("POST", "/v1/attest/challenge", {})
    assert c.post("/v1/attest/quote", agent.quote(ch["nonce"])).status == 200
