"""API.md §5: a body whose JSON is needlessly expensive — more than 64 levels
deep, or more than 256 members and elements in all, counted at every depth —
is 400 malformed_json, whatever else is right or wrong with it."""
import json
import time
import uuid

import pytest

import kez_client as kc

# A signed envelope has 12 members of its own: kez, payload and signature at
# the top, 6 in the payload, 3 in the signature; it nests 2 levels.
OWN_ITEMS = 12
OWN_LEVELS = 2


def unique(prefix):
    return (prefix + uuid.uuid4().hex)[:20]


def nested(levels):
    """`levels` arrays, one inside the other."""
    v = []
    for _ in range(levels - 1):
        v = [v]
    return v


def signed(extra, sig=None):
    payload, key = kc.make_payload(unique("caps"), extra_payload=extra)
    env = kc.sign_envelope(payload, key)
    if sig:
        env["signature"]["sig"] = sig
    return json.dumps(env).encode()


def counts(body):
    """(levels, members and elements) of a JSON text, independently of the server."""
    def walk(v, depth):
        if isinstance(v, dict):
            inner = [walk(x, depth + 1) for x in v.values()]
            return max([depth] + [d for d, _ in inner]), len(v) + sum(n for _, n in inner)
        if isinstance(v, list):
            inner = [walk(x, depth + 1) for x in v]
            return max([depth] + [d for d, _ in inner]), len(v) + sum(n for _, n in inner)
        return depth - 1, 0
    return walk(json.loads(body), 1)


def test_exactly_64_levels_registers(port):
    body = signed({"x": nested(64 - OWN_LEVELS)})  # 2 levels of the envelope, 62 arrays
    assert counts(body)[0] == 64
    r = kc.register(port, body)
    assert r.status == 201, r


def test_65_levels_is_malformed_json(port):
    body = signed({"x": nested(65 - OWN_LEVELS)})
    assert counts(body)[0] == 65
    r = kc.register(port, body)
    assert r.status == 400 and kc.error_of(r) == "malformed_json", r
    assert "64 levels" in r.json()["message"]


def test_exactly_256_members_and_elements_register(port):
    # 12 + "x" + 243 elements, as numbers that are slow to canonicalize
    body = signed({"x": [1 / (3 + i) for i in range(256 - OWN_ITEMS - 1)]})
    assert counts(body)[1] == 256
    r = kc.register(port, body)
    assert r.status == 201, r


@pytest.mark.parametrize("shape", ["flat", "members", "deep"])
def test_257_members_and_elements_is_malformed_json(port, shape):
    left = 257 - OWN_ITEMS
    extra = {
        "flat": {"x": list(range(left - 1))},
        "members": {"m%d" % i: i for i in range(left)},
        # counted at every depth: 49 members holding 4 elements each
        "deep": {"d%d" % i: [[i], [i]] for i in range(left // 5)},
    }[shape]
    body = signed(extra)
    assert counts(body)[1] == 257, counts(body)
    r = kc.register(port, body)
    assert r.status == 400 and kc.error_of(r) == "malformed_json", r
    assert "256 members and elements" in r.json()["message"]


def test_caps_win_over_every_later_check(port):
    """Row 3 comes before all the rest: a bad signature, a wrong kind, a
    foreign server are not looked at."""
    many = {"x": list(range(300))}
    bodies = [signed(many, sig="0" * 128), signed({"x": nested(100)}, sig="zz")]
    env = json.loads(signed(many))
    env["kez"] = "something_else"
    env["payload"]["server"] = "elsewhere.test"
    bodies.append(json.dumps(env).encode())
    for body in bodies:
        r = kc.register(port, body)
        assert r.status == 400 and kc.error_of(r) == "malformed_json", r


def test_expensive_bodies_are_refused_quickly(port):
    """A 16 KiB envelope of numbers that are slow to canonicalize: refused
    without being canonicalized, so a hundred cost little."""
    numbers = ",".join("%.17g" % (1 / (3 + i * 0.7071)) for i in range(700))
    env = json.loads(signed({}))
    body = json.dumps(env)[:-2] + ',"x":[' + numbers + "]}}"
    body = body.encode()[:16384 - 4]
    body = body[:body.rindex(b",")] + b"]}}"
    assert len(body) <= 16384
    start = time.monotonic()
    for _ in range(100):
        r = kc.register(port, body)
        assert r.status == 400 and kc.error_of(r) == "malformed_json", r
    assert time.monotonic() - start < 10
