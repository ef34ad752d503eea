"""GET /metrics on --metrics-bind: after known traffic, every number the
scrape shows is the one that traffic made, summed over both workers and the
verifier and writer, across a worker's SIGKILL and restart."""
import os
import re
import signal
import socket
import subprocess
import urllib.request

import pytest

import kez_client as kc
import sigchain_client as sc
from conftest import SERVER_BIN, SLOW, Server, make_temp_dir, user_args, wait_for

SAMPLE = re.compile(r'^([a-z_]+)(?:\{([^}]*)\})? (\S+)$')


def metrics_port(server):
    m = wait_for(lambda: re.search(r"metrics served on 127\.0\.0\.1:(\d+)", server.log()), 5 * SLOW)
    assert m, server.log()
    return int(m.group(1))


def scrape(port, path="/metrics"):
    """{(name, frozenset of label pairs): value}, with the format checked:
    every sample's family has HELP and TYPE lines before it."""
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = r.read().decode()
    typed, samples = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            typed[name] = kind
            continue
        if line.startswith("# HELP ") or not line:
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        name, labels, value = m.groups()
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in typed else name
        assert family in typed, "no TYPE line before %r" % line
        pairs = frozenset(re.findall(r'(\w+)="([^"]*)"', labels or ""))
        samples[(name, pairs)] = float(value)
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def listening_sockets(pid):
    """How many listening TCP sockets the process holds."""
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for row in f.read().splitlines()[1:]:
                cols = row.split()
                if cols[3] == "0A":
                    listening.add(cols[9])
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if link.startswith("socket:[") and link[8:-1] in listening:
            n += 1
    return n


@pytest.fixture(scope="module")
def metered():
    s = Server(make_temp_dir(), ["--metrics-bind", "127.0.0.1:0", "--serve", "registry,sigchain",
                                 "--rate-limit", "0"]).start()
    yield s
    s.stop()


def register(port, prefix, n, taken):
    """n registrations, the last `taken` of them for handles already held (409)."""
    held = []
    for i in range(n - taken):
        handle = "%s%d" % (prefix, i)
        body, _ = kc.make_envelope(handle)
        assert kc.register(port, body).status == 201
        held.append(handle)
    for i in range(taken):
        body, _ = kc.make_envelope(held[i % len(held)])
        r = kc.register(port, body)
        assert r.status == 409 and kc.error_of(r) == "handle_taken", r
    return held


def lookups(port, handles, misses):
    for h in handles:
        assert kc.get(port, "/v1/u/" + h).status == 200
    for i in range(misses):
        assert kc.get(port, "/v1/u/nobody%d" % i).status == 404


def test_scrape_adds_up_what_the_traffic_did(metered):
    mport = metrics_port(metered)
    before = scrape(mport)
    assert value(before, "kez_http_requests_total", route="lookup", status="200") == 0

    # before the kill: 6 registrations (2 refused), 10 lookups, 3 appends
    held = register(metered.port, "before", 6, 2)
    lookups(metered.port, held, 6)
    chain = sc.Chain()
    for i in range(3):
        sc.append(metered.port, chain, chain.add("github:s%d" % i))

    victim = metered.child("worker 1")
    assert victim
    os.kill(victim, signal.SIGKILL)
    assert wait_for(lambda: (metered.child("worker 1") or victim) != victim, 10 * SLOW), metered.log()
    assert wait_for(metered.healthy, 10 * SLOW)

    # after it: 5 more registrations (1 refused), 12 lookups, 2 appends
    more = register(metered.port, "after", 5, 1)
    lookups(metered.port, more, 8)
    for i in range(2):
        sc.append(metered.port, chain, chain.add("github:t%d" % i))

    m = scrape(mport)
    assert value(m, "kez_http_requests_total", route="register", status="201") == 4 + 4
    assert value(m, "kez_http_requests_total", route="register", status="409") == 2 + 1
    assert value(m, "kez_http_requests_total", route="lookup", status="200") == 4 + 4
    assert value(m, "kez_http_requests_total", route="lookup", status="404") == 6 + 8
    assert value(m, "kez_http_requests_total", route="sigchain_append", status="201") == 5
    # the scrapes themselves are not counted
    assert not [k for k in m if k[0] == "kez_http_requests_total" and ("route", "metrics") in k[1]]

    def hist_count(name, **labels):
        n = value(m, name + "_count", **labels)
        assert value(m, name + "_bucket", le="+Inf", **labels) == n
        return n

    assert hist_count("kez_http_request_duration_seconds", route="lookup") == 22
    assert hist_count("kez_http_request_duration_seconds", route="register") == 11
    assert hist_count("kez_http_request_duration_seconds", route="sigchain_append") == 5
    assert value(m, "kez_http_request_duration_seconds_sum", route="register") > 0
    # buckets are cumulative
    les = sorted((float(dict(k[1])["le"]), v) for k, v in m.items()
                 if k[0] == "kez_http_request_duration_seconds_bucket" and ("route", "lookup") in k[1])
    assert [v for _, v in les] == sorted(v for _, v in les)

    # every registration envelope and every event went through the verifier
    assert hist_count("kez_verification_duration_seconds", kind="envelope") == 11
    assert hist_count("kez_verification_duration_seconds", kind="event") == 5
    assert hist_count("kez_verification_duration_seconds", kind="nats") == 0
    # and every one of them reached the writer: the batches hold 16 requests
    assert value(m, "kez_writer_batch_size_sum") == 16
    commits = hist_count("kez_writer_commit_duration_seconds")
    assert commits == hist_count("kez_writer_batch_size") and 1 <= commits <= 16

    assert value(m, "kez_child_restarts_total", role="worker") == 1
    assert value(m, "kez_child_restarts_total", role="verifier") == 0
    assert value(m, "kez_child_restarts_total", role="writer") == 0
    # a light load never fills a worker's links (test_backpressure.py fills one)
    assert ("kez_ipc_link_full_total", frozenset({("peer", "writer")})) in m
    assert value(m, "kez_ipc_link_full_total", peer="verifier") == 0
    assert value(m, "kez_ipc_link_full_total", peer="writer") == 0
    assert value(m, "kez_verifier_queue_depth") == 0


def test_open_connections_gauge(metered):
    mport = metrics_port(metered)
    assert wait_for(lambda: value(scrape(mport), "kez_open_connections") == 0, 5 * SLOW)
    held = [socket.create_connection(("127.0.0.1", metered.port)) for _ in range(3)]
    try:
        assert wait_for(lambda: value(scrape(mport), "kez_open_connections") == 3, 5 * SLOW)
    finally:
        for c in held:
            c.close()
    assert wait_for(lambda: value(scrape(mport), "kez_open_connections") == 0, 5 * SLOW)


def test_metrics_listener_serves_only_metrics(metered):
    mport = metrics_port(metered)
    for path in ("/", "/v1/healthz", "/metrics/x"):
        r = kc.get(mport, path)
        assert r.status == 404, (path, r)
    # and the service port has no /metrics
    assert kc.get(metered.port, "/metrics").status == 404
    assert listening_sockets(metered.proc.pid) == 2


def test_metrics_off_by_default(server):
    assert "metrics served on" not in server.log()
    assert listening_sockets(server.proc.pid) == 1


@pytest.mark.parametrize("bad", ["nonsense", "127.0.0.1:99999", "256.1.1.1:80", ":x"])
def test_bad_metrics_bind_exits_2(bad):
    d = make_temp_dir()
    args = [SERVER_BIN, "--db", os.path.join(d, "kez.db"), "--metrics-bind", bad] + user_args()
    r = subprocess.run(args, capture_output=True, text=True, timeout=10 * SLOW)
    assert r.returncode == 2, r
    assert "--metrics-bind" in r.stderr, r.stderr


def test_nats_callouts_counted():
    from test_nats import NATS_SERVER, Stack
    assert os.path.exists(NATS_SERVER), "run tools/fetch-nats-server.sh (make test does)"
    s = Stack(args=["--metrics-bind", "127.0.0.1:0"])
    try:
        mport = metrics_port(s.kez)
        _, seed = s.user("metricsnats")
        r = s.probe(seed)
        assert r.returncode == 0, r.stdout + r.stderr
        _, stranger = s.user(None)
        assert s.probe(stranger).returncode == 1
        _, liar = s.user("metricsliar")
        assert s.probe(liar, "--wrong-sig").returncode == 1
        m = scrape(mport)
        # a refused client may try again: the server's log says how often it asked
        log = s.kez.log()
        granted = len(re.findall(r"NATS access granted to metricsnats", log))
        unknown = len(re.findall(r"NATS access refused.*: the key is not registered", log))
        refused = len(re.findall(r"NATS access refused", log))
        assert granted == 1 and unknown >= 1 and refused > unknown, log
        assert value(m, "kez_nats_callouts_total", result="granted", reason="registered") == granted
        assert value(m, "kez_nats_callouts_total", result="refused", reason="unregistered") == unknown
        assert value(m, "kez_nats_callouts_total", result="refused", reason="bad_proof") == refused - unknown
        assert value(m, "kez_nats_callouts_total", result="invalid", reason="bad_request") == 0
        assert value(m, "kez_verification_duration_seconds_count", kind="nats") == granted + refused
    finally:
        s.stop()
