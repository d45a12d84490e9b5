# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""The module through python3-pykcs11 (Debian) and, where PyKCS11 hides the
exact CK_RV, through ctypes (p11raw.py): interfaces, sessions from many
threads, a forked child, attribute semantics, every mechanism single- and
multi-part, key versions, policy and audit."""

import ctypes
import hashlib
import os
import threading

import pytest
import PyKCS11
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

from p11env import pykcs11_lib
from p11raw import (CK_GCM_PARAMS, UNAVAILABLE, Raw)

P = PyKCS11
CKR_ACTION_PROHIBITED = 0x1B
OID_P256 = bytes.fromhex("06082a8648ce3d030107")
OID_ED25519 = bytes.fromhex("06032b6570")
NAME_ED25519 = bytes.fromhex("130c") + b"edwards25519"


@pytest.fixture(scope="module")
def lib(token):
    return pykcs11_lib(token)


@pytest.fixture(scope="module")
def raw(lib, token):
    return Raw(token.module)


@pytest.fixture
def session(lib, token):
    s = lib.openSession(0, P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION)
    try:
        s.login(token.app_token)
    except P.PyKCS11Error as e:
        assert e.value == P.CKR_USER_ALREADY_LOGGED_IN
    yield s
    s.closeSession()


def rv_of(fn, *a):
    try:
        fn(*a)
    except P.PyKCS11Error as e:
        return e.value
    return P.CKR_OK


def ec_pair(session, label, params=OID_P256, kid=b"\x01",
            mech=P.CKM_EC_KEY_PAIR_GEN):
    pub = [(P.CKA_TOKEN, True), (P.CKA_EC_PARAMS, params),
           (P.CKA_LABEL, label), (P.CKA_ID, kid), (P.CKA_VERIFY, True)]
    priv = [(P.CKA_TOKEN, True), (P.CKA_LABEL, label), (P.CKA_ID, kid),
            (P.CKA_SIGN, True), (P.CKA_SENSITIVE, True)]
    return session.generateKeyPair(pub, priv, mecha=P.Mechanism(mech))


def find1(session, tmpl):
    objs = session.findObjects(tmpl)
    assert len(objs) == 1, objs
    return objs[0]


def pub_key_of(session, pub):
    params, point = session.getAttributeValue(
        pub, [P.CKA_EC_PARAMS, P.CKA_EC_POINT])
    assert bytes(params) == OID_P256
    point = bytes(point)
    assert point[0] == 0x04 and point[1] == 65  # DER OCTET STRING
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(),
                                                        point[2:])


def raw_to_der(sig):
    n = len(sig) // 2
    return utils.encode_dss_signature(int.from_bytes(sig[:n], "big"),
                                      int.from_bytes(sig[n:], "big"))


# ---- the module ---------------------------------------------------------------


def test_exports_only_three_symbols(token):
    from kwharness import run
    p = run(["nm", "-D", "--defined-only", token.module], check=True)
    names = sorted(line.split()[-1] for line in p.stdout.splitlines())
    assert names == ["C_GetFunctionList", "C_GetInterface",
                     "C_GetInterfaceList"]


def test_interfaces_3_0_first(raw):
    assert raw.interfaces() == [("PKCS 11", 3, 0, 0), ("PKCS 11", 2, 40, 0)]
    assert raw.get_interface() == (0, (3, 0))
    assert raw.get_interface(b"PKCS 11", (2, 40)) == (0, (2, 40))
    assert raw.get_interface(b"PKCS 11", (2, 11))[0] == P.CKR_ARGUMENTS_BAD
    assert raw.get_interface(b"Vendor", None)[0] == P.CKR_ARGUMENTS_BAD


def test_info(lib):
    info = lib.getInfo()
    assert info.cryptokiVersion == (3, 0)
    assert info.manufacturerID.strip() == "keywarden"


def test_mechanism_info_complete(lib):
    mechs = lib.getMechanismList(0)
    for name, lo, hi, flags in (
            ("CKM_RSA_PKCS_KEY_PAIR_GEN", 2048, 4096, ["CKF_HW",
             "CKF_GENERATE_KEY_PAIR"]),
            ("CKM_SHA256_RSA_PKCS_PSS", 2048, 4096, ["CKF_SIGN",
                                                      "CKF_VERIFY"]),
            ("CKM_RSA_PKCS_OAEP", 2048, 4096, ["CKF_ENCRYPT",
                                               "CKF_DECRYPT"]),
            ("CKM_ECDSA_SHA384", 256, 521, ["CKF_SIGN", "CKF_VERIFY"]),
            ("CKM_EDDSA", 255, 255, ["CKF_SIGN"]),
            ("CKM_AES_GCM", 16, 32, ["CKF_ENCRYPT", "CKF_DECRYPT"]),
            ("CKM_AES_KEY_WRAP_KWP", 16, 32, ["CKF_ENCRYPT"]),
            ("CKM_SHA512_HMAC", 64, 64, ["CKF_SIGN", "CKF_VERIFY"]),
            ("CKM_SHA224", 0, 0, ["CKF_DIGEST"])):
        assert name in mechs
        mi = lib.getMechanismInfo(0, name)
        assert (mi.ulMinKeySize, mi.ulMaxKeySize) == (lo, hi), name
        for f in flags:
            assert f in mi.flags2text(), (name, mi.flags2text())
    ec_flags = 0x00100000 | 0x00800000 | 0x01000000  # F_P, OID, UNCOMPRESS
    assert lib.getMechanismInfo(0, "CKM_ECDSA").flags & ec_flags == ec_flags


# ---- sessions --------------------------------------------------------------------


def test_many_sessions_from_threads(lib, token, uniq):
    s0 = lib.openSession(0, P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION)
    s0.login(token.app_token)
    pub, priv = ec_pair(s0, "threads-" + uniq)
    key = pub_key_of(s0, pub)
    errors, sigs = [], []
    lock = threading.Lock()

    def worker(n):
        try:
            s = lib.openSession(0, P.CKF_SERIAL_SESSION)
            k = find1(s, [(P.CKA_CLASS, P.CKO_PRIVATE_KEY),
                          (P.CKA_LABEL, "threads-" + uniq)])
            for i in range(10):
                msg = b"thread %d message %d" % (n, i)
                sig = bytes(s.sign(k, msg, P.Mechanism(P.CKM_ECDSA_SHA256)))
                with lock:
                    sigs.append((msg, sig))
            s.closeSession()
        except Exception as e:  # noqa: BLE001 - reported below
            with lock:
                errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(sigs) == 80
    for msg, sig in sigs:
        key.verify(raw_to_der(sig), msg, ec.ECDSA(hashes.SHA256()))
    info = lib.getTokenInfo(0)
    assert info.ulMaxSessionCount == P.CK_EFFECTIVELY_INFINITE
    s0.logout()
    s0.closeSession()


def test_fork_child_initializes_again(lib, token, uniq):
    s = lib.openSession(0, P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION)
    try:
        s.login(token.app_token)
    except P.PyKCS11Error:
        pass
    pub, priv = ec_pair(s, "fork-" + uniq)
    key = pub_key_of(s, pub)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: C_Initialize works again, then sign
        code = 1
        try:
            os.close(r)
            rv = lib.lib.C_Initialize()
            assert rv == P.CKR_OK, rv
            cs = lib.openSession(0, P.CKF_SERIAL_SESSION)
            cs.login(token.app_token)
            k = find1(cs, [(P.CKA_CLASS, P.CKO_PRIVATE_KEY),
                           (P.CKA_LABEL, "fork-" + uniq)])
            sig = bytes(cs.sign(k, b"from the child",
                                P.Mechanism(P.CKM_ECDSA_SHA256)))
            os.write(w, sig)
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    child_sig = os.read(r, 1000)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    key.verify(raw_to_der(child_sig), b"from the child",
               ec.ECDSA(hashes.SHA256()))
    # The parent's connections and sessions are intact.
    sig = bytes(s.sign(priv, b"parent", P.Mechanism(P.CKM_ECDSA_SHA256)))
    key.verify(raw_to_der(sig), b"parent", ec.ECDSA(hashes.SHA256()))
    s.closeSession()


def test_initialize_twice_and_not_initialized(raw, lib):
    assert raw.call("C_Initialize", None) == \
        P.CKR_CRYPTOKI_ALREADY_INITIALIZED


# ---- login and error codes ----------------------------------------------------------


def test_login_errors(lib, token):
    s = lib.openSession(0, P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION)
    s2 = lib.openSession(0, P.CKF_SERIAL_SESSION)
    # Other sessions of the module may be logged in already (login is
    # per token); start from logged out.
    rv_of(s.logout)
    assert rv_of(s.login, "abc") == P.CKR_PIN_LEN_RANGE
    assert rv_of(s.login, "x" * 65) == P.CKR_PIN_LEN_RANGE
    assert rv_of(s.login, "wrong-password") == P.CKR_PIN_INCORRECT
    assert rv_of(s.login, "kwt_notarealtoken0000000000") == \
        P.CKR_PIN_INCORRECT
    # The SO may not log in while a read-only session exists.
    assert rv_of(s.login, token.so_pin, P.CKU_SO) == \
        P.CKR_SESSION_READ_ONLY_EXISTS
    s2.closeSession()
    assert rv_of(s.login, token.user_pin) == P.CKR_OK
    assert rv_of(s.login, token.user_pin) == P.CKR_USER_ALREADY_LOGGED_IN
    assert rv_of(s.login, token.so_pin, P.CKU_SO) == \
        P.CKR_USER_ANOTHER_ALREADY_LOGGED_IN
    assert s.getSessionInfo().state == P.CKS_RW_USER_FUNCTIONS
    s.logout()
    assert rv_of(s.logout) == P.CKR_USER_NOT_LOGGED_IN
    assert rv_of(s.login, token.so_pin, P.CKU_SO) == P.CKR_OK
    assert s.getSessionInfo().state == P.CKS_RW_SO_FUNCTIONS
    s.logout()
    s.closeSession()


def test_session_and_operation_errors(lib, raw, session, uniq):
    pub, priv = ec_pair(session, "err-" + uniq)
    h = session.session.value()
    assert raw.call("C_Sign", h, None, 0, None,
                    ctypes.byref(ctypes.c_ulong(0))) == \
        P.CKR_OPERATION_NOT_INITIALIZED
    assert raw.call("C_CloseSession", 999999) == \
        P.CKR_SESSION_HANDLE_INVALID
    # An RSA mechanism with an EC key; signing with a public key.
    assert rv_of(session.sign, priv, b"x",
                 P.Mechanism(P.CKM_SHA256_RSA_PKCS)) == \
        P.CKR_KEY_TYPE_INCONSISTENT
    assert rv_of(session.sign, pub, b"x",
                 P.Mechanism(P.CKM_ECDSA_SHA256)) == \
        P.CKR_KEY_FUNCTION_NOT_PERMITTED
    m = raw.mech(P.CKM_ECDSA_SHA256)
    assert raw.call("C_SignInit", h, ctypes.byref(m), 987654) == \
        P.CKR_KEY_HANDLE_INVALID
    assert rv_of(session.sign, priv, b"x", P.Mechanism(0x7fffff)) == \
        P.CKR_MECHANISM_INVALID
    # A bad signature, a signature of the wrong length.
    sig = bytes(session.sign(priv, b"m", P.Mechanism(P.CKM_ECDSA_SHA256)))
    bad = bytes([sig[0] ^ 1]) + sig[1:]
    assert session.verify(pub, b"m", bad,
                          P.Mechanism(P.CKM_ECDSA_SHA256)) is False
    assert rv_of(session.verify, pub, b"m", sig[:-1],
                 P.Mechanism(P.CKM_ECDSA_SHA256)) == \
        P.CKR_SIGNATURE_LEN_RANGE
    # Things the token does not do.
    assert rv_of(session.seedRandom, b"1234") == \
        P.CKR_RANDOM_SEED_NOT_SUPPORTED
    assert rv_of(session.wrapKey, priv, priv,
                 P.Mechanism(P.CKM_AES_KEY_WRAP)) == \
        P.CKR_FUNCTION_NOT_SUPPORTED


def test_read_only_session_cannot_create(lib, token):
    s = lib.openSession(0, P.CKF_SERIAL_SESSION)
    try:
        s.login(token.app_token)
    except P.PyKCS11Error:
        pass
    assert rv_of(s.generateKey, [(P.CKA_VALUE_LEN, 32), (P.CKA_TOKEN, True)],
                 P.Mechanism(P.CKM_AES_KEY_GEN)) == P.CKR_SESSION_READ_ONLY
    s.closeSession()


# ---- attributes ----------------------------------------------------------------


def test_attribute_semantics(raw, session, uniq):
    pub, priv = ec_pair(session, "attr-" + uniq, kid=b"\xa1\xb2")
    h = session.session.value()
    # Sensitive: the private value never leaves.
    rv, n, _ = raw.get_attr(h, priv.value(), P.CKA_VALUE, 64)
    assert (rv, n) == (P.CKR_ATTRIBUTE_SENSITIVE, UNAVAILABLE)
    # Not an attribute of an EC key.
    rv, n, _ = raw.get_attr(h, priv.value(), P.CKA_MODULUS, 64)
    assert (rv, n) == (P.CKR_ATTRIBUTE_TYPE_INVALID, UNAVAILABLE)
    # A length query, a buffer too small, then the value.
    rv, n, _ = raw.get_attr(h, pub.value(), P.CKA_EC_POINT)
    assert (rv, n) == (P.CKR_OK, 67)
    rv, n, _ = raw.get_attr(h, pub.value(), P.CKA_EC_POINT, 10)
    assert (rv, n) == (P.CKR_BUFFER_TOO_SMALL, UNAVAILABLE)
    rv, n, v = raw.get_attr(h, pub.value(), P.CKA_EC_POINT, 67)
    assert rv == P.CKR_OK and v[:3] == b"\x04\x41\x04"
    # The key's flags.
    attrs = session.getAttributeValue(priv, [
        P.CKA_SENSITIVE, P.CKA_EXTRACTABLE, P.CKA_ALWAYS_SENSITIVE,
        P.CKA_NEVER_EXTRACTABLE, P.CKA_PRIVATE, P.CKA_TOKEN, P.CKA_ID,
        P.CKA_KEY_TYPE, P.CKA_LOCAL, P.CKA_SIGN, P.CKA_DECRYPT])
    assert attrs[:6] == [True, False, True, True, True, True]
    assert bytes(attrs[6]) == b"\xa1\xb2"
    assert attrs[7] == P.CKK_EC and attrs[8] is True
    assert attrs[9] is True and attrs[10] is False
    rv, n, v = raw.get_attr(h, priv.value(), P.CKA_ALLOWED_MECHANISMS, 512)
    size = ctypes.sizeof(ctypes.c_ulong)
    mechs = [int.from_bytes(v[i:i + size], "little")
             for i in range(0, n, size)]
    assert set(mechs) == {P.CKM_ECDSA, P.CKM_ECDSA_SHA1, P.CKM_ECDSA_SHA224,
                          P.CKM_ECDSA_SHA256, P.CKM_ECDSA_SHA384,
                          P.CKM_ECDSA_SHA512}


def test_extractable_follows_exportable(token, session, uniq):
    name = "exp-" + uniq
    token.root.ok("POST", token.q("/v1/keys"),
                  {"name": name, "type": "ecdsa-p256", "exportable": True})
    priv = find1(session, [(P.CKA_CLASS, P.CKO_PRIVATE_KEY),
                           (P.CKA_LABEL, name)])
    assert session.getAttributeValue(priv, [
        P.CKA_EXTRACTABLE, P.CKA_NEVER_EXTRACTABLE]) == [True, False]
    assert rv_of(session.setAttributeValue, priv,
                 [(P.CKA_EXTRACTABLE, True)]) == P.CKR_ATTRIBUTE_READ_ONLY
    session.setAttributeValue(priv, [(P.CKA_EXTRACTABLE, False)])
    assert token.key(name)["exportable"] is False
    assert session.getAttributeValue(priv, [P.CKA_EXTRACTABLE]) == [False]


def test_set_label_and_id(token, session, uniq):
    pub, priv = ec_pair(session, "rel-" + uniq)
    session.setAttributeValue(priv, [(P.CKA_LABEL, "renamed key " + uniq),
                                     (P.CKA_ID, b"\x09\x08")])
    found = session.findObjects([(P.CKA_LABEL, "renamed key " + uniq)])
    assert priv.value() in [o.value() for o in found]
    labels = token.key("rel-" + uniq)["labels"]
    assert labels["p11.label"] == "renamed key " + uniq
    assert labels["p11.id"] == "0908"


def test_ed25519_params_both_forms(session, uniq):
    for form, params in (("oid", OID_ED25519), ("name", NAME_ED25519)):
        pub, priv = ec_pair(session, "ed-%s-%s" % (form, uniq), params,
                            mech=P.CKM_EC_EDWARDS_KEY_PAIR_GEN)
        got = session.getAttributeValue(pub, [P.CKA_EC_PARAMS,
                                              P.CKA_KEY_TYPE])
        assert bytes(got[0]) == params and got[1] == P.CKK_EC_EDWARDS
        sig = bytes(session.sign(priv, b"ed msg", P.Mechanism(P.CKM_EDDSA)))
        assert session.verify(pub, b"ed msg", sig, P.Mechanism(P.CKM_EDDSA))
    assert rv_of(ec_pair, session, "bad-" + uniq, b"\x06\x03\x2b\x65\x71",
                 b"\x01", P.CKM_EC_EDWARDS_KEY_PAIR_GEN) == \
        P.CKR_CURVE_NOT_SUPPORTED


def test_find_by_attribute_combinations(session, uniq):
    ec_pair(session, "fa-" + uniq, kid=b"\xfa\x01")
    k = session.generateKey([(P.CKA_VALUE_LEN, 32), (P.CKA_TOKEN, True),
                             (P.CKA_LABEL, "fb-" + uniq),
                             (P.CKA_ID, b"\xfa\x02"), (P.CKA_ENCRYPT, True),
                             (P.CKA_DECRYPT, True)],
                            P.Mechanism(P.CKM_AES_KEY_GEN))
    by_id = session.findObjects([(P.CKA_ID, b"\xfa\x01")])
    assert len(by_id) == 2  # the pair
    assert len(session.findObjects([(P.CKA_ID, b"\xfa\x01"),
                                    (P.CKA_CLASS, P.CKO_PUBLIC_KEY)])) == 1
    assert [o.value() for o in session.findObjects(
        [(P.CKA_KEY_TYPE, P.CKK_AES), (P.CKA_ID, b"\xfa\x02")])] == \
        [k.value()]
    assert session.findObjects([(P.CKA_LABEL, "fb-" + uniq),
                                (P.CKA_KEY_TYPE, P.CKK_EC)]) == []
    everything = session.findObjects([])
    assert k.value() in [o.value() for o in everything]


# ---- mechanisms ----------------------------------------------------------------------


def test_rsa_mechanisms(token, session, uniq):
    pub, priv = session.generateKeyPair(
        [(P.CKA_TOKEN, True), (P.CKA_MODULUS_BITS, 2048),
         (P.CKA_PUBLIC_EXPONENT, (1, 0, 1)), (P.CKA_LABEL, "rsa-" + uniq),
         (P.CKA_ENCRYPT, True), (P.CKA_VERIFY, True)],
        [(P.CKA_TOKEN, True), (P.CKA_LABEL, "rsa-" + uniq),
         (P.CKA_SIGN, True), (P.CKA_DECRYPT, True)],
        mecha=P.MechanismRSAGENERATEKEYPAIR)
    n, e = session.getAttributeValue(pub, [P.CKA_MODULUS,
                                           P.CKA_PUBLIC_EXPONENT])
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.RSAPublicNumbers(int.from_bytes(bytes(e), "big"),
                               int.from_bytes(bytes(n), "big")).public_key()
    msg = b"rsa message" * 50
    for mech, hash_ in ((P.CKM_SHA256_RSA_PKCS, hashes.SHA256()),
                        (P.CKM_SHA1_RSA_PKCS, hashes.SHA1()),
                        (P.CKM_SHA512_RSA_PKCS, hashes.SHA512())):
        sig = bytes(session.sign(priv, msg, P.Mechanism(mech)))
        key.verify(sig, msg, padding.PKCS1v15(), hash_)
    # Raw CKM_RSA_PKCS over a DigestInfo (what TLS/OpenSSL engines do).
    di = bytes.fromhex("3031300d060960864801650304020105000420") + \
        hashlib.sha256(msg).digest()
    sig = bytes(session.sign(priv, di, P.Mechanism(P.CKM_RSA_PKCS)))
    key.verify(sig, msg, padding.PKCS1v15(), hashes.SHA256())
    # PSS, prehashed and hash-and-sign.
    pss = P.RSA_PSS_Mechanism(P.CKM_SHA384_RSA_PKCS_PSS, P.CKM_SHA384,
                              P.CKG_MGF1_SHA384, 48)
    sig = bytes(session.sign(priv, msg, pss))
    key.verify(sig, msg, padding.PSS(padding.MGF1(hashes.SHA384()), 48),
               hashes.SHA384())
    pss = P.RSA_PSS_Mechanism(P.CKM_RSA_PKCS_PSS, P.CKM_SHA256,
                              P.CKG_MGF1_SHA256, 32)
    sig = bytes(session.sign(priv, hashlib.sha256(msg).digest(), pss))
    key.verify(sig, msg, padding.PSS(padding.MGF1(hashes.SHA256()), 32),
               hashes.SHA256())
    bad = P.RSA_PSS_Mechanism(P.CKM_SHA256_RSA_PKCS_PSS, P.CKM_SHA256,
                              P.CKG_MGF1_SHA1, 32)
    assert rv_of(session.sign, priv, msg, bad) == \
        P.CKR_MECHANISM_PARAM_INVALID
    # OAEP with a label, through the token both ways.
    oaep = P.RSAOAEPMechanism(P.CKM_SHA256, P.CKG_MGF1_SHA256, b"lbl")
    ct = bytes(session.encrypt(pub, b"oaep plaintext", oaep))
    assert bytes(session.decrypt(priv, ct, oaep)) == b"oaep plaintext"
    ct = key.encrypt(b"from outside", padding.OAEP(
        padding.MGF1(hashes.SHA256()), hashes.SHA256(), b"lbl"))
    assert bytes(session.decrypt(priv, ct, oaep)) == b"from outside"


def test_multi_part_sign_verify(raw, session, uniq):
    pub, priv = ec_pair(session, "mp-" + uniq)
    key = pub_key_of(session, pub)
    h = session.session.value()
    m = raw.mech(P.CKM_ECDSA_SHA384)
    assert raw.call("C_SignInit", h, ctypes.byref(m), priv.value()) == 0
    parts = [b"part one ", b"part two ", b"x" * 10000]
    for p in parts:
        buf = ctypes.create_string_buffer(p, len(p))
        assert raw.call("C_SignUpdate", h, ctypes.cast(buf, ctypes.c_void_p),
                        len(p)) == 0
    rv, _, n = raw.final_call("C_SignFinal", h, 0)  # length query
    assert (rv, n) == (P.CKR_OK, 64)
    rv, _, n = raw.final_call("C_SignFinal", h, 10)
    assert (rv, n) == (P.CKR_BUFFER_TOO_SMALL, 64)
    rv, sig, n = raw.final_call("C_SignFinal", h, 64)
    assert rv == 0
    key.verify(raw_to_der(sig), b"".join(parts), ec.ECDSA(hashes.SHA384()))
    # Verify in parts too.
    assert raw.call("C_VerifyInit", h, ctypes.byref(m), pub.value()) == 0
    for p in parts:
        buf = ctypes.create_string_buffer(p, len(p))
        raw.call("C_VerifyUpdate", h, ctypes.cast(buf, ctypes.c_void_p),
                 len(p))
    sb = ctypes.create_string_buffer(sig, len(sig))
    assert raw.call("C_VerifyFinal", h, ctypes.cast(sb, ctypes.c_void_p),
                    len(sig)) == 0


def test_aes_gcm_single_and_multi_part(raw, session, uniq):
    k = session.generateKey([(P.CKA_VALUE_LEN, 32), (P.CKA_TOKEN, True),
                             (P.CKA_LABEL, "gcm-" + uniq),
                             (P.CKA_ENCRYPT, True), (P.CKA_DECRYPT, True)],
                            P.Mechanism(P.CKM_AES_KEY_GEN))
    h = session.session.value()
    iv = ctypes.create_string_buffer(12)
    aad = ctypes.create_string_buffer(b"header", 6)
    gp = CK_GCM_PARAMS(ctypes.cast(iv, ctypes.c_void_p), 12, 96,
                       ctypes.cast(aad, ctypes.c_void_p), 6, 128)
    m = raw.mech(P.CKM_AES_GCM, gp)
    assert raw.call("C_EncryptInit", h, ctypes.byref(m), k.value()) == 0
    rv, ct, n = raw.out_call("C_Encrypt", h, b"gcm plaintext", 64)
    assert rv == 0 and n == 13 + 16
    # The daemon chose the IV and wrote it into pIv.
    assert iv.raw != bytes(12)
    # Decrypt in parts (output at Final).
    assert raw.call("C_DecryptInit", h, ctypes.byref(m), k.value()) == 0
    rv, out, n = raw.out_call("C_DecryptUpdate", h, ct[:10], 64)
    assert (rv, n) == (0, 0)
    rv, out, n = raw.out_call("C_DecryptUpdate", h, ct[10:], 64)
    assert (rv, n) == (0, 0)
    rv, pt, n = raw.final_call("C_DecryptFinal", h, 64)
    assert (rv, pt) == (0, b"gcm plaintext")
    # A changed tag does not open.
    assert raw.call("C_DecryptInit", h, ctypes.byref(m), k.value()) == 0
    bad = ct[:-1] + bytes([ct[-1] ^ 1])
    rv, _, _ = raw.out_call("C_Decrypt", h, bad, 64)
    assert rv == P.CKR_ENCRYPTED_DATA_INVALID
    # Only 96-bit IVs and 128-bit tags.
    gp.ulTagBits = 96
    assert raw.call("C_EncryptInit", h, ctypes.byref(m), k.value()) == \
        P.CKR_MECHANISM_PARAM_INVALID


def test_aes_key_wrap(session, uniq):
    k = session.generateKey([(P.CKA_VALUE_LEN, 16), (P.CKA_TOKEN, True),
                             (P.CKA_LABEL, "kw-" + uniq),
                             (P.CKA_WRAP, True), (P.CKA_UNWRAP, True)],
                            P.Mechanism(P.CKM_AES_KEY_GEN))
    data = os.urandom(32)
    for mech in (P.CKM_AES_KEY_WRAP, P.CKM_AES_KEY_WRAP_KWP):
        wrapped = bytes(session.encrypt(k, data, P.Mechanism(mech)))
        assert len(wrapped) == 40
        assert bytes(session.decrypt(k, wrapped, P.Mechanism(mech))) == data
    odd = b"seven b"
    w = bytes(session.encrypt(k, odd, P.Mechanism(P.CKM_AES_KEY_WRAP_KWP)))
    assert bytes(session.decrypt(k, w, P.Mechanism(
        P.CKM_AES_KEY_WRAP_KWP))) == odd


def test_hmac(session, uniq):
    for length, mech in ((32, P.CKM_SHA256_HMAC), (48, P.CKM_SHA384_HMAC),
                         (64, P.CKM_SHA512_HMAC)):
        k = session.generateKey([(P.CKA_VALUE_LEN, length),
                                 (P.CKA_TOKEN, True),
                                 (P.CKA_LABEL, "hm%d-%s" % (length, uniq)),
                                 (P.CKA_SIGN, True), (P.CKA_VERIFY, True),
                                 (P.CKA_SENSITIVE, True)],
                                P.Mechanism(P.CKM_GENERIC_SECRET_KEY_GEN))
        mac = bytes(session.sign(k, b"mac me", P.Mechanism(mech)))
        assert len(mac) == length
        # (PyKCS11's verify answers CKR_SIGNATURE_INVALID with False)
        assert session.verify(k, b"mac me", mac, P.Mechanism(mech))
        assert not session.verify(k, b"mac me!", mac, P.Mechanism(mech))
    assert rv_of(session.sign, k, b"x", P.Mechanism(P.CKM_SHA256_HMAC)) == \
        P.CKR_KEY_TYPE_INCONSISTENT


def test_digests(session):
    data = os.urandom(5000)
    for mech, fn in ((P.CKM_SHA_1, hashlib.sha1),
                     (P.CKM_SHA224, hashlib.sha224),
                     (P.CKM_SHA256, hashlib.sha256),
                     (P.CKM_SHA384, hashlib.sha384),
                     (P.CKM_SHA512, hashlib.sha512)):
        assert bytes(session.digest(data, P.Mechanism(mech))) == \
            fn(data).digest()
        d = session.digestSession(P.Mechanism(mech))
        d.update(data[:1000])
        d.update(data[1000:])
        assert bytes(d.final()) == fn(data).digest()


# ---- versions, policy, audit ---------------------------------------------------------


def test_older_versions_reachable(token, session, uniq):
    name = "rot-" + uniq
    pub, priv = ec_pair(session, name)
    old_sig = bytes(session.sign(priv, b"v1", P.Mechanism(
        P.CKM_ECDSA_SHA256)))
    token.root.ok("POST", token.q("/v1/keys/%s/rotate" % name))
    objs = session.findObjects([(P.CKA_CLASS, P.CKO_PUBLIC_KEY),
                                (P.CKA_LABEL, name + "/v1")])
    assert len(objs) == 1
    v1 = objs[0]
    assert session.getAttributeValue(v1, [P.CKA_VERIFY]) == [True]
    assert session.verify(v1, b"v1", old_sig,
                          P.Mechanism(P.CKM_ECDSA_SHA256))
    # The primary is version 2 now: its object is a new key pair.
    priv2 = find1(session, [(P.CKA_CLASS, P.CKO_PRIVATE_KEY),
                            (P.CKA_LABEL, name)])
    v1priv = find1(session, [(P.CKA_CLASS, P.CKO_PRIVATE_KEY),
                             (P.CKA_LABEL, name + "/v1")])
    assert session.getAttributeValue(v1priv, [P.CKA_SIGN]) == [False]
    assert rv_of(session.sign, v1priv, b"x", P.Mechanism(
        P.CKM_ECDSA_SHA256)) == P.CKR_KEY_FUNCTION_NOT_PERMITTED
    assert session.verify(priv2, b"v1", old_sig, P.Mechanism(
        P.CKM_ECDSA_SHA256)) is False


def test_key_policy_applies(token, session, uniq):
    """A key whose policy allows signing to someone else: C_Sign fails with
    CKR_KEY_FUNCTION_NOT_PERMITTED, and the denial is audited."""
    name = "pol-" + uniq
    token.root.ok("POST", token.q("/v1/keys"), {
        "name": name, "type": "ecdsa-p256",
        "policy": {"version": 1, "allow": [
            {"principals": ["someone-else"], "ops": ["sign", "verify"]}]}})
    priv = find1(session, [(P.CKA_CLASS, P.CKO_PRIVATE_KEY),
                           (P.CKA_LABEL, name)])
    assert rv_of(session.sign, priv, b"x", P.Mechanism(
        P.CKM_ECDSA_SHA256)) == P.CKR_KEY_FUNCTION_NOT_PERMITTED
    denied = [e for e in token.audit_entries()
              if e["op"] == "key_sign" and (e.get("key") or {}).get(
                  "name") == name]
    assert denied and denied[-1]["result"] == "denied"
    assert denied[-1]["principal"] == "p11app"


def test_quorum_sign_needs_approval(token, session, uniq):
    """A key whose policy puts signing under a 2-of-N quorum: C_Sign gives
    CKR_FUNCTION_REJECTED (the daemon parks the request) until two
    custodians approve; then the identical C_Sign runs, once."""
    name = "quo-" + uniq
    r = token.root.post(token.q("/v1/keys"), {
        "name": name, "type": "ecdsa-p256",
        "policy": {"version": 1, "quorum": {"version": 1, "rules": [
            {"ops": ["key_sign"], "roles": ["custodian"], "m": 2}]}}})
    probe = token.root.post(token.q("/v1/keys/%s/sign" % name),
                            {"input": "eA=="}) if r.status == 201 else r
    if probe.status != 202:
        pytest.skip("this keywardend parks no request for a quorum yet "
                    "(issue 4): %r" % probe)
    custodians = [token.inst.unix(token.app("cust-%s-%d" % (uniq, i),
                                            ["custodian"]))
                  for i in range(2)]
    priv = find1(session, [(P.CKA_CLASS, P.CKO_PRIVATE_KEY),
                           (P.CKA_LABEL, name)])
    pub = find1(session, [(P.CKA_CLASS, P.CKO_PUBLIC_KEY),
                          (P.CKA_LABEL, name)])
    mech = P.Mechanism(P.CKM_ECDSA_SHA256)
    assert rv_of(session.sign, priv, b"release 1.0", mech) == \
        P.CKR_FUNCTION_REJECTED
    pending = [a for a in token.root.ok("GET", token.q(
        "/v1/approvals?state=pending"))["approvals"]
        if a["key"] == name and a["requester"] == "p11app"]
    assert len(pending) == 1 and pending[0]["op"] == "key_sign"
    aid = pending[0]["id"]
    # Asked again before the approvals: still rejected, same request.
    assert rv_of(session.sign, priv, b"release 1.0", mech) == \
        P.CKR_FUNCTION_REJECTED
    for c in custodians:
        c.ok("POST", token.q("/v1/approvals/%s/approve" % aid))
    sig = bytes(session.sign(priv, b"release 1.0", mech))
    assert session.verify(pub, b"release 1.0", sig, mech)
    assert token.root.ok("GET", token.q("/v1/approvals/" + aid))[
        "state"] == "executed"
    # The approval ran once: the same call again is a new request.
    assert rv_of(session.sign, priv, b"release 1.0", mech) == \
        P.CKR_FUNCTION_REJECTED


def test_audit_shows_every_operation_with_principal(token, session, uniq):
    name = "aud-" + uniq
    before = len(token.audit_entries())
    pub, priv = ec_pair(session, name)
    session.sign(priv, b"audited", P.Mechanism(P.CKM_ECDSA_SHA256))
    session.generateRandom(16)
    entries = token.audit_entries()[before:]
    ops = [(e["op"], e["principal"], e["result"]) for e in entries]
    assert ("key_create", "p11app", "ok") in ops
    assert ("key_sign", "p11app", "ok") in ops
    assert ("random", "p11app", "ok") in ops
    sign = [e for e in entries if e["op"] == "key_sign"][0]
    assert sign["key"]["name"] == name and sign["partition"] == "p11"


def test_requests_per_operation(token, session, uniq):
    """What the daemon sees (its audit trail has one entry per request):
    a find by label with a key class is one indexed lookup; C_SignInit
    costs nothing; each C_Sign is one request."""
    name = "req-" + uniq
    ec_pair(session, name)
    before = len(token.audit_entries())
    priv = find1(session, [(P.CKA_CLASS, P.CKO_PRIVATE_KEY),
                           (P.CKA_LABEL, name)])
    after_find = token.audit_entries()[before:]
    assert [e["op"] for e in after_find] == ["key_read"]
    for i in range(20):
        session.sign(priv, b"m%d" % i, P.Mechanism(P.CKM_ECDSA_SHA256))
    ops = [e["op"] for e in token.audit_entries()[before + 1:]
           if e["op"] != "checkpoint"]
    assert ops == ["key_sign"] * 20


def test_labels_with_any_characters(token, session, uniq):
    label = "Küche & keys / %s" % uniq
    pub, priv = ec_pair(session, label)
    assert session.getAttributeValue(priv, [P.CKA_LABEL])[0] == label
    found = session.findObjects([(P.CKA_LABEL, label)])
    assert {o.value() for o in found} == {pub.value(), priv.value()}
    # The key's name is the label, reversibly encoded.
    name = "K_c3_bcche_20_26_20keys_20_2f_20" + uniq
    assert token.key(name)["name"] == name
