# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""PKI and code signing against a real keywardend (issue 8, docs/pki.md).

Everything keywarden makes is checked with the openssl command-line tool:
- root -> intermediate -> leaf chains (RSA and ECDSA) verify with
  `openssl verify`;
- requests for a forbidden name or extended key usage, or for a longer
  validity than the profile allows, are refused (never signed as asked);
- a revoked certificate is in the next CRL (the route and the CRL file),
  and `openssl verify -crl_check` rejects it;
- a file signed with `keywarden codesign` verifies with `openssl cms
  -verify` against the root, and a one-byte change makes it fail; the
  key's policy decides who may sign, and a quorum can hold each release;
- a time stamp from POST /v1/tsa verifies with `openssl ts -verify`;
- the root CA key signs nothing without its quorum;
- issuance, revocation and CA creation are in the audit trail.
"""

import datetime
import json
import uuid

import pytest

from kwharness import ConfiguredInstance, b64, cli, run


@pytest.fixture(scope="module")
def inst(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    i = ConfiguredInstance(d, {"pki": {"crl_dir": str(d / "crl")}})
    i.start()
    i.init()
    yield i
    rc = i.stop()
    assert rc == 0, i.stderr()


def uniq(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def openssl(*args, cwd=None, input=None):
    return run(["openssl"] + list(args), cwd=cwd, input=input)


def write(path, text):
    path.write_text(text)
    return path


def csr(tmp, name, subj, san=None, eku=None, ca=False):
    """A request made by openssl for a fresh P-256 key."""
    args = ["req", "-new", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout",
            str(tmp / (name + ".key")), "-subj", subj, "-out",
            str(tmp / (name + ".csr"))]
    if san:
        args += ["-addext", "subjectAltName=" + san]
    if eku:
        args += ["-addext", "extendedKeyUsage=" + eku]
    if ca:
        args += ["-addext", "basicConstraints=critical,CA:TRUE"]
    p = openssl(*args)
    assert p.returncode == 0, p.stderr
    return (tmp / (name + ".csr")).read_text()


def hierarchy(c, root_type, mid_type, **root_extra):
    """A root (no quorum unless root_extra says) and an intermediate."""
    root, mid = uniq("root"), uniq("issuing")
    body = {"name": root, "key_type": root_type, "quorum": False,
            "subject": "CN=Test Root %s,O=Example" % root, "path_len": 1}
    body.update(root_extra)
    r = c.ok("POST", "/v1/ca", body, status=201)
    m = c.ok("POST", "/v1/ca", {"name": mid, "parent": root,
                                 "key_type": mid_type,
                                 "subject": "CN=Issuing %s,O=Example" % mid},
             status=201)
    return r, m


def cli_addr(inst):
    return "unix://" + str(inst.socket_path)


@pytest.mark.parametrize("root_type,mid_type", [
    ("rsa-3072", "rsa-2048"), ("ecdsa-p384", "ecdsa-p256")])
def test_chain_verifies(inst, tmp_path, root_type, mid_type):
    c = inst.root()
    r, m = hierarchy(c, root_type, mid_type)
    assert r["parent"] is None and m["parent"] == r["name"]
    assert m["path_len"] == 0  # the root's 1, less one
    write(tmp_path / "root.pem", r["pem"])
    write(tmp_path / "mid.pem", m["pem"])
    req = csr(tmp_path, "www", "/CN=www.example.com",
              san="DNS:api.example.com,IP:192.0.2.10")
    leaf = c.ok("POST", "/v1/ca/%s/issue" % m["name"],
                {"profile": "tls-server", "csr": req, "days": 30},
                status=201)
    write(tmp_path / "leaf.pem", leaf["pem"])
    write(tmp_path / "chain.pem", leaf["chain_pem"])
    assert leaf["sans"] == ["DNS:api.example.com", "IP:192.0.2.10",
                            "DNS:www.example.com"]
    p = openssl("verify", "-CAfile", "root.pem", "-untrusted", "mid.pem",
                "-purpose", "sslserver", "leaf.pem", cwd=tmp_path)
    assert p.returncode == 0 and "leaf.pem: OK" in p.stdout, p.stderr
    # the chain the API returns is enough to verify with
    p = openssl("verify", "-CAfile", "root.pem", "-untrusted", "chain.pem",
                "leaf.pem", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    # another root does not vouch for it
    other, _ = hierarchy(c, "ecdsa-p256", "ecdsa-p256")
    write(tmp_path / "other.pem", other["pem"])
    p = openssl("verify", "-CAfile", "other.pem", "-untrusted", "mid.pem",
                "leaf.pem", cwd=tmp_path)
    assert p.returncode != 0
    # what the profile put in, not what the request asked
    text = openssl("x509", "-in", "leaf.pem", "-noout", "-text",
                   cwd=tmp_path).stdout
    assert "TLS Web Server Authentication" in text
    assert "CA:FALSE" in text
    text = openssl("x509", "-in", "mid.pem", "-noout", "-text",
                   cwd=tmp_path).stdout
    assert "CA:TRUE, pathlen:0" in text
    assert "Certificate Sign, CRL Sign" in text
    # the certificate is a PKCS#11 certificate object of the partition
    objs = c.ok("GET", "/v1/objects?class=certificate&limit=1000")
    ders = [o["attrs"].get("11") for o in objs["objects"]]
    p = openssl("x509", "-in", "leaf.pem", "-outform", "DER", "-out",
                "leaf.der", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert b64((tmp_path / "leaf.der").read_bytes()) in ders


def test_profile_enforced(inst, tmp_path):
    c = inst.root()
    r, m = hierarchy(c, "ecdsa-p256", "ecdsa-p256")
    c.ok("PATCH", "/v1/ca/" + m["name"], {"profiles": {"tls-server": {
        "names": ["DNS:*.example.com", "DNS:example.com"],
        "max_days": 90}}})
    issue = "/v1/ca/%s/issue" % m["name"]

    def refused(body, words):
        resp = c.post(issue, body)
        assert resp.status == 400, resp
        assert resp.code == "invalid_argument"
        assert words in resp.json()["error"]["message"], resp
    # a name outside the CA's rules
    refused({"profile": "tls-server",
             "csr": csr(tmp_path, "a", "/CN=www.evil.com")},
            "DNS:www.evil.com is not allowed")
    refused({"profile": "tls-server",
             "csr": csr(tmp_path, "b", "/CN=www.example.com",
                        san="DNS:mail.example.org")},
            "DNS:mail.example.org is not allowed")
    # an extended key usage outside the profile's
    refused({"profile": "tls-server",
             "csr": csr(tmp_path, "c", "/CN=www.example.com",
                        eku="serverAuth,codeSigning")},
            "extended key usage codeSigning")
    # a CA certificate
    refused({"profile": "tls-server",
             "csr": csr(tmp_path, "d", "/CN=www.example.com", ca=True)},
            "CA certificate")
    # a validity over the profile's maximum is refused, never cut
    good = csr(tmp_path, "e", "/CN=www.example.com")
    refused({"profile": "tls-server", "csr": good, "days": 91},
            "maximum of 90 days")
    # without one, the certificate gets the maximum
    leaf = c.ok("POST", issue, {"profile": "tls-server", "csr": good},
                status=201)
    t0 = datetime.datetime.fromisoformat(leaf["not_before"][:-1])
    t1 = datetime.datetime.fromisoformat(leaf["not_after"][:-1])
    assert (t1 - t0).days == 90
    # a request whose signature does not verify (no proof of possession)
    der = run(["openssl", "req", "-in", tmp_path / "e.csr", "-outform",
               "DER", "-out", tmp_path / "e.der"])
    assert der.returncode == 0
    raw = bytearray((tmp_path / "e.der").read_bytes())
    raw[-3] ^= 1
    resp = c.post(issue, {"profile": "tls-server", "csr_der": b64(raw)})
    assert resp.status == 400 and "proof of possession" in resp.body
    # the CLI says the same and exits 1
    write(tmp_path / "evil.csr", csr(tmp_path, "f", "/CN=evil.example.net"))
    p = cli(["ca", "issue", m["name"], "--profile", "tls-server", "--csr",
             tmp_path / "evil.csr"], cli_addr(inst), inst.root_token)
    assert p.returncode == 1 and "is not allowed" in p.stderr, p


def test_revoked_in_crl(inst, tmp_path):
    c = inst.root()
    r, m = hierarchy(c, "ecdsa-p256", "rsa-2048")
    write(tmp_path / "root.pem", r["pem"])
    write(tmp_path / "mid.pem", m["pem"])
    leaf = c.ok("POST", "/v1/ca/%s/issue" % m["name"],
                {"profile": "tls-client",
                 "csr": csr(tmp_path, "cl", "/CN=client-1")}, status=201)
    write(tmp_path / "leaf.pem", leaf["pem"])

    def crls():
        write(tmp_path / "root.crl",
              c.ok("GET", "/v1/ca/%s/crl" % r["name"])["pem"])
        mc = c.ok("GET", "/v1/ca/%s/crl" % m["name"])
        write(tmp_path / "mid.crl", mc["pem"])
        return mc["number"]

    def verify():
        return openssl("verify", "-crl_check_all", "-CAfile", "root.pem",
                       "-untrusted", "mid.pem", "-CRLfile", "root.crl",
                       "-CRLfile", "mid.crl", "leaf.pem", cwd=tmp_path)
    before = crls()
    p = verify()
    assert p.returncode == 0, p.stdout + p.stderr
    done = c.ok("POST", "/v1/certs/%s/revoke" % leaf["serial"],
                {"reason": "keyCompromise"})
    assert done["status"] == "revoked" and done["reason"] == "keyCompromise"
    after = crls()
    assert after == before + 1
    text = openssl("crl", "-in", "mid.crl", "-noout", "-text",
                   cwd=tmp_path).stdout
    assert leaf["serial"].upper() in text.replace(":", "")
    assert "Key Compromise" in text
    p = verify()
    assert p.returncode != 0 and "certificate revoked" in p.stderr, p
    # the CRL file the daemon writes says the same
    f = inst.dir / "crl" / "default" / (m["name"] + ".crl")
    p = openssl("verify", "-crl_check", "-CAfile", "root.pem", "-untrusted",
                "mid.pem", "-CRLfile", str(f), "leaf.pem", cwd=tmp_path)
    assert p.returncode != 0 and "certificate revoked" in p.stderr, p
    # revoked once; the inventory knows
    resp = c.post("/v1/certs/%s/revoke" % leaf["serial"], {})
    assert resp.status == 409
    listed = c.ok("GET", "/v1/certs?ca=%s&status=revoked" % m["name"])
    assert [x["serial"] for x in listed["certs"]] == [leaf["serial"]]
    # issuance, revocation and CA creation are in the audit trail
    for op, serial in (("cert_issue", leaf["serial"]),
                       ("cert_revoke", leaf["serial"]),
                       ("ca_create", m["serial"])):
        es = c.ok("GET", "/v1/audit?op=%s&limit=1000" % op)["entries"]
        mine = [e for e in es if (e.get("detail") or {}).get("serial") ==
                serial]
        assert len(mine) == 1 and mine[0]["result"] == "ok", (op, es[-3:])
        assert mine[0]["principal"] == "root"
    refusals = c.ok("GET", "/v1/audit?op=cert_revoke&result=error")
    assert refusals["entries"], "the refused revocation is audited too"


def test_codesign(inst, tmp_path):
    """keywarden codesign, verified by openssl cms; the key's policy says
    who may sign, and a quorum can hold every release."""
    c = inst.root()
    addr, tok = cli_addr(inst), inst.root_token
    root, mid, key = uniq("root"), uniq("issuing"), uniq("release")
    p = cli(["ca", "create-root", root, "--key-type", "ecdsa-p384",
             "--subject", "CN=Release Root,O=Example", "--no-quorum",
             "--out", tmp_path / "root.pem"], addr, tok)
    assert p.returncode == 0, p.stderr
    p = cli(["ca", "create-intermediate", mid, "--parent", root,
             "--key-type", "ecdsa-p256", "--subject",
             "CN=Release Issuing,O=Example"], addr, tok)
    assert p.returncode == 0, p.stderr
    # the signing key: only the pipeline may sign with it
    c.ok("POST", "/v1/principals", {"name": "ci-release", "kind": "app",
                                    "roles": ["crypto-user"]}, status=201)
    ci = c.ok("POST", "/v1/auth/tokens", {"principal": "ci-release",
                                          "ttl": 3600})["token"]
    dev_name = uniq("dev")
    c.ok("POST", "/v1/principals", {"name": dev_name, "kind": "app",
                                    "roles": ["crypto-user"]}, status=201)
    dev = c.ok("POST", "/v1/auth/tokens", {"principal": dev_name,
                                           "ttl": 3600})["token"]
    c.ok("POST", "/v1/keys", {"name": key, "type": "rsa-2048", "policy": {
        "version": 1, "allow": [{"principals": ["ci-release"],
                                 "ops": ["sign"]}]}}, status=201)
    p = cli(["ca", "issue", mid, "--profile", "code-signing", "--key", key,
             "--subject", "CN=Example Release Signing,O=Example",
             "--out", tmp_path / "signer.pem", "--chain-out",
             tmp_path / "chain.pem"], addr, tok)
    assert p.returncode == 0, p.stderr
    serial = json.loads(cli(["ca", "certs", "--key", key, "--json"], addr,
                            tok).stdout)["certs"][0]["serial"]
    app = tmp_path / "app-1.0.tar.gz"
    app.write_bytes(b"release contents \x00\x01\x02" * 1000)
    p = cli(["codesign", "--key", key, "--cert", serial, app], addr, ci)
    assert p.returncode == 0, p.stderr
    sig = tmp_path / "app-1.0.tar.gz.p7s"

    def verify():
        return openssl("cms", "-verify", "-binary", "-inform", "DER", "-in",
                       str(sig), "-content", str(app), "-CAfile",
                       str(tmp_path / "root.pem"), "-purpose", "any", "-out",
                       "/dev/null")
    v = verify()
    assert v.returncode == 0 and "Verification successful" in v.stderr, v
    data = bytearray(app.read_bytes())
    data[1234] ^= 0x01
    app.write_bytes(bytes(data))
    v = verify()
    assert v.returncode != 0 and "Verification successful" not in v.stderr
    data[1234] ^= 0x01
    app.write_bytes(bytes(data))
    # anyone else is refused by the key's policy, and audited
    p = cli(["codesign", "--key", key, "--cert", serial, "--out",
             tmp_path / "x.p7s", app], addr, dev)
    assert p.returncode == 1 and "permission_denied" in p.stderr, p
    # a certificate given as a PEM file (the signer's, then its chain)
    write(tmp_path / "signer-chain.pem",
          (tmp_path / "signer.pem").read_text() +
          (tmp_path / "chain.pem").read_text())
    sig.unlink()
    p = cli(["codesign", "--key", key, "--cert",
             tmp_path / "signer-chain.pem", app], addr, ci)
    assert p.returncode == 0, p.stderr
    v = verify()
    assert v.returncode == 0, v.stderr
    # a TLS certificate does not sign code
    tls = c.ok("POST", "/v1/ca/%s/issue" % mid,
               {"profile": "tls-client", "key": key, "subject": "CN=x"},
               status=201)
    p = cli(["codesign", "--key", key, "--cert", tls["serial"], app], addr,
            ci)
    assert p.returncode == 1 and "codeSigning" in p.stderr, p


def test_codesign_release_quorum(inst, tmp_path):
    """A key whose every signature needs one custodian's approval: the
    release is parked, approved for its digest, then signed once."""
    c = inst.root()
    r, m = hierarchy(c, "ecdsa-p256", "ecdsa-p256")
    key = uniq("gated")
    c.ok("POST", "/v1/keys", {"name": key, "type": "ecdsa-p256", "policy": {
        "version": 1, "quorum": {"version": 1, "rules": [{
            "ops": ["key_sign"], "roles": ["custodian"], "m": 1}]}}},
        status=201)
    cert = c.ok("POST", "/v1/ca/%s/issue" % m["name"],
                {"profile": "code-signing", "key": key,
                 "subject": "CN=Gated Release"}, status=201)
    cust = uniq("cust")
    c.ok("POST", "/v1/principals", {"name": cust, "kind": "app",
                                    "roles": ["custodian"]}, status=201)
    ct = c.ok("POST", "/v1/auth/tokens", {"principal": cust,
                                          "ttl": 3600})["token"]
    app = tmp_path / "release.bin"
    app.write_bytes(b"version 2.0")
    addr = cli_addr(inst)
    p = cli(["codesign", "--key", key, "--cert", cert["serial"], app], addr,
            inst.root_token)
    assert p.returncode == 1 and "--approval" in p.stderr, p
    aid = p.stderr.split("needs approval ")[1].split()[0]
    a = inst.unix(ct).ok("POST", "/v1/approvals/%s/approve" % aid, {})
    assert a["state"] == "approved"
    p = cli(["codesign", "--key", key, "--cert", cert["serial"],
             "--approval", aid, app], addr, inst.root_token)
    assert p.returncode == 0, p.stderr
    write(tmp_path / "root.pem", r["pem"])
    v = openssl("cms", "-verify", "-binary", "-inform", "DER", "-in",
                str(app) + ".p7s", "-content", str(app), "-CAfile",
                str(tmp_path / "root.pem"), "-purpose", "any", "-out",
                "/dev/null")
    assert v.returncode == 0, v.stderr
    # the approval was for that release: used up, and another file needs
    # its own
    other = tmp_path / "other.bin"
    other.write_bytes(b"version 2.1")
    p = cli(["codesign", "--key", key, "--cert", cert["serial"],
             "--approval", aid, other], addr, inst.root_token)
    assert p.returncode == 1


def test_tsa(inst, tmp_path):
    c = inst.root()
    r, m = hierarchy(c, "rsa-2048", "ecdsa-p256")
    write(tmp_path / "root.pem", r["pem"])
    write(tmp_path / "mid.pem", m["pem"])
    key = uniq("tsa")
    c.ok("POST", "/v1/keys", {"name": key, "type": "rsa-2048"}, status=201)
    cert = c.ok("POST", "/v1/ca/%s/issue" % m["name"],
                {"profile": "time-stamping", "key": key,
                 "subject": "CN=Example TSA,O=Example"}, status=201)
    write(tmp_path / "tsa.pem", cert["pem"])
    text = openssl("x509", "-in", "tsa.pem", "-noout", "-ext",
                   "extendedKeyUsage", cwd=tmp_path).stdout
    assert "critical" in text and "Time Stamping" in text
    tsa = c.ok("PUT", "/v1/tsa", {"cert": cert["serial"]})
    assert tsa["key"] == key
    (tmp_path / "data.txt").write_bytes(b"a document to stamp\n")
    p = openssl("ts", "-query", "-data", "data.txt", "-sha256", "-cert",
                "-out", "req.tsq", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    resp = c.request("POST", "/v1/tsa", raw=(tmp_path / "req.tsq")
                     .read_bytes(), headers={
                         "Content-Type": "application/timestamp-query"})
    assert resp.status == 200, resp
    assert resp.headers["content-type"] == "application/timestamp-reply"
    # Response.body is text: fetch the bytes again through curl
    out = tmp_path / "resp.tsr"
    p = run(["curl", "-sS", "--unix-socket", inst.socket_path, "-H",
             "Authorization: Bearer " + inst.root_token, "-H",
             "Content-Type: application/timestamp-query", "--data-binary",
             "@" + str(tmp_path / "req.tsq"), "-o", out,
             "http://localhost/v1/tsa"])
    assert p.returncode == 0, p.stderr
    v = openssl("ts", "-verify", "-in", "resp.tsr", "-queryfile", "req.tsq",
                "-CAfile", "root.pem", "-untrusted", "mid.pem", cwd=tmp_path)
    assert v.returncode == 0 and "Verification: OK" in v.stdout, v
    v = openssl("ts", "-verify", "-in", "resp.tsr", "-data", "data.txt",
                "-CAfile", "root.pem", "-untrusted", "mid.pem", cwd=tmp_path)
    assert v.returncode == 0, v
    (tmp_path / "data.txt").write_bytes(b"a document to stamP\n")
    v = openssl("ts", "-verify", "-in", "resp.tsr", "-data", "data.txt",
                "-CAfile", "root.pem", "-untrusted", "mid.pem", cwd=tmp_path)
    assert v.returncode != 0
    # SHA-1 is refused with a rejection the tool can read
    p = openssl("ts", "-query", "-data", "data.txt", "-sha1", "-out",
                "old.tsq", cwd=tmp_path)
    p = run(["curl", "-sS", "--unix-socket", inst.socket_path, "-H",
             "Authorization: Bearer " + inst.root_token, "-H",
             "Content-Type: application/timestamp-query", "--data-binary",
             "@" + str(tmp_path / "old.tsq"), "-o", tmp_path / "old.tsr",
             "http://localhost/v1/tsa"])
    text = openssl("ts", "-reply", "-in", "old.tsr", "-text",
                   cwd=tmp_path).stdout
    assert "Status: Rejected" in text and "unrecognized or unsupported " \
        "algorithm identifier" in text, text
    # only time-stamp queries are taken
    resp = c.request("POST", "/v1/tsa", raw=b"{}", headers={
        "Content-Type": "application/json"})
    assert resp.status == 415


def test_root_needs_quorum(inst, tmp_path):
    """The root's key is born with a signing quorum (2 custodians by
    default): it signs no intermediate, certificate or raw digest alone."""
    c = inst.root()
    root = uniq("qroot")
    r = c.ok("POST", "/v1/ca", {"name": root, "key_type": "ecdsa-p256",
                                "subject": "CN=Guarded Root"}, status=201)
    assert r["quorum"] is True
    custs = []
    for _ in range(2):
        n = uniq("cust")
        c.ok("POST", "/v1/principals", {"name": n, "kind": "app",
                                        "roles": ["custodian"]}, status=201)
        custs.append(inst.unix(c.ok("POST", "/v1/auth/tokens", {
            "principal": n, "ttl": 3600})["token"]))
    mid = {"name": uniq("mid"), "parent": root, "key_type": "ecdsa-p256",
           "subject": "CN=Guarded Issuing"}
    resp = c.post("/v1/ca", mid)
    assert resp.status == 202, resp
    aid = resp.json()["approval"]["id"]
    assert c.get("/v1/ca/" + mid["name"]).status == 404
    # the root key cannot sign directly either
    resp = c.post("/v1/keys/%s/sign" % r["key"],
                  {"digest": "A" * 43 + "=", "hash": "sha256"})
    assert resp.status == 202, resp
    # nor issue, nor revoke
    resp = c.post("/v1/ca/%s/issue" % root, {
        "profile": "tls-server", "csr": csr(tmp_path, "x", "/CN=a.example")})
    assert resp.status == 202, resp
    # one approval is not enough; the resubmission waits
    custs[0].ok("POST", "/v1/approvals/%s/approve" % aid, {})
    resp = c.post("/v1/ca?approval=" + aid, mid)
    assert resp.status == 202, resp
    custs[1].ok("POST", "/v1/approvals/%s/approve" % aid, {})
    # a changed request does not count
    changed = dict(mid, subject="CN=Other")
    resp = c.post("/v1/ca?approval=" + aid, changed)
    assert resp.status == 403, resp
    m = c.ok("POST", "/v1/ca?approval=" + aid, mid, status=201)
    write(tmp_path / "root.pem", r["pem"])
    write(tmp_path / "mid.pem", m["pem"])
    p = openssl("verify", "-CAfile", "root.pem", "mid.pem", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    # and only once
    resp = c.post("/v1/ca?approval=" + aid, mid)
    assert resp.status in (409, 403), resp
