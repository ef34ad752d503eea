"""What the server withstands: a full registry, thousands of idle or
dribbling connections, and repeated SIGKILLs of every process type under
wrk registration load."""
import os
import re
import resource
import signal
import socket
import subprocess
import threading
import time

import kez_client as kc
from conftest import SLOW, wait_for


def test_full_registry_is_507_and_keeps_serving(start_server):
    s = start_server(["--map-size", "1"])
    accepted, full = [], []
    lock = threading.Lock()

    def fill(t):
        for i in range(10000):
            if full:
                return
            body, _ = kc.make_envelope("fill%d_%d" % (t, i))
            r = kc.register(s.port, body)
            with lock:
                (accepted if r.status == 201 else full).append((r, "fill%d_%d" % (t, i)))

    threads = [threading.Thread(target=fill, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert full, "the 1 MiB registry never filled"
    r, _ = full[0]
    assert r.status == 507 and r.json()["error"] == "storage_full", r
    assert "registry is full" in s.log() and "--map-size" in s.log()
    assert kc.get(s.port, "/v1/u/" + accepted[-1][1]).status == 200
    assert kc.get(s.port, "/v1/healthz").status == 200
    # one at a time, the last pages fill too: every answer stays 201 or 507
    statuses = []
    for i in range(5000):
        statuses.append(kc.register(s.port, kc.make_envelope("more%d" % i)[0]).status)
        if statuses[-1] == 507:
            break
    assert set(statuses) <= {201, 507} and statuses[-1] == 507, statuses[-5:]


def test_two_thousand_idle_and_dribbling_connections(start_server):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4500:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    s = start_server(["--header-timeout", "60"])
    conns = []
    try:
        for i in range(2000):
            c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            if i % 2:
                c.sendall(b"GET /v1/healthz HTTP/1.1\r\nHost: x\r\n")  # never finishes
            conns.append(c)
        stop = time.time() + 2
        while time.time() < stop:  # dribble a header byte on half of them
            for c in conns[1::20]:
                c.sendall(b"X")
            time.sleep(0.1)
        worst = 0
        for _ in range(10):
            t0 = time.time()
            assert kc.get(s.port, "/v1/healthz", timeout=5).status == 200
            worst = max(worst, time.time() - t0)
        assert worst < 0.1 * SLOW, worst
    finally:
        for c in conns:
            c.close()


def test_sigkill_each_process_repeatedly_under_wrk(start_server, tmp_path):
    from conftest import BUILD, ROOT
    s = start_server()
    tmp_path.chmod(0o755)
    env_base = str(tmp_path / "env")
    acc_base = str(tmp_path / "accepted")
    for t in range(2):
        with open("%s.%d" % (env_base, t), "w") as f:
            subprocess.run([os.path.join(BUILD, "kezctl"), "envelopes", "20000", "--server", "kez.test",
                            "--prefix", "wrk%dx" % t], stdout=f, check=True)
    wrk = subprocess.Popen(["wrk", "-t2", "-c32", "-d%ds" % (8 * SLOW), "-s", os.path.join(ROOT, "tests", "post_record.lua"),
                            "http://127.0.0.1:%d" % s.port], env=dict(os.environ, KEZ_ENVELOPES=env_base, KEZ_ACCEPTED=acc_base),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(1)
    for round_ in range(2):
        for role in ("writer", "verifier", "worker 1", "worker 2"):
            pid = s.child(role)
            if pid:
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.5 * SLOW)
    out, _ = wrk.communicate(timeout=60 * SLOW)
    assert wait_for(s.healthy, 3 * SLOW)
    accepted = []
    for t in range(2):
        with open("%s.%d" % (acc_base, t)) as f:
            accepted += f.read().split()
    assert len(accepted) > 200, out
    missing = [h for h in accepted if kc.get(s.port, "/v1/u/" + h).status != 200]
    assert not missing, missing[:10]
    s.stop()
    stat = subprocess.run(["mdb_stat", "-n", "-a", s.db], capture_output=True, text=True)
    assert stat.returncode == 0, stat.stderr
    entries = re.findall(r"Entries: (\d+)", stat.stdout)
    assert int(entries[-2]) == int(entries[-1]) >= len(set(accepted))
