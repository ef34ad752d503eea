"""HTTP rules of API.md §1: methods, CORS, limits, timeouts, keep-alive,
pipelining, malformed requests."""
import threading
import time
import uuid

import pytest

import kez_client as kc
from conftest import SLOW


def test_unknown_paths_are_404(port):
    for path in ("/v1/nope", "/v1", "/.well-known/other", "/internal/x", "/nothing", "/v1/healthz/"):
        r = kc.get(port, path)
        assert r.status == 404 and kc.error_of(r) == "not_found", path


@pytest.mark.parametrize("method,path,allow", [
    ("POST", "/v1/healthz", "GET, HEAD"), ("DELETE", "/v1/u/alice", "GET, HEAD"),
    ("GET", "/v1/register", "POST, OPTIONS"), ("PUT", "/v1/register", "POST, OPTIONS"),
    ("POST", "/.well-known/webfinger", "GET, HEAD"), ("GET", "/internal/nats/auth", "POST"),
    ("POST", "/", "GET, HEAD"), ("PUT", "/index.html", "GET, HEAD"), ("DELETE", "/v1/u/alice", "GET, HEAD"),
    ("PATCH", "/v1/register", "POST, OPTIONS"), ("PUT", "/internal/nats/auth", "POST"),
])
def test_wrong_method_is_405_with_allow(port, method, path, allow):
    r = kc.request(port, method, path)
    assert r.status == 405 and kc.error_of(r) == "method_not_allowed"
    assert r.headers["allow"] == allow


def test_head_matches_get(port):
    for path in ("/v1/healthz", "/v1/u/nobody-here", "/", "/.well-known/webfinger", "/v1/nope", "/index.html",
                 "/.well-known/webfinger?resource=acct:nobody-here@kez.test"):
        g = kc.get(port, path)
        h = kc.request(port, "HEAD", path)
        assert h.status == g.status and h.body == b""
        assert h.headers["content-length"] == str(len(g.body))
        assert h.headers["content-type"] == g.headers["content-type"]


def test_cors(port):
    assert kc.get(port, "/v1/healthz").headers["access-control-allow-origin"] == "*"
    assert kc.get(port, "/v1/u/none-such").headers["access-control-allow-origin"] == "*"
    assert kc.get(port, "/.well-known/webfinger").headers["access-control-allow-origin"] == "*"
    r = kc.request(port, "OPTIONS", "/v1/register", headers={"Origin": "https://app", "Access-Control-Request-Method": "POST"})
    assert r.status == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["access-control-allow-methods"] == "POST"
    assert r.headers["access-control-allow-headers"].lower() == "content-type"


@pytest.mark.parametrize("method,path,status", [
    ("GET", "/v1/nope", 404), ("GET", "/v1/u/nobody-here", 404), ("POST", "/v1/healthz", 405),
    ("GET", "/v1/register", 405), ("GET", "/.well-known/webfinger", 400), ("POST", "/.well-known/webfinger", 405),
    ("GET", "/.well-known/webfinger?resource=acct:x@other.test", 404),
])
def test_cors_on_errors(port, method, path, status):
    r = kc.request(port, method, path, headers={"Origin": "https://app.example"})
    assert r.status == status
    kc.error_of(r)
    assert r.headers["access-control-allow-origin"] == "*"


def test_cors_on_register_errors(port):
    r = kc.register(port, b"{}", "text/plain")
    assert r.status == 415 and r.headers["access-control-allow-origin"] == "*"
    r = kc.register(port, b"{")
    assert r.status == 400 and r.headers["access-control-allow-origin"] == "*"


def test_head_of_errors_has_no_body(port):
    for path, status in (("/v1/nope", 404), ("/v1/register", 405)):
        g = kc.request(port, "GET", path)
        h = kc.request(port, "HEAD", path)
        assert g.status == h.status == status
        assert h.body == b"" and h.headers["content-length"] == str(len(g.body))


def test_nats_auth_is_not_implemented(port):
    r = kc.request(port, "POST", "/internal/nats/auth", body=b"eyJ", headers={"Content-Type": "application/jwt"})
    assert r.status == 501 and kc.error_of(r) == "not_implemented"


def test_headers_too_large_then_still_serving(port):
    raw = b"GET /v1/healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 17000 + b"\r\n\r\n"
    r, = kc.raw_http(port, raw, must_close=False)
    assert r.status == 431 and b"headers_too_large" in r.body
    many = b"GET /v1/healthz HTTP/1.1\r\nHost: t\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(3000)) + b"\r\n"
    r, = kc.raw_http(port, many, must_close=False)
    assert r.status == 431
    assert kc.get(port, "/v1/healthz").status == 200


def test_long_url_is_431(port):
    r = kc.raw_http(port, b"GET /v1/u/" + b"a" * 20000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", must_close=False)
    assert r[0].raw.startswith(b"HTTP/1.1 431 ")


def test_body_too_large_by_content_length(port):
    raw = (b"POST /v1/register HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
           b"Content-Length: 1000000\r\n\r\n" + b"{" * 1000)
    r, = kc.raw_http(port, raw)
    assert r.status == 413 and b"payload_too_large" in r.body
    assert r.headers["connection"] == "close"


def test_body_just_over_the_limit_is_413(port):
    body = b"{" + b" " * 16384 + b"}"
    r = kc.register(port, body)
    assert r.status == 413 and kc.error_of(r) == "payload_too_large"


def test_body_at_the_limit_is_read(port):
    body = b"{" + b" " * (16384 - 2) + b"}"
    r = kc.register(port, body)
    assert r.status == 400 and kc.error_of(r) == "invalid_envelope"


def test_body_too_large_chunked(port):
    chunk = b"4000\r\n" + b"a" * 0x4000 + b"\r\n"
    raw = (b"POST /v1/register HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n" + chunk * 2)
    r, = kc.raw_http(port, raw)
    assert r.status == 413 and b"payload_too_large" in r.body


@pytest.mark.parametrize("raw", [
    b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"GET /v1/healthz HTTP/1.1\r\nBad Header\r\n\r\n",
    b"POST /v1/register HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
    b"POST /v1/register HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
])
def test_malformed_request_is_400_and_closed(port, raw):
    r, = kc.raw_http(port, raw)
    assert r.status == 400 and b"bad_request" in r.body
    assert r.headers["connection"] == "close"


def test_pipelined_requests_answered_in_order(port):
    handle = ("pipe" + uuid.uuid4().hex)[:16]
    body, _ = kc.make_envelope(handle)
    raw = (b"GET /v1/healthz HTTP/1.1\r\nHost: t\r\n\r\n"
           b"POST /v1/register HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
           b"GET /v1/u/%s HTTP/1.1\r\nHost: t\r\n\r\n"
           b"GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"
           b"GET /v1/healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n") % (len(body), body, handle.encode())
    responses = kc.raw_http(port, raw)
    assert [r.status for r in responses] == [200, 201, 200, 404, 200]
    assert b'"handle":"%s"' % handle.encode() in responses[2].body


def test_keep_alive_reuses_connection(port):
    with kc.RawConnection(port) as c:
        for _ in range(5):
            assert c.send(b"GET /v1/healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            r = c.response()
            assert r.raw.startswith(b"HTTP/1.1 200 ") and r.body.endswith(b"}")


def test_http10_closes_by_default(port):
    r, = kc.raw_http(port, b"GET /v1/healthz HTTP/1.0\r\n\r\n")
    assert r.status == 200 and r.headers["connection"] == "close"


def test_http10_keep_alive(port):
    with kc.RawConnection(port) as c:
        assert c.send(b"GET /v1/healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        assert b"Connection: keep-alive" in c.response().raw
        assert c.send(b"GET /v1/healthz HTTP/1.0\r\n\r\n")
        assert c.wait_closed()
        r, = c.responses()
        assert r.raw.startswith(b"HTTP/1.1 200 ")


def test_slow_partial_request_does_not_block_others(port):
    slow = [kc.RawConnection(port) for _ in range(20)]
    for s in slow:
        assert s.send(b"POST /v1/register HTTP/1.1\r\nHost: t\r\nContent-Le")
    t0 = time.time()
    for _ in range(20):
        assert kc.get(port, "/v1/healthz", timeout=2).status == 200
    assert time.time() - t0 < 2 * SLOW
    for s in slow:
        s.close()


def test_many_concurrent_connections(port):
    results = []
    def go():
        try:
            results.append(kc.get(port, "/v1/healthz", timeout=10).status)
        except OSError as e:
            results.append(str(e))
    threads = [threading.Thread(target=go) for _ in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 200


@pytest.fixture(scope="module")
def short_timeouts(tmp_path_factory):
    from conftest import Server, make_temp_dir
    s = Server(make_temp_dir(), ["--header-timeout", "1", "--idle-timeout", "2"]).start()
    yield s
    s.stop()


def test_slowloris_closed_after_header_timeout(short_timeouts):
    with kc.RawConnection(short_timeouts.port) as c:
        c.send(b"GET /v1/healthz HTTP/1.1\r\n")
        for _ in range(3):
            time.sleep(0.3)
            if not c.send(b"X: y\r\n"):
                break
        took = c.closed_within(5 * SLOW)
    assert took is not None and took < 3 * SLOW


def test_silent_connection_closed_after_header_timeout(short_timeouts):
    with kc.RawConnection(short_timeouts.port) as c:
        took = c.closed_within(5 * SLOW)
    assert took is not None and 0.5 < took < 3 * SLOW


def test_idle_keep_alive_closed_after_idle_timeout(short_timeouts):
    with kc.RawConnection(short_timeouts.port) as c:
        assert c.send(b"GET /v1/healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        assert c.response(alone=True).status == 200
        took = c.closed_within(6 * SLOW)
    assert took is not None and 1.5 < took < 4 * SLOW
    assert short_timeouts.healthy()


def test_keep_alive_survives_pauses_shorter_than_idle_timeout(short_timeouts):
    with kc.RawConnection(short_timeouts.port) as c:
        for _ in range(3):
            assert c.send(b"GET /v1/healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            assert c.response(alone=True).status == 200
            time.sleep(1.0)  # the idle timeout is 2 s


def test_body_dribbled_past_header_timeout_is_cut(short_timeouts):
    body, _ = kc.make_envelope(("slowbody" + uuid.uuid4().hex)[:20])
    c = kc.RawConnection(short_timeouts.port)
    c.send(b"POST /v1/register HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
           b"Content-Length: %d\r\n\r\n" % len(body))
    t0 = time.time()
    closed = False
    for i in range(len(body)):  # one byte every 0.2 s: far slower than 1 s allows
        if not c.send(body[i:i + 1]) or c.wait_closed(0.2):
            closed = True
            break
        if time.time() - t0 > 6 * SLOW:
            break
    c.close()
    assert closed, "a body dribbled for %.1f s was still being read" % (time.time() - t0)
    assert time.time() - t0 < 3 * SLOW
    assert not c.received.startswith(b"HTTP/1.1 201")


def test_malformed_request_after_a_good_one_closes(port):
    responses = kc.raw_http(port, b"GET /v1/healthz HTTP/1.1\r\nHost: t\r\n\r\nBROKEN\r\n\r\n"
                                  b"GET /v1/healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    assert [r.status for r in responses] == [200, 400]


def test_pipelined_burst_of_twenty(port):
    raw = b"".join(b"GET /v1/u/nobody%d HTTP/1.1\r\nHost: t\r\n\r\n" % i for i in range(19))
    raw += b"GET /v1/healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    responses = kc.raw_http(port, raw)
    assert [r.status for r in responses] == [404] * 19 + [200]


def test_request_split_into_single_bytes(port):
    with kc.RawConnection(port) as c:
        for b in b"GET /v1/healthz HTTP/1.1\r\nHost: t\r\n\r\n":
            assert c.send(bytes([b]))
        r = c.response(alone=True)
    assert r.status == 200 and b'"status":"ok"' in r.body


def test_api_errors_keep_the_connection_open(port):
    c = kc.RawConnection(port)
    requests = [
        (b"GET /nope HTTP/1.1\r\nHost: t\r\n\r\n", 404),
        (b"DELETE /v1/healthz HTTP/1.1\r\nHost: t\r\n\r\n", 405),
        (b"POST /v1/register HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 1\r\n\r\n{", 400),
        (b"POST /v1/register HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}", 415),
        (b"GET /v1/u/nobody-here HTTP/1.1\r\nHost: t\r\n\r\n", 404),
        (b"GET /v1/healthz HTTP/1.1\r\nHost: t\r\n\r\n", 200),
    ]
    for raw, expected in requests:
        assert c.send(raw)
        r = c.response(alone=True)
        assert r.status == expected, raw
        assert r.headers.get("connection", "").lower() != "close", raw
    c.close()


def test_chunked_body_with_extensions_and_trailer(port):
    handle = ("chunkx" + uuid.uuid4().hex)[:20]
    body, _ = kc.make_envelope(handle)
    half = len(body) // 2
    raw = (b"POST /v1/register HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
           b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
           b"%x;name=value\r\n%s\r\n%X\r\n%s\r\n0\r\nX-Trailer: yes\r\n\r\n") % (half, body[:half], len(body) - half, body[half:])
    r, = kc.raw_http(port, raw)
    assert r.status == 201 and r.headers["location"] == "/v1/u/" + handle


def test_expect_100_continue_with_too_large_body_is_413(port):
    raw = (b"POST /v1/register HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
           b"Expect: 100-continue\r\nContent-Length: 100000\r\n\r\n")
    responses = kc.raw_http(port, raw)
    assert responses[-1].status == 413 and b"payload_too_large" in responses[-1].body
