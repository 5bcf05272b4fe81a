"""Canonical JSON (RFC 8785 style) and the SHA-256 helpers."""

from __future__ import annotations

import json
import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zkattest.canonical import canonical_json, parse_json, sha256_digest, sha256_hex
from zkattest.errors import InvalidInputError, MalformedError

# RFC 8785 Appendix B: IEEE-754 bit patterns and their ECMAScript serializations.
RFC8785_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "expected"), RFC8785_NUMBERS)
def test_rfc8785_number_vectors(bits: str, expected: str) -> None:
    x = struct.unpack(">d", bytes.fromhex(bits))[0]
    assert canonical_json(x) == expected.encode()


def test_rfc8785_example_object() -> None:
    # RFC 8785 §3.2.2 input and output.
    src = (
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    want = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_json(json.loads(src)) == want.encode("utf-8")


def test_rfc8785_key_order_is_utf16() -> None:
    # RFC 8785 §3.2.3 sorting example: UTF-16 code units, so U+1F600 sorts before U+FB33.
    obj = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    keys = list(json.loads(canonical_json(obj)))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_layout_and_literals() -> None:
    obj = {"b": [1, True, False, None, "x"], "a": {"d": -7, "c": ""}, "e": (1, 2)}
    assert canonical_json(obj) == b'{"a":{"c":"","d":-7},"b":[1,true,false,null,"x"],"e":[1,2]}'


def test_string_escapes_and_utf8() -> None:
    s = '\x00\x08\t\n\x0c\r\x1f\x7f"\\/é€😀'
    out = canonical_json(s)
    assert out == '"\\u0000\\b\\t\\n\\f\\r\\u001f\x7f\\"\\\\/é€😀"'.encode()
    assert json.loads(out) == s


def test_integers_are_exact_beyond_2_53() -> None:
    assert canonical_json(10**24) == b"1000000000000000000000000"
    assert canonical_json(-(2**64)) == b"-18446744073709551616"
    assert canonical_json(2**53) == b"9007199254740992"  # same as JCS in the safe range


def test_integral_float_equals_int_form() -> None:
    assert canonical_json(1.0) == canonical_json(1) == b"1"
    assert canonical_json(-0.0) == b"0"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_rejected(bad: float) -> None:
    with pytest.raises(InvalidInputError, match=r"\$\.x\[1\]"):
        canonical_json({"x": [1, bad]})


@pytest.mark.parametrize(
    ("obj", "path"),
    [
        ({"a": b"bytes"}, r"\$\.a"),
        ({"a": {1, 2}}, r"\$\.a"),
        ({1: "int key"}, r"\$"),
        ({"a": [object()]}, r"\$\.a\[0\]"),
        ({"a": "\ud800"}, r"\$\.a"),
        ({"\udc00": 1}, r"key"),
    ],
)
def test_unsupported_values_rejected_with_path(obj: object, path: str) -> None:
    with pytest.raises(InvalidInputError, match=path):
        canonical_json(obj)


def test_numpy_scalars_rejected() -> None:
    np = pytest.importorskip("numpy")
    with pytest.raises(InvalidInputError, match="float32"):
        canonical_json({"lr": np.float32(0.5)})


def test_deep_nesting_rejected() -> None:
    obj: list[object] = []
    for _ in range(500):
        obj = [obj]
    with pytest.raises(InvalidInputError, match="nesting"):
        canonical_json(obj)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_roundtrip_and_idempotent(value: object) -> None:
    out = canonical_json(value)
    parsed = parse_json(out)
    assert canonical_json(parsed) == out  # bytes are a fixed point
    assert _as_float(parsed) == _as_float(value)  # values survive, as IEEE doubles
    assert b"\n" not in out  # newlines inside strings are escaped: safe for JSON Lines


def _as_float(v: object) -> object:
    # JCS numbers are doubles: an integral float such as 6.226862011764869e+16 is
    # written "62268620117648690" and reads back as a Python int of another exact value;
    # only its double value (and the canonical bytes) are preserved.
    if type(v) is float or type(v) is int:
        return float(v) if abs(v) > 2**53 else v
    if isinstance(v, list | tuple):
        return [_as_float(x) for x in v]
    if isinstance(v, dict):
        return {k: _as_float(x) for k, x in v.items()}
    return v


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_shortest_roundtrip(x: float) -> None:
    out = canonical_json(x).decode()
    assert float(out) == x
    # ECMAScript form: no "+"-less exponent, no trailing ".0", no leading zeros
    assert not out.endswith(".0")
    if "e" in out:
        assert out.split("e")[1][0] in "+-"


def test_parse_json_strictness() -> None:
    assert parse_json(b'{"a":1}') == {"a": 1}
    with pytest.raises(MalformedError, match="duplicate"):
        parse_json(b'{"a":1,"a":2}')
    with pytest.raises(MalformedError, match="NaN"):
        parse_json(b'{"a":NaN}')
    with pytest.raises(MalformedError, match="UTF-8"):
        parse_json(b'{"a":"\xff"}')
    with pytest.raises(MalformedError, match="my file"):
        parse_json(b"{", "my file")
    with pytest.raises(InvalidInputError):
        parse_json(42)  # type: ignore[arg-type]


def test_sha256_helpers() -> None:
    want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert sha256_hex(b"abc") == want
    assert sha256_digest(b"abc").hex() == want
    assert sha256_hex(memoryview(b"abc")) == want
    with pytest.raises(InvalidInputError):
        sha256_hex("abc")  # type: ignore[arg-type]
