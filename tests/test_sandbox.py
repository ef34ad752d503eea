"""Privilege separation, shown rather than claimed: a test build
(build/hooks, probes compiled in) makes each confined process try what it
must not be able to do, and logs the outcome."""
import os
import re

import pytest

import kez_client as kc
from conftest import ROOT, SANITIZED, Server, make_temp_dir, wait_for

HOOKS_BIN = os.path.join(ROOT, "build", "hooks", "kez-chat-server")


@pytest.fixture(scope="module")
def probed():
    assert os.path.exists(HOOKS_BIN), "make test builds build/hooks"
    s = Server(make_temp_dir(), env={"KEZ_TEST_PROBE": "1"})
    s.binary = HOOKS_BIN
    s.start()
    assert wait_for(lambda: s.log().count("probe ") >= 7, 5), s.log()
    yield s
    s.stop()


def probe_lines(server, role):
    return dict(re.findall(r"probe %s: (.+?): (.+)" % role, server.log()))


def test_verifier_cannot_open_files_or_sockets(probed):
    p = probe_lines(probed, "verifier")
    assert p["open /etc/passwd"] != "opened"
    assert p["socket"] == "Operation not permitted"
    # and it still does its job
    body, _ = kc.make_envelope("sandboxed")
    assert kc.register(probed.port, body).status == 201


def test_workers_cannot_write_the_registry(probed):
    p = probe_lines(probed, "worker")
    assert p["open registry for writing"] != "opened"
    assert p["socket"] == "Operation not permitted"


def test_writer_has_no_sockets(probed):
    assert probe_lines(probed, "writer")["socket"] == "Operation not permitted"


@pytest.mark.skipif(os.geteuid() != 0, reason="chroot needs root")
def test_verifier_root_is_an_empty_deleted_directory(probed):
    pid = probed.child("verifier")
    assert os.readlink("/proc/%d/root" % pid).endswith("(deleted)")
    assert probe_lines(probed, "verifier")["open /etc/passwd"] in ("No such file or directory",
                                                                    "Operation not permitted")


def test_verifier_dumps_no_core(probed):
    pid = probed.child("verifier")
    with open("/proc/%d/limits" % pid) as f:
        core = [l for l in f if l.startswith("Max core file size")][0].split()
    assert core[4] == "0" and core[5] == "0"


@pytest.mark.skipif(SANITIZED, reason="the sanitizer build keeps seccomp off")
def test_seccomp_filter_is_loaded(server):
    for title, pid in server.children().items():
        with open("/proc/%d/status" % pid) as f:
            seccomp = [l for l in f if l.startswith("Seccomp:")][0].split()[1]
        assert seccomp == "2", title  # filter mode
