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


def make_payload(handle, server="kez.test", key=None, created_at=None, extra=None, extra_payload=None):
    """(payload dict, private key): a valid registration payload for handle.
    Members of extra_payload (or extra) are added, or replace standard ones."""
    key = key or new_key()
    payload = {
        "type": "kez.chat.handle_registration",
        "version": 1,
        "handle": handle,
        "primary": key_text(key),
        "server": server,
        "created_at": created_at or utc_now_text(),
    }
    payload.update(extra_payload or extra or {})
    return payload, key


def sign_envelope(payload, key, alg="ed25519-sha512-jcs", sig_key=None):
    """The envelope dict around payload, signed by key over JCS(payload)."""
    sig = key.sign(jcs(payload).encode("utf-8")).hex()
    return {
        "kez": "handle_registration",
        "payload": payload,
        "signature": {"alg": alg, "key": sig_key or key_text(key), "sig": sig},
    }


def make_envelope(handle, server="kez.test", key=None, created_at=None, extra_payload=None, extra=None):
    """(body bytes, private key) of a valid registration, sent as raw UTF-8
    (not ASCII-escaped)."""
    payload, key = make_payload(handle, server, key, created_at, extra, extra_payload)
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
    """One request on a fresh connection (http.client)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        response = Response(r.status, r.getheaders(), r.read())
    finally:
        conn.close()
    # API.md §1: every response carries Content-Length (a 204 must not, and
    # a 304 need not).
    if response.status not in (204, 304):
        assert "content-length" in response.headers, "%s %s: no Content-Length in %r" % (method, path, response)
    return response


def get(port, path, **kw):
    return request(port, "GET", path, **kw)


def register(port, body, content_type="application/json", timeout=10):
    """POST /v1/register with raw body bytes and any Content-Type."""
    return request(port, "POST", "/v1/register", body=body, headers={"Content-Type": content_type},
                   timeout=timeout)


def error_of(r):
    """The error code of an error response, after checking that the body is
    exactly {"error": code, "message": non-empty sentence} as JSON."""
    assert r.headers.get("content-type") == "application/json", r
    body = r.json()
    assert isinstance(body, dict) and set(body) == {"error", "message"}, body
    assert isinstance(body["message"], str) and body["message"].strip(), body
    return body["error"]


def exchange(port, data, timeout=5):
    """Sends raw bytes on a fresh connection and reads until the server
    closes it or timeout seconds pass. Returns (bytes received, closed)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading everything
        chunks = []
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                return b"".join(chunks), False
            s.settimeout(left)
            try:
                d = s.recv(65536)
            except socket.timeout:
                return b"".join(chunks), False
            except ConnectionResetError:
                return b"".join(chunks), True
            if not d:
                return b"".join(chunks), True
            chunks.append(d)
    finally:
        s.close()


def raw_exchange(port, data, timeout=5):
    """Sends raw bytes; returns everything received until the server closes
    (or the timeout passes)."""
    return exchange(port, data, timeout)[0]


def exchange_until_close(port, data, timeout=5):
    """Like raw_exchange, but the server must itself close the connection
    within timeout seconds."""
    got, closed = exchange(port, data, timeout)
    assert closed, "the server kept the connection open; received %r" % got[:300]
    return got


def read_response(sock, timeout=5):
    """Reads exactly one response (head and Content-Length body) from a
    connection that stays open. Returns (status, headers dict, body)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        d = sock.recv(65536)
        if not d:
            raise ConnectionError("closed before a full response head: %r" % data[:300])
        data += d
    head, _, rest = data.partition(b"\r\n\r\n")
    status, headers = _parse_head(head)
    n = 0 if status < 200 or status in (204, 304) else int(headers["content-length"])
    while len(rest) < n:
        d = sock.recv(65536)
        if not d:
            raise ConnectionError("closed inside a response body")
        rest += d
    assert len(rest) == n, "more bytes than one response: %r" % rest[n:n + 100]
    return status, headers, rest


def _parse_head(head):
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if not parts[0].startswith("HTTP/1."):
        raise ValueError("not an HTTP response: %r" % lines[0])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        k = k.strip().lower()
        assert k not in headers, "header %s sent twice in %r" % (k, head)
        headers[k] = v.strip()
    return int(parts[1]), headers


def parse_responses(data):
    """Splits a byte stream into (status, headers dict, body) triples, using
    Content-Length, which every response of this server must carry (1xx,
    204 and 304 have no body)."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("incomplete head: %r" % data[:200])
        status, headers = _parse_head(head)
        if status < 200 or status in (204, 304):
            n = 0
        else:
            assert "content-length" in headers, "no Content-Length: %r" % head
            n = int(headers["content-length"])
        assert len(rest) >= n, "body shorter than Content-Length: %r" % data[:300]
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
