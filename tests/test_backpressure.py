"""A worker whose socketpair to the verifier fills up keeps the requests
behind it and sends them, in order, once the verifier has read: with one
worker and one verification thread, hundreds of registrations that arrive
at once are all answered 201, and the metrics count the full link."""
import re
import socket
import time

import kez_client as kc
from conftest import SLOW, wait_for
from test_metrics import metrics_port, scrape, value

# Bodies near the largest allowed, so that 200 of them are more than the
# socketpair holds (8 MiB: about 140 of them) while the one verification
# thread takes them one by one, and fewer than the 8 MiB more that may
# wait in the worker (beyond that a request gets 503).
AT_ONCE = 200
PADDING = 60000


def request_bytes(body):
    head = ("POST /v1/register HTTP/1.1\r\nHost: kez.test\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)).encode()
    return head + body


def read_all(sock, deadline):
    data = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    raise AssertionError("no complete answer in time: %r" % data[:200])


def test_a_full_verifier_link_holds_requests_until_it_drains(start_server):
    s = start_server(["--verifier-threads", "1", "--max-body-size", "65536", "--metrics-bind", "127.0.0.1:0"],
                     workers=1)
    mport = metrics_port(s)
    assert value(scrape(mport), "kez_ipc_link_full_total", peer="verifier") == 0
    requests = [request_bytes(kc.make_envelope("burst%03d" % i, extra_payload={"note": "x" * PADDING})[0])
                for i in range(AT_ONCE)]
    socks = []
    try:
        # Everything but each request's last byte first, then those bytes in
        # one sweep: the worker then has them all complete within a moment.
        for r in requests:
            c = socket.create_connection(("127.0.0.1", s.port), timeout=10 * SLOW)
            c.sendall(r[:-1])
            socks.append(c)
        time.sleep(0.2)
        for c, r in zip(socks, requests):
            c.sendall(r[-1:])
        deadline = time.monotonic() + 60 * SLOW
        answers = [kc.parse_one(read_all(c, deadline), closed=True)[0] for c in socks]
    finally:
        for c in socks:
            c.close()
    statuses = [a.status for a in answers]
    assert statuses == [201] * AT_ONCE, {st: statuses.count(st) for st in set(statuses)}
    m = scrape(mport)
    assert value(m, "kez_ipc_link_full_total", peer="verifier") >= 1, "the link never filled: the test proved nothing"
    assert value(m, "kez_http_requests_total", route="register", status="201") == AT_ONCE
    # Every one is in the registry, and the link is back to sending at once.
    for i in (0, AT_ONCE // 2, AT_ONCE - 1):
        assert kc.get(s.port, "/v1/u/burst%03d" % i).status == 200
    body, _ = kc.make_envelope("afterwards")
    started = time.monotonic()
    assert kc.register(s.port, body).status == 201
    assert time.monotonic() - started < 2 * SLOW
    assert not re.search(r"refusing more|will time out", s.log()), s.log()
    assert wait_for(lambda: value(scrape(mport), "kez_verifier_queue_depth") == 0, 5 * SLOW)
