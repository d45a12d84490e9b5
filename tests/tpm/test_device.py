# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""Device identity (docs/tpm.md): a key made in the TPM with tpm2-tools is
proven to be in the agent's enrolled TPM (credential activation over its
name), gets a device certificate from a keywarden CA for a request that
the key signed through the tpm2-openssl provider, the certificate chains
to the CA (openssl verify), and the device uses the TPM key for TLS client
authentication to keywardend's mTLS listener (openssl s_client), where the
certificate alone authenticates it as its agent principal."""

import base64
import json
import os
import subprocess

from kwharness import cli, run, write_tls_pair
from tpmharness import ResourceManager, ToolsAgent, tools_credential

HANDLE = "0x81000010"


def tpm_key(tpm, d):
    """An ECC P-256 signing key made in the TPM, persistent at HANDLE."""
    tpm.tools("tpm2_createprimary", "-C", "o", "-g", "sha256", "-G", "ecc",
              "-c", d / "prim.ctx")
    tpm.tools("tpm2_create", "-C", d / "prim.ctx", "-G", "ecc256", "-u",
              d / "dev.pub", "-r", d / "dev.priv", "-a",
              "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign")
    tpm.tools("tpm2_load", "-C", d / "prim.ctx", "-u", d / "dev.pub", "-r",
              d / "dev.priv", "-c", d / "dev.ctx")
    tpm.tools("tpm2_evictcontrol", "-C", "o", "-c", d / "dev.ctx", HANDLE)


def ossl_env(tpm):
    return {"TPM2OPENSSL_TCTI": tpm.tcti}


def csr(tpm, d, cn="device-1"):
    """A request signed by the TPM key through the tpm2-openssl provider."""
    p = run(["openssl", "req", "-new", "-provider", "tpm2", "-provider",
             "default", "-key", "handle:%s" % HANDLE, "-subj", "/CN=" + cn,
             "-out", d / "dev.csr"], env=ossl_env(tpm))
    assert p.returncode == 0, p.stderr
    return d / "dev.csr"


def enroll(inst, tpm, tmp, name="dev-agent"):
    out = tmp / "agent.token"
    p = cli(["agent", "enroll", "--name", name, "--policy", "builders",
             "--role", "crypto-user", "--token-out", str(out)],
            "unix://%s" % inst.socket, token=inst.root_token,
            extra_env=tpm.env)
    assert p.returncode == 0, p.stderr
    return out.read_text().strip()


def prepare(inst, tpm):
    root = inst.root()
    root.ok("PUT", "/v1/attest/policies/builders", {
        "pcrs": "sha256:16", "golden": {"16": [tpm.pcr(16)]}})
    root.ok("POST", "/v1/ca", {"name": "devroot", "subject": "CN=Devices",
                               "key_type": "ecdsa-p256", "days": 30,
                               "quorum": False}, status=201)
    return root.ok("GET", "/v1/ca/devroot/chain")


def test_device_certificate_and_mtls(make_tpm, tpm_instance, tmp_path):
    tpm = make_tpm()
    # the listener needs a client CA from the start: a placeholder until
    # the keywarden CA exists
    placeholder = tmp_path / "client-ca.pem"
    placeholder.write_bytes(write_tls_pair(tmp_path / "placeholder",
                                           cn="client")["ca"].read_bytes())
    inst = tpm_instance(tpm, tls={"client_ca": str(placeholder),
                                  "require_client_cert": True})
    chain = prepare(inst, tpm)
    token = enroll(inst, tpm, tmp_path)
    tpm_key(tpm, tmp_path)
    req = csr(tpm, tmp_path)

    p = cli(["agent", "device", "--handle", HANDLE, "--csr", str(req),
             "--ca", "devroot", "--out", str(tmp_path / "dev-chain.pem"),
             "--json"], "unix://%s" % inst.socket, token=token,
            extra_env=tpm.env)
    assert p.returncode == 0, p.stderr
    issued = json.loads(p.stdout)
    (tmp_path / "dev.pem").write_text(issued["certificate"])
    root_pem = _root_pem(chain)
    (tmp_path / "root.pem").write_text(root_pem)
    v = run(["openssl", "verify", "-CAfile", tmp_path / "root.pem",
             tmp_path / "dev.pem"])
    assert v.returncode == 0 and "OK" in v.stdout, v.stdout + v.stderr
    text = run(["openssl", "x509", "-in", tmp_path / "dev.pem", "-noout",
                "-text"], check=True).stdout
    assert "TLS Web Client Authentication" in text

    # keywardend's mTLS listener now trusts the keywarden CA
    placeholder.write_text(root_pem)
    assert inst.stop() == 0
    inst.start()
    inst.unseal(inst.shares[:2])
    server_ca = inst.tls_files["ca"]
    request = ("GET /v1/auth/whoami HTTP/1.1\r\nHost: localhost\r\n"
               "Authorization: Bearer %s\r\nConnection: close\r\n\r\n"
               % inst.root_token)
    no_token = ("GET /v1/auth/whoami HTTP/1.1\r\nHost: localhost\r\n"
                "Connection: close\r\n\r\n")
    key_args = ["-cert", tmp_path / "dev.pem", "-key", "handle:%s" % HANDLE]
    rm = ResourceManager(tpm)
    try:
        with_tpm_key = _s_client(rm, inst.port, server_ca, request, key_args)
        # no token: the device certificate itself names the agent
        as_device = _s_client(rm, inst.port, server_ca, no_token, key_args)
        without = _s_client(rm, inst.port, server_ca, request, [])
    finally:
        rm.stop()
    assert "HTTP/1.1 200" in with_tpm_key, with_tpm_key
    assert '"principal":"root"' in with_tpm_key.replace(" ", "")
    assert "HTTP/1.1 200" in as_device, as_device
    assert '"principal":"dev-agent"' in as_device.replace(" ", "")
    assert "HTTP/1.1 401" in without and "client certificate" in without


def test_key_outside_the_enrolled_tpm_is_refused(make_tpm, tpm_instance,
                                                 tmp_path):
    tpm = make_tpm()
    inst = tpm_instance(tpm)
    prepare(inst, tpm)
    token = enroll(inst, tpm, tmp_path)
    # the same key handle in another TPM: its EK is not the enrolled one
    other = make_tpm(name="other")
    d = tmp_path / "otherkey"
    d.mkdir()
    tpm_key(other, d)
    req = csr(other, d)
    p = cli(["agent", "device", "--handle", HANDLE, "--csr", str(req),
             "--ca", "devroot", "--out", str(d / "dev.pem")],
            "unix://%s" % inst.socket, token=token, extra_env=other.env)
    assert p.returncode == 1
    assert "ActivateCredential" in p.stderr
    # and a request for another key than the one proven
    tpm_key(tpm, tmp_path)
    agent = inst.unix(token)
    pub = (tmp_path / "dev.pub").read_bytes()
    ch = agent.ok("POST", "/v1/attest/devices",
                  {"key_pub": base64.b64encode(pub).decode()})
    tools = ToolsAgent(tpm, tmp_path / "tools")
    (tmp_path / "dcred.in").write_bytes(tools_credential(
        base64.b64decode(ch["credential_blob"]),
        base64.b64decode(ch["secret"])))
    tools.activate_file(tmp_path / "dcred.in", HANDLE)
    cred = base64.b64encode((tools.dir / "cred.out").read_bytes()).decode()
    r = agent.post("/v1/attest/devices/%s/certificate" % ch["device"],
                   {"credential": cred, "csr": req.read_text(),
                    "ca": "devroot"})
    assert r.status == 403 and "another key" in r.json()["error"]["message"]


def _root_pem(chain):
    pems = chain.get("chain_pem") or chain.get("pem") or chain
    if isinstance(pems, list):
        return pems[-1]
    return pems


def _s_client(rm, port, ca, request, extra):
    """openssl s_client with the tpm2-openssl provider (through the
    resource manager rm), sending request; what came back."""
    args = ["openssl", "s_client", "-provider", "tpm2", "-provider",
            "default", "-connect", "127.0.0.1:%d" % port, "-CAfile",
            str(ca), "-quiet", "-ign_eof"] + [str(a) for a in extra]
    p = subprocess.run(args, input=request.encode(), capture_output=True,
                       timeout=60, env=dict(os.environ, **rm.env))
    return p.stdout.decode(errors="replace") + p.stderr.decode(
        errors="replace")

