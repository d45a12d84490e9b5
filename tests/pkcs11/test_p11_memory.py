# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""No key material in the client: a core dump (gdb's gcore) of a process
that signed through the module holds no prime factor of the token key's
modulus, in either byte order. The same scan finds the primes of a decoy
RSA key the process generated itself, so it can see key material where
there is some."""

import subprocess
import textwrap

import pytest

from p11env import sanitizer_preload

SIGNER = textwrap.dedent("""
    import sys
    import PyKCS11 as P
    from cryptography.hazmat.primitives.asymmetric import rsa
    decoy = rsa.generate_private_key(65537, 2048)  # key material we hold
    decoy_be = decoy.private_numbers().p.to_bytes(128, "big")
    lib = P.PyKCS11Lib()
    lib.load(sys.argv[1])
    s = lib.openSession(0, P.CKF_SERIAL_SESSION)
    s.login(sys.argv[2])
    k = s.findObjects([(P.CKA_CLASS, P.CKO_PRIVATE_KEY),
                       (P.CKA_LABEL, sys.argv[3])])[0]
    pub = s.findObjects([(P.CKA_CLASS, P.CKO_PUBLIC_KEY),
                         (P.CKA_LABEL, sys.argv[3])])[0]
    n = bytes(s.getAttributeValue(pub, [P.CKA_MODULUS])[0])
    for i in range(20):
        sig = bytes(s.sign(k, b"message %d" % i,
                           P.Mechanism(P.CKM_SHA256_RSA_PKCS)))
    print(n.hex(), decoy.public_key().public_numbers().n, sig.hex(),
          flush=True)
    sys.stdin.read()
""")


def prime_factors_in(core, n):
    """Windows of core that are a nontrivial factor of n: little-endian
    64-bit limbs at 8-byte alignment (OpenSSL BIGNUMs), big-endian at any
    offset (DER and other serialised forms)."""
    size = (n.bit_length() // 2 + 7) // 8
    found = set()
    for o in range(0, len(core) - size, 8):
        if core[o] & 1 and core[o + size - 1] >= 0x80:
            x = int.from_bytes(core[o:o + size], "little")
            if 1 < x < n and n % x == 0:
                found.add(("le", x))
    mv = memoryview(core)
    for o in range(0, len(core) - size):
        if core[o] >= 0x80 and core[o + size - 1] & 1:
            x = int.from_bytes(mv[o:o + size], "big")
            if 1 < x < n and n % x == 0:
                found.add(("be", x))
    return found


def test_core_dump_holds_no_key_material(own_token, tmp_path):
    t = own_token
    if sanitizer_preload():
        pytest.skip("a core of an ASan process maps terabytes of shadow "
                    "memory; this test runs in the normal build")
    p = t.run(["pkcs11-tool", "--module", t.module, "--login", "--pin",
               t.user_pin, "--keypairgen", "--key-type", "rsa:2048",
               "--label", "core-rsa"])
    assert p.returncode == 0, p.stderr
    script = tmp_path / "signer.py"
    script.write_text(SIGNER)
    proc = subprocess.Popen(
        ["/usr/bin/python3", script, t.module, t.user_pin, "core-rsa"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env=dict(__import__("os").environ, **t.env()))
    try:
        line = proc.stdout.readline().split()
        assert len(line) == 3, line
        n, decoy_n, sig = int(line[0], 16), int(line[1]), line[2]
        core = tmp_path / "core"
        g = subprocess.run(["gcore", "-o", core, str(proc.pid)],
                           capture_output=True, text=True, timeout=120)
        assert g.returncode == 0, g.stderr
        data = (tmp_path / ("core.%d" % proc.pid)).read_bytes()
    finally:
        proc.kill()
        proc.wait()
    # The dump is real: it holds what the process got from the token.
    assert n.to_bytes(256, "big") in data
    assert bytes.fromhex(sig) in data
    # The scan sees key material where there is some (the decoy) ...
    assert {f[0] for f in prime_factors_in(data, decoy_n)} == {"le", "be"}
    # ... and there is none of the token key.
    assert prime_factors_in(data, n) == set()
