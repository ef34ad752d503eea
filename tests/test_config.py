"""Flags, environment variables, and start-up errors (API.md §4)."""
import os
import socket
import subprocess

import pytest

import kez_client as kc
from conftest import SERVER_BIN, SLOW, Server, make_temp_dir


def run(args, env=None, timeout=10):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([SERVER_BIN] + args, capture_output=True, text=True, timeout=timeout * SLOW, env=e,
                          stdin=subprocess.DEVNULL)


def test_help():
    r = run(["--help"])
    assert r.returncode == 0
    for flag in ("--bind", "--db", "--server", "--sig-server-url", "--web-dir", "--public-url", "--workers",
                 "--user", "--reserved", "--log", "KEZ_CHAT_BIND", "KEZ_CHAT_LOG"):
        assert flag in r.stdout


def test_version():
    r = run(["--version"])
    assert r.returncode == 0 and "0.1.0" in r.stdout


@pytest.mark.parametrize("args,flag", [
    (["--workers", "0"], "--workers"), (["--workers", "abc"], "--workers"), (["--workers", "999"], "--workers"),
    (["--bind", "nonsense"], "--bind"), (["--bind", "127.0.0.1:99999"], "--bind"), (["--log", "loud"], "--log"),
    (["--map-size", "-1"], "--map-size"), (["--max-body-size", "100"], "--max-body-size"),
    (["--sig-server-url", "ftp://x"], "--sig-server-url"), (["--server", "bad domain"], "--server"),
    (["--frobnicate"], "--frobnicate"), (["--db"], "--db"), (["--header-timeout", "0"], "--header-timeout"),
])
def test_bad_values_exit_2_with_one_line(args, flag):
    r = run((["--user", "nobody"] if os.geteuid() == 0 else []) + args)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0], r.stderr


def test_bad_env_value_exits_2():
    r = run(["--user", "nobody"] if os.geteuid() == 0 else [], env={"KEZ_CHAT_WORKERS": "abc"})
    assert r.returncode == 2 and "--workers" in r.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_root_without_user_refused():
    r = run(["--bind", "127.0.0.1:0"])
    assert r.returncode == 2 and "--user" in r.stderr


def test_port_in_use_exits_1():
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    port = blocker.getsockname()[1]
    d = make_temp_dir()
    args = ["--bind", "127.0.0.1:%d" % port, "--db", os.path.join(d, "kez.db")]
    if os.geteuid() == 0:
        args += ["--user", "nobody"]
    r = run(args)
    blocker.close()
    assert r.returncode == 1
    assert "127.0.0.1:%d" % port in r.stderr and "address already in use" in r.stderr.lower()


@pytest.mark.parametrize("db", ["/nonexistent-dir/kez.db", "/proc/kez.db"])
def test_bad_db_path_exits_1(db):
    args = ["--bind", "127.0.0.1:0", "--db", db]
    if os.geteuid() == 0:
        args += ["--user", "nobody"]
    r = run(args)
    assert r.returncode == 1, r.stderr
    assert db in r.stderr


def test_env_vars_and_flags_win(tmp_path):
    d = make_temp_dir()
    s = Server(d, ["--server", "flag.test"], env={"KEZ_CHAT_SERVER": "env.test", "KEZ_CHAT_SIG_SERVER_URL": "https://sig.env/",
                                                  "KEZ_CHAT_WORKERS": "1"})
    # the Server helper passes --server kez.test first; the later flag wins
    s.start()
    try:
        assert kc.get(s.port, "/v1/healthz").json()["server"] == "flag.test"
        assert len([t for t in s.children() if "worker" in t]) == 2  # --workers 2 from the helper beats the env
        body, key = kc.make_envelope("envtest", server="flag.test")
        rec = kc.register(s.port, body).json()
        assert rec["sigchain_url"].startswith("http://sig.test:7878/")  # the flag beats the env
    finally:
        s.stop()


def test_env_vars_apply(tmp_path):
    d = make_temp_dir()
    env = dict(os.environ, KEZ_CHAT_BIND="127.0.0.1:0", KEZ_CHAT_DB=os.path.join(d, "kez.db"), KEZ_CHAT_SERVER="env.test",
               KEZ_CHAT_WORKERS="1", KEZ_CHAT_PUBLIC_URL="https://pub.env")
    if os.geteuid() == 0:
        env["KEZ_CHAT_USER"] = "nobody"
    s = Server(d)
    s.args = []
    s.env = env
    s.start()
    try:
        assert kc.get(s.port, "/v1/healthz").json()["server"] == "env.test"
        assert sorted(t for t in s.children()) == ["kez-chat-server: verifier", "kez-chat-server: worker 1",
                                                   "kez-chat-server: writer"]
        body, _ = kc.make_envelope("envonly", server="env.test")
        assert kc.register(s.port, body).status == 201
        jrd = kc.get(s.port, "/.well-known/webfinger?resource=acct:envonly@env.test").json()
        assert jrd["aliases"] == ["https://pub.env/v1/u/envonly"]
    finally:
        s.stop()
