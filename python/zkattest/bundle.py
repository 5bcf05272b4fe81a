"""The proof bundle v1: what a training run hands to an auditor (docs/bundle.md).

A bundle is a container (:mod:`zkattest.container`: a directory or a ``.zkab`` archive)
holding in-toto Statements in DSSE envelopes, the run log and the proof blobs::

    spec.json              canonical TrainingSpec JSON
    spec.dsse.json         statement: subject training-spec (sha256 of spec.json)
    genesis.dsse.json      statement: genesis state root + init recipe / parent (+ the
                           init seed opening, when disclosed for re-running the recipe)
    proofs/00000000.bin    proof blobs, one per challenged (step, chunk) ...
    proofs/index.jsonl     one canonical JSON line per blob: kind, step, chunk, digest
    log.jsonl              the RunLog's JSON Lines export (records + signed checkpoints)
    invariants.dsse.json   the trainer's invariant attestation
    model.safetensors      the final weights (optional)
    final.dsse.json        statement: final weights (subject) + final state root
    provenance.dsse.json   SLSA v1 provenance view (optional)
    batches.json           batch multi-proof: every batch's examples under the spec's
                           dataset root (optional)
    manifest.dsse.json     written last: signs the sha256 of every member above except
                           the proof blobs, which proofs/index.jsonl covers

:class:`BundleWriter` writes one incrementally during a run (spec and genesis first,
proofs whenever they are ready, the log and the final statements at the end, the
manifest last); nothing is held in memory beyond one proof. A bundle without a manifest
is incomplete and never verifies. :class:`BundleReader` reads one back, strictly: every
envelope must be in the exact canonical form zkattest writes (one signature, canonical
JSON, canonical base64, a ``keyid`` equal to the signer's), and an archive may hold only
the exact ustar headers the writer produces, member data and zero padding, so that every
byte of a bundle is signed, covered by a signed digest, or fixed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tarfile
import tempfile
import threading
import time
from collections.abc import Container, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from zkattest import __version__
from zkattest.canonical import canonical_json, parse_json
from zkattest.constants import (
    BUNDLE_BATCHES,
    BUNDLE_FINAL,
    BUNDLE_GENESIS,
    BUNDLE_INVARIANTS,
    BUNDLE_LOG,
    BUNDLE_MANIFEST,
    BUNDLE_MEDIA_TYPE,
    BUNDLE_PREDICATE_VERSION,
    BUNDLE_PROOF_DIR,
    BUNDLE_PROOF_INDEX,
    BUNDLE_PROVENANCE,
    BUNDLE_SPEC,
    BUNDLE_SPEC_ENVELOPE,
    BUNDLE_VERSION,
    BUNDLE_WEIGHTS,
    CHECKPOINT_SUBJECT_NAME,
    DATASET_ROOT_DIGEST_KEY,
    GENESIS_OPENING_FIELD,
    PREDICATE_BUNDLE_V1,
    PREDICATE_FINAL_V1,
    PREDICATE_GENESIS_V1,
    PREDICATE_INVARIANTS_V1,
    PREDICATE_SPEC_V1,
    SLSA_BUILD_TYPE,
    SLSA_BUILDER_ID,
    SLSA_PROVENANCE_V1,
    SPEC_SUBJECT_NAME,
    SUPPORTED_BUNDLE_VERSIONS,
)
from zkattest.container import (
    ContainerReader,
    ContainerWriter,
    check_member_name,
    is_archive,
    iter_blocks,
)
from zkattest.data import DatasetMultiproof
from zkattest.dsse import b64decode, b64encode, envelope_from_json, envelope_to_json
from zkattest.errors import (
    InvalidInputError,
    MalformedError,
    UnsupportedVersionError,
    VerificationError,
    ZkattestIOError,
)
from zkattest.init import GenesisOpening
from zkattest.invariants import InvariantChecker, InvariantResult, claims_for
from zkattest.keys import key_id
from zkattest.log import RunLog, StepRecord, _iter_export, verify_jsonl
from zkattest.merkle import MerkleTree, leaf_hash
from zkattest.spec import InitRecipe, ParentInit, TrainingSpec
from zkattest.statement import (
    Statement,
    _check_predicate_type,
    build_statement,
    open_statement,
    sign_statement,
)

__all__ = [
    "MAX_JSON_BYTES",
    "MAX_LINE_BYTES",
    "MAX_PROOF_BYTES",
    "REQUIRED_MEMBERS",
    "BundleReader",
    "BundleWriter",
    "LogInfo",
    "Manifest",
    "ProofEntry",
    "bundle_digest",
    "check_archive_layout",
    "copy_bundle",
    "open_envelope",
    "rfc3339",
    "scan_log",
    "sign_spec",
    "strict_envelope",
]

#: Largest JSON member (spec, envelopes) read into memory.
MAX_JSON_BYTES = 64 << 20
#: Longest line of log.jsonl or proofs/index.jsonl.
MAX_LINE_BYTES = 1 << 20
#: Largest proof blob (read into memory to be verified).
MAX_PROOF_BYTES = 256 << 20
#: Longest member name: ustar stores up to 100 bytes without an extended header, and a
#: bundle archive may not contain extended headers (see :func:`check_archive_layout`).
MAX_NAME_BYTES = 100

_HEX64 = re.compile(r"[0-9a-f]{64}")
_KIND = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_PROOF_NAME = re.compile(r"proofs/([0-9]{8,12})\.bin")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z")
#: Members every complete v1 bundle has (the manifest aside).
REQUIRED_MEMBERS = (
    BUNDLE_SPEC,
    BUNDLE_SPEC_ENVELOPE,
    BUNDLE_GENESIS,
    BUNDLE_LOG,
    BUNDLE_PROOF_INDEX,
    BUNDLE_INVARIANTS,
    BUNDLE_FINAL,
)
_RESERVED = frozenset((*REQUIRED_MEMBERS, BUNDLE_MANIFEST, BUNDLE_PROVENANCE, BUNDLE_BATCHES))


def rfc3339(ms: int) -> str:
    """Unix milliseconds as an RFC 3339 UTC timestamp (``2026-01-02T03:04:05.678Z``)."""
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _hex64(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise MalformedError(f"{what} must be 64 lowercase hex digits, got {value!r}")
    return value


def _uint(value: Any, what: str) -> int:
    if type(value) is not int or value < 0:
        raise MalformedError(f"{what} must be a non-negative integer, got {value!r}")
    return value


def _opt_uint(value: Any, what: str) -> int | None:
    return None if value is None else _uint(value, what)


def _fields(d: Mapping[str, Any], keys: Sequence[str], what: str) -> None:
    """``d`` must have exactly ``keys`` (zkattest predicates are closed)."""
    missing = [k for k in keys if k not in d]
    if missing:
        raise MalformedError(f"{what}: missing field(s) {', '.join(missing)}")
    unknown = sorted(set(d) - set(keys))
    if unknown:
        raise MalformedError(f"{what}: unknown field(s) {', '.join(unknown)}")


def _version(p: Mapping[str, Any], what: str) -> None:
    v = p.get("v")
    if type(v) is int and v != BUNDLE_PREDICATE_VERSION:
        raise UnsupportedVersionError(
            f"{what}: predicate version {v}, this build reads {BUNDLE_PREDICATE_VERSION}"
        )
    if v != BUNDLE_PREDICATE_VERSION:
        raise MalformedError(f"{what}.v must be {BUNDLE_PREDICATE_VERSION}")


def _check_name(name: str, what: str = "member name") -> str:
    check_member_name(name)
    if len(name.encode()) > MAX_NAME_BYTES:
        raise MalformedError(f"{what} {name!r} is longer than {MAX_NAME_BYTES} bytes")
    return name


# --- strict envelopes ----------------------------------------------------------------


def strict_envelope(data: bytes, what: str) -> dict[str, Any]:
    """Parse an envelope that must be exactly as zkattest writes it: canonical JSON,
    the three DSSE fields, one signature ``{"keyid", "sig"}``, canonical padded base64.
    Anything else is :class:`MalformedError` (nothing unsigned may vary)."""
    env = envelope_from_json(data, what)
    _fields(env, ("payload", "payloadType", "signatures"), what)
    sigs = env["signatures"]
    if len(sigs) != 1:
        raise MalformedError(f"{what}: a bundle envelope carries exactly one signature")
    unknown = sorted(set(sigs[0]) - {"keyid", "sig"})
    if unknown:
        raise MalformedError(f"{what}.signatures[0]: unknown field(s) {', '.join(unknown)}")
    for text, where in ((env["payload"], "payload"), (sigs[0]["sig"], "signatures[0].sig")):
        if b64encode(b64decode(text, f"{what}.{where}")) != text:
            raise MalformedError(f"{what}.{where} is not canonical (padded, standard) base64")
    if "keyid" not in sigs[0]:
        raise MalformedError(
            f"{what}.signatures[0]: missing keyid (bundle envelopes name their key)"
        )
    _hex64(sigs[0]["keyid"], f"{what}.signatures[0].keyid")
    if envelope_to_json(env) != bytes(data):
        raise MalformedError(f"{what} is not in canonical JSON form")
    return env


def open_envelope(
    env: Mapping[str, Any],
    public_key: Ed25519PublicKey | None,
    predicate_type: str | None,
    what: str,
) -> Statement:
    """The statement of a strict envelope: signature (and ``keyid``) checked under
    ``public_key``, or only parsed when ``public_key`` is None (``inspect``)."""
    if public_key is None:
        st = Statement.from_json(b64decode(env["payload"], f"{what}.payload"), f"{what}.payload")
        if predicate_type is not None:
            _check_predicate_type(st.predicate_type, predicate_type, what)
        return st
    st = open_statement(env, public_key, predicate_type, what=what)
    kid = env["signatures"][0]["keyid"]
    if kid != key_id(public_key):
        raise VerificationError(f"{what}: keyid {kid[:16]}… is not the id of the signing key")
    return st


def sign_spec(spec: TrainingSpec, key: Ed25519PrivateKey) -> dict[str, Any]:
    """The signed spec statement (``spec.dsse.json``), to publish before training:
    subject ``training-spec`` with the spec digest, predicate ``{"v", "spec"}``."""
    if not isinstance(spec, TrainingSpec):
        raise InvalidInputError(f"expected a TrainingSpec, got {type(spec).__name__}")
    st = build_statement(
        {"name": SPEC_SUBJECT_NAME, "digest": {"sha256": spec.digest()}},
        PREDICATE_SPEC_V1,
        {"v": BUNDLE_PREDICATE_VERSION, "spec": spec.to_dict()},
    )
    return sign_statement(st, key)


def spec_from_statement(st: Statement, spec_bytes: bytes, what: str) -> None:
    """Check that a spec statement is about exactly ``spec_bytes`` (subject digest and
    the predicate's spec). Raises :class:`VerificationError` / :class:`MalformedError`."""
    p = st.predicate
    _fields(p, ("spec", "v"), f"{what}.predicate")
    _version(p, f"{what}.predicate")
    want = hashlib.sha256(spec_bytes).hexdigest()
    if st.digest_of(SPEC_SUBJECT_NAME) != want:
        raise VerificationError(f"{what}: subject digest is not the sha256 of {BUNDLE_SPEC}")
    try:
        inner = TrainingSpec.from_dict(p["spec"]).to_json()
    except InvalidInputError as e:
        raise MalformedError(f"{what}.predicate.spec: {e}") from None
    if inner != spec_bytes:
        raise VerificationError(f"{what}: the signed spec differs from {BUNDLE_SPEC}")


# --- manifest, proof index, log summary ------------------------------------------------

_MANIFEST_FIELDS = (
    "bundle_version",
    "created",
    "final_state_root",
    "log_id",
    "log_root",
    "proofs",
    "spec_digest",
    "steps",
    "zkattest_version",
)


@dataclass(frozen=True)
class Manifest:
    """The signed manifest: ``members`` maps every member (except the manifest and the
    proof blobs, which the proof index covers) to its sha256."""

    bundle_version: int
    spec_digest: str
    log_id: str
    steps: int
    log_root: str
    final_state_root: str
    proofs: int
    created: str
    zkattest_version: str
    members: Mapping[str, str]

    @classmethod
    def from_statement(cls, st: Statement, what: str = BUNDLE_MANIFEST) -> Manifest:
        """Parse and validate the manifest statement (signature already checked)."""
        p = st.predicate
        bv = p.get("bundle_version")
        if type(bv) is int and bv not in SUPPORTED_BUNDLE_VERSIONS:
            raise UnsupportedVersionError(
                f"{what}: bundle version {bv}, this build reads "
                f"{', '.join(map(str, SUPPORTED_BUNDLE_VERSIONS))}"
            )
        _fields(p, _MANIFEST_FIELDS, f"{what}.predicate")
        _uint(bv, f"{what}.predicate.bundle_version")
        if not isinstance(p["created"], str) or not _RFC3339.fullmatch(p["created"]):
            raise MalformedError(f"{what}.predicate.created must be an RFC 3339 UTC time")
        for k in ("log_id", "zkattest_version"):
            if not isinstance(p[k], str) or not p[k]:
                raise MalformedError(f"{what}.predicate.{k} must be a non-empty string")
        members: dict[str, str] = {}
        for i, s in enumerate(st.subject):
            where = f"{what}.subject[{i}]"
            if s.name is None:
                raise MalformedError(f"{where}: missing name")
            _check_name(s.name, f"{where}.name")
            if s.name == BUNDLE_MANIFEST or _PROOF_NAME.fullmatch(s.name):
                raise MalformedError(f"{where}: {s.name!r} may not be listed in the manifest")
            if s.name in members:
                raise MalformedError(f"{where}: {s.name!r} is listed twice")
            if set(s.digest) != {"sha256"}:
                raise MalformedError(f"{where}.digest must hold exactly a sha256 digest")
            members[s.name] = s.digest["sha256"]
        return cls(
            bundle_version=bv,
            spec_digest=_hex64(p["spec_digest"], f"{what}.predicate.spec_digest"),
            log_id=p["log_id"],
            steps=_uint(p["steps"], f"{what}.predicate.steps"),
            log_root=_hex64(p["log_root"], f"{what}.predicate.log_root"),
            final_state_root=_hex64(p["final_state_root"], f"{what}.predicate.final_state_root"),
            proofs=_uint(p["proofs"], f"{what}.predicate.proofs"),
            created=p["created"],
            zkattest_version=p["zkattest_version"],
            members=members,
        )


@dataclass(frozen=True)
class ProofEntry:
    """One line of ``proofs/index.jsonl``: proof blob ``name`` of ``kind`` about
    ``step`` / ``chunk`` (None when not about one step or chunk), with its sha256,
    size and the kind's public inputs."""

    index: int
    kind: str
    step: int | None
    chunk: int | None
    sha256: str
    size: int
    public: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The blob's member name, ``proofs/<index:08d>.bin``."""
        return f"{BUNDLE_PROOF_DIR}{self.index:08d}.bin"

    def to_json(self) -> bytes:
        """The canonical index line (without the newline)."""
        return canonical_json(
            {
                "chunk": self.chunk,
                "kind": self.kind,
                "name": self.name,
                "public": dict(self.public),
                "sha256": self.sha256,
                "size": self.size,
                "step": self.step,
            }
        )

    @classmethod
    def from_line(cls, line: bytes, expected_index: int, what: str) -> ProofEntry:
        """Parse one index line (canonical JSON) that must describe blob ``expected_index``."""
        d = parse_json(line, what)
        if not isinstance(d, dict):
            raise MalformedError(f"{what} must be a JSON object")
        _fields(d, ("chunk", "kind", "name", "public", "sha256", "size", "step"), what)
        m = _PROOF_NAME.fullmatch(d["name"]) if isinstance(d["name"], str) else None
        if m is None or int(m.group(1)) != expected_index:
            raise MalformedError(
                f"{what}.name is {d['name']!r}, expected {BUNDLE_PROOF_DIR}"
                f"{expected_index:08d}.bin (blobs are numbered in order)"
            )
        if not isinstance(d["kind"], str) or not _KIND.fullmatch(d["kind"]):
            raise MalformedError(f"{what}.kind is not a valid proof kind: {d['kind']!r}")
        if not isinstance(d["public"], dict):
            raise MalformedError(f"{what}.public must be an object")
        size = _uint(d["size"], f"{what}.size")
        if size > MAX_PROOF_BYTES:
            raise MalformedError(f"{what}.size {size} exceeds the {MAX_PROOF_BYTES}-byte limit")
        entry = cls(
            expected_index,
            d["kind"],
            _opt_uint(d["step"], f"{what}.step"),
            _opt_uint(d["chunk"], f"{what}.chunk"),
            _hex64(d["sha256"], f"{what}.sha256"),
            size,
            d["public"],
        )
        if entry.to_json() != bytes(line):
            raise MalformedError(f"{what} is not in canonical JSON form")
        return entry


@dataclass(frozen=True)
class LogInfo:
    """What a pass over the run log established (writer side and verifier side)."""

    log_id: str
    first_step: int
    size: int
    root: str
    checkpoints: int
    last_state_root: str | None
    last_step: int | None
    tokens: int
    first_timestamp_ms: int | None
    last_timestamp_ms: int | None
    invariants: tuple[InvariantResult, ...]


class _BoundedLines:
    """A binary stream whose line iteration refuses lines longer than ``limit`` (so a
    hostile member without newlines cannot exhaust memory)."""

    def __init__(self, f: BinaryIO, name: str, limit: int = MAX_LINE_BYTES) -> None:
        self._f = f
        self.name = name
        self._limit = limit

    def read(self, n: int = -1) -> bytes:
        return self._f.read(n)

    def __iter__(self) -> Iterator[bytes]:
        lineno = 0
        try:
            while True:
                line = self._f.readline(self._limit + 1)
                lineno += 1
                if not line:
                    return
                if len(line) > self._limit:
                    raise MalformedError(
                        f"{self.name}:{lineno}: line longer than {self._limit} bytes"
                    )
                yield line
        except (tarfile.TarError, EOFError) as e:
            raise MalformedError(f"{self.name}: truncated: {e}") from e


def scan_log(
    lines: IO[bytes],
    name: str,
    spec: TrainingSpec,
    *,
    tree: MerkleTree | None = None,
    keep_steps: Container[int] = (),
    kept: dict[int, StepRecord] | None = None,
) -> LogInfo:
    """One streaming pass over a log export that :func:`~zkattest.log.verify_jsonl`
    accepted: the last record, token count, timestamps, and the invariants recomputed
    from ``spec``. Appends every leaf hash to ``tree`` when given, and stores the
    records of ``keep_steps`` in ``kept``."""
    checker = InvariantChecker(spec)
    header: dict[str, Any] = {}
    last: StepRecord | None = None
    first_ts: int | None = None
    checkpoints = 0
    size = 0
    end: Any = None
    for kind, obj, line in _iter_export(lines, name):
        if kind == "header":
            header = obj
        elif kind == "record":
            if first_ts is None:
                first_ts = obj.timestamp_ms
            last = obj
            size += 1
            checker.update(obj)
            if tree is not None:
                tree.append(leaf_hash(line))
            if kept is not None and obj.step in keep_steps:
                kept[obj.step] = obj
        elif kind == "checkpoint":
            checkpoints += 1
        else:
            end = obj
    return LogInfo(
        log_id=header.get("log_id", ""),
        first_step=header.get("first_step", 0),
        size=size,
        root=end.get("root", "") if isinstance(end, dict) else "",
        checkpoints=checkpoints,
        last_state_root=last.state_root if last else None,
        last_step=last.step if last else None,
        tokens=checker.tokens,
        first_timestamp_ms=first_ts,
        last_timestamp_ms=last.timestamp_ms if last else None,
        invariants=tuple(checker.results()),
    )


# --- writer ----------------------------------------------------------------------------


class BundleWriter:
    """Writes a v1 bundle to ``path`` (a directory, or a single file if it ends in
    ``.zkab``), signing every statement with ``signing_key``.

    Call, in this order: :meth:`add_spec`, :meth:`add_genesis`, then any number of
    :meth:`add_proof` (during the run, as proofs are ready; also later), then
    :meth:`add_log`, :meth:`add_invariants`, optionally :meth:`add_weights`, then
    :meth:`add_final` and :meth:`finalize`. Thread-safe. Until :meth:`finalize` writes
    the manifest the bundle is incomplete (and ``zkattest verify`` says so); leaving a
    ``with`` block without finalizing closes it incomplete.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        signing_key: Ed25519PrivateKey,
        *,
        overwrite: bool = False,
    ) -> None:
        if not isinstance(signing_key, Ed25519PrivateKey):
            raise InvalidInputError(
                f"signing_key must be an Ed25519 private key, got {type(signing_key).__name__}"
            )
        self._key = signing_key
        self._lock = threading.RLock()
        self._c = ContainerWriter(path, overwrite=overwrite)
        self.path = self._c.path
        self._digests: dict[str, str] = {}
        self._index: IO[bytes] = tempfile.TemporaryFile()
        self._proofs = 0
        self._spec: TrainingSpec | None = None
        self._spec_digest = ""
        self._genesis_root: str | None = None
        self._log: LogInfo | None = None
        self._weights: tuple[str, str] | None = None
        self._final: dict[str, Any] | None = None
        self._open = True

    # -- helpers --------------------------------------------------------------------------

    def _check_open(self) -> None:
        if not self._open:
            raise InvalidInputError(f"{self.path}: bundle writer is closed")

    def _need(self, what: str, ok: bool, before: str) -> None:
        if not ok:
            raise InvalidInputError(f"{self.path}: call {before} before {what}")

    def _once(self, name: str) -> None:
        if name in self._digests:
            raise InvalidInputError(f"{self.path}: {name} was already written")

    def _put(self, name: str, data: bytes) -> str:
        self._once(name)
        digest = self._c.add_bytes(name, data)
        self._digests[name] = digest
        return digest

    def _put_statement(self, name: str, st: Statement) -> str:
        return self._put(name, envelope_to_json(sign_statement(st, self._key)))

    @property
    def spec(self) -> TrainingSpec | None:
        """The spec, once added."""
        return self._spec

    @property
    def proof_count(self) -> int:
        """Number of proofs added so far."""
        return self._proofs

    # -- members --------------------------------------------------------------------------

    def add_spec(self, spec: TrainingSpec, envelope: Mapping[str, Any] | None = None) -> str:
        """Write ``spec.json`` and ``spec.dsse.json``; returns the spec digest.

        ``envelope`` is the spec statement signed (and published) before training,
        from :func:`sign_spec`; it must be about this spec and verify under this
        writer's key. Without it the spec is signed now.
        """
        with self._lock:
            self._check_open()
            if not isinstance(spec, TrainingSpec):
                raise InvalidInputError(f"expected a TrainingSpec, got {type(spec).__name__}")
            if envelope is None:
                envelope = sign_spec(spec, self._key)
            env_bytes = envelope_to_json(envelope)
            try:
                env = strict_envelope(env_bytes, BUNDLE_SPEC_ENVELOPE)
                st = open_envelope(
                    env, self._key.public_key(), PREDICATE_SPEC_V1, BUNDLE_SPEC_ENVELOPE
                )
                spec_from_statement(st, spec.to_json(), BUNDLE_SPEC_ENVELOPE)
            except (MalformedError, VerificationError, UnsupportedVersionError) as e:
                raise InvalidInputError(f"spec envelope: {e}") from None
            self._put(BUNDLE_SPEC, spec.to_json())
            self._put(BUNDLE_SPEC_ENVELOPE, env_bytes)
            self._spec, self._spec_digest = spec, spec.digest()
            return self._spec_digest

    def add_genesis(
        self, state_root: bytes | str, *, opening: GenesisOpening | None = None
    ) -> None:
        """Write ``genesis.dsse.json``: the committed root of the initial state (W0 and
        the initial optimizer state) under the spec's init recipe or parent run.

        ``opening`` (init recipes only) discloses the init seed, its opening and step
        0's key so that the verifier re-runs the recipe and recomputes the root
        (:func:`zkattest.init.recompute_genesis_root`); it makes W0 public."""
        with self._lock:
            self._check_open()
            self._need("add_genesis", self._spec is not None, "add_spec")
            assert self._spec is not None
            root = state_root.hex() if isinstance(state_root, bytes | bytearray) else state_root
            try:
                _hex64(root, "genesis state_root")
            except MalformedError as e:
                raise InvalidInputError(str(e)) from None
            init = self._spec.init
            if opening is not None and not (
                isinstance(opening, GenesisOpening) and isinstance(init, InitRecipe)
            ):
                raise InvalidInputError(
                    "opening: a GenesisOpening, and only for a spec with an init recipe"
                )
            if isinstance(init, ParentInit) and root != init.final_state_root:
                raise InvalidInputError(
                    "genesis state_root must equal the parent run's final_state_root "
                    f"declared in the spec ({init.final_state_root})"
                )
            predicate = {
                "v": BUNDLE_PREDICATE_VERSION,
                "spec_digest": self._spec_digest,
                "state_root": root,
                "commitment": self._spec.commitment.to_json(),
                "init": init.to_json(),
            }
            if opening is not None:
                predicate[GENESIS_OPENING_FIELD] = opening.to_json()
            st = build_statement(
                {"name": SPEC_SUBJECT_NAME, "digest": {"sha256": self._spec_digest}},
                PREDICATE_GENESIS_V1,
                predicate,
            )
            self._put_statement(BUNDLE_GENESIS, st)
            self._genesis_root = root

    def add_proof(
        self,
        kind: str,
        proof: bytes | os.PathLike[str],
        *,
        public: Mapping[str, Any],
        step: int | None = None,
        chunk: int | None = None,
    ) -> ProofEntry:
        """Add one proof blob (bytes, or a file streamed in) of a registered ``kind``
        (:data:`zkattest.verify.PROOF_KINDS`) with its public inputs; returns its
        index entry. Call any time after :meth:`add_spec`, from any thread."""
        from zkattest.verify import PROOF_KINDS

        with self._lock:
            self._check_open()
            self._need("add_proof", self._spec is not None, "add_spec")
            if kind not in PROOF_KINDS:
                raise InvalidInputError(
                    f"unknown proof kind {kind!r} (registered: {', '.join(sorted(PROOF_KINDS))})"
                )
            for v, what in ((step, "step"), (chunk, "chunk")):
                if v is not None and (type(v) is not int or v < 0):
                    raise InvalidInputError(f"{what} must be a non-negative int or None")
            if not isinstance(public, Mapping):
                raise InvalidInputError("public must be a mapping of public inputs")
            PROOF_KINDS[kind].check_public(dict(public), "public")
            entry = ProofEntry(self._proofs, kind, step, chunk, "", 0, dict(public))
            if isinstance(proof, bytes | bytearray | memoryview):
                data = bytes(proof)
                size = len(data)
                if size > MAX_PROOF_BYTES:
                    raise InvalidInputError(f"proof is larger than {MAX_PROOF_BYTES} bytes")
                digest = self._c.add_bytes(entry.name, data)
            else:
                try:
                    size = Path(proof).stat().st_size
                except OSError as e:
                    raise ZkattestIOError(f"{proof}: cannot read proof: {e.strerror}") from None
                if size > MAX_PROOF_BYTES:
                    raise InvalidInputError(f"proof is larger than {MAX_PROOF_BYTES} bytes")
                digest = self._c.add_file(entry.name, proof)
            entry = ProofEntry(entry.index, kind, step, chunk, digest, size, dict(public))
            self._index.write(entry.to_json() + b"\n")
            self._proofs += 1
            return entry

    def add_batches(self, proof: DatasetMultiproof) -> str:
        """Write ``batches.json``: a :class:`~zkattest.data.DatasetMultiproof` of every
        example the run's batches drew, against the spec's dataset root (from
        :meth:`zkattest.data.CommittedDataset.multiproof`). Returns its sha256."""
        with self._lock:
            self._check_open()
            self._need("add_batches", self._spec is not None, "add_spec")
            assert self._spec is not None
            if not isinstance(proof, DatasetMultiproof):
                raise InvalidInputError(f"expected a DatasetMultiproof, got {type(proof).__name__}")
            try:
                root = proof.root().hex()
            except VerificationError as e:
                raise InvalidInputError(str(e)) from None
            ds = self._spec.dataset
            if (root, proof.size) != (ds.root, ds.size):
                raise InvalidInputError(
                    f"batch proof: root {root} / size {proof.size} are not the spec's "
                    f"dataset {ds.root} / {ds.size}"
                )
            data = proof.to_json()
            if len(data) > MAX_JSON_BYTES:
                raise InvalidInputError(
                    f"batch proof: {len(data)} bytes, over the {MAX_JSON_BYTES}-byte limit of "
                    "a JSON member (about a million distinct examples)"
                )
            return self._put(BUNDLE_BATCHES, data)

    def add_log(self, log: RunLog | str | os.PathLike[str]) -> LogInfo:
        """Add the run log: a :class:`~zkattest.log.RunLog` (exported) or a JSON Lines
        export file. It is verified first (records, root, checkpoint signatures under
        this writer's key), its ``log_id`` must be the spec digest and its first step 0.
        Returns what the pass established, including the recomputed invariants."""
        with self._lock:
            self._check_open()
            self._need("add_log", self._genesis_root is not None, "add_spec and add_genesis")
            self._once(BUNDLE_LOG)
            assert self._spec is not None
            with tempfile.TemporaryDirectory() as tmp:
                if isinstance(log, RunLog):
                    src = Path(tmp) / BUNDLE_LOG
                    log.export_jsonl(src)
                else:
                    src = Path(log)
                try:
                    summary = verify_jsonl(src, self._key.public_key(), log_id=self._spec_digest)
                except (MalformedError, VerificationError, UnsupportedVersionError) as e:
                    raise InvalidInputError(f"run log: {e}") from None
                if summary.first_step != 0:
                    raise InvalidInputError(
                        f"the run log starts at step {summary.first_step}, not 0"
                    )
                with open(src, "rb") as f:
                    info = scan_log(_BoundedLines(f, BUNDLE_LOG), BUNDLE_LOG, self._spec)
                self._digests[BUNDLE_LOG] = self._c.add_file(BUNDLE_LOG, src)
            self._log = info
            return info

    def add_invariants(
        self,
        results: Sequence[InvariantResult] | None = None,
        *,
        claims: Mapping[str, bool] | None = None,
    ) -> list[dict[str, Any]]:
        """Write ``invariants.dsse.json``. ``results`` default to the ones recomputed by
        :meth:`add_log`; ``claims`` are the trainer's assertions for the invariants no
        one can recompute yet (e.g. ``{"finite_state": True}``). Returns the entries."""
        with self._lock:
            self._check_open()
            self._need("add_invariants", self._log is not None, "add_log")
            assert self._log is not None
            entries = claims_for(self._log.invariants if results is None else results, claims)
            predicate = {
                "v": BUNDLE_PREDICATE_VERSION,
                "spec_digest": self._spec_digest,
                "log_id": self._log.log_id,
                "log_size": self._log.size,
                "log_root": self._log.root,
                "invariants": entries,
            }
            st = build_statement(
                {"name": CHECKPOINT_SUBJECT_NAME, "digest": {"sha256": self._log.root}},
                PREDICATE_INVARIANTS_V1,
                predicate,
            )
            self._put_statement(BUNDLE_INVARIANTS, st)
            return entries

    def add_weights(self, src: str | os.PathLike[str], name: str = BUNDLE_WEIGHTS) -> str:
        """Stream the final weights file (normally ``.safetensors``) into the bundle as
        ``name``; returns its sha256. Must precede :meth:`add_final`."""
        with self._lock:
            self._check_open()
            self._need("add_weights", self._spec is not None, "add_spec")
            try:
                _check_name(name)
            except MalformedError as e:
                raise InvalidInputError(str(e)) from None
            if name in _RESERVED or name.startswith(BUNDLE_PROOF_DIR):
                raise InvalidInputError(f"{name!r} is a reserved bundle member name")
            if self._weights is not None:
                raise InvalidInputError("the final weights were already added")
            self._once(name)
            try:
                digest = self._c.add_file(name, src)
            except OSError as e:
                raise ZkattestIOError(f"{src}: cannot read weights: {e}") from None
            self._digests[name] = digest
            self._weights = (name, digest)
            return digest

    def add_final(
        self,
        *,
        step_key: bytes | None = None,
        weights: tuple[str, str] | None = None,
        provenance: bool = True,
    ) -> None:
        """Write ``final.dsse.json`` (and ``provenance.dsse.json`` if ``provenance``).

        Its subject is the final weights: the file added with :meth:`add_weights`, or
        ``weights=(name, sha256)`` of weights released elsewhere, or, with neither, the
        run log. ``step_key`` discloses the final state's step key so that anyone can
        recompute the final state root from the weights (DESIGN §3).
        """
        with self._lock:
            self._check_open()
            self._need("add_final", self._log is not None, "add_log")
            assert self._log is not None and self._spec is not None
            if weights is not None and self._weights is not None:
                raise InvalidInputError("weights were added to the bundle; do not pass weights=")
            w = self._weights or weights
            if w is not None:
                name, digest = w
                if not isinstance(name, str) or not name:
                    raise InvalidInputError("weights name must be a non-empty string")
                try:
                    _hex64(digest, "weights sha256")
                except MalformedError as e:
                    raise InvalidInputError(str(e)) from None
                subject = {"name": name, "digest": {"sha256": digest}}
                weights_json: Any = {
                    "name": name,
                    "sha256": digest,
                    "included": self._weights is not None,
                }
            else:
                subject = {"name": CHECKPOINT_SUBJECT_NAME, "digest": {"sha256": self._log.root}}
                weights_json = None
            if step_key is not None and (not isinstance(step_key, bytes) or len(step_key) != 32):
                raise InvalidInputError("step_key must be 32 bytes")
            final_root = self._log.last_state_root or self._genesis_root
            predicate = {
                "v": BUNDLE_PREDICATE_VERSION,
                "spec_digest": self._spec_digest,
                "log_id": self._log.log_id,
                "log_size": self._log.size,
                "log_root": self._log.root,
                "last_step": self._log.last_step,
                "final_state_root": final_root,
                "commitment": self._spec.commitment.to_json(),
                "weights": weights_json,
                "step_key": step_key.hex() if step_key is not None else None,
            }
            self._put_statement(
                BUNDLE_FINAL, build_statement(subject, PREDICATE_FINAL_V1, predicate)
            )
            self._final = subject
            if provenance:
                self._put_statement(BUNDLE_PROVENANCE, self._provenance(subject))

    def _provenance(self, subject: Mapping[str, Any]) -> Statement:
        assert self._spec is not None and self._log is not None
        spec = self._spec
        deps: list[dict[str, Any]] = [
            {
                "name": "dataset",
                "digest": {DATASET_ROOT_DIGEST_KEY: spec.dataset.root},
                "annotations": {"examples": spec.dataset.size},
            }
        ]
        if isinstance(spec.init, ParentInit):
            deps.append(
                {
                    "name": "parent-bundle",
                    "digest": {"sha256": spec.init.bundle_digest},
                    "mediaType": BUNDLE_MEDIA_TYPE,
                }
            )
        byproducts = [
            {"name": n, "digest": {"sha256": self._digests[n]}, "mediaType": BUNDLE_MEDIA_TYPE}
            for n in (BUNDLE_SPEC, BUNDLE_GENESIS, BUNDLE_LOG, BUNDLE_INVARIANTS, BUNDLE_FINAL)
            if n in self._digests
        ]
        now = int(time.time() * 1000)
        metadata = {
            "invocationId": self._log.log_id,
            "startedOn": rfc3339(self._log.first_timestamp_ms or now),
            "finishedOn": rfc3339(self._log.last_timestamp_ms or now),
        }
        predicate = {
            "buildDefinition": {
                "buildType": SLSA_BUILD_TYPE,
                "externalParameters": {
                    "spec": {"name": BUNDLE_SPEC, "digest": {"sha256": self._spec_digest}}
                },
                "internalParameters": {"log_id": self._log.log_id, "steps": self._log.size},
                "resolvedDependencies": deps,
            },
            "runDetails": {
                "builder": {"id": SLSA_BUILDER_ID, "version": {"zkattest": __version__}},
                "metadata": metadata,
                "byproducts": byproducts,
            },
        }
        return build_statement(dict(subject), SLSA_PROVENANCE_V1, predicate)

    def finalize(self) -> Manifest:
        """Write ``proofs/index.jsonl`` and the signed manifest, and close the bundle."""
        with self._lock:
            self._check_open()
            self._need("finalize", self._final is not None, "add_final")
            self._need("finalize", BUNDLE_INVARIANTS in self._digests, "add_invariants")
            assert self._log is not None and self._spec is not None
            size = self._index.tell()
            self._index.seek(0)
            self._digests[BUNDLE_PROOF_INDEX] = self._c.add_stream(
                BUNDLE_PROOF_INDEX, self._index, size
            )
            predicate = {
                "bundle_version": BUNDLE_VERSION,
                "created": rfc3339(int(time.time() * 1000)),
                "final_state_root": self._log.last_state_root or self._genesis_root,
                "log_id": self._log.log_id,
                "log_root": self._log.root,
                "proofs": self._proofs,
                "spec_digest": self._spec_digest,
                "steps": self._log.size,
                "zkattest_version": __version__,
            }
            subjects = [
                {"name": n, "digest": {"sha256": d}} for n, d in sorted(self._digests.items())
            ]
            st = build_statement(subjects, PREDICATE_BUNDLE_V1, predicate)
            self._put_statement(BUNDLE_MANIFEST, st)
            self.close()
            return Manifest.from_statement(st)

    def close(self) -> None:
        """Close the container (without a manifest unless :meth:`finalize` ran)."""
        with self._lock:
            if self._open:
                self._open = False
                with contextlib.suppress(OSError):
                    self._index.close()
                self._c.close()

    def __enter__(self) -> BundleWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- reader ----------------------------------------------------------------------------


#: File mode of every archive member (what ContainerWriter writes).
_MEMBER_MODE = 0o644


def _canonical_header(name: str, size: int) -> bytes:
    """The ustar header block ContainerWriter writes for a member (mtime, owner and
    device fields all zero)."""
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = _MEMBER_MODE
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def check_archive_layout(path: str | os.PathLike[str]) -> None:
    """Require a ``.zkab`` archive to be exactly what :class:`BundleWriter` writes:
    consecutive canonical ustar headers (the exact header block of each member's name
    and size: no pax / GNU extended headers, no metadata, no gaps), zero padding after
    each member and nothing but zeros after the end marker. With every member covered
    by a signed digest, no byte of the archive can change unnoticed."""
    p = Path(path)
    try:
        with tarfile.open(p, mode="r:") as t:
            infos = t.getmembers()
            end = t.offset
        with p.open("rb") as f:
            expect = 0
            for info in infos:
                if info.offset != expect or info.offset_data != info.offset + tarfile.BLOCKSIZE:
                    raise MalformedError(
                        f"{p}: member {info.name!r} has an extended header or a gap before it "
                        "(zkattest writes plain ustar headers only)"
                    )
                # The header checksum does not cover its own field (tarfile ignores a
                # changed terminator or leading zero there), so require the exact header.
                f.seek(info.offset)
                if f.read(tarfile.BLOCKSIZE) != _canonical_header(info.name, info.size):
                    raise MalformedError(
                        f"{p}: the header of member {info.name!r} is not the canonical ustar "
                        "header zkattest writes"
                    )
                pad = -info.size % tarfile.BLOCKSIZE
                f.seek(info.offset_data + info.size)
                if pad and any(f.read(pad)):
                    raise MalformedError(f"{p}: non-zero padding after member {info.name!r}")
                expect = info.offset_data + info.size + pad
            if end != expect:
                raise MalformedError(f"{p}: unexpected data before the end of the archive")
            f.seek(end)
            for block in iter_blocks(f):  # type: ignore[arg-type]
                if any(block):
                    raise MalformedError(f"{p}: non-zero bytes after the end of the archive")
    except (tarfile.TarError, EOFError) as e:
        raise MalformedError(f"{p}: not a readable bundle archive: {e}") from None
    except OSError as e:
        raise ZkattestIOError(f"{p}: cannot read: {e}") from None


class BundleReader:
    """Reads a v1 bundle (directory or ``.zkab``). Opening checks the container (safe
    names, regular files, a complete archive with :func:`check_archive_layout`);
    members are then read on demand, as streams, with size limits."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if self.path.exists() and not (self.path.is_dir() or self.path.is_file()):
            # A FIFO or a device would block or never end.
            raise MalformedError(f"{self.path} is neither a directory nor a regular file")
        self._c = ContainerReader(self.path)
        self._names = frozenset(self._c.names())
        try:
            if is_archive(self.path) or not self.path.is_dir():
                check_archive_layout(self.path)
            for name in self._c.names():
                _check_name(name)
        except BaseException:
            self._c.close()
            raise

    def names(self) -> list[str]:
        """Every member name, sorted."""
        return self._c.names()

    def has(self, name: str) -> bool:
        """Whether the bundle holds ``name``."""
        return name in self._names

    def size(self, name: str) -> int:
        """A member's size in bytes."""
        return self._c.size(name)

    def sha256(self, name: str) -> str:
        """A member's sha256, streamed."""
        return self._c.sha256(name)

    def read(self, name: str, limit: int = MAX_JSON_BYTES) -> bytes:
        """A whole member (at most ``limit`` bytes)."""
        return self._c.read(name, limit)

    @contextlib.contextmanager
    def open_lines(self, name: str) -> Iterator[_BoundedLines]:
        """A member as a line-bounded binary stream (for JSON Lines members)."""
        with self._c.open(name) as f:
            yield _BoundedLines(f, name)

    def envelope(self, name: str) -> dict[str, Any]:
        """A member holding a DSSE envelope, parsed strictly (see :func:`strict_envelope`)."""
        return strict_envelope(self.read(name), name)

    def statement(
        self, name: str, public_key: Ed25519PublicKey | None, predicate_type: str | None
    ) -> Statement:
        """The statement in envelope member ``name``; its signature is verified under
        ``public_key`` (None only parses, for ``inspect``)."""
        return open_envelope(self.envelope(name), public_key, predicate_type, name)

    def manifest(self, public_key: Ed25519PublicKey | None) -> Manifest:
        """The manifest, signature-checked under ``public_key`` (None: unverified)."""
        if not self.has(BUNDLE_MANIFEST):
            raise MalformedError(
                f"{self.path}: incomplete bundle: no {BUNDLE_MANIFEST} (the writer did not "
                "finish, or this is not a zkattest bundle)"
            )
        st = self.statement(BUNDLE_MANIFEST, public_key, PREDICATE_BUNDLE_V1)
        return Manifest.from_statement(st)

    def spec_bytes(self) -> bytes:
        """The raw ``spec.json``."""
        return self.read(BUNDLE_SPEC)

    def spec(self) -> TrainingSpec:
        """``spec.json`` parsed; it must be in canonical form."""
        data = self.spec_bytes()
        try:
            spec = TrainingSpec.from_json(data)
        except InvalidInputError as e:
            raise MalformedError(f"{BUNDLE_SPEC}: {e}") from None
        if spec.to_json() != data:
            raise MalformedError(f"{BUNDLE_SPEC} is not in canonical JSON form")
        return spec

    def batch_proof(self) -> DatasetMultiproof | None:
        """``batches.json`` parsed (strictly), or None if the bundle has none."""
        if not self.has(BUNDLE_BATCHES):
            return None
        return DatasetMultiproof.from_json(self.read(BUNDLE_BATCHES), BUNDLE_BATCHES)

    def proof_entries(self) -> Iterator[ProofEntry]:
        """Stream ``proofs/index.jsonl``, one validated entry at a time."""
        with self.open_lines(BUNDLE_PROOF_INDEX) as lines:
            for i, raw in enumerate(lines):
                where = f"{BUNDLE_PROOF_INDEX}:{i + 1}"
                if not raw.endswith(b"\n"):
                    raise MalformedError(f"{where}: last line has no newline (truncated?)")
                yield ProofEntry.from_line(raw[:-1], i, where)

    def proof_blobs(self) -> list[str]:
        """Names of the proof blob members present."""
        return [n for n in self.names() if _PROOF_NAME.fullmatch(n)]

    def read_proof(self, entry: ProofEntry) -> bytes:
        """A proof blob, checked against its index entry (size and sha256)."""
        name = entry.name
        if not self.has(name):
            raise VerificationError(f"{name} is listed in {BUNDLE_PROOF_INDEX} but missing")
        if self.size(name) != entry.size:
            raise VerificationError(
                f"{name}: {self.size(name)} bytes, {BUNDLE_PROOF_INDEX} says {entry.size}"
            )
        data = self.read(name, MAX_PROOF_BYTES)
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            raise VerificationError(f"{name}: sha256 differs from {BUNDLE_PROOF_INDEX}")
        return data

    def extract(self, name: str, dest: str | os.PathLike[str]) -> None:
        """Stream member ``name`` into the file ``dest``."""
        with self._c.open(name) as f, open(dest, "wb") as out:
            for block in iter_blocks(f):
                out.write(block)

    @contextlib.contextmanager
    def member_path(self, name: str) -> Iterator[Path]:
        """A filesystem path holding member ``name`` (the file itself for a directory
        bundle, a temporary copy for an archive)."""
        if self.path.is_dir():
            self._c.size(name)  # raises if absent
            yield self.path / name
            return
        with tempfile.TemporaryDirectory() as tmp:
            dest = Path(tmp) / "member"
            self.extract(name, dest)
            yield dest

    def close(self) -> None:
        """Close the container."""
        self._c.close()

    def __enter__(self) -> BundleReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def bundle_digest(path: str | os.PathLike[str]) -> str:
    """The digest that names a bundle, e.g. as a fine-tuning run's parent
    (``ParentInit.bundle_digest``): the sha256 of its signed manifest, which covers
    every member, so it is the same for the directory and ``.zkab`` forms. Raises
    :class:`MalformedError` for an incomplete bundle (no manifest)."""
    with BundleReader(path) as r:
        if not r.has(BUNDLE_MANIFEST):
            raise MalformedError(f"{path}: incomplete bundle: no {BUNDLE_MANIFEST}")
        return r.sha256(BUNDLE_MANIFEST)


def copy_bundle(src: str | os.PathLike[str], dest: str | os.PathLike[str]) -> None:
    """Copy a bundle between forms (directory <-> ``.zkab``), streaming, byte-identical
    members: the signed manifest stays valid."""
    from zkattest.container import copy_members

    with BundleReader(src) as r, ContainerWriter(dest) as w:
        copy_members(r._c, w, r.names())
