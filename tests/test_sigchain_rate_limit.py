"""Sigchain appends under the write limit (API.md §5, SIGCHAIN.md §2): like
registrations, --rate-limit N appends a minute per client address, 429
rate_limited with Retry-After, decided before the verifier sees the body.
Loopback is not limited, so the client address comes through
--trusted-proxy 127.0.0.1 and X-Forwarded-For."""
import kez_client as kc
import sigchain_client as sc

LIMITED = ["--serve", "registry,sigchain", "--trusted-proxy", "127.0.0.1"]


def post(port, chain, event=None, raw=None, xff=None):
    headers = {"X-Forwarded-For": xff} if xff else {}
    return sc.post(port, chain.hex, event, raw=raw, headers=headers)


def test_appends_burst_then_429_with_retry_after(start_server):
    srv = start_server(LIMITED + ["--rate-limit", "3"])
    c = sc.Chain()
    for i in range(3):
        e = c.add("github:burst%d" % i)
        r = post(srv.port, c, e, xff="203.0.113.20")
        assert r.status == 201, r
        c.accept(e)
    e = c.add("github:one-too-many")
    r = post(srv.port, c, e, xff="203.0.113.20")
    assert r.status == 429, r
    assert kc.error_of(r) == "rate_limited"
    retry = int(r.headers["retry-after"])
    assert 1 <= retry <= 20, r.headers  # 3 a minute: one every 20 s
    # nothing of it was stored: the chain is the three events
    summary = kc.get(srv.port, c.path).json()
    assert summary["length"] == 3 and summary["head"] == c.head()
    # reads are not writes
    for _ in range(5):
        assert kc.get(srv.port, c.path, headers={"X-Forwarded-For": "203.0.113.20"}).status == 200
    # and another address still has its whole burst
    r = post(srv.port, c, e, xff="203.0.113.21")
    assert r.status == 201, r


def test_over_the_limit_decided_before_verification(start_server):
    srv = start_server(LIMITED + ["--rate-limit", "1"])
    c = sc.Chain()
    e = c.add("github:first")
    assert post(srv.port, c, e, xff="198.51.100.30").status == 201
    c.accept(e)
    # malformed JSON, a broken signature, a wrong seq: each would be a 400,
    # 401 or 409 from the verifier or the writer; over the limit all are 429
    bad_sig = c.add("github:second")
    bad_sig["signature"]["sig"] = "00" * 64
    stale = sc.Chain(c.first).add("github:again")  # seq 1 again
    for kind, r in [("malformed", post(srv.port, c, raw=b"{", xff="198.51.100.30")),
                    ("not an event", post(srv.port, c, raw=b'{"not":"an event"}', xff="198.51.100.30")),
                    ("bad signature", post(srv.port, c, bad_sig, xff="198.51.100.30")),
                    ("seq conflict", post(srv.port, c, stale, xff="198.51.100.30"))]:
        assert r.status == 429, (kind, r)
        assert kc.error_of(r) == "rate_limited", kind
        assert "retry-after" in r.headers, kind
    # the same bodies from an address under its limit get the verifier's answer
    assert post(srv.port, c, raw=b"{", xff="198.51.100.31").status == 400
    r = post(srv.port, c, bad_sig, xff="198.51.100.32")
    assert r.status == 401 and kc.error_of(r) == "invalid_signature"


def test_appends_and_registrations_share_one_budget(start_server):
    srv = start_server(LIMITED + ["--rate-limit", "2"])
    body, _ = kc.make_envelope("budget")
    r = kc.request(srv.port, "POST", "/v1/register", body=body,
                   headers={"Content-Type": "application/json", "X-Forwarded-For": "192.0.2.40"})
    assert r.status == 201, r
    c = sc.Chain()
    e = c.add("github:budget")
    assert post(srv.port, c, e, xff="192.0.2.40").status == 201
    c.accept(e)
    # two writes of either kind spent the burst of two
    assert post(srv.port, c, c.add("github:more"), xff="192.0.2.40").status == 429
    body, _ = kc.make_envelope("budget2")
    r = kc.request(srv.port, "POST", "/v1/register", body=body,
                   headers={"Content-Type": "application/json", "X-Forwarded-For": "192.0.2.40"})
    assert r.status == 429


def test_loopback_appends_are_not_limited(start_server):
    srv = start_server(["--serve", "sigchain", "--rate-limit", "1"])
    c = sc.Chain()
    for i in range(5):
        sc.append(srv.port, c, c.add("github:local%d" % i))
    # X-Forwarded-For from a peer that is not the trusted proxy is ignored
    for i in range(3):
        e = c.add("github:xff%d" % i)
        assert post(srv.port, c, e, xff="192.0.2.41").status == 201
        c.accept(e)
