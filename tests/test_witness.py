"""Tests for zkattest.witness: the on-disk store of committed states and gradients."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch

import zkattest
from zkattest import keys
from zkattest.commit import StateCommitter
from zkattest.data import CommittedDataset
from zkattest.errors import InvalidInputError, MalformedError, ZkattestIOError
from zkattest.log import RunLog
from zkattest.optim import AdamW
from zkattest.spec import (
    ChallengePolicy,
    ConstantSchedule,
    InitRecipe,
    TrainingSpec,
    commit_secret,
)
from zkattest.witness import WITNESS_DIR, WITNESS_MAGIC, WitnessStore

SALT_SEED = hashlib.sha256(b"test_witness salt seed").digest()


def _tensors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "b": rng.standard_normal(7).astype(np.float32),
        "a.weight": rng.standard_normal((33, 5)).astype(np.float32),
        "step": np.array(3.0, dtype=np.float32),
        "count": np.array(5, dtype=np.int64),
        "empty": np.zeros((0, 4), dtype=np.float32),
    }


def test_round_trip_recommits_to_the_same_root(tmp_path: Path) -> None:
    store = WitnessStore(tmp_path / "w")
    t = _tensors()
    c = StateCommitter(SALT_SEED, chunk_size=64)
    root = c.commit(t, 4).root
    store.put_state(4, t)
    store.put_grads(4, {"grad.b": t["b"]})
    store.sync()
    back = store.state(4)
    assert sorted(back) == sorted(t)
    for name, arr in t.items():
        assert back[name].shape == arr.shape
        assert bytes(back[name].data) == arr.tobytes()
        assert back[name].data.ctypes.data % 64 == 0 or arr.nbytes == 0
    assert c.commit(back, 4).root == root
    assert bytes(store.grads(4)["grad.b"].data) == t["b"].tobytes()
    assert store.has("state", 4) and store.has("grad", 4) and not store.has("state", 5)
    assert store.nbytes() > sum(a.nbytes for a in t.values())
    store.put_state(4, {"b": t["b"]})  # overwrite (resume rewrites the resumed state)
    assert sorted(store.state(4)) == ["b"]
    store.remove()
    assert not (tmp_path / "w").exists()


def test_missing_and_damaged_files(tmp_path: Path) -> None:
    store = WitnessStore(tmp_path)
    with pytest.raises(ZkattestIOError, match="no witness for state 2"):
        store.state(2)
    with pytest.raises(InvalidInputError):
        store.put_state(-1, {})
    with pytest.raises(InvalidInputError):
        store.has("weights", 0)
    store.put_state(0, _tensors())
    path = tmp_path / "state-00000000.wit"
    data = path.read_bytes()
    path.write_bytes(b"NOTAWIT!" + data[8:])
    with pytest.raises(MalformedError, match="not a zkattest witness"):
        store.state(0)
    path.write_bytes(data[: len(WITNESS_MAGIC) + 12])
    with pytest.raises(MalformedError):
        store.state(0)
    path.write_bytes(data[:-70])
    with pytest.raises(MalformedError, match="runs past the end"):
        store.state(0)
    (tmp_path / "grad-00000000.wit").write_bytes(data)  # a state file under a grad name
    with pytest.raises(MalformedError, match="holds state 0"):
        store.grads(0)


def _digits() -> CommittedDataset:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.data[:256] / 16.0, dtype=torch.float32)
    y = torch.tensor(d.target[:256], dtype=torch.long)
    return CommittedDataset(torch.utils.data.TensorDataset(x, y))


def test_attest_fills_the_store_and_keeps_it_after_a_crash(tmp_path: Path) -> None:
    """An interrupted run keeps its witnesses; each recommits to its logged root."""
    data = _digits()
    torch.manual_seed(0)
    model = torch.nn.Linear(64, 10)
    opt = AdamW(model.parameters(), lr=1e-2, betas=(0.9, 0.99))
    spec = TrainingSpec.from_torch(
        model,
        opt,
        batch_size=16,
        max_steps=10,
        schedule=ConstantSchedule(lr=1e-2),
        dataset_root=data.root.hex(),
        dataset_size=len(data),
        init=InitRecipe("torch_default", commit_secret(b"seed")[0]),
        salt_seed_commitment=commit_secret(SALT_SEED)[0],
        chunk_size=1024,
        challenges=ChallengePolicy.of_fraction(0.25),
    )
    sampler = data.sampler(seed=0)
    loader = torch.utils.data.DataLoader(data, batch_size=16, sampler=sampler)
    bundle = tmp_path / "b"
    with pytest.raises(RuntimeError, match="crash"):
        with zkattest.attest(
            model,
            opt,
            spec=spec,
            bundle=bundle,
            key=keys.generate(),
            salt_seed=SALT_SEED,
            data=data,
            sampler=sampler,
            quiet=True,
            prove=True,
            checkpoint_every=2,
        ):
            for i, (x, y) in enumerate(loader):
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(x), y).backward()
                opt.step()
                if i == 3:
                    raise RuntimeError("crash")
    # The param groups were pinned to the spec's FP32 values (0.99 is not one).
    assert opt.param_groups[0]["betas"][1] == spec.optimizer.betas[1].value != 0.99
    store = WitnessStore(Path(f"{bundle}.work") / WITNESS_DIR)
    committer = StateCommitter(SALT_SEED, chunk_size=1024)
    with RunLog.open(Path(f"{bundle}.work") / "log.db", "r") as log:
        assert log.size == 4
        genesis = committer.commit(store.state(0), 0).root.hex()
        for t in range(log.size):
            rec = log.record(t)
            before = committer.commit(store.state(t), t).root.hex()
            assert before == (log.record(t - 1).state_root if t else genesis)
            assert committer.commit(store.grads(t), t + 1).root.hex() == rec.grad_root
            assert committer.commit(store.state(t + 1), t + 1).root.hex() == rec.state_root
    assert sorted(store.state(1)) == [
        "bias",
        "optim.state.bias.exp_avg",
        "optim.state.bias.exp_avg_sq",
        "optim.state.bias.step",
        "optim.state.weight.exp_avg",
        "optim.state.weight.exp_avg_sq",
        "optim.state.weight.step",
        "weight",
    ]
