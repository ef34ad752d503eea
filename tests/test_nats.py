"""The NATS auth callout against a real nats-server 2.10 (tools/fetch-nats-server.sh)
and a real libnats client (tests/tools/nats_probe.c)."""
import os
import re
import signal
import subprocess
import time

import pytest

import kez_client as kc
from conftest import BUILD, ROOT, SLOW, Server, make_temp_dir, wait_for

NATS_SERVER = os.path.join(ROOT, "tools", "nats", "usr", "sbin", "nats-server")
PROBE = os.path.join(BUILD, "nats-probe")
KEZCTL = os.path.join(BUILD, "kezctl")


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_keys(d):
    """The callout's seeds in d (readable by the dropped-to user) and their
    public keys as the include deploy/nats.conf reads (d/keys/). Returns the
    public values kezctl printed (KEZ_NATS_*)."""
    os.makedirs(os.path.join(d, "keys"), exist_ok=True)
    out = subprocess.run([KEZCTL, "nats-keys", "--out-dir", d, "--nats-conf", os.path.join(d, "keys", "nats-keys.conf")],
                         capture_output=True, text=True, check=True)
    for f in ("issuer.nk", "service.nk", "xkey.nk"):
        os.chmod(os.path.join(d, f), 0o644)  # the server reads them as root, then drops
    return dict(re.findall(r"^(KEZ_NATS_\w+)=(\S+)$", out.stdout, re.M))


def port_open(port):
    """Something accepts connections on 127.0.0.1:port."""
    import socket
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def write_conf(d, port, ws_port=None, loopback=False):
    """deploy/nats.conf with this test's ports (free ones where not given)
    and JetStream in d, written to d/nats.conf (next to the keys include).
    loopback: the client and WebSocket listeners on 127.0.0.1 only."""
    conf = open(os.path.join(ROOT, "deploy", "nats.conf")).read()
    conf = re.sub(r"^port: 4222", "port: %d" % port, conf, flags=re.M)
    conf = re.sub(r"^http_port: 8222", "http_port: %d" % free_port(), conf, flags=re.M)
    ws = "port: %d" % (ws_port or free_port())
    conf = conf.replace("port: 8443", "host: 127.0.0.1\n  " + ws if loopback else ws)
    conf = conf.replace('"/data/jetstream"', '"%s/js"' % d)
    if loopback:
        conf = re.sub(r"^port:", "host: 127.0.0.1\nport:", conf, count=1, flags=re.M)
    path = os.path.join(d, "nats.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


class Stack:
    """nats-server with deploy/nats.conf, and kez-chat-server as its callout."""

    def __init__(self, xkey=False, args=()):
        self.dir = make_temp_dir()
        self.values = make_keys(self.dir)
        self.port = free_port()
        self.conf = write_conf(self.dir, self.port)
        extra = []
        if xkey:
            conf = re.sub(r"# (xkey: \$KEZ_NATS_XKEY).*", r"\1", open(self.conf).read())
            assert "\n    xkey: $KEZ_NATS_XKEY\n" in conf
            extra = ["--nats-xkey-seed", os.path.join(self.dir, "xkey.nk")]
            with open(self.conf, "w") as f:
                f.write(conf)
        self.nats_log = open(os.path.join(self.dir, "nats.log"), "wb")
        self.nats = subprocess.Popen([NATS_SERVER, "-c", self.conf], env=dict(os.environ, **self.values),
                                     stdout=self.nats_log, stderr=subprocess.STDOUT)
        self.url = "nats://127.0.0.1:%d" % self.port
        assert wait_for(self._nats_up, 10), open(os.path.join(self.dir, "nats.log")).read()
        self.kez = Server(self.dir, ["--nats-url", self.url, "--nats-seed", os.path.join(self.dir, "service.nk"),
                                     "--nats-issuer-seed", os.path.join(self.dir, "issuer.nk")] + extra + list(args)).start()
        assert wait_for(lambda: "serving the NATS auth callout" in self.kez.log(), 10 * SLOW), self.kez.log()

    def _nats_up(self):
        return port_open(self.port)

    def user(self, handle=None):
        """A key (registered to `handle` unless None) and its seed file."""
        key = kc.new_key()
        if handle:
            body, _ = kc.make_envelope(handle, key=key)
            assert kc.register(self.kez.port, body).status == 201
        path = os.path.join(self.dir, "%s.seed" % (handle or "anon%d" % time.monotonic_ns()))
        with open(path, "w") as f:
            f.write(kc.user_seed_text(key) + "\n")
        return key, path

    def probe(self, seed, *args, timeout=30):
        return subprocess.run([PROBE, self.url, seed] + list(args), capture_output=True, text=True,
                              timeout=timeout * SLOW)

    def stop(self):
        self.kez.stop()
        self.nats.send_signal(signal.SIGTERM)
        self.nats.wait(10)
        self.nats_log.close()


@pytest.fixture(scope="module")
def stack():
    assert os.path.exists(NATS_SERVER), "run tools/fetch-nats-server.sh (make test does)"
    s = Stack()
    yield s
    s.stop()


def inbox(key):
    return "kez.inbox.%s" % kc.key_text(key)[8:]


def replies(key):
    """The user's own reply inboxes (its inbox prefix)."""
    return "_INBOX.%s" % kc.key_text(key)[8:]


def background(stack, seed, *args):
    """A probe left running once it has subscribed (its last sub-ok)."""
    proc = subprocess.Popen([PROBE, stack.url, seed] + list(args), stdout=subprocess.PIPE, text=True)
    lines = []
    want = sum(1 for a in args if a == "sub")
    while sum(1 for l in lines if l.startswith("sub-")) < want:
        line = proc.stdout.readline()
        assert line, "".join(lines)
        lines.append(line)
    assert all(not l.startswith("sub-error") for l in lines), lines
    return proc, lines


def permission_violation(out, what, subject):
    return re.search(r'async-error: .*[Pp]ermissions [Vv]iolation for %s to "%s"' % (what, re.escape(subject)), out)


def test_registered_user_connects_and_uses_inboxes(stack):
    alice, alice_seed = stack.user("natsalice")
    bob, bob_seed = stack.user("natsbob")
    listener = subprocess.Popen([PROBE, stack.url, alice_seed, "sub", inbox(alice) + ".msg", "recv", "5"],
                                stdout=subprocess.PIPE, text=True)
    time.sleep(1.0 * SLOW)
    r = stack.probe(bob_seed, "pub", inbox(alice) + ".msg", "hello-alice")
    assert "connected" in r.stdout and "pub-ok" in r.stdout and "async-error" not in r.stdout, r.stdout
    out, _ = listener.communicate(timeout=10 * SLOW)
    assert "sub-ok" in out and "received hello-alice" in out, out
    assert "NATS access granted to natsalice" in stack.kez.log()


def test_subscribing_to_another_inbox_is_refused(stack):
    carol, carol_seed = stack.user("natscarol")
    dave, _ = stack.user("natsdave")
    r = stack.probe(carol_seed, "sub", inbox(dave) + ".>")
    assert "connected" in r.stdout
    assert re.search(r"async-error: .*[Pp]ermissions [Vv]iolation", r.stdout), r.stdout
    ok = stack.probe(carol_seed, "sub", replies(carol) + ".x", "sub", inbox(carol) + ".>")
    assert "async-error" not in ok.stdout, ok.stdout


def test_request_reply_over_own_inbox_prefix(stack):
    """A asks B with replies to _INBOX.<A hex>; B may answer only because it was asked."""
    a, a_seed = stack.user("natsreqa")
    b, b_seed = stack.user("natsreqb")
    server, _ = background(stack, b_seed, "sub", inbox(b) + ".req", "serve", "10", "serve", "10")
    r = stack.probe(a_seed, "--inbox-prefix", replies(a), "request", inbox(b) + ".req", "ping")
    assert "reply answer:ping" in r.stdout and "async-error" not in r.stdout, r.stdout
    # the grant never names _INBOX.>: with the default prefix no reply can arrive
    r = stack.probe(a_seed, "request", inbox(b) + ".req", "ping")
    assert re.search(r'[Pp]ermissions [Vv]iolation for Subscription to "_INBOX\.', r.stdout), r.stdout
    assert "reply answer" not in r.stdout, r.stdout
    out, _ = server.communicate(timeout=30 * SLOW)
    assert "served " + replies(a) + "." in out and "async-error" not in out, out


def test_publishing_to_another_users_replies_unasked_is_refused(stack):
    a, a_seed = stack.user("natsvictim")
    _, b_seed = stack.user("natsforger")
    listener, _ = background(stack, a_seed, "sub", replies(a) + ".>", "recv", "3")
    r = stack.probe(b_seed, "pub", replies(a) + ".x", "forged")
    assert permission_violation(r.stdout, "Publish", replies(a) + ".x"), r.stdout
    out, _ = listener.communicate(timeout=10 * SLOW)
    assert "timeout" in out and "forged" not in out, out


def test_reading_another_users_replies_is_refused(stack):
    a, _ = stack.user("natsreplyowner")
    _, c_seed = stack.user("natsreader")
    r = stack.probe(c_seed, "sub", replies(a) + ".>")
    assert permission_violation(r.stdout, "Subscription", replies(a) + ".>"), r.stdout
    r = stack.probe(c_seed, "sub", "_INBOX.>")
    assert permission_violation(r.stdout, "Subscription", "_INBOX.>"), r.stdout


def test_unregistered_key_is_refused(stack):
    _, seed = stack.user(None)
    r = stack.probe(seed)
    assert r.returncode == 1 and "connect-error" in r.stdout and "uthorization" in r.stdout, r.stdout
    assert "NATS access refused: the key is not registered" in stack.kez.log()


def test_wrong_nonce_signature_is_refused(stack):
    _, seed = stack.user("natseve")
    r = stack.probe(seed, "--wrong-sig")
    assert r.returncode == 1 and "connect-error" in r.stdout, r.stdout
    assert "nonce signature does not verify" in stack.kez.log()


def test_client_without_nkey_is_refused(stack):
    r = stack.probe("-")
    assert r.returncode == 1 and "connect-error" in r.stdout, r.stdout
    assert "the client sent no nkey" in stack.kez.log()


def test_many_connects_all_answered(stack):
    _, good = stack.user("natsmany")
    _, bad = stack.user(None)
    n = 250
    before = stack.kez.log().count("the client signed no nonce")
    r = stack.probe(good, "--connects", str(n), timeout=120)
    ok, refused = map(int, re.search(r"connects ok (\d+) refused (\d+)", r.stdout).groups())
    assert ok + refused == n
    # libnats 3.4 now and then connects without signing the nonce (about 1 in
    # 100 here); such a client is refused, as it must be, and says why
    unsigned = stack.kez.log().count("the client signed no nonce") - before
    assert refused <= n * 0.04 and unsigned >= refused, r.stdout[-500:]
    r = stack.probe(bad, "--connects", str(n), timeout=120)
    assert "connects ok 0 refused %d" % n in r.stdout, r.stdout[-500:]
    # refusals are answered, not left to nats-server's 2 s timeout
    times = [float(t) for t in re.findall(r"refused ([\d.]+) ms", r.stdout)]
    assert max(times) < 1500, max(times)


def test_verifier_killed_mid_run_recovers(stack):
    _, seed = stack.user("natsfrank")
    victim = stack.kez.child("verifier")
    proc = subprocess.Popen([PROBE, stack.url, seed, "--connects", "100"], stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)
    os.kill(victim, signal.SIGKILL)
    out, _ = proc.communicate(timeout=120 * SLOW)
    assert wait_for(lambda: stack.kez.child("verifier") not in (None, victim), 2 * SLOW)
    m = re.search(r"connects ok (\d+) refused (\d+)", out)
    assert m and int(m.group(1)) >= 85, out[-300:]
    times = [float(t) for t in re.findall(r"(?:ok|refused) ([\d.]+) ms", out)]
    assert max(times) < 3000, max(times)  # answered even while the verifier was down
    after = stack.probe(seed)
    assert "connected" in after.stdout, after.stdout


def test_http_callout_is_off_without_its_flag(stack):
    # the stack runs without --nats-http-callout: that door stays shut
    r = kc.request(stack.kez.port, "POST", "/internal/nats/auth", body=b"not.a.jwt",
                   headers={"Content-Type": "application/jwt"})
    assert r.status == 501 and r.json()["error"] == "not_implemented"


def test_xkey_sealed_requests():
    s = Stack(xkey=True)
    try:
        alice, seed = s.user("xkeyalice")
        r = s.probe(seed, "sub", inbox(alice) + ".x")
        assert "connected" in r.stdout and "async-error" not in r.stdout, r.stdout + s.kez.log()
        _, stranger = s.user(None)
        r = s.probe(stranger)
        assert r.returncode == 1 and "connect-error" in r.stdout
        assert "NATS access granted to xkeyalice" in s.kez.log()
    finally:
        s.stop()
