"""The witness store: the raw training state a step proof needs, kept on disk until proving.

A step proof of step ``t`` reads chunks of the state before (``r_t``: parameters and
optimizer buffers), the gradients (``g_t``) and the state after (``r_t+1``). Which
chunks are challenged is only known once the final log root is signed (Fiat-Shamir,
:mod:`zkattest.proofs`), so a run that proves its own challenges keeps every committed
state and gradient until then. :func:`zkattest.attest` fills the store when proving is
enabled (``prove=True``) and deletes it after proving unless ``keep_witness=True``.

Layout, in ``<work dir>/witness/``::

    state-00000000.wit   the committed state r_0 (every tensor the state root covers)
    grad-00000000.wit    the committed gradients g_0
    state-00000001.wit   r_1 ...

Each file is ``MAGIC | u64 header length | canonical JSON header | tensor bytes``; the
header lists ``[name, dtype tag, shape, offset, nbytes]`` per tensor, data offsets are
64-byte aligned. Files are written to a temporary name and renamed, so a reader never
sees a half-written file; :meth:`WitnessStore.sync` fsyncs what was written since the
last call (``attest`` calls it before each checkpoint makes records durable, so the log
never runs ahead of its witnesses and a resumed run can still prove every step).

**Size.** Everything committed is stored: per step, the full state (parameters, optimizer
buffers, step counters, module buffers) plus the gradients. For FP32 AdamW that is
about ``4 x 4 = 16`` bytes per parameter per step (parameter, gradient, ``exp_avg``,
``exp_avg_sq``), 12 for SGD with momentum, 8 for plain SGD: a 1M-parameter AdamW run
of 1,000 steps needs about 16 GB. The demo MLP (2,410 parameters) needs 39 KB per step.
Runs that cannot afford it prove with verifier-supplied challenges or a lower fraction
(the store is the same size whatever the fraction: challenges come after training).
"""

from __future__ import annotations

import json
import os
import shutil
import struct
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np

from zkattest.commit import TensorBytes, as_tensor_bytes
from zkattest.errors import InvalidInputError, MalformedError, ZkattestIOError

__all__ = ["WITNESS_DIR", "WITNESS_MAGIC", "WitnessStore"]

#: Directory of the store inside a run's work directory.
WITNESS_DIR: Final = "witness"
#: First 8 bytes of every witness file (format version 1).
WITNESS_MAGIC: Final = b"ZKWIT\x00\x01\x00"
#: Data offsets are aligned to this many bytes (so u32 views are aligned).
_ALIGN: Final = 64
#: Largest header accepted when reading (names and shapes only).
_MAX_HEADER: Final = 64 << 20
_KINDS: Final = ("state", "grad")


def _pad(n: int) -> int:
    return -n % _ALIGN


class WitnessStore:
    """An on-disk store of committed states and gradients, by step.

    ``put_state(t, tensors)`` stores ``r_t`` (the state committed under step key ``t``:
    the genesis state for ``t = 0``, the state after step ``t - 1`` otherwise);
    ``put_grads(t, tensors)`` stores the gradients of step ``t``. ``state(t)`` /
    ``grads(t)`` read them back as memory-mapped :class:`~zkattest.commit.TensorBytes`
    (so recommitting them gives the logged roots). Thread-safe for writes of distinct
    files (one writer thread per run is the intended use).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ZkattestIOError(f"{self.path}: cannot create the witness store: {e}") from None
        self._unsynced: list[Path] = []

    def __repr__(self) -> str:
        return f"WitnessStore({str(self.path)!r})"

    # -- writing ------------------------------------------------------------------------

    def _file(self, kind: str, step: int) -> Path:
        if type(step) is not int or step < 0:
            raise InvalidInputError(f"step must be a non-negative int, got {step!r}")
        return self.path / f"{kind}-{step:08d}.wit"

    def _put(self, kind: str, step: int, tensors: Mapping[str, Any]) -> Path:
        dest = self._file(kind, step)
        items = [(str(n), as_tensor_bytes(str(n), v)) for n, v in sorted(tensors.items())]
        entries, offset = [], 0
        for name, tb in items:
            entries.append([name, tb.dtype, list(tb.shape), offset, tb.nbytes])
            offset += tb.nbytes + _pad(tb.nbytes)
        header = json.dumps(
            {"kind": kind, "step": step, "tensors": entries}, separators=(",", ":")
        ).encode()
        start = len(WITNESS_MAGIC) + 8 + len(header)
        header += b" " * _pad(start)  # data starts aligned
        tmp = dest.with_suffix(".tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(WITNESS_MAGIC + struct.pack("<Q", len(header)) + header)
                for _, tb in items:
                    f.write(memoryview(tb.data))
                    f.write(b"\x00" * _pad(tb.nbytes))
            os.replace(tmp, dest)
        except OSError as e:
            raise ZkattestIOError(f"{dest}: cannot write witness: {e}") from None
        self._unsynced.append(dest)
        return dest

    def put_state(self, step: int, tensors: Mapping[str, Any]) -> Path:
        """Store the committed state ``r_step`` (every tensor the state root covers)."""
        return self._put("state", step, tensors)

    def put_grads(self, step: int, tensors: Mapping[str, Any]) -> Path:
        """Store the committed gradients of step ``step`` (names as committed)."""
        return self._put("grad", step, tensors)

    def sync(self) -> None:
        """Make every file written since the last call durable (fsync, then the dir)."""
        pending, self._unsynced = self._unsynced, []
        try:
            for p in pending:
                fd = os.open(p, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            if pending:
                fd = os.open(self.path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        except OSError as e:
            raise ZkattestIOError(f"{self.path}: cannot sync the witness store: {e}") from None

    # -- reading ------------------------------------------------------------------------

    def _get(self, kind: str, step: int) -> dict[str, TensorBytes]:
        path = self._file(kind, step)
        try:
            size = path.stat().st_size
            with open(path, "rb") as f:
                head = f.read(len(WITNESS_MAGIC) + 8)
                if len(head) < len(WITNESS_MAGIC) + 8 or head[:8] != WITNESS_MAGIC:
                    raise MalformedError(f"{path}: not a zkattest witness file")
                (hlen,) = struct.unpack("<Q", head[8:])
                if hlen > _MAX_HEADER or len(head) + hlen > size:
                    raise MalformedError(f"{path}: truncated witness header")
                header = json.loads(f.read(hlen))
        except FileNotFoundError:
            raise ZkattestIOError(
                f"{path}: no witness for {kind} {step} (was the run attested with prove=True, "
                "and the witness store kept?)"
            ) from None
        except OSError as e:
            raise ZkattestIOError(f"{path}: cannot read witness: {e}") from None
        except ValueError as e:
            raise MalformedError(f"{path}: unreadable witness header: {e}") from None
        base = len(WITNESS_MAGIC) + 8 + hlen
        if header.get("kind") != kind or header.get("step") != step:
            raise MalformedError(f"{path}: holds {header.get('kind')} {header.get('step')}")
        out: dict[str, TensorBytes] = {}
        mm = np.memmap(path, dtype=np.uint8, mode="r") if size > base else None
        try:
            for name, dtype, shape, offset, nbytes in header["tensors"]:
                if base + offset + nbytes > size:
                    raise MalformedError(f"{path}: tensor {name!r} runs past the end")
                data = (
                    mm[base + offset : base + offset + nbytes]
                    if mm is not None
                    else np.zeros(0, np.uint8)
                )
                out[name] = TensorBytes(dtype, tuple(shape), data)
        except (TypeError, ValueError, KeyError) as e:
            raise MalformedError(f"{path}: malformed witness header: {e}") from None
        return out

    def state(self, step: int) -> dict[str, TensorBytes]:
        """The stored state ``r_step`` (memory-mapped, read-only)."""
        return self._get("state", step)

    def grads(self, step: int) -> dict[str, TensorBytes]:
        """The stored gradients of step ``step`` (memory-mapped, read-only)."""
        return self._get("grad", step)

    def has(self, kind: str, step: int) -> bool:
        """Whether a ``"state"`` / ``"grad"`` witness of ``step`` is stored."""
        if kind not in _KINDS:
            raise InvalidInputError(f"kind must be one of {_KINDS}, got {kind!r}")
        return self._file(kind, step).exists()

    def files(self) -> Iterator[Path]:
        """Every witness file, sorted."""
        return iter(sorted(self.path.glob("*.wit")))

    def nbytes(self) -> int:
        """Total size of the stored witnesses in bytes."""
        return sum(p.stat().st_size for p in self.files())

    def remove(self) -> None:
        """Delete the store and everything in it."""
        self._unsynced = []
        shutil.rmtree(self.path, ignore_errors=True)
