"""Starts the real daemon (master, workers, verifier, writer) on a free
loopback port with a temporary LMDB registry, for the tests to talk HTTP to.

KEZ_BUILD picks the build folder (default build/release, relative to the
repository root). KEZ_KEEP_TMP=1 keeps the temporary folders (registry and
server log) after the run."""
import os
import re
import shutil
import signal
import socket
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
TITLE_PREFIX = "kez-chat-server: "
# What ASan, LSan and UBSan print when they find something (sanitize build).
SANITIZER_FINDING = re.compile(r"==\d+==ERROR: \w+Sanitizer|runtime error: |SUMMARY: \w+Sanitizer")


def _ppid_of(pid):
    with open("/proc/%s/stat" % pid) as f:
        stat = f.read()
    # the command name may hold spaces and parentheses: parse after the last ')'
    return int(stat[stat.rindex(")") + 2:].split()[1])


def process_title(pid):
    """The title as ps shows it (argv[0] of /proc/PID/cmdline), or None."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return None


def child_processes(pid):
    """[(title, pid)] of the direct children of pid, titles as ps shows them."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if _ppid_of(entry) != pid:
                continue
        except (OSError, ValueError):
            continue
        title = process_title(int(entry))
        if title is not None:
            out.append((title, int(entry)))
    return sorted(out)


def process_children(pid):
    """{title: pid} of the direct children of pid, titles as ps shows them."""
    return dict(child_processes(pid))


def is_running(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def wait_for(predicate, timeout, interval=0.02):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def free_port():
    """A loopback TCP port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_TEMP_DIRS = []


def make_temp_dir():
    d = tempfile.mkdtemp(prefix="kez-test-")
    os.chmod(d, 0o755)  # as root the children run as nobody and must read it
    _TEMP_DIRS.append(d)
    return d


def user_args(args=()):
    """As root the server refuses to start without --user."""
    if os.geteuid() == 0 and "--user" not in args:
        return ["--user", "nobody"]
    return []


class Server:
    """One daemon. Its stderr goes to server.log in its folder."""
    started = []  # every server of the run, for the failure report

    def __init__(self, directory, args=(), env=None, workers=2, server="kez.test"):
        self.dir = directory
        self.db = os.path.join(directory, "kez.db")
        self.log_path = os.path.join(directory, "server.log")
        self.args = ["--bind", "127.0.0.1:0", "--db", self.db, "--server", server,
                     "--sig-server-url", "http://sig.test:7878", "--public-url", "https://kez.test",
                     "--log", "info"] + list(args)
        if workers is not None:  # None: the server's own default
            self.args += ["--workers", str(workers)]
        self.args += user_args(args)
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.port = None
        self.logfile = None
        self.binary = SERVER_BIN

    def start(self, expect_ready=True):
        assert os.path.exists(self.binary), "no server binary at %s: run make build" % self.binary
        self.logfile = open(self.log_path, "wb")
        self.proc = subprocess.Popen([self.binary] + self.args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.logfile, env=self.env)
        Server.started.append(self)
        if not expect_ready:
            return self
        m = wait_for(lambda: self.proc.poll() is not None or
                     re.search(r"listening on (\S+):(\d+)", self.log()), 10 * SLOW)
        assert m and self.proc.poll() is None, "server did not listen:\n" + self.log()
        m = re.search(r"listening on (\S+):(\d+)", self.log())
        self.port = int(m.group(2))
        ok = wait_for(self.healthy, 10 * SLOW, 0.05)
        assert ok, "server not healthy:\n" + self.log()
        # one worker may answer before its siblings have taken their titles;
        # tests that count titles start from a settled process tree
        wait_for(self._titles_settled, 5 * SLOW, 0.05)
        return self

    def _titles_settled(self):
        titles = self.child_titles()
        return titles and all(t.startswith(TITLE_PREFIX) and t != TITLE_PREFIX + "master" for t in titles)

    def child_titles(self):
        """Sorted titles of the master's children, duplicates kept."""
        return [t for t, _ in child_processes(self.proc.pid)]

    def healthy(self):
        try:
            return kez_client.get(self.port, "/v1/healthz", timeout=2).status == 200
        except (OSError, AssertionError):
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
        """pid of the child titled 'kez-chat-server: <role>', or None."""
        return self.children().get(TITLE_PREFIX + role)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, check=True):
        """SIGTERM to the master; with check, the exit status must be 0 and
        no child may outlive it. Returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is not None:
            self._close_log()
            return self.proc.returncode
        kids = list(self.children().values())
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(10 * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            for k in kids:
                try:
                    os.kill(k, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc.wait(5)
            self._close_log()
            raise AssertionError("server did not stop within %d s of SIGTERM:\n%s" % (10 * SLOW, self.log()))
        self._close_log()
        if check:
            assert rc == 0, "exit status %d after SIGTERM:\n%s" % (rc, self.log())
            # children are reparented when the master is gone; give them a moment
            alive = wait_for(lambda: [k for k in kids if is_running(k) and
                                      (process_title(k) or "").startswith(TITLE_PREFIX)] or None, 1, 0.05)
            assert not alive, "children survived the master: %r\n%s" % (alive, self.log())
            findings = [l for l in self.log().splitlines() if SANITIZER_FINDING.search(l)]
            assert not findings, "sanitizer findings:\n%s\n\n%s" % ("\n".join(findings), self.log())
        return rc

    def _close_log(self):
        if self.logfile and not self.logfile.closed:
            self.logfile.close()


@pytest.fixture(scope="session")
def server():
    """One server shared by the tests that need no special flags."""
    s = Server(make_temp_dir()).start()
    yield s
    s.stop()


@pytest.fixture
def start_server():
    """Factory for servers with their own flags; all stopped (and checked
    for a clean exit) at the end of the test."""
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


# --- reporting ----------------------------------------------------------------

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    item._kez_servers_before = len(Server.started)
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test shows the logs of the servers it talked to."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    servers = list(Server.started[getattr(item, "_kez_servers_before", 0):])
    for value in getattr(item, "funcargs", {}).values():
        if isinstance(value, Server) and value not in servers:
            servers.append(value)
    for s in servers:
        lines = s.log().splitlines()
        report.sections.append(("server log %s (last 60 lines)" % s.log_path, "\n".join(lines[-60:])))


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("KEZ_KEEP_TMP"):
        return
    for d in _TEMP_DIRS:
        shutil.rmtree(d, ignore_errors=True)
