# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""Fixtures of the TPM tests: simulated TPMs (swtpm, started and stopped
here, state in temporary directories) and real keywardend instances
configured for them, through the integration suite's fixtures.

- ca / other_ca: two TPM manufacturer CAs (swtpm_localca), session-wide;
  keywarden trusts `ca` only.
- make_tpm(ca=None): a fresh, manufactured and started swtpm for the test.
- make_instance: the integration suite's fixture (a configured daemon).
- tpm_instance(tpm, tls=False, **tpm_config): a daemon whose `tpm:` section
  points at tpm and trusts `ca`; initialised 2-of-3 (tls: as make_instance).
"""

import importlib.util
import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[0] / "integration"))
sys.path.insert(0, str(HERE))

from tpmharness import LocalCA, SwTPM, stop_all  # noqa: E402

# The integration suite's fixtures, reused as they are.
_spec = importlib.util.spec_from_file_location(
    "kw_integration_conftest", HERE.parents[0] / "integration" / "conftest.py")
_integration = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_integration)
make_instance = _integration.make_instance


@pytest.fixture(scope="session", autouse=True)
def _stop_every_tpm():
    yield
    stop_all()


@pytest.fixture(scope="session")
def ca(tmp_path_factory):
    return LocalCA(tmp_path_factory.mktemp("tpm-ca"))


@pytest.fixture(scope="session")
def other_ca(tmp_path_factory):
    return LocalCA(tmp_path_factory.mktemp("other-tpm-ca"))


@pytest.fixture
def make_tpm(tmp_path, ca):
    made = []

    def make(which_ca=None, name=None):
        t = SwTPM(tmp_path / (name or "tpm%d" % len(made)), which_ca or ca)
        made.append(t)
        return t.start()

    yield make
    for t in made:
        t.stop()


@pytest.fixture
def tpm_instance(make_instance, ca, tmp_path):
    made = []

    def make(tpm, name=None, tls=False, **tpm_config):
        name = name or "kwtpm%d" % len(made)
        made.append(name)
        cfg = {"tcti": tpm.tcti, "ek_ca_file": str(ca.bundle),
               "seal_file": str(tmp_path / name / "master.tpmseal"),
               "seal_pcrs": "sha256:16"}
        cfg.update(tpm_config)
        inst = make_instance({"tpm": cfg}, name=name, init=False, tls=tls)
        inst.init(shares=3, threshold=2)
        return inst

    return make
