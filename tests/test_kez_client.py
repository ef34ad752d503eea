"""The test client's own RFC 8785 and Ed25519 code, checked against the
RFCs' published examples, so that a 401 from the server points at the
server and not at the client. No server needed."""
import json
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import kez_client as kc

# RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical text.
NUMBER_SAMPLES = [
    (0x0000000000000000, "0"), (0x8000000000000000, "0"),
    (0x0000000000000001, "5e-324"), (0x8000000000000001, "-5e-324"),
    (0x7fefffffffffffff, "1.7976931348623157e+308"), (0xffefffffffffffff, "-1.7976931348623157e+308"),
    (0x4340000000000000, "9007199254740992"), (0xc340000000000000, "-9007199254740992"),
    (0x4430000000000000, "295147905179352830000"),
    (0x44b52d02c7e14af5, "9.999999999999997e+22"), (0x44b52d02c7e14af6, "1e+23"),
    (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
    (0x444b1ae4d6e2ef4e, "999999999999999700000"), (0x444b1ae4d6e2ef4f, "999999999999999900000"),
    (0x444b1ae4d6e2ef50, "1e+21"),
    (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"), (0x3eb0c6f7a0b5ed8d, "0.000001"),
    (0x41b3de4355555553, "333333333.3333332"), (0x41b3de4355555554, "333333333.33333325"),
    (0x41b3de4355555555, "333333333.3333333"), (0x41b3de4355555556, "333333333.3333334"),
    (0x41b3de4355555557, "333333333.33333343"),
    (0xbecbf647612f3696, "-0.0000033333333333333333"), (0x43143ff3c1cb0959, "1424953923781206.2"),
]


@pytest.mark.parametrize("bits,text", NUMBER_SAMPLES)
def test_jcs_numbers_match_rfc8785_samples(bits, text):
    value = struct.unpack(">d", struct.pack(">Q", bits))[0]
    assert kc.jcs(value) == text


def test_jcs_integers_take_double_semantics():
    assert kc.jcs(10 ** 21) == "1e+21"
    assert kc.jcs(123456789012345678901234567890) == "1.2345678901234568e+29"
    assert kc.jcs(-0) == "0" and kc.jcs(1) == "1"


def test_jcs_rejects_non_finite():
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError):
            kc.jcs(bad)


def test_jcs_rfc8785_section_3_2_2_example():
    text = ('{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], '
            '"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", '
            '"literals": [null, true, false]}')
    expected = ('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
                '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}')
    assert kc.jcs(json.loads(text)) == expected


def test_jcs_sorts_members_by_utf16_code_units():
    # RFC 8785 §3.2.3: U+1F600 (surrogates D83D DE00) sorts before U+FB33
    value = {"\u20ac": 1, "\r": 2, "\ufb33": 3, "1": 4, "\U0001F600": 5, "\u0080": 6, "\u00f6": 7}
    keys = list(json.loads(kc.jcs(value)))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001F600", "\ufb33"]


def test_jcs_string_escapes():
    assert kc.jcs("\b\f\n\r\t\u0001\u001f\"\\/\u007f\u2028") == '"\\b\\f\\n\\r\\t\\u0001\\u001f\\"\\\\/\u007f\u2028"'


def test_ed25519_rfc8032_test_1():
    seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    key = Ed25519PrivateKey.from_private_bytes(seed)
    assert kc.key_text(key) == "ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    assert key.sign(b"").hex() == ("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                                   "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")


def test_make_envelope_shape_and_signature():
    body, key = kc.make_envelope("alice", extra_payload={"note": "\u00e9"})
    env = json.loads(body)
    assert set(env) == {"kez", "payload", "signature"} and env["kez"] == "handle_registration"
    p = env["payload"]
    assert p["type"] == "kez.chat.handle_registration" and p["version"] == 1 and p["handle"] == "alice"
    assert p["server"] == "kez.test" and p["note"] == "\u00e9" and p["primary"] == kc.key_text(key)
    assert env["signature"]["alg"] == "ed25519-sha512-jcs" and env["signature"]["key"] == p["primary"]
    key.public_key().verify(bytes.fromhex(env["signature"]["sig"]), kc.jcs(p).encode("utf-8"))
    assert "\u00e9".encode() in body  # raw UTF-8 on the wire


# The raw-HTTP parser frames responses on its own; checked here without a
# server, so that a pipelining or keep-alive test cannot pass on a misread.

def test_raw_parser_content_length_and_pipelining():
    data = (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\n\r\nhi"
            b"HTTP/1.1 100 Continue\r\n\r\n"
            b"HTTP/1.1 204 No Content\r\n\r\n"
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
    rs = kc.parse_responses(data)
    assert [(r.status, r.body) for r in rs] == [(200, b"hi"), (100, b""), (204, b""), (404, b"")]
    assert rs[0].headers == {"content-length": "2", "x-a": "1"} and rs[0].reason == "OK"
    assert b"".join(r.raw for r in rs) == data
    # a part of a response is no response yet
    for cut in (10, data.index(b"hi") + 1):
        assert kc.parse_one(data[:cut]) is None
    with pytest.raises(ValueError):
        kc.parse_responses(data[:-3])


def test_raw_parser_chunked_close_and_head():
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\nNEXT")
    r, used = kc.parse_one(chunked, strict=False)
    assert r.body == b"abc0123456789" and chunked[used:] == b"NEXT"
    assert kc.parse_one(chunked[:-10], strict=False) is None  # trailer not finished
    until_close = b"HTTP/1.0 200 OK\r\n\r\nall of it"
    assert kc.parse_one(until_close, strict=False) is None  # open: more may come
    r, _ = kc.parse_one(until_close, closed=True, strict=False)
    assert r.body == b"all of it" and r.version == "HTTP/1.0"
    r, used = kc.parse_one(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", head=True)
    assert r.body == b"" and r.headers["content-length"] == "5"
    # this server always sends Content-Length
    for text in (chunked, until_close):
        with pytest.raises(AssertionError):
            kc.parse_one(text, closed=True)
    with pytest.raises(AssertionError):
        kc.parse_one(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\ncontent-length: 0\r\n\r\n")
    with pytest.raises(ValueError):
        kc.parse_one(b"SSH-2.0-x\r\n\r\n")
