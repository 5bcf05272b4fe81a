"""RFC 9162 (Certificate Transparency v2) Merkle tree math over SHA-256, in pure Python.

- leaf hash ``SHA256(0x00 || data)``, node hash ``SHA256(0x01 || left || right)``,
  empty tree ``SHA256(b"")``; the split point of ``n > 1`` leaves is the largest power
  of two ``k < n`` (RFC 9162 §2.1.1). Roots and inclusion proofs equal pymerkle's
  (``InmemoryTree(algorithm="sha256")``, security on).
- Inclusion proofs are RFC 9162 §2.1.3 audit paths (bottom-up sibling hashes) and
  consistency proofs are RFC 9162 §2.1.4 paths; both verifiers follow the RFC's
  verification algorithms step by step.
- **Indices are 0-based** (RFC). pymerkle's are 1-based, and its inclusion ``path`` is
  ``[leaf_hash] + audit path``.

Two building blocks:

- :class:`Frontier`: the compact form of a growing tree (one subtree root per set bit
  of the size, so O(log n) memory); append is O(1) amortized and ``root()`` O(log n).
  Use it to recompute a root while streaming leaves.
- :class:`MerkleTree`: keeps every complete, aligned subtree (about 2n hashes) so roots
  and proofs **for any earlier size** cost O(log n) hashes; building from n leaves is
  O(n).

The module-level functions (``root``, ``inclusion_proof``, ``consistency_proof``) are
pure functions over a list of leaf hashes. Verification failures raise
:class:`VerificationError`; unusable arguments (out-of-range index, wrong-length hash)
raise :class:`InvalidInputError`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from zkattest.constants import MERKLE_HASH_SIZE, MERKLE_LEAF_PREFIX, MERKLE_NODE_PREFIX
from zkattest.errors import InvalidInputError, MalformedError, VerificationError

__all__ = [
    "EMPTY_ROOT",
    "ConsistencyProof",
    "Frontier",
    "InclusionProof",
    "MerkleTree",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "root_from_inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
]

#: MTH of the empty list (RFC 9162 §2.1.1): SHA-256 of the empty string.
EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()

# Sizes are unsigned 64-bit in RFC 9162; a path can therefore never be longer than this.
_MAX_PATH = 64 * 2


def leaf_hash(data: bytes | bytearray | memoryview) -> bytes:
    """RFC 9162 leaf hash ``SHA256(0x00 || data)``."""
    h = hashlib.sha256(MERKLE_LEAF_PREFIX)
    h.update(data)
    return h.digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash ``SHA256(0x01 || left || right)``."""
    return hashlib.sha256(MERKLE_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_hash(h: Any, what: str, err: type[Exception] = InvalidInputError) -> bytes:
    if not isinstance(h, bytes | bytearray):
        raise err(f"{what} must be bytes, got {type(h).__name__}")
    if len(h) != MERKLE_HASH_SIZE:
        raise err(f"{what} is {len(h)} bytes, expected {MERKLE_HASH_SIZE}")
    return bytes(h)


def _check_size(value: Any, what: str) -> int:
    if type(value) is not int or value < 0:
        raise InvalidInputError(f"{what} must be a non-negative int, got {value!r}")
    return value


class Frontier:
    """Compact incremental Merkle tree: the roots of the maximal complete subtrees.

    Holds one hash per set bit of ``size`` (left to right, largest subtree first).
    """

    __slots__ = ("_size", "_stack")

    def __init__(self) -> None:
        self._stack: list[bytes] = []
        self._size = 0

    @property
    def size(self) -> int:
        """Number of leaves appended."""
        return self._size

    def append(self, leaf: bytes) -> None:
        """Append one leaf hash (already ``leaf_hash``-ed). O(1) amortized."""
        h = _check_hash(leaf, "leaf hash")
        n = self._size
        # Each trailing 1-bit of the old size is a complete subtree that now merges.
        while n & 1:
            h = node_hash(self._stack.pop(), h)
            n >>= 1
        self._stack.append(h)
        self._size += 1

    def root(self) -> bytes:
        """MTH of the leaves so far, O(log n)."""
        if not self._stack:
            return EMPTY_ROOT
        acc = self._stack[-1]
        for h in reversed(self._stack[:-1]):
            acc = node_hash(h, acc)
        return acc


class MerkleTree:
    """RFC 9162 tree over leaf hashes with every complete aligned subtree cached.

    ``levels[h][i]`` is the root of the complete subtree over leaves
    ``[i * 2**h, (i + 1) * 2**h)``. Every subtree the RFC's recursions visit is either
    such an aligned complete subtree or a right edge made of them, so roots and proofs
    for any size ``<= self.size`` cost O(log n) hashes.
    """

    __slots__ = ("_levels",)

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        for h in leaf_hashes:
            self.append(h)

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self._levels[0])

    def append(self, leaf: bytes) -> int:
        """Append one leaf hash; returns its 0-based index. O(1) amortized."""
        h = _check_hash(leaf, "leaf hash")
        levels = self._levels
        levels[0].append(h)
        lvl = 0
        while len(levels[lvl]) % 2 == 0:
            row = levels[lvl]
            if lvl + 1 == len(levels):
                levels.append([])
            h = node_hash(row[-2], row[-1])
            levels[lvl + 1].append(h)
            lvl += 1
        return len(levels[0]) - 1

    def leaf(self, index: int) -> bytes:
        """The leaf hash at 0-based ``index``."""
        self._check_index(index, self.size)
        return self._levels[0][index]

    def _check_size(self, size: int | None) -> int:
        if size is None:
            return self.size
        _check_size(size, "size")
        if size > self.size:
            raise InvalidInputError(f"size {size} exceeds the tree size {self.size}")
        return size

    @staticmethod
    def _check_index(index: int, size: int) -> None:
        if type(index) is not int or not 0 <= index < size:
            raise InvalidInputError(f"leaf index {index!r} out of range for tree size {size}")

    def _subtree(self, lo: int, hi: int) -> bytes:
        """MTH of leaves ``[lo, hi)``, ``lo < hi``."""
        n = hi - lo
        if n & (n - 1) == 0 and lo % n == 0:  # aligned complete subtree: cached
            return self._levels[n.bit_length() - 1][lo // n]
        k = _split(n)
        return node_hash(self._subtree(lo, lo + k), self._subtree(lo + k, hi))

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first ``size`` leaves (default: all)."""
        size = self._check_size(size)
        return self._subtree(0, size) if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 §2.1.3.1 audit path of leaf ``index`` in the tree of ``size`` leaves."""
        size = self._check_size(size)
        self._check_index(index, size)
        path: list[bytes] = []
        lo, hi = 0, size
        while hi - lo > 1:  # PATH(m, D[lo:hi]), collected top-down, returned bottom-up
            k = _split(hi - lo)
            if index < lo + k:
                path.append(self._subtree(lo + k, hi))
                hi = lo + k
            else:
                path.append(self._subtree(lo, lo + k))
                lo += k
        path.reverse()
        return path

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """RFC 9162 §2.1.4.1 consistency proof from ``old_size`` to ``new_size``.

        Empty when ``old_size`` is 0 or equals ``new_size`` (nothing to prove).
        """
        new_size = self._check_size(new_size)
        _check_size(old_size, "old size")
        if old_size > new_size:
            raise InvalidInputError(f"old size {old_size} exceeds new size {new_size}")
        if old_size == 0 or old_size == new_size:
            return []
        path: list[bytes] = []
        m, lo, hi, whole = old_size, 0, new_size, True  # SUBPROOF(m, D[lo:hi], whole)
        while True:
            n = hi - lo
            if m == n:
                if not whole:
                    path.append(self._subtree(lo, hi))
                break
            k = _split(n)
            if m <= k:
                path.append(self._subtree(lo + k, hi))
                hi = lo + k
            else:
                path.append(self._subtree(lo, lo + k))
                m -= k
                lo += k
                whole = False
        path.reverse()
        return path


# --- pure functions over a list of leaf hashes ------------------------------------------


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over ``leaf_hashes`` (O(n) hashes, O(log n) memory)."""
    f = Frontier()
    for h in leaf_hashes:
        f.append(h)
    return f.root()


def inclusion_proof(
    leaf_hashes: Sequence[bytes], index: int, size: int | None = None
) -> list[bytes]:
    """Audit path of leaf ``index`` in the tree over the first ``size`` leaf hashes."""
    n = len(leaf_hashes) if size is None else _check_size(size, "size")
    if n > len(leaf_hashes):
        raise InvalidInputError(f"size {n} exceeds the {len(leaf_hashes)} leaf hashes given")
    return MerkleTree(leaf_hashes[:n]).inclusion_proof(index)


def consistency_proof(
    leaf_hashes: Sequence[bytes], old_size: int, new_size: int | None = None
) -> list[bytes]:
    """RFC 9162 consistency proof between the first ``old_size`` and ``new_size`` leaves."""
    n = len(leaf_hashes) if new_size is None else _check_size(new_size, "new size")
    if n > len(leaf_hashes):
        raise InvalidInputError(f"new size {n} exceeds the {len(leaf_hashes)} leaf hashes given")
    return MerkleTree(leaf_hashes[:n]).consistency_proof(old_size)


def _check_path(path: Any) -> list[bytes]:
    if not isinstance(path, list | tuple):
        raise MalformedError(f"proof path must be a list of hashes, got {type(path).__name__}")
    if len(path) > _MAX_PATH:
        raise MalformedError(f"proof path has {len(path)} hashes, more than {_MAX_PATH}")
    return [_check_hash(p, f"proof path[{i}]", MalformedError) for i, p in enumerate(path)]


def root_from_inclusion_proof(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes:
    """The root implied by an audit path (RFC 9162 §2.1.3.2, steps 1-5).

    Raises :class:`VerificationError` if the path length does not fit ``(index, size)``.
    """
    leaf = _check_hash(leaf, "leaf hash")
    _check_size(index, "index")
    _check_size(size, "size")
    path = _check_path(path)
    if index >= size:
        raise VerificationError(f"inclusion proof: index {index} is not below size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise VerificationError("inclusion proof: path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError("inclusion proof: path is shorter than the tree is deep")
    return r


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], expected_root: bytes
) -> None:
    """Check that ``leaf`` sits at 0-based ``index`` of the ``size``-leaf tree with root
    ``expected_root``. Returns None or raises :class:`VerificationError`."""
    expected_root = _check_hash(expected_root, "root")
    r = root_from_inclusion_proof(leaf, index, size, path)
    if not hmac.compare_digest(r, expected_root):
        raise VerificationError(
            f"inclusion proof: leaf {index} of size {size} does not lead to the expected root"
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]
) -> None:
    """Check an RFC 9162 §2.1.4.2 consistency proof: the ``new_size`` tree with root
    ``new_root`` extends the ``old_size`` tree with root ``old_root``.

    Edge cases (as in RFC 9162 / transparency-dev): ``old_size == 0`` needs an empty
    proof and ``old_root`` equal to the empty root; ``old_size == new_size`` needs an
    empty proof and equal roots. Returns None or raises :class:`VerificationError`.
    """
    _check_size(old_size, "old size")
    _check_size(new_size, "new size")
    old_root = _check_hash(old_root, "old root")
    new_root = _check_hash(new_root, "new root")
    path = _check_path(path)
    if old_size > new_size:
        raise VerificationError(f"consistency proof: old size {old_size} > new size {new_size}")
    if old_size == 0 or old_size == new_size:
        if path:
            raise VerificationError("consistency proof: expected an empty proof")
        if old_size == 0 and not hmac.compare_digest(old_root, EMPTY_ROOT):
            raise VerificationError("consistency proof: old root is not the empty-tree root")
        if old_size == new_size and not hmac.compare_digest(old_root, new_root):
            raise VerificationError("consistency proof: equal sizes but different roots")
        return
    if not path:  # step 1
        raise VerificationError("consistency proof: empty proof for distinct sizes")
    if old_size & (old_size - 1) == 0:  # step 2: old tree is a complete subtree
        path = [old_root, *path]
    fn, sn = old_size - 1, new_size - 1  # step 3
    while fn & 1:  # step 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]  # step 5
    for c in path[1:]:  # step 6
        if sn == 0:
            raise VerificationError("consistency proof: path is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    # step 7 (evaluate every comparison so the failure message names all of them)
    bad = []
    if sn != 0:
        bad.append("path is too short")
    if not hmac.compare_digest(fr, old_root):
        bad.append("old root mismatch")
    if not hmac.compare_digest(sr, new_root):
        bad.append("new root mismatch")
    if bad:
        raise VerificationError(
            f"consistency proof {old_size} -> {new_size} failed: {', '.join(bad)}"
        )


# --- serializable proof objects ----------------------------------------------------------


def _hex_hash(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or len(value) != 2 * MERKLE_HASH_SIZE:
        raise MalformedError(f"{what} must be {2 * MERKLE_HASH_SIZE} hex digits")
    try:
        if value != value.lower():
            raise ValueError
        return bytes.fromhex(value)
    except ValueError:
        raise MalformedError(f"{what} is not lowercase hex: {value!r}") from None


def _field_int(d: dict[str, Any], key: str, what: str) -> int:
    v = d.get(key)
    if type(v) is not int or v < 0:
        raise MalformedError(f"{what}.{key} must be a non-negative integer, got {v!r}")
    return v


def _field_path(d: dict[str, Any], what: str) -> list[bytes]:
    p = d.get("path")
    if not isinstance(p, list) or len(p) > _MAX_PATH:
        raise MalformedError(f"{what}.path must be a list of at most {_MAX_PATH} hex hashes")
    return [_hex_hash(h, f"{what}.path[{i}]") for i, h in enumerate(p)]


@dataclass(frozen=True)
class InclusionProof:
    """An RFC 9162 inclusion proof of leaf ``index`` (0-based) in a ``size``-leaf tree."""

    index: int
    size: int
    path: tuple[bytes, ...]

    def verify(self, leaf: bytes, expected_root: bytes) -> None:
        """Raise :class:`VerificationError` unless ``leaf`` is included under ``expected_root``."""
        verify_inclusion(leaf, self.index, self.size, list(self.path), expected_root)

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"index", "size", "path": [hex...]}``."""
        return {"index": self.index, "size": self.size, "path": [h.hex() for h in self.path]}

    @classmethod
    def from_dict(cls, d: Any, what: str = "inclusion proof") -> InclusionProof:
        """Parse :meth:`to_dict` output; raises :class:`MalformedError` naming the field."""
        if not isinstance(d, dict):
            raise MalformedError(f"{what} must be an object")
        return cls(
            _field_int(d, "index", what), _field_int(d, "size", what), tuple(_field_path(d, what))
        )


@dataclass(frozen=True)
class ConsistencyProof:
    """An RFC 9162 consistency proof between tree sizes ``old_size <= new_size``."""

    old_size: int
    new_size: int
    path: tuple[bytes, ...]

    def verify(self, old_root: bytes, new_root: bytes) -> None:
        """Raise :class:`VerificationError` unless ``new_root`` extends ``old_root``."""
        verify_consistency(self.old_size, self.new_size, old_root, new_root, list(self.path))

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"old_size", "new_size", "path": [hex...]}``."""
        return {
            "old_size": self.old_size,
            "new_size": self.new_size,
            "path": [h.hex() for h in self.path],
        }

    @classmethod
    def from_dict(cls, d: Any, what: str = "consistency proof") -> ConsistencyProof:
        """Parse :meth:`to_dict` output; raises :class:`MalformedError` naming the field."""
        if not isinstance(d, dict):
            raise MalformedError(f"{what} must be an object")
        return cls(
            _field_int(d, "old_size", what),
            _field_int(d, "new_size", what),
            tuple(_field_path(d, what)),
        )
