"""SIGKILL of each process type while registrations run: the service comes
back, and every registration that was answered 201 is still there."""
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


def register_many(port, prefix, accepted, failures, stop_at):
    for i in range(PER_THREAD):
        if time.time() > stop_at:
            return
        handle = "%s%d" % (prefix, i)
        body, key = kc.make_envelope(handle)
        try:
            r = kc.register(port, body, timeout=10 * SLOW)
        except OSError as e:  # the worker holding this connection was killed
            failures.append(str(e))
            continue
        if r.status == 201:
            accepted.append((handle, kc.key_text(key)))
        else:
            failures.append((r.status, r.body[:100]))


@pytest.mark.parametrize("role", ["worker 1", "verifier", "writer"])
def test_sigkill_under_registration_load(start_server, role):
    s = start_server()
    accepted, failures = [], []
    stop_at = time.time() + 30 * SLOW
    tag = uuid.uuid4().hex[:6]
    threads = [threading.Thread(target=register_many, args=(s.port, "f%s%d" % (tag, t), accepted, failures, stop_at))
               for t in range(THREADS)]
    for t in threads:
        t.start()
    assert wait_for(lambda: len(accepted) >= 10, 10 * SLOW)
    victim = s.child(role)
    os.kill(victim, signal.SIGKILL)
    killed_at = time.time()
    assert wait_for(lambda: s.child(role) not in (None, victim), 2 * SLOW), "not respawned"
    assert wait_for(s.healthy, 2 * SLOW), "not healthy again"
    recovered = time.time() - killed_at
    for t in threads:
        t.join()
    assert recovered < 2 * SLOW
    assert len(accepted) > THREADS * PER_THREAD // 2, failures
    # only the fault itself may cost anything: connection errors or 503s
    for f in failures:
        assert isinstance(f, str) or f[0] == 503, f
    for handle, key in accepted:
        r = kc.get(s.port, "/v1/u/" + handle)
        assert r.status == 200 and r.json()["primary"] == key, handle
    s.stop()
    out = subprocess.run(["mdb_stat", "-n", "-a", s.db], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    m = re.search(r'Status of handles\n(?:.*\n)*?\s+Entries: (\d+)', out.stdout)
    assert m, out.stdout
    assert int(m.group(1)) >= len(accepted)
