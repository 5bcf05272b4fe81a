"""in-toto Statement v1: build, parse (strictly), sign into and open from DSSE envelopes.

::

    {"_type": "https://in-toto.io/Statement/v1",
     "subject": [{"name": "<NAME>", "digest": {"sha256": "<lowercase hex>"}}],
     "predicateType": "<URI>", "predicate": {...}}

Parsing is strict about everything the spec defines: ``_type`` must be the v1 URI,
``subject`` a non-empty list of ResourceDescriptors each with a non-empty ``digest``,
digests of well-known algorithms lowercase hex of the right length, ``predicateType`` a
non-empty string, ``predicate`` an object. Errors are :class:`MalformedError` naming the
field path (``statement.subject[0].digest.sha256``). Unrecognized fields are ignored, as
the in-toto parsing rules require ("Consumers MUST ignore unrecognized fields").

The payload we sign is :func:`zkattest.canonical.canonical_json` of the statement.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from zkattest.canonical import canonical_json, parse_json
from zkattest.constants import DSSE_PAYLOAD_TYPE, INTOTO_STATEMENT_TYPE, PREDICATE_BASE
from zkattest.dsse import sign_envelope, verify_envelope
from zkattest.errors import (
    InvalidInputError,
    MalformedError,
    UnsupportedVersionError,
    VerificationError,
)

__all__ = [
    "Statement",
    "Subject",
    "build_statement",
    "open_statement",
    "sign_statement",
]

# Hex digest lengths of the DigestSet algorithms we can check (in-toto digest_set.md).
_HEX_DIGEST_LEN = {
    "md5": 32,
    "sha1": 40,
    "sha224": 56,
    "sha256": 64,
    "sha384": 96,
    "sha512": 128,
    "sha512_224": 56,
    "sha512_256": 64,
    "sha3_224": 56,
    "sha3_256": 64,
    "sha3_384": 96,
    "sha3_512": 128,
    "blake2b": 128,
    "blake2s": 64,
    "ripemd160": 40,
    "sm3": 64,
}
_HEX_RE = re.compile(r"[0-9a-f]*")
# Other ResourceDescriptor fields and the JSON type each must have.
_RD_FIELDS: dict[str, type] = {
    "uri": str,
    "content": str,
    "downloadLocation": str,
    "mediaType": str,
    "annotations": dict,
}
_VERSION_RE = re.compile(r"^(.*)/v(\d+)(\.\d+)*$")


def _check_digest(digest: Any, path: str) -> dict[str, str]:
    if not isinstance(digest, Mapping):
        raise MalformedError(f"{path} must be an object mapping algorithm to hex digest")
    if not digest:
        raise MalformedError(f"{path} is empty: a subject needs at least one digest")
    out: dict[str, str] = {}
    for alg, value in digest.items():
        if not isinstance(alg, str) or not alg:
            raise MalformedError(f"{path}: algorithm names must be non-empty strings")
        if not isinstance(value, str) or not value:
            raise MalformedError(f"{path}.{alg} must be a non-empty string")
        want = _HEX_DIGEST_LEN.get(alg)
        if want is not None and (len(value) != want or not _HEX_RE.fullmatch(value)):
            raise MalformedError(f"{path}.{alg} must be {want} lowercase hex digits, got {value!r}")
        out[alg] = value
    return out


@dataclass(frozen=True)
class Subject:
    """A statement subject (an in-toto ResourceDescriptor with a digest)."""

    name: str | None
    digest: Mapping[str, str]
    #: Other ResourceDescriptor fields (uri, mediaType, annotations, ...), kept verbatim.
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form of the subject."""
        d: dict[str, Any] = dict(self.extra)
        if self.name is not None:
            d["name"] = self.name
        d["digest"] = dict(self.digest)
        return d

    @classmethod
    def from_dict(cls, d: Any, path: str = "subject") -> Subject:
        """Parse and validate one subject; errors name ``path``."""
        if not isinstance(d, Mapping):
            raise MalformedError(f"{path} must be an object, got {type(d).__name__}")
        if "digest" not in d:
            raise MalformedError(f"{path}: missing field 'digest'")
        name = d.get("name")
        if name is not None and not isinstance(name, str):
            raise MalformedError(f"{path}.name must be a string")
        digest = _check_digest(d["digest"], f"{path}.digest")
        extra = {}
        for k, typ in _RD_FIELDS.items():
            if k in d:
                if not isinstance(d[k], typ):
                    raise MalformedError(f"{path}.{k} must be a JSON {typ.__name__}")
                extra[k] = d[k]
        return cls(name, digest, extra)


@dataclass(frozen=True)
class Statement:
    """An in-toto Statement v1."""

    subject: tuple[Subject, ...]
    predicate_type: str
    predicate: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON form of the statement."""
        return {
            "_type": INTOTO_STATEMENT_TYPE,
            "subject": [s.to_dict() for s in self.subject],
            "predicateType": self.predicate_type,
            "predicate": dict(self.predicate),
        }

    def to_json(self) -> bytes:
        """Canonical JSON bytes (what gets signed)."""
        return canonical_json(self.to_dict())

    def digest_of(self, name: str, algorithm: str = "sha256") -> str:
        """The ``algorithm`` digest of the subject called ``name``.

        Raises :class:`VerificationError` if there is no such subject or digest.
        """
        for s in self.subject:
            if s.name == name and algorithm in s.digest:
                return s.digest[algorithm]
        raise VerificationError(f"statement has no subject {name!r} with a {algorithm} digest")

    @classmethod
    def from_dict(cls, d: Any, path: str = "statement") -> Statement:
        """Parse and validate a statement object; errors name the field path."""
        if not isinstance(d, Mapping):
            raise MalformedError(f"{path} must be a JSON object, got {type(d).__name__}")
        for k in ("_type", "subject", "predicateType"):
            if k not in d:
                raise MalformedError(f"{path}: missing field {k!r}")
        if d["_type"] != INTOTO_STATEMENT_TYPE:
            raise MalformedError(
                f"{path}._type is {d['_type']!r}, expected {INTOTO_STATEMENT_TYPE!r}"
            )
        subj = d["subject"]
        if not isinstance(subj, list):
            raise MalformedError(f"{path}.subject must be a list")
        if not subj:
            raise MalformedError(f"{path}.subject is empty")
        subjects = tuple(Subject.from_dict(s, f"{path}.subject[{i}]") for i, s in enumerate(subj))
        ptype = d["predicateType"]
        if not isinstance(ptype, str) or not ptype:
            raise MalformedError(f"{path}.predicateType must be a non-empty string")
        predicate = d.get("predicate", {})
        if not isinstance(predicate, Mapping):
            raise MalformedError(f"{path}.predicate must be an object")
        return cls(subjects, ptype, dict(predicate))

    @classmethod
    def from_json(cls, data: bytes | str, what: str = "statement") -> Statement:
        """Parse statement JSON strictly (see :func:`zkattest.canonical.parse_json`)."""
        return cls.from_dict(parse_json(data, what), what)


def build_statement(
    subject: Iterable[Subject | Mapping[str, Any]] | Subject | Mapping[str, Any],
    predicate_type: str,
    predicate: Mapping[str, Any],
) -> Statement:
    """Build and validate a statement. ``subject`` is a Subject, a subject dict
    (``{"name", "digest"}``) or a list of them. Raises :class:`InvalidInputError`."""
    items = [subject] if isinstance(subject, Subject | Mapping) else list(subject)
    try:
        subjects = tuple(
            s if isinstance(s, Subject) else Subject.from_dict(s, f"subject[{i}]")
            for i, s in enumerate(items)
        )
        st = Statement(subjects, predicate_type, dict(predicate))
        # Round-trip through the parser so built and parsed statements obey one rule set.
        return Statement.from_dict(parse_json(st.to_json()))
    except MalformedError as e:
        raise InvalidInputError(f"build_statement: {e}") from None
    except TypeError as e:
        raise InvalidInputError(f"build_statement: {e}") from None


def sign_statement(statement: Statement, key: Ed25519PrivateKey) -> dict[str, Any]:
    """Sign ``statement`` into a DSSE envelope (payloadType ``application/vnd.in-toto+json``)."""
    if not isinstance(statement, Statement):
        raise InvalidInputError(f"expected a Statement, got {type(statement).__name__}")
    return sign_envelope(statement.to_json(), DSSE_PAYLOAD_TYPE, key)


def _check_predicate_type(got: str, expected: str, what: str) -> None:
    if got == expected:
        return
    g, e = _VERSION_RE.match(got), _VERSION_RE.match(expected)
    if g and e and g.group(1) == e.group(1) and got.startswith(PREDICATE_BASE):
        raise UnsupportedVersionError(
            f"{what}: predicateType {got!r} is a version this build does not support "
            f"(expected {expected!r})"
        )
    raise VerificationError(f"{what}: predicateType is {got!r}, expected {expected!r}")


def open_statement(
    envelope: Mapping[str, Any] | bytes | str,
    public_keys: Ed25519PublicKey | Iterable[Ed25519PublicKey],
    expected_predicate_type: str | None,
    *,
    what: str = "envelope",
) -> Statement:
    """Verify the envelope's signature, parse its statement and check its predicate type.

    ``expected_predicate_type=None`` accepts any type (the caller must then dispatch on
    :attr:`Statement.predicate_type`). Raises :class:`MalformedError`,
    :class:`VerificationError` or, for a zkattest predicate of another version,
    :class:`UnsupportedVersionError`.
    """
    payload = verify_envelope(envelope, public_keys, DSSE_PAYLOAD_TYPE, what=what)
    st = Statement.from_json(payload, f"{what}.payload")
    if expected_predicate_type is not None:
        _check_predicate_type(st.predicate_type, expected_predicate_type, what)
    return st
