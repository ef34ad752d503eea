"""The process model: titles, respawn, graceful stop."""
import os
import re
import signal
import socket
import time

import pytest

import kez_client as kc
from conftest import SANITIZED, SLOW, child_processes, is_running, wait_for

ROLES = ["kez-chat-server: verifier", "kez-chat-server: worker 1", "kez-chat-server: worker 2",
         "kez-chat-server: writer"]


def test_titles(start_server):
    s = start_server()
    assert s.child_titles() == ROLES
    with open("/proc/%d/cmdline" % s.proc.pid, "rb") as f:
        assert f.read().split(b"\0")[0] == b"kez-chat-server: master"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can drop to --user")
def test_children_run_as_user(start_server):
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
    c = kc.RawConnection(s.port, timeout=10)
    body, _ = kc.make_envelope("inflight")
    head = b"POST /v1/register HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    assert c.send(head + body[:10])
    time.sleep(0.2)
    kids = [pid for _, pid in child_processes(s.proc.pid)]
    s.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert c.send(body[10:])
    r = c.response(10 * SLOW, alone=True)
    c.close()
    assert r.status == 201, r
    assert r.headers["connection"] == "close"
    assert s.proc.wait(10 * SLOW) == 0
    assert kids and not wait_for(lambda: [k for k in kids if is_running(k)], 1), kids
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
    assert kids and not wait_for(lambda: [k for k in kids if is_running(k)], 1), kids


def worker_pids(s):
    return {pid for title, pid in child_processes(s.proc.pid) if title.startswith("kez-chat-server: worker")}


def test_sighup_replaces_workers_without_dropping_requests(start_server):
    s = start_server()
    old = worker_pids(s)
    assert len(old) == 2
    # a registration half sent, and an idle keep-alive connection
    body, _ = kc.make_envelope("hupuser")
    busy = kc.RawConnection(s.port, timeout=10)
    assert busy.send(b"POST /v1/register HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body[:20])
    time.sleep(0.2)
    s.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: len(worker_pids(s) - old) == 2, 3 * SLOW), s.log()
    # new connections are served by the new workers meanwhile
    assert kc.get(s.port, "/v1/healthz").status == 200
    assert busy.send(body[20:])
    answer = busy.response().raw
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


LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z (error|warn|info|debug) +"
                      r"(master|worker \d+|verifier|writer)\[(\d+)\]: \S.*$")


def test_log_lines_name_level_process_and_pid(start_server):
    s = start_server()
    kc.register(s.port, kc.make_envelope("logline")[0])
    old = s.child("worker 2")
    os.kill(old, signal.SIGKILL)
    assert wait_for(lambda: s.child("worker 2") not in (None, old), 2 * SLOW)
    s.stop()
    # (sanitizer reports are not log lines; the sanitizer tests judge them)
    lines = [l for l in s.log().splitlines() if not l.startswith("==")]
    assert lines
    bad = [l for l in lines if not LOG_LINE.match(l)]
    assert not bad, bad
    master_lines = [l for l in lines if LOG_LINE.match(l).group(3) == "master"]
    assert all("[%d]:" % s.proc.pid in l for l in master_lines)


def test_log_level_warn_hides_info(tmp_path):
    from conftest import Server, make_temp_dir
    s = Server(make_temp_dir(), ["--log", "warn"])
    s.args[s.args.index("info")] = "warn"  # the helper's own --log info comes first
    s.start(expect_ready=False)
    try:
        # without info lines there is no "listening on" to read the port from
        time.sleep(1.0 * SLOW)
        assert s.proc.poll() is None, s.log()
        assert " info " not in s.log(), s.log()
        old = s.child("worker 1")
        os.kill(old, signal.SIGKILL)
        assert wait_for(lambda: " warn " in s.log(), 2 * SLOW)
    finally:
        s.stop()
    assert " info " not in s.log(), s.log()


@pytest.mark.skipif(not SANITIZED, reason="only the sanitize build has a leak checker")
def test_leak_checker_runs_in_every_process(start_server):
    """A process whose leak check cannot run hides its leaks from the
    sanitize build: every process must end with a working check."""
    s = start_server()
    assert kc.register(s.port, kc.make_envelope("leakcheck")[0]).status == 201
    s.stop()
    broken = [l for l in s.log().splitlines() if "Sanitizer has encountered a fatal error" in l
              or "Sanitizer does not work" in l or "Can't open /proc" in l]
    assert not broken, s.log()


@pytest.mark.parametrize("role", ["writer", "verifier"])
def test_healthz_while_a_backend_restarts(start_server, role):
    """Between the SIGKILL and the new process, healthz may say 503
    unavailable (same fields otherwise); then it is 200 again."""
    s = start_server()
    old = s.child(role)
    os.kill(old, signal.SIGKILL)
    t0 = time.time()
    answers = []
    while time.time() - t0 < 2 * SLOW:
        r = kc.get(s.port, "/v1/healthz")
        answers.append((r.status, r.json()))
        if r.status == 200 and s.child(role) not in (None, old):
            break
    ok = {"status": "ok", "server": "kez.test", "version": "0.1.0"}
    down = {"status": "unavailable", "server": "kez.test", "version": "0.1.0"}
    assert set(map(str, answers)) <= {str((200, ok)), str((503, down))}, answers
    assert answers[-1] == (200, ok), answers[-5:]


def test_children_die_with_the_master(start_server):
    """SIGKILL of the master under registration load: every child is gone
    within 2 s (none keeps the port or the registry's write lock), a new
    master starts at once on the same port and registry, and every
    registration answered 201 is still there."""
    import threading
    from conftest import Server
    s = start_server()
    kids = list(s.children().values())
    assert len(kids) == 4
    accepted, stop = [], threading.Event()

    def load():
        i = 0
        while not stop.is_set():
            handle = "orphan%d" % i
            i += 1
            try:
                if kc.register(s.port, kc.make_envelope(handle)[0], timeout=5).status == 201:
                    accepted.append(handle)
            except OSError:
                pass

    t = threading.Thread(target=load)
    t.start()
    try:
        assert wait_for(lambda: len(accepted) >= 5, 10 * SLOW)
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait(5)
        t0 = time.time()
        alive = wait_for(lambda: not [k for k in kids if is_running(k)], 2)
        took = time.time() - t0
    finally:
        stop.set()
        t.join()
    assert alive, [k for k in kids if is_running(k)]
    assert took < 2, took
    again = Server(s.dir, workers=2)
    again.args[again.args.index("127.0.0.1:0")] = "127.0.0.1:%d" % s.port
    again.log_path = os.path.join(s.dir, "server-again.log")
    try:
        again.start()
        assert again.port == s.port
        missing = [h for h in accepted if kc.get(again.port, "/v1/u/" + h).status != 200]
        assert not missing, missing
        assert kc.register(again.port, kc.make_envelope("afterrestart")[0]).status == 201
    finally:
        again.stop()


def test_a_process_that_keeps_failing_to_start_stops_the_server(start_server):
    """A worker that cannot start (its --web-dir is gone) is tried a few
    times, waiting longer each time; then the master says so in one line,
    stops the others and exits non-zero, instead of respawning for ever."""
    from conftest import make_temp_dir
    web = make_temp_dir()
    with open(os.path.join(web, "index.html"), "w") as f:
        f.write("hi\n")
    s = start_server(["--web-dir", web])
    kids = list(s.children().values())
    os.rename(web, web + ".gone")
    time.sleep(1.1)  # a death after a second of service is not a failure to start
    os.kill(s.child("worker 1"), signal.SIGKILL)
    rc = s.proc.wait(15 * SLOW)
    assert rc == 1, s.log()
    log = s.log()
    assert len(re.findall(r"master\[\d+\]: worker 1 \(pid \d+\) could not start", log)) == 5, log
    assert re.search(r"worker 1 failed 5 times in a row .*giving up: stopping the server", log), log
    assert wait_for(lambda: not [k for k in kids if is_running(k)], 2), log
    # the pauses grew: 250, 500, 1000, 2000 ms
    assert "starting a new one in 2000 ms" in log, log
