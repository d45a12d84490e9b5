# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""Shared by the audit integration tests: the outside verifier
(tests/tools/audit_verify.py) as a module, JSON Lines helpers, and what an
attacker does to a log."""

import hashlib
import importlib.util
import pathlib
import sqlite3

ROOT = pathlib.Path(__file__).resolve().parents[2]

_spec = importlib.util.spec_from_file_location(
    "audit_verify", ROOT / "tests" / "tools" / "audit_verify.py")
pyv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pyv)


def split(data):
    """JSON Lines bytes -> list of lines (without their newlines)."""
    return data[:-1].split(b"\n")


def join(lines):
    return b"\n".join(lines) + b"\n"


def rechain(lines, start):
    """What an attacker without the key does after an edit: fix every later
    prev and hash so the chain is consistent again."""
    out = list(lines)
    for i in range(start, len(out)):
        e = pyv.parse_line(out[i])
        e["prev"] = pyv.parse_line(out[i - 1])["hash"] if i else pyv.ZERO
        body = dict(e)
        del body["hash"]
        e["hash"] = hashlib.sha256(pyv.canonical_bytes(body)).hexdigest()
        out[i] = pyv.canonical_bytes(e)
    return out


def checkpoint_indexes(lines):
    return [i for i, l in enumerate(lines) if b'"op":"checkpoint"' in l]


def py_verify(data, pem_path, allow_tail=False):
    """(valid, bad line or None, message) from the Python verifier."""
    try:
        pyv.verify(data, pyv.load_keys([str(pem_path)]), allow_tail)
        return True, None, "valid"
    except pyv.Bad as bad:
        return False, getattr(bad, "line", None), str(bad)


def trail_from_db(db_path):
    """The audit table of a daemon's SQLite file as JSON Lines bytes, read
    the way anyone with a copy of the file could."""
    con = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
    try:
        rows = con.execute("SELECT seq, entry FROM audit ORDER BY seq")
        lines = []
        for seq, entry in rows:
            assert seq == len(lines) + 1
            lines.append(bytes(entry))
    finally:
        con.close()
    return join(lines)


def chain_ok(data):
    """Checks seq, prev and hash of every entry (not the signatures); the
    parsed entries."""
    entries = []
    prev = pyv.ZERO
    for n, raw in enumerate(split(data), 1):
        e = pyv.parse_line(raw)
        assert pyv.canonical_bytes(e) == raw, n
        assert e["seq"] == n and e["prev"] == prev, n
        body = dict(e)
        del body["hash"]
        assert hashlib.sha256(pyv.canonical_bytes(body)).hexdigest() == \
            e["hash"], n
        prev = e["hash"]
        entries.append(e)
    return entries
