"""The process model: titles, respawn, graceful stop."""
import os
import signal
import socket
import threading
import time

import kez_client as kc
from conftest import SLOW, wait_for

ROLES = ["kez-chat-server: verifier", "kez-chat-server: worker 1", "kez-chat-server: worker 2",
         "kez-chat-server: writer"]


def test_titles(start_server):
    s = start_server()
    assert sorted(s.children()) == ROLES
    with open("/proc/%d/cmdline" % s.proc.pid, "rb") as f:
        assert f.read().split(b"\0")[0] == b"kez-chat-server: master"


def test_children_run_as_user(start_server):
    if os.geteuid() != 0:
        return
    import pwd
    nobody = pwd.getpwnam("nobody").pw_uid
    s = start_server()
    for title, pid in s.children().items():
        with open("/proc/%d/status" % pid) as f:
            uids = [l for l in f if l.startswith("Uid:")][0].split()[1:]
        assert all(int(u) == nobody for u in uids), title
        with open("/proc/%d/status" % pid) as f:
            assert [l for l in f if l.startswith("NoNewPrivs:")][0].split()[1] == "1"


def test_sigkill_worker_is_respawned(start_server):
    s = start_server()
    old = s.child("worker 1")
    os.kill(old, signal.SIGKILL)
    new = wait_for(lambda: (s.child("worker 1") or old) != old and s.child("worker 1"), 2 * SLOW)
    assert new and new != old
    assert wait_for(s.healthy, 2 * SLOW)
    assert "worker 1 (pid %d) was killed by signal 9" % old in s.log()


def test_sigkill_verifier_and_writer_recover(start_server):
    s = start_server()
    for role in ("verifier", "writer"):
        old = s.child(role)
        os.kill(old, signal.SIGKILL)
        assert wait_for(lambda: s.child(role) not in (None, old), 2 * SLOW)
        t0 = time.time()
        assert wait_for(s.healthy, 2 * SLOW)
        body, _ = kc.make_envelope("after" + role)
        assert kc.register(s.port, body).status == 201
        assert time.time() - t0 < 2 * SLOW


def test_sigterm_finishes_in_flight_request(start_server):
    s = start_server()
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    body, _ = kc.make_envelope("inflight")
    head = b"POST /v1/register HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    sock.sendall(head + body[:10])
    time.sleep(0.2)
    s.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    sock.sendall(body[10:])
    data = sock.recv(4096)
    assert data.startswith(b"HTTP/1.1 201 "), data
    assert b"Connection: close" in data
    assert s.proc.wait(10 * SLOW) == 0
    # new connections are refused once the master is gone
    try:
        socket.create_connection(("127.0.0.1", s.port), timeout=1).close()
        refused = False
    except OSError:
        refused = True
    assert refused


def test_sigint_stops_cleanly(start_server):
    s = start_server()
    kids = list(s.children().values())
    s.proc.send_signal(signal.SIGINT)
    assert s.proc.wait(10 * SLOW) == 0
    assert all(not os.path.exists("/proc/%d/cmdline" % k) or open("/proc/%d/cmdline" % k, "rb").read() == b""
               for k in kids)


def worker_pids(s):
    from conftest import process_children
    pids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open("/proc/%s/stat" % entry).read()
                if int(stat[stat.rindex(")") + 2:].split()[1]) == s.proc.pid and \
                        open("/proc/%s/cmdline" % entry, "rb").read().startswith(b"kez-chat-server: worker"):
                    pids.add(int(entry))
            except (OSError, ValueError):
                pass
    return pids


def test_sighup_replaces_workers_without_dropping_requests(start_server):
    s = start_server()
    old = worker_pids(s)
    assert len(old) == 2
    # a registration half sent, and an idle keep-alive connection
    body, _ = kc.make_envelope("hupuser")
    busy = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    busy.sendall(b"POST /v1/register HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body) + body[:20])
    time.sleep(0.2)
    s.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: len(worker_pids(s) - old) == 2, 3 * SLOW), s.log()
    # new connections are served by the new workers meanwhile
    assert kc.get(s.port, "/v1/healthz").status == 200
    busy.sendall(body[20:])
    answer = busy.recv(4096)
    assert answer.startswith(b"HTTP/1.1 201 "), answer
    assert b"Connection: close" in answer
    busy.close()
    assert wait_for(lambda: not (worker_pids(s) & old), 5 * SLOW), s.log()
    assert kc.get(s.port, "/v1/u/hupuser").status == 200
    for i in range(5):  # the new workers' links to the verifier and writer work
        assert kc.register(s.port, kc.make_envelope("afterhup%d" % i)[0]).status == 201
    assert "SIGHUP: 2 new workers" in s.log()
    # and a second reload works too
    s.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: s.log().count("SIGHUP: 2 new workers") == 2, 3 * SLOW)
    assert wait_for(lambda: len(worker_pids(s)) == 2, 5 * SLOW)
    assert kc.register(s.port, kc.make_envelope("secondhup")[0]).status == 201


def test_verifier_restart_after_reload_keeps_all_links(start_server):
    s = start_server()
    s.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "SIGHUP: 2 new workers" in s.log(), 3 * SLOW)
    victim = s.child("verifier")
    os.kill(victim, signal.SIGKILL)
    assert wait_for(lambda: s.child("verifier") not in (None, victim), 2 * SLOW)
    assert wait_for(s.healthy, 2 * SLOW)
    for i in range(6):
        assert kc.register(s.port, kc.make_envelope("vrestart%d" % i)[0]).status == 201
