#!/usr/bin/env python3
# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""A/B of one change: two builds (or snapshots of their binaries), the
same load, interleaved repetitions, paired ratios (by hand; how
docs/performance.md measures each profile-driven change).

    bench/snapshot.sh BUILD DIR         # copies the binaries ab.py runs
    bench/ab.py --a DIR --b DIR [--side client|daemon|pkcs11]
                [--op ecdsa-p256] [--conns 32] [--batch 1] [--via unix]
                [--rate 0] [--p11] [--threads 1] [--reps 5] [--seconds 3]

--side client: one daemon (A's), A's and B's `keywarden bench` in turns;
--side daemon: A's and B's daemon side by side, one client (B's): REST
               (`keywarden bench`, --rate for an open-loop load whose
               latency is what counts), or with --p11 B's PKCS#11 module
               under kwbench on --threads application threads;
--side pkcs11: one daemon (A's), A's and B's PKCS#11 module under kwbench.
Prints per repetition (with the audit trail's entries per commit, from the
daemon's /metrics) and the median (min-max) of B/A for ops/s, p50 and p99
latency and CPU per operation (client, daemon).
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from run import Dev, Instance, KEY_TYPE, run_json  # noqa: E402


def audit_counts(inst):
    """(entries, commits) of the daemon's audit trail so far."""
    text = inst.dev.root.get("/metrics").body
    m = dict(ln.rsplit(" ", 1) for ln in text.splitlines()
             if ln and not ln.startswith("#"))
    return (int(m.get("keywarden_audit_entries_total", 0)),
            int(m.get("keywarden_audit_commits_total", 0)))


def one(root, inst, a):
    e0, c0 = audit_counts(inst)
    r = run_one(root, inst, a)
    e1, c1 = audit_counts(inst)
    r["epc"] = (e1 - e0) / max(c1 - c0, 1)
    return r


def run_one(root, inst, a):
    root = pathlib.Path(root)
    if a.side == "pkcs11" or a.p11:
        env = dict(os.environ, KEYWARDEN_PKCS11_CONF=str(inst.p11conf))
        rc, d, err = run_json(
            [root / "bench/kwbench", "p11", "--op", a.op, "--threads",
             a.threads, "--seconds", a.seconds, "--warmup", 0.5,
             "--module", root / "src/pkcs11/libkeywarden-pkcs11.so",
             "--pin", inst.token, "--daemon-pid", inst.dev.pid], env, 600)
    else:
        args = [root / "src/cli/keywarden", "--json", "bench", "--op", a.op,
                "--conns", a.conns, "--batch", a.batch, "--seconds",
                a.seconds, "--warmup", 0.5, "--rate", a.rate,
                "--daemon-pid", inst.dev.pid]
        if a.op != "ec-keygen":
            args += ["--key", "kwbench-" + KEY_TYPE[a.op]]
        rc, d, err = run_json(args, inst.rest_env(a.via), 600)
        d = d["results"][0] if d else None
    if rc != 0 or d is None:
        raise RuntimeError(err)
    return {"ops": d["ops_per_s"], "p50": d["lat_p50_us"],
            "p99": d["lat_p99_us"],
            "client": d["cpu_client_s"] * 1e6 / d["ops"],
            "daemon": d["cpu_daemon_s"] * 1e6 / d["ops"]}


def med(xs):
    return "%.3f (%.3f-%.3f)" % (statistics.median(xs), min(xs), max(xs))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--a", required=True)
    ap.add_argument("--b", required=True)
    ap.add_argument("--side", choices=["client", "daemon", "pkcs11"],
                    default="client")
    ap.add_argument("--op", default="ecdsa-p256")
    ap.add_argument("--conns", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--via", default="unix")
    ap.add_argument("--rate", type=float, default=0,
                    help="REST: requests/s in all (0: back to back)")
    ap.add_argument("--p11", action="store_true",
                    help="--side daemon: load through B's PKCS#11 module")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=3)
    a = ap.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="kwab-", dir="/var/tmp"))
    devs = []
    try:
        roots = {"A": a.a, "B": a.b}
        insts = {}
        for k in ("A", "B") if a.side == "daemon" else ("A",):
            d = Dev(pathlib.Path(roots[k]) / "src/daemon/keywardend",
                    work / k)
            devs.append(d.start())
            insts[k] = Instance(d, work / k).setup([KEY_TYPE[a.op]])
        rows = []
        for rep in range(a.reps):
            r = {}
            for k in (("A", "B") if rep % 2 == 0 else ("B", "A")):
                if a.side == "daemon":
                    r[k] = one(a.b, insts[k], a)
                else:
                    r[k] = one(roots[k], insts["A"], a)
            rows.append(r)
            print("rep %d: %s" % (rep + 1, " | ".join(
                "%s %6.0f ops/s p50 %6.0f p99 %6.0f us, client %5.1f "
                "daemon %5.1f us/op, %4.1f entries/commit" % (
                    k, r[k]["ops"], r[k]["p50"], r[k]["p99"],
                    r[k]["client"], r[k]["daemon"], r[k]["epc"])
                for k in ("A", "B"))), flush=True)
        for key in ("ops", "p50", "p99", "client", "daemon"):
            print("B/A %-7s %s" % (key, med(
                [r["B"][key] / r["A"][key] for r in rows])))
        print(json.dumps({"args": vars(a), "rows": rows}))
    finally:
        for d in devs:
            d.stop()
        subprocess.run(["rm", "-rf", str(work)])


if __name__ == "__main__":
    main()
