"""DSSE envelopes (Dead Simple Signing Envelope, v1.0.x) signed with Ed25519.

Envelope (JSON)::

    {"payload": "<base64 body>", "payloadType": "<type>",
     "signatures": [{"keyid": "<hint>", "sig": "<base64>"}]}

A signature is ``Ed25519.sign(PAE(payloadType, body))`` with
``PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`` (LEN = ASCII
decimal byte length, no leading zeros). We emit standard base64 with padding and accept
standard or URL-safe base64, with or without padding, as DSSE requires.

Verification (:func:`verify_envelope`) succeeds when at least one signature verifies
under one of the given public keys. ``keyid`` is unauthenticated: it only orders the
attempts, every key is still tried. Unknown envelope fields are ignored (they are not
signed, so they cannot change what the envelope says).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from zkattest.canonical import canonical_json, parse_json
from zkattest.constants import DSSE_PAE_PREFIX, DSSE_PAYLOAD_TYPE, ED25519_SIGNATURE_SIZE
from zkattest.errors import InvalidInputError, MalformedError, VerificationError
from zkattest.keys import key_id

__all__ = [
    "b64decode",
    "b64encode",
    "check_envelope",
    "envelope_from_json",
    "envelope_to_json",
    "pae",
    "sign_envelope",
    "verify_envelope",
]

_B64_RE = re.compile(r"[A-Za-z0-9+/\-_]*={0,2}")
# Sanity bound on the number of signatures we try (each costs a verify per key).
_MAX_SIGNATURES = 64


def pae(payload_type: str | bytes, payload: bytes) -> bytes:
    """DSSE v1 Pre-Authentication Encoding of ``(payload_type, payload)``."""
    t = payload_type.encode("utf-8") if isinstance(payload_type, str) else payload_type
    if not isinstance(t, bytes) or not isinstance(payload, bytes | bytearray):
        raise InvalidInputError("pae: payload_type must be str and payload bytes")
    return b"%s %d %s %d %s" % (DSSE_PAE_PREFIX, len(t), t, len(payload), bytes(payload))


def b64encode(data: bytes) -> str:
    """Standard base64 with padding (what we emit)."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: Any, what: str = "base64 field") -> bytes:
    """Decode standard or URL-safe base64, padded or not; :class:`MalformedError` otherwise."""
    if not isinstance(text, str):
        raise MalformedError(f"{what} must be a base64 string, got {type(text).__name__}")
    if not _B64_RE.fullmatch(text):
        raise MalformedError(f"{what} is not valid base64 (bad character)")
    body = text.rstrip("=")
    if len(body) % 4 == 1:
        raise MalformedError(f"{what} is not valid base64 (bad length)")
    if len(text) - len(body) and len(text) % 4:
        raise MalformedError(f"{what} is not valid base64 (bad padding)")
    body = body.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError) as e:
        raise MalformedError(f"{what} is not valid base64 ({e})") from None


def sign_envelope(
    payload: bytes,
    payload_type: str,
    key: Ed25519PrivateKey,
    *,
    keyid: str | None = None,
) -> dict[str, Any]:
    """Sign ``payload`` into a DSSE envelope (one signature).

    ``keyid`` defaults to :func:`zkattest.keys.key_id` of ``key``; pass ``""`` to omit it.
    """
    if not isinstance(payload, bytes | bytearray):
        raise InvalidInputError(f"payload must be bytes, got {type(payload).__name__}")
    if not isinstance(payload_type, str) or not payload_type:
        raise InvalidInputError("payload_type must be a non-empty str")
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInputError(f"key must be an Ed25519 private key, got {type(key).__name__}")
    payload = bytes(payload)
    sig: dict[str, str] = {"sig": b64encode(key.sign(pae(payload_type, payload)))}
    kid = key_id(key) if keyid is None else keyid
    if kid:
        sig = {"keyid": kid, **sig}
    return {"payload": b64encode(payload), "payloadType": payload_type, "signatures": [sig]}


def envelope_to_json(envelope: Mapping[str, Any]) -> bytes:
    """Canonical JSON bytes of an envelope (how zkattest stores and ships them)."""
    return canonical_json(dict(envelope))


def envelope_from_json(data: bytes | str, what: str = "envelope") -> dict[str, Any]:
    """Parse an envelope from JSON and check its shape (not its signatures)."""
    env = parse_json(data, what)
    check_envelope(env, what)
    return env


def check_envelope(env: Any, what: str = "envelope") -> None:
    """Check an envelope's shape (fields and types, at least one signature); raises
    :class:`MalformedError` naming the field. Signatures are not verified here."""
    if not isinstance(env, Mapping):
        raise MalformedError(f"{what} must be a JSON object, got {type(env).__name__}")
    for field in ("payload", "payloadType", "signatures"):
        if field not in env:
            raise MalformedError(f"{what}: missing field {field!r}")
    if not isinstance(env["payload"], str):
        raise MalformedError(f"{what}.payload must be a base64 string")
    if not isinstance(env["payloadType"], str) or not env["payloadType"]:
        raise MalformedError(f"{what}.payloadType must be a non-empty string")
    sigs = env["signatures"]
    if not isinstance(sigs, list):
        raise MalformedError(f"{what}.signatures must be a list")
    if not sigs:
        raise MalformedError(f"{what}.signatures is empty: the envelope is unsigned")
    if len(sigs) > _MAX_SIGNATURES:
        raise MalformedError(f"{what}.signatures has more than {_MAX_SIGNATURES} entries")
    for i, s in enumerate(sigs):
        if not isinstance(s, Mapping):
            raise MalformedError(f"{what}.signatures[{i}] must be an object")
        if "sig" not in s:
            raise MalformedError(f"{what}.signatures[{i}]: missing field 'sig'")
        if not isinstance(s["sig"], str):
            raise MalformedError(f"{what}.signatures[{i}].sig must be a base64 string")
        if "keyid" in s and not isinstance(s["keyid"], str):
            raise MalformedError(f"{what}.signatures[{i}].keyid must be a string")


def _public_keys(keys: Any) -> list[tuple[str, Ed25519PublicKey]]:
    if isinstance(keys, Ed25519PublicKey | Ed25519PrivateKey):
        keys = [keys]
    if not isinstance(keys, Iterable) or isinstance(keys, str | bytes):
        raise InvalidInputError("public_keys must be an Ed25519 public key or a list of them")
    out = []
    for k in keys:
        if isinstance(k, Ed25519PrivateKey):
            k = k.public_key()
        if not isinstance(k, Ed25519PublicKey):
            raise InvalidInputError(
                f"public_keys: expected Ed25519 public keys, got {type(k).__name__}"
            )
        out.append((key_id(k), k))
    if not out:
        raise InvalidInputError("public_keys is empty: no key to verify with")
    return out


def verify_envelope(
    envelope: Mapping[str, Any] | bytes | str,
    public_keys: Ed25519PublicKey | Iterable[Ed25519PublicKey],
    payload_type: str | None = DSSE_PAYLOAD_TYPE,
    *,
    what: str = "envelope",
) -> bytes:
    """Verify a DSSE envelope and return its payload bytes.

    ``envelope`` is a parsed dict or its JSON text. ``payload_type`` is the type the
    caller expects (``None`` accepts any). Raises :class:`MalformedError` for a
    malformed envelope (missing fields, wrong types, bad base64, no signatures) and
    :class:`VerificationError` when the payload type differs or no signature verifies
    under any of ``public_keys``.
    """
    if isinstance(envelope, bytes | str):
        envelope = envelope_from_json(envelope, what)
    else:
        check_envelope(envelope, what)
    keys = _public_keys(public_keys)
    ptype = envelope["payloadType"]
    if payload_type is not None and ptype != payload_type:
        raise VerificationError(f"{what}: payloadType is {ptype!r}, expected {payload_type!r}")
    payload = b64decode(envelope["payload"], f"{what}.payload")
    sigs = [
        (s.get("keyid", ""), b64decode(s["sig"], f"{what}.signatures[{i}].sig"))
        for i, s in enumerate(envelope["signatures"])
    ]
    message = pae(ptype, payload)
    for hint, sig in sigs:
        if len(sig) != ED25519_SIGNATURE_SIZE:
            continue
        # The keyid only decides which key we try first.
        for _, k in sorted(keys, key=lambda kk: kk[0] != hint):
            try:
                k.verify(sig, message)
            except InvalidSignature:
                continue
            return payload
    n = len(keys)
    raise VerificationError(
        f"{what}: none of its {len(sigs)} signature(s) verifies under the "
        f"{n} given public key{'s' if n != 1 else ''}"
    )
