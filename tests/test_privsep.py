"""The writer trusts no worker, and the singletons do not outlive the master.

A test build (build/hooks) makes worker 1 send the writer inserts the
verifier never attested (src/probes/forged_insert.c), and a sigchain append
likewise (src/probes/forged_append.c): the writer must refuse
them, say so in its log, and store nothing, while a real registration still
goes through."""
import os
import re
import signal

import pytest

import kez_client as kc
from conftest import ROOT, SLOW, Server, is_running, make_temp_dir, wait_for

HOOKS_BIN = os.path.join(ROOT, "build", "hooks", "kez-chat-server")
FORGED = "forgedprobe"  # PROBE_FORGED_HANDLE
PROBE_LINE = re.compile(r"probe worker: forged insert: (.+)$", re.M)


@pytest.fixture(scope="module")
def probed():
    assert os.path.exists(HOOKS_BIN), "make test builds build/hooks"
    s = Server(make_temp_dir(), env={"KEZ_TEST_PROBE": "1"})
    s.binary = HOOKS_BIN
    s.start()
    assert wait_for(lambda: PROBE_LINE.search(s.log()), 5 * SLOW), s.log()
    yield s
    s.stop()


def writer_lines(server):
    return [l for l in server.log().splitlines() if " writer[" in l]


def test_forged_inserts_are_refused(probed):
    result = PROBE_LINE.search(probed.log()).group(1)
    assert "stored" not in result, result
    assert re.search(r"\badmin refused \(\w+\)", result), result
    assert re.search(r"\b%s refused \(forbidden\)" % FORGED, result), result
    # only one probe ran (worker 1)
    assert len(PROBE_LINE.findall(probed.log())) == 1


def test_the_writer_logs_each_refusal(probed):
    lines = writer_lines(probed)
    assert [l for l in lines if "refused an insert" in l and "'admin'" in l and "reserved" in l], lines
    assert [l for l in lines if "refused an insert" in l and "'%s'" % FORGED in l and
            "no valid attestation" in l], lines
    assert all("nothing stored" in l for l in lines if "refused an insert" in l)


def test_nothing_forged_is_stored(probed):
    for handle in ("admin", FORGED):
        r = kc.get(probed.port, "/v1/u/" + handle)
        assert r.status == 404, (handle, r.status)


def test_a_verified_registration_still_works(probed):
    body, _ = kc.make_envelope("privsep")
    r = kc.register(probed.port, body)
    assert r.status == 201, r.body
    assert kc.get(probed.port, "/v1/u/privsep").status == 200
    # and it was the verifier's attestation that let it in: no refusal for it
    assert not [l for l in writer_lines(probed) if "'privsep'" in l and "refused" in l]


def test_the_handle_a_forged_insert_tried_can_still_be_registered(probed):
    body, _ = kc.make_envelope(FORGED)
    assert kc.register(probed.port, body).status == 201
    assert kc.get(probed.port, "/v1/u/" + FORGED).status == 200


def test_verifier_and_writer_exit_when_the_master_is_killed():
    s = Server(make_temp_dir()).start()
    kids = s.children()
    verifier, writer = kids["kez-chat-server: verifier"], kids["kez-chat-server: writer"]
    others = [pid for title, pid in kids.items() if pid not in (verifier, writer)]
    try:
        os.kill(s.proc.pid, signal.SIGKILL)
        s.proc.wait(5)
        # the parent-death signal ends every child; a hub that outlived it
        # would also stop at its control socket's end of file (test_ipc.c)
        gone = wait_for(lambda: not any(is_running(p) for p in others + [verifier, writer]), 2)
        assert gone, "verifier alive: %s, writer alive: %s\n%s" % (is_running(verifier), is_running(writer), s.log())
    finally:
        # the workers are this test's to end (they have no parent now)
        for pid in others + [verifier, writer]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        s.stop(check=False)


APPEND_LINE = re.compile(r"probe worker: forged append: ([0-9a-f]{64}) (.+)$", re.M)


def test_a_forged_sigchain_append_is_refused_and_not_stored():
    """Worker 1 of a test build sends the writer an append for a fresh
    chain with well-formed fields and a MAC the verifier never made
    (src/probes/forged_append.c): refused, logged by the writer, and the
    chain stays empty; a genuine append still goes through."""
    import sigchain_client as sc
    assert os.path.exists(HOOKS_BIN), "make test builds build/hooks"
    s = Server(make_temp_dir(), ["--serve", "registry,sigchain"], env={"KEZ_TEST_PROBE": "1"})
    s.binary = HOOKS_BIN
    s.start()
    try:
        m = wait_for(lambda: APPEND_LINE.search(s.log()), 5 * SLOW)
        assert m, s.log()
        chain, result = m.group(1), m.group(2)
        assert result == "refused (forbidden)", result
        assert [l for l in writer_lines(s) if "refused a sigchain append" in l and "attestation" in l], s.log()
        assert kc.get(s.port, sc.chain_path(chain)).status == 404
        c = sc.Chain()
        sc.append(s.port, c, c.add("github:genuine"))
        assert kc.get(s.port, c.path).json()["length"] == 1
    finally:
        s.stop()
