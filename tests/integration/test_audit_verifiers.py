# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""The two audit verifiers against each other, on a busy log.

A log written by the real trail (4 threads, denials, odd strings, a key
rotation; tests/unit/audit/loggen.c) must be accepted by the C verifier and
by the independent Python one (tests/tools/audit_verify.py); every kind of
tampering must be refused by both, at the same line.
"""

import base64
import hashlib
import os
import random
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit_helpers import (ROOT, checkpoint_indexes, join, py_verify, pyv,
                           rechain, split)

BUILD = os.environ.get("KW_BUILD_DIR", str(ROOT / "build"))
LOGGEN = ROOT / BUILD / "tests" / "unit" / "audit" / "audit_loggen"


@pytest.fixture(scope="module")
def busy_log(tmp_path_factory):
    assert LOGGEN.exists(), "build first: %s is missing" % LOGGEN
    d = tmp_path_factory.mktemp("auditlog")
    subprocess.run([str(LOGGEN), "gen", str(d), "2000"], check=True)
    return (d / "audit.jsonl").read_bytes(), d / "audit.pem"


@pytest.fixture(scope="module")
def small_log(tmp_path_factory):
    """A short log, for the tests that verify it hundreds of times."""
    assert LOGGEN.exists(), "build first: %s is missing" % LOGGEN
    d = tmp_path_factory.mktemp("smalllog")
    subprocess.run([str(LOGGEN), "gen", str(d), "160"], check=True)
    return (d / "audit.jsonl").read_bytes(), d / "audit.pem"


def c_verify(tmp_path, data, pem, allow_tail=False):
    """(valid, bad line or None, message) from the C verifier."""
    log = tmp_path / "t.jsonl"
    log.write_bytes(data)
    args = [str(LOGGEN), "verify", str(log), str(pem)]
    if allow_tail:
        args.append("--allow-tail")
    p = subprocess.run(args, capture_output=True, text=True)
    assert p.returncode in (0, 1), p.stderr
    if p.returncode == 0:
        return True, None, p.stdout
    line = int(p.stdout.split()[1])
    return False, line or None, p.stdout




def both_refuse(tmp_path, data, pem, line=None):
    """Both verifiers refuse data, at the same line (and at `line`)."""
    cv = c_verify(tmp_path, data, pem)
    pv = py_verify(data, pem)
    assert not cv[0], "C verifier accepted: " + cv[2]
    assert not pv[0], "Python verifier accepted"
    assert cv[1] == pv[1], (cv, pv)
    if line is not None:
        assert cv[1] == line, (cv, pv)
    return cv, pv










def test_busy_log_is_valid_for_both(tmp_path, busy_log):
    data, pem = busy_log
    lines = split(data)
    assert len(lines) > 2000
    assert c_verify(tmp_path, data, pem)[0]
    summary = pyv.verify(data, pyv.load_keys([str(pem)]))
    assert summary["entries"] == len(lines)
    assert summary["last_checkpoint_seq"] == len(lines)
    # The rotation happened: checkpoints by two different keys.
    kids = {pyv.parse_line(lines[i])["key_id"]
            for i in checkpoint_indexes(lines)}
    assert len(kids) == 2


def test_one_changed_byte_anywhere(tmp_path, small_log):
    data, pem = small_log
    assert c_verify(tmp_path, data, pem)[0]
    rng = random.Random(4)
    positions = rng.sample(range(len(data)), 120)
    positions += [0, len(data) - 1, len(data) - 2]
    for pos in positions:
        mutated = bytearray(data)
        mutated[pos] ^= 1 << rng.randrange(7)
        both_refuse(tmp_path, bytes(mutated), pem)


def test_deleted_entry(tmp_path, busy_log):
    data, pem = busy_log
    lines = split(data)
    cps = checkpoint_indexes(lines)
    for i in (0, 1, len(lines) // 2, cps[3], len(lines) - 2):
        cut = lines[:i] + lines[i + 1:]
        both_refuse(tmp_path, join(cut), pem, line=i + 1)


def test_swapped_entries(tmp_path, busy_log):
    data, pem = busy_log
    lines = split(data)
    for i, j in ((0, 1), (10, 11), (100, 700), (len(lines) - 3,
                                                  len(lines) - 2)):
        sw = list(lines)
        sw[i], sw[j] = sw[j], sw[i]
        both_refuse(tmp_path, join(sw), pem, line=i + 1)


def test_truncated_before_last_checkpoint(tmp_path, busy_log):
    data, pem = busy_log
    lines = split(data)
    last = checkpoint_indexes(lines)[-1]
    for keep in (last, last - 1, len(lines) // 3 + 1):
        cut = join(lines[:keep])
        if b'"op":"checkpoint"' in lines[keep - 1]:
            continue  # ends on an earlier checkpoint: see docs/audit.md
        cv, pv = both_refuse(tmp_path, cut, pem)
        assert cv[1] is None  # reported at the end, not at a line
        assert "not" in cv[2] and "signed" in cv[2]
        # Accepted only when the reader says an unsigned tail is fine.
        assert c_verify(tmp_path, cut, pem, allow_tail=True)[0]
        assert py_verify(cut, pem, allow_tail=True)[0]


def test_edit_with_rewritten_chain_caught_by_next_checkpoint(tmp_path,
                                                             busy_log):
    data, pem = busy_log
    lines = split(data)
    cps = checkpoint_indexes(lines)
    target = cps[5] - 3
    e = pyv.parse_line(lines[target])
    e["result"] = "ok" if e["result"] != "ok" else "denied"
    edited = list(lines)
    edited[target] = pyv.canonical_bytes(e)
    forged = rechain(edited, target)
    both_refuse(tmp_path, join(forged), pem, line=cps[5] + 1)


def test_forged_checkpoint_signature(tmp_path, busy_log):
    data, pem = busy_log
    lines = split(data)
    cp = checkpoint_indexes(lines)[2]
    evil = Ed25519PrivateKey.generate()
    evil_spki = evil.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)
    for rename in (False, True):
        e = pyv.parse_line(lines[cp])
        e["sig"] = base64.b64encode(
            evil.sign(bytes.fromhex(e["prev"]))).decode()
        if rename:
            e["key_id"] = hashlib.sha256(evil_spki).hexdigest()
        forged = list(lines)
        forged[cp] = pyv.canonical_bytes(e)
        forged = rechain(forged, cp)
        cv, pv = both_refuse(tmp_path, join(forged), pem, line=cp + 1)
        assert ("untrusted" in pv[1:][1]) == rename


def test_only_one_of_the_rotated_keys(tmp_path, busy_log):
    data, pem = busy_log
    blocks = pem.read_bytes().split(b"-----END PUBLIC KEY-----\n")
    assert len([b for b in blocks if b.strip()]) == 2
    old = tmp_path / "old.pem"
    old.write_bytes(blocks[0] + b"-----END PUBLIC KEY-----\n")
    lines = split(data)
    # The first checkpoint signed by the new key is where it breaks.
    kids = [pyv.parse_line(lines[i])["key_id"]
            for i in checkpoint_indexes(lines)]
    first_new = checkpoint_indexes(lines)[kids.index(kids[-1])]
    both_refuse(tmp_path, data, old, line=first_new + 1)
