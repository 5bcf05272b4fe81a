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

import struct
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final

import numpy as np

from zkattest import merkle
from zkattest.canonical import canonical_json
from zkattest.errors import InvalidInputError

#: Domain tag prefixed to every example's canonical bytes (leaf data).
EXAMPLE_TAG: Final = b"zkattest.example.v1\x00"
#: Domain tag prefixed to every batch leaf (index, example leaf hash).
BATCH_TAG: Final = b"zkattest.batch.v1\x00"
#: Key under a step record's ``extra`` holding ``{"indices": [...]}`` of its batch.
RECORD_EXTRA_BATCH: Final = "batch"

__all__ = [
    "BATCH_TAG",
    "EXAMPLE_TAG",
    "RECORD_EXTRA_BATCH",
    "CommittedDataset",
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
