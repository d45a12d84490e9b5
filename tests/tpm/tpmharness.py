# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""swtpm for the TPM tests: manufactured with EK certificates from a local
CA (swtpm_setup + swtpm_localca, configured in a temporary directory),
started as a TCP TPM 2.0 simulator on free ports, restarted (a TPM Reset:
resetCount grows), snapshotted and rolled back, and always stopped.

tpm2-tools run against it with TPM2TOOLS_TCTI; the helpers build the
evidence keywarden's API takes from their output files.
"""

import base64
import hashlib
import os
import pathlib
import shutil
import signal
import socket
import struct
import subprocess
import time

ALIVE = []  # every running swtpm, stopped at the end whatever happens


def _free_ports():
    """Two free consecutive TCP ports (server P, control P + 1: the swtpm
    TCTI finds the control channel there)."""
    for _ in range(100):
        a = socket.socket()
        a.bind(("127.0.0.1", 0))
        port = a.getsockname()[1]
        b = socket.socket()
        try:
            b.bind(("127.0.0.1", port + 1))
        except OSError:
            continue
        finally:
            a.close()
            b.close()
        return port, port + 1
    raise AssertionError("no two consecutive free ports")


class LocalCA:
    """A TPM manufacturer CA: swtpm_localca's root and issuer, in dir."""

    def __init__(self, directory):
        self.dir = pathlib.Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.conf = self.dir / "swtpm-localca.conf"
        self.conf.write_text(
            "statedir = %s\nsigningkey = %s/signkey.pem\n"
            "issuercert = %s/issuercert.pem\ncertserial = %s/certserial\n"
            % ((self.dir,) * 4))
        self.setup_conf = self.dir / "swtpm_setup.conf"
        self.setup_conf.write_text(
            "create_certs_tool = /usr/bin/swtpm_localca\n"
            "create_certs_tool_config = %s\n"
            "create_certs_tool_options = /etc/swtpm-localca.options\n"
            "active_pcr_banks = sha256\n" % self.conf)

    @property
    def bundle(self):
        """The issuer and root certificates in one PEM file (what
        keywarden's tpm.ek_ca_file names)."""
        out = self.dir / "ek-ca-bundle.pem"
        out.write_bytes((self.dir / "issuercert.pem").read_bytes() +
                        (self.dir / "swtpm-localca-rootca-cert.pem")
                        .read_bytes())
        return out


class SwTPM:
    """One simulated TPM with its state in dir, certified by ca."""

    def __init__(self, directory, ca):
        self.dir = pathlib.Path(directory)
        self.state = self.dir / "state"
        self.state.mkdir(parents=True, exist_ok=True)
        self.ca = ca
        self.proc = None
        # Fixed for the TPM's life, so a daemon's TCTI stays right across
        # reboots.
        self.port, self.ctrl = _free_ports()
        p = subprocess.run(
            ["swtpm_setup", "--tpm2", "--tpmstate", str(self.state),
             "--create-ek-cert", "--create-platform-cert", "--overwrite",
             "--config", str(ca.setup_conf)],
            capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stdout + p.stderr

    @property
    def tcti(self):
        return "swtpm:host=127.0.0.1,port=%d" % self.port

    @property
    def env(self):
        return {"TPM2TOOLS_TCTI": self.tcti, "KEYWARDEN_TCTI": self.tcti}

    def start(self):
        """Powers on: TPM2_Startup(CLEAR), a TPM Reset."""
        assert self.proc is None
        self.proc = subprocess.Popen(
            ["swtpm", "socket", "--tpm2",
             "--server", "type=tcp,port=%d,bindaddr=127.0.0.1" % self.port,
             "--ctrl", "type=tcp,port=%d,bindaddr=127.0.0.1" % self.ctrl,
             "--flags", "not-need-init,startup-clear",
             "--tpmstate", "dir=%s" % self.state],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        ALIVE.append(self)
        deadline = time.monotonic() + 30
        while True:
            assert self.proc.poll() is None, self.proc.stderr.read()
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "swtpm did not start"
                time.sleep(0.05)
        # The connection above was a probe: give swtpm a moment to
        # accept the next client (it serves one at a time).
        self.tools("tpm2_getrandom", "8", "--hex")
        return self

    def stop(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        self.proc = None
        if self in ALIVE:
            ALIVE.remove(self)

    def reboot(self):
        self.stop()
        return self.start()

    def snapshot(self, name):
        """Copies the (stopped) TPM's state aside."""
        assert self.proc is None
        dst = self.dir / ("snap-" + name)
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(self.state, dst)
        return dst

    def restore(self, name):
        """Puts a snapshot back (the TPM's counters go back with it)."""
        assert self.proc is None
        shutil.rmtree(self.state)
        shutil.copytree(self.dir / ("snap-" + name), self.state)

    def tools(self, *args, check=True, cwd=None, flush=True):
        """Runs a tpm2-tools command against this TPM, then flushes what
        it left loaded."""
        env = dict(os.environ, **self.env)
        p = subprocess.run([str(a) for a in args], env=env, cwd=cwd,
                           capture_output=True, timeout=120)
        if flush and str(args[0]) != "tpm2_flushcontext":
            for kind in ("-t", "-l", "-s"):
                subprocess.run(["tpm2_flushcontext", kind], env=env,
                               capture_output=True, timeout=60)
        if check:
            assert p.returncode == 0, "%s -> %d\n%s" % (
                args, p.returncode, p.stderr.decode(errors="replace"))
        return p

    def extend(self, pcr, data=b"changed build environment"):
        h = hashlib.sha256(data).hexdigest()
        self.tools("tpm2_pcrextend", "%d:sha256=%s" % (pcr, h))

    def flush(self):
        """Flushes transient objects and sessions (no resource manager:
        the TPM holds only three of each)."""
        for kind in ("-t", "-l", "-s"):
            self.tools("tpm2_flushcontext", kind)

    def pcr(self, pcr):
        """The current SHA-256 value of pcr (hex)."""
        out = self.tools("tpm2_pcrread", "sha256:%d" % pcr).stdout.decode()
        return out.strip().splitlines()[-1].split(":")[-1].strip().lower()\
            .replace("0x", "")


class ResourceManager:
    """tpm2-abrmd in front of a TPM, on a private D-Bus session bus: what
    /dev/tpmrm0 is on a real machine. A TLS handshake through the
    tpm2-openssl provider keeps more objects loaded (hash sequences) than
    the three a bare TPM holds. While it runs, it is the TPM's only
    client."""

    def __init__(self, tpm):
        self.tpm = tpm
        self.bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--nopidfile",
             "--print-address"], stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL)
        ALIVE.append(self)
        self.address = self.bus.stdout.readline().decode().strip()
        assert self.address, "dbus-daemon gave no address"
        self.name = "com.intel.tss2.Tabrmd.kw%d" % tpm.port
        self.abrmd = subprocess.Popen(
            ["tpm2-abrmd", "--session", "--allow-root", "--dbus-name",
             self.name, "--tcti", tpm.tcti],
            env=dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.address),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while True:
            assert self.abrmd.poll() is None, self.abrmd.stderr.read()
            p = subprocess.run(["tpm2_getrandom", "8", "--hex"],
                               env=dict(os.environ, **self.env),
                               capture_output=True, timeout=30)
            if p.returncode == 0:
                break
            assert time.monotonic() < deadline, p.stderr
            time.sleep(0.1)

    @property
    def tcti(self):
        return "tabrmd:bus_type=session,bus_name=%s" % self.name

    @property
    def env(self):
        return {"DBUS_SESSION_BUS_ADDRESS": self.address,
                "TPM2TOOLS_TCTI": self.tcti, "TPM2OPENSSL_TCTI": self.tcti}

    def stop(self):
        for proc in (self.abrmd, self.bus):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        for f in (self.abrmd.stderr, self.bus.stdout):
            if f is not None:
                f.close()
        if self in ALIVE:
            ALIVE.remove(self)


def stop_all():
    for t in list(ALIVE):
        t.stop()


# ---- evidence from tpm2-tools files ----------------------------------------


def b64(data):
    return base64.b64encode(data).decode()


def tools_credential(blob, secret):
    """The file tpm2_activatecredential reads (-i): the tpm2-tools magic
    and version, then the TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET."""
    return struct.pack(">II", 0xBADCC0DE, 1) + blob + secret


class ToolsAgent:
    """An agent driven by tpm2-tools instead of `keywarden agent`: EK and
    AK made with tpm2_createek / tpm2_createak, the challenge answered with
    tpm2_activatecredential, quotes made with tpm2_quote."""

    def __init__(self, tpm, directory, restricted=True, ek_alg="rsa"):
        self.tpm = tpm
        self.dir = pathlib.Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        d = self.dir
        tpm.tools("tpm2_createek", "-c", d / "ek.ctx", "-G", ek_alg, "-u",
                  d / "ek.pub")
        if restricted:
            tpm.tools("tpm2_createak", "-C", d / "ek.ctx", "-c",
                      d / "ak.ctx", "-G", "rsa", "-g", "sha256", "-s",
                      "rsassa", "-u", d / "ak.pub", "-n", d / "ak.name")
        else:
            # A signing key that is not restricted: it signs anything.
            tpm.tools("tpm2_createprimary", "-C", "o", "-c", d / "prim.ctx")
            tpm.tools("tpm2_create", "-C", d / "prim.ctx", "-G", "rsa2048",
                      "-a", "fixedtpm|fixedparent|sensitivedataorigin|"
                      "userwithauth|sign", "-u", d / "ak.pub", "-r",
                      d / "ak.priv")
            tpm.tools("tpm2_load", "-C", d / "prim.ctx", "-u", d / "ak.pub",
                      "-r", d / "ak.priv", "-c", d / "ak.ctx")
        if ek_alg == "rsa":  # swtpm_setup certified the RSA EK
            tpm.tools("tpm2_nvread", "0x1c00002", "-o", d / "ek.der")

    def enroll_body(self, name, policy, roles=("crypto-user",)):
        d = self.dir
        return {"name": name, "policy": policy, "roles": list(roles),
                "ek_pub": b64((d / "ek.pub").read_bytes()),
                "ek_cert": b64((d / "ek.der").read_bytes()),
                "ak_pub": b64((d / "ak.pub").read_bytes())}

    def activate(self, answer):
        """tpm2_activatecredential on the server's challenge."""
        d = self.dir
        (d / "cred.in").write_bytes(tools_credential(
            base64.b64decode(answer["credential_blob"]),
            base64.b64decode(answer["secret"])))
        self.activate_file(d / "cred.in", d / "ak.ctx")
        return {"credential": b64((d / "cred.out").read_bytes())}

    def activate_file(self, cred_in, key_ctx, check=True):
        """tpm2_activatecredential of cred_in for key_ctx under the EK,
        whose policy (PolicySecret of the endorsement hierarchy) is
        satisfied in a policy session; the recovered credential is in
        cred.out."""
        d, t = self.dir, self.tpm
        t.tools("tpm2_startauthsession", "--policy-session", "-S",
                d / "session.ctx", flush=False)
        t.tools("tpm2_policysecret", "-S", d / "session.ctx", "-c", "e",
                flush=False)
        return t.tools("tpm2_activatecredential", "-c", key_ctx, "-C",
                       d / "ek.ctx", "-i", cred_in, "-o", d / "cred.out",
                       "-P", "session:%s" % (d / "session.ctx"),
                       check=check)

    def quote(self, nonce_b64, pcrs="sha256:16,23", key="ak.ctx"):
        """tpm2_quote over pcrs with the nonce; the body of
        POST /v1/attest/quote."""
        d = self.dir
        nonce = base64.b64decode(nonce_b64)
        self.tpm.tools("tpm2_quote", "-c", d / key, "-l", pcrs, "-q",
                       nonce.hex(), "-m", d / "quote.msg", "-s",
                       d / "quote.sig", "-g", "sha256")
        return {"nonce": nonce_b64,
                "quote": b64((d / "quote.msg").read_bytes()),
                "signature": b64((d / "quote.sig").read_bytes()),
                "pcrs": self.pcr_values(pcrs)}

    def pcr_values(self, pcrs):
        bank, nums = pcrs.split(":")
        return {n: self.tpm.pcr(int(n)) for n in nums.split(",")}

    def sign_with_ticket(self, message, key="ak.ctx"):
        """A signature by key over message made through TPM2_Hash and its
        ticket: how a restricted key signs data that does not start with
        TPM_GENERATED_VALUE. The TPMT_SIGNATURE bytes."""
        d = self.dir
        (d / "msg.bin").write_bytes(message)
        self.tpm.tools("tpm2_hash", "-C", "o", "-g", "sha256", "-o",
                       d / "msg.digest", "-t", d / "msg.ticket",
                       d / "msg.bin")
        self.tpm.tools("tpm2_sign", "-c", d / key, "-g", "sha256", "-s",
                       "rsassa", "-d", "-t", d / "msg.ticket", "-o",
                       d / "msg.sig", d / "msg.digest")
        return (d / "msg.sig").read_bytes()

    def sign_plain(self, message, key="ak.ctx"):
        """A signature by an unrestricted key over message."""
        d = self.dir
        (d / "msg.bin").write_bytes(message)
        self.tpm.tools("tpm2_sign", "-c", d / key, "-g", "sha256", "-s",
                       "rsassa", "-o", d / "msg.sig", d / "msg.bin")
        return (d / "msg.sig").read_bytes()
