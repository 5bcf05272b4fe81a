"""Canonical JSON (RFC 8785 / JCS) and the SHA-256 helpers every digest in zkattest uses.

``canonical_json(obj)`` is the one serialization that is hashed or signed anywhere in
the Python layer (training spec, step records, checkpoints, statements). Its output:

- object keys sorted by their UTF-16 code units (RFC 8785 §3.2.3), no whitespace;
- strings as UTF-8 (``ensure_ascii=False``); only ``"``, ``\\`` and U+0000..U+001F are
  escaped, with the short forms ``\\b \\t \\n \\f \\r`` and ``\\u00xx`` (lowercase hex)
  otherwise, exactly as RFC 8785 §3.2.2.2 specifies;
- ``true``, ``false``, ``null``;
- **floats** serialized per RFC 8785 §3.2.2.3 (the ECMAScript ``Number.toString``
  of the IEEE-754 double: shortest round-trip digits, ``1e+21`` style exponents,
  ``-0.0`` as ``0``); NaN and +/-Infinity are rejected;
- **integers** written exactly in decimal. For |n| <= 2**53 this is byte-identical to
  RFC 8785; larger integers, which JCS cannot represent (it would round them through a
  double), are written exactly rather than rounded: a deliberate, documented superset
  so that FLOP budgets like 10**24 hash without loss. Protocol objects that carry
  FP32 values (learning rates, ...) store their 8-hex-digit bit pattern as a string and
  never go through floats at all.

Accepted Python types: ``dict`` (``str`` keys only), ``list``/``tuple``, ``str``, ``int``,
``bool``, ``None``, ``float``. Anything else (bytes, sets, numpy scalars, non-string
keys, strings with lone surrogates) raises :class:`InvalidInputError` naming the path
of the offending value, e.g. ``$.optimizer.betas[1]``.
"""

from __future__ import annotations

import hashlib
import json
import math
from decimal import Decimal
from typing import Any

from zkattest.errors import InvalidInputError, MalformedError

__all__ = ["canonical_json", "parse_json", "sha256_digest", "sha256_hex"]

# Deeper nesting than this is certainly a bug (or hostile input); refuse rather than
# hit Python's recursion limit.
MAX_DEPTH = 128

_encode_str = json.encoder.encode_basestring  # escapes exactly RFC 8785's set


def sha256_digest(data: bytes | bytearray | memoryview) -> bytes:
    """SHA-256 of ``data`` (32 raw bytes)."""
    return hashlib.sha256(data).digest()


def sha256_hex(data: bytes | bytearray | memoryview) -> str:
    """SHA-256 of ``data`` as 64 lowercase hex digits."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidInputError(f"sha256_hex expects bytes, got {type(data).__name__}")
    return hashlib.sha256(data).hexdigest()


def canonical_json(obj: Any) -> bytes:
    """Serialize ``obj`` to canonical JSON bytes (RFC 8785 style, see module doc)."""
    parts: list[str] = []
    _emit(obj, parts, None, 0)
    return "".join(parts).encode("utf-8")  # lone surrogates were rejected by _emit


# A path is built lazily as nested (parent, segment) tuples and rendered only for an
# error message: formatting "$.a.b[3]" for every value would dominate the run time.
# A segment is an object key (str) or a list index (int).
_Path = tuple[Any, str | int] | None


def _render(path: _Path) -> str:
    segs: list[str] = []
    while path is not None:
        path, seg = path
        segs.append(f"[{seg}]" if type(seg) is int else f".{seg}")
    return "$" + "".join(reversed(segs))


def _emit(obj: Any, out: list[str], path: _Path, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise InvalidInputError(f"{_render(path)}: nesting deeper than {MAX_DEPTH}")
    t = type(obj)
    # identity checks first: bool is a subclass of int.
    if obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif t is str:
        if not obj.isascii():
            _check_unicode(obj, path)
        out.append(_encode_str(obj))
    elif t is int:
        out.append(str(obj))
    elif t is float:
        out.append(_format_float(obj, path))
    elif t is dict:
        ascii_keys = True
        for k in obj:
            if type(k) is not str:
                raise InvalidInputError(
                    f"{_render(path)}: object key {k!r} is {type(k).__name__}, must be str"
                )
            if not k.isascii():
                _check_unicode(k, (path, "<key>"))
                ascii_keys = False
        out.append("{")
        # UTF-16 code-unit order equals code-point order for ASCII keys.
        keys = sorted(obj) if ascii_keys else sorted(obj, key=_utf16_key)
        for i, k in enumerate(keys):
            if i:
                out.append(",")
            out.append(_encode_str(k))
            out.append(":")
            _emit(obj[k], out, (path, k), depth + 1)
        out.append("}")
    elif t is list or t is tuple:
        out.append("[")
        for i, v in enumerate(obj):
            if i:
                out.append(",")
            _emit(v, out, (path, i), depth + 1)
        out.append("]")
    else:
        raise InvalidInputError(
            f"{_render(path)}: {t.__name__} is not a JSON type "
            "(allowed: dict, list, tuple, str, int, float, bool, None)"
        )


def _utf16_key(s: str) -> bytes:
    # Big-endian UTF-16 bytes compare like the sequence of UTF-16 code units.
    return s.encode("utf-16-be", "surrogatepass")


def _check_unicode(s: str, path: _Path) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInputError(f"{_render(path)}: string contains a lone surrogate") from None


def _format_float(x: float, path: _Path) -> str:
    """ECMAScript Number.prototype.toString(x), as RFC 8785 §3.2.2.3 requires."""
    if not math.isfinite(x):
        raise InvalidInputError(f"{_render(path)}: {x!r} is not allowed in canonical JSON")
    if x == 0.0:
        return "0"  # also -0.0
    # repr() gives the shortest digit string that round-trips (closest when tied),
    # which is the (k, s) ECMAScript asks for.
    sign, digits_t, exp = Decimal(repr(x)).as_tuple()
    digits = "".join(map(str, digits_t)).rstrip("0")
    exp += len(digits_t) - len(digits)  # type: ignore[operator]
    k = len(digits)
    n = exp + k  # x = 0.digits * 10**n
    neg = "-" if sign else ""
    if k <= n <= 21:
        return neg + digits + "0" * (n - k)
    if 0 < n <= 21:
        return neg + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return neg + "0." + "0" * (-n) + digits
    e = n - 1
    e_str = f"e+{e}" if e >= 0 else f"e-{-e}"
    if k == 1:
        return neg + digits + e_str
    return neg + digits[0] + "." + digits[1:] + e_str


def _reject_constant(name: str) -> Any:
    raise MalformedError(f"JSON constant {name} is not allowed")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise MalformedError(f"duplicate JSON object key {k!r}")
        out[k] = v
    return out


def parse_json(data: bytes | str, what: str = "JSON") -> Any:
    """Strictly parse JSON: UTF-8 only, no duplicate keys, no NaN/Infinity.

    ``what`` names the input in error messages (a file name, "envelope payload", ...).
    Raises :class:`MalformedError`. This is the parser every verifier uses, so a
    document cannot mean two things to two readers.
    """
    if isinstance(data, bytes | bytearray | memoryview):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as e:
            raise MalformedError(
                f"{what}: not valid UTF-8 ({e.reason} at byte {e.start})"
            ) from None
    elif isinstance(data, str):
        text = data
    else:
        raise InvalidInputError(f"{what}: expected bytes or str, got {type(data).__name__}")
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except MalformedError as e:
        raise MalformedError(f"{what}: {e}") from None
    except json.JSONDecodeError as e:
        raise MalformedError(f"{what}: not valid JSON: {e}") from None
    except (RecursionError, ValueError) as e:  # e.g. int too long for str conversion
        raise MalformedError(f"{what}: not valid JSON: {e}") from None
