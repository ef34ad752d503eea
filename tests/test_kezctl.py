"""kezctl, the command-line client, on its own and against the real server."""
import datetime
import json
import os
import stat
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

import kez_client as kc
from conftest import BUILD, SLOW

KEZCTL = os.path.join(BUILD, "kezctl")


def kezctl(*args, env=None, cwd=None):
    # only the tests that mean to set KEZCTL_URL see one
    e = {k: v for k, v in os.environ.items() if k != "KEZCTL_URL"}
    e.update(env or {})
    return subprocess.run([KEZCTL] + list(args), capture_output=True, text=True, timeout=60 * SLOW, env=e,
                          cwd=cwd)


def url_of(server):
    return "http://127.0.0.1:%d" % server.port


def public_key_of_file(path):
    """The ed25519:<hex> key of a key file, derived independently."""
    text = path.read_text()
    assert text.startswith("ed25519-seed:") and text.endswith("\n") and text.count("\n") == 1
    seed = bytes.fromhex(text[len("ed25519-seed:"):-1])
    raw = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + raw.hex()


def utc(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def now():
    return datetime.datetime.now(datetime.timezone.utc)


# --- keygen --------------------------------------------------------------------

def test_keygen_writes_a_private_key_matching_the_printed_one(tmp_path):
    path = tmp_path / "a.key"
    r = kezctl("keygen", "--out", str(path))
    assert r.returncode == 0, r.stderr
    pub = r.stdout.strip()
    assert r.stdout == pub + "\n" and pub.startswith("ed25519:") and len(pub) == 72
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert public_key_of_file(path) == pub


def test_keygen_default_file_is_kez_key_in_the_current_folder(tmp_path):
    r = kezctl("keygen", cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert public_key_of_file(tmp_path / "kez.key") == r.stdout.strip()


def test_keygen_refuses_to_overwrite_unless_forced(tmp_path):
    path = tmp_path / "a.key"
    first = kezctl("keygen", "--out", str(path)).stdout.strip()
    before = path.read_text()
    again = kezctl("keygen", "--out", str(path))
    assert again.returncode == 1 and again.stdout == ""
    assert again.stderr.startswith("kezctl: ") and "exists" in again.stderr and "--force" in again.stderr
    assert path.read_text() == before and public_key_of_file(path) == first
    os.chmod(path, 0o644)
    forced = kezctl("keygen", "--out", str(path), "--force")
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout.strip() != first and public_key_of_file(path) == forced.stdout.strip()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["a.key"]  # no temporary file left behind


def test_keygen_refuses_a_symlink(tmp_path):
    target = tmp_path / "target"
    target.write_text("keep me\n")
    (tmp_path / "link.key").symlink_to(target)
    r = kezctl("keygen", "--out", str(tmp_path / "link.key"))
    assert r.returncode == 1
    assert target.read_text() == "keep me\n"


# --- register, lookup, webfinger -------------------------------------------------

def test_register_prints_the_record_then_handle_taken(server, tmp_path):
    key = tmp_path / "k.key"
    pub = kezctl("keygen", "--out", str(key)).stdout.strip()
    # no --server: the domain comes from /v1/healthz; a trailing slash is fine
    r = kezctl("register", "cliuser", "--key", str(key), "--url", url_of(server) + "/")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    assert rec["handle"] == "cliuser" and rec["primary"] == pub and rec["fqhn"] == "cliuser@kez.test"
    assert r.stdout.startswith("{\n  \"handle\"")  # indented, in the server's order
    assert kc.get(server.port, "/v1/u/cliuser").json() == rec
    again = kezctl("register", "cliuser", "--key", str(key), "--url", url_of(server))
    assert again.returncode == 1 and again.stdout == ""
    assert again.stderr.startswith("kezctl: handle_taken: ") and again.stderr.count("\n") == 1


def test_register_errors_of_the_server_are_printed(server, tmp_path):
    key = tmp_path / "k.key"
    kezctl("keygen", "--out", str(key))
    reserved = kezctl("register", "admin", "--key", str(key), "--url", url_of(server))
    assert reserved.returncode == 1 and reserved.stderr.startswith("kezctl: handle_reserved: ")
    wrong = kezctl("register", "cliwrong", "--key", str(key), "--url", url_of(server), "--server", "other.test")
    assert wrong.returncode == 1 and wrong.stderr.startswith("kezctl: wrong_server: ")
    ok = kezctl("register", "cliright", "--key", str(key), "--server", "kez.test",
                env={"KEZCTL_URL": url_of(server)})
    assert ok.returncode == 0, ok.stderr
    taken = kezctl("register", "cliother", "--key", str(key), "--url", url_of(server))
    assert taken.returncode == 1 and taken.stderr.startswith("kezctl: key_taken: ")


def test_register_rejects_bad_key_files_before_sending(tmp_path):
    cases = {
        "empty.key": "",
        "upper.key": "ed25519-seed:" + "AB" * 32 + "\n",
        "short.key": "ed25519-seed:" + "ab" * 31 + "\n",
        "twolines.key": "ed25519-seed:" + "ab" * 32 + "\nmore\n",
        "prefix.key": "ed25519:" + "ab" * 32 + "\n",
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        os.chmod(path, 0o600)
        r = kezctl("register", "someone", "--key", str(path), "--url", "http://127.0.0.1:1")
        assert r.returncode == 2 and "not a kezctl key file" in r.stderr, (name, r.stderr)
    missing = kezctl("register", "someone", "--key", str(tmp_path / "none.key"))
    assert missing.returncode == 2 and "No such file" in missing.stderr


def test_lookup_and_webfinger_print_the_record(server, tmp_path):
    key = tmp_path / "k.key"
    kezctl("keygen", "--out", str(key))
    rec = json.loads(kezctl("register", "clilook", "--key", str(key), "--url", url_of(server)).stdout)
    look = kezctl("lookup", "CLILOOK", env={"KEZCTL_URL": url_of(server)})
    assert look.returncode == 0 and json.loads(look.stdout) == rec
    missing = kezctl("lookup", "nobody-here", "--url", url_of(server))
    assert missing.returncode == 1 and missing.stderr.startswith("kezctl: not_found: ")
    # the handle stays one path segment: it cannot reach another route
    for handle in ("../healthz", "..", "a?b", "a#b"):
        r = kezctl("lookup", handle, "--url", url_of(server))
        assert r.returncode == 1 and r.stderr.startswith("kezctl: not_found: "), (handle, r.stderr)

    wf = kezctl("webfinger", "clilook@kez.test", "--url", url_of(server))
    assert wf.returncode == 0, wf.stderr
    jrd = json.loads(wf.stdout)
    assert jrd["subject"] == "acct:clilook@kez.test"
    assert {l["href"] for l in jrd["links"]} >= {rec["sigchain_url"]}
    only_self = kezctl("webfinger", "acct:clilook@kez.test", "--url", url_of(server), "--rel", "self")
    assert only_self.returncode == 0
    assert [l["rel"] for l in json.loads(only_self.stdout)["links"]] == ["self"]
    other = kezctl("webfinger", "clilook@elsewhere.test", "--url", url_of(server))
    assert other.returncode == 1 and other.stderr.startswith("kezctl: not_found: ")


def test_no_server_exits_3():
    for args in (["lookup", "someone"], ["webfinger", "a@b.c"]):
        r = kezctl(*args, "--url", "http://127.0.0.1:1")
        assert r.returncode == 3 and r.stderr.startswith("kezctl: http://127.0.0.1:1/"), r.stderr


def test_register_without_server_exits_3(tmp_path):
    key = tmp_path / "k.key"
    kezctl("keygen", "--out", str(key))
    r = kezctl("register", "someone", "--key", str(key), "--url", "http://127.0.0.1:1")
    assert r.returncode == 3 and "127.0.0.1:1" in r.stderr


def test_only_http_urls():
    r = kezctl("lookup", "someone", "--url", "file:///etc")
    assert r.returncode == 3 and "file" in r.stderr


# --- envelopes -------------------------------------------------------------------

def test_envelopes_are_valid_distinct_and_accepted(server):
    r = kezctl("envelopes", "50", "--server", "kez.test", "--prefix", "clienv")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 50 and len(set(lines)) == 50
    envs = [json.loads(l) for l in lines]
    assert [e["payload"]["handle"] for e in envs] == ["clienv%d" % i for i in range(50)]
    assert len({e["payload"]["primary"] for e in envs}) == 50
    for e in envs:
        assert abs((utc(e["payload"]["created_at"]) - now()).total_seconds()) < 30 * SLOW
    for line in lines:
        assert kc.register(server.port, line.encode()).status == 201


def test_envelope_matches_independent_jcs_and_signature():
    line = kezctl("envelopes", "1", "--server", "kez.test").stdout.strip()
    env = json.loads(line)
    assert env["payload"]["handle"] == "bench0"
    assert line == kc.jcs(env)  # kezctl writes canonical JSON
    assert env["signature"]["alg"] == "ed25519-sha512-jcs"
    assert env["signature"]["key"] == env["payload"]["primary"]
    pub = Ed25519PublicKey.from_public_bytes(bytes.fromhex(env["payload"]["primary"][8:]))
    pub.verify(bytes.fromhex(env["signature"]["sig"]), kc.jcs(env["payload"]).encode())


def test_envelopes_default_server_and_skew(server):
    default = json.loads(kezctl("envelopes", "1").stdout)
    assert default["payload"]["server"] == "kez.lat"
    old = kezctl("envelopes", "1", "--server", "kez.test", "--prefix", "cliold", "--skew", "-1000")
    env = json.loads(old.stdout)
    assert 900 < (now() - utc(env["payload"]["created_at"])).total_seconds() < 1100
    r = kc.register(server.port, old.stdout.strip().encode())
    assert r.status == 400 and kc.error_of(r) == "stale_timestamp"


def test_many_envelopes_stay_in_order():
    # more than one chunk per thread: the threads' output must interleave in order
    r = kezctl("envelopes", "3000", "--prefix", "order")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert [json.loads(l)["payload"]["handle"] for l in lines] == ["order%d" % i for i in range(3000)]
    assert len({json.loads(l)["payload"]["primary"] for l in lines}) == 3000


def test_envelopes_zero_prints_nothing():
    r = kezctl("envelopes", "0")
    assert r.returncode == 0 and r.stdout == ""


# --- usage -----------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    [], ["frob"], ["--bogus"],
    ["keygen", "extra"], ["keygen", "--out"], ["keygen", "--url", "x"],
    ["register"], ["register", "x"], ["register", "Upper", "--key", "k"], ["register", "ab", "--key", "k"],
    ["lookup"], ["lookup", "a", "--bogus"], ["lookup", "a", "b"], ["lookup", "a", "--url", ""],
    ["webfinger", "nodomain"], ["webfinger", "@x"], ["webfinger", "a@"],
    ["envelopes"], ["envelopes", "x"], ["envelopes", "-5"], ["envelopes", "5x"], ["envelopes", "5", "--prefix", "A"],
    ["envelopes", "5", "--prefix", "x"], ["envelopes", "200", "--prefix", "a" * 31], ["envelopes", "5", "--prefix", "a" * 40],
    ["envelopes", "5", "--skew", "soon"], ["envelopes", "5", "--skew", "1.5"], ["envelopes", "5", "--key", "k"],
])
def test_bad_usage_exits_2_with_one_line(args):
    r = kezctl(*args)
    assert r.returncode == 2, (args, r.stderr)
    assert r.stderr.startswith("kezctl: ") and r.stderr.count("\n") == 1 and r.stdout == ""


def test_help_and_version():
    v = kezctl("--version")
    assert v.returncode == 0 and v.stdout == "kezctl 0.1.0\n"
    h = kezctl("--help")
    assert h.returncode == 0
    for cmd in ("keygen", "register", "lookup", "webfinger", "envelopes", "ed25519-seed:"):
        assert cmd in h.stdout
    for cmd in ("keygen", "register", "lookup", "webfinger", "envelopes", "nats-keys"):
        r = kezctl(cmd, "--help")
        assert r.returncode == 0 and r.stdout.startswith("usage: kezctl " + cmd), cmd
