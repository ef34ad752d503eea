"""Privilege separation, shown rather than claimed: a test build
(build/hooks, probes compiled in) makes each confined process try what it
must not be able to do, and logs the outcome."""
import os
import re
import subprocess

import pytest

import kez_client as kc
from conftest import BUILD, ROOT, SANITIZED, Server, make_temp_dir, wait_for

HOOKS_BIN = os.path.join(ROOT, "build", "hooks", "kez-chat-server")
KEZCTL = os.path.join(BUILD, "kezctl")


@pytest.fixture(scope="module")
def probed():
    assert os.path.exists(HOOKS_BIN), "make test builds build/hooks"
    d = make_temp_dir()
    web = os.path.join(d, "web")
    os.mkdir(web)
    with open(os.path.join(web, "index.html"), "w") as f:
        f.write("<p>probed</p>\n")
    subprocess.run([KEZCTL, "nats-keys", "--out-dir", d], capture_output=True, check=True)
    seed = os.path.join(d, "issuer.nk")
    os.chmod(seed, 0o644)  # readable by the workers' user: only the sandbox may refuse it
    s = Server(d, ["--web-dir", web, "--nats-issuer-seed", seed], env={"KEZ_TEST_PROBE": "1"})
    s.binary = HOOKS_BIN
    s.seed = seed
    s.start()
    assert wait_for(lambda: len(re.findall(r"probe worker: open seed file", s.log())) == 2 and
                    "probe verifier: incarnation 2" in s.log(), 5), s.log()
    yield s
    s.stop()


def probe_lines(server, role):
    return dict(re.findall(r"probe %s: (.+?): (.+)" % role, server.log()))


def test_verifier_is_killed_by_any_call_off_its_list(probed):
    """Its first incarnation creates a socket once confined: seccomp kills it
    on the spot, the master names the cause, and a new verifier serves."""
    log = probed.log()
    first = int(re.search(r"verifier\[(\d+)\]: probe verifier: socket: trying", log).group(1))
    assert ("verifier killed by seccomp (SIGSYS): a system call outside its allow-list (pid %d)" % first) in log
    # the call never returned: no outcome was logged
    assert "probe verifier: socket: " not in log.replace("probe verifier: socket: trying", "")
    assert probed.child("verifier") not in (None, first)
    body, _ = kc.make_envelope("sandboxed")
    assert kc.register(probed.port, body).status == 201


def test_workers_cannot_write_the_registry(probed):
    p = probe_lines(probed, "worker")
    assert p["open registry for writing"] != "opened"
    assert p["socket"] == "Operation not permitted"


def test_workers_cannot_open_seed_files_or_files_outside_their_paths(probed):
    """Landlock: a worker reads the web folder and the registry, nothing
    else -- not the issuer seed the configuration names (readable by its
    user), not /etc/passwd -- while static files and lookups still work."""
    with open(probed.seed) as f:
        assert f.read().startswith("S")  # the file is there and readable
    p = probe_lines(probed, "worker")
    assert p["open seed file"] == "Permission denied", p
    assert p["open /etc/passwd"] == "Permission denied", p
    r = kc.get(probed.port, "/index.html")
    assert r.status == 200 and b"probed" in r.body
    body, _ = kc.make_envelope("landlocked")
    assert kc.register(probed.port, body).status == 201
    assert kc.get(probed.port, "/v1/u/landlocked").status == 200


def test_workers_cannot_hand_a_hub_a_link(probed):
    """The role a link's messages are held to comes from the master alone:
    a worker holds no control socket to hand the verifier or the writer a
    link of its own (or under another role) on."""
    lines = re.findall(r"probe worker: hand a link to a hub: (.+)", probed.log())
    assert len(lines) == 2, probed.log()
    assert all(l == "refused (0 other socketpairs, none took it)" for l in lines), lines


def test_writer_has_no_sockets(probed):
    assert probe_lines(probed, "writer")["socket"] == "Operation not permitted"


@pytest.mark.skipif(os.geteuid() != 0, reason="chroot needs root")
def test_verifier_root_is_an_empty_deleted_directory(probed):
    pid = probed.child("verifier")
    assert os.readlink("/proc/%d/root" % pid).endswith("(deleted)")


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


def test_nats_client_cannot_open_seed_files(monkeypatch):
    """The nats client parses the broker's traffic: Landlock keeps it to the
    registry and the resolver's and TLS's system files, so the issuer seed
    (readable by its user) is refused, and the callout still works. Its
    link to the verifier is known as the nats client's: a worker's requests
    (a registration's or an event's verification) sent on it get no answer,
    only the verifier's note that they came from the wrong sender."""
    import conftest
    from test_nats import NATS_SERVER, Stack
    assert os.path.exists(NATS_SERVER), "run tools/fetch-nats-server.sh (make test does)"
    monkeypatch.setattr(conftest, "SERVER_BIN", HOOKS_BIN)
    monkeypatch.setenv("KEZ_TEST_PROBE", "1")
    st = Stack()
    try:
        assert wait_for(lambda: "probe nats: open seed file" in st.kez.log(), 5), st.kez.log()
        p = probe_lines(st.kez, "nats")
        assert p["open seed file"] == "Permission denied", p
        assert p["open /etc/passwd"] == "Permission denied", p
        assert p["open registry for writing"] != "opened", p
        assert wait_for(lambda: "probe nats: event verify request" in st.kez.log(), 10), st.kez.log()
        p = probe_lines(st.kez, "nats")
        assert p["hand a link to a hub"] == "refused (0 other socketpairs, none took it)", p
        assert p["verify request"] == "no answer", p
        assert p["event verify request"] == "no answer", p
        log = st.kez.log()
        assert "dropped a message from the nats client: VERIFY_REQUEST" in log, log
        assert "dropped a message from the nats client: EVENT_VERIFY_REQUEST" in log, log
        _, seed = st.user("natslandlocked")
        r = st.probe(seed)
        assert "connected" in r.stdout, r.stdout
        assert "NATS access granted to natslandlocked" in st.kez.log()
    finally:
        st.stop()
