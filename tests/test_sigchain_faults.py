"""Sigchain appends under races and faults: racing appends at one seq store
exactly one event; SIGKILL of a worker, the verifier or the writer while
appends run loses no event that got a 201, leaves no gap, and every chain
still verifies end to end."""
import os
import signal
import threading
import time

import pytest

import kez_client as kc
import sigchain_client as sc
from conftest import SLOW, wait_for


def test_racing_appends_at_one_seq_store_exactly_one(start_server):
    s = start_server(["--serve", "sigchain", "--workers", "2"])
    c = sc.Chain()
    sc.append(s.port, c, c.add("github:first"))
    rivals = [c.add("github:rival%d" % i) for i in range(20)]
    results = [None] * len(rivals)
    barrier = threading.Barrier(len(rivals))

    def go(i):
        barrier.wait()
        results[i] = sc.post(s.port, c.hex, rivals[i])

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(rivals))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = [r.status for r in results]
    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == len(rivals) - 1, statuses
    winner = rivals[statuses.index(201)]
    for r in results:
        if r.status == 409:
            assert r.json()["length"] == 2 and r.json()["head"] == sc.event_hash(winner)
    doc = kc.get(s.port, c.path).json()
    assert doc["length"] == 2 and doc["events"][1] == winner


def test_racing_identical_retries_one_201_rest_200(start_server):
    s = start_server(["--serve", "sigchain"])
    c = sc.Chain()
    ev = c.add("github:same")
    results = [None] * 12
    barrier = threading.Barrier(len(results))

    def go(i):
        barrier.wait()
        results[i] = sc.post(s.port, c.hex, ev)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(results))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status for r in results)
    assert statuses == [200] * 11 + [201], statuses


def append_many(port, chain, accepted, failures, stop_at, n):
    """Appends n adds to chain, as the chat client does: when an answer is
    lost (connection cut, 503), it looks the chain up before going on."""
    while len(chain.events) < n and time.time() < stop_at:
        ev = chain.add("github:c%d" % len(chain.events))
        try:
            r = sc.post(port, chain.hex, ev)
        except OSError as e:
            failures.append(("connection", str(e)))
            r = None
        if r is not None and r.status in (200, 201):
            chain.accept(ev)
            accepted.append((chain.hex, ev))
            continue
        if r is not None and not (r.status == 503 and r.json()["error"] == "unavailable"):
            failures.append(("unexpected", r.status, r.body[:200]))
            return
        # look the chain up: the event may have been stored after all
        for _ in range(100):
            try:
                g = kc.get(port, chain.path)
                break
            except OSError:
                time.sleep(0.05)
        else:
            failures.append(("lookup", chain.hex))
            return
        if g.status == 200 and g.json()["length"] == len(chain.events) + 1:
            assert g.json()["events"][-1] == ev
            chain.accept(ev)


@pytest.mark.parametrize("role", ["worker 1", "verifier", "writer"])
def test_sigkill_under_append_load(start_server, role):
    s = start_server(["--serve", "sigchain", "--workers", "2"])
    chains = [sc.Chain() for _ in range(4)]
    accepted, failures = [], []
    stop_at = time.time() + 30 * SLOW
    threads = [threading.Thread(target=append_many, args=(s.port, c, accepted, failures, stop_at, 60))
               for c in chains]
    for t in threads:
        t.start()
    assert wait_for(lambda: len(accepted) >= 20, 10 * SLOW), failures
    victim = s.child(role)
    assert victim, s.children()
    os.kill(victim, signal.SIGKILL)
    assert wait_for(lambda: s.child(role) not in (None, victim), 2 * SLOW), "not respawned"
    for t in threads:
        t.join()
    assert not [f for f in failures if f[0] in ("unexpected", "lookup")], failures
    for c in chains:
        events, doc = sc.fetch_all(s.port, c.hex)
        # every 201 is there, in order, with no gap, and nothing else
        assert events == c.events, (len(events), len(c.events))
        active, _, head = sc.verify_chain(c.hex, events)
        assert head == doc["head"] and len(active) == len(events)
    got = {(h, sc.event_hash(ev)) for h, ev in accepted}
    stored = {(c.hex, sc.event_hash(ev)) for c in chains for ev in c.events}
    assert got <= stored
