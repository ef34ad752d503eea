"""Flags, environment variables, and start-up errors (API.md §4)."""
import json
import os
import re
import socket
import subprocess

import pytest

import kez_client as kc
from conftest import SERVER_BIN, SLOW, Server, make_temp_dir, user_args, wait_for


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
    (["--max-body-size", "70000"], "--max-body-size"), (["--max-header-size", "x"], "--max-header-size"),
    (["--idle-timeout", "abc"], "--idle-timeout"), (["--max-connections", "0"], "--max-connections"),
    (["--workers", "2x"], "--workers"), (["--workers", ""], "--workers"), (["--bind", "127.0.0.1"], "--bind"),
])
def test_bad_values_exit_2_with_one_line(args, flag):
    r = run((["--user", "nobody"] if os.geteuid() == 0 else []) + args)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0], r.stderr


@pytest.mark.parametrize("name,value,flag", [
    ("KEZ_CHAT_WORKERS", "abc", "--workers"), ("KEZ_CHAT_LOG", "loud", "--log"), ("KEZ_CHAT_BIND", "nonsense", "--bind"),
    ("KEZ_CHAT_MAP_SIZE", "-1", "--map-size"), ("KEZ_CHAT_MAX_BODY_SIZE", "lots", "--max-body-size"),
])
def test_bad_env_value_exits_2_with_one_line(name, value, flag):
    r = run(user_args(), env={name: value})
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0], r.stderr


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
    assert r.returncode == 1, r.stderr
    assert "127.0.0.1:%d" % port in r.stderr, r.stderr


def path_complaints(stderr, path):
    """Lines that mention path other than informational log lines."""
    return [l for l in stderr.splitlines() if path in l and not re.search(r"\sinfo\s", l)]


def test_missing_db_directory_exits_1_with_one_line():
    db = "/nonexistent-dir/kez.db"
    r = run(["--bind", "127.0.0.1:0", "--db", db] + user_args())
    assert r.returncode == 1, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "/nonexistent-dir" in lines[0], r.stderr


@pytest.mark.parametrize("db", ["/proc/kez.db", "/dev/null", "DIR"])
def test_unusable_db_path_exits_1(db):
    if db == "DIR":
        db = make_temp_dir()
    r = run(["--bind", "127.0.0.1:0", "--db", db] + user_args())
    assert r.returncode == 1, r.stderr
    assert len(path_complaints(r.stderr, db)) == 1, r.stderr


def test_db_that_is_not_a_registry_exits_1_untouched():
    d = make_temp_dir()
    db = os.path.join(d, "notes.txt")
    with open(db, "w") as f:
        f.write("not a registry\n" * 100)
    r = run(["--bind", "127.0.0.1:0", "--db", db] + user_args())
    assert r.returncode == 1, r.stderr
    assert len(path_complaints(r.stderr, db)) == 1, r.stderr
    with open(db) as f:
        assert f.read() == "not a registry\n" * 100


def test_env_vars_and_flags_win(tmp_path):
    d = make_temp_dir()
    s = Server(d, ["--server", "flag.test"], env={"KEZ_CHAT_SERVER": "env.test", "KEZ_CHAT_SIG_SERVER_URL": "https://sig.env/",
                                                  "KEZ_CHAT_WORKERS": "1"})
    # the Server helper passes --server kez.test first; the later flag wins
    s.start()
    try:
        assert kc.get(s.port, "/v1/healthz").json()["server"] == "flag.test"
        assert [t for t in s.child_titles() if "worker" in t] == ["kez-chat-server: worker 1",
                                                                 "kez-chat-server: worker 2"]  # the flag beats the env
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
        assert s.child_titles() == ["kez-chat-server: verifier", "kez-chat-server: worker 1",
                                    "kez-chat-server: writer"]
        body, _ = kc.make_envelope("envonly", server="env.test")
        assert kc.register(s.port, body).status == 201
        jrd = kc.get(s.port, "/.well-known/webfinger?resource=acct:envonly@env.test").json()
        assert jrd["aliases"] == ["https://pub.env/v1/u/envonly"]
    finally:
        s.stop()


def test_limits_can_be_raised(start_server):
    s = start_server(["--max-body-size", "40000", "--max-header-size", "40000"])
    body, _ = kc.make_envelope("bigbody", extra_payload={"pad": "p" * 30000})
    assert len(body) > 30000
    r = kc.register(s.port, body)
    assert r.status == 201, r
    r = kc.get(s.port, "/v1/healthz", headers={"X-Big": "a" * 30000})
    assert r.status == 200
    r = kc.get(s.port, "/v1/healthz", headers={"X-Big": "a" * 41000})
    assert r.status == 431 and kc.error_of(r) == "headers_too_large"


def test_limits_can_be_lowered(start_server):
    s = start_server(["--max-body-size", "1024", "--max-header-size", "1024"])
    r = kc.register(s.port, b"{" + b" " * 1100 + b"}")
    assert r.status == 413 and kc.error_of(r) == "payload_too_large"
    r = kc.get(s.port, "/v1/healthz", headers={"X-Big": "a" * 1100})
    assert r.status == 431 and kc.error_of(r) == "headers_too_large"
    assert kc.register(s.port, kc.make_envelope("smallbody")[0]).status == 201


def test_limits_from_env(start_server):
    s = start_server(env={"KEZ_CHAT_MAX_BODY_SIZE": "1024", "KEZ_CHAT_MAX_HEADER_SIZE": "1024"})
    r = kc.register(s.port, b"{" + b" " * 1100 + b"}")
    assert r.status == 413
    assert kc.get(s.port, "/v1/healthz", headers={"X-Big": "a" * 1100}).status == 431


def test_ipv6_loopback(tmp_path):
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    d = make_temp_dir()
    s = Server(d, ["--bind", "[::1]:0"])
    s.start(expect_ready=False)
    try:
        m = wait_for(lambda: re.search(r"listening on \[::1\]:(\d+)", s.log()), 10 * SLOW)
        assert m, s.log()
        port = int(m.group(1))

        def health():
            try:
                return kc.raw_http(port, b"GET /v1/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                   timeout=2, host="::1")
            except OSError:
                return None
        responses = wait_for(health, 10 * SLOW, 0.05)
        assert responses and responses[0].raw.startswith(b"HTTP/1.1 200 "), responses
        assert json.loads(responses[0].body)["status"] == "ok"
    finally:
        s.stop()
