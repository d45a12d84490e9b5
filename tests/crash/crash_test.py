#!/usr/bin/env python3
# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""Crash test: a mixed load against a real keywardend, killed with SIGKILL
at random moments, restarted each time; nothing acknowledged may be lost.

    crash_test.py [--kills N] [--seed S] [--workers W] [--dir DIR]

Each round: start keywardend (SQLite store), unseal it with 2 of its 3
shares, run W client threads doing key creation, rotation, signing and
encryption, and SIGKILL the daemon after a random 0.05-0.8 s. Every
operation that got a 2xx answer is "acknowledged" and remembered with what
it returned. After each restart the round's acknowledged operations are
checked:
  - every created key exists with its type; every rotation's version exists;
  - every signature verifies and every ciphertext decrypts to its plaintext
    with the version the answer named;
  - every acknowledged request has its audit entry (by request id), the
    trail fetched since the last round continues the saved one (seq without
    gaps, prev = the saved head's hash), and the whole saved trail verifies
    with the outside verifier (tests/tools/audit_verify.py) after a signed
    checkpoint;
  - every key of the instance can be read (no record is corrupt), and the
    instance unsealed.
Every 25 rounds and after the last one, all operations of all rounds are
checked again. Ends with the summary line

    crash test: N kills, M acknowledged operations checked, L lost

and exit status 0 only if L is 0 and every round's daemon came back.
"""

import argparse
import base64
import os
import pathlib
import random
import signal
import sys
import tempfile
import threading
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
sys.path.insert(0, str(HERE.parent / "tools"))

import audit_verify  # noqa: E402
from kwharness import ConfiguredInstance  # noqa: E402

KEY_TYPES = ("ed25519", "ecdsa-p256", "aes-256")


def b64(data):
    return base64.b64encode(data).decode()


class Lost(Exception):
    """An acknowledged operation is missing or wrong after a restart."""


class Ledger:
    """Everything acknowledged, by round."""

    def __init__(self):
        self.lock = threading.Lock()
        self.keys = {}  # name -> type (acknowledged creations)
        self.ops = []  # (round, kind, details dict)
        self.request_ids = []  # (round, request id)

    def add(self, rnd, kind, rid, **details):
        with self.lock:
            self.ops.append((rnd, kind, details))
            self.request_ids.append((rnd, rid))
            if kind == "create":
                self.keys[details["name"]] = details["type"]

    def pick(self, rng, types):
        with self.lock:
            names = [n for n, t in self.keys.items() if t in types]
        return rng.choice(names) if names else None


class Worker(threading.Thread):
    """One client doing random operations until the connection breaks."""

    def __init__(self, inst, ledger, rnd, index, seed):
        super().__init__(daemon=True)
        self.client = inst.root()
        self.ledger = ledger
        self.rnd = rnd
        self.index = index
        self.rng = random.Random(seed)
        self.count = 0

    def run(self):
        try:
            while True:
                self.one()
        except (OSError, ValueError):
            pass  # the daemon is gone: whatever was in flight is unknown
        finally:
            self.client.close()

    def one(self):
        rng = self.rng
        r = rng.random()
        signers = ("ed25519", "ecdsa-p256")
        if r < 0.2 or not self.ledger.keys:
            name = "r%d-w%d-%d" % (self.rnd, self.index, self.count)
            kt = rng.choice(KEY_TYPES)
            resp = self.client.post("/v1/keys", {"name": name, "type": kt})
            if resp.status == 201:
                self.ledger.add(self.rnd, "create", rid(resp), name=name,
                                type=kt)
        elif r < 0.3:
            name = self.ledger.pick(rng, KEY_TYPES)
            resp = self.client.post("/v1/keys/%s/rotate" % name)
            if resp.status == 200:
                self.ledger.add(self.rnd, "rotate", rid(resp), name=name,
                                version=resp.json()["primary_version"])
        elif r < 0.65:
            name = self.ledger.pick(rng, signers)
            if name is None:
                return
            msg = os.urandom(24)
            resp = self.client.post("/v1/keys/%s/sign" % name,
                                    {"input": b64(msg)})
            if resp.status == 200:
                j = resp.json()
                self.ledger.add(self.rnd, "sign", rid(resp), name=name,
                                input=b64(msg), signature=j["signature"],
                                version=j["key_version"])
        else:
            name = self.ledger.pick(rng, ("aes-256",))
            if name is None:
                return
            msg = os.urandom(20)
            resp = self.client.post("/v1/keys/%s/encrypt" % name,
                                    {"plaintext": b64(msg)})
            if resp.status == 200:
                self.ledger.add(self.rnd, "encrypt", rid(resp), name=name,
                                plaintext=b64(msg),
                                ciphertext=resp.json()["ciphertext"])
        self.count += 1


def rid(resp):
    return resp.headers.get("x-request-id", "")


class Trail:
    """The audit trail as fetched so far, checked to continue itself."""

    def __init__(self):
        self.lines = []  # canonical bytes per entry, seq = index + 1
        self.request_ids = set()
        self.head = audit_verify.ZERO

    def fetch(self, client):
        """Appends the entries after the last one saved; raises Lost if the
        daemon's trail does not continue the saved one."""
        cursor = str(len(self.lines)) if self.lines else None
        if self.lines:
            # The last saved entry must still be there, unchanged.
            r = client.get("/v1/audit?limit=1&cursor=%d" %
                           (len(self.lines) - 1))
            entries = r.json()["entries"] if r.status == 200 else []
            if (not entries or audit_verify.canonical_bytes(entries[0]) !=
                    self.lines[-1]):
                raise Lost("audit entry %d changed or vanished" %
                           len(self.lines))
        while True:
            path = "/v1/audit?limit=1000"
            if cursor is not None:
                path += "&cursor=" + cursor
            r = client.get(path)
            if r.status != 200:
                raise Lost("cannot read the audit trail: %r" % r)
            j = r.json()
            for e in j["entries"]:
                if e["seq"] != len(self.lines) + 1 or e["prev"] != self.head:
                    raise Lost("audit trail does not continue at seq %d" %
                               e["seq"])
                self.lines.append(audit_verify.canonical_bytes(e))
                self.head = e["hash"]
                self.request_ids.add(e.get("request_id", ""))
            cursor = j.get("next_cursor")
            if not cursor:
                break

    def verify(self, client, workdir, upto):
        """The saved trail up to the checkpoint at seq `upto` through the
        outside verifier (later entries are chained: fetch checked them)."""
        r = client.get("/v1/audit/pubkey")
        if r.status != 200:
            raise Lost("no audit public key: %r" % r)
        pem = workdir / "audit.pem"
        pem.write_text(r.json()["pem"])
        keys = audit_verify.load_keys([str(pem)])
        data = b"\n".join(self.lines[:upto]) + b"\n"
        try:
            audit_verify.verify(data, keys, allow_tail=False)
        except audit_verify.Bad as bad:
            raise Lost("audit trail does not verify: line %s: %s" %
                       (getattr(bad, "line", "?"), bad))


def check_ops(client, ledger, trail, rounds):
    """Checks the acknowledged operations of `rounds` (a set); returns how
    many were checked. Raises Lost on the first missing or wrong one."""
    by_key = {}
    n = 0
    for rnd, kind, d in ledger.ops:
        if rnd not in rounds:
            continue
        n += 1
        by_key.setdefault((d["name"], kind), []).append(d)
    for (name, kind), items in by_key.items():
        if kind == "create":
            r = client.get("/v1/keys/" + name)
            if r.status != 200 or r.json()["type"] != items[0]["type"]:
                raise Lost("key %s (created) missing: %r" % (name, r))
        elif kind == "rotate":
            r = client.get("/v1/keys/" + name)
            have = {v["version"] for v in r.json().get("versions", [])} \
                if r.status == 200 else set()
            for d in items:
                if d["version"] not in have:
                    raise Lost("key %s: rotated version %d missing" %
                               (name, d["version"]))
        elif kind == "sign":
            batch = [{"input": d["input"], "signature": d["signature"],
                      "key_version": d["version"]} for d in items]
            r = client.post("/v1/keys/%s/verify" % name, {"batch": batch})
            res = r.json().get("batch", []) if r.status == 200 else []
            if len(res) != len(batch) or not all(x.get("valid") for x in res):
                raise Lost("key %s: a signature no longer verifies: %r" %
                           (name, r))
        elif kind == "encrypt":
            batch = [{"ciphertext": d["ciphertext"]} for d in items]
            r = client.post("/v1/keys/%s/decrypt" % name, {"batch": batch})
            res = r.json().get("batch", []) if r.status == 200 else []
            if len(res) != len(batch) or any(
                    x.get("plaintext") != d["plaintext"]
                    for x, d in zip(res, items)):
                raise Lost("key %s: a ciphertext no longer decrypts: %r" %
                           (name, r))
    for rnd, request_id in ledger.request_ids:
        if rnd in rounds and request_id not in trail.request_ids:
            raise Lost("request %s has no audit entry" % request_id)
    return n


def check_records(client):
    """Every key of the instance opens (a corrupt record would not)."""
    cursor = None
    count = 0
    while True:
        path = "/v1/keys?limit=1000" + ("&cursor=" + cursor if cursor else "")
        r = client.get(path)
        if r.status != 200:
            raise Lost("listing keys fails: %r" % r)
        j = r.json()
        count += len(j["keys"])
        cursor = j.get("next_cursor")
        if not cursor:
            return count


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kills", type=int, default=30)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--dir", default=None, help="work directory (kept)")
    args = ap.parse_args(argv)
    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    workdir = pathlib.Path(args.dir or tempfile.mkdtemp(prefix="kwcrash-"))
    print("crash test: seed %d, %d kills, work directory %s" %
          (seed, args.kills, workdir), flush=True)

    inst = ConfiguredInstance(workdir, {"log": {"level": "warn"}})
    inst.start()
    inst.init(shares=3, threshold=2)
    ledger = Ledger()
    trail = Trail()
    checked = 0
    lost = 0
    kills = 0
    try:
        for rnd in range(1, args.kills + 1):
            workers = [Worker(inst, ledger, rnd, i, rng.random())
                       for i in range(args.workers)]
            for w in workers:
                w.start()
            time.sleep(rng.uniform(0.05, 0.8))
            inst.send(signal.SIGKILL)
            inst.proc.wait()
            kills += 1
            for w in workers:
                w.join(timeout=60)
            inst.start()
            st = inst.unseal(rng.sample(inst.shares, 2))
            if st["sealed"]:
                raise Lost("round %d: the instance did not unseal" % rnd)
            client = inst.root()
            r = client.post("/v1/audit/checkpoint")
            if r.status != 200:
                raise Lost("round %d: no checkpoint: %r" % (rnd, r))
            trail.fetch(client)
            trail.verify(client, workdir, r.json()["seq"])
            check_records(client)
            checked += check_ops(client, ledger, trail, {rnd})
            if rnd % 25 == 0 or rnd == args.kills:
                check_ops(client, ledger, trail, set(range(1, rnd + 1)))
            client.close()
            print("round %d: %d acknowledged so far, %d audit entries" %
                  (rnd, len(ledger.ops), len(trail.lines)), flush=True)
    except Lost as e:
        lost += 1
        print("LOST: %s" % e, flush=True)
    finally:
        rc = inst.stop()
        if rc not in (0, None):
            print("keywardend exited with %r at the end" % rc)
    print("crash test: %d kills, %d acknowledged operations checked, "
          "%d lost" % (kills, checked, lost), flush=True)
    return 0 if lost == 0 and kills == args.kills else 1


if __name__ == "__main__":
    sys.exit(main())
