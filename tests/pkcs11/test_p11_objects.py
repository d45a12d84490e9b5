# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""Certificates and data objects stored in the partition (/v1/objects):
written and read back with pkcs11-tool and PyKCS11, found by label (one
indexed lookup) and by CKA_ID, private data hidden until C_Login,
attributes changed and objects destroyed; the same objects through the
REST API."""


import PyKCS11 as P
import pytest

from kwharness import run
from p11env import pykcs11_lib


def ok(p):
    assert p.returncode == 0, "exit %d\n%s\n%s" % (p.returncode, p.stdout,
                                                   p.stderr)
    return p.stdout


@pytest.fixture(scope="module")
def lib(own_token):
    return pykcs11_lib(own_token)


def test_certificate_with_pkcs11_tool(own_token, tmp_path):
    t = own_token
    key = tmp_path / "k.pem"
    cert = tmp_path / "c.der"
    ok(run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-subj",
            "/CN=stored cert", "-days", "2", "-outform", "DER", "-out",
            cert]))
    ok(t.run(["pkcs11-tool", "--module", t.module, "--login", "--pin",
              t.user_pin, "--write-object", cert, "--type", "cert",
              "--label", "my cert", "--id", "c0de"]))
    # Public: listed without login (the base credential).
    listed = ok(t.run(["pkcs11-tool", "--module", t.module,
                       "--list-objects", "--type", "cert"]))
    assert "Certificate Object; type = X.509 cert" in listed
    assert "label:      my cert" in listed and "ID:         c0de" in listed
    assert "subject:    DN: CN=stored cert" in listed
    back = tmp_path / "back.der"
    ok(t.run(["pkcs11-tool", "--module", t.module, "--read-object",
              "--type", "cert", "--label", "my cert", "-o", back]))
    assert back.read_bytes() == cert.read_bytes()
    # The daemon keeps it, indexed by label.
    found = t.root.ok("GET", t.q("/v1/objects?label=my%20cert"))["objects"]
    assert [o["class"] for o in found] == ["certificate"]
    # A second certificate with the same label is refused.
    p = t.run(["pkcs11-tool", "--module", t.module, "--login", "--pin",
               t.user_pin, "--write-object", cert, "--type", "cert",
               "--label", "my cert"])
    assert p.returncode != 0
    ok(t.run(["pkcs11-tool", "--module", t.module, "--login", "--pin",
              t.user_pin, "--delete-object", "--type", "cert", "--label",
              "my cert"]))
    assert t.root.ok("GET", t.q("/v1/objects?label=my%20cert"))[
        "objects"] == []


def test_data_objects_with_pykcs11(lib, own_token):
    t = own_token
    s = lib.openSession(0, P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION)
    s.login(t.user_pin)
    pub = s.createObject([(P.CKA_CLASS, P.CKO_DATA), (P.CKA_TOKEN, True),
                          (P.CKA_LABEL, "config"),
                          (P.CKA_APPLICATION, "keywarden tests"),
                          (P.CKA_VALUE, b"\x00\x01public bytes")])
    priv = s.createObject([(P.CKA_CLASS, P.CKO_DATA), (P.CKA_TOKEN, True),
                           (P.CKA_PRIVATE, True), (P.CKA_LABEL, "secret"),
                           (P.CKA_VALUE, b"private bytes")])
    got = s.getAttributeValue(pub, [P.CKA_CLASS, P.CKA_VALUE,
                                    P.CKA_APPLICATION, P.CKA_PRIVATE,
                                    P.CKA_TOKEN])
    assert got[0] == P.CKO_DATA
    assert bytes(got[1]) == b"\x00\x01public bytes"
    assert got[2] == "keywarden tests" and got[3] is False
    found = s.findObjects([(P.CKA_CLASS, P.CKO_DATA),
                           (P.CKA_LABEL, "secret")])
    assert [o.value() for o in found] == [priv.value()]
    s.setAttributeValue(pub, [(P.CKA_VALUE, b"changed")])
    assert bytes(s.getAttributeValue(pub, [P.CKA_VALUE])[0]) == b"changed"
    # A second session without login: the private object is hidden.
    s.logout()
    s2 = lib.openSession(0, P.CKF_SERIAL_SESSION)
    labels = [s2.getAttributeValue(o, [P.CKA_LABEL])[0]
              for o in s2.findObjects([(P.CKA_CLASS, P.CKO_DATA)])]
    assert "config" in labels and "secret" not in labels
    s2.closeSession()
    s.login(t.user_pin)
    s.destroyObject(priv)
    assert s.findObjects([(P.CKA_LABEL, "secret")]) == []
    # Keys cannot be created from plaintext values.
    try:
        s.createObject([(P.CKA_CLASS, P.CKO_SECRET_KEY),
                        (P.CKA_KEY_TYPE, P.CKK_AES),
                        (P.CKA_VALUE, bytes(32))])
        raise AssertionError("imported a plaintext key")
    except P.PyKCS11Error as e:
        assert e.value == P.CKR_ATTRIBUTE_VALUE_INVALID
    s.logout()
    s.closeSession()


def test_objects_api(own_token):
    t = own_token
    c = t.root
    o = c.ok("POST", t.q("/v1/objects"), {
        "class": "data", "label": "api-obj", "ckaid": "AQI=",
        "attrs": {"11": "aGVsbG8="}})
    assert o["id"].startswith("o-") and o["partition"] == t.partition
    assert c.ok("GET", t.q("/v1/objects/" + o["id"]))["label"] == "api-obj"
    assert [x["id"] for x in c.ok("GET", t.q("/v1/objects?ckaid=0102"))[
        "objects"]] == [o["id"]]
    r = c.post(t.q("/v1/objects"), {"class": "data", "label": "api-obj"})
    assert r.status == 409 and r.code == "already_exists"
    r = c.post(t.q("/v1/objects"), {"class": "key", "label": "x"})
    assert r.status == 400
    r = c.post(t.q("/v1/objects"), {"class": "data", "bogus": 1})
    assert r.status == 400 and r.code == "unknown_field"
    u = c.ok("PATCH", t.q("/v1/objects/" + o["id"]), {"label": "renamed"})
    assert u["label"] == "renamed"
    assert c.ok("GET", t.q("/v1/objects?label=api-obj"))["objects"] == []
    # Another partition does not see it.
    c.ok("POST", "/v1/partitions", {"name": t.partition + "x"})
    r = c.get("/v1/objects/%s?partition=%sx" % (o["id"], t.partition))
    assert r.status == 404
    c.ok("DELETE", t.q("/v1/objects/" + o["id"]), status=204)
    assert c.get(t.q("/v1/objects/" + o["id"])).status == 404
    # A crypto-user may read but not write.
    reader = t.inst.unix(t.reader_token)
    assert reader.get(t.q("/v1/objects")).status == 200
    assert reader.post(t.q("/v1/objects"), {"class": "data"}).status == 403
