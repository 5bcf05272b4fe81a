"""Building blocks of the spec: the :class:`Fp32` scalar, path-carrying validation errors,
and the strict readers every spec section uses to parse JSON.

Validation lives in the dataclasses' ``__post_init__`` (so objects built from Python are
checked exactly like objects parsed from JSON); errors carry the path of the field
*relative to the object*, and :func:`nested` prefixes the path of the enclosing field as
the error travels up. A spec parsed from JSON therefore reports, e.g.::

    optimizer.hyperparameters.betas[1]: expected an FP32 object {"bits", "decimal"}, got str
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np

from zkattest.errors import InvalidInputError

__all__ = [
    "FieldError",
    "Fp32",
    "ParamValue",
    "Params",
]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
#: Names of recipes, parameters, invariants: short lowercase identifiers.
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_.-]{0,63}\Z")
_F32_EXP_MASK = 0x7F800000
_F32_NEG_ZERO = 0x80000000


# --- errors and paths ------------------------------------------------------------------


class FieldError(InvalidInputError):
    """A spec field is wrong. ``path`` locates it (``optimizer.hyperparameters.lr``)."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)

    def prefixed(self, prefix: str) -> FieldError:
        """The same error, located inside the field ``prefix``."""
        return FieldError(join(prefix, self.path), self.reason)


def key_path(key: str) -> str:
    """A key as a path segment: ``lr``, or ``["odd key"]`` when it is not an identifier."""
    return key if _IDENT.match(key) else f"[{_quote(key)}]"


def join(prefix: str, rel: str) -> str:
    """Concatenate two path fragments (``a`` + ``b[1]`` -> ``a.b[1]``)."""
    if not prefix:
        return rel
    if not rel:
        return prefix
    return prefix + rel if rel.startswith("[") else f"{prefix}.{rel}"


def field(prefix: str, key: str) -> str:
    """Path of the field ``key`` of the object at ``prefix``."""
    return join(prefix, key_path(key))


def item(prefix: str, index: int) -> str:
    """Path of element ``index`` of the array at ``prefix``."""
    return f"{prefix}[{index}]"


@contextmanager
def nested(prefix: str) -> Iterator[None]:
    """Re-raise any :class:`FieldError` raised inside as located under ``prefix``."""
    try:
        yield
    except FieldError as e:
        raise e.prefixed(prefix) from None


def type_name(value: object) -> str:
    """Python type name for error messages (``str``, ``float``, ``None``, ...)."""
    return "None" if value is None else type(value).__name__


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- FP32 scalars ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fp32:
    """A finite IEEE binary32 value, identified by its bit pattern.

    Hyperparameters and schedule constants are stored this way because the verifier
    recomputes FP32 scalars (lr_t, bias corrections) from them: the bits are the value,
    the decimal is only a courtesy for humans. Negative zero, NaN and infinities are not
    representable (no spec field needs them and JSON cannot spell them).

    Construct with :meth:`from_float` (rounds to nearest, ties to even) or
    :meth:`from_hex`; spec constructors also accept plain Python numbers and round them.
    """

    bits: int

    def __post_init__(self) -> None:
        if type(self.bits) is not int or not 0 <= self.bits <= 0xFFFFFFFF:
            raise FieldError("", f"FP32 bits must be an int in [0, 2**32), got {self.bits!r}")
        if self.bits & _F32_EXP_MASK == _F32_EXP_MASK:
            raise FieldError("", f"FP32 value {self.bits:08x} is not finite (NaN or infinity)")
        if self.bits == _F32_NEG_ZERO:
            raise FieldError("", "negative zero is not allowed; use 0.0")

    @classmethod
    def from_float(cls, x: float | int | np.floating) -> Fp32:
        """Round ``x`` to the nearest FP32 value (ties to even)."""
        if isinstance(x, bool) or not isinstance(x, int | float | np.floating | np.integer):
            raise FieldError("", f"expected a number, got {type_name(x)}")
        try:
            xf = float(x)
        except OverflowError:
            raise FieldError("", f"{x} is outside the FP32 range") from None
        if not math.isfinite(xf):
            raise FieldError("", f"{xf} is not finite")
        with np.errstate(over="ignore"):
            f = np.float32(xf)
        if not np.isfinite(f):
            raise FieldError("", f"{xf!r} is outside the FP32 range")
        bits = int(f.view(np.uint32))
        if bits == _F32_NEG_ZERO:  # -0.0 and negatives that round to it
            bits = 0
        return cls(bits)

    @classmethod
    def from_numpy(cls, x: np.float32) -> Fp32:
        """The FP32 value of a numpy float32 scalar (bit-exact)."""
        return cls(int(np.float32(x).view(np.uint32)))

    @classmethod
    def from_hex(cls, text: str) -> Fp32:
        """Parse 8 lowercase hex digits (the bit pattern, big-endian)."""
        if type(text) is not str or not _HEX8.match(text):
            raise FieldError("", f"expected 8 lowercase hex digits, got {text!r}")
        return cls(int(text, 16))

    @property
    def hex(self) -> str:
        """The bit pattern as 8 lowercase hex digits."""
        return f"{self.bits:08x}"

    @property
    def value(self) -> float:
        """The exact value as a Python float (binary64 holds every FP32 value exactly)."""
        return float(struct.unpack("<f", struct.pack("<I", self.bits))[0])

    @property
    def decimal(self) -> float:
        """The shortest decimal that rounds back to these bits (what the JSON shows)."""
        return _shortest_decimal(self.bits)

    def to_numpy(self) -> np.float32:
        """The value as a numpy float32 scalar."""
        return np.uint32(self.bits).view(np.float32)

    def __float__(self) -> float:
        return self.value

    def __repr__(self) -> str:
        return f"Fp32({self.decimal!r}, bits={self.hex})"

    def to_json(self) -> dict[str, Any]:
        """``{"bits": "3a83126f", "decimal": 0.001}``."""
        return {"bits": self.hex, "decimal": self.decimal}

    @classmethod
    def from_json(cls, value: object, path: str = "") -> Fp32:
        """Parse an FP32 object. ``decimal`` may be any number that rounds (via float64,
        ties to even) to ``bits``; it is re-emitted in its shortest form."""
        if type(value) is not dict:
            raise FieldError(
                path, f'expected an FP32 object {{"bits", "decimal"}}, got {type_name(value)}'
            )
        obj = read_object(value, path, ("bits", "decimal"))
        bits_text = obj["bits"]
        if type(bits_text) is not str or not _HEX8.match(bits_text):
            raise FieldError(
                field(path, "bits"), f"expected 8 lowercase hex digits, got {bits_text!r}"
            )
        with nested(field(path, "bits")):
            x = cls(int(bits_text, 16))
        dec = obj["decimal"]
        dpath = field(path, "decimal")
        if isinstance(dec, bool) or not isinstance(dec, int | float):
            raise FieldError(dpath, f"expected a number, got {type_name(dec)}")
        try:
            rounded = Fp32.from_float(dec)
        except FieldError as e:
            raise e.prefixed(dpath) from None
        if rounded.bits != x.bits:
            raise FieldError(
                dpath,
                f"{dec!r} rounds to FP32 {rounded.hex}, not to bits {x.hex} (= {x.decimal!r})",
            )
        return x


_HEX8 = re.compile(r"[0-9a-f]{8}\Z")


def _shortest_decimal(bits: int) -> float:
    f = np.uint32(bits).view(np.float32)
    # Dragon4 in "unique" mode: the shortest digit string that round-trips to this FP32.
    d = float(np.format_float_scientific(f, unique=True))
    if np.float32(d).view(np.uint32) != bits:  # never observed; keep the value exact
        d = float(f)
    return d


def coerce_fp32(value: object, path: str) -> Fp32:
    """Accept an :class:`Fp32` or a Python / numpy number (rounded to FP32)."""
    if isinstance(value, Fp32):
        return value
    if isinstance(value, np.float32):
        return Fp32.from_numpy(value)
    try:
        return Fp32.from_float(value)  # type: ignore[arg-type]
    except FieldError as e:
        if e.reason.startswith("expected a number"):
            raise FieldError(
                path, f"expected an FP32 value (Fp32 or number), got {type_name(value)}"
            ) from None
        raise e.prefixed(path) from None


# --- scalar checks (used by __post_init__) ---------------------------------------------


def check_int(value: object, path: str, *, lo: int = 0, hi: int) -> int:
    """An integer (not a bool) in ``[lo, hi]``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise FieldError(path, f"expected an integer, got {type_name(value)}")
    v = int(value)
    if not lo <= v <= hi:
        raise FieldError(path, f"must be in [{lo}, {hi}], got {v}")
    return v


def check_bool(value: object, path: str) -> bool:
    """A boolean (``true``/``false``; integers are not accepted)."""
    if type(value) is not bool:
        raise FieldError(path, f"expected a boolean, got {type_name(value)}")
    return value


def check_str(value: object, path: str, *, choices: Iterable[str] | None = None) -> str:
    """A string, optionally one of ``choices``."""
    if type(value) is not str:
        raise FieldError(path, f"expected a string, got {type_name(value)}")
    if choices is not None:
        allowed = tuple(choices)
        if value not in allowed:
            raise FieldError(path, f"must be one of {', '.join(allowed)}; got {value!r}")
    return value


def check_name(value: object, path: str) -> str:
    """A short lowercase identifier (``[a-z][a-z0-9_.-]{0,63}``)."""
    s = check_str(value, path)
    if not NAME_PATTERN.match(s):
        raise FieldError(path, f"must match [a-z][a-z0-9_.-]{{0,63}}, got {s!r}")
    return s


def check_hex(value: object, path: str, *, nbytes: int = 32) -> str:
    """A digest: exactly ``2 * nbytes`` lowercase hex digits."""
    s = check_str(value, path)
    if len(s) != 2 * nbytes or not all(c in "0123456789abcdef" for c in s):
        raise FieldError(path, f"expected {2 * nbytes} lowercase hex digits, got {s!r}")
    return s


def check_fp32(
    value: object,
    path: str,
    *,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
) -> Fp32:
    """Coerce to :class:`Fp32` and check bounds on its exact value."""
    x = coerce_fp32(value, path)
    v = x.value
    if gt is not None and not v > gt:
        raise FieldError(path, f"must be > {gt}, got {x.decimal!r}")
    if ge is not None and not v >= ge:
        raise FieldError(path, f"must be >= {ge}, got {x.decimal!r}")
    if lt is not None and not v < lt:
        raise FieldError(path, f"must be < {lt}, got {x.decimal!r}")
    if le is not None and not v <= le:
        raise FieldError(path, f"must be <= {le}, got {x.decimal!r}")
    return x


def set_field(obj: object, name: str, value: object) -> None:
    """Assign in ``__post_init__`` of a frozen dataclass (after coercion)."""
    object.__setattr__(obj, name, value)


# --- free-form named parameters (init recipes) -----------------------------------------

ParamValue: TypeAlias = bool | int | str | Fp32
#: Parameters as sorted ``(name, value)`` pairs: hashable, and canonical by construction.
Params: TypeAlias = tuple[tuple[str, ParamValue], ...]


def coerce_params(value: object, path: str) -> Params:
    """Accept a mapping (or pairs) of name -> bool | int | str | Fp32 | float.

    Floats are rounded to :class:`Fp32`: a spec never carries a binary64 value.
    """
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, tuple | list):
        pairs = []
        for i, p in enumerate(value):
            if not (isinstance(p, tuple | list) and len(p) == 2):
                raise FieldError(item(path, i), "expected a (name, value) pair")
            pairs.append((p[0], p[1]))
    else:
        raise FieldError(path, f"expected a mapping of parameters, got {type_name(value)}")
    out: dict[str, ParamValue] = {}
    for k, v in pairs:
        if type(k) is not str:
            raise FieldError(path, f"parameter names must be strings, got {type_name(k)}")
        kp = field(path, k)
        check_name(k, kp)
        if k in out:
            raise FieldError(kp, "duplicate parameter")
        if isinstance(v, bool | str | Fp32):
            out[k] = v
        elif isinstance(v, int | np.integer):
            out[k] = check_int(v, kp, lo=-(2**63), hi=2**64 - 1)
        elif isinstance(v, float | np.floating):
            out[k] = coerce_fp32(v, kp)
        else:
            raise FieldError(kp, f"expected a bool, int, str or FP32 value, got {type_name(v)}")
    return tuple(sorted(out.items()))


def params_to_json(params: Params) -> dict[str, Any]:
    """JSON form of :data:`Params` (FP32 values as ``{"bits", "decimal"}`` objects)."""
    return {k: v.to_json() if isinstance(v, Fp32) else v for k, v in params}


def params_from_json(value: object, path: str) -> dict[str, ParamValue]:
    """Parse a JSON parameter object; nested objects must be FP32 objects, floats and
    arrays are rejected (a spec carries FP32 bit patterns, not binary64 numbers)."""
    if type(value) is not dict:
        raise FieldError(path, f"expected an object, got {type_name(value)}")
    out: dict[str, ParamValue] = {}
    for k, v in value.items():
        kp = field(path, k)
        if type(v) is dict:
            out[k] = Fp32.from_json(v, kp)
        elif type(v) in (bool, int, str):
            out[k] = v
        elif type(v) is float:
            raise FieldError(kp, 'a real number must be an FP32 object {"bits", "decimal"}')
        else:
            raise FieldError(
                kp, f"expected a bool, integer, string or FP32 object, got {type_name(v)}"
            )
    return out


# --- JSON structure readers ------------------------------------------------------------


def read_object(
    value: object, path: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Check that ``value`` is a JSON object with exactly the ``required`` keys (plus
    any of ``optional``); report an unknown field before a missing one."""
    if type(value) is not dict:
        raise FieldError(path, f"expected an object, got {type_name(value)}")
    allowed = set(required) | set(optional)
    for k in sorted(value):
        if k not in allowed:
            raise FieldError(
                field(path, k), f"unknown field (allowed: {', '.join(sorted(allowed))})"
            )
    for k in required:
        if k not in value:
            raise FieldError(field(path, k), "missing required field")
    return value


def read_kind(value: object, path: str, kinds: Iterable[str]) -> str:
    """The ``kind`` discriminator of a tagged object, checked before its other fields."""
    if type(value) is not dict:
        raise FieldError(path, f"expected an object, got {type_name(value)}")
    if "kind" not in value:
        raise FieldError(field(path, "kind"), "missing required field")
    return check_str(value["kind"], field(path, "kind"), choices=kinds)


def read_array(value: object, path: str) -> list[Any]:
    """Check that ``value`` is a JSON array."""
    if type(value) is not list:
        raise FieldError(path, f"expected an array, got {type_name(value)}")
    return value
