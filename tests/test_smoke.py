"""The zero-knowledge smoke statement through the Python binding: the full stack
(batch-STARK, LogUp range lookups, hiding FRI) proves, verifies and rejects."""

from __future__ import annotations

import numpy as np
import pytest

from zkattest import _core
from zkattest.errors import InvalidInputError, MalformedError, VerificationError

P = 2013265921  # BabyBear


@pytest.fixture(scope="module")
def proved() -> tuple[bytes, int, int]:
    rng = np.random.default_rng(7)
    n = 64
    a = rng.integers(0, 1 << 16, n, dtype=np.uint16)
    b = rng.integers(0, 1 << 16, n, dtype=np.uint16)
    proof, total = _core.smoke_prove(a, b)
    expected = int(np.dot(a.astype(object), b.astype(object))) % P
    assert total == expected
    return proof, n, total


def test_verifies(proved: tuple[bytes, int, int]) -> None:
    proof, n, total = proved
    _core.smoke_verify(proof, n, total)


def test_changed_public_value_rejected(proved: tuple[bytes, int, int]) -> None:
    proof, n, total = proved
    with pytest.raises(VerificationError):
        _core.smoke_verify(proof, n, (total + 1) % P)
    with pytest.raises(VerificationError):
        _core.smoke_verify(proof, n * 2, total)


@pytest.mark.parametrize("where", [0.001, 0.25, 0.5, 0.75, 0.999])
def test_flipped_proof_byte_rejected(proved: tuple[bytes, int, int], where: float) -> None:
    proof, n, total = proved
    bad = bytearray(proof)
    bad[int(len(bad) * where)] ^= 0x01
    with pytest.raises((VerificationError, MalformedError)):
        _core.smoke_verify(bytes(bad), n, total)


@pytest.mark.parametrize("keep", [0, 4, 100, -1])
def test_truncated_proof_rejected(proved: tuple[bytes, int, int], keep: int) -> None:
    proof, n, total = proved
    with pytest.raises(MalformedError):
        _core.smoke_verify(proof[:keep], n, total)


def test_bad_input_is_typed() -> None:
    with pytest.raises(InvalidInputError):
        _core.smoke_prove(np.zeros(3, np.uint16), np.zeros(3, np.uint16))
    with pytest.raises(InvalidInputError):
        _core.smoke_verify(b"", 3, 0)
    with pytest.raises(TypeError):
        _core.smoke_prove(np.zeros(4, np.float32), np.zeros(4, np.uint16))
