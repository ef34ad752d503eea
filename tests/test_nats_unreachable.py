"""A NATS broker that is down when the server starts: the nats process keeps
trying in the background, a SIGTERM still stops the whole server at once, and
once the broker is up the callout serves without a restart."""
import os
import signal
import subprocess
import time

import kez_client as kc
from conftest import SLOW, Server, make_temp_dir, wait_for
from test_nats import NATS_SERVER, PROBE, free_port, make_keys, write_conf


def server_args(d, port):
    return ["--nats-url", "nats://127.0.0.1:%d" % port, "--nats-seed", os.path.join(d, "service.nk"),
            "--nats-issuer-seed", os.path.join(d, "issuer.nk")]


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
        key = kc.new_key()
        body, _ = kc.make_envelope("latecomer", key=key)
        assert kc.register(s.port, body).status == 201
        seed = os.path.join(d, "user.seed")
        with open(seed, "w") as f:
            f.write(kc.user_seed_text(key) + "\n")
        r = subprocess.run([PROBE, "nats://127.0.0.1:%d" % port, seed, "sub", "kez.inbox.%s.x" % kc.key_text(key)[8:]],
                           capture_output=True, text=True, timeout=30 * SLOW)
        assert "connected" in r.stdout and "async-error" not in r.stdout, r.stdout + s.log()
    finally:
        s.stop()
        if nats:
            nats.send_signal(signal.SIGTERM)
            nats.wait(10)
