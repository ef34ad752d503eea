"""Sigchain events and chain verification written independently of the
server's C code (SIGCHAIN.md): events are built and signed with the test
client's own JCS (kez_client.jcs) and Ed25519 (python3-cryptography), hashed
with hashlib's SHA-256, and whole chains are checked here the way a careful
client checks them."""
import datetime
import hashlib
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

import kez_client as kc


def chain_path(key_or_hex):
    hexkey = key_or_hex if isinstance(key_or_hex, str) else kc.key_text(key_or_hex)[len("ed25519:"):]
    return "/v1/sigchains/ed25519/" + hexkey


def event_hash(event):
    """sha256:<hex> of JCS(the whole event object)."""
    return "sha256:" + hashlib.sha256(kc.jcs(event).encode("utf-8")).hexdigest()


def timestamp(offset_seconds=0, base=None):
    t = (base or datetime.datetime.now(datetime.timezone.utc)) + datetime.timedelta(seconds=offset_seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_payload(chain_key, seq, prev, op, body, created_at=None):
    return {
        "type": "kez.sigchain.event",
        "version": 1,
        "chain": kc.key_text(chain_key) if not isinstance(chain_key, str) else chain_key,
        "seq": seq,
        "prev": prev,
        "op": op,
        "created_at": timestamp() if created_at is None else created_at,
        "body": body,
    }


def sign(payload, signer, alg="ed25519-sha512-jcs", key_text=None):
    sig = signer.sign(kc.jcs(payload).encode("utf-8")).hex()
    return {"kez": "sigchain_event", "payload": payload,
            "signature": {"alg": alg, "key": key_text or kc.key_text(signer), "sig": sig}}


class Chain:
    """A chain kept by its owner, as the chat client keeps it: the events it
    made, the current signing key, and the next seq and prev."""

    def __init__(self, first_key=None):
        self.first = first_key or kc.new_key()
        self.signer = self.first
        self.events = []

    @property
    def hex(self):
        return kc.key_text(self.first)[len("ed25519:"):]

    @property
    def path(self):
        return chain_path(self.hex)

    def head(self):
        return event_hash(self.events[-1]) if self.events else None

    def next_event(self, op, body, created_at=None, signer=None):
        """The next event, signed, without recording it (see accept)."""
        payload = make_payload(self.first, len(self.events) + 1, self.head(), op, body, created_at)
        return sign(payload, signer or self.signer)

    def accept(self, event, new_signer=None):
        """Records an event the server stored."""
        self.events.append(event)
        if new_signer is not None:
            self.signer = new_signer

    def add(self, subject, created_at=None, **extra):
        """An add; extra members go into its body."""
        return self.next_event("add", dict({"subject": subject}, **extra), created_at=created_at)

    def revoke(self, seq):
        return self.next_event("revoke", {"seq": seq})

    def rotate(self, new_key):
        return self.next_event("rotate", {"new_key": kc.key_text(new_key)})


def post(port, hexkey, event, raw=None, content_type="application/json", headers=None):
    body = raw if raw is not None else json.dumps(event, ensure_ascii=False).encode("utf-8")
    h = {"Content-Type": content_type}
    h.update(headers or {})
    return kc.request(port, "POST", chain_path(hexkey), body=body, headers=h)


def append(port, chain, event, new_signer=None):
    """POSTs an event that must be stored (201); records it in chain."""
    r = post(port, chain.hex, event)
    assert r.status == 201, r
    chain.accept(event, new_signer)
    return r


def _public(key_text):
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(key_text[len("ed25519:"):]))


def verify_chain(hexkey, events):
    """Checks a whole chain as a client must (signatures, seq, prev, signing
    keys through rotations, revokes, timestamps). Returns (active subjects
    by seq, signing key for the next event, head). Raises AssertionError
    naming the first break."""
    signing = "ed25519:" + hexkey
    prev = None
    last_time = None
    adds = {}
    revoked = set()
    for i, ev in enumerate(events, 1):
        assert set(ev) == {"kez", "payload", "signature"}, "event %d: members %r" % (i, sorted(ev))
        p, s = ev["payload"], ev["signature"]
        assert ev["kez"] == "sigchain_event" and p["type"] == "kez.sigchain.event" and p["version"] == 1
        assert p["chain"] == "ed25519:" + hexkey, "event %d: chain %r" % (i, p["chain"])
        assert p["seq"] == i, "event %d: seq %r" % (i, p["seq"])
        assert p["prev"] == prev, "event %d: prev %r, want %r" % (i, p["prev"], prev)
        assert s["alg"] == "ed25519-sha512-jcs" and s["key"] == signing, "event %d: key %r, want %r" % (
            i, s["key"], signing)
        try:
            _public(s["key"]).verify(bytes.fromhex(s["sig"]), kc.jcs(p).encode("utf-8"))
        except InvalidSignature:
            raise AssertionError("event %d: signature does not verify" % i)
        t = datetime.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        assert last_time is None or t >= last_time, "event %d: time goes back" % i
        last_time = t
        op, body = p["op"], p["body"]
        if op == "add":
            adds[i] = body["subject"]
        elif op == "revoke":
            assert body["seq"] in adds and body["seq"] not in revoked, "event %d: bad revoke" % i
            revoked.add(body["seq"])
        elif op == "rotate":
            assert body["new_key"] != signing, "event %d: rotate to the same key" % i
            signing = body["new_key"]
        else:
            raise AssertionError("event %d: op %r" % (i, op))
        prev = event_hash(ev)
    active = {seq: subj for seq, subj in adds.items() if seq not in revoked}
    return active, signing, prev


def fetch_all(port, hexkey, limit=None):
    """Every event of a chain, following after= pages. Returns (events, last
    page's document)."""
    events = []
    doc = None
    while True:
        q = "?after=%d" % len(events)
        if limit:
            q += "&limit=%d" % limit
        r = kc.get(port, chain_path(hexkey) + q)
        assert r.status == 200, r
        doc = r.json()
        if not doc["events"]:
            break
        events.extend(doc["events"])
        if len(events) >= doc["length"]:
            break
    return events, doc
