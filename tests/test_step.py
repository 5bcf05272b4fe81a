"""Step-chunk proofs through the Python binding: honest SGD / AdamW chunks verify and
their leaves are the committed leaves of the states before and after (computed with the
canonical optimizer); forgeries (wrong update, stale gradient, wrong scalars, swapped or
stale leaves, changed flag, flipped proof byte) are rejected; bad input raises typed
errors."""

from __future__ import annotations

import numpy as np
import pytest

from zkattest import _core
from zkattest.errors import InvalidInputError, MalformedError, VerificationError

N = 8
#: Byte offset of the first scalar in the public encoding (magic, tag, step, n).
_SCALARS_AT = len(b"zkattest.step-public.v1") + 1 + 8 + 4


def _state(seed: int, nbufs: int, n: int = N) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    f = lambda s: (rng.standard_normal(n) * s).astype(np.float32)  # noqa: E731
    bufs = [f(1e-2), np.abs(f(1e-2)) * 1e-2][:nbufs]
    return f(0.1).view(np.uint32), f(1e-2).view(np.uint32), [b.view(np.uint32) for b in bufs]


def _salts(k: int, base: int) -> list[bytes]:
    return [bytes([base + i]) * 32 for i in range(k)]


def _prove(scalars, step, param, grad, bufs, n_after, base=10):
    return _core.step_prove_chunk(
        scalars,
        step,
        param,
        grad,
        bufs,
        _salts(1 + len(bufs), base),
        bytes([base + 9]) * 32,
        _salts(n_after, base + 20),
    )


def _leaf(salt: bytes, words: np.ndarray) -> bytes:
    return _core.commit_leaf_hash(salt, words.astype("<u4").tobytes())


def _with_leaves(public: bytes, leaves: list[bytes]) -> bytes:
    return public[: len(public) - 32 * len(leaves)] + b"".join(leaves)


def _rejected(public: bytes, proof: bytes) -> None:
    with pytest.raises((VerificationError, MalformedError)):
        _core.step_verify_chunk(public, proof)


@pytest.fixture(scope="module")
def sgd_case():
    s = _core.sgd_scalars(lr=0.1, momentum=0.9, weight_decay=0.01)
    param, grad, bufs = _state(1, 1)
    public, proof = _prove(s, 5, param, grad, bufs, 2)
    return s, (param, grad, bufs), public, proof


def test_honest_sgd_verifies_and_leaves_match_the_canonical_update(sgd_case):
    s, (param, grad, bufs), public, proof = sgd_case
    _core.step_verify_chunk(public, proof)
    info = _core.step_public_info(public)
    assert info["optimizer"] == "sgd" and info["step"] == 5 and info["n"] == N
    assert info["scalars"] == s.as_dict()
    # the canonical update (softfloat reference) gives the after-state
    p = param.view(np.float32).copy()
    b = bufs[0].view(np.float32).copy()
    _core.sgd_update_reference(s, p, grad.view(np.float32), b, False)
    assert info["leaves_before"] == [_leaf(b"\x0a" * 32, param), _leaf(b"\x0b" * 32, bufs[0])]
    assert info["grad_leaf"] == _leaf(b"\x13" * 32, grad)
    assert info["leaves_after"] == [
        _leaf(b"\x1e" * 32, p.view(np.uint32)),
        _leaf(b"\x1f" * 32, b.view(np.uint32)),
    ]


@pytest.mark.parametrize(
    "kwargs,nbufs",
    [
        ({}, 0),
        ({"weight_decay": 0.01, "maximize": True}, 0),
        ({"momentum": 0.9}, 0),  # first momentum step: torch creates the buffer
        ({"momentum": 0.9, "nesterov": True}, 1),
    ],
)
def test_honest_sgd_variants_verify(kwargs, nbufs):
    s = _core.sgd_scalars(lr=0.05, **kwargs)
    param, grad, bufs = _state(2, nbufs)
    n_after = 1 + (1 if kwargs.get("momentum") else 0)
    public, proof = _prove(s, 1, param, grad, bufs, n_after)
    _core.step_verify_chunk(public, proof)
    info = _core.step_public_info(public)
    assert len(info["leaves_before"]) == 1 + nbufs and len(info["leaves_after"]) == n_after


@pytest.mark.parametrize("beta1,wd", [(0.9, 0.01), (0.3, 0.0)])
def test_honest_adamw_verifies(beta1, wd):
    s = _core.adamw_scalars(lr=1e-3, beta1=beta1, beta2=0.999, eps=1e-8, weight_decay=wd, step=3)
    param, grad, bufs = _state(3, 2)
    public, proof = _prove(s, 3, param, grad, bufs, 3)
    _core.step_verify_chunk(public, proof)
    info = _core.step_public_info(public)
    assert info["optimizer"] == "adamw" and info["scalars"] == s.as_dict()
    p, m, v = (x.view(np.float32).copy() for x in (param, bufs[0], bufs[1]))
    _core.adamw_update_reference(s, p, grad.view(np.float32), m, v)
    assert info["leaves_after"][0] == _leaf(b"\x1e" * 32, p.view(np.uint32))
    # a flipped proof byte
    bad = bytearray(proof)
    bad[len(bad) // 2] ^= 1
    _rejected(public, bytes(bad))


def test_sgd_forgeries_are_rejected(sgd_case):
    s, (param, grad, bufs), public, proof = sgd_case
    leaves = [*_core.step_public_info(public)["leaves_before"][:1]]
    info = _core.step_public_info(public)
    all_leaves = [
        info["leaves_before"][0],
        info["grad_leaf"],
        *info["leaves_before"][1:],
        *info["leaves_after"],
    ]
    assert leaves
    # a wrong update in one element: the claimed after-leaf commits another value
    p_bad = param.copy()
    p_bad[3] ^= 1
    wrong = _leaf(b"\x1e" * 32, p_bad)
    _rejected(_with_leaves(public, [*all_leaves[:3], wrong, all_leaves[4]]), proof)
    # a stale gradient (another step's gradient leaf)
    _, grad2, _ = _state(9, 1)
    _rejected(
        _with_leaves(public, [all_leaves[0], _leaf(b"\x13" * 32, grad2), *all_leaves[2:]]), proof
    )
    # wrong lr_t: neg_lr is the first u32 after lr_f64
    at = _SCALARS_AT + 8
    bad = bytearray(public)
    bad[at] ^= 1
    _rejected(bytes(bad), proof)
    # a swapped chunk: the leaves of another chunk of the same step
    p2, g2, b2 = _state(8, 1)
    public2, _ = _prove(s, 5, p2, g2, b2, 2)
    _rejected(_with_leaves(public, _leaves_of(public2)), proof)
    # leaves from another step (other salts: another step key)
    public3, _ = _prove(s, 5, param, grad, bufs, 2, base=50)
    _rejected(_with_leaves(public, _leaves_of(public3)), proof)
    # a changed flag: nesterov (the byte after one_minus_dampening)
    at = _SCALARS_AT + 8 + 4 + 1 + 4 + 1 + 4 + 4
    bad = bytearray(public)
    assert bad[at] == 0
    bad[at] = 1
    _rejected(bytes(bad), proof)
    # a flipped proof byte
    bad = bytearray(proof)
    bad[len(bad) // 3] ^= 0x40
    _rejected(public, bytes(bad))


def _leaves_of(public: bytes) -> list[bytes]:
    info = _core.step_public_info(public)
    return [
        info["leaves_before"][0],
        info["grad_leaf"],
        *info["leaves_before"][1:],
        *info["leaves_after"],
    ]


def test_malformed_public_bytes(sgd_case):
    _, _, public, proof = sgd_case
    for bad in (b"", public[:-1], public + b"\x00", b"x" + public[1:]):
        with pytest.raises(MalformedError):
            _core.step_public_info(bad)
        with pytest.raises(MalformedError):
            _core.step_verify_chunk(bad, proof)
    with pytest.raises((MalformedError, VerificationError)):
        _core.step_verify_chunk(public, b"not a proof")


def test_bad_input_is_rejected():
    s = _core.sgd_scalars(lr=0.1, momentum=0.9)
    param, grad, bufs = _state(4, 1)
    with pytest.raises(InvalidInputError):
        _prove(s, 1, param, grad[:-1], bufs, 2)
    with pytest.raises(InvalidInputError):
        _prove(s, 1, param.view(np.float32), grad, bufs, 2)
    with pytest.raises(InvalidInputError):
        _core.step_prove_chunk(s, 1, param, grad, bufs, [b"short"], b"\x00" * 32, _salts(2, 0))
    with pytest.raises(InvalidInputError):
        _prove("not scalars", 1, param, grad, bufs, 2)
    nan = np.full(N, 0x7FC00000, dtype=np.uint32)
    with pytest.raises(InvalidInputError):
        _prove(s, 1, nan, grad, bufs, 2)


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
def test_bench_step_json(optimizer, capsys):
    """`zkattest bench step` proves and verifies random chunks (AdamW second moments
    non-negative) and ends with one JSON object carrying every documented key."""
    import json

    from zkattest.cli import main

    assert main(["bench", "step", "--optimizer", optimizer, "--params", "64", "--json"]) == 0
    r = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    keys = {"optimizer", "params", "prove_s", "verify_s", "proof_bytes", "cells_per_param"}
    keys |= {"arith_cells_per_param", "hash_cells_per_param", "params_per_s", "verified"}
    assert keys <= r.keys()
    assert r["optimizer"] == optimizer and r["params"] == 64 and r["verified"] is True
