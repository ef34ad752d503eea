"""A client for kez-chat-server written independently of the server's C code:
its own RFC 8785 (JCS) serializer, Ed25519 signing (python3-cryptography),
and small HTTP helpers, including raw sockets for what http.client hides."""
import datetime
import http.client
import json
import math
import re
import socket
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

# --- JCS -------------------------------------------------------------------

def _jcs_number(x):
    if isinstance(x, bool):
        raise TypeError("bool is not a number")
    d = float(x)
    if math.isnan(d) or math.isinf(d):
        raise ValueError("not finite")
    if d == 0:
        return "0"
    sign = "-" if d < 0 else ""
    r = repr(abs(d))  # shortest round-trip digits
    m = re.match(r"(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$", r)
    ip, fp, ex = m.group(1), m.group(2) or "", int(m.group(3) or 0)
    all_digits = ip + fp
    stripped = all_digits.lstrip("0")
    n = len(ip) + ex - (len(all_digits) - len(stripped))
    digits = stripped.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        s = digits + "0" * (n - k)
    elif 0 < n <= 21:
        s = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        s = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        s = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return sign + s


def _jcs_string(s):
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif o < 0x20:
            out.append("\\u%04x" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def jcs(v):
    """RFC 8785 canonical form of a JSON value, as text."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return _jcs_number(v)
    if isinstance(v, str):
        return _jcs_string(v)
    if isinstance(v, list):
        return "[" + ",".join(jcs(x) for x in v) + "]"
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(_jcs_string(k) + ":" + jcs(v[k]) for k in keys) + "}"
    raise TypeError(type(v))

# --- keys and envelopes ----------------------------------------------------

def new_key():
    return Ed25519PrivateKey.generate()


def key_text(key):
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + raw.hex()


def utc_now_text(offset_seconds=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_payload(handle, server="kez.test", key=None, created_at=None, extra=None):
    key = key or new_key()
    payload = {
        "type": "kez.chat.handle_registration",
        "version": 1,
        "handle": handle,
        "primary": key_text(key),
        "server": server,
        "created_at": created_at or utc_now_text(),
    }
    if extra:
        payload.update(extra)
    return payload, key


def sign_envelope(payload, key, alg="ed25519-sha512-jcs", sig_key=None):
    sig = key.sign(jcs(payload).encode("utf-8")).hex()
    return {
        "kez": "handle_registration",
        "payload": payload,
        "signature": {"alg": alg, "key": sig_key or key_text(key), "sig": sig},
    }


def make_envelope(handle, server="kez.test", key=None, created_at=None, extra=None):
    """(body bytes, private key) of a valid registration."""
    payload, key = make_payload(handle, server, key, created_at, extra)
    return json.dumps(sign_envelope(payload, key), ensure_ascii=False).encode("utf-8"), key

# --- HTTP ------------------------------------------------------------------

class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<%d %r %r>" % (self.status, self.headers, self.body[:200])


def request(port, method, path, body=None, headers=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return Response(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def get(port, path, **kw):
    return request(port, "GET", path, **kw)


def register(port, body, content_type="application/json", timeout=10):
    return request(port, "POST", "/v1/register", body=body, headers={"Content-Type": content_type},
                   timeout=timeout)


def raw_exchange(port, data, timeout=5, read_until_close=True):
    """Sends raw bytes; returns everything received until the server closes
    (or the timeout passes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        chunks = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                d = s.recv(65536)
            except socket.timeout:
                break
            if not d:
                break
            chunks.append(d)
            if not read_until_close:
                break
        return b"".join(chunks)
    finally:
        s.close()


def parse_responses(data):
    """Splits a byte stream into (status, headers dict, body) triples, using
    Content-Length (every response of this server has one)."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("incomplete head: %r" % data[:200])
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        n = int(headers.get("content-length", "0"))
        if status in (204, 304) or status < 200:
            n = 0
        out.append((status, headers, rest[:n]))
        data = rest[n:]
    return out

# --- nkeys (for NATS tests) ------------------------------------------------

def _crc16(data):
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def _nkey(raw):
    import base64
    crc = _crc16(raw)
    return base64.b32encode(raw + bytes([crc & 0xFF, crc >> 8])).decode().rstrip("=")


def user_seed_text(key):
    """The private key as a NATS user seed (SU...)."""
    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())
    prefix = 20 << 3
    return _nkey(bytes([0x90 | prefix >> 5, (prefix & 31) << 3]) + seed)


def user_public_text(key):
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _nkey(bytes([20 << 3]) + raw)


def error_of(r):
    """The error code of an error response, after checking that the body is
    exactly {"error": code, "message": non-empty sentence} as JSON."""
    assert r.headers.get("content-type") == "application/json", r
    body = r.json()
    assert isinstance(body, dict) and set(body) == {"error", "message"}, body
    assert isinstance(body["message"], str) and body["message"].strip(), body
    return body["error"]
