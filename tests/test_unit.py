"""The C unit tests (tests/unit), one pytest case each."""
import os
import subprocess

import pytest

from conftest import BUILD

UNIT_BIN = os.path.join(BUILD, "unit-tests")


def list_cases():
    try:
        out = subprocess.run([UNIT_BIN, "--list"], capture_output=True, text=True, timeout=30)
        return out.stdout.split()
    except OSError:
        return ["<unit-tests binary missing: run make build>"]


@pytest.mark.parametrize("case", list_cases())
def test_unit(case):
    r = subprocess.run([UNIT_BIN, case], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ok " + case in r.stdout
