"""The worker's own defects under load and at its limits: connections reset
while they wait for another turn, slots reused in the same epoll batch,
records built from the longest configuration, and 204s without a length."""
import os
import random
import selectors
import socket
import struct
import time

import kez_client as kc
from conftest import SLOW

# Large requests with small answers: a connection reads far more in one turn
# than it may (16 reads), so it queues for another turn after the others.
PADDED = b"GET /v1/healthz HTTP/1.1\r\nHost: t\r\nX-Pad: " + b"p" * 4000 + b"\r\n\r\n"
PER_CONNECTION = 1000


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def reset(sock):
    """Close with an RST instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def answer_length(port, request=PADDED):
    """Every healthz answer is the same length (the Date header is fixed-width)."""
    with kc.RawConnection(port) as c:
        c.send(request)
        r = c.response()
    assert r.status == 200
    return len(r.raw)


class Pipeliner:
    """Connections that pipeline PER_CONNECTION padded requests each and
    read the answers, without blocking."""

    def __init__(self, port, answer_len, request=PADDED, count=PER_CONNECTION):
        self.port, self.answer_len, self.count = port, answer_len, count
        self.sel = selectors.DefaultSelector()
        self.conns = {}
        self.data = request * count

    def open(self):
        s = socket.create_connection(("127.0.0.1", self.port))
        s.setblocking(False)
        # input already waiting at the accept: the first turn may run out too
        try:
            sent = s.send(self.data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        self.conns[s] = {"sent": sent, "got": 0}
        self.sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)

    def drop(self, s, rst):
        self.sel.unregister(s)
        del self.conns[s]
        reset(s) if rst else s.close()

    def step(self, timeout=0.02):
        for key, ev in self.sel.select(timeout):
            s, st = key.fileobj, self.conns.get(key.fileobj)
            if st is None:
                continue
            try:
                if ev & selectors.EVENT_READ:
                    d = s.recv(1 << 20)
                    if not d:
                        raise ConnectionResetError("closed by the server")
                    st["got"] += len(d)
                if ev & selectors.EVENT_WRITE and st["sent"] < len(self.data):
                    st["sent"] += s.send(self.data[st["sent"]:st["sent"] + (1 << 22)])
                    if st["sent"] == len(self.data):
                        self.sel.modify(s, selectors.EVENT_READ)
            except (BlockingIOError, InterruptedError):
                pass

    def unfinished(self):
        want = self.answer_len * self.count
        return [st for st in self.conns.values() if st["got"] < want]


def test_reset_pipelining_connections_do_not_stall_the_worker(start_server):
    srv = start_server(workers=1)
    worker = srv.child("worker 1")
    assert worker
    p = Pipeliner(srv.port, answer_length(srv.port))
    for _ in range(24):
        p.open()
    rng = random.Random(7)
    end = time.monotonic() + 2 * SLOW
    while time.monotonic() < end:
        p.step()
        # reset some mid-stream and open as many: the new ones take their slots
        for s in rng.sample(list(p.conns), 3):
            p.drop(s, rst=True)
        for _ in range(3):
            p.open()
    # the rest must be answered in full, soon
    end = time.monotonic() + 5 * SLOW
    while p.unfinished() and time.monotonic() < end:
        p.step(0.05)
    stalled = p.unfinished()
    assert not stalled, "%d of %d connections stalled: %r" % (len(stalled), len(p.conns), stalled[:3])
    for s in list(p.conns):
        p.drop(s, rst=False)
    t0 = time.monotonic()
    assert kc.get(srv.port, "/v1/healthz", timeout=3).status == 200
    assert time.monotonic() - t0 < 2
    # and idle: no loop left spinning
    time.sleep(0.5)
    before = cpu_ticks(worker)
    time.sleep(1.0)
    used = cpu_ticks(worker) - before
    ticks = os.sysconf("SC_CLK_TCK")
    assert used < ticks * 0.2, "the worker used %d of %d ticks while idle" % (used, ticks)


def test_pipelined_answers_larger_than_requests_all_leave(start_server):
    # Parsing stops while a turn's answers exceed the output limit; once they
    # have left, what is buffered must go on without waiting for more input.
    srv = start_server(workers=1)
    tiny = b"GET /v1/healthz HTTP/1.1\r\n\r\n"
    p = Pipeliner(srv.port, answer_length(srv.port, tiny), request=tiny, count=15000)
    for _ in range(4):
        p.open()
    end = time.monotonic() + 10 * SLOW
    while p.unfinished() and time.monotonic() < end:
        p.step(0.05)
    stalled = p.unfinished()
    assert not stalled, "%d connections stalled: %r" % (len(stalled), stalled)
    for s in list(p.conns):
        p.drop(s, rst=False)


def test_longest_server_and_sigchain_url_records(start_server):
    server = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])  # 253 characters
    assert len(server) == 253
    sig = "https://" + "s" * 503  # 511: the longest config keeps
    srv = start_server(["--sig-server-url", sig], server=server)
    handle = "h" * 32  # the longest handle
    body, _ = kc.make_envelope(handle, server=server)
    r = kc.register(srv.port, body)
    assert r.status == 201, r
    assert r.json()["sigchain_url"].startswith(sig + "/v1/sigchains/ed25519/")
    g = kc.get(srv.port, "/v1/u/" + handle)
    assert g.status == 200, g
    assert g.json()["fqhn"] == handle + "@" + server
    assert g.json() == r.json()
    wf = kc.get(srv.port, "/.well-known/webfinger?resource=acct:%s@%s" % (handle, server))
    assert wf.status == 200, wf


def test_204_has_no_content_length(port):
    raw = kc.raw_http(port, b"OPTIONS /v1/register HTTP/1.1\r\nHost: t\r\nOrigin: https://app\r\n"
                            b"Access-Control-Request-Method: POST\r\nConnection: close\r\n\r\n")[0].raw
    head = raw.split(b"\r\n\r\n", 1)[0].lower()
    assert head.startswith(b"http/1.1 204 ")
    assert b"\r\ncontent-length:" not in head
    assert b"access-control-allow-methods: post" in head
