"""SIGKILL of each process type while registrations run: the service comes
back, every registration that was answered 201 is still there, and the
registry file is consistent: as many handles as keys, and exactly the
handles that can be looked up."""
import os
import re
import signal
import subprocess
import threading
import time
import uuid

import pytest

import kez_client as kc
from conftest import SLOW, wait_for

THREADS = 4
PER_THREAD = 40


def register_many(port, prefix, attempted, accepted, failures, stop_at):
    """Registrations on fresh connections; a connection cut by the fault or
    a 503 is tolerated, anything else is recorded as a failure."""
    for i in range(PER_THREAD):
        if time.time() > stop_at:
            return
        handle = "%s%d" % (prefix, i)
        body, key = kc.make_envelope(handle)
        attempted.append((handle, kc.key_text(key)))
        try:
            r = kc.register(port, body, timeout=10 * SLOW)
        except OSError as e:  # e.g. the worker holding this connection was killed
            failures.append(("connection", str(e)))
            continue
        if r.status == 201:
            accepted.append((handle, kc.key_text(key)))
        elif r.status == 503 and kc.error_of(r) == "unavailable":
            failures.append(("unavailable", handle))
        else:
            failures.append(("unexpected", r.status, r.body[:200]))


def db_entries(db):
    """{sub-database name: entry count} from mdb_stat."""
    out = subprocess.run(["mdb_stat", "-n", "-a", db], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return {name: int(n) for name, n in re.findall(r"Status of (\S+)\n(?:  .*\n)*?  Entries: (\d+)", out.stdout)}


@pytest.mark.parametrize("role", ["worker 1", "verifier", "writer"])
def test_sigkill_under_registration_load(start_server, role):
    s = start_server()
    attempted, accepted, failures = [], [], []
    stop_at = time.time() + 30 * SLOW
    tag = uuid.uuid4().hex[:6]
    threads = [threading.Thread(target=register_many,
                                args=(s.port, "f%s%d_" % (tag, t), attempted, accepted, failures, stop_at))
               for t in range(THREADS)]
    for t in threads:
        t.start()
    assert wait_for(lambda: len(accepted) >= 10, 10 * SLOW), failures
    victim = s.child(role)
    assert victim, s.children()
    os.kill(victim, signal.SIGKILL)
    killed_at = time.time()
    assert wait_for(lambda: s.child(role) not in (None, victim), 2 * SLOW), "not respawned"
    assert wait_for(s.healthy, 2 * SLOW), "not healthy again"
    recovered = time.time() - killed_at
    for t in threads:
        t.join()
    assert recovered < 2 * SLOW
    assert not [f for f in failures if f[0] == "unexpected"], failures
    assert len(accepted) > THREADS * PER_THREAD // 2, failures
    # every 201 is there with its key; an unanswered attempt may or may not be
    keys = dict(attempted)
    found = {}
    for handle, _ in attempted:
        r = kc.get(s.port, "/v1/u/" + handle)
        assert r.status in (200, 404), r
        if r.status == 200:
            assert r.json()["primary"] == keys[handle], handle
            found[handle] = r.json()["primary"]
    missing = [h for h, _ in accepted if h not in found]
    assert not missing, missing
    s.stop()
    entries = db_entries(s.db)
    assert entries.get("handles") == len(found), (entries, len(found))
    assert entries.get("keys") == len(found), (entries, len(found))
