"""Tests of the state commitments (zkattest.commit, scheme blake3-salted-v1).

A pure-Python reference of the scheme (``ref_commit``, written from docs/commitments.md
with the ``blake3`` package) cross-checks the Rust core, on the checked-in vectors and on
random states.
"""

from __future__ import annotations

import json
import struct
from itertools import pairwise
from pathlib import Path

import blake3
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zkattest import _core
from zkattest.commit import (
    DEFAULT_CHUNK_SIZE,
    SCHEME,
    ChunkProof,
    StateCommitter,
    ViewCache,
    as_tensor_bytes,
    chunk_bytes,
    chunk_salt,
    commit_safetensors,
    commit_shard,
    commit_with_step_key,
    derive_step_key,
    leaf_hash,
    state_from_shards,
    tensors_from_optimizer,
    tensors_from_state_dict,
    verify_chunk,
    verify_leaf,
)
from zkattest.errors import InvalidInputError, MalformedError, VerificationError

VECTORS = Path(__file__).parent.parent / "rust/core/test_vectors/commit_vectors.json"
SEED = bytes(range(32))
CS = 64  # small chunks: many leaves from small tensors


# --- pure-Python reference of the scheme ------------------------------------------------


def u64(x: int) -> bytes:
    return struct.pack("<Q", x)


def ref_step_key(seed: bytes, step: int) -> bytes:
    return blake3.blake3(b"zkattest.step-key.v1" + u64(step), key=seed).digest()


def ref_salt(step_key: bytes, name: str, index: int) -> bytes:
    n = name.encode()
    return blake3.blake3(b"zkattest.salt.v1" + u64(len(n)) + n + u64(index), key=step_key).digest()


def ref_leaf(salt: bytes, chunk: bytes) -> bytes:
    return blake3.blake3(b"zkattest.leaf.v1" + salt + chunk).digest()


def ref_root(leaves: list[bytes]) -> bytes:
    if not leaves:
        return blake3.blake3(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return blake3.blake3(b"\x01" + ref_root(leaves[:k]) + ref_root(leaves[k:])).digest()


def ref_commit(step_key: bytes, tensors: dict, chunk_size: int) -> tuple[bytes, dict]:
    """``tensors``: ``{name: (dtype tag, shape, raw bytes)}`` -> (state root, {name: root})."""
    sizes = {tag: size for tag, size, _ in _core.commit_constants()["dtypes"]}
    entries, roots = [], {}
    for name in sorted(tensors):
        tag, shape, data = tensors[name]
        chunks = [data[i : i + chunk_size] for i in range(0, len(data), chunk_size)]
        leaves = [ref_leaf(ref_salt(step_key, name, i), c) for i, c in enumerate(chunks)]
        roots[name] = ref_root(leaves)
        n, t = name.encode(), tag.encode()
        msg = b"zkattest.tensor.v1" + u64(len(n)) + n + u64(len(t)) + t + u64(sizes[tag])
        msg += u64(len(shape)) + b"".join(u64(d) for d in shape) + u64(chunk_size) + roots[name]
        entries.append(blake3.blake3(msg).digest())
    state = blake3.blake3(b"zkattest.state.v1" + u64(len(entries)) + ref_root(entries)).digest()
    return state, roots


def pattern(n: int) -> bytes:
    return bytes(j % 251 for j in range(n))


def sample_state(rng: np.random.Generator) -> dict[str, np.ndarray]:
    import ml_dtypes

    return {
        "w": rng.standard_normal((7, 33)).astype(ml_dtypes.bfloat16),
        "b": rng.standard_normal(33).astype(np.float32),
        "step": np.array(12, dtype=np.int64),
        "mask": rng.integers(0, 2, 100).astype(bool),
        "empty": np.zeros((0, 4), dtype=np.float32),
        "bytes": rng.integers(0, 256, 129, dtype=np.uint8),
    }


def as_ref(tensors: dict) -> dict:
    return {n: (tb.dtype, tb.shape, tb.data.tobytes()) for n, tb in tensors_bytes(tensors).items()}


def tensors_bytes(tensors: dict) -> dict:
    return {n: as_tensor_bytes(n, v) for n, v in tensors.items()}


# --- vectors -----------------------------------------------------------------------------


def test_checked_in_vectors() -> None:
    v = json.loads(VECTORS.read_text())
    consts = _core.commit_constants()
    assert v["scheme"] == SCHEME == consts["scheme"]
    for key, value in v["constants"].items():
        expected = consts[key]
        assert (expected.decode() if isinstance(expected, bytes) else expected) == value, key
    seed = bytes.fromhex(v["salt_seed"])
    assert seed == SEED
    for sk in v["step_keys"]:
        assert derive_step_key(seed, sk["step"]).hex() == sk["step_key"]
        assert ref_step_key(seed, sk["step"]).hex() == sk["step_key"]
    for s in v["salts"]:
        key = derive_step_key(seed, s["step"])
        assert chunk_salt(key, s["name"], s["index"]).hex() == s["salt"]
        assert ref_salt(key, s["name"], s["index"]).hex() == s["salt"]
    salt = bytes.fromhex(v["leaf_salt"])
    for leaf in v["leaves"]:
        assert leaf_hash(salt, pattern(leaf["len"])).hex() == leaf["leaf"]
        assert ref_leaf(salt, pattern(leaf["len"])).hex() == leaf["leaf"]
    for tree in v["trees"]:
        leaves = [blake3.blake3(u64(i)).digest() for i in range(tree["n"])]
        assert ref_root(leaves).hex() == tree["root"]
    for case in v["states"]:
        key = derive_step_key(seed, case["step"])
        assert key.hex() == case["step_key"]
        raw = {}
        for t in case["tensors"]:
            nbytes = int(np.prod(t["shape"], dtype=np.int64)) * _size(t["dtype"])
            raw[t["name"]] = (t["dtype"], tuple(t["shape"]), pattern(nbytes))
        c = _core.commit_state(
            key,
            case["chunk_size"],
            [(n, d, list(s), np.frombuffer(b, np.uint8)) for n, (d, s, b) in raw.items()],
        )
        assert c.root.hex() == case["root"]
        by_name = {t[0]: t for t in c.tensors()}
        for t in case["tensors"]:
            _, _, _, root, entry, n = by_name[t["name"]]
            assert (root.hex(), entry.hex(), n) == (t["root"], t["entry"], t["num_chunks"])
        ref_state, _ = ref_commit(key, raw, case["chunk_size"])
        assert ref_state.hex() == case["root"]
        for p in case["proofs"]:
            data = raw[p["name"]][2]
            start = p["index"] * case["chunk_size"]
            chunk = data[start : start + case["chunk_size"]]
            proof = bytes.fromhex(p["proof"])
            assert c.prove_chunk(p["name"], p["index"]) == proof
            verify_chunk(c.root, p["name"], p["index"], chunk, bytes.fromhex(p["salt"]), proof)
            verify_leaf(c.root, p["name"], p["index"], bytes.fromhex(p["leaf"]), proof)


def _size(tag: str) -> int:
    return {t: s for t, s, _ in _core.commit_constants()["dtypes"]}[tag]


# --- roots ---------------------------------------------------------------------------


def test_matches_reference_and_is_deterministic() -> None:
    state = sample_state(np.random.default_rng(0))
    committer = StateCommitter(SEED, CS)
    c = committer.commit(state, step=3)
    assert c.root == committer.commit(state, step=3).root
    assert c.root == commit_with_step_key(committer.step_key(3), state, chunk_size=CS).root
    ref_state, ref_roots = ref_commit(ref_step_key(SEED, 3), as_ref(state), CS)
    assert c.root == ref_state
    assert c.tensor_roots == ref_roots
    assert list(c.tensors) == sorted(state)
    assert c.tensors["w"].dtype == "bf16" and c.tensors["w"].shape == (7, 33)
    assert c.tensors["w"].num_chunks == -(-7 * 33 * 2 // CS)
    assert c.step == 3 and c.scheme == SCHEME == "blake3-salted-v1"
    assert json.loads(json.dumps(c.to_dict()))["root"] == c.root.hex()
    # Pairs in any order give the same root; thread count does not matter.
    assert (
        commit_with_step_key(
            committer.step_key(3), reversed(list(state.items())), chunk_size=CS, threads=1
        ).root
        == c.root
    )
    assert StateCommitter(SEED, CS, threads=2).commit(state, 3).root == c.root


def test_default_chunk_size_matches_reference() -> None:
    # Full 64 KiB chunks take the core's subtree fast path; tails take the copy path.
    rng = np.random.default_rng(5)
    state = {
        "w": rng.standard_normal((3, 40000)).astype(np.float32),
        "v": rng.integers(0, 256, 3 * 65536, dtype=np.uint8),
    }
    c = StateCommitter(SEED).commit(state, 11)
    assert (c.root, c.tensor_roots) == ref_commit(ref_step_key(SEED, 11), as_ref(state), 65536)


def test_seed_step_and_chunk_size_change_the_root() -> None:
    state = sample_state(np.random.default_rng(1))
    base = StateCommitter(SEED, CS).commit(state, 0).root
    assert StateCommitter(bytes(32), CS).commit(state, 0).root != base
    assert StateCommitter(SEED, CS).commit(state, 1).root != base
    assert StateCommitter(SEED, 2 * CS).commit(state, 0).root != base
    assert StateCommitter(SEED).commit(state, 0).root != base


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_any_changed_byte_changes_the_root(data: st.DataObject) -> None:
    state = sample_state(np.random.default_rng(2))
    committer = StateCommitter(SEED, CS)
    base = committer.commit(state, 5).root
    name = data.draw(st.sampled_from(sorted(n for n, a in state.items() if a.nbytes)))
    raw = bytearray(as_tensor_bytes(name, state[name]).data.tobytes())
    i = data.draw(st.integers(0, len(raw) - 1))
    raw[i] ^= 1 << data.draw(st.integers(0, 7))
    changed = dict(state)
    changed[name] = np.frombuffer(bytes(raw), dtype=state[name].dtype).reshape(state[name].shape)
    assert committer.commit(changed, 5).root != base


def test_metadata_changes_the_root() -> None:
    a = np.arange(16, dtype=np.float32)
    c = StateCommitter(SEED, CS)
    base = c.commit({"a": a}, 0).root
    assert c.commit({"a": a.view(np.int32)}, 0).root != base  # same bytes, other dtype
    assert c.commit({"a": a.reshape(4, 4)}, 0).root != base  # same bytes, other shape
    assert c.commit({"b": a}, 0).root != base
    assert c.commit({"a": a, "b": np.zeros(0, np.uint8)}, 0).root != base


def test_big_endian_and_non_contiguous_inputs() -> None:
    rng = np.random.default_rng(3)
    a = rng.standard_normal((5, 40)).astype(np.float32)
    c = StateCommitter(SEED, CS)
    base = c.commit({"a": a.T.copy()}, 0).root
    assert c.commit({"a": a.T}, 0).root == base  # a non-contiguous view
    assert c.commit({"a": a.T.astype(">f4")}, 0).root == base


# --- proofs ----------------------------------------------------------------------------


def test_every_chunk_proof_verifies_and_tampering_is_rejected() -> None:
    state = sample_state(np.random.default_rng(4))
    committer = StateCommitter(SEED, CS)
    c = committer.commit(state, 9)
    for name, value in state.items():
        for i in range(c.tensors[name].num_chunks):
            proof = committer.prove_chunk(c, name, i)
            assert ChunkProof.from_bytes(proof.to_bytes()) == proof
            assert (proof.name, proof.index, proof.chunk_size) == (name, i, CS)
            chunk = chunk_bytes(value, i, CS)
            assert proof.chunk_len == chunk.size
            salt = committer.chunk_salt(9, name, i)
            verify_chunk(c.root, name, i, chunk, salt, proof)
            verify_leaf(c.root, name, i, leaf_hash(salt, chunk), proof)

            bad = chunk.copy()
            bad[-1] ^= 0x40
            with pytest.raises(VerificationError):
                verify_chunk(c.root, name, i, bad, salt, proof)
            with pytest.raises(VerificationError):
                verify_chunk(c.root, name, i, chunk, committer.chunk_salt(8, name, i), proof)
            with pytest.raises(VerificationError):
                verify_chunk(c.root, name, i + 1, chunk, salt, proof)
            with pytest.raises(VerificationError):
                verify_chunk(bytes(32), name, i, chunk, salt, proof)
            with pytest.raises(VerificationError):
                verify_leaf(c.root, name, i, bytes(32), proof)
    # Every single-bit flip of a proof is rejected (malformed or not verifying).
    proof = c.prove_chunk("w", 2)
    chunk, salt = chunk_bytes(state["w"], 2, CS), committer.chunk_salt(9, "w", 2)
    for at in range(len(proof.data)):
        flipped = bytearray(proof.data)
        flipped[at] ^= 1 << (at % 8)
        with pytest.raises((VerificationError, MalformedError)):
            verify_chunk(c.root, "w", 2, chunk, salt, bytes(flipped))


def test_malformed_proofs() -> None:
    c = StateCommitter(SEED, CS).commit({"a": np.zeros(1000, np.uint8)}, 0)
    data = c.prove_chunk("a", 3).data
    for bad in (b"", data[:-1], data + b"\0", b"x" + data[1:], data[:40]):
        with pytest.raises(MalformedError):
            ChunkProof.from_bytes(bad)
    with pytest.raises(InvalidInputError):
        c.prove_chunk("a", 16)
    with pytest.raises(InvalidInputError):
        c.prove_chunk("nope", 0)


# --- sharding --------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(
    nbytes=st.integers(0, 3000),
    cuts=st.lists(st.integers(0, 60), max_size=6),
    seed=st.integers(0, 2**32 - 1),
)
def test_sharding_does_not_change_the_root(nbytes: int, cuts: list[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    tensors = {
        "a": rng.integers(0, 256, nbytes, dtype=np.uint8),
        "b": np.arange(300, dtype=np.int64),
    }
    committer = StateCommitter(SEED, CS)
    whole = committer.commit(tensors, 2)
    bounds = sorted({0, nbytes, *(c * CS for c in cuts if c * CS < nbytes)})
    shards = [
        committer.commit_shard("a", tensors["a"][lo:hi], lo, (nbytes,), 2)
        for lo, hi in pairwise(bounds)
    ]
    if nbytes == 0:
        shards = [committer.commit_shard("a", tensors["a"], 0, (0,), 2)]
    shards.append(committer.commit_shard("b", tensors["b"], 0, (300,), 2))
    rng.shuffle(shards)
    assembled = state_from_shards(shards)
    assert assembled.root == whole.root
    assert assembled.tensor_roots == whole.tensor_roots
    if whole.tensors["a"].num_chunks:
        assert assembled.prove_chunk("a", 0) == whole.prove_chunk("a", 0)


def test_bad_shards_are_rejected() -> None:
    key = derive_step_key(SEED, 0)
    a = np.arange(300, dtype=np.uint8)
    with pytest.raises(InvalidInputError, match="aligned"):
        commit_shard(key, "a", a[10:], 10, (300,), chunk_size=CS)
    first = commit_shard(key, "a", a[:128], 0, (300,), chunk_size=CS)
    with pytest.raises(InvalidInputError, match="cover"):
        state_from_shards([first])
    with pytest.raises(InvalidInputError, match="gap or overlap"):
        state_from_shards([first, commit_shard(key, "a", a[192:], 192, (300,), chunk_size=CS)])
    with pytest.raises(InvalidInputError, match="disagree"):
        state_from_shards([first, commit_shard(key, "a", a[128:], 128, (301,), chunk_size=CS)])


# --- files and torch -------------------------------------------------------------------


def test_safetensors_file_root_equals_loaded_tensors(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    from safetensors.numpy import save_file as save_numpy
    from safetensors.torch import save_file

    torch.manual_seed(0)
    tensors = {
        "w": torch.randn(70, 33).to(torch.bfloat16),
        "b": torch.randn(33),
        "idx": torch.arange(17, dtype=torch.int64),
        "half": torch.randn(5, 5, dtype=torch.float16),
    }
    path = tmp_path / "model.safetensors"
    save_file(tensors, str(path))
    key = derive_step_key(SEED, 4)
    from_file = commit_safetensors(path, key, chunk_size=CS)
    assert from_file.root == commit_with_step_key(key, tensors, chunk_size=CS).root
    assert StateCommitter(SEED, CS).commit_safetensors(path, 4).root == from_file.root
    arrays = {"x": np.arange(1000, dtype=np.float32), "y": np.ones((3, 3), np.int32)}
    save_numpy(arrays, str(tmp_path / "np.safetensors"))
    assert (
        commit_safetensors(tmp_path / "np.safetensors", key).root
        == commit_with_step_key(key, arrays).root
    )
    (tmp_path / "junk.safetensors").write_bytes(b"\x05\0\0\0\0\0\0\0{oops")
    with pytest.raises(MalformedError):
        commit_safetensors(tmp_path / "junk.safetensors", key)
    from zkattest.errors import ZkattestIOError

    with pytest.raises(ZkattestIOError):
        commit_safetensors(tmp_path / "missing.safetensors", key)


def test_torch_model_and_adamw_state() -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(torch.randn(8, 16)).square().mean().backward()
    opt.step()
    tensors = {**tensors_from_state_dict(model.state_dict()), **tensors_from_optimizer(opt, model)}
    assert "optim.state.0.weight.exp_avg" in tensors
    assert "optim.state.2.bias.exp_avg_sq" in tensors
    assert tensors["optim.state.0.weight.step"].shape == ()
    committer = StateCommitter(SEED, CS)
    c = committer.commit(tensors, 1)
    assert c.root == ref_commit(ref_step_key(SEED, 1), as_ref(tensors), CS)[0]
    # Zero-copy: the committed bytes are the parameter's memory.
    w = model[0].weight
    assert tensors["0.weight"].data.ctypes.data == w.data_ptr()
    # Without a model, parameters are named by position.
    assert "optim.state.0.0.exp_avg" in tensors_from_optimizer(opt)
    # Opening a chunk of an optimizer buffer.
    name = "optim.state.0.weight.exp_avg_sq"
    proof = c.prove_chunk(name, 1)
    chunk = chunk_bytes(opt.state[w]["exp_avg_sq"], 1, CS)
    verify_chunk(c.root, name, 1, chunk, committer.chunk_salt(1, name, 1), proof)
    # Another step changes the state and the root.
    model(torch.randn(8, 16)).square().mean().backward()
    opt.step()
    later = {**tensors_from_state_dict(model.state_dict()), **tensors_from_optimizer(opt, model)}
    assert committer.commit(later, 1).root != c.root


def test_view_cache_reuses_only_views_of_the_same_memory() -> None:
    torch = pytest.importorskip("torch")
    model = torch.nn.Linear(4, 3)
    views = ViewCache()
    first = tensors_from_state_dict(model.state_dict(), views=views)
    # state_dict() returns new tensor objects over the same memory: the views are reused
    again = tensors_from_state_dict(model.state_dict(), views=views)
    assert again["weight"] is first["weight"]
    with torch.no_grad():
        model.weight.mul_(2.0)  # in place: the cached view sees the new values
    assert again["weight"].data.tobytes() == model.weight.detach().numpy().tobytes()
    with torch.no_grad():
        model.weight.data = torch.randn(3, 4)  # new memory: a new view
    fresh = tensors_from_state_dict(model.state_dict(), views=views)
    assert fresh["weight"] is not first["weight"]
    assert fresh["weight"].data.ctypes.data == model.weight.data_ptr()
    # same address and shape, other strides (a transposed square view): not reused
    sq = torch.arange(16, dtype=torch.float32).reshape(4, 4)
    a = views.view("sq", sq)
    b = views.view("sq", sq.t())
    assert b is not a and b.data.tobytes() == sq.t().contiguous().numpy().tobytes()
    # other dtype over the same memory: not reused
    c = views.view("sq", sq.view(torch.int32))
    assert c is not a and c.dtype == "i32"
    # numpy arrays and scalars pass straight through
    assert views.view("n", np.arange(3, dtype=np.int64)).dtype == "i64"
    assert views.view("s", 1.5).dtype == "f64"


def test_torch_bf16_and_non_contiguous() -> None:
    torch = pytest.importorskip("torch")
    import ml_dtypes

    torch.manual_seed(1)
    t = torch.randn(40, 24).to(torch.bfloat16)
    key = derive_step_key(SEED, 0)
    as_numpy = t.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    assert (
        commit_with_step_key(key, {"t": t}, chunk_size=CS).root
        == commit_with_step_key(key, {"t": as_numpy}, chunk_size=CS).root
    )
    tb = as_tensor_bytes("t", t)
    assert tb.dtype == "bf16" and tb.nbytes == 40 * 24 * 2
    assert tb.data.tobytes() == t.view(torch.uint16).numpy().tobytes()
    tt = t.t()  # non-contiguous
    assert not tt.is_contiguous()
    assert (
        commit_with_step_key(key, {"t": tt}, chunk_size=CS).root
        == commit_with_step_key(key, {"t": tt.contiguous()}, chunk_size=CS).root
    )
    p = torch.nn.Parameter(torch.randn(3, 3))  # requires grad: detached, not rejected
    assert as_tensor_bytes("p", p).data.nbytes == 36


@pytest.mark.filterwarnings("ignore:torch.quantize_per_tensor:UserWarning")
def test_rejected_dtypes_name_the_tensor() -> None:
    torch = pytest.importorskip("torch")
    bad = {
        "c64": torch.zeros(3, dtype=torch.complex64),
        "sparse": torch.zeros(3, 3).to_sparse(),
        "meta": torch.empty(3, device="meta"),
        "quant": torch.quantize_per_tensor(torch.zeros(3), 0.1, 0, torch.qint8),
    }
    for name, t in bad.items():
        with pytest.raises(InvalidInputError, match=name):
            commit_with_step_key(bytes(32), {name: t})
    for name, a in {"np_complex": np.zeros(3, np.complex64), "np_obj": np.array([1, "x"])}.items():
        with pytest.raises(InvalidInputError, match=name):
            commit_with_step_key(bytes(32), {name: a})
    with pytest.raises(InvalidInputError, match="lst"):
        commit_with_step_key(bytes(32), {"lst": [1, 2]})


def test_bad_arguments() -> None:
    a = {"a": np.zeros(10, np.float32)}
    for make in (
        lambda: StateCommitter(b"short"),
        lambda: StateCommitter(SEED, 1000).commit(a, 0),
        lambda: StateCommitter(SEED, 32).commit(a, 0),
        lambda: StateCommitter(SEED).commit(a, -1),
        lambda: StateCommitter(SEED).commit(a, 2**64),
        lambda: StateCommitter(SEED).commit({}, 0),
        lambda: StateCommitter(SEED).commit([("a", a["a"]), ("a", a["a"])], 0),
        lambda: StateCommitter(SEED).commit({"": a["a"]}, 0),
        lambda: StateCommitter(SEED, threads=0).commit(a, 0),
        lambda: commit_with_step_key(b"k" * 31, a),
        lambda: derive_step_key(SEED, "1"),
        lambda: verify_chunk(b"r", "a", 0, b"", bytes(32), b""),
    ):
        with pytest.raises(InvalidInputError):
            make()
    assert SEED.hex() not in repr(StateCommitter(SEED))
    assert DEFAULT_CHUNK_SIZE == 65536
