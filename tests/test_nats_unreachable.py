"""A NATS broker that is down when the server starts: the nats process keeps
trying in the background, a SIGTERM still stops the whole server at once, and
once the broker is up the callout serves without a restart. A broker that
refuses the callout's login (libnats then gives the connection up): the
nats process makes new ones, further and further apart, and serves once the
broker lists its key."""
import os
import re
import signal
import subprocess
import time

import kez_client as kc
from conftest import SLOW, Server, make_temp_dir, wait_for
from test_nats import NATS_SERVER, PROBE, free_port, make_keys, port_open, write_conf


def server_args(d, port):
    return ["--nats-url", "nats://127.0.0.1:%d" % port, "--nats-seed", os.path.join(d, "service.nk"),
            "--nats-issuer-seed", os.path.join(d, "issuer.nk")]


def admit_a_registered_user(d, s, port, handle):
    key = kc.new_key()
    body, _ = kc.make_envelope(handle, key=key)
    assert kc.register(s.port, body).status == 201
    seed = os.path.join(d, "%s.seed" % handle)
    with open(seed, "w") as f:
        f.write(kc.user_seed_text(key) + "\n")
    r = subprocess.run([PROBE, "nats://127.0.0.1:%d" % port, seed, "sub", "kez.inbox.%s.x" % kc.key_text(key)[8:]],
                       capture_output=True, text=True, timeout=30 * SLOW)
    assert "connected" in r.stdout and "async-error" not in r.stdout, r.stdout + s.log()


def test_sigterm_stops_at_once_while_the_broker_is_down():
    d = make_temp_dir()
    make_keys(d)
    s = Server(d, server_args(d, free_port())).start()
    assert wait_for(lambda: "not reachable yet" in s.log(), 5 * SLOW), s.log()
    t0 = time.monotonic()
    assert s.stop() == 0
    assert time.monotonic() - t0 < 3 * SLOW, s.log()


def test_callout_serves_once_the_broker_comes_up():
    d = make_temp_dir()
    make_keys(d)
    port = free_port()
    s = Server(d, server_args(d, port)).start()
    nats = None
    try:
        assert wait_for(lambda: "not reachable yet" in s.log(), 5 * SLOW), s.log()
        conf = write_conf(d, port)
        nats = subprocess.Popen([NATS_SERVER, "-c", conf], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        assert wait_for(lambda: "serving the NATS auth callout" in s.log(), 15 * SLOW), s.log()
        admit_a_registered_user(d, s, port, "latecomer")
    finally:
        s.stop()
        if nats:
            nats.send_signal(signal.SIGTERM)
            nats.wait(10)


def test_callout_serves_once_the_broker_lists_its_key():
    d = make_temp_dir()
    make_keys(d)
    keys_conf = os.path.join(d, "keys", "nats-keys.conf")
    right = open(keys_conf).read()
    # Another service key in the broker's list: the callout's login is refused.
    other = make_temp_dir()
    make_keys(other)
    theirs = re.search(r'KEZ_NATS_SERVICE: "(\w+)"', open(os.path.join(other, "keys", "nats-keys.conf")).read())
    with open(keys_conf, "w") as f:
        f.write(re.sub(r'KEZ_NATS_SERVICE: "\w+"', 'KEZ_NATS_SERVICE: "%s"' % theirs.group(1), right))
    port = free_port()
    nats = subprocess.Popen([NATS_SERVER, "-c", write_conf(d, port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    s = None
    try:
        assert wait_for(lambda: port_open(port), 10), "nats-server did not start"
        s = Server(d, server_args(d, port)).start()
        assert wait_for(lambda: "closed the connection" in s.log(), 10 * SLOW), s.log()
        assert "serving the NATS auth callout" not in s.log()
        # Each new try waits longer: a refusing broker is not hammered.
        assert wait_for(lambda: "connecting again in 2000 ms" in s.log(), 10 * SLOW), s.log()
        # The broker is fixed and started again (on the same port).
        with open(keys_conf, "w") as f:
            f.write(right)
        nats.send_signal(signal.SIGTERM)
        nats.wait(10)
        nats = subprocess.Popen([NATS_SERVER, "-c", write_conf(d, port)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        assert wait_for(lambda: "serving the NATS auth callout" in s.log(), 20 * SLOW), s.log()
        admit_a_registered_user(d, s, port, "refusedfirst")
        # the nats process was never restarted: it made the connection itself
        assert "exited with status" not in s.log() and "starting a new one" not in s.log(), s.log()
    finally:
        if s:
            s.stop()
        nats.send_signal(signal.SIGTERM)
        nats.wait(10)
