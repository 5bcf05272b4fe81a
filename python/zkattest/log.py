"""The run log: an append-only RFC 9162 Merkle log of StepRecords, persisted in SQLite.

One leaf per optimizer step. The leaf data is the canonical JSON of the
:class:`StepRecord` (no floats anywhere: the learning rate is its FP32 bit pattern), the
leaf hash ``SHA256(0x00 || data)``; roots and inclusion proofs equal pymerkle's.

Persistence (see ``docs/runlog.md``):

- SQLite in WAL mode; ``synchronous=FULL`` by default (each committed append survives
  power loss), configurable (``NORMAL`` survives a killed process, not power loss).
- Each append is one transaction that stores the record bytes with their leaf hash.
  Records must arrive in step order (``step = previous + 1``).
- One writer at a time: a writer holds an exclusive ``flock`` on ``<log>.lock`` for its
  whole life (released by the kernel if the process dies); a second writer gets
  :class:`LogLockedError`. Readers need no lock.
- Opening recomputes every leaf hash from the stored bytes and checks stored
  checkpoints against the recomputed roots; :meth:`RunLog.verify` additionally
  re-parses every record and checks signatures. Damage is reported with a typed error
  (:class:`LogIntegrityError`, :class:`MalformedError`), never truncated or "repaired".

Signed checkpoints are in-toto Statements (predicate ``.../checkpoint/v1``) in DSSE
envelopes signed with Ed25519; the subject is ``zkattest-runlog`` with the log root as
its ``sha256`` digest. The log also exports to / imports from JSON Lines, which
:func:`verify_jsonl` checks in one streaming pass, in O(log n) memory, without SQLite.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import sqlite3
import struct
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from zkattest.canonical import canonical_json, parse_json
from zkattest.constants import (
    CHECKPOINT_SUBJECT_NAME,
    CHECKPOINT_VERSION,
    LOG_DB_APPLICATION_ID,
    LOG_DB_SCHEMA_VERSION,
    LOG_DEFAULT_SYNCHRONOUS,
    LOG_EXPORT_FORMAT,
    LOG_EXPORT_VERSION,
    LOG_LEAF_VERSION,
    LOG_SYNCHRONOUS_LEVELS,
    MERKLE_HASH_ALGORITHM,
    PREDICATE_CHECKPOINT_V1,
)
from zkattest.dsse import b64decode, check_envelope, envelope_from_json, envelope_to_json
from zkattest.errors import (
    InvalidInputError,
    MalformedError,
    UnsupportedVersionError,
    VerificationError,
    ZkattestIOError,
)
from zkattest.merkle import (
    ConsistencyProof,
    Frontier,
    InclusionProof,
    MerkleTree,
    leaf_hash,
)
from zkattest.statement import Statement, build_statement, open_statement, sign_statement

__all__ = [
    "Checkpoint",
    "LogIntegrityError",
    "LogLockedError",
    "LogSummary",
    "RunLog",
    "StepOrderError",
    "StepRecord",
    "fp32_hex",
    "fp32_value",
    "verify_checkpoint",
    "verify_jsonl",
]


class StepOrderError(InvalidInputError):
    """A record was appended out of step order (``kind``: duplicate, reordered, gap)."""

    def __init__(self, message: str, *, kind: str, expected: int, got: int) -> None:
        super().__init__(message)
        self.kind = kind
        self.expected = expected
        self.got = got


class LogLockedError(ZkattestIOError):
    """Another writer holds the run log open for appending."""


class LogIntegrityError(VerificationError):
    """Stored log data does not match itself (leaf hash, step order, checkpoint root)."""


_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX8 = re.compile(r"[0-9a-f]{8}")
_RECORD_FIELDS = (
    "v",
    "step",
    "state_root",
    "grad_root",
    "batch_commitment",
    "tokens",
    "lr",
    "timestamp_ms",
    "extra",
)
_MAX_LOG_ID = 1024


# --- FP32 bit patterns -------------------------------------------------------------------


def fp32_hex(value: float, *, exact: bool = True) -> str:
    """The IEEE binary32 bit pattern of ``value`` as 8 lowercase hex digits.

    With ``exact`` (default), ``value`` must be exactly representable in FP32 (pass the
    FP32 value the optimizer used, e.g. ``float(np.float32(lr))``); anything that would
    round raises :class:`InvalidInputError` rather than silently logging another
    number. ``exact=False`` rounds to nearest-even instead.
    """
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"fp32_hex: {value!r} is not a number") from None
    try:
        packed = struct.pack(">f", x)
    except OverflowError:
        raise InvalidInputError(f"fp32_hex: {x!r} overflows FP32") from None
    back = struct.unpack(">f", packed)[0]
    if exact and back != x and not (x != x and back != back):
        raise InvalidInputError(f"fp32_hex: {x!r} is not exactly representable in FP32")
    return packed.hex()


def fp32_value(bits: str) -> float:
    """The FP32 value of an 8-hex-digit bit pattern (exact, as a Python float)."""
    if not isinstance(bits, str) or not _HEX8.fullmatch(bits):
        raise InvalidInputError(f"fp32_value: {bits!r} is not 8 lowercase hex digits")
    return struct.unpack(">f", bytes.fromhex(bits))[0]


# --- StepRecord --------------------------------------------------------------------------


def _no_floats(obj: Any, path: str, err: type[Exception]) -> None:
    if type(obj) is float:
        raise err(f"{path}: floats are not allowed in a step record (store FP32 bit patterns)")
    if isinstance(obj, dict):
        for k, v in obj.items():
            _no_floats(v, f"{path}.{k}", err)
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            _no_floats(v, f"{path}[{i}]", err)


@dataclass(frozen=True)
class StepRecord:
    """One optimizer step as committed in the run log (one leaf).

    Hashes are 64 lowercase hex digits (32-byte commitments); ``lr`` is the FP32
    learning rate used at this step as 8 lowercase hex digits (see :func:`fp32_hex`);
    ``timestamp_ms`` is Unix time in milliseconds (an integer, so the record has no
    float). ``extra`` holds further JSON fields (no floats) for invariants, e.g. a
    gradient-norm bit pattern.
    """

    step: int
    state_root: str
    grad_root: str
    batch_commitment: str
    tokens: int
    lr: str
    timestamp_ms: int
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._validate(InvalidInputError)

    def _validate(self, err: type[Exception]) -> None:
        where = f"step record (step {self.step!r})"
        for name in ("step", "tokens", "timestamp_ms"):
            v = getattr(self, name)
            if type(v) is not int or v < 0:
                raise err(f"{where}: {name} must be a non-negative int, got {v!r}")
        for name in ("state_root", "grad_root", "batch_commitment"):
            v = getattr(self, name)
            if not isinstance(v, str) or not _HEX64.fullmatch(v):
                raise err(f"{where}: {name} must be 64 lowercase hex digits, got {v!r}")
        if not isinstance(self.lr, str) or not _HEX8.fullmatch(self.lr):
            raise err(
                f"{where}: lr must be the FP32 bit pattern as 8 lowercase hex digits "
                f"(see fp32_hex), got {self.lr!r}"
            )
        if not isinstance(self.extra, Mapping):
            raise err(f"{where}: extra must be a mapping")
        _no_floats(dict(self.extra), f"{where}: extra", err)
        try:
            canonical_json(dict(self.extra))
        except InvalidInputError as e:
            raise err(f"{where}: extra: {e}") from None

    def to_dict(self) -> dict[str, Any]:
        """JSON form (with the leaf format version ``v``)."""
        return {
            "v": LOG_LEAF_VERSION,
            "step": self.step,
            "state_root": self.state_root,
            "grad_root": self.grad_root,
            "batch_commitment": self.batch_commitment,
            "tokens": self.tokens,
            "lr": self.lr,
            "timestamp_ms": self.timestamp_ms,
            "extra": dict(self.extra),
        }

    def to_bytes(self) -> bytes:
        """Canonical JSON bytes: the Merkle leaf data."""
        return canonical_json(self.to_dict())

    def leaf_hash(self) -> bytes:
        """RFC 9162 leaf hash of :meth:`to_bytes`."""
        return leaf_hash(self.to_bytes())

    @classmethod
    def from_dict(cls, d: Any, what: str = "step record") -> StepRecord:
        """Parse the JSON form; raises :class:`MalformedError` naming the field."""
        if not isinstance(d, Mapping):
            raise MalformedError(f"{what} must be a JSON object")
        if "v" not in d:
            raise MalformedError(f"{what}: missing field 'v'")
        if d["v"] != LOG_LEAF_VERSION:
            raise UnsupportedVersionError(
                f"{what}: leaf format version {d['v']!r}, this build reads {LOG_LEAF_VERSION}"
            )
        missing = [k for k in _RECORD_FIELDS if k not in d]
        if missing:
            raise MalformedError(f"{what}: missing field(s) {', '.join(missing)}")
        unknown = sorted(set(d) - set(_RECORD_FIELDS))
        if unknown:
            raise MalformedError(f"{what}: unknown field(s) {', '.join(unknown)}")
        rec = object.__new__(cls)
        for k in _RECORD_FIELDS[1:]:
            object.__setattr__(rec, k, d[k])
        rec._validate(MalformedError)
        return rec

    @classmethod
    def from_bytes(
        cls, data: bytes, what: str = "step record", *, parsed: Any = None
    ) -> StepRecord:
        """Parse leaf bytes; they must be exactly the canonical form.

        ``parsed`` is ``parse_json(data)`` when the caller already has it.
        """
        rec = cls.from_dict(parse_json(data, what) if parsed is None else parsed, what)
        if rec.to_bytes() != bytes(data):
            raise MalformedError(f"{what}: bytes are not in canonical JSON form")
        return rec


def _coerce_record(record: Any) -> StepRecord:
    if isinstance(record, StepRecord):
        return record
    if isinstance(record, Mapping):
        d = dict(record)
        if "v" in d:
            if d["v"] != LOG_LEAF_VERSION:
                raise UnsupportedVersionError(f"step record: leaf format version {d['v']!r}")
            del d["v"]
        try:
            return StepRecord(**d)
        except TypeError as e:
            raise InvalidInputError(f"step record: {e}") from None
    raise InvalidInputError(f"expected a StepRecord or a dict, got {type(record).__name__}")


# --- checkpoints -------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """The content of a signed checkpoint: the log ``log_id`` had ``size`` leaves and
    root ``root`` at ``timestamp_ms``."""

    log_id: str
    size: int
    root: bytes
    timestamp_ms: int
    first_step: int


@dataclass(frozen=True)
class LogSummary:
    """What a full verification established."""

    log_id: str
    first_step: int
    size: int
    root: bytes
    checkpoints: tuple[Checkpoint, ...]
    signatures_checked: bool


def _checkpoint_statement(
    log_id: str, first_step: int, size: int, root: bytes, ts: int
) -> Statement:
    predicate = {
        "v": CHECKPOINT_VERSION,
        "log_id": log_id,
        "first_step": first_step,
        "size": size,
        "root": root.hex(),
        "hash_alg": MERKLE_HASH_ALGORITHM,
        "timestamp_ms": ts,
    }
    subject = {"name": CHECKPOINT_SUBJECT_NAME, "digest": {"sha256": root.hex()}}
    return build_statement(subject, PREDICATE_CHECKPOINT_V1, predicate)


def _checkpoint_from_statement(st: Statement, what: str) -> Checkpoint:
    p = st.predicate
    if p.get("v") != CHECKPOINT_VERSION:
        raise UnsupportedVersionError(f"{what}: checkpoint version {p.get('v')!r}")
    for k in ("size", "timestamp_ms", "first_step"):
        if type(p.get(k)) is not int or p[k] < 0:
            raise MalformedError(f"{what}.predicate.{k} must be a non-negative integer")
    if not isinstance(p.get("log_id"), str) or not p["log_id"]:
        raise MalformedError(f"{what}.predicate.log_id must be a non-empty string")
    if not isinstance(p.get("root"), str) or not _HEX64.fullmatch(p["root"]):
        raise MalformedError(f"{what}.predicate.root must be 64 lowercase hex digits")
    if p.get("hash_alg") != MERKLE_HASH_ALGORITHM:
        raise MalformedError(f"{what}.predicate.hash_alg must be {MERKLE_HASH_ALGORITHM!r}")
    if st.digest_of(CHECKPOINT_SUBJECT_NAME, "sha256") != p["root"]:
        raise VerificationError(f"{what}: subject digest differs from predicate.root")
    return Checkpoint(
        p["log_id"], p["size"], bytes.fromhex(p["root"]), p["timestamp_ms"], p["first_step"]
    )


def verify_checkpoint(
    envelope: Mapping[str, Any] | bytes | str,
    public_keys: Ed25519PublicKey | Iterable[Ed25519PublicKey],
    *,
    log_id: str | None = None,
    what: str = "checkpoint",
) -> Checkpoint:
    """Verify a signed checkpoint envelope and return its content.

    Checks the DSSE signature, the statement, the predicate type and fields, that the
    subject digest equals the root and, if given, the ``log_id``. Raises
    :class:`VerificationError` / :class:`MalformedError`.
    """
    st = open_statement(envelope, public_keys, PREDICATE_CHECKPOINT_V1, what=what)
    cp = _checkpoint_from_statement(st, what)
    if log_id is not None and cp.log_id != log_id:
        raise VerificationError(f"{what}: log_id is {cp.log_id!r}, expected {log_id!r}")
    return cp


def _unverified_checkpoint(envelope: Mapping[str, Any], what: str) -> Checkpoint:
    """Parse a checkpoint without checking its signature (used when no key is given;
    the root is still checked against the records)."""
    st = Statement.from_json(b64decode(envelope["payload"], f"{what}.payload"), what)
    if st.predicate_type != PREDICATE_CHECKPOINT_V1:
        raise MalformedError(f"{what}: predicateType {st.predicate_type!r} is not a checkpoint")
    return _checkpoint_from_statement(st, what)


def _read_checkpoint(env: Mapping[str, Any], keys: Any, log_id: str, what: str) -> Checkpoint:
    if keys is not None:
        return verify_checkpoint(env, keys, log_id=log_id, what=what)
    cp = _unverified_checkpoint(env, what)
    if cp.log_id != log_id:
        raise LogIntegrityError(f"{what}: log_id is {cp.log_id!r}, expected {log_id!r}")
    return cp


# --- SQLite ------------------------------------------------------------------------------

_SCHEMA = f"""
PRAGMA application_id = {LOG_DB_APPLICATION_ID};
PRAGMA user_version = {LOG_DB_SCHEMA_VERSION};
CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value NOT NULL);
CREATE TABLE records (
    idx INTEGER PRIMARY KEY CHECK (idx >= 0),
    leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32),
    data BLOB NOT NULL
);
CREATE TABLE checkpoints (
    seq INTEGER PRIMARY KEY,
    size INTEGER NOT NULL CHECK (size >= 0),
    root BLOB NOT NULL CHECK (length(root) = 32),
    envelope BLOB NOT NULL
);
"""
_META_KEYS = ("format", "log_id", "first_step", "leaf_version", "hash_alg", "size", "created_ms")
_DB_FORMAT = "zkattest-runlog"


@contextlib.contextmanager
def _db_errors(path: Path, action: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as e:
        raise ZkattestIOError(f"{path}: cannot {action}: {e}") from None
    except sqlite3.DatabaseError as e:  # "file is not a database", "malformed", ...
        raise MalformedError(f"{path}: not a readable run log ({e})") from None


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class RunLog:
    """An append-only Merkle log of :class:`StepRecord`s in a SQLite file.

    Create with :meth:`create`, open with :meth:`open`; use as a context manager (or
    call :meth:`close`) so the writer lock is released promptly. Indices are 0-based:
    record ``i`` holds step ``first_step + i``. Thread-safe.
    """

    def __init__(self, *_: Any, **__: Any) -> None:
        raise InvalidInputError("use RunLog.create(...) or RunLog.open(...)")

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def _new(cls, path: Path, mode: str) -> RunLog:
        self = object.__new__(cls)
        self._path = path
        self._mode = mode
        self._conn: sqlite3.Connection | None = None
        self._lock_fd: int | None = None
        self._mutex = threading.RLock()
        self._tree = MerkleTree()
        self._log_id = ""
        self._first_step = 0
        return self

    @staticmethod
    def _check_sync(synchronous: str) -> str:
        s = synchronous.upper() if isinstance(synchronous, str) else synchronous
        if s not in LOG_SYNCHRONOUS_LEVELS:
            raise InvalidInputError(
                f"synchronous must be one of {', '.join(LOG_SYNCHRONOUS_LEVELS)}, "
                f"got {synchronous!r}"
            )
        return s

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        log_id: str,
        *,
        first_step: int = 0,
        synchronous: str = LOG_DEFAULT_SYNCHRONOUS,
    ) -> RunLog:
        """Create a new, empty log at ``path`` and open it for appending.

        ``log_id`` names the run (use the spec digest); it is bound into every
        checkpoint. Refuses to overwrite an existing file.
        """
        if not isinstance(log_id, str) or not log_id or len(log_id) > _MAX_LOG_ID:
            raise InvalidInputError(
                f"log_id must be a non-empty str of at most {_MAX_LOG_ID} chars"
            )
        if any(ord(c) < 0x20 for c in log_id):
            raise InvalidInputError("log_id must not contain control characters")
        if type(first_step) is not int or first_step < 0:
            raise InvalidInputError(f"first_step must be a non-negative int, got {first_step!r}")
        sync = cls._check_sync(synchronous)
        path = Path(path)
        self = cls._new(path, "a")
        self._acquire_lock()
        try:
            for p in (path, Path(f"{path}-wal")):
                if p.exists():
                    raise ZkattestIOError(f"{p}: already exists; refusing to overwrite a run log")
            # Build the schema in a temporary file and link it into place, so a crash
            # never leaves a half-initialized log under the final name.
            tmp = path.with_name(f".{path.name}.{os.getpid()}.creating")
            tmp.unlink(missing_ok=True)
            try:
                with _db_errors(tmp, "create the run log"):
                    conn = sqlite3.connect(tmp, isolation_level=None)
                    try:
                        conn.executescript(_SCHEMA)
                        conn.execute("BEGIN")
                        meta = {
                            "format": _DB_FORMAT,
                            "log_id": log_id,
                            "first_step": first_step,
                            "leaf_version": LOG_LEAF_VERSION,
                            "hash_alg": MERKLE_HASH_ALGORITHM,
                            "size": 0,
                            "created_ms": _now_ms(),
                        }
                        conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
                        conn.execute("COMMIT")
                        conn.execute("PRAGMA journal_mode=WAL")
                    finally:
                        conn.close()
                fd = os.open(tmp, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
                try:
                    os.link(tmp, path)
                except FileExistsError:
                    raise ZkattestIOError(
                        f"{path}: already exists; refusing to overwrite"
                    ) from None
                except OSError as e:
                    raise ZkattestIOError(f"{path}: cannot create run log: {e.strerror}") from None
            finally:
                tmp.unlink(missing_ok=True)
            _fsync_dir(path.parent)
            self._connect(sync)
            self._load(check=True)
        except BaseException:
            self.close()
            raise
        return self

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        mode: str = "r",
        *,
        synchronous: str = LOG_DEFAULT_SYNCHRONOUS,
        check: bool = True,
    ) -> RunLog:
        """Open an existing log, ``mode`` ``"r"`` (read-only) or ``"a"`` (append).

        Loads every leaf hash and rebuilds the tree (O(n)). With ``check`` (default) it
        also runs SQLite's quick_check, recomputes each leaf hash from the stored bytes
        and checks stored checkpoints against the recomputed roots.
        """
        if mode not in ("r", "a"):
            raise InvalidInputError(f"mode must be 'r' or 'a', got {mode!r}")
        sync = cls._check_sync(synchronous)
        path = Path(path)
        if not path.exists():
            raise ZkattestIOError(f"{path}: run log not found")
        if not path.is_file():
            raise ZkattestIOError(f"{path}: not a file")
        self = cls._new(path, mode)
        try:
            if mode == "a":
                self._acquire_lock()
            self._connect(sync)
            self._load(check=check)
        except BaseException:
            self.close()
            raise
        return self

    def _acquire_lock(self) -> None:
        lock_path = Path(f"{self._path}.lock")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as e:
            raise ZkattestIOError(f"{lock_path}: cannot open lock file: {e.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = ""
            with contextlib.suppress(OSError):
                holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            os.close(fd)
            raise LogLockedError(
                f"{self._path}: already open for appending by another writer"
                + (f" (pid {holder})" if holder else "")
                + f"; lock file {lock_path}"
            ) from None
        except OSError as e:
            os.close(fd)
            raise ZkattestIOError(f"{lock_path}: cannot lock: {e.strerror}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock_fd = fd

    def _connect(self, sync: str) -> None:
        with _db_errors(self._path, "open the run log"):
            if self._mode == "a":
                conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            else:
                uri = f"{self._path.resolve().as_uri()}?mode=ro"
                conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            self._conn = conn
            conn.execute("PRAGMA busy_timeout = 5000")
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if app_id != LOG_DB_APPLICATION_ID:
                raise MalformedError(
                    f"{self._path}: not a zkattest run log (application_id {app_id:#x})"
                )
            if version != LOG_DB_SCHEMA_VERSION:
                raise UnsupportedVersionError(
                    f"{self._path}: run-log schema version {version}, this build reads "
                    f"{LOG_DB_SCHEMA_VERSION}"
                )
            if self._mode == "a":
                jm = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if jm.lower() != "wal":
                    raise ZkattestIOError(f"{self._path}: cannot enable WAL mode (got {jm})")
                conn.execute(f"PRAGMA synchronous = {sync}")

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise InvalidInputError(f"{self._path}: run log is closed")
        return self._conn

    def _load(self, check: bool) -> None:
        conn = self._db()
        with _db_errors(self._path, "read the run log"):
            if check:
                res = [r[0] for r in conn.execute("PRAGMA quick_check")]
                if res != ["ok"]:
                    raise MalformedError(
                        f"{self._path}: SQLite integrity check failed: {'; '.join(res[:5])}"
                    )
            conn.execute("BEGIN")  # one consistent snapshot for meta + records + checkpoints
            try:
                meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
                self._read_meta(meta)
                tree = MerkleTree()
                cols = "idx, leaf_hash, data" if check else "idx, leaf_hash"
                for row in conn.execute(f"SELECT {cols} FROM records ORDER BY idx"):
                    self._check_row(row, tree.size, check)
                    tree.append(bytes(row[1]))
                if tree.size != meta["size"]:
                    raise LogIntegrityError(
                        f"{self._path}: meta says {meta['size']} records, found {tree.size}"
                    )
                self._tree = tree
                if check:
                    for seq, size, root, env in conn.execute(
                        "SELECT seq, size, root, envelope FROM checkpoints ORDER BY seq"
                    ):
                        self._check_stored_checkpoint(seq, size, root, env, None)
            finally:
                conn.execute("COMMIT")

    def _read_meta(self, meta: dict[str, Any]) -> None:
        missing = [k for k in _META_KEYS if k not in meta]
        if missing:
            raise MalformedError(f"{self._path}: run-log metadata lacks {', '.join(missing)}")
        if meta["format"] != _DB_FORMAT:
            raise MalformedError(
                f"{self._path}: not a zkattest run log (format {meta['format']!r})"
            )
        if meta["leaf_version"] != LOG_LEAF_VERSION:
            raise UnsupportedVersionError(f"{self._path}: leaf version {meta['leaf_version']!r}")
        if meta["hash_alg"] != MERKLE_HASH_ALGORITHM:
            raise UnsupportedVersionError(f"{self._path}: hash algorithm {meta['hash_alg']!r}")
        if not isinstance(meta["log_id"], str) or not meta["log_id"]:
            raise MalformedError(f"{self._path}: bad log_id in metadata")
        for k in ("first_step", "size"):
            if type(meta[k]) is not int or meta[k] < 0:
                raise MalformedError(f"{self._path}: bad {k} in metadata")
        self._log_id = meta["log_id"]
        self._first_step = meta["first_step"]

    def _check_row(self, row: tuple[Any, ...], expect_idx: int, check: bool) -> None:
        idx, lh = row[0], row[1]
        if idx != expect_idx:
            raise LogIntegrityError(
                f"{self._path}: record {expect_idx} is missing (next stored is {idx})"
            )
        if not isinstance(lh, bytes) or len(lh) != 32:
            raise LogIntegrityError(f"{self._path}: record {idx} has a malformed leaf hash")
        if check:
            data = row[2]
            if not isinstance(data, bytes) or leaf_hash(data) != lh:
                raise LogIntegrityError(
                    f"{self._path}: record {idx} (step {self._first_step + idx}): stored leaf "
                    "hash does not match the record bytes"
                )

    def _check_stored_checkpoint(
        self, seq: int, size: Any, root: Any, env_bytes: Any, keys: Any
    ) -> Checkpoint:
        what = f"{self._path}: checkpoint #{seq}"
        if not isinstance(env_bytes, bytes):
            raise MalformedError(f"{what}: stored envelope is not a blob")
        env = envelope_from_json(env_bytes, what)
        cp = _read_checkpoint(env, keys, self._log_id, what)
        if cp.size != size or cp.root != root or cp.first_step != self._first_step:
            raise LogIntegrityError(f"{what}: stored size/root differ from the signed ones")
        if cp.size > self._tree.size:
            raise LogIntegrityError(
                f"{what}: covers {cp.size} records but the log has {self._tree.size}"
            )
        if self._tree.root(cp.size) != cp.root:
            raise LogIntegrityError(
                f"{what}: signed root for size {cp.size} differs from the root recomputed "
                "from the records"
            )
        return cp

    # -- properties -----------------------------------------------------------------------

    @property
    def path(self) -> Path:
        """The SQLite file."""
        return self._path

    @property
    def mode(self) -> str:
        """``"r"`` or ``"a"``."""
        return self._mode

    @property
    def log_id(self) -> str:
        """The id bound into every checkpoint (normally the spec digest)."""
        return self._log_id

    @property
    def first_step(self) -> int:
        """Step number of record 0."""
        return self._first_step

    @property
    def size(self) -> int:
        """Number of records (as of the last append, or of opening for a reader)."""
        return self._tree.size

    def __len__(self) -> int:
        return self._tree.size

    # -- appending ------------------------------------------------------------------------

    def _writable(self) -> sqlite3.Connection:
        conn = self._db()
        if self._mode != "a":
            raise InvalidInputError(f"{self._path}: opened read-only (use mode='a' to append)")
        return conn

    def _order_error(self, step: int, expected: int) -> StepOrderError:
        if step > expected:
            kind, msg = "gap", f"step {step} skips step(s) {expected}..{step - 1}"
        elif step == expected - 1:
            kind, msg = "duplicate", f"step {step} is already the last record"
        else:
            kind, msg = (
                "reordered",
                f"step {step} is older than the last record (step {expected - 1})",
            )
        return StepOrderError(
            f"{self._path}: {msg}; the next record must be step {expected}",
            kind=kind,
            expected=expected,
            got=step,
        )

    def append(self, record: StepRecord | Mapping[str, Any]) -> int:
        """Append one record in its own transaction; returns its 0-based index.

        Raises :class:`StepOrderError` unless ``record.step`` is the next step.
        """
        return self.extend([record]) - 1

    def extend(self, records: Iterable[StepRecord | Mapping[str, Any]]) -> int:
        """Append several records atomically (one transaction; all or nothing).

        Returns the new size. Use it to bulk-load; a training loop calls :meth:`append`.
        """
        with self._mutex:
            conn = self._writable()
            rows: list[tuple[int, bytes, bytes]] = []
            base = self._tree.size
            for rec in records:
                r = _coerce_record(rec)
                expected = self._first_step + base + len(rows)
                if r.step != expected:
                    raise self._order_error(r.step, expected)
                data = r.to_bytes()
                rows.append((base + len(rows), leaf_hash(data), data))
            if not rows:
                return base
            with _db_errors(self._path, "append to the run log"):
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.executemany("INSERT INTO records VALUES (?, ?, ?)", rows)
                    conn.execute(
                        "UPDATE meta SET value = ? WHERE key = 'size'", (base + len(rows),)
                    )
                    conn.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                    raise
            for _, lh, _ in rows:
                self._tree.append(lh)
            return self._tree.size

    # -- reading --------------------------------------------------------------------------

    def _check_index(self, i: Any) -> int:
        if type(i) is not int or not 0 <= i < self._tree.size:
            raise InvalidInputError(
                f"record index {i!r} out of range for log size {self._tree.size}"
            )
        return i

    def record_bytes(self, i: int) -> bytes:
        """The stored leaf data of record ``i`` (checked against the in-memory tree)."""
        with self._mutex:
            i = self._check_index(i)
            with _db_errors(self._path, "read the run log"):
                row = self._db().execute("SELECT data FROM records WHERE idx = ?", (i,)).fetchone()
            if (
                row is None
                or not isinstance(row[0], bytes)
                or leaf_hash(row[0]) != self._tree.leaf(i)
            ):
                raise LogIntegrityError(
                    f"{self._path}: record {i} changed or vanished since it was loaded"
                )
            return row[0]

    def record(self, i: int) -> StepRecord:
        """Record ``i`` (0-based)."""
        return StepRecord.from_bytes(self.record_bytes(i), f"{self._path}: record {i}")

    def records(self, start: int = 0, stop: int | None = None) -> Iterator[StepRecord]:
        """Iterate records ``[start, stop)``."""
        stop = self._tree.size if stop is None else stop
        for i in range(start, stop):
            yield self.record(i)

    def leaf_hash(self, i: int) -> bytes:
        """Leaf hash of record ``i``."""
        with self._mutex:
            return self._tree.leaf(self._check_index(i))

    def root(self, size: int | None = None) -> bytes:
        """Merkle root of the first ``size`` records (default: all). O(log n)."""
        with self._mutex:
            return self._tree.root(size)

    def inclusion_proof(self, i: int, size: int | None = None) -> InclusionProof:
        """RFC 9162 inclusion proof of record ``i`` in the tree of ``size`` records."""
        with self._mutex:
            n = self._tree.size if size is None else size
            return InclusionProof(i, n, tuple(self._tree.inclusion_proof(i, n)))

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> ConsistencyProof:
        """RFC 9162 consistency proof that the ``new_size`` log extends the ``old_size`` one."""
        with self._mutex:
            n = self._tree.size if new_size is None else new_size
            return ConsistencyProof(old_size, n, tuple(self._tree.consistency_proof(old_size, n)))

    def refresh(self) -> int:
        """Reader: load records appended by the writer since opening. Returns the size."""
        with self._mutex:
            conn = self._db()
            with _db_errors(self._path, "read the run log"):
                for row in conn.execute(
                    "SELECT idx, leaf_hash, data FROM records WHERE idx >= ? ORDER BY idx",
                    (self._tree.size,),
                ):
                    self._check_row(row, self._tree.size, True)
                    self._tree.append(bytes(row[1]))
            return self._tree.size

    # -- checkpoints ----------------------------------------------------------------------

    def checkpoint(
        self, signing_key: Ed25519PrivateKey, *, timestamp_ms: int | None = None
    ) -> dict[str, Any]:
        """Sign a checkpoint of the current size and root, store it, and return the envelope."""
        if not isinstance(signing_key, Ed25519PrivateKey):
            raise InvalidInputError(
                f"signing_key must be an Ed25519 private key, got {type(signing_key).__name__}"
            )
        ts = _now_ms() if timestamp_ms is None else timestamp_ms
        if type(ts) is not int or ts < 0:
            raise InvalidInputError(f"timestamp_ms must be a non-negative int, got {ts!r}")
        with self._mutex:
            conn = self._writable()
            size, root = self._tree.size, self._tree.root()
            env = sign_statement(
                _checkpoint_statement(self._log_id, self._first_step, size, root, ts), signing_key
            )
            with _db_errors(self._path, "store a checkpoint"):
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.execute(
                        "INSERT INTO checkpoints (size, root, envelope) VALUES (?, ?, ?)",
                        (size, root, envelope_to_json(env)),
                    )
                    conn.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                    raise
            return env

    def checkpoints(self) -> list[dict[str, Any]]:
        """Every stored checkpoint envelope, oldest first."""
        with self._mutex:
            with _db_errors(self._path, "read checkpoints"):
                rows = (
                    self._db()
                    .execute("SELECT seq, envelope FROM checkpoints ORDER BY seq")
                    .fetchall()
                )
            return [
                envelope_from_json(env, f"{self._path}: checkpoint #{seq}") for seq, env in rows
            ]

    # -- verification ---------------------------------------------------------------------

    def verify(
        self, public_keys: Ed25519PublicKey | Iterable[Ed25519PublicKey] | None = None
    ) -> LogSummary:
        """Recompute everything from the stored records.

        SQLite quick_check; every record re-parsed (canonical form, version, fields),
        steps contiguous from ``first_step``, every leaf hash recomputed, the tree
        rebuilt from scratch and compared with the in-memory one, every checkpoint's
        root compared with the recomputed root at its size and, when ``public_keys``
        is given, every checkpoint signature verified. Raises on the first problem.
        """
        with self._mutex:
            conn = self._db()
            with _db_errors(self._path, "verify the run log"):
                res = [r[0] for r in conn.execute("PRAGMA quick_check")]
                if res != ["ok"]:
                    raise MalformedError(
                        f"{self._path}: SQLite integrity check failed: {'; '.join(res[:5])}"
                    )
                conn.execute("BEGIN")
                try:
                    tree = MerkleTree()
                    for row in conn.execute(
                        "SELECT idx, leaf_hash, data FROM records ORDER BY idx"
                    ):
                        self._check_row(row, tree.size, True)
                        step = self._first_step + tree.size
                        rec = StepRecord.from_bytes(row[2], f"{self._path}: record {row[0]}")
                        if rec.step != step:
                            raise LogIntegrityError(
                                f"{self._path}: record {row[0]} holds step {rec.step}, "
                                f"expected {step}"
                            )
                        tree.append(bytes(row[1]))
                    n = tree.size
                    if n < self._tree.size or tree.root(self._tree.size) != self._tree.root():
                        raise LogIntegrityError(
                            f"{self._path}: stored records differ from the ones loaded"
                        )
                    meta_size = conn.execute("SELECT value FROM meta WHERE key = 'size'").fetchone()
                    if meta_size is None or meta_size[0] != n:
                        raise LogIntegrityError(
                            f"{self._path}: meta size disagrees with the records"
                        )
                    self._tree = tree
                    cps = [
                        self._check_stored_checkpoint(seq, size, root, env, public_keys)
                        for seq, size, root, env in conn.execute(
                            "SELECT seq, size, root, envelope FROM checkpoints ORDER BY seq"
                        )
                    ]
                finally:
                    conn.execute("COMMIT")
            return LogSummary(
                self._log_id, self._first_step, n, tree.root(), tuple(cps), public_keys is not None
            )

    # -- export / import ------------------------------------------------------------------

    def _export_lines(self) -> Iterator[bytes]:
        conn = self._db()
        header = {
            "format": LOG_EXPORT_FORMAT,
            "version": LOG_EXPORT_VERSION,
            "log_id": self._log_id,
            "first_step": self._first_step,
            "leaf_version": LOG_LEAF_VERSION,
            "hash_alg": MERKLE_HASH_ALGORITHM,
        }
        yield canonical_json(header)
        n = self._tree.size
        with _db_errors(self._path, "export the run log"):
            cps: dict[int, list[bytes]] = {}
            for size, env in conn.execute("SELECT size, envelope FROM checkpoints ORDER BY seq"):
                if size <= n:
                    cps.setdefault(size, []).append(env)

            def checkpoint_lines(size: int) -> Iterator[bytes]:
                for env in cps.get(size, ()):
                    yield canonical_json({"checkpoint": parse_json(env, "stored checkpoint")})

            yield from checkpoint_lines(0)
            rows = conn.execute(
                "SELECT idx, leaf_hash, data FROM records WHERE idx < ? ORDER BY idx", (n,)
            )
            for i, row in enumerate(rows):
                self._check_row(row, i, True)
                if row[1] != self._tree.leaf(i):
                    raise LogIntegrityError(f"{self._path}: record {i} changed since it was loaded")
                yield row[2]
                yield from checkpoint_lines(i + 1)
        yield canonical_json({"end": {"size": n, "root": self._tree.root().hex()}})

    def export_jsonl(self, dest: str | os.PathLike[str] | IO[bytes]) -> None:
        """Write the log as JSON Lines (header, one record per line with its checkpoints
        after the record that completes their size, trailer). ``dest`` is a path
        (written atomically) or a binary file object."""
        with self._mutex:
            if hasattr(dest, "write"):
                for line in self._export_lines():
                    dest.write(line + b"\n")  # type: ignore[union-attr]
                return
            p = Path(dest)  # type: ignore[arg-type]
            tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
            try:
                with open(tmp, "wb") as f:
                    for line in self._export_lines():
                        f.write(line + b"\n")
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, p)
            except OSError as e:
                tmp.unlink(missing_ok=True)
                raise ZkattestIOError(f"{p}: cannot write export: {e.strerror}") from None
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise

    @classmethod
    def import_jsonl(
        cls,
        src: str | os.PathLike[str],
        path: str | os.PathLike[str],
        *,
        public_keys: Ed25519PublicKey | Iterable[Ed25519PublicKey] | None = None,
        synchronous: str = LOG_DEFAULT_SYNCHRONOUS,
    ) -> RunLog:
        """Verify a JSON Lines export (:func:`verify_jsonl`) and load it into a new log
        at ``path`` (opened for appending). Nothing is created if verification fails."""
        summary = verify_jsonl(src, public_keys)
        log = cls.create(
            path, summary.log_id, first_step=summary.first_step, synchronous=synchronous
        )
        try:
            with open(src, "rb") as f:
                conn = log._writable()
                batch: list[StepRecord] = []
                for kind, obj, _ in _iter_export(f, str(src)):
                    if kind == "record":
                        batch.append(obj)
                        if len(batch) >= 4096:
                            log.extend(batch)
                            batch = []
                    elif kind == "checkpoint":
                        log.extend(batch)
                        batch = []
                        env_bytes = envelope_to_json(obj)
                        cp = _unverified_checkpoint(obj, "checkpoint")
                        with _db_errors(log.path, "store a checkpoint"):
                            conn.execute(
                                "INSERT INTO checkpoints (size, root, envelope) VALUES (?, ?, ?)",
                                (cp.size, cp.root, env_bytes),
                            )
                log.extend(batch)
            if log.size != summary.size or log.root() != summary.root:
                raise LogIntegrityError(f"{src}: changed while it was being imported")
        except BaseException:
            log.close()
            for suffix in ("", "-wal", "-shm", ".lock"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            raise
        return log

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database and release the writer lock (idempotent)."""
        with self._mutex:
            if self._conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.close()
                self._conn = None
            if self._lock_fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._lock_fd)  # closing the descriptor drops the flock
                self._lock_fd = None

    def __del__(self) -> None:
        # A dropped writer must not keep the lock until interpreter exit.
        with contextlib.suppress(Exception):
            self.close()

    def __enter__(self) -> RunLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RunLog({str(self._path)!r}, mode={self._mode!r}, size={self.size})"


def _fsync_dir(d: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(d, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --- JSON Lines export -------------------------------------------------------------------


def _iter_export(f: IO[bytes], name: str) -> Iterator[tuple[str, Any, bytes]]:
    """Yield ``("header"|"record"|"checkpoint"|"end", parsed, raw_line)``; checks syntax
    and line order, not hashes or signatures."""
    seen_end = False
    for lineno, raw in enumerate(f, 1):
        where = f"{name}:{lineno}"
        if not raw.endswith(b"\n"):
            raise MalformedError(f"{where}: last line has no newline (truncated export?)")
        line = raw[:-1]
        if seen_end:
            raise MalformedError(f"{where}: data after the end line")
        obj = parse_json(line, where)
        if lineno == 1:
            if not isinstance(obj, dict) or obj.get("format") != LOG_EXPORT_FORMAT:
                raise MalformedError(f"{where}: not a zkattest run-log export (bad header)")
            if obj.get("version") != LOG_EXPORT_VERSION:
                raise UnsupportedVersionError(f"{where}: export version {obj.get('version')!r}")
            yield "header", obj, line
        elif isinstance(obj, dict) and set(obj) == {"checkpoint"}:
            env = obj["checkpoint"]
            check_envelope(env, f"{where}: checkpoint")
            yield "checkpoint", env, line
        elif isinstance(obj, dict) and set(obj) == {"end"}:
            seen_end = True
            yield "end", obj["end"], line
        else:
            yield "record", StepRecord.from_bytes(line, where, parsed=obj), line
    if not seen_end:
        raise MalformedError(f"{name}: no end line (truncated export?)")


def verify_jsonl(
    src: str | os.PathLike[str] | IO[bytes],
    public_keys: Ed25519PublicKey | Iterable[Ed25519PublicKey] | None = None,
    *,
    log_id: str | None = None,
) -> LogSummary:
    """Verify a JSON Lines export in one streaming pass (O(log n) memory, no SQLite).

    Every record is re-parsed (canonical bytes), steps must be contiguous, the root is
    recomputed with a :class:`~zkattest.merkle.Frontier`, every checkpoint's root is
    compared with the root at its position (and its signature checked when
    ``public_keys`` is given), and the trailer's size and root must match. ``log_id``,
    when given, must match the header.
    """
    if hasattr(src, "read"):
        return _verify_stream(src, getattr(src, "name", "<stream>"), public_keys, log_id)  # type: ignore[arg-type]
    try:
        f = open(src, "rb")  # type: ignore[arg-type]
    except FileNotFoundError:
        raise ZkattestIOError(f"{src}: export file not found") from None
    except OSError as e:
        raise ZkattestIOError(f"{src}: cannot read: {e.strerror}") from None
    with f:
        return _verify_stream(f, str(src), public_keys, log_id)


def _verify_stream(f: IO[bytes], name: str, public_keys: Any, log_id: str | None) -> LogSummary:
    frontier = Frontier()
    header: dict[str, Any] = {}
    cps: list[Checkpoint] = []
    end: Any = None
    for kind, obj, line in _iter_export(f, name):
        if kind == "header":
            header = obj
            if not isinstance(obj.get("log_id"), str) or not obj["log_id"]:
                raise MalformedError(f"{name}: header.log_id must be a non-empty string")
            if type(obj.get("first_step")) is not int or obj["first_step"] < 0:
                raise MalformedError(f"{name}: header.first_step must be a non-negative integer")
            if (
                obj.get("leaf_version") != LOG_LEAF_VERSION
                or obj.get("hash_alg") != MERKLE_HASH_ALGORITHM
            ):
                raise UnsupportedVersionError(f"{name}: unsupported leaf version or hash algorithm")
            if log_id is not None and obj["log_id"] != log_id:
                raise VerificationError(f"{name}: log_id is {obj['log_id']!r}, expected {log_id!r}")
        elif kind == "record":
            step = header["first_step"] + frontier.size
            if obj.step != step:
                raise LogIntegrityError(
                    f"{name}: record {frontier.size} holds step {obj.step}, expected {step}"
                )
            frontier.append(leaf_hash(line))
        elif kind == "checkpoint":
            what = f"{name}: checkpoint after record {frontier.size}"
            cp = _read_checkpoint(obj, public_keys, header["log_id"], what)
            if cp.size != frontier.size or cp.first_step != header["first_step"]:
                raise LogIntegrityError(
                    f"{what}: covers {cp.size} records, placed after {frontier.size}"
                )
            if cp.root != frontier.root():
                raise LogIntegrityError(f"{what}: signed root differs from the recomputed root")
            cps.append(cp)
        else:
            end = obj
    if (
        not isinstance(end, dict)
        or end.get("size") != frontier.size
        or end.get("root") != frontier.root().hex()
    ):
        raise LogIntegrityError(f"{name}: end line does not match the recomputed size and root")
    return LogSummary(
        header["log_id"],
        header["first_step"],
        frontier.size,
        frontier.root(),
        tuple(cps),
        public_keys is not None,
    )
