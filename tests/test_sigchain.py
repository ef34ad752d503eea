"""The sigchain service (SIGCHAIN.md) against the real daemon: every row of
the POST table (an event failing only that row, and earlier rows winning
over later ones), success and retry bodies, rotations and revokes, the GET
forms (paging, .jsonl, one event, ETag/304, CORS), and the flags. Events are
built and chains verified by tests/sigchain_client.py, independently of the
server's code."""
import json

import pytest

import kez_client as kc
import sigchain_client as sc

SMALL_ORDER_KEY = "ed25519:" + "00" * 32  # the identity point's neighbour family: small order
IDENTITY_KEY = "ed25519:01" + "00" * 31


@pytest.fixture(scope="module")
def sig(request):
    from conftest import Server, make_temp_dir
    s = Server(make_temp_dir(), ["--serve", "registry,sigchain"]).start()
    yield s
    s.stop()


@pytest.fixture
def port(sig):
    return sig.port


def error_body(r):
    """The error code, after checking the body's shape: error, message, and
    only the extra members SIGCHAIN.md gives that code."""
    assert r.headers.get("content-type") == "application/json", r
    body = r.json()
    extra = {"seq_conflict": {"length", "head"}, "wrong_signing_key": {"signing_key"}}.get(body.get("error"), set())
    assert set(body) == {"error", "message"} | extra, body
    assert isinstance(body["message"], str) and body["message"].strip(), body
    return body["error"]


def started_chain(port, n_adds=1):
    c = sc.Chain()
    for i in range(n_adds):
        sc.append(port, c, c.add("github:user%d" % i))
    return c


def expect(r, status, code):
    assert r.status == status, r
    assert error_body(r) == code, r.body


# --- success -----------------------------------------------------------------

def test_first_event_201_body_and_location(port):
    c = sc.Chain()
    ev = c.add("github:tudisco")
    r = sc.post(port, c.hex, ev)
    assert r.status == 201, r
    assert r.headers["location"] == c.path + "/1"
    assert r.headers["content-type"] == "application/json"
    assert r.headers["access-control-allow-origin"] == "*"
    h = sc.event_hash(ev)
    assert r.json() == {"chain": "ed25519:" + c.hex, "seq": 1, "hash": h, "length": 1, "head": h}


def test_retry_of_identical_event_is_200_and_harmless(port):
    c = started_chain(port, 2)
    first = c.events[0]
    r = sc.post(port, c.hex, first)
    assert r.status == 200, r
    assert r.headers["location"] == c.path + "/1"
    # length and head describe the chain now
    assert r.json() == {"chain": "ed25519:" + c.hex, "seq": 1, "hash": sc.event_hash(first), "length": 2,
                        "head": c.head()}
    doc = kc.get(port, c.path).json()
    assert doc["length"] == 2


def test_retry_with_other_spelling_of_same_event_is_200(port):
    """The hash is over JCS: the same event sent with other whitespace and
    member order is the very same event."""
    c = started_chain(port, 1)
    raw = json.dumps(c.events[0], indent=3, sort_keys=True).encode()
    r = sc.post(port, c.hex, None, raw=raw)
    assert r.status == 200, r


def test_unknown_members_are_signed_and_kept(port):
    c = sc.Chain()
    ev = c.add("dns:kez.lat", proof="https://kez.lat/proof", nested={"z": 1, "a": [1.5, "é"]})
    ev_payload = ev["payload"]
    ev_payload["client"] = "test"
    ev = sc.sign(ev_payload, c.signer)
    sc.append(port, c, ev)
    got = kc.get(port, c.path + "/1")
    assert got.status == 200
    assert json.loads(got.body) == ev
    assert got.body.decode("utf-8") == kc.jcs(ev)


def test_rotation_hands_signing_to_new_key(port):
    c = started_chain(port, 1)
    k2 = kc.new_key()
    sc.append(port, c, c.rotate(k2), new_signer=k2)
    doc = kc.get(port, c.path).json()
    assert doc["signing_key"] == kc.key_text(k2)
    sc.append(port, c, c.add("github:after-rotate"))
    # the old key no longer signs
    old = c.next_event("add", {"subject": "github:old"}, signer=c.first)
    r = sc.post(port, c.hex, old)
    expect(r, 403, "wrong_signing_key")
    assert r.json()["signing_key"] == kc.key_text(k2)
    # a second rotation, and the chain keeps its name
    k3 = kc.new_key()
    sc.append(port, c, c.rotate(k3), new_signer=k3)
    doc = kc.get(port, c.path).json()
    assert doc["chain"] == "ed25519:" + c.hex and doc["signing_key"] == kc.key_text(k3)
    active, signing, head = sc.verify_chain(c.hex, doc["events"])
    assert signing == kc.key_text(k3) and head == doc["head"]
    assert sorted(active.values()) == ["github:after-rotate", "github:user0"]


def test_revoke_withdraws_a_claim(port):
    c = started_chain(port, 2)
    sc.append(port, c, c.revoke(1))
    active, _, _ = sc.verify_chain(c.hex, kc.get(port, c.path).json()["events"])
    assert active == {2: "github:user1"}


def test_events_long_after_they_were_made_are_accepted(port):
    c = sc.Chain()
    sc.append(port, c, c.add("github:old", created_at="2001-02-03T04:05:06Z"))
    sc.append(port, c, c.add("github:later", created_at="2001-02-03T05:05:06.5+01:00"))


def test_timestamp_equal_to_previous_is_accepted_and_fractions_count(port):
    c = sc.Chain()
    sc.append(port, c, c.add("github:a", created_at="2026-01-01T00:00:00.25Z"))
    sc.append(port, c, c.add("github:b", created_at="2026-01-01T00:00:00.25Z"))
    r = sc.post(port, c.hex, c.add("github:c", created_at="2026-01-01T00:00:00.2Z"))
    expect(r, 400, "timestamp_regression")
    # the same instant written with an offset is not earlier
    sc.append(port, c, c.add("github:d", created_at="2026-01-01T01:00:00.25+01:00"))


def test_content_type_parameters_allowed(port):
    c = sc.Chain()
    r = sc.post(port, c.hex, c.add("github:x"), content_type="application/json; charset=utf-8")
    assert r.status == 201, r


# --- the POST table, row by row ----------------------------------------------

@pytest.mark.parametrize("ctype", ["text/plain", "application/jsonx", "", "application/x-www-form-urlencoded"])
def test_row1_unsupported_media_type(port, ctype):
    c = sc.Chain()
    expect(sc.post(port, c.hex, c.add("github:x"), content_type=ctype), 415, "unsupported_media_type")


def test_row1_before_row2(port):
    c = sc.Chain()
    expect(sc.post(port, c.hex, None, raw=b"x" * 20000, content_type="text/plain"), 415, "unsupported_media_type")


def test_row2_payload_too_large(port):
    c = sc.Chain()
    ev = c.add("github:big", filler="y" * 17000)
    expect(sc.post(port, c.hex, ev), 413, "payload_too_large")


def test_row2_before_row3(port):
    c = sc.Chain()
    expect(sc.post(port, c.hex, None, raw=b"{" * 17000), 413, "payload_too_large")


MALFORMED = [
    b"", b"{", b"[]", b"\"event\"", b"{\"kez\":\"sigchain_event\"} x",
    b"{\"kez\":\"a\",\"kez\":\"b\"}",
    b"{\"kez\":\"sigchain_event\",\"payload\":{\"body\":{\"subject\":\"a:b\",\"subject\":\"a:c\"}}}",
    b"{\"kez\":\"\xff\"}",
    b"{\"kez\":\"\\ud800\"}",
    b"{\"a\":" * 70 + b"1" + b"}" * 70,
    b"{\"a\":[" + b",".join(b"1" for _ in range(300)) + b"]}",
]


@pytest.mark.parametrize("raw", MALFORMED, ids=range(len(MALFORMED)))
def test_row3_malformed_json(port, raw):
    c = sc.Chain()
    expect(sc.post(port, c.hex, None, raw=raw), 400, "malformed_json")


def test_row3_before_row4(port):
    c = sc.Chain()
    expect(sc.post(port, c.hex, None, raw=b"{\"kez\":1,\"kez\":2}"), 400, "malformed_json")


def _raw_with(event, old, new):
    text = json.dumps(event, separators=(",", ":"))
    assert old in text, (old, text)
    return text.replace(old, new, 1).encode()


def _shape_mutations():
    """(name, function(event) -> raw bytes) each breaking only row 4."""
    def mut(f):
        def apply(ev):
            ev = json.loads(json.dumps(ev))
            f(ev)
            return json.dumps(ev).encode()
        return apply
    m = [
        ("no kez", mut(lambda e: e.pop("kez"))),
        ("kez wrong", mut(lambda e: e.__setitem__("kez", "handle_registration"))),
        ("extra top member", mut(lambda e: e.__setitem__("extra", 1))),
        ("no payload", mut(lambda e: e.pop("payload"))),
        ("payload not object", mut(lambda e: e.__setitem__("payload", []))),
        ("no signature", mut(lambda e: e.pop("signature"))),
        ("signature extra member", mut(lambda e: e["signature"].__setitem__("x", "y"))),
        ("signature no sig", mut(lambda e: e["signature"].pop("sig"))),
        ("type wrong", mut(lambda e: e["payload"].__setitem__("type", "kez.chat.handle_registration"))),
        ("version 2", mut(lambda e: e["payload"].__setitem__("version", 2))),
        ("version string", mut(lambda e: e["payload"].__setitem__("version", "1"))),
        ("chain not string", mut(lambda e: e["payload"].__setitem__("chain", 5))),
        ("op not string", mut(lambda e: e["payload"].__setitem__("op", None))),
        ("no op", mut(lambda e: e["payload"].pop("op"))),
        ("created_at not string", mut(lambda e: e["payload"].__setitem__("created_at", 1700000000))),
        ("seq 0", mut(lambda e: e["payload"].__setitem__("seq", 0))),
        ("seq negative", mut(lambda e: e["payload"].__setitem__("seq", -1))),
        ("seq 2^31", mut(lambda e: e["payload"].__setitem__("seq", 2 ** 31))),
        ("seq string", mut(lambda e: e["payload"].__setitem__("seq", "1"))),
        ("no seq", mut(lambda e: e["payload"].pop("seq"))),
        ("no prev", mut(lambda e: e["payload"].pop("prev"))),
        ("prev number", mut(lambda e: e["payload"].__setitem__("prev", 0))),
        ("body not object", mut(lambda e: e["payload"].__setitem__("body", "github:x"))),
        ("no body", mut(lambda e: e["payload"].pop("body"))),
        ("alg not string", mut(lambda e: e["signature"].__setitem__("alg", 1))),
        ("key not string", mut(lambda e: e["signature"].__setitem__("key", None))),
        ("version 1.0", lambda e: _raw_with(e, '"version":1', '"version":1.0')),
        ("version 1e0", lambda e: _raw_with(e, '"version":1', '"version":1e0')),
        ("seq 1.0", lambda e: _raw_with(e, '"seq":1', '"seq":1.0')),
        ("seq 1e0", lambda e: _raw_with(e, '"seq":1', '"seq":1e0')),
    ]
    return m


SHAPES = _shape_mutations()


@pytest.mark.parametrize("i", range(len(SHAPES)), ids=[n for n, _ in SHAPES])
def test_row4_invalid_envelope(port, i):
    c = sc.Chain()
    raw = SHAPES[i][1](c.add("github:x"))
    expect(sc.post(port, c.hex, None, raw=raw), 400, "invalid_envelope")


def test_row4_before_row5(port):
    c = sc.Chain()
    ev = c.add("github:x")
    ev["signature"]["alg"] = "rsa"
    ev["payload"]["version"] = 2
    expect(sc.post(port, c.hex, ev), 400, "invalid_envelope")


def test_row5_unsupported_algorithm(port):
    c = sc.Chain()
    p = sc.make_payload(c.first, 1, None, "add", {"subject": "github:x"})
    expect(sc.post(port, c.hex, sc.sign(p, c.first, alg="ed25519")), 400, "unsupported_algorithm")


def test_row5_before_row6(port):
    c = sc.Chain()
    p = sc.make_payload(c.first, 1, None, "add", {"subject": "github:x"})
    expect(sc.post(port, c.hex, sc.sign(p, c.first, alg="ed448", key_text="ed25519:zz")), 400,
           "unsupported_algorithm")


@pytest.mark.parametrize("where,value", [
    ("url", "AB" * 32), ("url", "ab" * 31), ("url", "g" * 64),
    ("chain", "ed25519:" + "AB" * 32), ("chain", "ed25519:abc"), ("chain", "x25519:" + "ab" * 32),
    ("chain", SMALL_ORDER_KEY), ("key", "ed25519:" + "ab" * 33), ("key", IDENTITY_KEY),
])
def test_row6_invalid_key(port, where, value):
    c = sc.Chain()
    ev = c.add("github:x")
    hexkey = c.hex
    if where == "url":
        hexkey = value
    elif where == "chain":
        ev["payload"]["chain"] = value
        ev = sc.sign(ev["payload"], c.first)
    else:
        ev["signature"]["key"] = value
    expect(sc.post(port, hexkey, ev), 400, "invalid_key")


def test_row6_before_row7(port):
    c = sc.Chain()
    other = sc.Chain()
    ev = other.add("github:x")
    ev["signature"]["key"] = "ed25519:nope"
    expect(sc.post(port, c.hex, ev), 400, "invalid_key")


def test_row7_chain_mismatch(port):
    c, other = sc.Chain(), sc.Chain()
    expect(sc.post(port, c.hex, other.add("github:x")), 400, "chain_mismatch")


def test_row7_before_row8(port):
    c, other = sc.Chain(), sc.Chain()
    expect(sc.post(port, c.hex, other.next_event("delete", {})), 400, "chain_mismatch")


@pytest.mark.parametrize("op", ["delete", "ADD", "", "update", "add "])
def test_row8_unsupported_op(port, op):
    c = sc.Chain()
    expect(sc.post(port, c.hex, c.next_event(op, {"subject": "github:x"})), 400, "unsupported_op")


def test_row8_before_row9(port):
    c = sc.Chain()
    expect(sc.post(port, c.hex, c.next_event("delete", {"subject": ""})), 400, "unsupported_op")


BAD_BODIES = [
    ("add", {}), ("add", {"subject": 5}), ("add", {"subject": "github"}), ("add", {"subject": ":x"}),
    ("add", {"subject": "GitHub:x"}), ("add", {"subject": "1github:x"}), ("add", {"subject": "-gh:x"}),
    ("add", {"subject": "git_hub:x"}), ("add", {"subject": "a" * 33 + ":x"}), ("add", {"subject": "github:"}),
    ("add", {"subject": "github:a b"}), ("add", {"subject": "github:a\u00a0b"}), ("add", {"subject": "github:a\u3000"}),
    ("add", {"subject": "github:a\tb"}), ("add", {"subject": "github:\u0085"}), ("add", {"subject": "github:a\x01"}),
    ("add", {"subject": "github:a\x7f"}), ("add", {"subject": "github:" + "x" * 257}),
    ("add", {"subject": "github:a\u2028"}),
    ("revoke", {}), ("revoke", {"seq": 0}), ("revoke", {"seq": -3}), ("revoke", {"seq": "1"}), ("revoke", {"seq": 1.5}),
    ("revoke", {"seq": True}),
    ("rotate", {}), ("rotate", {"new_key": "ed25519:xyz"}), ("rotate", {"new_key": SMALL_ORDER_KEY}),
    ("rotate", {"new_key": 7}), ("rotate", {"new_key": "ed25519:" + "AB" * 32}),
]


@pytest.mark.parametrize("i", range(len(BAD_BODIES)), ids=["%s-%d" % (b[0], i) for i, b in enumerate(BAD_BODIES)])
def test_row9_invalid_event_body(port, i):
    op, body = BAD_BODIES[i]
    c = started_chain(port, 1) if op != "add" else sc.Chain()
    expect(sc.post(port, c.hex, c.next_event(op, body)), 400, "invalid_event")


def test_row9_revoke_seq_written_as_float_is_refused(port):
    c = started_chain(port, 1)
    ev = c.revoke(1)
    raw = _raw_with(ev, '"seq":1}', '"seq":1.0}')
    expect(sc.post(port, c.hex, None, raw=raw), 400, "invalid_event")


@pytest.mark.parametrize("subject", ["github:tudisco", "dns:kez.lat", "did:plc:abc", "mastodon:@jason@server.social",
                                     "a:" + "é" * 256, "x-1:漢字", "z9:\u200b"])
def test_row9_valid_subjects(port, subject):
    c = sc.Chain()
    assert sc.post(port, c.hex, c.add(subject)).status == 201


def test_row9_before_row10(port):
    c = sc.Chain()
    p = sc.make_payload(c.first, 1, "sha256:" + "0" * 64, "add", {"subject": "nope"})
    expect(sc.post(port, c.hex, sc.sign(p, c.first)), 400, "invalid_event")


@pytest.mark.parametrize("seq,prev", [(1, "sha256:" + "0" * 64), (2, None), (2, "sha256:" + "A" * 64),
                                      (2, "sha256:" + "0" * 63), (2, "sha512:" + "0" * 64), (2, "")])
def test_row10_prev_shape(port, seq, prev):
    c = sc.Chain()
    p = sc.make_payload(c.first, seq, prev, "add", {"subject": "github:x"})
    expect(sc.post(port, c.hex, sc.sign(p, c.first)), 400, "invalid_event")


def test_row10_before_row11(port):
    c = sc.Chain()
    p = sc.make_payload(c.first, 2, None, "add", {"subject": "github:x"}, created_at="soon")
    expect(sc.post(port, c.hex, sc.sign(p, c.first)), 400, "invalid_event")


@pytest.mark.parametrize("ts", ["yesterday", "2026-13-01T00:00:00Z", "2026-12-01 10:00:00Z", "2026-12-01T10:00:00",
                                "", "2026-02-30T00:00:00Z"])
def test_row11_invalid_timestamp(port, ts):
    c = sc.Chain()
    expect(sc.post(port, c.hex, c.next_event("add", {"subject": "github:x"}, created_at=ts)), 400,
           "invalid_timestamp")


def test_row11_before_row12(port):
    c = sc.Chain()
    ev = c.next_event("add", {"subject": "github:x"}, created_at="9999-99-99T00:00:00Z")
    expect(sc.post(port, c.hex, ev), 400, "invalid_timestamp")


def test_row12_future_timestamp(port):
    c = sc.Chain()
    expect(sc.post(port, c.hex, c.next_event("add", {"subject": "github:x"}, created_at=sc.timestamp(400))), 400,
           "future_timestamp")
    assert sc.post(port, c.hex, c.next_event("add", {"subject": "github:x"},
                                             created_at=sc.timestamp(200))).status == 201


def test_row12_before_row13(port):
    c = sc.Chain()
    ev = c.next_event("add", {"subject": "github:x"}, created_at=sc.timestamp(3600))
    ev["signature"]["sig"] = "00" * 64
    expect(sc.post(port, c.hex, ev), 400, "future_timestamp")


@pytest.mark.parametrize("how", ["zeros", "upper", "short", "other payload", "other key"])
def test_row13_invalid_signature(port, how):
    c = sc.Chain()
    ev = c.add("github:x")
    if how == "zeros":
        ev["signature"]["sig"] = "00" * 64
    elif how == "upper":
        ev["signature"]["sig"] = ev["signature"]["sig"].upper()
    elif how == "short":
        ev["signature"]["sig"] = ev["signature"]["sig"][:-2]
    elif how == "other payload":
        ev["payload"]["body"]["subject"] = "github:y"
    else:
        ev["signature"]["sig"] = kc.new_key().sign(kc.jcs(ev["payload"]).encode()).hex()
    expect(sc.post(port, c.hex, ev), 401, "invalid_signature")


def test_row13_before_row15(port):
    c = started_chain(port, 1)
    ev = c.add("github:x")
    ev["payload"]["seq"] = 7
    expect(sc.post(port, c.hex, ev), 401, "invalid_signature")


def test_row15_seq_conflict_on_empty_chain(port):
    c = sc.Chain()
    p = sc.make_payload(c.first, 2, "sha256:" + "1" * 64, "add", {"subject": "github:x"})
    r = sc.post(port, c.hex, sc.sign(p, c.first))
    expect(r, 409, "seq_conflict")
    assert r.json()["length"] == 0 and r.json()["head"] is None


@pytest.mark.parametrize("case", ["seq too high", "seq taken", "wrong prev"])
def test_row15_seq_conflict(port, case):
    c = started_chain(port, 2)
    if case == "seq too high":
        p = sc.make_payload(c.first, 4, c.head(), "add", {"subject": "github:x"})
    elif case == "seq taken":
        p = sc.make_payload(c.first, 2, sc.event_hash(c.events[0]), "add", {"subject": "github:other"})
    else:
        p = sc.make_payload(c.first, 3, sc.event_hash(c.events[0]), "add", {"subject": "github:x"})
    r = sc.post(port, c.hex, sc.sign(p, c.first))
    expect(r, 409, "seq_conflict")
    assert r.json()["length"] == 2 and r.json()["head"] == c.head()


def test_row14_before_row15_and_row20(start_server):
    s = start_server(["--serve", "sigchain", "--max-chain-length", "2"])
    c = started_chain(s.port, 2)
    assert sc.post(s.port, c.hex, c.events[1]).status == 200
    assert sc.post(s.port, c.hex, c.events[0]).status == 200


def test_row15_before_row16(port):
    c = started_chain(port, 1)
    other = kc.new_key()
    p = sc.make_payload(c.first, 5, c.head(), "add", {"subject": "github:x"})
    expect(sc.post(port, c.hex, sc.sign(p, other)), 409, "seq_conflict")


def test_row16_wrong_signing_key(port):
    c = started_chain(port, 1)
    other = kc.new_key()
    r = sc.post(port, c.hex, c.next_event("add", {"subject": "github:x"}, signer=other))
    expect(r, 403, "wrong_signing_key")
    assert r.json()["signing_key"] == kc.key_text(c.first)


def test_row16_first_event_signed_by_another_key(port):
    c = sc.Chain()
    r = sc.post(port, c.hex, c.next_event("add", {"subject": "github:x"}, signer=kc.new_key()))
    expect(r, 403, "wrong_signing_key")


def test_row16_before_row17(port):
    c = started_chain(port, 1)
    ev = c.next_event("add", {"subject": "github:x"}, created_at="2000-01-01T00:00:00Z", signer=kc.new_key())
    expect(sc.post(port, c.hex, ev), 403, "wrong_signing_key")


def test_row17_timestamp_regression(port):
    c = started_chain(port, 1)
    ev = c.next_event("add", {"subject": "github:x"}, created_at=sc.timestamp(-3600))
    expect(sc.post(port, c.hex, ev), 400, "timestamp_regression")


def test_row17_before_row18(port):
    c = started_chain(port, 1)
    ev = c.next_event("revoke", {"seq": 9}, created_at=sc.timestamp(-3600))
    expect(sc.post(port, c.hex, ev), 400, "timestamp_regression")


def test_row18_invalid_revoke(port):
    c = started_chain(port, 2)
    k2 = kc.new_key()
    sc.append(port, c, c.rotate(k2), new_signer=k2)          # seq 3
    sc.append(port, c, c.revoke(1))                            # seq 4
    for target in (1, 3, 4, 5, 99):  # revoked already, a rotate, itself, later, unknown
        expect(sc.post(port, c.hex, c.revoke(target)), 400, "invalid_revoke")
    sc.append(port, c, c.revoke(2))
    expect(sc.post(port, c.hex, c.revoke(4)), 400, "invalid_revoke")  # a revoke is no add


def test_row18_before_row20(start_server):
    s = start_server(["--serve", "sigchain", "--max-chain-length", "1"])
    c = started_chain(s.port, 1)
    expect(sc.post(s.port, c.hex, c.revoke(7)), 400, "invalid_revoke")


def test_row19_rotate_to_current_key(port):
    c = started_chain(port, 1)
    expect(sc.post(port, c.hex, c.rotate(c.first)), 400, "invalid_event")
    k2 = kc.new_key()
    sc.append(port, c, c.rotate(k2), new_signer=k2)
    expect(sc.post(port, c.hex, c.rotate(k2)), 400, "invalid_event")
    # rotating back to an earlier key is allowed: it is not the current one
    sc.append(port, c, c.rotate(c.first), new_signer=c.first)


def test_row19_before_row20(start_server):
    s = start_server(["--serve", "sigchain", "--max-chain-length", "1"])
    c = started_chain(s.port, 1)
    expect(sc.post(s.port, c.hex, c.rotate(c.first)), 400, "invalid_event")


def test_row20_chain_full(start_server):
    s = start_server(["--serve", "sigchain", "--max-chain-length", "3"])
    c = started_chain(s.port, 3)
    expect(sc.post(s.port, c.hex, c.add("github:fourth")), 403, "chain_full")
    assert kc.get(s.port, c.path).json()["length"] == 3


def test_row21_not_registered(start_server):
    s = start_server(["--serve", "registry,sigchain", "--sigchain-policy", "registered"])
    c = sc.Chain()
    expect(sc.post(s.port, c.hex, c.add("github:x")), 403, "not_registered")
    body, _ = kc.make_envelope("chainowner%d" % (id(c) % 100000), key=c.first)
    assert kc.register(s.port, body).status == 201
    assert sc.post(s.port, c.hex, c.add("github:x")).status == 201


# --- reading -----------------------------------------------------------------

def test_get_chain_document(port):
    c = started_chain(port, 3)
    r = kc.get(port, c.path)
    assert r.status == 200 and r.headers["content-type"] == "application/json"
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["etag"] == '"%s"' % c.head()
    doc = r.json()
    assert set(doc) == {"chain", "length", "head", "signing_key", "events"}
    assert doc["chain"] == "ed25519:" + c.hex and doc["length"] == 3 and doc["head"] == c.head()
    assert doc["signing_key"] == kc.key_text(c.first)
    assert doc["events"] == c.events
    # each event in its JCS form, exactly the hashed bytes
    text = r.body.decode("utf-8")
    for ev in c.events:
        assert kc.jcs(ev) in text


def test_etag_304_and_change_on_growth(port):
    c = started_chain(port, 1)
    tag = kc.get(port, c.path).headers["etag"]
    r = kc.get(port, c.path, headers={"If-None-Match": tag})
    assert r.status == 304 and r.body == b""
    sc.append(port, c, c.add("github:more"))
    r = kc.get(port, c.path, headers={"If-None-Match": tag})
    assert r.status == 200 and r.headers["etag"] != tag


def test_paging(port):
    c = started_chain(port, 7)
    r = kc.get(port, c.path + "?after=2&limit=3").json()
    assert [e["payload"]["seq"] for e in r["events"]] == [3, 4, 5]
    assert r["length"] == 7 and r["head"] == c.head()
    assert kc.get(port, c.path + "?limit=2").json()["events"] == c.events[:2]
    assert kc.get(port, c.path + "?after=7").json()["events"] == []
    assert kc.get(port, c.path + "?after=100").json()["events"] == []
    assert kc.get(port, c.path + "?after=0&limit=1000").json()["events"] == c.events
    events, _ = sc.fetch_all(port, c.hex, limit=2)
    assert events == c.events


@pytest.mark.parametrize("q", ["after=abc", "after=-1", "after=01", "limit=0", "limit=1001", "limit=05",
                               "after=1&after=2", "limit=1&limit=1", "after=", "limit=1.5", "after=99999999999999999999"])
def test_bad_paging_parameters(port, q):
    c = started_chain(port, 1)
    expect(kc.get(port, c.path + "?" + q), 400, "bad_request")


def test_jsonl_export(port):
    c = started_chain(port, 3)
    r = kc.get(port, c.path + ".jsonl")
    assert r.status == 200 and r.headers["content-type"].startswith("application/jsonl")
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.body.decode("utf-8") == "".join(kc.jcs(e) + "\n" for e in c.events)


def test_one_event(port):
    c = started_chain(port, 2)
    r = kc.get(port, c.path + "/2")
    assert r.status == 200 and r.headers["etag"] == '"%s"' % sc.event_hash(c.events[1])
    assert r.body.decode("utf-8") == kc.jcs(c.events[1])
    r = kc.get(port, c.path + "/2", headers={"If-None-Match": '"%s"' % sc.event_hash(c.events[1])})
    assert r.status == 304
    for missing in ("3", "0", "01", "x", "-1"):
        expect(kc.get(port, c.path + "/" + missing), 404, "not_found")


@pytest.mark.parametrize("suffix", ["", ".jsonl", "/1"])
def test_unknown_chain_and_bad_hex_are_404(port, suffix):
    expect(kc.get(port, sc.chain_path(sc.Chain().hex) + suffix), 404, "not_found")
    expect(kc.get(port, "/v1/sigchains/ed25519/" + "AB" * 32 + suffix), 404, "not_found")
    expect(kc.get(port, "/v1/sigchains/ed25519/abc" + suffix), 404, "not_found")


def test_head_works_like_get(port):
    c = started_chain(port, 1)
    r = kc.request(port, "HEAD", c.path)
    g = kc.get(port, c.path)
    assert r.status == 200 and r.body == b"" and r.headers["content-length"] == g.headers["content-length"]


@pytest.mark.parametrize("suffix", ["", ".jsonl", "/1", "/5"])
def test_preflight_on_every_chain_path(port, suffix):
    r = kc.request(port, "OPTIONS", sc.chain_path(sc.Chain().hex) + suffix,
                   headers={"Origin": "http://app.test", "Access-Control-Request-Method": "POST"})
    assert r.status == 204
    assert "content-length" not in r.headers
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["access-control-allow-methods"] == "GET, POST"
    assert r.headers["access-control-allow-headers"].lower() == "content-type"


def test_wrong_method_is_405_with_allow(port):
    c = started_chain(port, 1)
    r = kc.request(port, "DELETE", c.path)
    expect(r, 405, "method_not_allowed")
    assert "POST" in r.headers["allow"] and "GET" in r.headers["allow"]
    r = kc.request(port, "POST", c.path + ".jsonl", body=b"{}", headers={"Content-Type": "application/json"})
    expect(r, 405, "method_not_allowed")


def test_errors_carry_cors(port):
    c = sc.Chain()
    r = sc.post(port, c.hex, None, raw=b"{")
    assert r.headers["access-control-allow-origin"] == "*"


# --- a long chain, verified end to end ---------------------------------------

def test_300_event_chain_verified_independently(port):
    c = sc.Chain()
    keys = [c.first]
    for i in range(300):
        if i % 50 == 49:
            k = kc.new_key()
            keys.append(k)
            sc.append(port, c, c.rotate(k), new_signer=k)
        elif i % 7 == 6:
            adds = [e["payload"]["seq"] for e in c.events if e["payload"]["op"] == "add"]
            revoked = {e["payload"]["body"]["seq"] for e in c.events if e["payload"]["op"] == "revoke"}
            target = [s for s in adds if s not in revoked][0]
            sc.append(port, c, c.revoke(target))
        else:
            sc.append(port, c, c.add("github:claim%d" % i))
    events, doc = sc.fetch_all(port, c.hex, limit=64)
    assert len(events) == 300 == doc["length"]
    active, signing, head = sc.verify_chain(c.hex, events)
    assert head == doc["head"] == c.head() and signing == doc["signing_key"] == kc.key_text(keys[-1])
    jsonl = kc.get(port, c.path + ".jsonl").body.decode("utf-8").splitlines()
    assert [json.loads(l) for l in jsonl] == events
    assert len(active) > 0


# --- which APIs an instance serves -------------------------------------------

def test_sigchain_only_instance(start_server):
    s = start_server(["--serve", "sigchain"])
    assert kc.get(s.port, "/v1/healthz").status == 200
    assert kc.get(s.port, "/").status == 200
    body, _ = kc.make_envelope("nobody1")
    expect(kc.register(s.port, body), 404, "not_found")
    expect(kc.get(s.port, "/v1/u/nobody1"), 404, "not_found")
    c = sc.Chain()
    assert sc.post(s.port, c.hex, c.add("github:x")).status == 201


def test_registry_only_instance_has_no_chains(start_server):
    s = start_server(["--serve", "registry"])
    c = sc.Chain()
    expect(sc.post(s.port, c.hex, c.add("github:x")), 404, "not_found")
    expect(kc.get(s.port, c.path), 404, "not_found")


@pytest.mark.parametrize("args,flag", [
    (["--serve", "everything"], "--serve"),
    (["--serve", ""], "--serve"),
    (["--sigchain-policy", "closed"], "--sigchain-policy"),
    (["--serve", "sigchain", "--sigchain-policy", "registered"], "--sigchain-policy"),
    (["--max-chain-length", "0"], "--max-chain-length"),
    (["--max-chain-length", "x"], "--max-chain-length"),
])
def test_bad_sigchain_flags_exit_2(args, flag):
    import os
    import subprocess
    from conftest import SERVER_BIN, make_temp_dir, user_args
    db = os.path.join(make_temp_dir(), "kez.db")
    r = subprocess.run([SERVER_BIN, "--bind", "127.0.0.1:0", "--db", db] + args + user_args(args),
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 2, r
    assert flag in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_long_chain_answers_stay_true_as_the_chain_grows(port):
    """Bodies over 16 KiB are kept rendered by each worker (sent with
    sendfile); a chain that grows must never be answered from an old copy."""
    c = sc.Chain()
    for i in range(24):
        sc.append(port, c, c.add("github:long%d" % i, note="n" * 900))
    for _ in range(6):  # every worker has seen it, most answers come from the kept copy
        r = kc.get(port, c.path)
        assert r.status == 200 and len(r.body) > 16 * 1024
        assert r.json()["events"] == c.events
    head = kc.request(port, "HEAD", c.path)
    assert head.status == 200 and head.body == b"" and int(head.headers["content-length"]) == len(r.body)
    assert kc.get(port, c.path + ".jsonl").body.decode() == "".join(kc.jcs(e) + "\n" for e in c.events)
    sc.append(port, c, c.add("github:after-growth"))
    for _ in range(6):
        r = kc.get(port, c.path)
        assert r.json()["length"] == 25 and r.json()["events"] == c.events
        assert r.headers["etag"] == '"%s"' % c.head()
    assert kc.get(port, c.path + ".jsonl").body.decode() == "".join(kc.jcs(e) + "\n" for e in c.events)
    page = kc.get(port, c.path + "?after=20&limit=3").json()
    assert [e["payload"]["seq"] for e in page["events"]] == [21, 22, 23]
