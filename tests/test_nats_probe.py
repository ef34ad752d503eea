"""The verifier decides NATS grants from what it knows itself: a confined
worker (the hooks build, build/hooks) hands it a request shaped exactly as
nats-server makes it, signed by a fresh server key, with the nonce signed by
a key that no handle has — and gets a refusal, not a grant."""
import os
import re
import subprocess

from conftest import BUILD, ROOT, Server, make_temp_dir, wait_for

HOOKS_BIN = os.path.join(ROOT, "build", "hooks", "kez-chat-server")
KEZCTL = os.path.join(BUILD, "kezctl")
LINE = re.compile(r"probe worker: grant for unregistered key: (.+)")


def test_worker_gets_no_grant_for_an_unregistered_key():
    assert os.path.exists(HOOKS_BIN), "make test builds build/hooks"
    d = make_temp_dir()
    subprocess.run([KEZCTL, "nats-keys", "--out-dir", d], capture_output=True, check=True)
    os.chmod(os.path.join(d, "issuer.nk"), 0o644)
    s = Server(d, ["--nats-issuer-seed", os.path.join(d, "issuer.nk")], env={"KEZ_TEST_PROBE": "1"})
    s.binary = HOOKS_BIN
    s.start()
    try:
        assert wait_for(lambda: len(LINE.findall(s.log())) >= 2, 10), s.log()
        # every check passed but the registry's: the answer is a signed refusal saying so
        assert set(LINE.findall(s.log())) == {"refused (the key is not registered)"}, s.log()
    finally:
        s.stop()
