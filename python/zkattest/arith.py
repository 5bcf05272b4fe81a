"""Zero-knowledge proofs of FP32 / BF16 arithmetic (arithmetic semantics v1).

A proof shows that every result of a batch of ops is exactly what the softfloat
reference computes (round-to-nearest-even, subnormals kept, signed zeros, overflow to
infinity), without revealing the prover's witness. Inputs and results are public here;
the chips behind it are the ones later step proofs reuse.

Values travel as bit patterns: FP32 as ``uint32`` (or ``float32``, viewed), BF16 as
``uint16`` (or ``ml_dtypes.bfloat16``, viewed). Results are ``uint32`` bit patterns.

>>> import numpy as np
>>> acc = np.array([1.0], np.float32)
>>> a = b = np.array([0x4000], np.uint16)  # bf16 2.0
>>> proof, out = prove("bf16_mac", acc, a, b)
>>> out.view(np.float32)[0]
np.float32(5.0)
>>> verify("bf16_mac", acc, a, b, outputs=out, proof=proof)

NaN and infinite inputs are rejected (:class:`~zkattest.errors.InvalidInputError`):
non-finite state is an invariant violation in zkattest. ``fp32_div`` and ``fp32_sqrt``
prove finite results only: a zero divisor, a quotient that overflows to infinity and
the square root of a negative number are rejected the same way.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from zkattest import _core
from zkattest.errors import InvalidInputError

#: The ops a batch can hold.
OPS: Final[tuple[str, ...]] = tuple(_core.arith_ops())

#: Input dtypes of each op, in order: 32 = FP32 bits, 16 = BF16 bits.
_SIGNATURES: Final[dict[str, tuple[tuple[str, int], ...]]] = {
    "bf16_mac": (("acc", 32), ("a", 16), ("b", 16)),
    "bf16_mul": (("a", 16), ("b", 16)),
    "fp32_add": (("x", 32), ("y", 32)),
    "fp32_sub": (("x", 32), ("y", 32)),
    "fp32_mul": (("x", 32), ("y", 32)),
    "fp32_to_bf16": (("x", 32),),
    "bf16_gelu": (("x", 16),),
    "bf16_exp": (("x", 16),),
    "fp32_div": (("x", 32), ("y", 32)),
    "fp32_sqrt": (("x", 32),),
}


def _bits(name: str, x: Any, width: int) -> np.ndarray:
    """``x`` as a contiguous 1-D array of ``uint{width}`` bit patterns (floats are viewed,
    never converted)."""
    arr = np.ascontiguousarray(np.asarray(x))
    if arr.ndim != 1:
        raise InvalidInputError(f"{name} must be 1-D, got shape {arr.shape}")
    target = np.dtype(np.uint32 if width == 32 else np.uint16)
    if arr.dtype == target:
        return arr
    if arr.dtype.itemsize == target.itemsize and arr.dtype.kind in "fV":
        return arr.view(target)  # float32 / bfloat16: reinterpret the bits
    if arr.dtype.kind in "iu" and (arr.size == 0 or (arr.min() >= 0 and arr.max() < 1 << width)):
        return arr.astype(target)
    raise InvalidInputError(
        f"{name} must hold {width}-bit patterns (uint{width} or a {width}-bit float), "
        f"got dtype {arr.dtype}"
    )


def _inputs(op: str, inputs: tuple[Any, ...]) -> list[np.ndarray]:
    sig = _SIGNATURES.get(op)
    if sig is None:
        raise InvalidInputError(f"unknown op {op!r} (expected one of {sorted(_SIGNATURES)})")
    if len(inputs) != len(sig):
        names = ", ".join(n for n, _ in sig)
        raise InvalidInputError(f"{op} takes {len(sig)} inputs ({names}), got {len(inputs)}")
    return [_bits(f"{op}: {n}", x, w) for (n, w), x in zip(sig, inputs, strict=True)]


def evaluate(op: str, *inputs: Any) -> np.ndarray:
    """The reference results of ``op`` on ``inputs`` (``uint32`` bit patterns)."""
    return _core.arith_evaluate(op, _inputs(op, inputs))


def prove(op: str, *inputs: Any) -> tuple[bytes, np.ndarray]:
    """Proves a batch of ``op``; returns ``(proof, results)``. The GIL is released."""
    return _core.arith_prove(op, _inputs(op, inputs))


def verify(op: str, *inputs: Any, outputs: Any, proof: bytes) -> None:
    """Checks that ``proof`` shows ``outputs`` are the results of ``op`` on ``inputs``.

    Raises :class:`~zkattest.errors.VerificationError` (or ``MalformedError`` for bytes
    that are not a proof) if it does not.
    """
    if not isinstance(proof, bytes | bytearray | memoryview):
        raise InvalidInputError(f"proof must be bytes, got {type(proof).__name__}")
    out = _bits(f"{op}: outputs", outputs, 32)
    _core.arith_verify(op, _inputs(op, inputs), out, bytes(proof))


def layout(op: str, *inputs: Any) -> list[dict[str, Any]]:
    """The size of every AIR of the statement for this batch (for benchmarks)."""
    return _core.arith_layout(op, _inputs(op, inputs))
