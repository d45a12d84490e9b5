#!/usr/bin/env python3
# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""An outside verifier for keywarden audit logs.

Written from the format contract only (DESIGN.md section 5 and docs/audit.md),
not from the C code, with nothing but hashlib and python3-cryptography, so
that it can check the daemon's claims independently.

    audit_verify.py LOG.jsonl --pubkey audit.pem [--pubkey old.pem ...]
                    [--allow-tail]

Exit status: 0 the log is valid, 1 it is not (the first bad line and why
are printed), 2 usage error.
"""

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ZERO = "0" * 64
INT_LIMIT = 2**53 - 1
HEX64 = re.compile(r"^[0-9a-f]{64}$")
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
STRING_FIELDS = ("time", "node", "principal", "partition", "op", "result",
                 "reason", "request_id", "prev", "hash")
SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t",
                 "\n": "\\n", "\f": "\\f", "\r": "\\r"}


class Bad(Exception):
    """The log is invalid; the message says why."""


# ---- canonical JSON (RFC 8785 for strings, integers, literals) ------------

def canon_string(s):
    out = ['"']
    for ch in s:
        if ch in SHORT_ESCAPES:
            out.append(SHORT_ESCAPES[ch])
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def utf16_key(name):
    # Big-endian UTF-16 bytes compare like the sequences of code units.
    return name.encode("utf-16-be", "surrogatepass")


def canonical(value):
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        if abs(value) > INT_LIMIT:
            raise Bad("integer out of the I-JSON range")
        return str(value)
    if isinstance(value, str):
        return canon_string(value)
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        names = sorted(value, key=utf16_key)
        return "{" + ",".join(canon_string(n) + ":" + canonical(value[n])
                              for n in names) + "}"
    raise Bad("a value that is not allowed (real number?)")


def canonical_bytes(value):
    try:
        return canonical(value).encode("utf-8")
    except UnicodeEncodeError:
        raise Bad("a string that is not valid Unicode (lone surrogate)")


def no_duplicates(pairs):
    obj = {}
    for name, value in pairs:
        if name in obj:
            raise Bad("duplicate member name %r" % name)
        obj[name] = value
    return obj


def refuse_real(text):
    raise Bad("real number %s" % text)


def refuse_constant(text):
    raise Bad("non-JSON constant %s" % text)


def parse_line(raw):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Bad("not UTF-8")
    try:
        obj = json.loads(text, object_pairs_hook=no_duplicates,
                         parse_float=refuse_real,
                         parse_constant=refuse_constant)
    except ValueError:
        raise Bad("not JSON")
    if not isinstance(obj, dict):
        raise Bad("not a JSON object")
    return obj


# ---- keys ----------------------------------------------------------------

def load_keys(paths):
    """{key_id: Ed25519PublicKey} from PEM files (several keys per file)."""
    keys = {}
    block = re.compile(rb"-----BEGIN PUBLIC KEY-----.*?-----END PUBLIC KEY-----",
                       re.S)
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        blocks = block.findall(data)
        if not blocks:
            raise ValueError("%s: no PEM public key" % path)
        for pem in blocks:
            key = serialization.load_pem_public_key(pem)
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError("%s: not an Ed25519 key" % path)
            spki = key.public_bytes(serialization.Encoding.DER,
                                    serialization.PublicFormat.SubjectPublicKeyInfo)
            keys[hashlib.sha256(spki).hexdigest()] = key
    return keys


# ---- the log -------------------------------------------------------------

def check_fields(e):
    seq = e.get("seq")
    if type(seq) is not int or seq < 1:
        raise Bad('missing or bad "seq"')
    for name in STRING_FIELDS:
        if not isinstance(e.get(name), str):
            raise Bad('missing or bad "%s"' % name)
    if not TIME.match(e["time"]):
        raise Bad('"time" is not RFC 3339 UTC')
    if e["result"] not in ("ok", "denied", "error"):
        raise Bad('bad "result"')
    if "key" not in e:
        raise Bad('missing "key"')
    key = e["key"]
    if key is not None and not (isinstance(key, dict) and
                                isinstance(key.get("name"), str)):
        raise Bad('bad "key"')
    if not HEX64.match(e["prev"]) or not HEX64.match(e["hash"]):
        raise Bad('"prev" or "hash" is not 64 lowercase hex digits')


def check_checkpoint(e, keys):
    sig_text = e.get("sig")
    if not isinstance(sig_text, str):
        raise Bad('checkpoint without "sig"')
    try:
        sig = base64.b64decode(sig_text, validate=True)
    except binascii.Error:
        raise Bad('checkpoint "sig" is not base64')
    if len(sig) != 64:
        raise Bad("checkpoint signature has the wrong size")
    kid = e.get("key_id")
    if kid is not None:
        if kid not in keys:
            raise Bad("checkpoint signed by an untrusted key %s" % kid)
        candidates = [keys[kid]]
    else:
        candidates = list(keys.values())
    head = bytes.fromhex(e["prev"])
    for key in candidates:
        try:
            key.verify(sig, head)
            return
        except InvalidSignature:
            pass
    raise Bad("checkpoint signature does not verify")


def verify(data, keys, allow_tail=False):
    """Returns a summary dict; raises Bad with .line/.seq set if invalid."""
    if not data:
        raise Bad("the log is empty")
    lines = data.split(b"\n")
    newline_at_end = lines[-1] == b""
    if newline_at_end:
        lines.pop()
    prev = ZERO
    expect = 1
    last_cp = 0
    checkpoints = 0
    tail = 0
    for number, raw in enumerate(lines, 1):
        seq = None
        try:
            e = parse_line(raw)
            seq = e.get("seq") if type(e.get("seq")) is int else None
            check_fields(e)
            if canonical_bytes(e) != raw:
                raise Bad("not in canonical JSON form")
            if e["seq"] != expect:
                raise Bad("seq %d where %d was expected" % (e["seq"], expect))
            if e["prev"] != prev:
                raise Bad("prev is not the hash of the entry before")
            body = dict(e)
            del body["hash"]
            if hashlib.sha256(canonical_bytes(body)).hexdigest() != e["hash"]:
                raise Bad("hash does not match the entry")
            if e["op"] == "checkpoint":
                check_checkpoint(e, keys)
                checkpoints += 1
                last_cp = e["seq"]
                tail = 0
            else:
                tail += 1
        except Bad as bad:
            bad.line, bad.seq = number, seq
            raise
        prev = e["hash"]
        expect += 1
    if not newline_at_end:
        bad = Bad("the last line does not end with a newline")
        bad.line, bad.seq = len(lines), expect - 1
        raise bad
    if last_cp == 0 and not allow_tail:
        raise Bad("no checkpoint: nothing is signed")
    if tail and not allow_tail:
        raise Bad("%d entries after the last checkpoint (seq %d) are not "
                  "signed: truncated or not yet certified" % (tail, last_cp))
    return {"entries": len(lines), "checkpoints": checkpoints,
            "last_seq": expect - 1, "last_checkpoint_seq": last_cp,
            "tail": tail, "head": prev}


def main(argv=None):
    ap = argparse.ArgumentParser(description="Verify a keywarden audit log.")
    ap.add_argument("log", help="JSON Lines export")
    ap.add_argument("--pubkey", action="append", required=True,
                    help="audit public key PEM file (repeatable)")
    ap.add_argument("--allow-tail", action="store_true",
                    help="accept entries after the last checkpoint")
    args = ap.parse_args(argv)
    try:
        keys = load_keys(args.pubkey)
        with open(args.log, "rb") as f:
            data = f.read()
    except (OSError, ValueError) as err:
        print("error: %s" % err, file=sys.stderr)
        return 2
    try:
        s = verify(data, keys, args.allow_tail)
    except Bad as bad:
        where = ""
        if getattr(bad, "line", None):
            where = "line %d" % bad.line
            if bad.seq is not None:
                where += " (seq %d)" % bad.seq
            where += ": "
        print("INVALID: %s%s" % (where, bad))
        return 1
    print("valid: %d entries, %d checkpoints, last checkpoint at seq %d, "
          "%d unsigned after it" % (s["entries"], s["checkpoints"],
                                    s["last_checkpoint_seq"], s["tail"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
