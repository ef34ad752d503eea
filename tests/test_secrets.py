"""Secrets stay in the one process whose job needs them: the NATS password
is wiped in every child but the nats client, and the nats client, which
parses the broker's traffic, runs under its own seccomp allow-list."""
import os
import re
import subprocess

import pytest

from conftest import BUILD, SANITIZED, Server, free_port, is_running, make_temp_dir, wait_for

KEZCTL = os.path.join(BUILD, "kezctl")


def memory_holds(pid, needle):
    """True when any private writable mapping of pid (heap, stack, data)
    contains needle; shared maps (the registry) are left out, and so are
    huge reservations (a sanitizer's shadow memory)."""
    chunk = 1 << 24
    with open("/proc/%d/maps" % pid) as f:
        maps = f.read().splitlines()
    with open("/proc/%d/mem" % pid, "rb", buffering=0) as mem:
        for line in maps:
            fields = line.split()
            if not fields[1].startswith("rw") or fields[1][3] != "p":
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if end - start > 1 << 30:
                continue
            for at in range(start, end, chunk):
                try:
                    mem.seek(at)
                    # overlap by the needle's length so no match straddles two reads
                    if needle in mem.read(min(chunk + len(needle), end - at)):
                        return True
                except OSError:
                    break
    return False


@pytest.mark.skipif(os.geteuid() != 0, reason="reading another user's memory needs root")
def test_nats_password_is_wiped_in_every_child_but_nats():
    d = make_temp_dir()
    subprocess.run([KEZCTL, "nats-keys", "--out-dir", d], capture_output=True, check=True)
    flag_secret = "flag-pw-" + os.urandom(8).hex()
    env_secret = "env-pw-" + os.urandom(8).hex()
    # no broker listens there: the nats client keeps retrying, which is enough
    s = Server(d, ["--nats-url", "nats://127.0.0.1:%d" % free_port(), "--nats-user", "callout",
                   "--nats-password", flag_secret, "--nats-issuer-seed", os.path.join(d, "issuer.nk")],
               env={"KEZ_CHAT_NATS_PASSWORD": env_secret})
    s.start()
    try:
        kids = s.children()
        assert set(kids) == {"kez-chat-server: " + r for r in
                             ("writer", "verifier", "nats", "worker 1", "worker 2")}, kids
        # the scan finds what is there: the master keeps both, for the next nats client
        assert memory_holds(s.proc.pid, flag_secret.encode())
        assert memory_holds(s.proc.pid, env_secret.encode())
        for title, pid in kids.items():
            if title.endswith(": nats"):
                continue
            # (a sanitizer runtime reads /proc/self/environ into a buffer of its own)
            for secret in (flag_secret,) if SANITIZED else (flag_secret, env_secret):
                assert not memory_holds(pid, secret.encode()), (title, secret)
    finally:
        # a nats client that never reached its broker does not stop on
        # SIGTERM (it is still connecting); the children die with the master
        left = s.children()
        s.proc.kill()
        s.proc.wait(5)
        gone = wait_for(lambda: not [t for t, k in left.items() if is_running(k)], 2)
    assert gone, [t for t, k in left.items() if is_running(k)]


@pytest.mark.skipif(SANITIZED, reason="the sanitizer build keeps seccomp off")
def test_nats_client_runs_under_its_filter():
    from test_nats import NATS_SERVER, Stack
    assert os.path.exists(NATS_SERVER), "run tools/fetch-nats-server.sh (make test does)"
    st = Stack()
    try:
        pid = st.kez.child("nats")
        with open("/proc/%d/status" % pid) as f:
            assert [l for l in f if l.startswith("Seccomp:")][0].split()[1] == "2"
        # every thread of it (libnats runs several)
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                assert [l for l in f if l.startswith("Seccomp:")][0].split()[1] == "2", tid
        _, seed = st.user("filtered")
        r = st.probe(seed)
        assert "connected" in r.stdout, r.stdout
        assert re.search(r"NATS access granted to filtered", st.kez.log())
    finally:
        st.stop()
