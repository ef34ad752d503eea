"""GET /v1/u/{handle}, GET /.well-known/webfinger, GET /v1/healthz."""
import uuid

import pytest

import kez_client as kc


@pytest.fixture(scope="module")
def registered(server):
    handle = ("wf" + uuid.uuid4().hex)[:16]
    body, key = kc.make_envelope(handle)
    r = kc.register(server.port, body)
    assert r.status == 201
    return handle, kc.key_text(key)[8:], r.json()


def test_healthz(port):
    r = kc.get(port, "/v1/healthz")
    assert r.status == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"status": "ok", "server": "kez.test", "version": "0.1.0"}


def test_lookup_is_case_insensitive(port, registered):
    handle, _, rec = registered
    for path in (handle, handle.upper(), handle[0].upper() + handle[1:]):
        r = kc.get(port, "/v1/u/" + path)
        assert r.status == 200 and r.json() == rec
        assert r.headers["content-type"] == "application/json"
        assert r.headers["access-control-allow-origin"] == "*"


def test_lookup_tudisco_mixed_case(port):
    body, key = kc.make_envelope("tudisco")
    r = kc.register(port, body)
    assert r.status == 201, r
    got = kc.get(port, "/v1/u/TuDisco")
    assert got.status == 200 and got.json() == r.json()
    assert got.json()["handle"] == "tudisco" and got.json()["fqhn"] == "tudisco@kez.test"
    assert got.json()["primary"] == kc.key_text(key)


def test_lookup_ignores_query_string(port, registered):
    handle, _, rec = registered
    r = kc.get(port, "/v1/u/%s?x=1" % handle)
    assert r.status == 200 and r.json() == rec


def test_lookup_percent_encoded_handle(port, registered):
    handle, _, rec = registered
    encoded = "".join("%%%02X" % ord(c) for c in handle)
    assert kc.get(port, "/v1/u/" + encoded).json() == rec


@pytest.mark.parametrize("path", ["/v1/u/nobody-here", "/v1/u/ab", "/v1/u/bad%zz", "/v1/u/a.b.c", "/v1/u/x/y", "/v1/u/"])
def test_lookup_not_found(port, path):
    r = kc.get(port, path)
    assert r.status == 404 and kc.error_of(r) == "not_found"


def wf(port, query):
    return kc.get(port, "/.well-known/webfinger" + query)


def test_webfinger_record(port, registered):
    handle, hexkey, _ = registered
    r = wf(port, "?resource=acct%3A" + handle + "%40kez.test")
    assert r.status == 200
    assert r.headers["content-type"] == "application/jrd+json"
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.json() == {
        "subject": "acct:%s@kez.test" % handle,
        "aliases": ["https://kez.test/v1/u/" + handle],
        "links": [
            {"rel": "self", "type": "application/json", "href": "https://kez.test/v1/u/" + handle},
            {"rel": "https://kez.lat/rel/sigchain", "type": "application/json",
             "href": "http://sig.test:7878/v1/sigchains/ed25519/" + hexkey},
        ],
    }


def test_webfinger_unencoded_and_case_folded(port, registered):
    handle, _, _ = registered
    r = wf(port, "?resource=acct:%s@KEZ.Test" % handle.upper())
    assert r.status == 200 and r.json()["subject"] == "acct:%s@kez.test" % handle


def test_webfinger_rel_filter(port, registered):
    handle, _, _ = registered
    base = "?resource=acct:%s@kez.test" % handle
    one = wf(port, base + "&rel=self").json()
    assert [l["rel"] for l in one["links"]] == ["self"]
    assert one["aliases"] and one["subject"]
    sig = wf(port, base + "&rel=https%3A%2F%2Fkez.lat%2Frel%2Fsigchain").json()
    assert [l["rel"] for l in sig["links"]] == ["https://kez.lat/rel/sigchain"]
    both = wf(port, "?rel=self&" + base[1:] + "&rel=https://kez.lat/rel/sigchain").json()
    assert len(both["links"]) == 2
    none = wf(port, base + "&rel=http://other").json()
    assert none["links"] == []


def test_webfinger_fully_percent_encoded(port, registered):
    handle, _, _ = registered
    resource = "".join("%%%02x" % b for b in ("acct:%s@kez.test" % handle).encode())
    r = wf(port, "?resource=" + resource)
    assert r.status == 200 and r.json()["subject"] == "acct:%s@kez.test" % handle


def test_webfinger_rel_filter_keeps_link_order(port, registered):
    handle, _, _ = registered
    r = wf(port, "?rel=https%%3A%%2F%%2Fkez.lat%%2Frel%%2Fsigchain&resource=acct:%s@kez.test&rel=self" % handle)
    assert r.status == 200
    assert [l["rel"] for l in r.json()["links"]] == ["self", "https://kez.lat/rel/sigchain"]


def test_webfinger_missing_resource(port):
    for q in ("", "?", "?rel=self", "?resources=acct:a@kez.test"):
        r = wf(port, q)
        assert r.status == 400 and kc.error_of(r) == "missing_resource", q


@pytest.mark.parametrize("resource", ["acct:nobody-here@kez.test", "acct:x@other.host", "mailto:x@kez.test",
                                      "acct:kez.test", "https://kez.test/u/x", "acct:a@b@kez.test"])
def test_webfinger_not_found(port, registered, resource):
    r = wf(port, "?resource=" + resource)
    assert r.status == 404 and kc.error_of(r) == "not_found"


def test_webfinger_bad_encoding(port):
    r = wf(port, "?resource=acct%3")
    assert r.status == 400 and kc.error_of(r) == "bad_request"
