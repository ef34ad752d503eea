"""kezctl sigchain and kezctl events, against a small stand-in of the chain
endpoints (SIGCHAIN.md §2) on loopback: the stand-in only stores and pages,
so every verdict printed here is kezctl's own. The events kezctl makes are
also checked independently (Python's Ed25519 and a JCS for this JSON)."""
import hashlib
import http.server
import json
import os
import subprocess
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from conftest import BUILD, SLOW

KEZCTL = os.path.join(BUILD, "kezctl")
PREFIX = "/v1/sigchains/ed25519/"


def kezctl(*args, stdin=None):
    env = {k: v for k, v in os.environ.items() if k != "KEZCTL_URL"}
    return subprocess.run([KEZCTL] + list(args), capture_output=True, text=True, timeout=60 * SLOW, env=env,
                          input=stdin)


def jcs(value):
    """RFC 8785 for what these events hold: strings, integers, objects."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event):
    return "sha256:" + hashlib.sha256(jcs(event)).hexdigest()


def check_independently(lines):
    """Signatures, seq, prev and signing keys of one chain, without kezctl."""
    signer = None
    prev = None
    for n, line in enumerate(lines, 1):
        event = json.loads(line)
        assert jcs(event) == line.encode(), "each line is the event's JCS form"
        p = event["payload"]
        assert p["seq"] == n and p["prev"] == prev
        signer = signer or p["chain"]
        assert event["signature"]["key"] == signer
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(signer[8:])).verify(
            bytes.fromhex(event["signature"]["sig"]), jcs(p))
        if p["op"] == "rotate":
            signer = p["body"]["new_key"]
        prev = event_hash(event)
    return prev


class StandIn:
    """Stores events per chain, pages GETs (page_size at a time), and
    checks nothing but seq and prev. `lie` corrupts what it serves."""

    def __init__(self, page_size=1000):
        self.chains = {}
        self.page_size = page_size
        self.records = {}
        self.lie = None
        handler = self._handler()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def summary(self, hexkey):
        events = self.chains.get(hexkey, [])
        signing = "ed25519:" + hexkey
        for e in events:
            if e["payload"]["op"] == "rotate":
                signing = e["payload"]["body"]["new_key"]
        return {"chain": "ed25519:" + hexkey, "length": len(events),
                "head": event_hash(events[-1]) if events else None, "signing_key": signing}

    def _handler(self):
        stand_in = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, status, doc, kind="application/json"):
                body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def not_found(self):
                self.answer(404, {"error": "not_found", "message": "nothing is here"})

            def do_GET(self):
                path, _, query = self.path.partition("?")
                if path.startswith("/v1/u/"):
                    rec = stand_in.records.get(path[6:])
                    return self.answer(200, rec) if rec else self.not_found()
                if not path.startswith(PREFIX):
                    return self.not_found()
                hexkey = path[len(PREFIX):]
                jsonl = hexkey.endswith(".jsonl")
                hexkey = hexkey[:-6] if jsonl else hexkey
                events = stand_in.chains.get(hexkey)
                if not events:
                    return self.not_found()
                events = [dict(e) for e in events]
                if stand_in.lie == "alter" and len(events) > 3:
                    events[3] = json.loads(json.dumps(events[3]))
                    events[3]["payload"]["created_at"] = "2001-01-01T00:00:00Z"
                if jsonl:
                    return self.answer(200, b"".join(jcs(e) + b"\n" for e in events), "application/jsonl")
                params = dict(p.split("=", 1) for p in query.split("&") if p)
                after = int(params.get("after", "0"))
                limit = min(int(params.get("limit", "1000")), stand_in.page_size)
                doc = stand_in.summary(hexkey)
                if stand_in.lie == "head":
                    doc["head"] = "sha256:" + "0" * 64
                doc["events"] = events[after:after + limit]
                self.answer(200, doc)

            def do_POST(self):
                hexkey = self.path[len(PREFIX):]
                event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                events = stand_in.chains.setdefault(hexkey, [])
                seq, prev = event["payload"]["seq"], event["payload"]["prev"]
                done = {"chain": "ed25519:" + hexkey, "seq": seq, "hash": event_hash(event)}
                if seq <= len(events) and event_hash(events[seq - 1]) == event_hash(event):
                    s = stand_in.summary(hexkey)
                    return self.answer(200, dict(done, length=s["length"], head=s["head"]))
                head = event_hash(events[-1]) if events else None
                if seq != len(events) + 1 or prev != head:
                    return self.answer(409, {"error": "seq_conflict", "message": "no", "length": len(events),
                                             "head": head})
                events.append(event)
                self.answer(201, dict(done, length=seq, head=event_hash(event)))

        return Handler


@pytest.fixture
def stand_in():
    s = StandIn()
    yield s
    s.close()


def make_chain(tmp_path, n=23, chains=1):
    r = kezctl("events", str(n), "--chains", str(chains))
    assert r.returncode == 0, r.stderr
    path = tmp_path / "chain.jsonl"
    path.write_text(r.stdout)
    return path, r.stdout.splitlines()


def test_events_make_chains_that_verify(tmp_path):
    path, lines = make_chain(tmp_path, 23)
    assert len(lines) == 23
    head = check_independently(lines)
    ops = [json.loads(l)["payload"]["op"] for l in lines]
    assert ops.count("rotate") == 2 and ops.count("revoke") == 2 and ops.count("add") == 19
    r = kezctl("sigchain", "verify-file", str(path))
    assert r.returncode == 0, r.stderr
    assert "length       23" in r.stdout and head in r.stdout
    assert "claims       17 active" in r.stdout
    assert "bench:c0-s4\n" not in r.stdout and "bench:c0-s3\n" in r.stdout

    # three chains, round-robin: each one on its own verifies
    r = kezctl("events", "12", "--chains", "3")
    assert r.returncode == 0
    by_chain = {}
    for i, line in enumerate(r.stdout.splitlines()):
        by_chain.setdefault(json.loads(line)["payload"]["chain"], []).append(line)
        assert json.loads(line)["payload"]["seq"] == i // 3 + 1
    assert len(by_chain) == 3
    for key, chain_lines in by_chain.items():
        check_independently(chain_lines)
        p = tmp_path / "one.jsonl"
        p.write_text("\n".join(chain_lines) + "\n")
        assert kezctl("sigchain", "verify-file", str(p), "--chain", key).returncode == 0
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(r.stdout)
    r = kezctl("sigchain", "verify-file", str(mixed))
    assert r.returncode == 1 and "chain_mismatch" in r.stderr


@pytest.mark.parametrize("damage,code", [
    ("drop", "seq_conflict"),
    ("swap", "seq_conflict"),
    ("sig", "invalid_signature"),
    ("subject", "invalid_signature"),
    ("blank", "empty"),
    ("other_chain", "chain_mismatch"),
])
def test_verify_file_finds_every_break(tmp_path, damage, code):
    path, lines = make_chain(tmp_path, 14)
    if damage == "drop":
        del lines[6]
    elif damage == "swap":
        lines[2], lines[3] = lines[3], lines[2]
    elif damage == "sig":
        e = json.loads(lines[4])
        s = e["signature"]["sig"]
        e["signature"]["sig"] = ("1" if s[0] != "1" else "2") + s[1:]
        lines[4] = jcs(e).decode()
    elif damage == "subject":
        assert "bench:c0-s4" in lines[3]
        lines[3] = lines[3].replace("bench:c0-s4", "bench:c0-s9")
    elif damage == "blank":
        lines.insert(3, "")
    elif damage == "other_chain":
        lines[1] = kezctl("events", "3").stdout.splitlines()[1]
    path.write_text("\n".join(lines) + "\n")
    r = kezctl("sigchain", "verify-file", str(path))
    assert r.returncode == 1
    assert code in r.stderr, r.stderr
    assert r.stdout == ""


def test_import_show_export(tmp_path, stand_in):
    path, lines = make_chain(tmp_path, 25)
    key = json.loads(lines[0])["payload"]["chain"]
    r = kezctl("sigchain", "import", str(path), "--url", stand_in.url)
    assert r.returncode == 0, r.stderr
    assert "imported 25 events: 25 stored now, 0 already stored" in r.stdout
    r = kezctl("sigchain", "import", str(path), "--url", stand_in.url)
    assert r.returncode == 0 and "0 stored now, 25 already stored" in r.stdout

    stand_in.page_size = 7  # four pages
    r = kezctl("sigchain", "show", key, "--url", stand_in.url)
    assert r.returncode == 0, r.stderr
    assert "length       25" in r.stdout and "bench:c0-s23\n" in r.stdout
    assert "bench:c0-s24\n" not in r.stdout and "bench:c0-s4\n" not in r.stdout

    r = kezctl("sigchain", "export", key, "--url", stand_in.url)
    assert r.returncode == 0 and r.stdout == path.read_text()

    stand_in.lie = "head"
    r = kezctl("sigchain", "show", key, "--url", stand_in.url)
    assert r.returncode == 1 and "head" in r.stderr
    stand_in.lie = "alter"
    r = kezctl("sigchain", "show", key, "--url", stand_in.url)
    assert r.returncode == 1 and "broken at event 4" in r.stderr
    r = kezctl("sigchain", "export", key, "--url", stand_in.url)
    assert r.returncode == 1 and r.stdout == ""

    r = kezctl("sigchain", "show", "ed25519:" + "ab" * 32, "--url", stand_in.url)
    assert r.returncode == 1 and "not_found" in r.stderr


def test_add_revoke_rotate_then_show(tmp_path, stand_in):
    k1, k2 = tmp_path / "k1.key", tmp_path / "k2.key"
    first = kezctl("keygen", "--out", str(k1)).stdout.strip()
    second = kezctl("keygen", "--out", str(k2)).stdout.strip()
    url = ["--url", stand_in.url]

    r = kezctl("sigchain", "add", "github:alice", "--key", str(k1), *url)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["seq"] == 1
    r = kezctl("sigchain", "add", "dns:alice.example", "--key", str(k1), "--body", '{"proof":"https://x/p"}', *url)
    assert r.returncode == 0, r.stderr
    assert kezctl("sigchain", "revoke", "1", "--key", str(k1), *url).returncode == 0
    r = kezctl("sigchain", "rotate", "--new-key", str(k2), "--key", str(k1), *url)
    assert r.returncode == 0, r.stderr
    # the old key no longer signs: refused here, nothing is sent
    r = kezctl("sigchain", "add", "x:y", "--key", str(k1), *url)
    assert r.returncode == 1 and second in r.stderr
    r = kezctl("sigchain", "add", "mastodon:@alice@social.example", "--key", str(k2), "--chain", first, *url)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["seq"] == 5

    hexkey = first[8:]
    stored = [jcs(e).decode() for e in stand_in.chains[hexkey]]
    check_independently(stored)
    assert json.loads(stored[1])["payload"]["body"] == {"subject": "dns:alice.example", "proof": "https://x/p"}

    stand_in.records["alice"] = {"handle": "alice", "fqhn": "alice@kez.lat", "primary": first,
                                 "sigchain_url": stand_in.url + PREFIX + hexkey}
    for who in (first, "alice@kez.lat"):
        r = kezctl("sigchain", "show", who, *url)
        assert r.returncode == 0, r.stderr
        assert "claims       2 active" in r.stdout
        assert "dns:alice.example" in r.stdout and "mastodon:@alice@social.example" in r.stdout
        assert "github:alice" not in r.stdout and ("signing key  " + second) in r.stdout
    r = kezctl("sigchain", "show", "alice@other.example", *url)
    assert r.returncode == 1


def test_usage_errors(tmp_path):
    k = tmp_path / "k.key"
    kezctl("keygen", "--out", str(k))
    for args in (["sigchain"], ["sigchain", "nope"], ["sigchain", "add", "Not A Subject", "--key", str(k)],
                 ["sigchain", "add", "x:y"], ["sigchain", "revoke", "0", "--key", str(k)],
                 ["sigchain", "rotate", "--key", str(k)], ["sigchain", "add", "x:y", "--key", str(k),
                                                            "--body", '{"subject":"a:b"}'],
                 ["events"], ["events", "3", "--chains", "0"]):
        r = kezctl(*args)
        assert r.returncode == 2, args
