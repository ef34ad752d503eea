"""The verifier's verification threads (--verifier-threads N: its loop
thread and N - 1 more): as many as asked, every one under the verifier's
seccomp filter, and the same answers from one thread and from four -- for
registrations, sigchain appends and NATS callouts, one at a time and many
at once (answers come back in the order they finish; the ids must still
match them)."""
import concurrent.futures
import json
import os
import re

import pytest

import kez_client as kc
import sigchain_client as sc
from conftest import SANITIZED, Server, make_temp_dir, wait_for
from test_nats_http import Forger, answer_of, ask, claims_of, nats_keys


def tasks(pid):
    return sorted(int(t) for t in os.listdir("/proc/%d/task" % pid))


def seccomp_mode(pid, tid):
    with open("/proc/%d/task/%d/status" % (pid, tid)) as f:
        return int(re.search(r"^Seccomp:\s+(\d+)", f.read(), re.M).group(1))


def start(threads, extra=()):
    d = make_temp_dir()
    values = nats_keys(d)
    args = ["--serve", "registry,sigchain", "--nats-issuer-seed", os.path.join(d, "issuer.nk"),
            "--nats-http-callout"] + list(extra)
    if threads is not None:
        args += ["--verifier-threads", str(threads)]
    s = Server(d, args).start()
    s.forger = Forger(values["KEZ_NATS_ISSUER"])
    return s


@pytest.fixture(scope="module")
def pair():
    one, four = start(1), start(4)
    yield one, four
    one.stop()
    four.stop()


@pytest.mark.parametrize("threads", [1, 4])
def test_verifier_has_its_threads_each_under_the_filter(pair, threads):
    s = pair[0] if threads == 1 else pair[1]
    pid = s.child("verifier")
    # N verifying threads: the loop thread (which also verifies) and N - 1
    want = threads
    assert wait_for(lambda: len(tasks(pid)) == want, 5), tasks(pid)
    if SANITIZED:
        pytest.skip("the sanitizer build loads no seccomp filter")
    modes = {tid: seccomp_mode(pid, tid) for tid in tasks(pid)}
    assert set(modes.values()) == {2}, modes


def test_default_is_one_thread_per_usable_cpu():
    s = start(None)
    try:
        pid = s.child("verifier")
        cpus = len(os.sched_getaffinity(0))
        want = min(cpus, 64)
        assert wait_for(lambda: len(tasks(pid)) == want, 5), (tasks(pid), cpus)
        if not SANITIZED:
            assert {seccomp_mode(pid, t) for t in tasks(pid)} == {2}
    finally:
        s.stop()


def test_defaults_follow_the_cpus_it_may_run_on():
    """Started on one CPU of several (a container's cpuset, taskset): one
    worker and one verification thread, not one per CPU online."""
    allowed = os.sched_getaffinity(0)
    if len(allowed) < 2:
        pytest.skip("one CPU: the mask and the CPUs online agree")
    os.sched_setaffinity(0, {min(allowed)})
    try:
        s = Server(make_temp_dir(), workers=None).start()
    finally:
        os.sched_setaffinity(0, allowed)
    try:
        assert thread_cpus(s, 1) == [{min(allowed)}]
        workers = [t for t in s.child_titles() if "worker" in t]
        assert len(workers) == 1, s.child_titles()
    finally:
        s.stop()


def test_the_flag_is_bounded(tmp_path):
    for bad in ("0", "65", "x"):
        s = Server(str(tmp_path), ["--verifier-threads", bad])
        s.start(expect_ready=False)
        assert s.proc.wait(10) != 0
        assert "verifier-threads" in s.log(), s.log()
        s._close_log()


def cpus_of(pid, tid):
    """The CPUs a thread may run on, from Cpus_allowed_list ("0-3,6")."""
    with open("/proc/%d/task/%d/status" % (pid, tid)) as f:
        text = re.search(r"^Cpus_allowed_list:\s+(\S+)", f.read(), re.M).group(1)
    cpus = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        cpus.update(range(int(lo), int(hi or lo) + 1))
    return cpus


def thread_cpus(s, want):
    pid = s.child("verifier")
    assert wait_for(lambda: len(tasks(pid)) == want, 5), tasks(pid)
    return [cpus_of(pid, t) for t in tasks(pid)]


def test_each_thread_is_pinned_to_a_cpu_of_its_own():
    allowed = os.sched_getaffinity(0)
    if len(allowed) < 2:
        pytest.skip("one CPU: nothing to pin two threads to")
    s = start(2)
    try:
        sets = thread_cpus(s, 2)
        assert all(len(c) == 1 for c in sets), sets
        assert sets[0] != sets[1] and sets[0] | sets[1] <= allowed, (sets, allowed)
    finally:
        s.stop()


def test_affinity_off_leaves_the_threads_to_the_scheduler():
    allowed = os.sched_getaffinity(0)
    s = start(2, ["--verifier-affinity", "off"])
    try:
        assert thread_cpus(s, 2) == [allowed, allowed]
        assert "pinned" not in s.log()
    finally:
        s.stop()


def test_more_threads_than_cpus_are_not_pinned():
    """A pinned thread could not leave a core another one needs."""
    allowed = os.sched_getaffinity(0)
    n = len(allowed) + 1
    if n > 64:
        pytest.skip("more CPUs than --verifier-threads allows")
    s = start(n)
    try:
        assert thread_cpus(s, n) == [allowed] * n
        assert wait_for(lambda: "verification threads not pinned: %d threads, %d CPU" % (n, len(allowed)) in s.log(),
                        5), s.log()
    finally:
        s.stop()


def test_the_affinity_flag_takes_auto_or_off(tmp_path):
    s = Server(str(tmp_path), ["--verifier-affinity", "on"])
    s.start(expect_ready=False)
    assert s.proc.wait(10) != 0
    assert "--verifier-affinity: 'on' is not auto or off" in s.log(), s.log()
    s._close_log()


def outcome(r):
    """What a client sees: the status, and the error code when there is one."""
    return (r.status, r.json().get("error") if r.status >= 400 else None)


def registration_cases(tag):
    """(name, body): the same kinds of request for either server, each
    under a handle of its own so that both can take it."""
    key = kc.new_key()
    good, _ = kc.make_envelope(tag + "good", key=key)
    payload, claimed = kc.make_payload(tag + "forged")
    forged = json.dumps(kc.sign_envelope(payload, kc.new_key(), sig_key=kc.key_text(claimed))).encode()
    return [
        ("valid", good),
        ("same again (a retry)", good),
        ("same key, other handle", kc.make_envelope(tag + "other", key=key)[0]),
        ("wrong server", kc.make_envelope(tag + "far", server="elsewhere.test")[0]),
        ("reserved handle", kc.make_envelope("admin")[0]),
        ("stale", kc.make_envelope(tag + "old", created_at=kc.utc_now_text(-3600))[0]),
        ("signature by another key", forged),
        ("not JSON", b"{\"payload\": "),
    ]


def test_one_thread_and_four_give_the_same_registration_answers(pair):
    one, four = pair
    for tag, s in (("ta", one), ("tb", four)):
        s.answers = [(name, outcome(kc.register(s.port, body))) for name, body in registration_cases(tag)]
    assert one.answers == four.answers
    assert dict(one.answers)["valid"] == (201, None)
    assert dict(one.answers)["signature by another key"] == (401, "invalid_signature")


def test_one_thread_and_four_give_the_same_sigchain_answers(pair):
    results = []
    for s in pair:
        chain = sc.Chain()
        seen = []
        first = chain.next_event("add", {"subject": "mail:a"})
        seen.append(outcome(sc.append(s.port, chain, first)))
        seen.append(outcome(sc.post(s.port, chain.hex, first)))  # the same again
        bad = chain.next_event("add", {"subject": "mail:b"}, signer=kc.new_key())
        seen.append(outcome(sc.post(s.port, chain.hex, bad)))
        stale = chain.next_event("add", {"subject": "mail:c"}, created_at=sc.timestamp(-3600))
        seen.append(outcome(sc.post(s.port, chain.hex, stale)))
        seen.append(outcome(sc.append(s.port, chain, chain.next_event("add", {"subject": "mail:d"}))))
        results.append(seen)
    assert results[0] == results[1]
    assert results[0][0][0] == 201 and results[0][2] == (403, "wrong_signing_key")


def test_one_thread_and_four_give_the_same_nats_answers(pair):
    results = []
    for s in pair:
        alice = kc.new_key()
        assert kc.register(s.port, kc.make_envelope("natsalice", key=alice)[0]).status == 201
        granted = answer_of(ask(s, s.forger.request(alice)))
        refused = answer_of(ask(s, s.forger.request(kc.new_key())))
        forged = ask(s, s.forger.request(alice, signer=kc.new_key()))
        results.append(("jwt" in granted["nats"], refused["nats"].get("error"), outcome(forged)))
    assert results[0] == results[1]
    assert results[0][0] is True and results[0][1] == "the key is not registered"


def test_many_at_once_each_answer_reaches_its_own_request(pair):
    """Registrations, appends and callouts in parallel on the four-thread
    verifier: every request gets the answer to itself."""
    s = pair[1]
    keys = {"many%d" % i: kc.new_key() for i in range(60)}

    def register(handle):
        return handle, kc.register(s.port, kc.make_envelope(handle, key=keys[handle])[0]).status

    def append(i):
        chain = sc.Chain()
        r = sc.append(s.port, chain, chain.next_event("add", {"subject": "mail:s%d" % i}))
        return chain.hex, r.status, i

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        regs = list(pool.map(register, sorted(keys)))
        chains = list(pool.map(append, range(40)))
        grants = list(pool.map(lambda h: (h, answer_of(ask(s, s.forger.request(keys[h])))), sorted(keys)))
    assert all(status == 201 for _, status in regs), regs
    assert all(status == 201 for _, status, _ in chains), chains
    for handle, key in keys.items():
        r = kc.get(s.port, "/v1/u/" + handle)
        assert r.status == 200 and r.json()["primary"] == kc.key_text(key), (handle, r.body)
    for hexkey, _, i in chains:
        events = sc.fetch_all(s.port, hexkey)[0]
        assert [e["payload"]["body"]["subject"] for e in events] == ["mail:s%d" % i], events
    for handle, answer in grants:
        assert "jwt" in answer["nats"], (handle, answer)
        assert claims_of(answer["nats"]["jwt"])["name"] == handle
