"""Hiding commitments to the run's secrets (init seed, commitment salt seed).

``commitment = SHA-256(SECRET_COMMITMENT_TAG || blinding || secret)`` with a fresh
32-byte random ``blinding`` (the *opening*) that the trainer keeps. The spec publishes
only the commitment: with a uniformly random 256-bit blinding it reveals nothing about a
low-entropy seed, and SHA-256 collision resistance binds the trainer to one secret.
Revealing ``(opening, secret)`` later lets anyone check it with :func:`open_secret`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as _stdlib_secrets

from zkattest.errors import InvalidInputError
from zkattest.spec.constants import MAX_SECRET_SIZE, SECRET_BLINDING_SIZE, SECRET_COMMITMENT_TAG
from zkattest.spec.fields import FieldError, check_hex, type_name

__all__ = ["commit_secret", "open_secret"]


def _check_secret(secret: object) -> bytes:
    if not isinstance(secret, bytes | bytearray | memoryview):
        raise InvalidInputError(f"secret: expected bytes, got {type_name(secret)}")
    data = bytes(secret)
    if not 1 <= len(data) <= MAX_SECRET_SIZE:
        raise InvalidInputError(f"secret: must be 1 to {MAX_SECRET_SIZE} bytes, got {len(data)}")
    return data


def _commit(blinding: bytes, secret: bytes) -> str:
    return hashlib.sha256(SECRET_COMMITMENT_TAG + blinding + secret).hexdigest()


def commit_secret(secret: bytes) -> tuple[str, bytes]:
    """Commit to ``secret``; return ``(commitment_hex, opening)``.

    ``opening`` is the 32-byte blinding drawn from the OS CSPRNG. Keep it (and the
    secret) private; publish only ``commitment_hex``.
    """
    data = _check_secret(secret)
    blinding = _stdlib_secrets.token_bytes(SECRET_BLINDING_SIZE)
    return _commit(blinding, data), blinding


def open_secret(commitment_hex: str, opening: bytes, secret: bytes) -> bool:
    """True iff ``(opening, secret)`` opens ``commitment_hex`` (constant-time compare).

    Malformed arguments (not 64 hex digits, an opening that is not 32 bytes, a secret
    that is not bytes) raise :class:`~zkattest.errors.InvalidInputError`.
    """
    try:
        expected = check_hex(commitment_hex, "commitment")
    except FieldError as e:
        raise InvalidInputError(str(e)) from None
    if not isinstance(opening, bytes | bytearray | memoryview):
        raise InvalidInputError(f"opening: expected bytes, got {type_name(opening)}")
    blinding = bytes(opening)
    if len(blinding) != SECRET_BLINDING_SIZE:
        raise InvalidInputError(
            f"opening: must be {SECRET_BLINDING_SIZE} bytes, got {len(blinding)}"
        )
    data = _check_secret(secret)
    return hmac.compare_digest(_commit(blinding, data), expected)
