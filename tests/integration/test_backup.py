# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""Backup and restore against real daemons (docs/backup.md): the disaster
drill, tampered backups refused with the target untouched, a rollback of a
running instance, scheduled backups, and a disk that fills up."""

import base64
import json
import os
import shutil
import subprocess
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

import audit_helpers
from kwharness import b64, cli, unb64

MSG = b"signed before the disaster"


def wait_restored(inst, token, count=1, timeout=30):
    """A restore answers before it is applied: the daemon then drains,
    swaps the database and reopens its listeners. Waits until the trail
    holds `count` backup_restored entries (the root token of the restored
    instance works only once it is applied)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = inst.unix(token).get("/v1/audit?op=backup_restored")
            if r.status == 200 and len(r.json()["entries"]) >= count:
                return inst.unix().ok("GET", "/v1/sys/status")
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("restore not applied:\n" + inst.stderr()[-3000:])


def export_trail(client):
    """The whole audit trail as canonical JSON lines (bytes)."""
    lines, cursor = [], None
    while True:
        path = "/v1/audit?limit=1000" + ("&cursor=" + cursor if cursor
                                         else "")
        j = client.ok("GET", path)
        lines += [audit_helpers.pyv.canonical_bytes(e) for e in j["entries"]]
        cursor = j.get("next_cursor")
        if not cursor:
            return lines


def verify_trail(client, tmp_path, upto):
    """Entries 1..upto (ending with a checkpoint) through the outside
    verifier with the instance's audit public keys."""
    pem = tmp_path / ("audit-%d.pem" % upto)
    pem.write_text(client.ok("GET", "/v1/audit/pubkey")["pem"])
    lines = export_trail(client)[:upto]
    ok, line, why = audit_helpers.py_verify(audit_helpers.join(lines), pem)
    assert ok, "line %s: %s" % (line, why)
    return lines


def addr(inst):
    return "unix://%s" % inst.socket


def use_instance(root):
    """Keys of every kind, a rotation, a user: what a site holds. Returns
    what it made, to check after the restore."""
    made = {"sig": {}, "ct": [], "pem": {}}
    for name, kt in (("release", "ecdsa-p256"), ("ci", "ed25519"),
                     ("legacy", "rsa-2048"), ("data", "aes-256"),
                     ("tags", "hmac-sha256")):
        root.ok("POST", "/v1/keys", {"name": name, "type": kt})
    # A ciphertext of each version of "data", signatures of "release" v2.
    for rotate in (True, False):
        made["ct"].append(root.ok("POST", "/v1/keys/data/encrypt",
                                  {"plaintext": b64(MSG)})["ciphertext"])
        if rotate:
            root.ok("POST", "/v1/keys/data/rotate")
    root.ok("POST", "/v1/keys/release/rotate")
    for name in ("release", "ci", "legacy"):
        made["sig"][name] = root.ok("POST", "/v1/keys/%s/sign" % name,
                                    {"input": b64(MSG)})
        made["pem"][name] = root.ok("GET", "/v1/keys/%s/public" % name)["pem"]
    made["mac"] = root.ok("POST", "/v1/keys/tags/mac",
                          {"input": b64(MSG)})["mac"]
    root.ok("POST", "/v1/principals",
            {"name": "alice", "kind": "user", "roles": ["crypto-user"],
             "password": "correct horse battery"})
    return made


def check_instance(root, made):
    """Every key signs, verifies and decrypts as it did before."""
    # Ed25519 and RSA PKCS#1 v1.5 are deterministic: the same signature.
    for name in ("ci", "legacy"):
        again = root.ok("POST", "/v1/keys/%s/sign" % name,
                        {"input": b64(MSG)})
        assert again["signature"] == made["sig"][name]["signature"]
    # ECDSA: the old signature still verifies, a new one verifies with
    # the public key saved before the disaster.
    old = made["sig"]["release"]
    assert root.ok("POST", "/v1/keys/release/verify",
                   {"input": b64(MSG), "signature": old["signature"],
                    "key_version": old["key_version"]})["valid"]
    new = root.ok("POST", "/v1/keys/release/sign", {"input": b64(MSG)})
    pub = serialization.load_pem_public_key(made["pem"]["release"].encode())
    pub.verify(unb64(new["signature"]), MSG, ec.ECDSA(hashes.SHA256()))
    for name in ("ci", "legacy", "release"):
        assert root.ok("GET", "/v1/keys/%s/public" % name)["pem"] == \
            made["pem"][name]
    assert [c[:6] for c in made["ct"]] == ["kw:v1:", "kw:v2:"]
    for ct in made["ct"]:
        pt = root.ok("POST", "/v1/keys/data/decrypt",
                     {"ciphertext": ct})["plaintext"]
        assert unb64(pt) == MSG
    assert root.ok("POST", "/v1/keys/tags/mac",
                   {"input": b64(MSG)})["mac"] == made["mac"]


def test_disaster_drill(make_instance, tmp_path):
    """Build a site, use it, back it up for five custodians, destroy it,
    restore with three custodians into a new instance elsewhere."""
    site = make_instance(name="site-a", init=False)
    site.init(shares=3, threshold=2)
    root = site.root()
    made = use_instance(root)
    status_a = root.ok("GET", "/v1/sys/status")
    cp = root.ok("POST", "/v1/audit/checkpoint")["seq"]
    trail_a = verify_trail(root, tmp_path, cp)

    backup = tmp_path / "offsite" / "site-a.kwb"
    backup.parent.mkdir()
    p = cli(["backup", "create", "--out", backup, "--custodians", "5",
             "--threshold", "3"], addr(site), site.root_token)
    assert p.returncode == 0, p.stderr
    custodians = [line.split(": ", 1)[1] for line in p.stdout.splitlines()
                  if line.startswith("Custodian share ")]
    assert len(custodians) == 5
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    # Anyone can check the structure without shares, offline.
    p = cli(["backup", "verify", backup, "--json"], "unix:///nonexistent")
    assert p.returncode == 0, p.stderr
    info = json.loads(p.stdout)
    assert info["authenticated"] is False
    assert info["instance_id"] == status_a["instance_id"]
    assert info["counts"]["keys"] == 5 and info["keying"] == "custodians"

    # The disaster: the machine and its data directory are gone.
    assert site.stop() == 0
    shutil.rmtree(site.dir)

    new = make_instance(name="site-b", init=False)
    assert new.unix().ok("GET", "/v1/sys/status")["initialized"] is False
    # Three custodians verify the offsite copy on the new machine...
    shares3 = "\n".join(custodians[1:4]) + "\n"
    p = cli(["backup", "verify", backup, "--shares", "--json"], addr(new),
            input=shares3)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["info"]["authenticated"] is True
    # ... and restore it.
    p = cli(["backup", "restore", backup, "--shares"], addr(new),
            input=shares3)
    assert p.returncode == 0, p.stderr
    fresh_shares = [line.split(": ", 1)[1] for line in p.stdout.splitlines()
                    if line.startswith("Unseal share ")]
    assert len(fresh_shares) == 5  # the custodians' N and M
    st = wait_restored(new, site.root_token)
    assert st["instance_id"] == status_a["instance_id"]
    assert st["sealed"] is False

    # Same root token, same keys, same behaviour.
    new.root_token = site.root_token
    root_b = new.root()
    check_instance(root_b, made)
    r = new.unix().post("/v1/auth/login",
                        {"user": "alice", "password": "correct horse battery"})
    assert r.status == 200, r

    # The trail continues the old one, with an entry recording the
    # restore, and verifies from seq 1.
    cp_b = root_b.ok("POST", "/v1/audit/checkpoint")["seq"]
    trail_b = verify_trail(root_b, tmp_path, cp_b)
    assert trail_b[:len(trail_a)] == trail_a
    restored = [json.loads(l) for l in trail_b[len(trail_a):]
                if b'"op":"backup_restored"' in l]
    assert len(restored) == 1
    assert restored[0]["result"] == "ok"
    assert restored[0]["source"] == "daemon"

    # The new instance's shares unseal it; the custodians' do not.
    root_b.ok("POST", "/v1/sys/seal")
    r = new.unix().post("/v1/sys/unseal", {"share": custodians[0]})
    assert r.status == 400, r
    new.unseal(fresh_shares[2:5])
    check_instance(new.root(), made)


def make_backup(inst, tmp_path, name="b.kwb", **body):
    j = inst.root().ok("POST", "/v1/backup", body or {"keying": "master"})
    path = tmp_path / name
    path.write_bytes(unb64(j["backup"]))
    return path, j


def untouched(inst):
    st = inst.unix().ok("GET", "/v1/sys/status")
    assert st["initialized"] is False, st
    assert not (inst.dir / "kw.db.restore").exists()


@pytest.fixture
def two_sites(make_instance, tmp_path):
    a = make_instance(name="a", init=False)
    a.init(shares=3, threshold=2)
    a.root().ok("POST", "/v1/keys", {"name": "k", "type": "ed25519"})
    other = make_instance(name="other", init=False)
    other.init(shares=3, threshold=2)
    target = make_instance(name="target", init=False)
    return a, other, target


def test_tampered_backup_refused(two_sites, tmp_path):
    a, other, target = two_sites
    good, _ = make_backup(a, tmp_path)
    data = good.read_bytes()
    cases = {}
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x01
    cases["flipped"] = bytes(flipped)
    cases["truncated"] = data[:len(data) - 100]
    for name, blob in cases.items():
        f = tmp_path / (name + ".kwb")
        f.write_bytes(blob)
        # Offline, without shares.
        p = cli(["backup", "verify", f], "unix:///nonexistent")
        assert p.returncode == 1, (name, p.stdout, p.stderr)
        assert "refused: " in p.stderr, p.stderr
        want = "damaged: chunk 1 of 1" if name == "flipped" else "cut off"
        assert want in p.stderr, p.stderr
        # With shares, and as a restore: refused, target untouched.
        body = {"backup": b64(blob), "shares": a.shares[:2]}
        r = target.unix().post("/v1/backup/verify", body)
        assert r.status == 400 and "backup refused" in r.json()[
            "error"]["message"], r
        r = target.unix().post("/v1/backup/restore", body)
        assert r.status == 400 and r.code == "invalid_argument", r
        untouched(target)
    # Another instance's backup with this instance's shares, and the
    # other way round.
    theirs, _ = make_backup(other, tmp_path, "other.kwb")
    for blob, shares in ((theirs.read_bytes(), a.shares[:2]),
                         (data, other.shares[1:])):
        r = target.unix().post("/v1/backup/restore",
                               {"backup": b64(blob), "shares": shares})
        assert r.status == 400 and r.code == "verification_failed", r
        assert "does not open this backup" in r.json()["error"]["message"]
        untouched(target)
    # The refusals are in the target's own trail; and the good backup
    # still restores.
    r = target.unix().post("/v1/backup/restore",
                           {"backup": b64(data), "shares": a.shares[:2]})
    assert r.status == 200, r
    wait_restored(target, a.root_token)
    target.root_token = a.root_token
    assert target.root().ok("GET", "/v1/keys/k")["type"] == "ed25519"


def test_rollback_running_instance(make_instance, tmp_path):
    """A master-keyed backup rolls the running instance back (system
    security officer); the trail keeps everything since and records it."""
    inst = make_instance(init=False)
    inst.init(shares=3, threshold=2)
    root = inst.root()
    root.ok("POST", "/v1/keys", {"name": "kept", "type": "ecdsa-p256"})
    path, _ = make_backup(inst, tmp_path)
    root.ok("POST", "/v1/keys", {"name": "later", "type": "ed25519"})
    before = export_trail(root)

    # Without a token: not for a running instance.
    r = inst.unix().post("/v1/backup/restore", {"backup": b64(
        path.read_bytes())})
    assert r.status == 401, r
    p = cli(["backup", "restore", path], addr(inst), inst.root_token,
            extra_env={"KEYWARDEN_TOKEN": inst.root_token})
    assert p.returncode == 0, p.stderr
    wait_restored(inst, inst.root_token)
    root = inst.root()
    assert root.get("/v1/keys/later").status == 404
    assert root.ok("GET", "/v1/keys/kept")["type"] == "ecdsa-p256"
    cp = root.ok("POST", "/v1/audit/checkpoint")["seq"]
    after = verify_trail(root, tmp_path, cp)
    assert after[:len(before)] == before
    ops = [json.loads(l)["op"] for l in after[len(before):]]
    assert "backup_restore" in ops and "backup_restored" in ops
    # The same shares still unseal it.
    root.ok("POST", "/v1/sys/seal")
    inst.unseal(inst.shares[:2])


def test_scheduled_backups(make_instance, tmp_path):
    d = tmp_path / "backups"
    d.mkdir()
    inst = make_instance(overrides={"backup": {
        "directory": str(d), "interval": 1, "keep": 2}})
    root = inst.root()
    root.ok("POST", "/v1/keys", {"name": "k", "type": "aes-256"})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ops = [json.loads(l) for l in export_trail(root)
               if b'"op":"backup_scheduled"' in l]
        if len(ops) >= 3:
            break
        time.sleep(0.2)
    assert len(ops) >= 3 and all(e["result"] == "ok" for e in ops), ops
    assert inst.stop() == 0  # no more runs while the files are checked
    files = sorted(d.glob("keywarden-*.kwb"))
    assert len(files) == 2, files  # keep: 2
    assert not list(d.glob("*.tmp"))
    other = make_instance(name="checker", init=False)
    for f in files:
        p = cli(["backup", "verify", f], "unix:///nonexistent")
        assert p.returncode == 0, p.stderr
        r = other.unix().post("/v1/backup/verify", {
            "backup": b64(f.read_bytes()), "shares": inst.shares})
        assert r.status == 200 and r.json()["info"]["authenticated"], r


@pytest.mark.skipif(os.geteuid() != 0, reason="mounts a small tmpfs")
def test_restore_disk_full(make_instance, tmp_path):
    """A restore onto a full disk fails cleanly: the target keeps serving,
    uninitialised, nothing half-written; once there is room it works."""
    src = make_instance(name="src")
    root = src.root()
    for i in range(200):
        root.ok("POST", "/v1/keys", {"name": "k%d" % i, "type": "ecdsa-p256"})
    path, _ = make_backup(src, tmp_path)
    fs = tmp_path / "small"
    fs.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs",
                    str(fs)], check=True)
    try:
        target = make_instance(name="small/target", init=False)
        # Room for the target's own audit entries, not for the restore.
        st = os.statvfs(fs)
        filler = fs / "filler"
        filler.write_bytes(b"\0" * (st.f_bavail * st.f_frsize - 160 * 1024))
        body = {"backup": b64(path.read_bytes()), "shares": src.shares}
        r = target.unix().post("/v1/backup/restore", body)
        assert r.status == 500 and r.code == "storage_error", r
        assert "disk full or failing); nothing was changed" in \
            r.json()["error"]["message"], r
        untouched(target)
        filler.unlink()
        r = target.unix().post("/v1/backup/restore", body)
        assert r.status == 200, r
        wait_restored(target, src.root_token)
        target.root_token = src.root_token
        assert target.root().ok("GET", "/v1/keys/k199")["type"] == \
            "ecdsa-p256"
        assert target.stop() == 0
    finally:
        subprocess.run(["umount", "-l", str(fs)], check=False)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounts a small tmpfs")
def test_scheduled_backups_disk_full(make_instance, tmp_path):
    """Scheduled backups into a full file system fail cleanly (audited, no
    file left behind, the instance keeps serving) and resume once there is
    room."""
    d = tmp_path / "backups"
    d.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs",
                    str(d)], check=True)
    try:
        inst = make_instance(overrides={"backup": {
            "directory": str(d), "interval": 1, "keep": 2}})
        root = inst.root()
        for i in range(20):
            root.ok("POST", "/v1/keys", {"name": "k%d" % i,
                                         "type": "ecdsa-p256"})

        def scheduled():
            return [json.loads(l) for l in export_trail(root)
                    if b'"op":"backup_scheduled"' in l]

        deadline = time.monotonic() + 30
        while not any(e["result"] == "error" for e in scheduled()):
            assert time.monotonic() < deadline, scheduled()
            time.sleep(0.2)
        err = [e for e in scheduled() if e["result"] == "error"][0]
        assert "No space left on device" in err["reason"], err
        assert list(d.iterdir()) == []
        root.ok("POST", "/v1/keys/k1/sign", {"input": b64(b"still up")})
        subprocess.run(["mount", "-o", "remount,size=4m", str(d)],
                       check=True)
        while not any(e["result"] == "ok" for e in scheduled()):
            assert time.monotonic() < deadline + 30, scheduled()
            time.sleep(0.2)
        assert len(list(d.glob("keywarden-*.kwb"))) >= 1
        assert inst.stop() == 0
    finally:
        subprocess.run(["umount", "-l", str(d)], check=False)
