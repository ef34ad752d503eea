"""kezctl, the command-line client, against the real server."""
import json
import os
import stat
import subprocess

import pytest

import kez_client as kc
from conftest import BUILD

KEZCTL = os.path.join(BUILD, "kezctl")


def kezctl(*args, env=None):
    e = dict(os.environ, **(env or {}))
    return subprocess.run([KEZCTL] + list(args), capture_output=True, text=True, timeout=60, env=e)


def test_keygen_writes_private_key(tmp_path):
    path = tmp_path / "a.key"
    r = kezctl("keygen", "--out", str(path))
    assert r.returncode == 0
    pub = r.stdout.strip()
    assert pub.startswith("ed25519:") and len(pub) == 72
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_text().startswith("ed25519-seed:")
    again = kezctl("keygen", "--out", str(path))
    assert again.returncode != 0 and "exists" in again.stderr
    assert kezctl("keygen", "--out", str(path), "--force").returncode == 0


def test_register_lookup_webfinger(server, tmp_path):
    url = "http://127.0.0.1:%d" % server.port
    key = tmp_path / "k.key"
    pub = kezctl("keygen", "--out", str(key)).stdout.strip()
    r = kezctl("register", "cliuser", "--key", str(key), "--url", url)
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    assert rec["handle"] == "cliuser" and rec["primary"] == pub and rec["fqhn"] == "cliuser@kez.test"
    again = kezctl("register", "cliuser", "--key", str(key), "--url", url)
    assert again.returncode == 1 and "handle_taken" in again.stderr
    look = kezctl("lookup", "CLIUSER", env={"KEZCTL_URL": url})
    assert look.returncode == 0 and json.loads(look.stdout) == rec
    missing = kezctl("lookup", "nobody-here", "--url", url)
    assert missing.returncode == 1 and "not_found" in missing.stderr
    wf = kezctl("webfinger", "cliuser@kez.test", "--url", url, "--rel", "self")
    assert wf.returncode == 0
    assert [l["rel"] for l in json.loads(wf.stdout)["links"]] == ["self"]


def test_envelopes_are_valid_and_distinct(server):
    r = kezctl("envelopes", "50", "--server", "kez.test", "--prefix", "env")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 50 and len(set(lines)) == 50
    keys = {json.loads(l)["payload"]["primary"] for l in lines}
    assert len(keys) == 50
    for line in lines:
        assert kc.register(server.port, line.encode()).status == 201


def test_envelope_matches_independent_jcs(tmp_path):
    line = kezctl("envelopes", "1", "--server", "kez.test").stdout.strip()
    env = json.loads(line)
    assert line == kc.jcs(env)  # kezctl writes canonical JSON
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    pub = Ed25519PublicKey.from_public_bytes(bytes.fromhex(env["payload"]["primary"][8:]))
    pub.verify(bytes.fromhex(env["signature"]["sig"]), kc.jcs(env["payload"]).encode())


@pytest.mark.parametrize("args", [[], ["frob"], ["register"], ["register", "x"], ["envelopes", "x"],
                                  ["envelopes", "5", "--prefix", "A"], ["envelopes", "5", "--prefix", "x"], ["lookup", "a", "--bogus"],
                                  ["webfinger", "nodomain"]])
def test_bad_usage_exits_2(args):
    r = kezctl(*args)
    assert r.returncode == 2 and r.stderr.startswith("kezctl: ")


def test_no_server_exits_3():
    r = kezctl("lookup", "someone", "--url", "http://127.0.0.1:1")
    assert r.returncode == 3
