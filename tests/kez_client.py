"""A client for kez-chat-server written independently of the server's C code:
its own RFC 8785 (JCS) serializer, Ed25519 signing (python3-cryptography),
and small HTTP helpers, including one raw-socket client (RawConnection,
raw_http) for what http.client hides."""
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


# --- raw HTTP ----------------------------------------------------------------
#
# For what http.client hides: pipelining, malformed or split requests,
# 100-continue, keep-alive and who closes when. One parser frames responses
# the way RFC 9112 §6.3 says (no body for 1xx, 204, 304 and HEAD; else
# chunked, Content-Length, or until the server closes).

class RawResponse(Response):
    """A response read off a raw connection: status, headers (lowercase
    names, each at most once), body (de-chunked), version, reason, and raw,
    the exact bytes it took on the wire."""

    def __init__(self, version, status, reason, headers, body, raw):
        Response.__init__(self, status, headers.items(), body)
        self.version = version
        self.reason = reason
        self.raw = raw


def _parse_head(head):
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if not parts[0].startswith("HTTP/1.") or len(parts) < 2:
        raise ValueError("not an HTTP response: %r" % lines[0])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        k = k.strip().lower()
        assert k not in headers, "header %s sent twice in %r" % (k, head)
        headers[k] = v.strip()
    return parts[0], int(parts[1]), parts[2] if len(parts) > 2 else "", headers


def _dechunk(data, pos):
    """(body, end) of a chunked body starting at pos, or None while incomplete."""
    body = b""
    while True:
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            return None
        size = int(data[pos:eol].split(b";", 1)[0].strip(), 16)  # extensions ignored
        pos = eol + 2
        if size == 0:
            break
        if len(data) < pos + size + 2:
            return None
        assert data[pos + size:pos + size + 2] == b"\r\n", "chunk not followed by CRLF: %r" % data[pos:pos + 100]
        body += data[pos:pos + size]
        pos += size + 2
    while True:  # trailer fields, then the empty line
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            return None
        line, pos = data[pos:eol], eol + 2
        if not line:
            return body, pos


def parse_one(data, closed=False, head=False, strict=True):
    """(RawResponse, bytes it used) for the response at the start of data, or
    None while data holds only part of it. closed: the server has closed, so
    a body without length ends where data ends. head: the answer to a HEAD.
    strict: this server's rule (API.md §1) that a response with a body says
    its Content-Length."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    version, status, reason, headers = _parse_head(data[:end])
    pos = end + 4
    if head or 100 <= status < 200 or status in (204, 304):
        body = b""
    elif "chunked" in headers.get("transfer-encoding", "").lower():
        assert not strict, "chunked response from a server that always sends Content-Length: %r" % data[:end]
        framed = _dechunk(data, pos)
        if framed is None:
            return None
        body, pos = framed
    elif "content-length" in headers:
        n = int(headers["content-length"])
        if len(data) < pos + n:
            return None
        body, pos = data[pos:pos + n], pos + n
    else:
        assert not strict, "no Content-Length: %r" % data[:end]
        if not closed:
            return None
        body, pos = data[pos:], len(data)
    return RawResponse(version, status, reason, headers, body, data[:pos]), pos


def parse_responses(data, strict=True):
    """Every response in a complete byte stream (the server has closed)."""
    out = []
    while data:
        one = parse_one(data, closed=True, strict=strict)
        if one is None:
            raise ValueError("incomplete response: %r" % data[:300])
        out.append(one[0])
        data = data[one[1]:]
    return out


class RawConnection:
    """One TCP connection to the server, written to and read from as bytes.
    Every read has a deadline; `received` keeps every byte that arrived."""

    def __init__(self, port, host="127.0.0.1", timeout=5):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.timeout = timeout
        self.received = b""
        self.closed = False  # the server closed (or reset) its side
        self._unread = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sock.close()

    def send(self, data):
        """False when the server has already closed the connection."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def _read(self, deadline):
        """Waits until deadline for bytes; False when none came in time."""
        left = deadline - time.monotonic()
        if left <= 0 or self.closed:
            return False
        self.sock.settimeout(left)
        try:
            d = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            d = b""
        if not d:
            self.closed = True
        self.received += d
        self._unread += d
        return True

    def response(self, timeout=None, head=False, strict=True, alone=False):
        """The next complete response; raises TimeoutError or ConnectionError
        when none comes. alone: nothing may have arrived after it."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            one = parse_one(self._unread, self.closed, head, strict)
            if one is not None:
                self._unread = self._unread[one[1]:]
                assert not (alone and self._unread), "more bytes than one response: %r" % self._unread[:100]
                return one[0]
            if self.closed:
                raise ConnectionError("closed before a complete response: %r" % self._unread[:300])
            if not self._read(deadline):
                raise TimeoutError("no complete response within the timeout: %r" % self._unread[:300])

    def wait_closed(self, timeout=None):
        """Reads until the server closes; True if it did within timeout."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not self.closed and self._read(deadline):
            pass
        return self.closed

    def closed_within(self, timeout):
        """Seconds until the server closed the connection, or None."""
        t0 = time.monotonic()
        return time.monotonic() - t0 if self.wait_closed(timeout) else None

    def responses(self, strict=True):
        """Every complete response that has arrived and is not read yet. Once
        the server has closed, nothing may be left over."""
        out = []
        while True:
            one = parse_one(self._unread, self.closed, strict=strict)
            if one is None:
                break
            out.append(one[0])
            self._unread = self._unread[one[1]:]
        if self.closed and self._unread:
            raise ValueError("incomplete response: %r" % self._unread[:300])
        return out


def raw_http(port, data, timeout=5, must_close=True, host="127.0.0.1", strict=True):
    """Sends raw bytes on a fresh connection and returns the responses that
    came back until the server closed it or timeout seconds passed;
    must_close: the server has to close within the timeout."""
    with RawConnection(port, host, timeout) as c:
        c.send(data)  # the server may answer and close before reading everything
        closed = c.wait_closed()
        assert closed or not must_close, "the server kept the connection open; received %r" % c.received[:300]
        return c.responses(strict)

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
