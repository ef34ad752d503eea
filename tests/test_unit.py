"""The C unit tests (tests/unit), one pytest case each. The case names come
from `unit-tests --list` at collection time; when that cannot run, a single
failing case says why."""
import os
import subprocess

import pytest

from conftest import BUILD

UNIT_BIN = os.path.join(BUILD, "unit-tests")
PROBLEM = "<unit-tests unusable>"


def list_cases():
    """([case names], None) or ([PROBLEM], reason)."""
    try:
        r = subprocess.run([UNIT_BIN, "--list"], capture_output=True, text=True, timeout=60)
    except OSError as e:
        return [PROBLEM], "cannot run %s (%s): run make build" % (UNIT_BIN, e)
    except subprocess.TimeoutExpired:
        return [PROBLEM], "%s --list did not finish" % UNIT_BIN
    names = r.stdout.split()
    if r.returncode != 0 or not names:
        return [PROBLEM], "%s --list exited %d listing %d cases: %s" % (UNIT_BIN, r.returncode, len(names), r.stderr)
    return names, None


CASES, LIST_PROBLEM = list_cases()


@pytest.mark.parametrize("case", CASES)
def test_unit(case):
    assert LIST_PROBLEM is None, LIST_PROBLEM
    r = subprocess.run([UNIT_BIN, case], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ok " + case in r.stdout.splitlines(), r.stdout
