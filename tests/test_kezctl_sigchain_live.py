"""kezctl sigchain against the real daemon (--serve registry,sigchain): a
handle registered with kezctl, its chain grown with add, revoke and rotate,
read back by key and by handle@domain, exported, imported into a second
server (twice: stored events answer 200), and a tampered copy refused."""
import json
import os
import subprocess

import pytest

import kez_client as kc
from conftest import BUILD, SLOW, Server, free_port, make_temp_dir

KEZCTL = os.path.join(BUILD, "kezctl")


def kezctl(*args, url=None, cwd=None):
    env = {k: v for k, v in os.environ.items() if k != "KEZCTL_URL"}
    if url:
        args = list(args) + ["--url", url]
    return subprocess.run([KEZCTL] + list(args), capture_output=True, text=True, timeout=60 * SLOW, env=env,
                          cwd=cwd, stdin=subprocess.DEVNULL)


def sig_server(server="kez.test"):
    """A server whose records point at its own chain endpoints."""
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    s = Server(make_temp_dir(), ["--serve", "registry,sigchain", "--bind", "127.0.0.1:%d" % port,
                                 "--sig-server-url", url], server=server).start()
    assert s.port == port
    return s, url


@pytest.fixture(scope="module")
def servers():
    a, a_url = sig_server()
    b, b_url = sig_server()
    yield (a, a_url), (b, b_url)
    a.stop()
    b.stop()


def chain_of(port, key):
    r = kc.get(port, "/v1/sigchains/ed25519/%s" % key[8:])
    assert r.status == 200, r
    return r.json()


def test_the_whole_round(servers, tmp_path):
    (a, a_url), (b, b_url) = servers
    first, second = str(tmp_path / "first.key"), str(tmp_path / "second.key")
    r = kezctl("keygen", "--out", first)
    assert r.returncode == 0, r.stderr
    key = r.stdout.strip().split()[-1]
    assert key.startswith("ed25519:")
    r = kezctl("keygen", "--out", second)
    assert r.returncode == 0, r.stderr
    new_key = r.stdout.strip().split()[-1]

    r = kezctl("register", "carol", "--key", first, url=a_url)
    assert r.returncode == 0, r.stderr
    record = kc.get(a.port, "/v1/u/carol").json()
    assert record["primary"] == key
    assert record["sigchain_url"].startswith(a_url)

    # add, add, revoke the first, rotate, then an add signed by the new key
    r = kezctl("sigchain", "add", "github:carol", "--key", first, url=a_url)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["seq"] == 1
    r = kezctl("sigchain", "add", "dns:carol.example", "--key", first, "--body", '{"proof":"https://carol.example/kez"}',
               url=a_url)
    assert r.returncode == 0, r.stderr
    r = kezctl("sigchain", "revoke", "1", "--key", first, url=a_url)
    assert r.returncode == 0, r.stderr
    r = kezctl("sigchain", "rotate", "--new-key", second, "--key", first, url=a_url)
    assert r.returncode == 0, r.stderr
    # the old key signs no more: kezctl says so before posting
    r = kezctl("sigchain", "add", "mastodon:carol", "--key", first, url=a_url)
    assert r.returncode == 1 and "signing key is " + new_key in r.stderr
    r = kezctl("sigchain", "add", "mastodon:carol", "--key", second, "--chain", key, url=a_url)
    assert r.returncode == 0, r.stderr
    answer = json.loads(r.stdout)
    assert answer["seq"] == 5 and answer["length"] == 5

    summary = chain_of(a.port, key)
    assert summary["length"] == 5 and summary["signing_key"] == new_key
    assert [e["payload"]["op"] for e in summary["events"]] == ["add", "add", "revoke", "rotate", "add"]

    # read back by key and by handle@domain: the same verified listing
    by_key = kezctl("sigchain", "show", key, url=a_url)
    assert by_key.returncode == 0, by_key.stderr
    by_handle = kezctl("sigchain", "show", "carol@kez.test", url=a_url)
    assert by_handle.returncode == 0, by_handle.stderr
    assert by_key.stdout == by_handle.stdout
    out = by_key.stdout
    assert "length       5" in out and summary["head"] in out and new_key in out
    assert "claims       2 active" in out
    assert "dns:carol.example" in out and "mastodon:carol" in out and "github:carol" not in out

    # export, then import into a second server, twice
    r = kezctl("sigchain", "export", key, url=a_url)
    assert r.returncode == 0, r.stderr
    exported = r.stdout
    assert exported == kc.get(a.port, "/v1/sigchains/ed25519/%s.jsonl" % key[8:]).body.decode()
    assert len(exported.splitlines()) == 5
    path = tmp_path / "chain.jsonl"
    path.write_text(exported)
    r = kezctl("sigchain", "import", str(path), url=b_url)
    assert r.returncode == 0, r.stderr
    assert "imported 5 events: 5 stored now, 0 already stored" in r.stdout
    r = kezctl("sigchain", "import", str(path), url=b_url)
    assert r.returncode == 0, r.stderr
    assert "imported 5 events: 0 stored now, 5 already stored" in r.stdout
    copy = chain_of(b.port, key)
    assert copy["head"] == summary["head"] and copy["length"] == 5 and copy["signing_key"] == new_key
    r = kezctl("sigchain", "show", key, url=b_url)
    assert r.returncode == 0 and r.stdout == out

    # a tampered copy: verify-file and import refuse it, nothing is posted
    lines = exported.splitlines()
    event = json.loads(lines[1])
    event["payload"]["body"]["subject"] = "dns:mallory.example"
    lines[1] = json.dumps(event, separators=(",", ":"))
    bad = tmp_path / "tampered.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    r = kezctl("sigchain", "verify-file", str(bad))
    assert r.returncode == 1 and "invalid_signature" in r.stderr
    c, c_url = sig_server()
    try:
        r = kezctl("sigchain", "import", str(bad), url=c_url)
        assert r.returncode == 1 and "invalid_signature" in r.stderr
        assert kc.get(c.port, "/v1/sigchains/ed25519/%s" % key[8:]).status == 404
        # a chain cut short then grown elsewhere: the real server says 409
        head3 = tmp_path / "three.jsonl"
        head3.write_text("\n".join(exported.splitlines()[:3]) + "\n")
        assert kezctl("sigchain", "import", str(head3), url=c_url).returncode == 0
        r = kezctl("sigchain", "import", str(path), url=c_url)
        assert r.returncode == 0 and "2 stored now, 3 already stored" in r.stdout, r.stdout + r.stderr
    finally:
        c.stop()


def test_show_of_unknown_handle_and_key_fail(servers, tmp_path):
    (a, a_url), _ = servers
    r = kezctl("sigchain", "show", "nobody-here@kez.test", url=a_url)
    assert r.returncode == 1 and "not_found" in r.stderr
    r = kezctl("sigchain", "show", "ed25519:" + "ab" * 32, url=a_url)
    assert r.returncode == 1 and "not_found" in r.stderr
    r = kezctl("sigchain", "show", "carol@other.test", url=a_url)
    assert r.returncode == 1


def test_a_diverged_copy_is_refused_with_409(servers, tmp_path):
    """The same key starts its chain on two servers with different events:
    importing one into the other stops at seq 1 with the server's 409, and
    the chain there stays as it was."""
    (a, a_url), (b, b_url) = servers
    k = str(tmp_path / "k.key")
    r = kezctl("keygen", "--out", k)
    key = r.stdout.strip().split()[-1]
    assert kezctl("sigchain", "add", "github:race", "--key", k, url=a_url).returncode == 0
    assert kezctl("sigchain", "add", "github:other", "--key", k, url=b_url).returncode == 0
    r = kezctl("sigchain", "export", key, url=b_url)
    assert r.returncode == 0
    path = tmp_path / "b.jsonl"
    path.write_text(r.stdout)
    before = chain_of(a.port, key)
    r = kezctl("sigchain", "import", str(path), url=a_url)
    assert r.returncode == 1
    assert "seq_conflict" in r.stderr and "stopped after 0 events" in r.stderr
    assert chain_of(a.port, key) == before


def test_long_chain_over_several_pages(servers, tmp_path):
    """More events than one page (1000) and than a request body's caps allow
    in one document: show pages through all of it and export keeps it
    whole (a page is far over the 256 items a request body may hold; the
    answers are not held to that cap)."""
    (a, a_url), _ = servers
    r = kezctl("events", "1010")
    assert r.returncode == 0
    path = tmp_path / "long.jsonl"
    path.write_text(r.stdout)
    key = json.loads(r.stdout.splitlines()[0])["payload"]["chain"]
    r = kezctl("sigchain", "import", str(path), url=a_url)
    assert r.returncode == 0, r.stderr
    assert "1010 stored now" in r.stdout
    page = kc.get(a.port, "/v1/sigchains/ed25519/%s" % key[8:]).json()
    assert page["length"] == 1010 and len(page["events"]) == 1000
    r = kezctl("sigchain", "show", key, url=a_url)
    assert r.returncode == 0, r.stderr
    assert "length       1010" in r.stdout and page["head"] in r.stdout
    # events makes 8 adds, a revoke and a rotate in every ten
    assert "claims       %d active" % (1010 - 101 - 101 - 101) in r.stdout
    r = kezctl("sigchain", "export", key, url=a_url)
    assert r.returncode == 0 and r.stdout == path.read_text()
