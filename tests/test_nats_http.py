"""POST /internal/nats/auth with --nats-http-callout: the caller chooses the
nonce and the server key here, so every request is one this test forges, and
only one shaped exactly as nats-server 2.10 shapes it, for a registered key
that signed a server-form nonce, gets a grant (NATS.md, last section)."""
import base64
import concurrent.futures
import json
import os
import re
import signal
import subprocess
import time

import pytest

import kez_client as kc
from conftest import BUILD, SERVER_BIN, SLOW, Server, make_temp_dir, user_args, wait_for

KEZCTL = os.path.join(BUILD, "kezctl")
SERVER_PREFIX, USER_PREFIX = 13 << 3, 20 << 3


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def raw_public(key):
    from cryptography.hazmat.primitives import serialization
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def nkey(prefix, key):
    return kc._nkey(bytes([prefix]) + raw_public(key))


def sign_jwt(claims, key):
    head = b64u(json.dumps({"typ": "JWT", "alg": "ed25519-nkey"}).encode())
    body = b64u(json.dumps(claims).encode())
    return "%s.%s.%s" % (head, body, b64u(key.sign(("%s.%s" % (head, body)).encode())))


def claims_of(token):
    return json.loads(unb64u(token.split(".")[1]))


def new_nonce():
    return b64u(os.urandom(11))  # what nats-server makes: 15 characters


class Forger:
    """Requests as nats-server makes them, each part open to change."""

    def __init__(self, issuer):
        self.issuer = issuer
        self.server = kc.new_key()

    def request(self, client, nonce=None, signed_text=None, signer=None, change=None):
        nonce = new_nonce() if nonce is None else nonce
        sig = b64u(client.sign((nonce if signed_text is None else signed_text).encode()))
        server_id = nkey(SERVER_PREFIX, self.server)
        now = int(time.time())
        claims = {
            "aud": "nats-authorization-request", "iss": server_id, "sub": self.issuer, "iat": now,
            "exp": now + 2, "jti": "x",
            "nats": {
                "server_id": {"name": "forge", "host": "127.0.0.1", "id": server_id, "version": "2.10.27"},
                "user_nkey": nkey(USER_PREFIX, kc.new_key()),
                "client_info": {"host": "127.0.0.1", "id": 3, "user": nkey(USER_PREFIX, client), "kind": "Client",
                                "type": "nats", "nonce": nonce},
                "connect_opts": {"nkey": nkey(USER_PREFIX, client), "sig": sig, "lang": "C", "version": "3.4.1",
                                 "protocol": 1},
                "type": "authorization_request", "version": 2,
            },
        }
        if change:
            change(claims)
        return sign_jwt(claims, signer or self.server).encode()


def nats_keys(directory):
    out = subprocess.run([KEZCTL, "nats-keys", "--out-dir", directory], capture_output=True, text=True, check=True)
    for f in ("issuer.nk", "service.nk", "xkey.nk"):
        os.chmod(os.path.join(directory, f), 0o644)
    return dict(re.findall(r"^(KEZ_NATS_\w+)=(\S+)$", out.stdout, re.M))


@pytest.fixture(scope="module")
def door():
    d = make_temp_dir()
    values = nats_keys(d)
    s = Server(d, ["--nats-issuer-seed", os.path.join(d, "issuer.nk"), "--nats-http-callout",
                   "--max-body-size", "65536"]).start()
    s.issuer = values["KEZ_NATS_ISSUER"]
    s.forger = Forger(s.issuer)
    s.alice = kc.new_key()
    body, _ = kc.make_envelope("httpalice", key=s.alice)
    assert kc.register(s.port, body).status == 201
    yield s
    s.stop()


def ask(server, body):
    return kc.request(server.port, "POST", "/internal/nats/auth", body=body,
                      headers={"Content-Type": "application/jwt"})


def answer_of(r):
    assert r.status == 200 and r.headers.get("content-type") == "application/jwt", (r.status, r.body)
    return claims_of(r.body.decode())


def test_genuine_request_for_a_registered_key_is_granted_least_privilege(door):
    r = ask(door, door.forger.request(door.alice))
    answer = answer_of(r)
    assert answer["iss"] == door.issuer and answer["nats"]["type"] == "authorization_response"
    user = claims_of(answer["nats"]["jwt"])
    hexkey = raw_public(door.alice).hex()
    assert user["name"] == "httpalice" and user["aud"] == "KEZ"
    assert user["nats"]["sub"] == {"allow": ["kez.inbox.%s.>" % hexkey, "_INBOX.%s.>" % hexkey]}
    assert user["nats"]["pub"] == {"allow": ["kez.inbox.*.>"]}
    assert user["nats"]["resp"]["max"] == 1 and user["nats"]["resp"]["ttl"] > 0
    assert "_INBOX.>" not in json.dumps(user)
    assert "NATS access granted to httpalice (HTTP)" in door.log()


def test_unregistered_key_is_refused_with_a_reason(door):
    answer = answer_of(ask(door, door.forger.request(kc.new_key())))
    assert "jwt" not in answer["nats"] and answer["nats"]["error"] == "the key is not registered"


def drop(name):
    return lambda c: c.pop(name)


def setter(name, value):
    return lambda c: c.__setitem__(name, value(c) if callable(value) else value)


# each forgery, and the words the refusal must carry (so that it fails for that reason)
FORGED = {
    "wrong signing key": (dict(signer=kc.new_key()), "signature"),
    "no exp": (dict(change=drop("exp")), "no exp"),
    "expired": (dict(change=setter("exp", lambda c: c["iat"] - 60)), "expired"),
    "iat in the future": (dict(change=setter("iat", lambda c: c["iat"] + 60)), "future"),
    "wrong sub": (dict(change=setter("sub", lambda c: kc._nkey(bytes([0]) + os.urandom(32)))), "sub is not"),
    "wrong aud": (dict(change=setter("aud", "nats-authorization-response")), "aud"),
    "nats.version 1": (dict(change=lambda c: c["nats"].__setitem__("version", 1)), "version"),
    "server id is not the issuer": (dict(
        change=lambda c: c["nats"]["server_id"].__setitem__("id", nkey(SERVER_PREFIX, kc.new_key()))), "issuer"),
    "nonce of 14 characters": (dict(nonce=new_nonce()[:14]), "nonce"),
    "nonce of 16 characters": (dict(nonce=new_nonce() + "A"), "nonce"),
    "a JSON text as nonce": (dict(nonce=json.dumps({"handle": "httpalice", "server": "kez.test"})), "nonce"),
}


@pytest.mark.parametrize("case", sorted(FORGED))
def test_forged_requests_get_no_grant(door, case):
    # the client's signature is over the nonce the request names: a correct one
    forgery, reason = FORGED[case]
    r = ask(door, door.forger.request(door.alice, **forgery))
    assert r.status == 400 and kc.error_of(r) == "bad_request", (case, r.status, r.body)
    assert reason in r.json()["message"], (case, r.json()["message"])


def test_a_signature_over_something_else_is_no_nonce_signature(door):
    r = ask(door, door.forger.request(door.alice, signed_text="some registration payload"))
    answer = answer_of(r)
    assert "jwt" not in answer["nats"] and "does not verify" in answer["nats"]["error"]


def test_a_body_larger_than_one_message_is_refused_and_the_worker_lives(door):
    before = sorted(door.children().values())
    r = ask(door, b"e" * 65536)
    assert r.status == 413 and kc.error_of(r) == "payload_too_large"
    assert ask(door, b"e" * 65000).status == 400
    assert sorted(door.children().values()) == before
    answer_of(ask(door, door.forger.request(door.alice)))


def test_requests_survive_a_verifier_restart(door):
    victim = door.child("verifier")
    bodies = [door.forger.request(door.alice) for _ in range(150)]

    def one(body):
        t0 = time.monotonic()
        r = ask(door, body)
        return r.status, time.monotonic() - t0

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(one, b) for b in bodies[:40]]
        os.kill(victim, signal.SIGKILL)
        futures += [pool.submit(one, b) for b in bodies[40:]]
        results = [f.result() for f in futures]
    assert wait_for(lambda: door.child("verifier") not in (None, victim), 5 * SLOW)
    # a request is answered or, when the verifier was gone too long, refused as 503 — never lost
    statuses = [s for s, _ in results]
    assert set(statuses) <= {200, 503} and statuses.count(200) >= 100, statuses
    assert max(t for _, t in results) < 4.5 * SLOW, max(t for _, t in results)


def test_door_is_shut_without_the_flag(start_server):
    d = make_temp_dir()
    nats_keys(d)
    s = start_server(["--nats-issuer-seed", os.path.join(d, "issuer.nk")])
    r = ask(s, b"anything")
    assert r.status == 501 and kc.error_of(r) == "not_implemented"


def test_flag_needs_the_issuer_seed_and_takes_the_environment():
    r = subprocess.run([SERVER_BIN, "--nats-http-callout"] + user_args(), capture_output=True, text=True,
                       timeout=10 * SLOW, stdin=subprocess.DEVNULL)
    assert r.returncode == 2 and "--nats-http-callout" in r.stderr and "issuer" in r.stderr, r.stderr
    env = dict(os.environ, KEZ_CHAT_NATS_HTTP_CALLOUT="maybe")
    r = subprocess.run([SERVER_BIN] + user_args(), capture_output=True, text=True, timeout=10 * SLOW, env=env,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 2 and "--nats-http-callout" in r.stderr, r.stderr


def test_flag_from_the_environment_opens_the_door(start_server):
    d = make_temp_dir()
    nats_keys(d)
    s = start_server(["--nats-issuer-seed", os.path.join(d, "issuer.nk")],
                     env={"KEZ_CHAT_NATS_HTTP_CALLOUT": "true"})
    r = ask(s, b"not.a.jwt")
    assert r.status == 400 and kc.error_of(r) == "bad_request"
