"""kez-chat-server --check: every flag and variable, the registry (read-only),
the seed files, the reserved list and the web folder judged as start-up
judges them; one line out, nothing bound, forked or written."""
import hashlib
import os
import re
import shutil
import socket
import subprocess

import pytest

import kez_client as kc
from conftest import ROOT, SERVER_BIN, SLOW, Server, make_temp_dir, user_args

UNIT = os.path.join(ROOT, "deploy", "kez-chat-server.service")


def check(args, env=None):
    e = dict(os.environ)
    for k in list(e):
        if k.startswith("KEZ_CHAT_"):
            del e[k]
    e.update(env or {})
    args = ["--check"] + list(args)
    return subprocess.run([SERVER_BIN] + args + user_args(args), capture_output=True, text=True,
                          timeout=10 * SLOW, env=e, stdin=subprocess.DEVNULL)


def assert_ok(r):
    assert r.returncode == 0, r.stderr
    assert r.stdout == "configuration ok\n"


def assert_problem(r, status, pattern):
    assert r.returncode == status, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert re.search(pattern, lines[0]), lines[0]


def snapshot(d):
    """Every file of a folder: name, size, mtime and contents' hash."""
    out = {}
    for name in sorted(os.listdir(d)):
        p = os.path.join(d, name)
        if os.path.isfile(p):
            st = os.stat(p)
            out[name] = (st.st_size, st.st_mtime_ns, st.st_mode, hashlib.sha256(open(p, "rb").read()).hexdigest())
    return out


@pytest.fixture(scope="module")
def registry_dir():
    """A folder with a registry a real server wrote one handle to."""
    d = make_temp_dir()
    s = Server(d).start()
    try:
        body, _ = kc.make_envelope("checked")
        assert kc.register(s.port, body).status == 201
    finally:
        s.stop()
    os.remove(s.log_path)
    return d


def test_missing_registry_is_ok_and_said_so_and_not_created():
    d = make_temp_dir()
    db = os.path.join(d, "new.db")
    r = check(["--db", db, "--bind", "127.0.0.1:0"])
    assert_ok(r)
    assert "does not exist yet" in r.stderr and "creates it" in r.stderr
    assert os.listdir(d) == []


def test_existing_registry_ok_and_unchanged(registry_dir):
    """The data file is untouched; the lock file (LMDB's reader table, which
    any reader writes its slot into) stays, with its owner and mode."""
    before = snapshot(registry_dir)
    assert set(before) == {"kez.db", "kez.db-lock"}
    lock = os.stat(os.path.join(registry_dir, "kez.db-lock"))
    assert_ok(check(["--db", os.path.join(registry_dir, "kez.db")]))
    after = snapshot(registry_dir)
    assert after["kez.db"] == before["kez.db"] and set(after) == set(before)
    again = os.stat(os.path.join(registry_dir, "kez.db-lock"))
    assert (again.st_uid, again.st_gid, again.st_mode) == (lock.st_uid, lock.st_gid, lock.st_mode)


def test_no_lock_file_left_behind(registry_dir):
    d = make_temp_dir()
    shutil.copy(os.path.join(registry_dir, "kez.db"), os.path.join(d, "kez.db"))
    os.chmod(d, 0o755)
    before = snapshot(d)
    assert list(before) == ["kez.db"]
    assert_ok(check(["--db", os.path.join(d, "kez.db")]))
    assert snapshot(d) == before


def test_check_beside_a_running_server():
    """What ExecReload does: the check reads the live registry and leaves
    the server serving."""
    d = make_temp_dir()
    s = Server(d).start()
    try:
        body, _ = kc.make_envelope("live")
        assert kc.register(s.port, body).status == 201
        db_before = snapshot(d)["kez.db"]
        assert_ok(check(["--db", s.db]))
        assert snapshot(d)["kez.db"] == db_before
        assert s.healthy()
        assert kc.get(s.port, "/v1/u/live").status == 200
    finally:
        s.stop()


def test_does_not_bind_the_port():
    d = make_temp_dir()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        # a start would fail on a taken port; the check binds nothing, so it
        # cannot even notice
        assert_ok(check(["--db", os.path.join(d, "kez.db"), "--bind", "127.0.0.1:%d" % port]))
    port = 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert_ok(check(["--db", os.path.join(d, "kez.db"), "--bind", "127.0.0.1:%d" % port]))
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # still free


@pytest.mark.skipif(not shutil.which("strace"), reason="strace is not installed")
def test_binds_and_forks_nothing():
    d = make_temp_dir()
    trace = os.path.join(d, "trace")
    args = ["--check", "--db", os.path.join(d, "kez.db"), "--bind", "127.0.0.1:0"]
    # LeakSanitizer cannot run under ptrace (and would clone a thread of its own)
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    r = subprocess.run(["strace", "-f", "-o", trace, "-e", "trace=bind,listen,socket,fork,vfork,clone,clone3,execve",
                        SERVER_BIN] + args + user_args(args), capture_output=True, text=True, timeout=20 * SLOW,
                       env=env)
    assert r.returncode == 0, r.stderr
    calls = [line for line in open(trace).read().splitlines() if not line.split(None, 1)[1].startswith("execve(")]
    assert not [c for c in calls if re.search(r"\b(bind|listen|fork|vfork|clone|clone3)\(", c)], calls
    assert not [c for c in calls if re.search(r"socket\(AF_INET6?", c)], calls


@pytest.mark.parametrize("args,flag", [
    (["--workers", "0"], "--workers"), (["--bind", "nonsense"], "--bind"), (["--log", "loud"], "--log"),
    (["--frobnicate"], "--frobnicate"), (["--sig-server-url", "ftp://x"], "--sig-server-url"),
    (["--nats-url", "nats://127.0.0.1:4222"], "--nats-url"),
])
def test_bad_flag_value_keeps_exit_2(args, flag):
    d = make_temp_dir()
    assert_problem(check(["--db", os.path.join(d, "kez.db")] + args), 2, re.escape(flag))


def test_bad_variable_keeps_exit_2():
    d = make_temp_dir()
    r = check(["--db", os.path.join(d, "kez.db")], env={"KEZ_CHAT_MAX_BODY_SIZE": "12"})
    assert_problem(r, 2, "--max-body-size")


def test_registry_directory_missing():
    d = make_temp_dir()
    assert_problem(check(["--db", os.path.join(d, "nope", "kez.db")]), 1, r"--db: .*does not exist")


def test_registry_not_lmdb_and_left_alone():
    d = make_temp_dir()
    db = os.path.join(d, "kez.db")
    with open(db, "wb") as f:
        f.write(b"not a registry\n" * 512)
    before = snapshot(d)
    assert_problem(check(["--db", db]), 1, r"--db: .*not an LMDB file")
    assert snapshot(d) == before


def test_registry_is_a_directory():
    d = make_temp_dir()
    os.mkdir(os.path.join(d, "kez.db"))
    assert_problem(check(["--db", os.path.join(d, "kez.db")]), 1, r"--db: .*not a regular file")


def test_web_dir_problems():
    d = make_temp_dir()
    db = os.path.join(d, "kez.db")
    assert_problem(check(["--db", db, "--web-dir", os.path.join(d, "none")]), 1, r"--web-dir: .*No such file")
    with open(os.path.join(d, "file"), "w") as f:
        f.write("x")
    assert_problem(check(["--db", db, "--web-dir", os.path.join(d, "file")]), 1, r"--web-dir: .*not a directory")
    web = os.path.join(d, "web")
    os.mkdir(web)
    assert_ok(check(["--db", db, "--web-dir", web]))


def test_reserved_list_problems():
    d = make_temp_dir()
    db = os.path.join(d, "kez.db")
    assert_problem(check(["--db", db, "--reserved", os.path.join(d, "none")]), 1, r"--reserved: .*No such file")
    bad = os.path.join(d, "reserved.txt")
    with open(bad, "w") as f:
        f.write("# ours\nstaff\nnot a handle!\n")
    assert_problem(check(["--db", db, "--reserved", bad]), 1, r"--reserved: .*line 3")
    with open(bad, "w") as f:
        f.write("# ours\nstaff\n")
    assert_ok(check(["--db", db, "--reserved", bad]))


def test_seed_file_problems():
    d = make_temp_dir()
    db = os.path.join(d, "kez.db")
    base = ["--db", db, "--nats-url", "nats://127.0.0.1:4222", "--nats-user", "svc", "--nats-password", "pw"]
    assert_problem(check(base + ["--nats-issuer-seed", os.path.join(d, "none")]), 1, r"--nats-issuer-seed: ")
    garbage = os.path.join(d, "issuer.seed")
    with open(garbage, "w") as f:
        f.write("SAnot-a-seed\n")
    os.chmod(garbage, 0o600)
    assert_problem(check(base + ["--nats-issuer-seed", garbage]), 1, r"--nats-issuer-seed: ")
    keys = os.path.join(d, "keys")
    os.mkdir(keys)
    made = subprocess.run([os.path.join(os.path.dirname(SERVER_BIN), "kezctl"), "nats-keys", "--out-dir", keys],
                          capture_output=True, text=True, timeout=10 * SLOW)
    assert made.returncode == 0, made.stderr
    assert_ok(check(base + ["--nats-issuer-seed", os.path.join(keys, "issuer.nk")]))


def test_no_variable_turns_a_start_into_a_check():
    r = subprocess.run([SERVER_BIN, "--help"], capture_output=True, text=True, timeout=10 * SLOW)
    assert "--check" in r.stdout
    assert "KEZ_CHAT_CHECK" not in r.stdout


def test_unit_checks_before_start_and_reload():
    text = open(UNIT).read()
    pre = re.findall(r"^ExecStartPre=(.*)$", text, re.M)
    start = re.findall(r"^ExecStart=(.*)$", text, re.M)
    reload = re.findall(r"^ExecReload=(.*)$", text, re.M)
    assert len(start) == 1 and len(pre) == 1 and len(reload) == 2
    binary, flags = start[0].split(None, 1)
    assert pre[0] == "%s --check %s" % (binary, flags)
    assert reload[0] == pre[0]  # the check runs first; a failure stops the reload
    assert reload[1] == "/bin/kill -HUP $MAINPID"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to check as another --user")
def test_web_dir_judged_as_the_server_user():
    """Started as root, the check judges --web-dir as --user, who opens every
    file in it: a folder only root can enter is refused, though root could."""
    d = make_temp_dir()
    db = os.path.join(d, "kez.db")
    web = os.path.join(d, "web")
    os.mkdir(web, 0o700)
    os.chmod(web, 0o700)
    assert_problem(check(["--db", db, "--web-dir", web, "--user", "nobody"]), 1,
                   r"--web-dir: cannot serve .*Permission denied")
    os.chmod(web, 0o755)
    assert_ok(check(["--db", db, "--web-dir", web, "--user", "nobody"]))
