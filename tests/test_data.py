"""Tests for zkattest.data: dataset commitment, batch commitment, recording sampler."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from zkattest import merkle
from zkattest.data import (
    CommittedDataset,
    RecordingSampler,
    batch_commitment,
    example_bytes,
)
from zkattest.errors import InvalidInputError, VerificationError


def _dataset(n: int = 37) -> torch.utils.data.TensorDataset:
    g = torch.Generator().manual_seed(0)
    return torch.utils.data.TensorDataset(
        torch.rand(n, 5, generator=g), torch.randint(0, 3, (n,), generator=g)
    )


def test_root_is_rfc9162_over_example_bytes() -> None:
    ds = _dataset()
    data = CommittedDataset(ds)
    leaves = [merkle.leaf_hash(example_bytes(ds[i])) for i in range(len(ds))]
    assert data.root == merkle.root(leaves)
    assert len(data) == len(ds)
    for i in (0, 17, 36):
        assert (
            merkle.verify_inclusion(data.leaf(i), i, len(ds), data.inclusion_proof(i), data.root)
            is None
        )


def test_example_bytes_binds_dtype_shape_and_values() -> None:
    x = torch.arange(6, dtype=torch.float32)
    base = example_bytes((x, 1))
    assert base == example_bytes((x.numpy().copy(), np.int64(1)))
    assert base != example_bytes((x.reshape(2, 3), 1))
    assert base != example_bytes((x.double(), 1))
    y = x.clone()
    y[5] = 5.5
    assert base != example_bytes((y, 1))
    assert example_bytes(torch.ones(2, dtype=torch.bfloat16)) != example_bytes(torch.ones(2))
    with pytest.raises(InvalidInputError, match="cannot encode"):
        example_bytes(("text",))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 36), min_size=1, max_size=10))
def test_batch_commitment_binds_indices_and_order(indices: list[int]) -> None:
    data = _committed()
    c = data.batch_commitment(indices)
    assert c == batch_commitment(indices, [data.leaf(i) for i in indices])
    data.check_batch(indices, c.hex())
    other = [*indices[:-1], (indices[-1] + 1) % 37]
    assert data.batch_commitment(other) != c
    with pytest.raises(VerificationError):
        data.check_batch(other, c)
    if len(set(indices)) > 1:
        assert data.batch_commitment(indices[::-1]) != c or indices == indices[::-1]


_CACHE: dict[str, CommittedDataset] = {}


def _committed() -> CommittedDataset:
    if "d" not in _CACHE:
        _CACHE["d"] = CommittedDataset(_dataset())
    return _CACHE["d"]


def test_bad_input() -> None:
    data = _committed()
    with pytest.raises(InvalidInputError, match="outside the dataset"):
        data.batch_commitment([37])
    with pytest.raises(InvalidInputError, match="outside the dataset"):
        data.leaf(-1)
    with pytest.raises(InvalidInputError, match="must be an int"):
        data.batch_commitment([1.0])  # type: ignore[list-item]
    with pytest.raises(InvalidInputError, match="empty"):
        data.batch_commitment([])
    with pytest.raises(InvalidInputError, match="empty"):
        CommittedDataset([])
    with pytest.raises(InvalidInputError, match="len"):
        CommittedDataset(42)
    with pytest.raises(VerificationError, match="outside"):
        data.check_batch([99], "00" * 32)
    with pytest.raises(InvalidInputError, match="positive int"):
        RecordingSampler(0)


def test_recording_sampler_records_what_the_loader_draws() -> None:
    data = _committed()
    sampler = data.sampler(seed=3)
    loader = torch.utils.data.DataLoader(data, batch_size=8, sampler=sampler)
    seen = []
    for x, _ in loader:
        idx = sampler.take()
        assert len(idx) == len(x)
        assert torch.equal(x, torch.stack([data[i][0] for i in idx]))
        seen += idx
    assert sorted(seen) == list(range(37))
    # seeded and resumable
    s2 = data.sampler(seed=3)
    assert list(s2) == list(data.sampler(seed=3))
    state = s2.state_dict()
    nxt = list(s2)
    s2.load_state_dict(state)
    assert list(s2) == nxt
    assert list(RecordingSampler(5, shuffle=False)) == [0, 1, 2, 3, 4]
    assert list(RecordingSampler(3, source=[2, 2, 0])) == [2, 2, 0]
