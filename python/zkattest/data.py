"""Committed datasets and batches (DESIGN §2, invariant ``data_provenance``).

A dataset is committed to one root: an RFC 9162 SHA-256 Merkle tree (the same hashing as
the run log, :mod:`zkattest.merkle`) whose leaf ``i`` is the canonical bytes of example
``i`` (:func:`example_bytes`). The root and size go into the spec's ``dataset`` section.
During training a :class:`RecordingSampler` records the indices it yields; each step's
batch is committed as the RFC 9162 root over ``(index, example leaf hash)`` pairs
(:func:`batch_commitment`), so anyone holding the dataset can later check each batch
against the dataset root with inclusion proofs (:meth:`CommittedDataset.inclusion_proof`).

    data = CommittedDataset(torch_dataset)             # hashes every example once
    spec = TrainingSpec.from_torch(..., dataset_root=data.root.hex(),
                                   dataset_size=len(data), ...)
    sampler = data.sampler(seed=0)                     # a RecordingSampler
    loader = DataLoader(data, batch_size=32, sampler=sampler)  # num_workers=0

v1 limit: the batch of an optimizer step is "every index the sampler yielded since the
previous step", which is exact with ``num_workers=0`` (the DataLoader draws indices
lazily, one batch at a time). Worker processes prefetch batches ahead of the step; with
them, call :meth:`RecordingSampler.take` yourself or pass the indices to
``run.record_batch``.
"""

from __future__ import annotations

import bisect
import struct
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from zkattest import merkle
from zkattest.canonical import canonical_json, parse_json
from zkattest.errors import InvalidInputError, MalformedError, VerificationError

#: Domain tag prefixed to every example's canonical bytes (leaf data).
EXAMPLE_TAG: Final = b"zkattest.example.v1\x00"
#: Domain tag prefixed to every batch leaf (index, example leaf hash).
BATCH_TAG: Final = b"zkattest.batch.v1\x00"
#: Key under a step record's ``extra`` holding ``{"indices": [...]}`` of its batch.
RECORD_EXTRA_BATCH: Final = "batch"
#: Version of the batch multi-proof's JSON form (``v``).
MULTIPROOF_VERSION: Final = 1
#: Largest dataset a multi-proof may describe (the spec's bound), which also bounds
#: the recursion depth of :meth:`DatasetMultiproof.root` to 64.
_MAX_SIZE: Final = (1 << 64) - 1

__all__ = [
    "BATCH_TAG",
    "EXAMPLE_TAG",
    "MULTIPROOF_VERSION",
    "RECORD_EXTRA_BATCH",
    "CommittedDataset",
    "DatasetMultiproof",
    "RecordingSampler",
    "batch_commitment",
    "batch_leaf",
    "example_bytes",
]


def _array_of(value: Any, where: str) -> np.ndarray:
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch.Tensor, without importing torch
        value = value.detach().cpu().contiguous()
        if str(value.dtype) == "torch.bfloat16":
            import torch

            value = value.view(torch.int16)
        value = value.numpy()
    if isinstance(value, bool | int | float | np.generic):
        value = np.asarray(value)
    if not isinstance(value, np.ndarray):
        raise InvalidInputError(
            f"{where}: cannot encode a {type(value).__name__}; examples must be tensors, "
            "numpy arrays, numbers or tuples / lists of them (or pass encode=...)"
        )
    if value.dtype.kind not in "biuf":
        raise InvalidInputError(f"{where}: unsupported dtype {value.dtype}")
    return np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<"))


def example_bytes(example: Any, where: str = "example") -> bytes:
    """Canonical bytes of one example: the tag, a canonical JSON header listing each
    component's dtype and shape, then each component's raw little-endian bytes.

    An example is a tensor / numpy array / number or a tuple / list of them (what a
    ``Dataset.__getitem__`` typically returns, e.g. ``(x, y)``).
    """
    parts = example if isinstance(example, tuple | list) else (example,)
    arrays = [_array_of(p, f"{where}[{k}]") for k, p in enumerate(parts)]
    header = canonical_json([[a.dtype.str, list(a.shape)] for a in arrays])
    return b"".join(
        [EXAMPLE_TAG, struct.pack("<Q", len(header)), header, *(a.tobytes() for a in arrays)]
    )


def batch_leaf(index: int, example_leaf: bytes) -> bytes:
    """Leaf data of one batch element: tag, index as u64 LE, the example's leaf hash."""
    return BATCH_TAG + struct.pack("<Q", index) + example_leaf


def batch_commitment(indices: Sequence[int], example_leaves: Sequence[bytes]) -> bytes:
    """RFC 9162 SHA-256 root over the batch's ``(index, example leaf hash)`` pairs, in
    the order the examples were drawn."""
    if len(indices) != len(example_leaves):
        raise InvalidInputError("batch_commitment: one example leaf per index is required")
    if not indices:
        raise InvalidInputError("batch_commitment: the batch is empty")
    return merkle.root(
        [merkle.leaf_hash(batch_leaf(i, h)) for i, h in zip(indices, example_leaves, strict=True)]
    )


def _sorted_unique(indices: Iterable[Any], size: int, err: type[Exception]) -> tuple[int, ...]:
    out = []
    for i in indices:
        if type(i) is not int and not isinstance(i, np.integer):
            raise err(f"dataset index must be an int, got {type(i).__name__}")
        if not 0 <= int(i) < size:
            raise err(f"dataset index {int(i)} is outside the dataset (size {size})")
        out.append(int(i))
    return tuple(sorted(set(out)))


@dataclass(frozen=True)
class DatasetMultiproof:
    """A compact proof that examples ``indices`` are leaves ``leaves`` of the RFC 9162
    dataset tree of ``size`` examples (DESIGN §2, invariant ``data_provenance``).

    ``indices`` are sorted and unique; ``leaves[k]`` is the leaf hash of example
    ``indices[k]``; ``fill`` holds, left to right, the root of every maximal subtree
    of the RFC 9162 recursion that contains none of the indices. :meth:`root`
    recomputes the dataset root from these alone, so one proof covers every batch of a
    run: about ``|indices| * log2(size / |indices|)`` hashes, and never more than
    ``size`` leaves plus ``size`` fill hashes.
    """

    size: int
    indices: tuple[int, ...]
    leaves: tuple[bytes, ...]
    fill: tuple[bytes, ...]

    def root(self) -> bytes:
        """Recompute the dataset root; raises :class:`VerificationError` if the proof is
        inconsistent (indices out of order or range, too few or too many hashes)."""
        n, idx = self.size, self.indices
        if type(n) is not int or not 1 <= n <= _MAX_SIZE:
            raise VerificationError(f"batch proof: dataset size {n!r} is not in [1, 2**64)")
        if _sorted_unique(idx, n, VerificationError) != tuple(idx):
            raise VerificationError("batch proof: indices are not sorted and unique")
        if len(self.leaves) != len(idx):
            raise VerificationError("batch proof: one leaf hash per index is required")
        fill = iter(self.fill)

        def mth(lo: int, hi: int) -> bytes:
            a, b = bisect.bisect_left(idx, lo), bisect.bisect_left(idx, hi)
            if a == b:
                h = next(fill, None)
                if h is None:
                    raise VerificationError("batch proof: too few fill hashes")
                return h
            if hi - lo == 1:
                return self.leaves[a]
            k = 1 << ((hi - lo - 1).bit_length() - 1)
            return merkle.node_hash(mth(lo, lo + k), mth(lo + k, hi))

        root = mth(0, n)
        if next(fill, None) is not None:
            raise VerificationError("batch proof: unused fill hashes")
        return root

    def leaf(self, index: int) -> bytes:
        """The proven leaf hash of example ``index``; :class:`VerificationError` if the
        proof does not cover it."""
        k = bisect.bisect_left(self.indices, index)
        if k == len(self.indices) or self.indices[k] != index:
            raise VerificationError(f"batch proof: example {index} is not covered")
        return self.leaves[k]

    def batch_commitment(self, indices: Sequence[int]) -> bytes:
        """:func:`batch_commitment` of a batch, from the proven leaf hashes."""
        return batch_commitment(list(indices), [self.leaf(i) for i in indices])

    def to_json(self) -> bytes:
        """Canonical JSON: ``{"v", "dataset_size", "indices", "leaves", "fill"}``
        (hashes as lowercase hex)."""
        return canonical_json(
            {
                "dataset_size": self.size,
                "fill": [h.hex() for h in self.fill],
                "indices": list(self.indices),
                "leaves": [h.hex() for h in self.leaves],
                "v": MULTIPROOF_VERSION,
            }
        )

    @classmethod
    def from_json(cls, data: bytes, what: str = "batch proof") -> DatasetMultiproof:
        """Parse :meth:`to_json` strictly (canonical form); :class:`MalformedError` on
        anything else. The hashes are checked by :meth:`root`."""
        d = parse_json(data, what)
        keys = {"dataset_size", "fill", "indices", "leaves", "v"}
        if not isinstance(d, dict) or set(d) != keys:
            raise MalformedError(f"{what}: expected an object with fields {sorted(keys)}")
        if d["v"] != MULTIPROOF_VERSION:
            raise MalformedError(f"{what}: version {d['v']!r}, this build reads 1")
        size = d["dataset_size"]
        if type(size) is not int or size < 1:
            raise MalformedError(f"{what}.dataset_size must be a positive int")
        if not all(isinstance(d[k], list) for k in ("fill", "indices", "leaves")):
            raise MalformedError(f"{what}: fill, indices and leaves must be arrays")
        if any(type(i) is not int for i in d["indices"]):
            raise MalformedError(f"{what}.indices must be integers")

        def hashes(key: str) -> tuple[bytes, ...]:
            out = []
            for j, h in enumerate(d[key]):
                if not isinstance(h, str) or len(h) != 64 or h != h.lower():
                    raise MalformedError(f"{what}.{key}[{j}] must be 64 lowercase hex digits")
                try:
                    out.append(bytes.fromhex(h))
                except ValueError:
                    raise MalformedError(f"{what}.{key}[{j}] is not hex") from None
            return tuple(out)

        proof = cls(size, tuple(d["indices"]), hashes("leaves"), hashes("fill"))
        if proof.to_json() != bytes(data):
            raise MalformedError(f"{what} is not in canonical JSON form")
        return proof


class CommittedDataset:
    """A map-style dataset with a Merkle commitment over its examples.

    Wraps anything with ``__len__`` and ``__getitem__`` (a torch ``Dataset``, a list,
    ...) and passes item access through unchanged. Construction reads every example once
    and hashes ``encode(example)`` (default :func:`example_bytes`); the examples must not
    change afterwards.
    """

    def __init__(self, dataset: Any, encode: Callable[[Any], bytes] | None = None) -> None:
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise InvalidInputError(
                f"dataset must support len() and indexing, got {type(dataset).__name__}"
            )
        n = len(dataset)
        if n < 1:
            raise InvalidInputError("dataset is empty")
        enc = encode or example_bytes
        self.dataset = dataset
        self._tree = merkle.MerkleTree()
        for i in range(n):
            data = enc(dataset[i])
            if not isinstance(data, bytes | bytearray):
                raise InvalidInputError(f"encode(example {i}) must return bytes")
            self._tree.append(merkle.leaf_hash(data))
        self._root = self._tree.root()

    def __len__(self) -> int:
        return self._tree.size

    def __getitem__(self, index: int) -> Any:
        return self.dataset[index]

    @property
    def root(self) -> bytes:
        """The dataset root (32 bytes); ``root.hex()`` is the spec's ``dataset.root``."""
        return self._root

    def leaf(self, index: int) -> bytes:
        """The leaf hash of example ``index``."""
        self._check_index(index)
        return self._tree.leaf(index)

    def inclusion_proof(self, index: int) -> list[bytes]:
        """RFC 9162 inclusion proof of example ``index`` under :attr:`root`."""
        self._check_index(index)
        return self._tree.inclusion_proof(index, self._tree.size)

    def batch_commitment(self, indices: Sequence[int]) -> bytes:
        """:func:`batch_commitment` of a batch of this dataset's indices."""
        for i in indices:
            self._check_index(i)
        return batch_commitment(list(indices), [self._tree.leaf(i) for i in indices])

    def multiproof(self, indices: Iterable[int]) -> DatasetMultiproof:
        """A :class:`DatasetMultiproof` of the examples ``indices`` (any order,
        repeats allowed: e.g. every index of every batch of a run)."""
        idx = _sorted_unique(indices, self._tree.size, InvalidInputError)
        fill: list[bytes] = []

        def walk(lo: int, hi: int) -> None:
            a, b = bisect.bisect_left(idx, lo), bisect.bisect_left(idx, hi)
            if a == b:
                fill.append(merkle.root([self._tree.leaf(i) for i in range(lo, hi)]))
            elif hi - lo > 1:
                k = 1 << ((hi - lo - 1).bit_length() - 1)
                walk(lo, lo + k)
                walk(lo + k, hi)

        walk(0, self._tree.size)
        return DatasetMultiproof(
            self._tree.size, idx, tuple(self._tree.leaf(i) for i in idx), tuple(fill)
        )

    def check_batch(self, indices: Sequence[int], commitment: bytes | str) -> None:
        """Check a logged batch (indices + commitment) against this dataset; raises
        :class:`~zkattest.errors.VerificationError` if it does not match."""
        from zkattest.errors import VerificationError

        try:
            want = self.batch_commitment(indices)
        except InvalidInputError as e:
            raise VerificationError(f"batch: {e}") from None
        got = commitment if isinstance(commitment, str) else commitment.hex()
        if got != want.hex():
            raise VerificationError("batch: the commitment does not match these examples")

    def sampler(self, *, seed: int = 0, shuffle: bool = True) -> RecordingSampler:
        """A :class:`RecordingSampler` over this dataset (reshuffled every epoch)."""
        return RecordingSampler(len(self), seed=seed, shuffle=shuffle)

    def _check_index(self, index: Any) -> None:
        if type(index) is not int and not isinstance(index, np.integer):
            raise InvalidInputError(f"dataset index must be an int, got {type(index).__name__}")
        if not 0 <= int(index) < self._tree.size:
            raise InvalidInputError(
                f"dataset index {int(index)} is outside the dataset (size {self._tree.size})"
            )


class RecordingSampler:
    """A sampler (``torch.utils.data.Sampler`` protocol) that records every index it
    yields, for the attestation to take as the next step's batch.

    Either wraps another sampler / iterable of indices (``source``), or draws a
    permutation of ``range(n)`` per epoch from a seeded numpy generator (``shuffle``).
    """

    def __init__(
        self,
        n: int,
        *,
        seed: int = 0,
        shuffle: bool = True,
        source: Any = None,
    ) -> None:
        if type(n) is not int or n < 1:
            raise InvalidInputError(f"n must be a positive int, got {n!r}")
        self.n = n
        self.source = source
        self.shuffle = shuffle
        self._rng = np.random.default_rng(seed)
        self._pending: list[int] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.source) if self.source is not None else self.n

    def __iter__(self) -> Iterator[int]:
        if self.source is not None:
            it: Any = iter(self.source)
        elif self.shuffle:
            it = iter(self._rng.permutation(self.n).tolist())
        else:
            it = iter(range(self.n))
        for i in it:
            i = int(i)
            with self._lock:
                self._pending.append(i)
            yield i

    def take(self) -> list[int]:
        """The indices yielded since the last call (and forget them)."""
        with self._lock:
            out, self._pending = self._pending, []
        return out

    def state_dict(self) -> dict[str, Any]:
        """The generator state (to resume the same sequence of permutations)."""
        return {"rng": self._rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""
        self._rng.bit_generator.state = state["rng"]
