"""State commitments, scheme ``blake3-salted-v1`` (DESIGN §3, docs/commitments.md).

Every optimizer step, the training state (parameters, optimizer buffers, counters) is
committed to one 32-byte root: each tensor's raw little-endian bytes are cut into
fixed-size chunks, each chunk is hashed with a secret per-step, per-chunk salt, the
leaves form a Merkle tree per tensor, and the tensor entries form the state tree. Any
chunk can later be opened with an inclusion proof.

    committer = StateCommitter(secrets.token_bytes(32))
    tensors = {**tensors_from_state_dict(model.state_dict()),
               **tensors_from_optimizer(optimizer, model)}
    c = committer.commit(tensors, step=t)          # c.root goes into the StepRecord
    proof = c.prove_chunk("fc.weight", 0)
    verify_chunk(c.root, "fc.weight", 0, chunk_bytes(tensors["fc.weight"], 0),
                 committer.chunk_salt(t, "fc.weight", 0), proof)

The hashing runs in Rust on all cores with the GIL released, reading tensor memory in
place (zero-copy). **Do not mutate a tensor while it is being committed** (for example
from another thread or a CUDA stream writing into host memory): the commitment would
be of bytes that were never the tensor's state. torch is imported lazily; verifiers do
not need it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from zkattest import _core
from zkattest.errors import InvalidInputError

_C: Final = _core.commit_constants()

#: Scheme name and version, recorded in every commitment.
SCHEME: Final[str] = _C["scheme"]
#: Default chunk size in bytes (64 KiB).
DEFAULT_CHUNK_SIZE: Final[int] = _C["default_chunk_size"]
#: Length of roots, keys, salts and leaves in bytes.
DIGEST_LEN: Final[int] = _C["digest_len"]
#: Length of a salt seed in bytes.
SALT_SEED_LEN: Final[int] = _C["salt_seed_len"]
#: Supported dtype tags and their element sizes in bytes.
DTYPE_SIZES: Final[dict[str, int]] = {tag: size for tag, size, _ in _C["dtypes"]}

# numpy / torch dtype names (``np.dtype(x).name``, ``str(t.dtype)`` minus ``torch.``) to
# dtype tags. bf16 and fp8 numpy arrays come from ml_dtypes.
_DTYPE_TAGS: Final[dict[str, str]] = {
    "bool": "bool",
    "uint8": "u8",
    "int8": "i8",
    "uint16": "u16",
    "int16": "i16",
    "uint32": "u32",
    "int32": "i32",
    "uint64": "u64",
    "int64": "i64",
    "float16": "f16",
    "bfloat16": "bf16",
    "float32": "f32",
    "float64": "f64",
    "float8_e4m3fn": "f8_e4m3",
    "float8_e5m2": "f8_e5m2",
}
_MAX_U64: Final = (1 << 64) - 1

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DIGEST_LEN",
    "DTYPE_SIZES",
    "SALT_SEED_LEN",
    "SCHEME",
    "ChunkProof",
    "ShardLeaves",
    "StateCommitment",
    "StateCommitter",
    "TensorBytes",
    "TensorCommitment",
    "ViewCache",
    "as_tensor_bytes",
    "chunk_bytes",
    "chunk_salt",
    "commit_safetensors",
    "commit_shard",
    "commit_with_step_key",
    "derive_step_key",
    "leaf_hash",
    "state_from_shards",
    "tensors_from_optimizer",
    "tensors_from_state_dict",
    "verify_chunk",
    "verify_leaf",
]


def _u64(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidInputError(f"{what} must be an int, got {type(value).__name__}")
    if not 0 <= int(value) <= _MAX_U64:
        raise InvalidInputError(f"{what} must be in [0, 2**64), got {value}")
    return int(value)


def _name(name: Any) -> str:
    if not isinstance(name, str):
        raise InvalidInputError(f"tensor names must be str, got {type(name).__name__}")
    return name


def _threads(threads: int | None) -> int | None:
    return None if threads is None else _u64(threads, "threads")


# --- tensors as bytes ----------------------------------------------------------------


@dataclass(frozen=True)
class TensorBytes:
    """A tensor ready to commit: dtype tag, shape and raw little-endian bytes.

    ``data`` is a flat, C-contiguous ``uint8`` array, normally a view of the original
    tensor's memory (no copy), which it keeps alive.
    """

    dtype: str
    shape: tuple[int, ...]
    data: np.ndarray

    @property
    def nbytes(self) -> int:
        """Size of the raw data in bytes."""
        return int(self.data.size)


def _unsupported(name: str, dtype: object, why: str = "") -> InvalidInputError:
    supported = ", ".join(sorted(_DTYPE_TAGS))
    return InvalidInputError(
        f"tensor {name!r} has unsupported dtype {dtype}{why} (supported: {supported})"
    )


def _from_numpy(name: str, a: np.ndarray) -> TensorBytes:
    tag = _DTYPE_TAGS.get(a.dtype.name)
    if tag is None or a.dtype.hasobject:
        raise _unsupported(name, a.dtype)
    if a.dtype.byteorder == ">":
        a = a.astype(a.dtype.newbyteorder("<"))  # committed bytes are little-endian
    flat = np.ascontiguousarray(a).reshape(-1).view(np.uint8)
    return TensorBytes(tag, tuple(int(d) for d in a.shape), flat)


def _torch_tensor_type() -> type | None:
    torch = sys.modules.get("torch")  # only look if the caller already imported torch
    return None if torch is None else torch.Tensor


def _from_torch(name: str, t: Any) -> TensorBytes:
    import torch

    if type(t).__name__ == "DTensor":
        raise InvalidInputError(
            f"tensor {name!r} is a DTensor: commit each rank's local shard with "
            "commit_shard (keyed by global offset) and combine with state_from_shards"
        )
    if t.layout != torch.strided:
        raise _unsupported(name, t.dtype, f" with layout {t.layout}")
    if t.is_quantized:
        raise _unsupported(name, t.dtype, " (quantized)")
    if t.is_meta or t.device.type == "meta":
        raise _unsupported(name, t.dtype, " on the meta device (no data)")
    tag = _DTYPE_TAGS.get(str(t.dtype).removeprefix("torch."))
    if tag is None:
        raise _unsupported(name, t.dtype)
    t = t.detach()
    if t.device.type != "cpu":
        t = t.cpu()  # device memory must come to the host to be hashed
    flat = t.contiguous().reshape(-1).view(torch.uint8)
    return TensorBytes(tag, tuple(int(d) for d in t.shape), flat.numpy())


def as_tensor_bytes(name: str, value: Any) -> TensorBytes:
    """Converts a numpy array, torch tensor, Python scalar or bytes-like object into
    :class:`TensorBytes` (zero-copy where the input is already contiguous).

    Python ``bool`` / ``int`` / ``float`` become 0-d ``bool`` / ``i64`` / ``f64`` tensors;
    ``bytes`` become 1-d ``u8``. Raises :class:`InvalidInputError` naming the tensor for
    unsupported dtypes (complex, quantized, sparse, meta, object, ...).
    """
    if isinstance(value, TensorBytes):
        return value
    if isinstance(value, np.ndarray | np.generic):
        return _from_numpy(name, np.asarray(value))
    torch_tensor = _torch_tensor_type()
    if torch_tensor is not None and isinstance(value, torch_tensor):
        return _from_torch(name, value)
    if isinstance(value, bool | int | float):
        dtype = {bool: np.bool_, int: np.int64, float: np.float64}[type(value)]
        return _from_numpy(name, np.array(value, dtype=dtype))
    if isinstance(value, bytes | bytearray | memoryview):
        flat = np.frombuffer(value, dtype=np.uint8)
        return TensorBytes("u8", (flat.size,), flat)
    raise InvalidInputError(
        f"tensor {name!r} is a {type(value).__name__}, not a numpy array, torch tensor, "
        "scalar or bytes"
    )


def _byte_view(value: Any, what: str) -> np.ndarray:
    """A flat uint8 view of a bytes-like object or array (for chunks)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return np.frombuffer(value, dtype=np.uint8)
    return as_tensor_bytes(what, value).data


def _tensor_items(tensors: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> list[tuple]:
    items = tensors.items() if isinstance(tensors, Mapping) else tensors
    out = []
    for name, value in items:
        tb = as_tensor_bytes(_name(name), value)
        out.append((name, tb.dtype, list(tb.shape), tb.data))
    return out


def chunk_bytes(tensor: Any, index: int, chunk_size: int = DEFAULT_CHUNK_SIZE) -> np.ndarray:
    """The bytes of chunk ``index`` of ``tensor`` (a uint8 view), as committed."""
    data = as_tensor_bytes("tensor", tensor).data
    index = _u64(index, "chunk index")
    if _u64(chunk_size, "chunk_size") == 0:
        raise InvalidInputError("chunk_size must be positive")
    start = index * chunk_size
    if start >= data.size:
        raise InvalidInputError(f"chunk {index} is past the end of a {data.size}-byte tensor")
    return data[start : start + chunk_size]


class ViewCache:
    """Reuses the :class:`TensorBytes` view of a CPU tensor whose memory, shape, strides
    and dtype are those it was built from (parameters and optimizer buffers are updated
    in place): a training loop that commits its state every step builds each view once
    (``as_tensor_bytes`` costs ~10 us a tensor; a GPT has hundreds). Sound because a
    cached view keeps its tensor's memory alive, so no other tensor can have its address.
    """

    def __init__(self) -> None:
        self._views: dict[str, tuple[tuple[Any, ...], TensorBytes]] = {}

    def view(self, name: str, value: Any) -> TensorBytes:
        """``as_tensor_bytes(name, value)``, from the cache when it still applies."""
        torch_tensor = _torch_tensor_type()
        if torch_tensor is None or not isinstance(value, torch_tensor):
            return as_tensor_bytes(name, value)
        key = (value.data_ptr(), value.shape, value.stride(), value.dtype, value.device)
        hit = self._views.get(name)
        if hit is not None and hit[0] == key:
            return hit[1]
        tb = as_tensor_bytes(name, value)
        if value.device.type == "cpu" and value.is_contiguous():  # a view, not a copy
            self._views[name] = (key, tb)
        return tb


def tensors_from_state_dict(
    state_dict: Mapping[str, Any], prefix: str = "", *, views: ViewCache | None = None
) -> dict:
    """``{prefix + name: TensorBytes}`` for every tensor of a ``state_dict()`` (zero-copy
    views of CPU tensors; bf16 as its raw 16-bit patterns), through ``views`` if given."""
    view = as_tensor_bytes if views is None else views.view
    return {f"{prefix}{_name(k)}": view(f"{prefix}{k}", v) for k, v in state_dict.items()}


def tensors_from_optimizer(
    optimizer: Any,
    model: Any = None,
    prefix: str = "optim.state.",
    *,
    views: ViewCache | None = None,
) -> dict:
    """``{"optim.state.<param name>.<key>": TensorBytes}`` for an optimizer's state
    (``exp_avg``, ``exp_avg_sq``, ``step``, ``momentum_buffer``, ...).

    ``model`` (an ``nn.Module`` or a ``{name: parameter}`` mapping) gives the parameter
    names; without it parameters are named ``<group>.<index>`` by their position in
    ``optimizer.param_groups``. ``None`` values are skipped; Python numbers become 0-d
    tensors. Hyperparameters (``param_groups``) are not state: the spec declares them.
    ``views`` reuses views across calls (:class:`ViewCache`).
    """
    view = as_tensor_bytes if views is None else views.view
    if model is None:
        names = {
            id(p): f"{g}.{i}"
            for g, group in enumerate(optimizer.param_groups)
            for i, p in enumerate(group["params"])
        }
    else:
        params = model.named_parameters() if hasattr(model, "named_parameters") else model.items()
        names = {id(p): n for n, p in params}
    out: dict[str, TensorBytes] = {}
    for param, state in optimizer.state.items():
        if id(param) not in names:
            raise InvalidInputError(
                f"the optimizer holds state for a parameter of shape {tuple(param.shape)} "
                "that the model does not name"
            )
        for key, value in state.items():
            if value is None:
                continue
            name = f"{prefix}{names[id(param)]}.{key}"
            out[name] = view(name, value)
    return out


# --- commitments ---------------------------------------------------------------------


@dataclass(frozen=True)
class TensorCommitment:
    """One committed tensor: metadata, Merkle root, entry (state-tree leaf), chunk count."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    root: bytes
    entry: bytes
    num_chunks: int


@dataclass(frozen=True)
class ChunkProof:
    """A serialized chunk inclusion proof and its parsed fields.

    Build one with :meth:`StateCommitment.prove_chunk` or :meth:`from_bytes` (strict:
    raises :class:`MalformedError` on anything that is not a well-formed proof).
    """

    data: bytes
    name: str
    index: int
    dtype: str
    shape: tuple[int, ...]
    chunk_size: int
    chunk_len: int
    position: int
    num_tensors: int

    @classmethod
    def from_bytes(cls, data: bytes) -> ChunkProof:
        """Parses a serialized proof."""
        data = bytes(data)
        f = _core.commit_parse_proof(data)
        return cls(
            data=data,
            name=f["name"],
            index=f["index"],
            dtype=f["dtype"],
            shape=tuple(f["shape"]),
            chunk_size=f["chunk_size"],
            chunk_len=f["chunk_len"],
            position=f["position"],
            num_tensors=f["num_tensors"],
        )

    def to_bytes(self) -> bytes:
        """The serialized proof."""
        return self.data


class StateCommitment:
    """The commitment to one step's state: ``root`` plus per-tensor metadata.

    Holds every leaf (32 bytes per chunk, 0.05% of the state at 64 KiB chunks) so that
    :meth:`prove_chunk` needs no re-hashing.
    """

    def __init__(self, inner: Any, step: int | None = None) -> None:
        self._inner = inner
        #: The 32-byte state root.
        self.root: bytes = inner.root
        #: Chunk size the tensors were cut at.
        self.chunk_size: int = inner.chunk_size
        #: The step this state was committed at (None when committed from a step key).
        self.step = step
        #: Scheme name and version.
        self.scheme: str = SCHEME
        #: Committed tensors by name, in sorted-name (state tree) order.
        self.tensors: dict[str, TensorCommitment] = {
            name: TensorCommitment(name, dtype, tuple(shape), root, entry, n)
            for name, dtype, shape, root, entry, n in inner.tensors()
        }

    @property
    def tensor_roots(self) -> dict[str, bytes]:
        """``{name: tensor root}``."""
        return {n: t.root for n, t in self.tensors.items()}

    def prove_chunk(self, name: str, index: int) -> ChunkProof:
        """The inclusion proof of chunk ``index`` of tensor ``name``."""
        data = self._inner.prove_chunk(_name(name), _u64(index, "chunk index"))
        return ChunkProof.from_bytes(data)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready metadata (hex digests); holds no secret."""
        return {
            "scheme": self.scheme,
            "root": self.root.hex(),
            "chunk_size": self.chunk_size,
            "tensors": {
                n: {"dtype": t.dtype, "shape": list(t.shape), "root": t.root.hex()}
                for n, t in self.tensors.items()
            },
        }

    def __repr__(self) -> str:
        return (
            f"StateCommitment(root={self.root.hex()}, tensors={len(self.tensors)}, "
            f"chunk_size={self.chunk_size}, step={self.step})"
        )


def derive_step_key(salt_seed: bytes, step: int) -> bytes:
    """``step_key = BLAKE3_keyed(salt_seed, "zkattest.step-key.v1" || u64le(step))``.

    Disclosing one step's key lets anyone recompute that step's root from the released
    weights (:func:`commit_with_step_key`) without learning any other step's salts.
    """
    return _core.commit_derive_step_key(bytes(salt_seed), _u64(step, "step"))


def chunk_salt(step_key: bytes, name: str, index: int) -> bytes:
    """The salt of chunk ``index`` of tensor ``name`` (revealed when the chunk is opened)."""
    return _core.commit_chunk_salt(bytes(step_key), _name(name), _u64(index, "chunk index"))


def leaf_hash(salt: bytes, chunk: Any) -> bytes:
    """``BLAKE3("zkattest.leaf.v1" || salt || chunk)``."""
    return _core.commit_leaf_hash(bytes(salt), _byte_view(chunk, "chunk"))


def commit_with_step_key(
    step_key: bytes,
    tensors: Mapping[str, Any] | Iterable[tuple[str, Any]],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    threads: int | None = None,
) -> StateCommitment:
    """Commits named tensors under a step key (how anyone holding a disclosed step key
    recomputes that step's root). ``threads=None`` uses every core."""
    inner = _core.commit_state(
        bytes(step_key), _u64(chunk_size, "chunk_size"), _tensor_items(tensors), _threads(threads)
    )
    return StateCommitment(inner)


def commit_safetensors(
    path: str | os.PathLike[str],
    step_key: bytes,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    threads: int | None = None,
) -> StateCommitment:
    """Commits a ``.safetensors`` file in place (memory-mapped, no load): the root equals
    committing the loaded tensors under the same names. The file must not change while
    it is being committed."""
    inner = _core.commit_safetensors(
        os.fspath(path), bytes(step_key), _u64(chunk_size, "chunk_size"), _threads(threads)
    )
    return StateCommitment(inner)


@dataclass(frozen=True)
class ShardLeaves:
    """The leaves of one shard of a tensor (picklable, for ``all_gather_object``)."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    chunk_size: int
    offset: int
    length: int
    leaves: bytes


def commit_shard(
    step_key: bytes,
    name: str,
    shard: Any,
    global_offset: int,
    global_shape: tuple[int, ...],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    threads: int | None = None,
) -> ShardLeaves:
    """Commits the local shard of a sharded tensor (FSDP / DTensor dim-0 shards): the
    contiguous byte range starting at byte ``global_offset`` (a multiple of
    ``chunk_size``) of the tensor of shape ``global_shape``. Leaves are keyed by global
    chunk index, so :func:`state_from_shards` gives the root of the whole tensor."""
    tb = as_tensor_bytes(_name(name), shard)
    shape = tuple(_u64(d, "global_shape") for d in global_shape)
    leaves = _core.commit_shard(
        bytes(step_key),
        name,
        _u64(chunk_size, "chunk_size"),
        _u64(global_offset, "global_offset"),
        tb.data,
        _threads(threads),
    )
    return ShardLeaves(name, tb.dtype, shape, chunk_size, global_offset, tb.nbytes, leaves)


def state_from_shards(shards: Iterable[ShardLeaves]) -> StateCommitment:
    """Assembles the state commitment from the shards of every tensor (gathered from all
    ranks, any order). Each tensor's shards must cover it exactly once."""
    by_name: dict[str, list[ShardLeaves]] = {}
    for s in shards:
        by_name.setdefault(s.name, []).append(s)
    if not by_name:
        raise InvalidInputError("no shards to assemble")
    sizes = {s.chunk_size for group in by_name.values() for s in group}
    if len(sizes) != 1:
        raise InvalidInputError(f"shards were cut at different chunk sizes {sorted(sizes)}")
    tensors = []
    for name, group in by_name.items():
        if len({(s.dtype, s.shape) for s in group}) != 1:
            raise InvalidInputError(f"shards of {name!r} disagree on dtype or global shape")
        tensors.append(
            (
                name,
                group[0].dtype,
                list(group[0].shape),
                [(s.offset, s.length, s.leaves) for s in group],
            )
        )
    return StateCommitment(_core.commit_from_shards(sizes.pop(), tensors))


def _proof_bytes(proof: ChunkProof | bytes) -> bytes:
    return proof.data if isinstance(proof, ChunkProof) else bytes(proof)


def verify_chunk(
    root: bytes, name: str, index: int, chunk: Any, salt: bytes, proof: ChunkProof | bytes
) -> None:
    """Checks that ``chunk`` (with its disclosed ``salt``) is chunk ``index`` of tensor
    ``name`` under state ``root``. Returns None; raises :class:`VerificationError` if
    not, :class:`MalformedError` if the proof does not parse."""
    _core.commit_verify_chunk(
        bytes(root),
        _name(name),
        _u64(index, "chunk index"),
        _byte_view(chunk, "chunk"),
        bytes(salt),
        _proof_bytes(proof),
    )


def verify_leaf(root: bytes, name: str, index: int, leaf: bytes, proof: ChunkProof | bytes) -> None:
    """Checks that ``leaf`` is chunk ``index`` of tensor ``name`` under ``root`` without
    seeing the chunk (the zero-knowledge path: a proof vouches for the leaf)."""
    _core.commit_verify_leaf(
        bytes(root), _name(name), _u64(index, "chunk index"), bytes(leaf), _proof_bytes(proof)
    )


class StateCommitter:
    """Commits a run's state every step under its secret salt seed.

    ``salt_seed`` (32 bytes, e.g. ``secrets.token_bytes(32)``) is committed in the spec
    and never published; ``chunk_size`` (a power of two, default 64 KiB) is recorded in
    every commitment; ``threads=None`` hashes on every core.
    """

    def __init__(
        self, salt_seed: bytes, chunk_size: int = DEFAULT_CHUNK_SIZE, *, threads: int | None = None
    ) -> None:
        salt_seed = bytes(salt_seed)
        if len(salt_seed) != SALT_SEED_LEN:
            raise InvalidInputError(
                f"salt_seed must be {SALT_SEED_LEN} bytes, got {len(salt_seed)}"
            )
        self._seed = salt_seed
        self.chunk_size = _u64(chunk_size, "chunk_size")
        self.threads = _threads(threads)

    def __repr__(self) -> str:  # never show the seed
        return f"StateCommitter(chunk_size={self.chunk_size}, threads={self.threads})"

    def step_key(self, step: int) -> bytes:
        """The key of step ``step`` (secret unless deliberately disclosed)."""
        return derive_step_key(self._seed, step)

    def chunk_salt(self, step: int, name: str, index: int) -> bytes:
        """The salt of one chunk, disclosed with the chunk when it is opened."""
        return chunk_salt(self.step_key(step), name, index)

    def commit(
        self, tensors: Mapping[str, Any] | Iterable[tuple[str, Any]], step: int
    ) -> StateCommitment:
        """Commits the named tensors as the state of optimizer step ``step``."""
        c = commit_with_step_key(
            self.step_key(step), tensors, chunk_size=self.chunk_size, threads=self.threads
        )
        c.step = step
        return c

    def commit_safetensors(self, path: str | os.PathLike[str], step: int) -> StateCommitment:
        """Commits a ``.safetensors`` file as the state of step ``step``."""
        c = commit_safetensors(
            path, self.step_key(step), chunk_size=self.chunk_size, threads=self.threads
        )
        c.step = step
        return c

    def commit_shard(
        self, name: str, shard: Any, global_offset: int, global_shape: tuple[int, ...], step: int
    ) -> ShardLeaves:
        """Commits this rank's shard of a tensor; see :func:`commit_shard`."""
        return commit_shard(
            self.step_key(step),
            name,
            shard,
            global_offset,
            global_shape,
            chunk_size=self.chunk_size,
            threads=self.threads,
        )

    def prove_chunk(self, commitment: StateCommitment, name: str, index: int) -> ChunkProof:
        """The inclusion proof of chunk ``index`` of ``name`` in ``commitment``."""
        return commitment.prove_chunk(name, index)
