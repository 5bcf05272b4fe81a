"""RFC 9162 Merkle math: published vectors, pymerkle as the oracle, negative twins."""

from __future__ import annotations

import hashlib

import pymerkle
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zkattest import merkle
from zkattest.errors import InvalidInputError, MalformedError, VerificationError
from zkattest.merkle import (
    EMPTY_ROOT,
    ConsistencyProof,
    Frontier,
    InclusionProof,
    MerkleTree,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

# Reference vectors of the RFC 6962/9162 tree used by Certificate Transparency and
# transparency-dev/merkle (testonly): eight leaves, the roots of every prefix, and
# a few proofs.
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    bytes(range(0x60, 0x70)),
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = [  # (index, size, path)
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (0, 1, []),
]  # fmt: skip
CT_CONSISTENCY = [  # (old, new, path)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip

CT_HASHES = [leaf_hash(d) for d in CT_LEAVES]
CT_TREE = MerkleTree(CT_HASHES)


def _h(hexes: list[str]) -> list[bytes]:
    return [bytes.fromhex(x) for x in hexes]


# --- a literal transcription of the RFC 9162 §2.1 definitions (the second oracle) ------


def ref_mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = 1
    while k * 2 < len(d):
        k *= 2
    return node_hash(ref_mth(d[:k]), ref_mth(d[k:]))


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = 1
    while k * 2 < len(d):
        k *= 2
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


# --- vectors -----------------------------------------------------------------------------


def test_empty_tree() -> None:
    assert EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert MerkleTree().root() == Frontier().root() == merkle.root([]) == EMPTY_ROOT


def test_ct_roots() -> None:
    for size, want in enumerate(CT_ROOTS):
        assert CT_TREE.root(size).hex() == want
        assert merkle.root(CT_HASHES[:size]).hex() == want


@pytest.mark.parametrize(("index", "size", "path"), CT_INCLUSION)
def test_ct_inclusion(index: int, size: int, path: list[str]) -> None:
    assert CT_TREE.inclusion_proof(index, size) == _h(path)
    verify_inclusion(CT_HASHES[index], index, size, _h(path), bytes.fromhex(CT_ROOTS[size]))


@pytest.mark.parametrize(("old", "new", "path"), CT_CONSISTENCY)
def test_ct_consistency(old: int, new: int, path: list[str]) -> None:
    assert CT_TREE.consistency_proof(old, new) == _h(path)
    verify_consistency(
        old, new, bytes.fromhex(CT_ROOTS[old]), bytes.fromhex(CT_ROOTS[new]), _h(path)
    )


def test_pymerkle_interop_vectors() -> None:
    # ecosystem notes: root over a, b, c with pymerkle sha256 (security on)
    hs = [leaf_hash(x) for x in (b"a", b"b", b"c", b"d")]
    assert merkle.root(hs[:3]).hex() == (
        "36642e73c2540ab121e3a6bf9545b0a24982cd830eb13d3cd19de3ce6c021ec1"
    )
    assert merkle.root(hs).hex().startswith("33376a3b")


# --- exhaustive small trees against the RFC transcription --------------------------------


def test_exhaustive_small_trees_match_rfc_definitions() -> None:
    hashes = [leaf_hash(b"%d" % i) for i in range(34)]
    tree = MerkleTree(hashes)
    for n in range(1, len(hashes) + 1):
        d = hashes[:n]
        r = ref_mth(d)
        assert tree.root(n) == r
        for m in range(n):
            p = tree.inclusion_proof(m, n)
            assert p == ref_path(m, d)
            verify_inclusion(d[m], m, n, p, r)
        for m in range(1, n + 1):
            c = tree.consistency_proof(m, n)
            assert c == (ref_subproof(m, d, True) if m < n else [])
            verify_consistency(m, n, tree.root(m), r, c)


# --- pymerkle as the oracle (hypothesis over sizes 1..300) -------------------------------


def _pymerkle_tree(data: list[bytes]) -> pymerkle.InmemoryTree:
    t = pymerkle.InmemoryTree(algorithm="sha256")
    for d in data:
        t.append_entry(d)
    return t


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 300),
    seed=st.binary(max_size=8),
    picks=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.floats(0, 1)), min_size=1, max_size=12
    ),
)
def test_against_pymerkle(n: int, seed: bytes, picks: list[tuple[float, float]]) -> None:
    data = [seed + i.to_bytes(4, "big") for i in range(n)]
    oracle = _pymerkle_tree(data)
    hashes = [leaf_hash(d) for d in data]
    tree = MerkleTree(hashes)
    assert tree.root() == oracle.get_root() == merkle.root(hashes)
    for a, b in picks:
        size = 1 + int(b * (n - 1))  # 1..n
        index = int(a * size)  # 0..size-1
        root = oracle.get_root(size)
        assert tree.root(size) == root
        path = tree.inclusion_proof(index, size)
        # pymerkle: 1-based index, path = [leaf hash] + RFC audit path
        theirs = oracle.prove_inclusion(index + 1, size)
        assert list(theirs.path) == [hashes[index], *path]
        pymerkle.verify_inclusion(hashes[index], root, theirs)
        verify_inclusion(hashes[index], index, size, path, root)
        # consistency: pymerkle's proofs are not RFC form; cross-check roots and our verifier
        old = 1 + int(a * (size - 1)) if size > 1 else 1
        old_root = oracle.get_root(old)
        pymerkle.verify_consistency(old_root, root, oracle.prove_consistency(old, size))
        c = tree.consistency_proof(old, size)
        verify_consistency(old, size, old_root, root, c)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 300))
def test_all_indices_at_full_size_match_pymerkle(n: int) -> None:
    data = [b"leaf-%d" % i for i in range(n)]
    oracle = _pymerkle_tree(data)
    hashes = [leaf_hash(d) for d in data]
    tree = MerkleTree(hashes)
    for i in range(n):
        assert list(oracle.prove_inclusion(i + 1).path)[1:] == tree.inclusion_proof(i)


# --- negative twins ----------------------------------------------------------------------

N = 13
HASHES = [leaf_hash(b"x%d" % i) for i in range(N)]
TREE = MerkleTree(HASHES)
BIG_HASHES = HASHES + [leaf_hash(b"y%d" % i) for i in range(N)]
BIG = MerkleTree(BIG_HASHES)


def _flip(h: bytes, bit: int = 0) -> bytes:
    return bytes([h[0] ^ (1 << bit)]) + h[1:]


def test_inclusion_negative_twins() -> None:
    for i in range(N):
        for size in (i + 1, N):
            path = TREE.inclusion_proof(i, size)
            root = TREE.root(size)
            verify_inclusion(HASHES[i], i, size, path, root)  # the positive twin
            with pytest.raises(VerificationError):
                verify_inclusion(_flip(HASHES[i]), i, size, path, root)  # tampered leaf
            with pytest.raises(VerificationError):
                verify_inclusion(HASHES[i], i, size, path, _flip(root))  # wrong root
            if size > 1:
                other = (i + 1) % size
                with pytest.raises(VerificationError):
                    verify_inclusion(HASHES[i], other, size, path, root)  # wrong index
                with pytest.raises(VerificationError):
                    verify_inclusion(HASHES[i], i, size, [_flip(path[0]), *path[1:]], root)
                with pytest.raises(VerificationError):
                    verify_inclusion(HASHES[i], i, size, path[:-1], root)  # truncated
            with pytest.raises(VerificationError):
                verify_inclusion(HASHES[i], i, size, [*path, root], root)  # extended
            with pytest.raises(VerificationError):  # wrong size (and its root)
                verify_inclusion(HASHES[i], i, size + 1, path, BIG.root(size + 1))
            with pytest.raises(VerificationError):
                verify_inclusion(HASHES[i], size, size, path, root)  # index == size


def _fold_without_depth_check(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes:
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r


def test_subtree_root_is_not_a_tree_root() -> None:
    # Dropping the top of an audit path yields an interior node; that node must not be
    # accepted as the root of the whole tree (RFC 9162 §2.1.3.2 step 5: sn must be 0).
    for i in range(N):
        path = TREE.inclusion_proof(i)
        for cut in range(1, len(path)):
            short = path[:-cut]
            interior = _fold_without_depth_check(HASHES[i], i, N, short)
            assert interior != TREE.root()
            with pytest.raises(VerificationError, match="shorter"):
                verify_inclusion(HASHES[i], i, N, short, interior)


def test_inclusion_wrong_size_never_verifies() -> None:
    # A proof made for one size never verifies for another size under that size's root.
    # (The size alone is not bound by a proof: a proof for (i, 13) also "verifies" under
    # the size-13 root when the claimed size is 14, because both trees have the same
    # shape around leaf i. What binds the size is the signed checkpoint (size, root).)
    for i in range(2 * N):
        for size in range(i + 1, 2 * N + 1):
            path = BIG.inclusion_proof(i, size)
            for other in range(i + 1, 2 * N + 1):
                if other == size or BIG.inclusion_proof(i, other) == path:
                    continue
                with pytest.raises(VerificationError):
                    verify_inclusion(BIG_HASHES[i], i, other, path, BIG.root(other))


def test_consistency_negative_twins() -> None:
    for old in range(1, N):
        new = N
        c = TREE.consistency_proof(old, new)
        ro, rn = TREE.root(old), TREE.root(new)
        verify_consistency(old, new, ro, rn, c)  # positive twin
        with pytest.raises(VerificationError):
            verify_consistency(old, new, _flip(ro), rn, c)
        with pytest.raises(VerificationError):
            verify_consistency(old, new, ro, _flip(rn), c)
        with pytest.raises(VerificationError):
            verify_consistency(old, new, ro, rn, [_flip(c[0]), *c[1:]])
        with pytest.raises(VerificationError):
            verify_consistency(old, new, ro, rn, c[:-1])
        with pytest.raises(VerificationError):
            verify_consistency(old, new, ro, rn, [*c, rn])
        for new2 in range(old + 1, 2 * N + 1):  # wrong new size (with that size's root)
            if new2 != new and BIG.consistency_proof(old, new2) != c:
                with pytest.raises(VerificationError):
                    verify_consistency(old, new2, ro, BIG.root(new2), c)
        for old2 in range(1, new):  # wrong old size (with that size's root)
            if old2 != old and BIG.consistency_proof(old2, new) != c:
                with pytest.raises(VerificationError):
                    verify_consistency(old2, new, BIG.root(old2), rn, c)
        with pytest.raises(VerificationError):
            verify_consistency(new, old, rn, ro, c)  # reversed


def test_consistency_edge_cases() -> None:
    r = TREE.root()
    verify_consistency(0, N, EMPTY_ROOT, r, [])
    verify_consistency(N, N, r, r, [])
    assert TREE.consistency_proof(0) == [] and TREE.consistency_proof(N) == []
    with pytest.raises(VerificationError):
        verify_consistency(0, N, r, r, [])  # old root must be the empty root
    with pytest.raises(VerificationError):
        verify_consistency(N, N, r, _flip(r), [])
    with pytest.raises(VerificationError):
        verify_consistency(N, N, r, r, [r])
    with pytest.raises(VerificationError):
        verify_consistency(3, N, TREE.root(3), r, [])  # empty proof for distinct sizes


def test_bad_arguments() -> None:
    with pytest.raises(InvalidInputError):
        TREE.inclusion_proof(N)
    with pytest.raises(InvalidInputError):
        TREE.inclusion_proof(-1)
    with pytest.raises(InvalidInputError):
        TREE.inclusion_proof(0, N + 1)
    with pytest.raises(InvalidInputError):
        TREE.root(N + 1)
    with pytest.raises(InvalidInputError):
        TREE.consistency_proof(5, 4)
    with pytest.raises(InvalidInputError):
        TREE.append(b"short")
    with pytest.raises(InvalidInputError):
        verify_inclusion(b"short", 0, 1, [], HASHES[0])
    with pytest.raises(MalformedError):
        verify_inclusion(HASHES[0], 0, 2, [b"x" * 31], HASHES[0])
    with pytest.raises(MalformedError):
        verify_inclusion(HASHES[0], 0, 2, "not a list", HASHES[0])  # type: ignore[arg-type]
    with pytest.raises(MalformedError):
        verify_consistency(1, 2, HASHES[0], HASHES[0], [HASHES[0]] * 200)
    with pytest.raises(InvalidInputError):
        merkle.inclusion_proof(HASHES, 0, N + 1)
    with pytest.raises(InvalidInputError):
        verify_inclusion(HASHES[0], True, 2, [], HASHES[0])  # type: ignore[arg-type]


def test_proof_objects_roundtrip() -> None:
    p = InclusionProof(3, N, tuple(TREE.inclusion_proof(3)))
    q = InclusionProof.from_dict(p.to_dict())
    assert q == p
    q.verify(HASHES[3], TREE.root())
    c = ConsistencyProof(5, N, tuple(TREE.consistency_proof(5)))
    assert ConsistencyProof.from_dict(c.to_dict()) == c
    c.verify(TREE.root(5), TREE.root())
    bad = p.to_dict()
    bad["path"][0] = bad["path"][0].upper()
    with pytest.raises(MalformedError, match=r"path\[0\]"):
        InclusionProof.from_dict(bad)
    with pytest.raises(MalformedError, match="size"):
        InclusionProof.from_dict({"index": 0, "size": -1, "path": []})
    with pytest.raises(MalformedError):
        ConsistencyProof.from_dict([])


def test_pure_functions_equal_tree_methods() -> None:
    assert merkle.inclusion_proof(HASHES, 4, 9) == TREE.inclusion_proof(4, 9)
    assert merkle.consistency_proof(HASHES, 4, 9) == TREE.consistency_proof(4, 9)
    assert merkle.root(HASHES) == TREE.root()


# --- complexity: counted hashes, not wall time -------------------------------------------


def test_hash_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    real = merkle.node_hash

    def counting(left: bytes, right: bytes) -> bytes:
        nonlocal calls
        calls += 1
        return real(left, right)

    monkeypatch.setattr(merkle, "node_hash", counting)
    n = 5000
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    log_n = n.bit_length()
    tree, frontier = MerkleTree(), Frontier()
    append_calls = 0
    worst_root = 0
    for h in hashes:
        before = calls
        tree.append(h)
        frontier.append(h)
        append_calls += calls - before
        before = calls
        assert tree.root() == frontier.root()
        worst_root = max(worst_root, calls - before)
    assert append_calls <= 2 * n  # appends: O(1) amortized (n - 1 merges per structure)
    assert worst_root <= 2 * log_n  # incremental root after each append: O(log n)
    calls = 0
    merkle.root(hashes)
    assert calls < 2 * n  # rebuild from scratch: O(n)
    calls = 0
    for i in range(0, n, 97):
        tree.inclusion_proof(i, max(i + 1, n - i // 2))
        tree.consistency_proof(i + 1, n)
    assert calls <= (n // 97 + 1) * 4 * log_n * log_n  # proofs: polylog, no O(n) rebuilds
