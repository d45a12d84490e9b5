#!/usr/bin/env python3
# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""Scale runs (issue 7), by hand: many keys in one partition.

    bench/scale.py keys  [--keys 1000000] [--small 1000] [--procs 8]
    bench/scale.py start [--keys 100000] [--restarts 3]
    (common: --build DIR, --workdir DIR to keep or reuse the data,
     --json OUT)

keys:  creates --keys ECDSA P-256 keys in partition "scale" of a dev
       instance (the creation rate is logged every 5% and reported), and
       --small keys in a fresh instance; then, on each, with the daemon
       restarted (cache empty): lookups (GET /v1/keys/NAME) and signatures
       of keys never touched since the start (cold) and of a set of
       keys already used (warm); p50/p99 latency of one request at a time
       and the daemon's CPU time per request; the daemon's RSS after the
       creation, after the cold pass over more distinct keys than the
       cache holds, and at the end (it must stay bounded by the cache).
start: restarts a dev instance holding --keys keys and times process
       start to unsealed and serving (dev mode unseals itself with its
       share file: the unseal is part of the start).

Each request here waits for its audit entry to be durable, so a single
request's latency includes one fsync; the daemon CPU per request is the
figure the key count could change. Python is the client (one connection
per process, stdlib http.client over the Unix socket), which is slow but
outside the daemon's CPU figures.
"""

import argparse
import base64
import json
import multiprocessing as mp
import os
import pathlib
import random
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from run import Dev, ok, PARTITION  # noqa: E402
from kwharness import Client  # noqa: E402

SCALE = "scale"


def cpu_of(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def creator(args):
    sock, token, names = args
    c = Client.unix(sock, token=token, timeout=300)
    for n in names:
        for attempt in range(3):
            r = c.request("POST", "/v1/keys", body={"name": n,
                                                    "type": "ecdsa-p256"})
            if r.status in (200, 201) or r.code == "already_exists":
                break
        else:
            raise RuntimeError("create %s: %r" % (n, r))
    c.close()
    return len(names)


def name_of(i):
    return "k%07d" % i


class Scale:
    def __init__(self, binary, workdir):
        self.dev = Dev(binary, workdir)

    def start(self):
        self.dev.start()
        return self

    def token(self):
        """An app token of partition scale (made once, kept in the data
        directory next to dev.env)."""
        tf = self.dev.dir / "scale.token"
        if tf.exists():
            return tf.read_text().strip()
        root = self.dev.root
        q = "?partition=" + SCALE
        r = root.request("POST", "/v1/partitions", body={"name": SCALE})
        assert r.status in (200, 201) or r.code == "already_exists", r
        ok(root, "POST", "/v1/principals" + q,
           {"name": "scale-app", "kind": "app",
            "roles": ["crypto-officer", "crypto-user"]})
        tok = ok(root, "POST", "/v1/auth/tokens" + q,
                 {"principal": "scale-app", "ttl": 30 * 86400})["token"]
        tf.write_text(tok + "\n")
        return tok

    def count(self, tok):
        """Keys already there (k0000000.. are made in order per process,
        so probing is enough to resume)."""
        c = Client.unix(self.dev.env["KEYWARDEN_SOCKET"], token=tok)
        n = 0
        r = c.request("GET", "/v1/keys?limit=1000")
        while r.status == 200:
            body = r.json()
            n += len(body["keys"])
            if not body.get("next_cursor"):
                break
            r = c.request("GET", "/v1/keys?limit=1000&cursor=" +
                          body["next_cursor"])
        return n

    def create(self, total, procs, log):
        tok = self.token()
        sock = self.dev.env["KEYWARDEN_SOCKET"]
        have = self.count(tok) if total > 0 else 0
        # An interrupted run may have left gaps in its last chunk: it is
        # done again (a name that exists counts as made).
        start = max(0, have - 50000) if have < total else have
        todo = [name_of(i) for i in range(start, total)]
        chunk = max(1000, len(todo) // 20)
        t0 = time.monotonic()
        c0 = cpu_of(self.dev.pid)
        done = start
        timeline = []
        with mp.Pool(procs) as pool:
            for i in range(0, len(todo), chunk):
                part = todo[i:i + chunk]
                ts = time.monotonic()
                pool.map(creator, [(sock, tok, part[j::procs])
                                   for j in range(procs)])
                done += len(part)
                rate = len(part) / (time.monotonic() - ts)
                timeline.append({"keys": done, "rate": rate,
                                 "rss": self.dev.rss()})
                log("  %8d keys, %6.0f keys/s, RSS %.0f MiB" % (
                    done, rate, self.dev.rss() / 2**20))
        secs = time.monotonic() - t0
        return {"created": len(todo), "had": have, "seconds": secs,
                "rate": len(todo) / secs if secs > 0 and todo else None,
                "daemon_cpu_us_per_key": (cpu_of(self.dev.pid) - c0) * 1e6 /
                len(todo) if todo else None,
                "timeline": timeline}

    def probe(self, tok, names, op):
        """One request at a time; latency and daemon CPU per request."""
        c = Client.unix(self.dev.env["KEYWARDEN_SOCKET"], token=tok)
        lat = []
        msg = base64.b64encode(b"scale" * 12).decode()
        c0 = cpu_of(self.dev.pid)
        for n in names:
            t = time.perf_counter()
            if op == "lookup":
                r = c.request("GET", "/v1/keys/" + n)
            else:
                r = c.request("POST", "/v1/keys/%s/sign" % n,
                              body={"input": msg})
            lat.append(time.perf_counter() - t)
            assert r.status == 200, r
        cpu = cpu_of(self.dev.pid) - c0
        c.close()
        lat.sort()
        return {"n": len(lat), "p50_us": lat[len(lat) // 2] * 1e6,
                "p99_us": lat[min(len(lat) - 1, int(len(lat) * .99))] * 1e6,
                "daemon_cpu_us": cpu * 1e6 / len(lat)}

    def measure(self, total, samples, log):
        """Restarted (cold cache): cold lookups, cold signs, then warm."""
        self.dev.stop()
        self.dev.start()
        tok = self.token()
        rnd = random.Random(7)
        picks = rnd.sample(range(total), min(total, 2 * samples))
        cold_l = [name_of(i) for i in picks[:samples]]
        cold_s = [name_of(i) for i in picks[samples:2 * samples]] or cold_l
        warm = cold_l[:min(len(cold_l), 500)]
        out = {"rss_start": self.dev.rss()}
        out["lookup_cold"] = self.probe(tok, cold_l, "lookup")
        out["sign_cold"] = self.probe(tok, cold_s, "sign")
        out["lookup_warm"] = self.probe(tok, warm * max(
            1, samples // len(warm)), "lookup")
        out["sign_warm"] = self.probe(tok, warm * max(
            1, samples // len(warm)), "sign")
        out["rss_end"] = self.dev.rss()
        for k in ("lookup_cold", "sign_cold", "lookup_warm", "sign_warm"):
            log("  %-12s p50 %8.0f us  p99 %8.0f us  daemon CPU %6.0f us" % (
                k, out[k]["p50_us"], out[k]["p99_us"],
                out[k]["daemon_cpu_us"]))
        return out

    def sweep(self, total, count, log):
        """Cold lookups over count distinct keys (more than the cache
        holds): RSS must stay bounded."""
        tok = self.token()
        names = [name_of(i) for i in random.Random(11).sample(
            range(total), min(total, count))]
        before = self.dev.rss()
        r = self.probe(tok, names, "sign")
        r.update({"rss_before": before, "rss_after": self.dev.rss(),
                  "distinct_keys": len(names)})
        log("  sweep of %d keys: RSS %.0f -> %.0f MiB" % (
            len(names), before / 2**20, r["rss_after"] / 2**20))
        return r


def log(s):
    print(s, file=sys.stderr, flush=True)


def cmd_keys(a, build, work):
    binary = build / "src" / "daemon" / "keywardend"
    res = {}
    for label, n in (("small", a.small), ("large", a.keys)):
        if a.only not in (None, label):
            continue
        log("%s: %d keys" % (label, n))
        s = Scale(binary, work / label).start()
        res[label] = {"create": None if a.no_create else
                      s.create(n, a.procs, log),
                      "rss_after_create": s.dev.rss()}
        if not a.create_only:
            res[label]["measure"] = s.measure(n, a.samples, log)
            if label == "large":
                res[label]["sweep"] = s.sweep(n, a.sweep, log)
        s.dev.stop()
    if a.only is not None or a.create_only:
        return res
    for k in ("lookup_cold", "sign_cold", "lookup_warm", "sign_warm"):
        big = res["large"]["measure"][k]["p50_us"]
        small = res["small"]["measure"][k]["p50_us"]
        res["ratio_p50_" + k] = big / small
        log("%-12s p50 %d keys / %d keys: %.2f" % (k, a.keys, a.small,
                                                    big / small))
    return res


def cmd_start(a, build, work):
    binary = build / "src" / "daemon" / "keywardend"
    s = Scale(binary, work / "start").start()
    res = {"create": s.create(a.keys, a.procs, log)}
    s.dev.stop()
    times = []
    for i in range(a.restarts):
        t0 = time.monotonic()
        s.dev.start()
        times.append(time.monotonic() - t0)
        tok = s.token()
        c = Client.unix(s.dev.env["KEYWARDEN_SOCKET"], token=tok)
        r = c.request("GET", "/v1/keys/" + name_of(a.keys - 1))
        assert r.status == 200, r
        c.close()
        log("  start + unseal with %d keys: %.2f s (RSS %.0f MiB)" % (
            a.keys, times[-1], s.dev.rss() / 2**20))
        s.dev.stop()
    res["start_unseal_s"] = {"median": statistics.median(times),
                             "min": min(times), "max": max(times),
                             "all": times}
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=["keys", "start"])
    ap.add_argument("--build", default=os.environ.get(
        "KW_BUILD_DIR", str(pathlib.Path(__file__).resolve().parents[1] /
                            "build")))
    ap.add_argument("--keys", type=int)
    ap.add_argument("--small", type=int, default=1000)
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--sweep", type=int, default=30000)
    ap.add_argument("--procs", type=int, default=8)
    ap.add_argument("--restarts", type=int, default=3)
    ap.add_argument("--no-create", action="store_true",
                    help="keys: measure the keys already in --workdir")
    ap.add_argument("--only", choices=["small", "large"],
                    help="keys: one of the two instances")
    ap.add_argument("--create-only", action="store_true",
                    help="keys: make the keys, measure nothing")
    ap.add_argument("--workdir")
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.keys is None:
        a.keys = 1000000 if a.what == "keys" else 100000
    build = pathlib.Path(a.build).resolve()
    work = pathlib.Path(a.workdir or tempfile.mkdtemp(prefix="kwscale-",
                                                      dir="/var/tmp"))
    work.mkdir(parents=True, exist_ok=True)
    log("data in %s" % work)
    try:
        res = cmd_keys(a, build, work) if a.what == "keys" else \
            cmd_start(a, build, work)
    finally:
        if not a.workdir:
            shutil.rmtree(work, ignore_errors=True)
    res["args"] = vars(a)
    out = json.dumps(res, indent=1)
    if a.json:
        pathlib.Path(a.json).write_text(out)
    print(out)


if __name__ == "__main__":
    main()
