"""kezctl's progress line (import, events): redrawn in place on a terminal
(stderr on a pty) with count, rate and ETA, ended with a newline; nothing at
all when stderr is a pipe or a file."""
import os
import pty
import re
import select
import subprocess
import time

import pytest

from conftest import BUILD, SLOW, Server, make_temp_dir

KEZCTL = os.path.join(BUILD, "kezctl")
LINE = re.compile(rb"\r\x1b\[K(posted|events) (\d+)/(\d+) \((\d+)%\)  (\d+)/s  (ETA \S+|in \S+)")


def env():
    return {k: v for k, v in os.environ.items() if k != "KEZCTL_URL"}


def on_a_terminal(args, stdout=subprocess.DEVNULL):
    """Runs kezctl with stderr on a pty; (exit status, what the terminal got)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([KEZCTL] + args, stdout=slave if stdout == "pty" else stdout, stderr=slave,
                         stdin=subprocess.DEVNULL, env=env())
    os.close(slave)
    got = b""
    deadline = time.monotonic() + 120 * SLOW
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1)
        if not ready:
            if p.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the pty closes with the last writer
            break
        if not chunk:
            break
        got += chunk
    os.close(master)
    return p.wait(timeout=30 * SLOW), got


def check_lines(got, what, total):
    frames = LINE.findall(got)
    assert frames, got[:500]
    assert all(f[0] == what.encode() and int(f[2]) == total for f in frames)
    counts = [int(f[1]) for f in frames]
    assert counts == sorted(counts), "the count only grows"
    assert any(f[5].startswith(b"ETA ") for f in frames), "an estimate while it runs"
    last = frames[-1]
    assert int(last[1]) == total and last[3] == b"100" and last[5].startswith(b"in ")
    assert got.endswith(b"\r\n") and got.count(b"\n") == 1, "one row, redrawn in place, ended once"
    return frames


@pytest.fixture(scope="module")
def chain_file():
    d = make_temp_dir()
    path = os.path.join(d, "chain.jsonl")
    with open(path, "w") as f:
        r = subprocess.run([KEZCTL, "events", "300"], stdout=f, stderr=subprocess.PIPE, env=env(),
                           timeout=60 * SLOW)
    assert r.returncode == 0 and r.stderr == b""  # stderr a pipe: no progress
    return path


def test_import_on_a_terminal(chain_file):
    s = Server(make_temp_dir(), ["--serve", "sigchain", "--rate-limit", "0"]).start()
    try:
        status, got = on_a_terminal(["sigchain", "import", chain_file, "--url", "http://127.0.0.1:%d" % s.port])
        assert status == 0, got
        check_lines(got, "posted", 300)
    finally:
        s.stop()


def test_import_not_on_a_terminal(chain_file):
    s = Server(make_temp_dir(), ["--serve", "sigchain", "--rate-limit", "0"]).start()
    try:
        url = "http://127.0.0.1:%d" % s.port
        r = subprocess.run([KEZCTL, "sigchain", "import", chain_file, "--url", url], capture_output=True,
                           env=env(), timeout=120 * SLOW)
        assert r.returncode == 0, r.stderr
        assert r.stderr == b""
        assert r.stdout == b"imported 300 events: 300 stored now, 0 already stored\n"
        # and into a file: the same silence
        log = os.path.join(make_temp_dir(), "err")
        with open(log, "wb") as f:
            r = subprocess.run([KEZCTL, "sigchain", "import", chain_file, "--url", url], stdout=subprocess.PIPE,
                               stderr=f, env=env(), timeout=120 * SLOW)
        assert r.returncode == 0 and os.path.getsize(log) == 0
        assert b"0 stored now, 300 already stored" in r.stdout
    finally:
        s.stop()


def test_import_stopped_midway_ends_the_line_before_the_error(chain_file, tmp_path):
    """A server that refuses part way: the error starts on a row of its own."""
    s = Server(make_temp_dir(), ["--serve", "sigchain", "--rate-limit", "0", "--max-chain-length", "120"]).start()
    try:
        status, got = on_a_terminal(["sigchain", "import", chain_file, "--url", "http://127.0.0.1:%d" % s.port])
        assert status == 1
        frames = LINE.findall(got)
        assert frames and int(frames[-1][1]) == 120
        assert re.search(rb"\r\n(kezctl: )?.*chain_full", got), got[-400:]
        assert b"stopped after 120 events" in got
    finally:
        s.stop()


def test_events_on_a_terminal_and_not():
    status, got = on_a_terminal(["events", "4000", "--chains", "2"])
    assert status == 0
    check_lines(got, "events", 8000)
    r = subprocess.run([KEZCTL, "events", "50"], capture_output=True, env=env(), timeout=60 * SLOW)
    assert r.returncode == 0 and r.stderr == b"" and len(r.stdout.splitlines()) == 50


def test_events_to_the_terminal_itself_draw_no_line():
    """stdout on the terminal too: the events are the output, no line over them."""
    status, got = on_a_terminal(["events", "3"], stdout="pty")
    assert status == 0
    assert not LINE.findall(got) and b"\x1b[K" not in got
    assert got.count(b'"kez":"sigchain_event"') == 3
