#!/usr/bin/env python3
# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""The keywarden benchmark (issue 7): one invocation, one machine, every
target side by side, interleaved.

    bench/run.py [--build DIR] [--reps 3] [--seconds 3] [--conns 64]
                 [--ops a,b] [--targets a,b] [--json OUT] [--quick]

Targets (rows of bench/targets in --list):
  raw-1t, raw-2t      OpenSSL EVP in-process, contexts reused (the ceiling)
  rest-unix, rest-tls keywardend REST, single requests, --conns keep-alive
                      connections (each answer waits for the audit group
                      commit, so throughput needs concurrency)
  rest-*-b100         batches of 100 items, 8 connections
  rest-unix-stubw     the same against keywardend-bench-stub-writes (built
                      with -Dbench_stub_audit=true): every step of auditing
                      but the store writes, for the cost of durability
  rest-unix-stub      the same against keywardend-bench-stub-audit: no
                      auditing at all, for the cost of the whole audit path
  p11-kw-*            libkeywarden-pkcs11.so over the Unix socket
  p11-kwstub-1t       the same against the stub-audit daemon
  p11-softhsm-*       SoftHSMv2 (Debian softhsm2), same calls
Each repetition runs every (operation, target) pair once, targets in a
shuffled order; results are medians with min-max over the repetitions, and
ratios are taken within a repetition (paired), then summarised the same way.

Every count is verified: kwbench and `keywarden bench` check sampled
results (signatures against the public key, ciphertexts by decrypting) and
fail on a wrong one; `keywarden bench --samples` signatures are checked once
more here with python3-cryptography, outside keywarden.

The data directories are under /var/tmp (a real disk: the audit trail's
fsync is part of what is measured). Nothing here asserts a speed: --quick
is the CI smoke run (bench/meson.build, suite 'bench').
"""

import argparse
import base64
import json
import os
import pathlib
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from kwharness import Client, free_port  # noqa: E402  (HTTP, ports)

SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"
SOFTHSM_PIN = "4711-bench"
PARTITION = "bench"

SIGN = ["ecdsa-p256", "ecdsa-p384", "ed25519", "rsa2048-pkcs1",
        "rsa2048-pss", "rsa3072-pkcs1", "rsa3072-pss"]
ENC = ["aes-gcm-1k", "aes-gcm-64k"]
ALL_OPS = SIGN + ENC + ["datakey", "ec-keygen", "lookup"]
KEY_TYPE = {"ecdsa-p256": "ecdsa-p256", "ecdsa-p384": "ecdsa-p384",
            "ed25519": "ed25519", "rsa2048-pkcs1": "rsa-2048",
            "rsa2048-pss": "rsa-2048", "rsa3072-pkcs1": "rsa-3072",
            "rsa3072-pss": "rsa-3072", "aes-gcm-1k": "aes-256",
            "aes-gcm-64k": "aes-256", "datakey": "aes-256",
            "lookup": "ecdsa-p256"}
P11_OPS = SIGN + ENC + ["ec-keygen", "lookup"]
STUB_OPS = ["ecdsa-p256", "rsa2048-pkcs1", "aes-gcm-1k"]
# Batches of 100 of a slow operation (P-384, RSA-3072) on 8 connections
# take seconds each: the window would hold a handful.
BATCH_OPS = ["ecdsa-p256", "ed25519", "rsa2048-pkcs1", "rsa2048-pss",
             "aes-gcm-1k"]


def target_table(conns):
    """name -> (kind, parameters, operations it runs)."""
    return {
        "raw-1t": ("raw", {"threads": 1}, [o for o in ALL_OPS
                                            if o != "lookup"]),
        "raw-2t": ("raw", {"threads": 2}, ["ecdsa-p256", "rsa2048-pkcs1"]),
        "rest-unix": ("rest", {"via": "unix", "conns": conns}, ALL_OPS),
        "rest-tls": ("rest", {"via": "tls", "conns": conns}, ALL_OPS),
        "rest-unix-b100": ("rest", {"via": "unix", "conns": 8,
                                    "batch": 100}, BATCH_OPS),
        "rest-tls-b100": ("rest", {"via": "tls", "conns": 8, "batch": 100},
                          BATCH_OPS),
        "rest-unix-stub": ("rest", {"via": "unix", "conns": conns,
                                    "stub": "audit"}, STUB_OPS),
        "rest-unix-stubw": ("rest", {"via": "unix", "conns": conns,
                                     "stub": "writes"}, STUB_OPS),
        "p11-kw-1t": ("p11", {"module": "kw", "threads": 1}, P11_OPS),
        "p11-kw-2t": ("p11", {"module": "kw", "threads": 2},
                      ["ecdsa-p256", "ed25519", "rsa2048-pkcs1"]),
        "p11-kwstub-1t": ("p11", {"module": "kwstub", "threads": 1},
                          ["ecdsa-p256"]),
        "p11-softhsm-1t": ("p11", {"module": "softhsm", "threads": 1},
                           P11_OPS),
        "p11-softhsm-2t": ("p11", {"module": "softhsm", "threads": 2},
                           ["ecdsa-p256", "ed25519", "rsa2048-pkcs1"]),
    }


# ---- processes ------------------------------------------------------------


class Dev:
    """One `keywardend --dev` (or the stub-audit build) in its own dir."""

    def __init__(self, binary, workdir):
        self.binary = pathlib.Path(binary)
        self.dir = pathlib.Path(workdir)
        self.data = self.dir / "data"
        self.proc = None

    def start(self, timeout=120):
        self.dir.mkdir(parents=True, exist_ok=True)
        self.out = open(self.dir / "stdout.log", "wb")
        self.err = open(self.dir / "stderr.log", "wb")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [str(self.binary), "--dev", "--data", str(self.data), "--port",
             str(free_port())], stdout=self.out, stderr=self.err)
        env_file = self.data / "dev.env"
        while not env_file.exists() or "end ---" not in (
                self.dir / "stdout.log").read_text(errors="replace"):
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited:\n%s" % (
                    self.binary, (self.dir / "stderr.log").read_text()))
            if time.monotonic() - t0 > timeout:
                raise RuntimeError("%s did not start" % self.binary)
            time.sleep(0.05)
        self.start_s = time.monotonic() - t0
        self.env = {}
        for line in env_file.read_text().splitlines():
            if "=" in line and not line.startswith(("#", "export")):
                k, v = line.split("=", 1)
                self.env[k] = v.strip("'")
        self.pid = self.proc.pid
        self.root = Client.unix(self.env["KEYWARDEN_SOCKET"],
                                token=self.env["KEYWARDEN_TOKEN"],
                                timeout=120)
        return self

    def rss(self):
        for line in open("/proc/%d/status" % self.pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return None

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()
        self.err.close()


def ok(client, method, path, body=None):
    r = client.request(method, path, body=body)
    if r.status not in (200, 201, 204):
        raise RuntimeError("%s %s -> %r" % (method, path, r))
    return r.json() if r.body else None


class Instance:
    """A daemon with the partition, app principal and keys the benchmark
    uses, and a PKCS#11 module configuration for it."""

    def __init__(self, dev, workdir):
        self.dev = dev
        self.dir = pathlib.Path(workdir)

    def setup(self, key_types):
        root = self.dev.root
        q = "?partition=" + PARTITION
        ok(root, "POST", "/v1/partitions", {"name": PARTITION})
        ok(root, "POST", "/v1/principals" + q,
           {"name": "bench-app", "kind": "app",
            "roles": ["crypto-officer", "crypto-user"]})
        self.token = ok(root, "POST", "/v1/auth/tokens" + q,
                        {"principal": "bench-app", "ttl": 7 * 86400})["token"]
        self.app = Client.unix(self.dev.env["KEYWARDEN_SOCKET"],
                               token=self.token, timeout=120)
        for t in sorted(set(key_types)):
            ok(self.app, "POST", "/v1/keys",
               {"name": "kwbench-" + t, "type": t})
        tf = self.dir / "app.token"
        tf.write_text(self.token + "\n")
        os.chmod(tf, 0o600)
        self.p11conf = self.dir / "pkcs11.conf"
        self.p11conf.write_text(
            "addr = unix://%s\ntoken_file = %s\npartitions = %s\n"
            "io_timeout_ms = 120000\n" % (
                self.dev.env["KEYWARDEN_SOCKET"], tf, PARTITION))
        return self

    def populate(self, count, threads=16):
        """count filler keys in the partition (for lookups among many)."""
        def work(i0):
            c = Client.unix(self.dev.env["KEYWARDEN_SOCKET"],
                            token=self.token, timeout=120)
            for i in range(i0, count, threads):
                ok(c, "POST", "/v1/keys",
                   {"name": "kwbench-fill-%06d" % i, "type": "aes-256"})
            c.close()
        t0 = time.monotonic()
        ts = [threading.Thread(target=work, args=(i,))
              for i in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        return time.monotonic() - t0

    def rest_env(self, via):
        e = dict(os.environ)
        e["KEYWARDEN_TOKEN"] = self.token
        e["KEYWARDEN_CACERT"] = self.dev.env["KEYWARDEN_CACERT"]
        e["KEYWARDEN_ADDR"] = ("unix://" + self.dev.env["KEYWARDEN_SOCKET"]
                               if via == "unix"
                               else self.dev.env["KEYWARDEN_ADDR"])
        return e


class SoftHSM:
    """SoftHSMv2 with its own token directory: token 'kwbench' for the
    operations, 'kwfind' for lookups among many objects (kept apart so the
    fillers do not slow SoftHSM's other operations)."""

    def __init__(self, workdir):
        self.dir = pathlib.Path(workdir)
        (self.dir / "tokens").mkdir(parents=True, exist_ok=True)
        self.conf = self.dir / "softhsm2.conf"
        self.conf.write_text("directories.tokendir = %s\n"
                             "objectstore.backend = file\n"
                             "log.level = ERROR\n" % (self.dir / "tokens"))
        self.env = dict(os.environ, SOFTHSM2_CONF=str(self.conf))
        # Under ASan (the CI smoke run): SoftHSMv2 2.6 leaks OpenSSL
        # objects on every Ed25519 operation, with no frame of its own in
        # the stack LSan records, so leak checks are off for the processes
        # that load SoftHSM (the same harness is leak-checked on the
        # keywarden targets).
        self.env["ASAN_OPTIONS"] = ":".join(
            x for x in (os.environ.get("ASAN_OPTIONS"), "detect_leaks=0")
            if x)
        for label in ("kwbench", "kwfind"):
            subprocess.run(["softhsm2-util", "--init-token", "--free",
                            "--label", label, "--pin", SOFTHSM_PIN,
                            "--so-pin", SOFTHSM_PIN + "-so"],
                           env=self.env, check=True,
                           stdout=subprocess.DEVNULL)


# ---- one measurement --------------------------------------------------------


def run_json(args, env, timeout):
    p = subprocess.run([str(a) for a in args], env=env, capture_output=True,
                       text=True, timeout=timeout)
    out = p.stdout.strip()
    data = None
    try:
        data = json.loads(out) if out.startswith("{") and "\n{" not in out \
            else json.loads(out.splitlines()[-1])
    except (ValueError, IndexError):
        pass
    err = p.stderr.strip()
    if len(err) > 1500:  # the first lines say what went wrong
        err = err[:900] + "\n    [...]\n" + err[-600:]
    return p.returncode, data, err


def check_samples(path):
    """Signatures from `keywarden bench --samples`, verified here."""
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec, padding
    except ImportError:
        return None
    n = 0
    for line in pathlib.Path(path).read_text().splitlines():
        s = json.loads(line)
        pub = serialization.load_pem_public_key(s["pem"].encode())
        msg = base64.b64decode(s["input"])
        sig = base64.b64decode(s["signature"])
        h = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384()}.get(
            s.get("hash"))
        if s["scheme"] == "eddsa":
            pub.verify(sig, msg)
        elif s["scheme"] == "ecdsa":
            pub.verify(sig, msg, ec.ECDSA(h))
        elif s["scheme"] == "pss":
            pub.verify(sig, msg, padding.PSS(padding.MGF1(h),
                                             padding.PSS.DIGEST_LENGTH), h)
        else:
            pub.verify(sig, msg, padding.PKCS1v15(), h)
        n += 1  # verify() raised otherwise
    return n


class Bench:
    def __init__(self, args, build, work):
        self.a = args
        self.build = build
        self.work = work
        self.kwbench = build / "bench" / "kwbench"
        self.cli = build / "src" / "cli" / "keywarden"
        self.module = build / "src" / "pkcs11" / "libkeywarden-pkcs11.so"
        self.runs = []
        self.nsample = 0

    def spec(self, seconds=None):
        s = self.a.seconds if seconds is None else seconds
        return ["--seconds", s, "--warmup", self.a.warmup]

    def measure(self, target, kind, p, op, rep, rate=0):
        seconds = self.a.seconds
        if op == "ec-keygen" and kind != "raw":
            seconds = max(seconds, 2)  # few, slow calls
        timeout = 120 + 20 * seconds
        inst = self.stubs[p.get("stub", "audit")] \
            if p.get("stub") or p.get("module") == "kwstub" else self.inst
        if kind == "raw":
            rc, d, err = run_json(
                [self.kwbench, "raw", "--op", op, "--threads",
                 p["threads"]] + self.spec(seconds), os.environ, timeout)
        elif kind == "rest":
            sfile = self.work / ("samples-%d.jsonl" % self.nsample)
            self.nsample += 1
            args = [self.cli, "--json", "bench", "--op", op, "--conns",
                    p["conns"], "--batch", p.get("batch", 1),
                    "--daemon-pid", inst.dev.pid, "--samples", sfile,
                    "--rate", rate] + self.spec(seconds)
            if op != "ec-keygen":
                args += ["--key", "kwbench-" + KEY_TYPE[op]]
            rc, d, err = run_json(args, inst.rest_env(p["via"]), timeout)
            if d is not None:
                d = d["results"][0] if d.get("results") else None
            if d is not None and op in SIGN:
                try:
                    d["independent_verified"] = check_samples(sfile)
                except Exception as e:  # a wrong signature
                    d["independent_verified"] = 0
                    d["verify_failed"] = d.get("verify_failed", 0) + 1
                    err = "independent check: %r" % e
        else:
            m = p["module"]
            env = dict(os.environ)
            args = [self.kwbench, "p11", "--op", op, "--threads",
                    p["threads"]] + self.spec(seconds)
            if m == "softhsm":
                env = self.softhsm.env
                args += ["--module", SOFTHSM, "--pin", SOFTHSM_PIN,
                         "--token", "kwfind" if op == "lookup" else
                         "kwbench"]
            else:
                env["KEYWARDEN_PKCS11_CONF"] = str(inst.p11conf)
                args += ["--module", self.module, "--pin", inst.token,
                         "--daemon-pid", inst.dev.pid]
            if op == "ec-keygen":
                args += ["--sample-every", 4]
            rc, d, err = run_json(args, env, timeout)
        ok_ = (rc == 0 and d is not None and not d.get("unsupported")
               and d.get("errors", 1) == 0 and d.get("verify_failed", 1) == 0)
        rec = {"target": target, "op": op, "rep": rep, "rate": rate,
               "ok": ok_, "result": d, "error": None if ok_ else err}
        if d is not None and d.get("unsupported"):
            rec["ok"] = None
        self.runs.append(rec)
        mark = "ok" if ok_ else ("n/a" if rec["ok"] is None else "FAILED")
        print("  %-15s %-14s %10s ops/s  %s" % (
            target, op, "%.0f" % d["ops_per_s"] if ok_ else "-", mark),
            file=sys.stderr, flush=True)
        if rec["ok"] is False:
            print("    " + (err or "no output"), file=sys.stderr)
        return rec


# ---- summary ------------------------------------------------------------------


def med(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs),
            "n": len(xs)}


def fmt(m, digits=0, scale=1.0):
    if m is None:
        return "-"
    f = "%%.%df" % digits
    if m["n"] == 1:
        return f % (m["median"] * scale)
    return (f + " (" + f + "–" + f + ")") % (
        m["median"] * scale, m["min"] * scale, m["max"] * scale)


def summarise(runs, key, targets, ops):
    out = {}
    for t in targets:
        for o in ops:
            vals = [r["result"][key] for r in runs
                    if r["target"] == t and r["op"] == o and r["ok"]
                    and not r["rate"]]
            m = med(vals)
            if m is not None:
                out[(t, o)] = m
    return out


def paired(runs, num, den, op, key="ops_per_s", invert=False, num_op=None):
    """Per repetition: num's key / den's key (both of the same rep)."""
    by = {}
    for r in runs:
        if r["ok"] and not r["rate"]:
            by[(r["target"], r["op"], r["rep"])] = r["result"][key]
    reps = sorted({r["rep"] for r in runs})
    xs = []
    for rep in reps:
        a = by.get((num, num_op or op, rep))
        b = by.get((den, op, rep))
        if a is not None and b:
            xs.append(b / a if invert else a / b)
    return med(xs)


def table(title, stats, targets, ops, digits=0, scale=1.0):
    cols = [t for t in targets if any((t, o) in stats for o in ops)]
    lines = ["", "### " + title, "",
             "| op | " + " | ".join(cols) + " |",
             "|---" * (len(cols) + 1) + "|"]
    for o in ops:
        if not any((t, o) in stats for t in cols):
            continue
        lines.append("| %s | %s |" % (o, " | ".join(
            fmt(stats.get((t, o)), digits, scale) for t in cols)))
    return lines


GOALS = [
    # (label, kind, args, goal, comparison)
    ("REST TLS single, ECDSA P-256 vs raw 1 core", "ratio",
     ("rest-tls", "raw-1t", "ecdsa-p256"), 0.4, ">="),
    ("REST Unix single, ECDSA P-256 vs raw 1 core", "ratio",
     ("rest-unix", "raw-1t", "ecdsa-p256"), 0.5, ">="),
    ("REST Unix batch 100, ECDSA P-256 vs raw 1 core", "ratio",
     ("rest-unix-b100", "raw-1t", "ecdsa-p256"), 1.2, ">="),
    ("REST TLS batch 100, ECDSA P-256 vs raw 1 core", "ratio",
     ("rest-tls-b100", "raw-1t", "ecdsa-p256"), 1.2, ">="),
    ("REST Unix single, RSA-2048 vs raw 1 core", "ratio",
     ("rest-unix", "raw-1t", "rsa2048-pkcs1"), 0.85, ">="),
    ("REST TLS single, RSA-2048 vs raw 1 core", "ratio",
     ("rest-tls", "raw-1t", "rsa2048-pkcs1"), 0.85, ">="),
    ("p99 at half max throughput, Unix, ECDSA P-256 (us)", "halfmax",
     ("rest-unix",), 5000, "<="),
    ("p99 at half max throughput, TLS, ECDSA P-256 (us)", "halfmax",
     ("rest-tls",), 5000, "<="),
    ("durable audit vs audit writes stubbed, REST Unix ECDSA P-256",
     "ratio", ("rest-unix", "rest-unix-stubw", "ecdsa-p256"), 0.9, ">="),
    ("(for information) durable audit vs no audit, REST Unix ECDSA P-256",
     "ratio", ("rest-unix", "rest-unix-stub", "ecdsa-p256"), None, ">="),
    ("PKCS#11 ECDSA P-256 1 thread vs SoftHSMv2", "ratio",
     ("p11-kw-1t", "p11-softhsm-1t", "ecdsa-p256"), 3, ">="),
    ("PKCS#11 ECDSA P-256 2 threads vs SoftHSMv2", "ratio",
     ("p11-kw-2t", "p11-softhsm-2t", "ecdsa-p256"), 3, ">="),
    ("PKCS#11 ECDSA P-256 CPU/signature (client+daemon) vs raw", "cpu",
     ("p11-kw-1t", "raw-1t", "ecdsa-p256"), 2, "<="),
    ("PKCS#11 Ed25519 vs SoftHSMv2", "ratio",
     ("p11-kw-1t", "p11-softhsm-1t", "ed25519"), 5, ">="),
    ("PKCS#11 RSA-2048 PKCS#1 vs raw", "ratio",
     ("p11-kw-1t", "raw-1t", "rsa2048-pkcs1"), 0.8, ">="),
    ("PKCS#11 RSA-2048 PSS vs raw", "ratio",
     ("p11-kw-1t", "raw-1t", "rsa2048-pss"), 0.8, ">="),
    ("PKCS#11 AES-GCM 1 KiB vs SoftHSMv2", "ratio",
     ("p11-kw-1t", "p11-softhsm-1t", "aes-gcm-1k"), 3, ">="),
    ("PKCS#11 C_FindObjects by label among the fillers, p50 (us)", "p50",
     ("p11-kw-1t", "lookup"), 1000, "<="),
]


def goals(runs):
    res = []
    for label, kind, args, goal, cmp_ in GOALS:
        if kind == "ratio":
            m = paired(runs, args[0], args[1], args[2])
        elif kind == "cpu":
            m = paired(runs, args[0], args[1], args[2], key="cpu_us_per_op")
        elif kind == "p50":
            m = med([r["result"]["lat_p50_us"] for r in runs
                     if r["ok"] and r["target"] == args[0]
                     and r["op"] == args[1] and not r["rate"]])
        else:
            m = med([r["result"]["lat_p99_us"] for r in runs
                     if r["ok"] and r["target"] == args[0]
                     and r["op"] == "ecdsa-p256" and r["rate"]])
        met = None
        if m is not None and goal is not None:
            met = m["median"] >= goal if cmp_ == ">=" else m["median"] <= goal
        res.append({"goal": label, "target": "-" if goal is None else
                    "%s %s" % (cmp_, goal),
                    "measured": m, "met": met})
    return res


# ---- main -----------------------------------------------------------------------


def fsync_probe(directory, n=200):
    """fdatasync latency of a small rewrite in directory (what one audit
    commit waits for at least), us: p50, p99, p99.9, max."""
    path = pathlib.Path(directory) / "fsync-probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    lat = []
    try:
        for i in range(n):
            os.pwrite(fd, b"\0" * 4096, (i % 16) * 4096)
            t = time.perf_counter()
            os.fdatasync(fd)
            lat.append((time.perf_counter() - t) * 1e6)
    finally:
        os.close(fd)
        path.unlink()
    lat.sort()
    return {"p50_us": lat[n // 2], "p99_us": lat[int(n * .99)],
            "p999_us": lat[int(n * .999)], "max_us": lat[-1]}


def machine():
    cpu = ""
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    ossl = subprocess.run(["openssl", "version"], capture_output=True,
                          text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(),
            "kernel": platform.release(), "openssl": ossl,
            "loadavg_start": os.getloadavg()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("KW_BUILD_DIR",
                                                      str(ROOT / "build")))
    ap.add_argument("--stub-daemon", help="keywardend-bench-stub-audit "
                    "(default: BUILD/bench/..., if built; "
                    "keywardend-bench-stub-writes beside it)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--conns", type=int, default=64)
    ap.add_argument("--fillers", type=int, default=10000,
                    help="keys in the partition for the lookup rows")
    ap.add_argument("--softhsm-fillers", type=int, default=1000,
                    help="objects in SoftHSM's find token (it makes "
                    "token objects slowly, about 5/s here)")
    ap.add_argument("--ops", default=",".join(ALL_OPS))
    ap.add_argument("--targets")
    ap.add_argument("--json", help="write all results here")
    ap.add_argument("--workdir", help="keep data here (default: a new "
                    "directory under /var/tmp, removed at the end)")
    ap.add_argument("--quick", action="store_true",
                    help="CI smoke run: 1 rep, short, few fillers")
    a = ap.parse_args()
    if a.quick:
        a.reps, a.seconds, a.warmup, a.fillers = 1, 0.3, 0.1, 50
        a.softhsm_fillers = 20
        a.conns = min(a.conns, 16)
    build = pathlib.Path(a.build).resolve()
    ops = [o for o in a.ops.split(",") if o]
    table_ = target_table(a.conns)
    names = a.targets.split(",") if a.targets else list(table_)
    stub_bin = pathlib.Path(a.stub_daemon) if a.stub_daemon else \
        build / "bench" / "keywardend-bench-stub-audit"
    stub_bins = {"audit": stub_bin, "writes": stub_bin.parent /
                 "keywardend-bench-stub-writes"}
    if not all(p.exists() for p in stub_bins.values()):
        names = [n for n in names if "stub" not in n]
        print("note: %s not built (meson -Dbench_stub_audit=true): no stub "
              "rows" % stub_bin, file=sys.stderr)
    if not os.path.exists(SOFTHSM):
        names = [n for n in names if "softhsm" not in n]
    if not (build / "src" / "pkcs11" / "libkeywarden-pkcs11.so").exists():
        names = [n for n in names if not n.startswith("p11-kw")]
    work = pathlib.Path(a.workdir or tempfile.mkdtemp(prefix="kwbench-",
                                                      dir="/var/tmp"))
    work.mkdir(parents=True, exist_ok=True)
    b = Bench(a, build, work)
    info = {"machine": machine(), "args": vars(a), "targets": {
        n: {"kind": table_[n][0], **table_[n][1]} for n in names}}
    devs = []
    failed = False
    try:
        print("set-up in %s" % work, file=sys.stderr)
        info["fsync_start"] = fsync_probe(work)
        key_types = {KEY_TYPE[o] for o in ops if o in KEY_TYPE}
        dev = Dev(build / "src" / "daemon" / "keywardend", work / "kw")
        devs.append(dev.start())
        b.inst = Instance(dev, work / "kw").setup(key_types)
        info["daemon_start_s"] = dev.start_s
        b.stubs = {}
        for kind, binary in stub_bins.items():
            if not any(table_[n][1].get("stub") == kind or
                       (kind == "audit" and
                        table_[n][1].get("module") == "kwstub")
                       for n in names):
                continue
            sd = Dev(binary, work / ("kwstub-" + kind))
            devs.append(sd.start())
            b.stubs[kind] = Instance(sd, work / ("kwstub-" + kind)).setup(
                key_types)
        if any("softhsm" in n for n in names):
            b.softhsm = SoftHSM(work / "softhsm")
        if "lookup" in ops and a.fillers > 0:
            info["fillers"] = a.fillers
            info["softhsm_fillers"] = a.softhsm_fillers
            info["fillers_create_s"] = b.inst.populate(a.fillers)
            if "p11-softhsm-1t" in names:
                rc, _, err = run_json(
                    [b.kwbench, "populate", "--op", "lookup", "--module",
                     SOFTHSM, "--pin", SOFTHSM_PIN, "--token", "kwfind",
                     "--count", a.softhsm_fillers], b.softhsm.env, 7200)
                if rc != 0:
                    raise RuntimeError("SoftHSM populate: " + err)
        info["rss_after_setup"] = dev.rss()
        for rep in range(a.reps):
            print("repetition %d of %d" % (rep + 1, a.reps),
                  file=sys.stderr)
            order = list(names)
            random.Random(rep).shuffle(order)
            for op in ops:
                for t in order:
                    kind, p, tops = table_[t]
                    if op in tops:
                        b.measure(t, kind, p, op, rep)
        # p99 at half the maximum throughput (single requests).
        for t in ("rest-unix", "rest-tls"):
            if t not in names or "ecdsa-p256" not in ops:
                continue
            m = med([r["result"]["ops_per_s"] for r in b.runs
                     if r["ok"] and r["target"] == t
                     and r["op"] == "ecdsa-p256" and not r["rate"]])
            if m is None:
                continue
            for rep in range(a.reps):
                b.measure(t, "rest", table_[t][1], "ecdsa-p256", rep,
                          rate=round(m["median"] / 2, 1))
        info["rss_end"] = dev.rss()
        info["fsync_end"] = fsync_probe(work)
    finally:
        for d in devs:
            d.stop()
        if not a.workdir:
            shutil.rmtree(work, ignore_errors=True)
    info["machine"]["loadavg_end"] = os.getloadavg()

    failed = any(r["ok"] is False for r in b.runs)
    tops = summarise(b.runs, "ops_per_s", names, ops)
    lines = ["# keywarden benchmark", "",
             "machine: %(cpu)s, %(cores)d cores, %(openssl)s, load "
             "average %(loadavg_start)s at start" % info["machine"],
             "command: " + " ".join(sys.argv)]
    lines += table("operations per second: median (min–max) of %d "
                   "repetitions" % a.reps, tops, names, ops)
    lines += table("request latency p50, us", summarise(
        b.runs, "lat_p50_us", names, ops), names, ops)
    lines += table("request latency p99, us", summarise(
        b.runs, "lat_p99_us", names, ops), names, ops)
    lines += table("CPU time per operation, us (client + daemon)", summarise(
        b.runs, "cpu_us_per_op", names, ops), names, ops, digits=1)
    g = goals(b.runs)
    lines += ["", "### targets (issue 7, issue 5)", "",
              "| target | goal | measured: median (min–max) | met |",
              "|---|---|---|---|"]
    for x in g:
        lines.append("| %s | %s | %s | %s |" % (
            x["goal"], x["target"], fmt(x["measured"], 2),
            "-" if x["met"] is None else ("yes" if x["met"] else "NO")))
    lines += ["", "fdatasync of 4 KiB in the data directory (the floor of "
              "one durable request): p50 %.0f us, p99 %.0f us at the start; "
              "p50 %.0f us, p99 %.0f us at the end" % (
                  info["fsync_start"]["p50_us"], info["fsync_start"]["p99_us"],
                  info["fsync_end"]["p50_us"], info["fsync_end"]["p99_us"])]
    lines += ["", "daemon: start %.2f s, RSS %s MiB after set-up, %s MiB at "
              "the end" % (info.get("daemon_start_s", 0),
                           "%.0f" % (info["rss_after_setup"] / 2**20),
                           "%.0f" % (info["rss_end"] / 2**20))]
    if failed:
        lines += ["", "FAILED runs (a wrong or missing result): %d" % sum(
            1 for r in b.runs if r["ok"] is False)]
    print("\n".join(lines))
    if a.json:
        out = {"info": info, "runs": b.runs, "goals": g,
               "summary": {"%s %s" % k: v for k, v in tops.items()}}
        pathlib.Path(a.json).write_text(json.dumps(out, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
