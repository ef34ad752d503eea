"""Starts the real daemon (master, workers, verifier, writer) on a free
loopback port with a temporary LMDB registry, for the tests to talk HTTP to."""
import os
import re
import signal
import subprocess
import tempfile
import time

import pytest

import kez_client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, os.environ.get("KEZ_BUILD", "build/release"))
SERVER_BIN = os.path.join(BUILD, "kez-chat-server")
SANITIZED = "sanitize" in BUILD
# Sanitized builds run several times slower: waits stretch with them.
SLOW = 3 if SANITIZED else 1


def process_children(pid):
    """{title: pid} of the direct children of pid, titles as ps shows them."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            if ppid != pid:
                continue
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                title = f.read().split(b"\0")[0].decode()
            out[title] = int(entry)
        except (OSError, ValueError):
            continue
    return out


def wait_for(predicate, timeout, interval=0.02):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


class Server:
    def __init__(self, directory, args=(), env=None, workers=2, server="kez.test"):
        self.dir = directory
        self.db = os.path.join(directory, "kez.db")
        self.log_path = os.path.join(directory, "server.log")
        self.args = ["--bind", "127.0.0.1:0", "--db", self.db, "--server", server,
                     "--workers", str(workers), "--sig-server-url", "http://sig.test:7878",
                     "--public-url", "https://kez.test", "--log", "info"] + list(args)
        if os.geteuid() == 0 and "--user" not in args:
            self.args += ["--user", "nobody"]
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.port = None
        self.binary = SERVER_BIN

    def start(self, expect_ready=True):
        self.logfile = open(self.log_path, "wb")
        self.proc = subprocess.Popen([self.binary] + self.args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.logfile, env=self.env)
        if not expect_ready:
            return self
        m = wait_for(lambda: re.search(r"listening on (\S+):(\d+)", self.log()), 10 * SLOW)
        assert m, "server did not listen:\n" + self.log()
        self.port = int(m.group(2))
        ok = wait_for(self.healthy, 10 * SLOW, 0.05)
        assert ok, "server not healthy:\n" + self.log()
        return self

    def healthy(self):
        try:
            return kez_client.get(self.port, "/v1/healthz", timeout=2).status == 200
        except OSError:
            return False

    def log(self):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def children(self):
        return process_children(self.proc.pid)

    def child(self, role):
        return self.children().get("kez-chat-server: " + role)

    def stop(self, check=True):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        kids = list(self.children().values())
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(20 * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            for k in kids:
                try:
                    os.kill(k, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            raise AssertionError("server did not stop on SIGTERM:\n" + self.log())
        self.logfile.close()
        if check:
            assert rc == 0, "exit status %d:\n%s" % (rc, self.log())
            alive = [k for k in kids if os.path.exists("/proc/%d" % k) and
                     not open("/proc/%d/stat" % k).read().split(") ")[1].startswith("Z")]
            assert not alive, "children survived the master: %r" % alive
        return rc


def make_temp_dir():
    d = tempfile.mkdtemp(prefix="kez-test-")
    os.chmod(d, 0o755)  # workers may run as nobody
    return d


@pytest.fixture(scope="session")
def server():
    """One server shared by the tests that need no special flags."""
    s = Server(make_temp_dir()).start()
    yield s
    s.stop()


@pytest.fixture
def start_server():
    """Factory for servers with their own flags; stopped at the end."""
    started = []

    def start(args=(), **kw):
        s = Server(make_temp_dir(), args, **kw).start()
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


@pytest.fixture
def port(server):
    return server.port
