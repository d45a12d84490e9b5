#!/usr/bin/env python3
# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""Where a request's CPU time goes: perf on a dev daemon under
`keywarden bench` load (by hand; docs/performance.md quotes its output).

    bench/profile.py [--build DIR] [--stub] [--who daemon|client]
                     [--op ecdsa-p256] [--conns 32] [--batch 1]
                     [--via unix|tls] [--seconds 5] [--keep DIR]

Starts keywardend --dev (--stub: keywardend-bench-stub-audit), makes the
key, runs `keywarden bench` and records the daemon (or the bench client)
with `perf record -e cpu-clock --call-graph dwarf`; prints the bench line
and the inclusive share of the functions that mark the stages of a
request, then the top self-time symbols.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from run import Dev, Instance, KEY_TYPE  # noqa: E402

STAGES = [
    # daemon
    ("MHD connection handling (all of a request on a worker)",
     "MHD_connection_handle_idle"),
    ("request dispatch (auth checked, handler, audit submit)", "dispatch"),
    ("  body JSON parse (jansson)", "kw_json_parse_body"),
    ("  request decode", "kw_req_decode"),
    ("  authentication (token cache)", "kw_svc_authenticate"),
    ("  key authorisation (key info, policy)", "svc_authorize_key"),
    ("  signature (OpenSSL)", "kw_ckey_sign"),
    ("  encryption (OpenSSL)", "kw_ckey_gcm_encrypt"),
    ("  answer JSON (jansson dump)", "kw_reply_json"),
    ("  audit submit (event to JSON)", "kw_audit_submit"),
    ("response queued (headers, metrics)", "respond"),
    ("audit writer thread", "audit_writer_main"),
    ("  entry canonical JSON (JCS)", "kw_jcs_encode"),
    ("  entry hash", "kw_audit_entry_hash"),
    ("  SQLite commit (WAL write + fdatasync)", "kw_store_txn_commit"),
    ("  fdatasync", "fdatasync"),
    ("  resuming the connections", "audit_items_complete"),
    ("socket send (sendmsg)", "__libc_sendmsg"),
    ("socket receive (recv)", "__libc_recv"),
    ("epoll_wait", "epoll_wait"),
    ("epoll_ctl (suspend/resume)", "epoll_ctl"),
    ("malloc + free", "malloc"),
    # client
    ("client: kw_client_call", "kw_client_call"),
    ("client: request JSON (json_dumpb)", "json_dumpb"),
    ("client: response JSON (json_loadb)", "json_loadb"),
    ("client: SIGPIPE guard", "kw_sigpipe_block"),
    ("client: idle check before sending", "kw_transport_alive"),
    ("client: waiting (poll)", "kw_transport_wait"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get(
        "KW_BUILD_DIR", str(pathlib.Path(__file__).resolve().parents[1] /
                            "build")))
    ap.add_argument("--stub", action="store_true")
    ap.add_argument("--who", choices=["daemon", "client"], default="daemon")
    ap.add_argument("--op", default="ecdsa-p256")
    ap.add_argument("--conns", type=int, default=32)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--via", choices=["unix", "tls"], default="unix")
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--keep")
    a = ap.parse_args()
    build = pathlib.Path(a.build).resolve()
    work = pathlib.Path(a.keep or tempfile.mkdtemp(prefix="kwprof-",
                                                   dir="/var/tmp"))
    binary = build / ("bench/keywardend-bench-stub-audit" if a.stub
                      else "src/daemon/keywardend")
    dev = Dev(binary, work / "kw").start()
    try:
        inst = Instance(dev, work / "kw").setup([KEY_TYPE[a.op]])
        cmd = [str(build / "src/cli/keywarden"), "bench", "--op", a.op,
               "--conns", str(a.conns), "--batch", str(a.batch),
               "--seconds", str(a.seconds + 2), "--warmup", "1",
               "--daemon-pid", str(dev.pid)]
        if a.op != "ec-keygen":
            cmd += ["--key", "kwbench-" + KEY_TYPE[a.op]]
        bench = subprocess.Popen(cmd, env=inst.rest_env(a.via),
                                 stdout=subprocess.PIPE, text=True)
        time.sleep(1.5)
        pid = dev.pid if a.who == "daemon" else bench.pid
        data = work / "perf.data"
        subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F",
                        "1000", "--call-graph", "dwarf,16384", "-p",
                        str(pid), "-o", str(data), "--", "sleep",
                        str(a.seconds)], check=True,
                       stderr=subprocess.DEVNULL)
        out, _ = bench.communicate()
        print(out.strip())
        rep = subprocess.run(["perf", "report", "-i", str(data),
                              "--children", "--sort", "sym", "-g", "none",
                              "--stdio"], capture_output=True,
                             text=True).stdout
        incl = {}
        for line in rep.splitlines():
            f = line.split()
            if len(f) >= 4 and f[0].endswith("%") and f[1].endswith("%"):
                incl.setdefault(f[-1], float(f[0][:-1]))
        print("\n%s CPU, inclusive share of the stages:" % a.who)
        for label, sym in STAGES:
            if sym in incl:
                print("  %6.1f%%  %s" % (incl[sym], label))
        self_ = subprocess.run(["perf", "report", "-i", str(data),
                                "--no-children", "--sort", "dso,sym", "-g",
                                "none", "--stdio"], capture_output=True,
                               text=True).stdout
        print("\ntop self time:")
        n = 0
        for line in self_.splitlines():
            if line.strip() and not line.startswith("#") and n < 25:
                print("  " + line.strip())
                n += 1
    finally:
        dev.stop()
    if not a.keep:
        subprocess.run(["rm", "-rf", str(work)])


if __name__ == "__main__":
    main()
