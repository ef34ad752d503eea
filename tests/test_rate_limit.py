"""The write limit (API.md §5): --rate-limit N writes a minute per client
address, bursts of N, 429 rate_limited with Retry-After, decided before the
verifier sees the body. The tests run on loopback, which is not limited, so
they go through --trusted-proxy 127.0.0.1 and X-Forwarded-For."""
import kez_client as kc

BAD = b'{"not":"an envelope"}'


def post(port, body=BAD, xff=None):
    headers = {"Content-Type": "application/json"}
    if xff is not None:
        headers["X-Forwarded-For"] = xff
    return kc.request(port, "POST", "/v1/register", body=body, headers=headers)


def statuses(port, n, xff=None):
    return [post(port, xff=xff).status for _ in range(n)]


def test_limit_burst_and_retry_after(start_server):
    srv = start_server(["--rate-limit", "3", "--trusted-proxy", "127.0.0.1"])
    # a burst of the limit's size goes through to the verifier (which refuses the body)
    assert statuses(srv.port, 3, "203.0.113.5") == [400, 400, 400]
    r = post(srv.port, xff="203.0.113.5")
    assert r.status == 429, r
    assert kc.error_of(r) == "rate_limited"
    # one write every 20 s: the next is at most 20 s away
    retry = int(r.headers["retry-after"])
    assert 1 <= retry <= 20, r.headers
    # the refusal itself does not let the next one through
    assert post(srv.port, xff="203.0.113.5").status == 429


def test_rate_limited_before_verification(start_server):
    srv = start_server(["--rate-limit", "1", "--trusted-proxy", "127.0.0.1"])
    body, _ = kc.make_envelope("firstone")
    assert post(srv.port, body, "198.51.100.9").status == 201
    # a bad envelope over the limit is 429, not 400: the verifier never sees it
    r = post(srv.port, BAD, "198.51.100.9")
    assert r.status == 429 and kc.error_of(r) == "rate_limited"
    r = post(srv.port, b"{", "198.51.100.9")
    assert r.status == 429


def test_addresses_are_independent(start_server):
    srv = start_server(["--rate-limit", "2", "--trusted-proxy", "127.0.0.1"])
    assert statuses(srv.port, 3, "192.0.2.1") == [400, 400, 429]
    assert statuses(srv.port, 3, "192.0.2.2") == [400, 400, 429]
    assert statuses(srv.port, 1, "2001:db8::1") == [400]


def test_last_forwarded_address_counts(start_server):
    srv = start_server(["--rate-limit", "2", "--trusted-proxy", "127.0.0.1"])
    # the proxy appends the client it saw; earlier entries are the client's say
    assert statuses(srv.port, 1, "10.0.0.1, 192.0.2.7") == [400]
    assert statuses(srv.port, 1, "10.0.0.2,192.0.2.7") == [400]
    assert statuses(srv.port, 1, "192.0.2.7") == [429]
    assert statuses(srv.port, 1, "192.0.2.7, 192.0.2.8") == [400]


def test_limit_is_shared_by_all_workers(start_server):
    srv = start_server(["--rate-limit", "4", "--trusted-proxy", "127.0.0.1"], workers=3)
    # fresh connections spread over the workers; the count is one
    got = statuses(srv.port, 12, "192.0.2.50")
    assert got.count(400) == 4 and got.count(429) == 8, got


def test_zero_turns_it_off(start_server):
    srv = start_server(["--rate-limit", "0", "--trusted-proxy", "127.0.0.1"])
    assert 429 not in statuses(srv.port, 15, "192.0.2.9")


def test_loopback_is_not_limited_without_a_trusted_proxy(start_server):
    srv = start_server(["--rate-limit", "2"])
    assert statuses(srv.port, 6) == [400] * 6
    # nor does X-Forwarded-For from a peer that is not the proxy count
    assert statuses(srv.port, 6, "192.0.2.10") == [400] * 6


def test_forwarded_for_ignored_from_an_untrusted_peer(start_server):
    srv = start_server(["--rate-limit", "2", "--trusted-proxy", "192.0.2.200"])
    assert statuses(srv.port, 6, "192.0.2.11") == [400] * 6


def test_reads_are_not_limited(start_server):
    srv = start_server(["--rate-limit", "1", "--trusted-proxy", "127.0.0.1"])
    assert statuses(srv.port, 2, "192.0.2.12") == [400, 429]
    for _ in range(5):
        r = kc.request(srv.port, "GET", "/v1/u/nobody-here", headers={"X-Forwarded-For": "192.0.2.12"})
        assert r.status == 404
